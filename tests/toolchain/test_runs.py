"""A block that does not behave as its page says fails the examples run, naming page and line."""

from __future__ import annotations

import json
import platform
import subprocess
from datetime import datetime, timezone
from importlib import metadata

import pytest

from verified_blocks import blocks_report

RAISES = """
# How to await a mock

```{example} await_demo.py
:raises: TypeError: object MagicMock can't be used in 'await' expression
:raises-3.14: TypeError: 'MagicMock' object can't be awaited

import asyncio
from unittest.mock import MagicMock


async def main():
    await MagicMock()


asyncio.run(main())
```
"""

PASSING = """
# How to double

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
```
"""

OUTCOME = """
# How to forget the mark

```{example} test_unmarked_demo.py
---
outcome: failed=1
lines: |
  async def functions are not natively supported
---
async def test_unmarked():
    pass
```
"""


def run(
    repo, pytester: pytest.Pytester, text: str, *args: str, timeout: float | None = None
) -> pytest.RunResult:
    """Write ``text`` as docs/how-to/page.md, extract it, and run its examples in a new
    process (failing the test if the run takes over ``timeout`` seconds)."""
    page = repo.page("how-to/page.md", text)
    assert repo.extract() == 0
    result = pytester.runpytest_subprocess(
        str(repo.root / "examples"), "-p", "no:randomly", *args, timeout=timeout
    )
    result.page = page  # type: ignore[attr-defined]
    return result


def test_the_pages_as_written_pass(repo, pytester):
    for text in (RAISES, PASSING, OUTCOME):
        run(repo, pytester, text).assert_outcomes(passed=len(text.split("{example}")) - 1)


def test_wrong_expected_message_fails_with_page_line(repo, pytester):
    text = RAISES.replace("can't be used in", "cannot be used in").replace(
        "can't be awaited", "cannot be awaited"
    )
    result = run(repo, pytester, text)
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(
        ["*docs/how-to/page.md:3: the page says this raises*but it raised*"]
    )


def test_expected_error_that_never_happens_fails(repo, pytester):
    text = RAISES.replace("    await MagicMock()", "    MagicMock()")
    result = run(repo, pytester, text)
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(
        ["*docs/how-to/page.md:3: the page says this raises*ran without an error*"]
    )


def test_removing_an_await_fails_with_page_line(repo, pytester):
    result = run(repo, pytester, PASSING.replace("assert await double", "assert double"))
    assert result.ret != 0
    result.stdout.fnmatch_lines(
        ["this test is shown on the page at docs/how-to/page.md:16 (block at line 8)"]
    )


def test_wrong_outcome_fails_with_page_line(repo, pytester):
    result = run(repo, pytester, OUTCOME.replace("async def test_unmarked", "def test_unmarked"))
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(
        ["*docs/how-to/page.md:3: pytest reported 1 passed, the page says 1 failed*"]
    )


def test_missing_output_line_fails(repo, pytester):
    result = run(repo, pytester, OUTCOME.replace("natively supported", "natively supported!"))
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(
        [
            "*docs/how-to/page.md:3: pytest did not print, in this order, a line containing",
            "*async def functions are not natively supported!",
        ]
    )


def test_report_records_expected_and_observed(repo, pytester, tmp_path):
    report = tmp_path / "report.json"
    run(repo, pytester, RAISES, f"--blocks-report={report}").assert_outcomes(passed=1)
    data = json.loads(report.read_text())
    (record,) = data["blocks"]
    assert record["page"] == "docs/how-to/page.md"
    assert record["line"] == 3
    assert record["outcome"] == "passed"
    assert record["observed"] == record["expected"]["message"]


def test_report_says_what_verified_it(repo, pytester, tmp_path):
    """The exact interpreter, the packages' versions, when it ran; outside a repository
    (a source tarball), the commit is "unknown" and the run does not fail."""
    report = tmp_path / "report.json"
    before = datetime.now(timezone.utc).replace(microsecond=0)
    run(repo, pytester, RAISES, f"--blocks-report={report}").assert_outcomes(passed=1)
    data = json.loads(report.read_text())
    assert data["full_version"] == platform.python_version()
    assert data["packages"] == {
        name: metadata.version(name) for name in ("pytest", "pytest-asyncio", "aiohttp")
    }
    assert (data["commit"], data["dirty"]) == ("unknown", "unknown")
    assert data["date"].endswith("Z")
    ran = datetime.fromisoformat(data["date"].replace("Z", "+00:00"))
    assert before <= ran <= datetime.now(timezone.utc)


def test_a_report_that_finds_the_same_keeps_its_date(repo, pytester, tmp_path):
    """A run that finds all a report says, but for the date, leaves it as it is: the
    site built from it (every badge shows the date) is not built again for nothing. A
    run that finds anything else writes the report anew."""
    report = tmp_path / "report.json"
    run(repo, pytester, RAISES, f"--blocks-report={report}").assert_outcomes(passed=1)
    data = json.loads(report.read_text())
    data["date"] = "2020-01-01T00:00:00Z"  # as if written by an earlier run
    report.write_text(json.dumps(data, indent=1) + "\n", encoding="utf-8")
    written = report.read_bytes()
    run(repo, pytester, RAISES, f"--blocks-report={report}").assert_outcomes(passed=1)
    assert report.read_bytes() == written

    data["blocks"][0]["observed"] = "something else"
    report.write_text(json.dumps(data, indent=1) + "\n", encoding="utf-8")
    run(repo, pytester, RAISES, f"--blocks-report={report}").assert_outcomes(passed=1)
    rewritten = json.loads(report.read_text())
    assert rewritten["blocks"][0]["observed"] == rewritten["blocks"][0]["expected"]["message"]
    assert rewritten["date"] != "2020-01-01T00:00:00Z"


def _git(root, *args: str) -> str:
    command = ["git", "-c", "user.name=Guide", "-c", "user.email=guide@example.org"]
    command += ["-c", "commit.gpgsign=false", "-C", str(root), *args]
    return subprocess.run(command, capture_output=True, text=True, check=True).stdout.strip()


def test_report_names_the_commit_and_local_changes_to_the_pages(repo):
    """The commit of the repository around the examples; "dirty" for a change to docs/
    or examples/, not for one elsewhere."""
    repo.page("how-to/page.md", RAISES)
    assert repo.extract() == 0
    _git(repo.root, "init", "-q")
    _git(repo.root, "add", "-A")
    _git(repo.root, "commit", "-q", "-m", "pages")
    examples = repo.root / "examples"

    ran_with = blocks_report.provenance(examples)
    assert (ran_with["commit"], ran_with["dirty"]) == (_git(repo.root, "rev-parse", "HEAD"), False)

    (repo.root / "notes.txt").write_text("not a page\n", encoding="utf-8")
    assert blocks_report.provenance(examples)["dirty"] is False
    repo.page("how-to/page.md", RAISES + "\nOne more sentence.\n")
    assert blocks_report.provenance(examples)["dirty"] is True


def test_config_file_shares_the_outcome_of_the_runs_that_use_it(repo, pytester, tmp_path):
    page = (
        "# How to configure\n\n"
        "```{example} pytest.ini\n[pytest]\nasyncio_default_fixture_loop_scope = function\n```\n"
        + OUTCOME.split("\n", 2)[2]
    )
    report = tmp_path / "report.json"
    run(repo, pytester, page, f"--blocks-report={report}").assert_outcomes(passed=1)
    records = {r["file"].rsplit("/", 1)[1]: r for r in json.loads(report.read_text())["blocks"]}
    assert records["pytest.ini"]["outcome"] == "passed"
    assert records["test_unmarked_demo.py"]["outcome"] == "passed"


CONFTEST = """
# How to share a fixture

```{example} conftest.py
import pytest


@pytest.fixture
def answer():
    return 42
```

```{example} test_uses_conftest.py
def test_answer(answer):
    assert answer == 42
```
"""

# 192.0.2.1 is TEST-NET-1 (RFC 5737): never a real host, so no test here reaches the network.
LEAVES_THE_MACHINE = """
# How to call out

```{example} test_calls_out.py
import socket


def test_calls_out():
    socket.create_connection(("192.0.2.1", 9), timeout=1).close()
```
"""

STAYS_LOCAL = """
# How to call home

```{example} test_calls_home.py
import asyncio

import pytest


@pytest.mark.asyncio
async def test_calls_home():
    async def hello(reader, writer):
        writer.write(b"hi")
        writer.close()
        await writer.wait_closed()

    server = await asyncio.start_server(hello, "127.0.0.1", 0)
    host, port = server.sockets[0].getsockname()[:2]
    reader, writer = await asyncio.open_connection(host, port)
    assert await reader.read() == b"hi"
    writer.close()
    await writer.wait_closed()
    server.close()
    await server.wait_closed()
```
"""

# Run in isolation under the page's own pytest.ini, which says nothing about sockets:
# the limits of the examples run must hold there too, for the second test as for the first.
ISOLATED_CALLS_OUT = """
# How to call out twice

```{example} pytest.ini
[pytest]
asyncio_default_fixture_loop_scope = function
```

```{example} test_calls_out_twice.py
---
outcome: passed=2
---
import socket

import pytest


def test_first():
    with pytest.raises(RuntimeError, match="192.0.2.1"):
        socket.create_connection(("192.0.2.1", 9), timeout=1)


def test_second():
    with pytest.raises(RuntimeError, match="192.0.2.1"):
        socket.create_connection(("192.0.2.1", 9), timeout=1)
```
"""


@pytest.mark.parametrize(("answer", "outcome"), [("42", "passed"), ("41", "failed")])
def test_conftest_shares_the_outcome_of_the_tests_beside_it(
    repo, pytester, tmp_path, answer, outcome
):
    report = tmp_path / "report.json"
    page = CONFTEST.replace("return 42", f"return {answer}")
    result = run(repo, pytester, page, f"--blocks-report={report}")
    # one item: the test; the conftest is loaded by pytest, never run as a script of its own
    result.assert_outcomes(**{outcome: 1})
    records = {r["file"].rsplit("/", 1)[1]: r for r in json.loads(report.read_text())["blocks"]}
    assert records["conftest.py"]["outcome"] == outcome
    assert records["test_uses_conftest.py"]["outcome"] == outcome


def test_an_example_may_not_leave_the_machine(repo, pytester):
    result = run(repo, pytester, LEAVES_THE_MACHINE)
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(
        ['*A test tried to use socket.socket.connect() with host "192.0.2.1"*']
    )


def test_an_example_may_use_a_local_server(repo, pytester):
    run(repo, pytester, STAYS_LOCAL).assert_outcomes(passed=1)


def test_an_isolated_run_keeps_the_socket_limits(repo, pytester):
    run(repo, pytester, ISOLATED_CALLS_OUT).assert_outcomes(passed=1)


# A console block shows what a reader sees in an 80-column terminal. On CI (CI or
# BUILD_NUMBER set) pytest does not cut the short summary line to the terminal's width,
# and a wide COLUMNS cuts it elsewhere: the isolated run must not depend on either.
CUT_SUMMARY = """
# How to read a long failure

```{example} test_long_failure.py
:outcome: failed=1

def test_long_failure():
    raise ValueError("a message long enough to be cut at eighty columns, " * 3)
```

```{example} long_failure.console
$ pytest -q test_long_failure.py
FAILED test_long_failure.py::test_long_failure - ValueError: a message long e...
1 failed in 0.01s
```
"""


@pytest.mark.parametrize(
    "environment",
    [{}, {"CI": "true"}, {"BUILD_NUMBER": "7"}, {"COLUMNS": "200"}, {"COLUMNS": "20"}],
)
def test_console_output_is_an_80_column_terminal_wherever_it_runs(
    repo, pytester, monkeypatch, environment
):
    for name, value in environment.items():
        monkeypatch.setenv(name, value)
    run(repo, pytester, CUT_SUMMARY).assert_outcomes(passed=2)


WRITES_A_FILE = """
# How to write a report

```{example} write_report.py
from pathlib import Path

Path("report.txt").write_text("done", encoding="utf-8")
```
"""


def test_a_script_writes_in_a_scratch_directory_not_where_pytest_runs(repo, pytester):
    run(repo, pytester, WRITES_A_FILE).assert_outcomes(passed=1)
    assert not (pytester.path / "report.txt").exists()
    assert not list(repo.root.rglob("report.txt"))


TIMEOUT = """
# How to time out

```{example} test_times_out_demo.py
---
outcome: failed=1
lines: |
  test_times_out_demo.TimeoutError
---
import pytest


class TimeoutError(Exception):  # raises TimeoutError.
    pass


@pytest.mark.asyncio
async def test_times_out():
    raise TimeoutError()
```
"""


def test_an_expected_error_line_must_be_the_whole_name(repo, pytester):
    """pytest prints `TimeoutError` inside `test_times_out_demo.TimeoutError`, in the
    traceback's `file:line: TimeoutError` and in source lines: none of them is the error it
    reports, so an expectation that names it alone fails (as on Python 3.10, which prints
    `asyncio.exceptions.TimeoutError`)."""
    run(repo, pytester, TIMEOUT).assert_outcomes(passed=1)
    text = TIMEOUT.replace("  test_times_out_demo.TimeoutError", "  TimeoutError")
    result = run(repo, pytester, text)
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(
        ["*docs/how-to/page.md:3: pytest did not print, in this order, a line containing"]
    )


@pytest.mark.parametrize(
    ("line", "printed", "found"),
    [
        ("RuntimeError: Session is closed", "E       RuntimeError: Session is closed", True),
        ("TimeoutError", "E                   TimeoutError", True),
        ("TimeoutError", "E                   asyncio.exceptions.TimeoutError", False),
        ("TimeoutError", "/usr/lib/python3.10/asyncio/tasks.py:458: TimeoutError", False),
        ("TimeoutError", "        it cancels the task and raises TimeoutError.  To avoid", False),
        ("TimeoutError", "FAILED test_x.py::test_y - TimeoutError", True),
        ("TimeoutError", "FAILED test_x.py::test_y - asyncio.exceptions.TimeoutError", False),
        (
            "RuntimeWarning: coroutine 'double' was never awaited",
            "  /tmp/test_x.py:9: RuntimeWarning: coroutine 'double' was never awaited",
            True,
        ),
        (
            "LookupError: <ContextVar name='tenant' at 0x",
            "E   LookupError: <ContextVar name='tenant' at 0x7f3a9c>",
            True,
        ),
        ("ValueError: bad", "    | ValueError: bad", True),
        ("FeedError: bad", "    | supplier_feed.FeedError: bad", False),
        ("TimeoutError", "E   TimeoutErrorish", False),
        ("1 passed", "==== 11 passed in 0.01s ====", False),
        ("1 passed", "==== 1 passed in 0.01s ====", True),
        ("- pytest-asyncio", "  - pytest-asyncio", True),
        # `*` is any text; the rules stay for the line's ends, unless a `*` is there
        (
            "LookupError: <ContextVar name='tenant' at 0x*>",
            "E   LookupError: <ContextVar name='tenant' at 0x7f3a9c>",
            True,
        ),
        (
            "LookupError: <ContextVar name='tenant' at 0x*>",
            "E   LookupError: <ContextVar name='user' at 0x7f3a9c>",
            False,
        ),
        ("TimeoutError: * timed out", "E   TimeoutError: the call timed out", True),
        ("TimeoutError: * timed out", "E   asyncio.exceptions.TimeoutError: it timed out", False),
        ("test_x.py::test_* PASSED", "test_x.py::test_y PASSED                 [ 50%]", True),
        ("test_x.py::test_* PASSED", "test_x.py::test_y FAILED                 [ 50%]", False),
        ("1 passed in *s", "==== 1 passed in 0.01s ====", True),
        ("1 passed in *s", "==== 11 passed in 0.01s ====", False),
        ("*1 passed", "==== 11 passed in 0.01s ====", True),
        ("passed *", "==== 1 passed in 0.01s ====", True),
        ("passed *", "==== 1 passed", False),
    ],
)
def test_expected_lines_match_whole(line: str, printed: str, found: bool) -> None:
    from verified_blocks.lines import pattern

    assert bool(pattern(line).search(printed)) is found


ADDRESS = """
# How to compare with a sentinel

```{example} test_sentinel_demo.py
---
outcome: failed=1
lines: |
  E       assert <object object at 0x*> is None
---
def test_sentinel():
    marker = object()
    assert marker is None
```
"""


def test_a_wildcard_matches_what_changes_from_run_to_run(repo, pytester):
    """The address changes at every run: the page writes it `0x*`. The wildcard matches
    that text only: the rest of the line must still be what pytest printed."""
    run(repo, pytester, ADDRESS).assert_outcomes(passed=1)
    result = run(repo, pytester, ADDRESS.replace("> is None", "> is not None"))
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(
        [
            "*docs/how-to/page.md:3: pytest did not print, in this order, a line containing",
            "    E       assert <object object at 0x*> is not None",
        ]
    )


KEEPS_A_COROUTINE = """
# How to read a coroutine

```{example} coroutine_attribute_demo.py
:raises: AttributeError: 'coroutine' object has no attribute 'json'

import warnings

warnings.simplefilter("ignore", RuntimeWarning)  # this block hides the coroutine's warning


async def get():
    return None


get().json()
```

```{example} test_after_the_script.py
import gc


def test_collects_garbage():
    gc.collect()
```
"""


def test_what_a_scripts_error_references_goes_with_its_block(repo, pytester):
    """The AttributeError holds the unawaited coroutine: it must be destroyed in the script's
    block, under the filter that hides its warning, not by a garbage collection in a later
    block, where filterwarnings = error turns the warning into that block's failure."""
    run(repo, pytester, KEEPS_A_COROUTINE).assert_outcomes(passed=2)


@pytest.mark.parametrize(("text", "loaded"), [(PASSING, False), (OUTCOME, True)])
def test_pytester_is_registered_only_where_a_check_runs_pytest(repo, pytester, text, loaded):
    """Plain test modules run without pytester's plugin; an :outcome: block gets it."""
    probe = (
        "\n\n```{example} test_probe.py\n"
        "def test_probe(request):\n"
        "    print('PYTESTER', request.config.pluginmanager.has_plugin('pytester'))\n"
        "```\n"
    )
    result = run(repo, pytester, text.rstrip("\n") + probe, "-s")
    result.stdout.fnmatch_lines([f"*PYTESTER {loaded}*"])
    assert result.ret == 0


def test_a_generated_file_edited_by_hand_stops_the_run_with_one_error(repo, pytester):
    """Its lines are no longer its block's: nothing of it runs, and the run ends with one
    usage error naming the file and the page line, not an internal error."""
    run(repo, pytester, PASSING).assert_outcomes(passed=2)
    edited = repo.root / "examples/how_to/page/double_client.py"
    edited.write_text(edited.read_text().replace("2 * x", "3 * x"))
    result = pytester.runpytest_subprocess(str(repo.root / "examples"), "-p", "no:randomly")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(
        [
            f"ERROR: {edited}: lines * are not the block at docs/how-to/page.md:3; the "
            "folder is generated from the pages: edit the page and run `nox -s extract`"
        ]
    )
    assert "INTERNALERROR" not in result.stdout.str() + result.stderr.str()
    result.assert_outcomes()  # nothing ran
