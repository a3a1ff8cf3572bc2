"""A mutant's run starts with the tests most likely to kill it: those of the file it
changed, then those of the files that import it, then the rest, each in pytest's order."""

from __future__ import annotations

import pytest

FILES = {
    "test_a.py": "def test_a1():\n    pass\n\n\ndef test_a2():\n    pass\n",
    "test_b.py": "from helper import value\n\n\ndef test_b():\n    assert value == 1\n",
    "test_c.py": "def test_c():\n    pass\n",
    "test_d.py": "import helper\n\n\ndef test_d():\n    assert helper.value\n",
    "helper.py": "value = 1\n",
    # a name that only contains the module's is not an import of it
    "test_e.py": "import helpers_elsewhere as h  # noqa\n\n\ndef test_e():\n    pass\n",
    "helpers_elsewhere.py": "",
}


def order(pytester: pytest.Pytester, *args: str) -> list[str]:
    pytester.makeini("[pytest]\nasyncio_default_fixture_loop_scope = function\n")
    pytester.makepyfile(**{name.removesuffix(".py"): text for name, text in FILES.items()})
    result = pytester.runpytest_inprocess(
        "--collect-only", "-q", "-p", "no:randomly", "-p", "verified_blocks.mutants.first", *args
    )
    return [line for line in result.outlines if "::" in line]


def test_the_mutated_test_file_runs_first(pytester):
    assert order(pytester, "--mutated=test_c.py") == [
        "test_c.py::test_c",
        "test_a.py::test_a1",
        "test_a.py::test_a2",
        "test_b.py::test_b",
        "test_d.py::test_d",
        "test_e.py::test_e",
    ]


def test_the_files_that_import_a_mutated_module_run_first(pytester):
    assert order(pytester, "--mutated=helper.py") == [
        "test_b.py::test_b",
        "test_d.py::test_d",
        "test_a.py::test_a1",
        "test_a.py::test_a2",
        "test_c.py::test_c",
        "test_e.py::test_e",
    ]


def test_without_a_mutated_file_the_order_is_pytests(pytester):
    assert order(pytester) == [
        "test_a.py::test_a1",
        "test_a.py::test_a2",
        "test_b.py::test_b",
        "test_c.py::test_c",
        "test_d.py::test_d",
        "test_e.py::test_e",
    ]
