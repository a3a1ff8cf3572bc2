"""Run the examples 20 times in random order, asyncio debug mode on: no failure allowed.

``python -m verified_blocks.flakes [pytest options]`` (``nox -s flakes``). Each run has a
new pytest-randomly seed, printed; the options are passed to every run (``--randomly-seed=N``
replays a failing seed). As many runs go at once as there are CPUs (each is one busy
process), with pytest's cache off: the runs of one folder would all rewrite it. Each run's
JUnit report and its own temp folder are in ``_build/flakes``.
"""

from __future__ import annotations

import os
import random
import shutil
import subprocess
import sys
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from xml.etree import ElementTree

RUNS = 20
OUT = Path("_build/flakes")


def failed_tests(junit: Path) -> list[str]:
    """The tests a pytest JUnit XML report records as failed or in error."""
    names = []
    for case in ElementTree.parse(junit).iter("testcase"):
        if case.find("failure") is not None or case.find("error") is not None:
            names.append(f"{case.get('classname')}::{case.get('name')}")
    return names


def command(number: int, seed: int, options: Sequence[str]) -> list[str]:
    """The pytest command of run ``number``: its seed, its JUnit report, its own temp root."""
    return [
        *(sys.executable, "-X", "dev", "-m", "pytest"),
        *("-c", "examples/pytest.ini", "examples", "-q", "-p", "no:cacheprovider"),
        *("-p", "randomly", f"--randomly-seed={seed}", f"--junit-xml={OUT}/run-{number}.xml"),
        # pytest-asyncio sets its loops' debug mode itself, ignoring the environment
        "--asyncio-debug",
        # Runs at once that share pytest's default temp root remove each other's numbered
        # folders at exit, and a run can then fail on a warning (pytest-dev/pytest#11790).
        f"--basetemp={OUT}/run-{number}",
        *options,
    ]


def _say(text: str) -> None:
    print(f"flakes: {text}", flush=True)


def main(options: Sequence[str]) -> int:
    shutil.rmtree(OUT, ignore_errors=True)
    OUT.mkdir(parents=True)
    seeds = random.SystemRandom().sample(range(1, 2**32), RUNS)
    env = {**os.environ, "PYTHONASYNCIODEBUG": "1"}

    def run(numbered: tuple[int, int]) -> tuple[int, int, subprocess.CompletedProcess[str]]:
        number, seed = numbered
        done = subprocess.run(
            command(number, seed, options),
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        return number, seed, done

    failures: list[str] = []
    workers = os.cpu_count() or 1
    # said before the first run ends: the bench's timing of nox's log would count the
    # runs until then as the session's installs
    _say(f"{RUNS} runs, {workers} at once")
    with ThreadPoolExecutor(workers) as pool:
        for number, seed, done in pool.map(run, enumerate(seeds, start=1)):
            output = done.stdout.strip()
            if done.returncode not in (0, 1):  # 1: some tests failed, counted below
                print(output)
                _say(f"run {number}, --randomly-seed={seed}: pytest exited {done.returncode}")
                pool.shutdown(cancel_futures=True)
                return 1
            summary = output.splitlines()[-1] if output else "(no output)"
            _say(f"run {number}/{RUNS}, --randomly-seed={seed}: {summary}")
            failed = failed_tests(OUT / f"run-{number}.xml")
            if failed:
                print(output)
                failures += [f"--randomly-seed={seed}: {name}" for name in failed]
    _say(f"{RUNS} runs, {len(failures)} failures")
    for failure in failures:
        print(failure)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
