"""The flakes runner: the examples run several times at once in random order, and a test
that fails in any run is named with the seed that replays it."""

from __future__ import annotations

import textwrap

import pytest

from verified_blocks import flakes

INI = """\
[pytest]
asyncio_default_fixture_loop_scope = function
filterwarnings = error
"""

TESTS = """\
def test_writes_its_scratch_file(tmp_path):
    (tmp_path / "scratch").write_text("kept apart")
    assert (tmp_path / "scratch").read_text() == "kept apart"


def test_broken():
    assert 1 == 2
"""


@pytest.fixture
def examples(tmp_path, monkeypatch):
    (tmp_path / "examples").mkdir()
    (tmp_path / "examples" / "pytest.ini").write_text(INI)
    (tmp_path / "examples" / "test_some.py").write_text(TESTS)
    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr(flakes, "RUNS", 2)
    return tmp_path


def test_a_failing_test_is_named_once_per_run_with_its_seed(examples, capsys):
    code = flakes.main([])

    out = capsys.readouterr().out
    assert code == 1
    failures = [line for line in out.splitlines() if line.startswith("--randomly-seed=")]
    assert len(failures) == 2
    assert all(line.endswith(": test_some::test_broken") for line in failures)
    assert "flakes: 2 runs, 2 failures" in out


def test_each_run_has_its_own_temp_root(examples, capsys):
    """Runs at once that share pytest's default temp root remove each other's numbered
    folders at exit, which can fail a run on a warning (pytest-dev/pytest#11790)."""
    flakes.main(["-k", "scratch"])

    assert "flakes: 2 runs, 0 failures" in capsys.readouterr().out
    for number in (1, 2):
        made = examples / flakes.OUT / f"run-{number}"
        assert (made / "test_writes_its_scratch_file0" / "scratch").is_file()
    assert flakes.command(1, 7, ["-x"])[-1] == "-x"


def test_failed_tests_reads_failures_and_errors_from_junit(tmp_path):
    report = tmp_path / "run.xml"
    report.write_text(
        textwrap.dedent(
            """\
            <testsuites><testsuite>
              <testcase classname="a" name="passes"/>
              <testcase classname="a" name="fails"><failure message="x"/></testcase>
              <testcase classname="b" name="errs"><error message="y"/></testcase>
            </testsuite></testsuites>
            """
        )
    )

    assert flakes.failed_tests(report) == ["a::fails", "b::errs"]
