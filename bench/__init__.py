"""Benchmarks of the guide's toolchain and loop (`nox -s bench`): medians and ratios.

Not a test suite: nothing here asserts on time. `python -m bench` measures, writes
_build/bench.json and _build/bench.md, and exits 1 when a budget in the table fails.
"""
