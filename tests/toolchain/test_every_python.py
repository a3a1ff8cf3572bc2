"""Pages run on several Pythons at once: what each run's report says becomes one line per
Python and each failure once, at its page line, with the Pythons it failed on."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest

from verified_blocks import every_python, manifest
from verified_blocks.every_python import Failure, Outcome

PAGE = """
# How to double and triple

```{example} double_client.py
async def double(x):
    return 2 * x
```

```{example} test_double_client.py
import pytest

from double_client import double


@pytest.mark.asyncio
async def test_double():
    assert await double(2) == 4


@pytest.mark.asyncio
async def test_triple():
    assert await double(3) == 9
```
"""


@pytest.fixture
def files(repo) -> dict[str, manifest.ExampleFile]:
    repo.page("how-to/page.md", PAGE)
    assert repo.extract() == 0
    return manifest.load(repo.root / "examples" / manifest.MANIFEST)


def junit(*cases: str) -> str:
    """A JUnit XML report as pytest writes it, of these <testcase> elements."""
    return (
        '<?xml version="1.0" encoding="utf-8"?><testsuites name="pytest tests">'
        '<testsuite name="pytest" errors="0" failures="0" skipped="0" tests="0">'
        + "".join(cases)
        + "</testsuite></testsuites>"
    )


PASSED = '<testcase classname="how_to.page.test_double_client" name="test_double" />'
SKIPPED = (
    '<testcase classname="how_to.page.notes" name="pycon[docs/how-to/page.md:30]">'
    '<skipped type="pytest.skip" message="docs/how-to/page.md:30: needs Python 3.11+" />'
    "</testcase>"
)
FAILED = (
    '<testcase classname="how_to.page.test_double_client" name="test_triple">'
    '<failure message="docs/how-to/page.md:20 (block at line 9): assert 6 == 9">'
    "traceback</failure></testcase>"
)
SESSION = (
    '<testcase classname="how_to.page.notes" name="pycon[docs/how-to/page.md:30]">'
    '<failure message="docs/how-to/page.md:32 (block at line 30): the session differs from '
    'the page at&#10;&gt;&gt;&gt; 1 + 1&#10;--- page&#10;3&#10;--- got&#10;2&#10;">'
    "</failure></testcase>"
)
FIXTURE_ERROR = (
    '<testcase classname="how_to.page.test_double_client" name="test_double">'
    '<error message="failed on setup with &quot;docs/how-to/page.md:14 (block at line 9): '
    'ValueError: no&quot;">traceback</error></testcase>'
)
#: A block with a syntax error: pytest names the generated file's line, never the page's.
COLLECTION = (
    '<testcase classname="how_to.page.test_double_client" name="">'
    '<error message="collection failure">.nox/x/site-packages/_pytest/python.py:498: in '
    "importtestmodule\n    mod = import_path(...)\n"
    'E     File "/somewhere/examples/how_to/page/test_double_client.py", line 11\n'
    "E       async def test_double()\n"
    "E   SyntaxError: expected ':'</error></testcase>"
)


def test_the_report_gives_counts_and_each_failure_at_its_page_line(tmp_path, files):
    report = tmp_path / "r.xml"
    report.write_text(junit(PASSED, SKIPPED, FAILED, SESSION, FIXTURE_ERROR), encoding="utf-8")

    counts, failures = every_python.read_junit(report, files)

    assert counts == {"passed": 1, "failed": 2, "error": 1, "skipped": 1}
    assert [f.where for f in failures] == [
        "docs/how-to/page.md:20",
        "docs/how-to/page.md:32",
        "docs/how-to/page.md:14",
    ]
    assert failures[0].message == "docs/how-to/page.md:20 (block at line 9): assert 6 == 9"
    assert failures[1].message.splitlines()[1:] == [">>> 1 + 1", "--- page", "3", "--- got", "2"]


def test_a_failure_named_in_a_generated_file_is_put_at_its_page_line(tmp_path, files):
    report = tmp_path / "r.xml"
    report.write_text(junit(COLLECTION), encoding="utf-8")

    _, (failure,) = every_python.read_junit(report, files)

    # the generated file: two lines of header, a blank line and a marker, then the block
    assert failure.where == "docs/how-to/page.md:15"
    assert failure.message.splitlines() == [
        "how_to.page.test_double_client: collection failure",
        'E     File "/somewhere/examples/how_to/page/test_double_client.py", line 11',
        "E       async def test_double()",
        "E   SyntaxError: expected ':'",
    ]


def test_a_run_that_ends_without_a_report_shows_the_end_of_its_output(tmp_path, files):
    log = tmp_path / "3.13.log"
    lines = [f"frame {n}" for n in range(30)]
    log.write_text(
        "\n".join(["docs/how-to/page.md:20: this test did not finish within 20 s", *lines]),
        encoding="utf-8",
    )

    result = every_python.outcome("3.13", 2, log, tmp_path / "missing.xml", files)

    assert not result.passed
    (failure,) = result.failures
    assert failure.where == "docs/how-to/page.md:20"
    assert failure.message.splitlines() == [
        "pytest exited 2; the end of its output:",
        *lines[-every_python.TAIL :],
    ]


def test_a_non_zero_exit_with_only_passes_reported_is_a_failure(tmp_path, files):
    report, log = tmp_path / "r.xml", tmp_path / "r.log"
    report.write_text(junit(PASSED), encoding="utf-8")
    log.write_text("ERROR: usage: pytest [options]\n", encoding="utf-8")

    result = every_python.outcome("3.13", 4, log, report, files)

    assert [f.where for f in result.failures] == ["pytest"]
    assert result.summary().startswith("Python 3.13: failed at pytest (1 passed)")


def test_one_line_per_python_then_each_failure_once_in_page_order():
    early = Failure("docs/a.md:9", "docs/a.md:9 (block at line 3): assert 1 == 2")
    late = Failure("docs/a.md:30", "docs/a.md:30 (block at line 28): differs\n--- page\n3")
    counts = {"passed": 8, "failed": 2, "error": 0, "skipped": 0}
    outcomes = [
        Outcome("3.10", 0, {"passed": 9, "failed": 0, "error": 0, "skipped": 1}, []),
        Outcome("3.11", 1, counts, [late, early], seconds=2.04),
        Outcome("3.12", 1, {**counts, "failed": 1, "passed": 9}, [early]),
    ]

    assert every_python.report(outcomes).splitlines() == [
        "Python 3.10: passed (9 passed, 1 skipped)",
        "Python 3.11: failed at docs/a.md:9, docs/a.md:30 (8 passed, 2 failed) in 2.0 s",
        "Python 3.12: failed at docs/a.md:9 (9 passed, 1 failed)",
        "",
        "docs/a.md:9 (block at line 3): assert 1 == 2",
        "    on Python 3.11, 3.12",
        "",
        "docs/a.md:30 (block at line 28): differs",
        "    --- page",
        "    3",
        "    on Python 3.11",
    ]


def test_each_run_has_its_environment_active_instead_of_the_callers():
    ours, theirs = Path("/r/.nox/page"), Path("/r/.nox/examples-3-10")
    env = {
        "PATH": os.pathsep.join([f"{ours}/bin", "/usr/bin"]),
        "VIRTUAL_ENV": str(ours),
        "UV_PROJECT_ENVIRONMENT": str(ours),
        "UV_PYTHON": str(ours),
        "CONDA_PREFIX": "/opt/conda",
        "HOME": "/root",
    }

    assert every_python.activated(theirs, env) == {
        "PATH": os.pathsep.join([f"{theirs}/bin", "/usr/bin"]),
        "VIRTUAL_ENV": str(theirs),
        "UV_PROJECT_ENVIRONMENT": str(theirs),
        "UV_PYTHON": str(theirs),
        "HOME": "/root",
    }


def run_pages(repo, capsys, *args: str) -> tuple[int, str, str]:
    here = Path(sys.prefix)  # this environment has pytest and the examples' libraries
    code = every_python.main(
        ["--root", str(repo.root), "--out", str(repo.root / "out")]
        + [f"--venv=3.13={here}", f"--venv=3.99={here}", *args]
    )
    out, err = capsys.readouterr()
    return code, out, err


@pytest.fixture(params=["warm", "fresh"])
def how(request, warm_servers) -> list[str]:
    """Each run forked from the environment's warm server, or a new interpreter."""
    return ["--fresh"] if request.param == "fresh" else []


def test_pages_run_on_every_python_at_once_and_fail_at_their_page_line(
    repo, files, capsys, how, warm_servers
):
    """End to end: one pytest per environment, both at once, options passed on; the same
    whether the runs are forked from a warm server or not."""
    code, out, _ = run_pages(repo, capsys, *how, "docs/how-to/page.md")

    assert code == 1
    # the script double_client.py is an item too, which passes
    assert "Python 3.13: failed at docs/how-to/page.md:21 (2 passed, 1 failed)" in out
    assert "Python 3.99: failed at docs/how-to/page.md:21 (2 passed, 1 failed)" in out
    assert (
        "docs/how-to/page.md:21 (block at line 8): assert 6 == 9\n    on Python 3.13, 3.99" in out
    )
    assert (repo.root / "out" / "3.99.log").is_file()
    # each run has its own temp root (the script's scratch folder is made in it): runs
    # sharing pytest's default one remove each other's folders (pytest-dev/pytest#11790)
    assert (repo.root / "out" / "3.13.tmp" / "scripts0").is_dir()
    assert (repo.root / "out" / "3.99.tmp" / "scripts0").is_dir()

    code, out, _ = run_pages(
        repo, capsys, *how, "docs/how-to/page.md", "--", "-k", "not test_triple"
    )

    assert code == 0, out
    assert "Python 3.99: passed (2 passed)" in out
    assert out.endswith("every_python: passed on every Python; each run's output is in out/\n")
    servers = list(warm_servers.glob("*.sock"))
    assert len(servers) == (0 if how else 1), "one server for the one environment, if warm"


def test_a_page_without_blocks_runs_nothing(repo, files, capsys):
    repo.page("index.md", "# The guide\n\nWords only.\n")

    code, out, _ = run_pages(repo, capsys, "docs/index.md")

    assert (code, out) == (0, "docs/index.md: no verified blocks, nothing to run\n")
    assert not (repo.root / "out").exists()


def test_what_is_not_a_page_is_refused(repo, files, capsys):
    code, _, err = run_pages(repo, capsys, "README.md")

    assert code == 1
    assert "README.md: error: not a page" in err


def test_an_environment_without_its_python_fails_its_line(repo, files, tmp_path, capsys):
    code = every_python.main(
        ["--root", str(repo.root), "--out", str(tmp_path), f"--venv=3.99={tmp_path / 'gone'}"]
        + ["docs/how-to/page.md"]
    )

    out = capsys.readouterr().out
    assert code == 1
    assert f"Python 3.99: failed at {tmp_path / 'gone' / 'bin' / 'python'} (nothing ran)" in out
    assert "not started: [Errno 2] No such file or directory" in out
