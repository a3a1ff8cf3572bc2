"""Every failure the plugin can print, with its text and the page line it names.

Each test writes a page into a throwaway repository, extracts it and runs its examples
in a new process, as `nox -s examples` does. Already pinned, with their page line, in
test_runs.py: a wrong `:raises:` message, a `:raises:` that never happens, a failing test
("this test is shown on the page at ..."), counts that differ from `:outcome:`, and a
`:lines:` line pytest did not print. The hang guard's, in test_hang_guard.py.
"""

from __future__ import annotations

import sys

import pytest
from test_runs import run

VERSION = f"{sys.version_info.major}.{sys.version_info.minor}"


# -- the run itself -------------------------------------------------------------------------


def test_a_run_without_a_manifest_says_to_extract(repo, pytester):
    run(repo, pytester, "# How to start\n\n```{example} start.py\nprint('hi')\n```\n")
    (repo.root / "examples" / "manifest.json").unlink()
    result = pytester.runpytest_subprocess(str(repo.root / "examples"))
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(["*examples/manifest.json not found: run `nox -s extract` first"])


# -- skipped blocks -------------------------------------------------------------------------


def test_a_skipped_block_says_why_at_its_line(repo, pytester):
    page = """
    # How to skip

    Some text.

    ```{example} skipped.py
    :skip: it needs a real broker

    import broker
    ```
    """
    result = run(repo, pytester, page, "-rs")
    result.assert_outcomes(skipped=1)
    result.stdout.fnmatch_lines(
        ["SKIPPED * docs/how-to/page.md:5: not run: it needs a real broker"]
    )


@pytest.mark.skipif(sys.version_info >= (3, 15), reason="3.15 is the newest supported Python")
def test_a_block_for_a_newer_python_says_which(repo, pytester):
    page = """
    # How to wait for a newer Python

    ```{example} newer.py
    :min-python: 3.15

    print("hi")
    ```
    """
    result = run(repo, pytester, page, "-rs")
    result.assert_outcomes(skipped=1)
    result.stdout.fnmatch_lines(["SKIPPED * docs/how-to/page.md:3: needs Python 3.15+"])


# -- scripts: :raises: and :stdout: ---------------------------------------------------------

TWO_BLOCKS = """
# How to fail early

```{example} early.py
def check(value):
    if value < 0:
        raise ValueError("negative")
    return value
```

```{example} early.py
:raises: ValueError: negative

check(-1)
```
"""


def test_an_unexpected_exception_is_reported_where_it_was_raised(repo, pytester):
    text = TWO_BLOCKS.replace(":raises: ValueError: negative\n", "")
    result = run(repo, pytester, text)
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(
        [
            "docs/how-to/page.md:6 (block at line 3): raised ValueError: negative, "
            "but the page shows this block running cleanly",
            "Traceback (most recent call last):",
            "*ValueError: negative",
        ]
    )


def test_an_expected_exception_from_another_block_fails(repo, pytester):
    """The first block raises it, at import: the block that says it raises never runs."""
    text = TWO_BLOCKS.replace("    return value\n", "    return value\n\n\ncheck(-2)\n")
    result = run(repo, pytester, text)
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(
        [
            "docs/how-to/page.md:13: raised 'ValueError: negative' as the page says, but "
            "from docs/how-to/page.md:6 (block at line 3), not from this block",
            "Traceback (most recent call last):",
        ]
    )


def test_the_page_passes_as_written(repo, pytester):
    run(repo, pytester, TWO_BLOCKS).assert_outcomes(passed=1)


def versioned(override: str) -> str:
    return f"""
    # How to raise on every Python

    ```{{example}} versions.py
    ---
    raises: TypeError: right
    {override}
    ---
    raise TypeError("right")
    ```
    """


@pytest.mark.skipif(VERSION == "3.10", reason="3.10 has no :raises-3.10: (the base is 3.10's)")
def test_the_message_for_this_python_is_the_one_checked(repo, pytester):
    page = versioned(f"raises-{VERSION}: TypeError: wrong from {VERSION} on")
    result = run(repo, pytester, page)
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(
        [
            f"docs/how-to/page.md:3: the page says this raises 'TypeError: wrong from "
            f"{VERSION} on' on Python {VERSION}, but it raised 'TypeError: right'",
        ]
    )


@pytest.mark.skipif(VERSION == "3.15", reason="3.15 is the newest supported Python")
def test_the_message_for_a_later_python_is_not_checked_here(repo, pytester):
    run(repo, pytester, versioned("raises-3.15: TypeError: wrong")).assert_outcomes(passed=1)


def test_printed_output_that_differs_shows_both(repo, pytester):
    page = """
    # How to greet

    ```{example} greet.py
    :stdout: hello

    print("hullo")
    ```
    """
    result = run(repo, pytester, page)
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(
        [
            "docs/how-to/page.md:3: printed output differs from the page",
            "--- page",
            "hello",
            "--- printed",
            "hullo",
        ]
    )


# -- tests ----------------------------------------------------------------------------------

FAILING_TEST = """
# How to double

```{example} test_doubles.py
import pytest


@pytest.mark.asyncio
async def test_double():
    assert 2 * 2 == 5
```
"""


def test_a_failing_test_names_its_page_line_in_the_summary(repo, pytester, monkeypatch):
    monkeypatch.setenv("CI", "1")  # a summary line in full, however wide the terminal
    result = run(repo, pytester, FAILING_TEST, "-rf")
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(
        [
            "------* page *------",
            "this test is shown on the page at docs/how-to/page.md:9 (block at line 3)",
            "*= short test summary info =*",
            "FAILED *test_doubles.py::test_double - "
            "docs/how-to/page.md:9 (block at line 3): assert (2 * 2) == 5",
        ]
    )


# -- sessions -------------------------------------------------------------------------------


def test_a_session_that_differs_names_the_statement(repo, pytester):
    page = """
    # How to add

    ```{example} adding.pycon
    >>> 1 + 1
    2
    >>> 2 + 2
    5
    ```
    """
    result = run(repo, pytester, page)
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(
        [
            "docs/how-to/page.md:6 (block at line 3): the session differs from the page at",
            ">>> 2 + 2",
            "--- page",
            "5",
            "--- got",
            "4",
        ]
    )


CONSOLE = """
# How to run it

```{example} test_once.py
def test_once():
    pass
```

```{example} once.console
$ pytest -q test_once.py
1 passed in 0.01s
```
"""


def test_the_console_page_passes_as_written(repo, pytester):
    run(repo, pytester, CONSOLE).assert_outcomes(passed=2)


def test_a_console_line_not_printed_is_named_with_its_command(repo, pytester):
    result = run(repo, pytester, CONSOLE.replace("1 passed in", "2 passed in"))
    result.assert_outcomes(passed=1, failed=1)
    result.stdout.fnmatch_lines(
        [
            "docs/how-to/page.md:9 (block at line 8): `pytest -q test_once.py` did not "
            "print, in this order, the line",
            "    2 passed in 0.01s",
            "pytest printed (last lines):",
        ]
    )


def test_a_console_command_other_than_pytest_needs_a_skip(repo, pytester):
    result = run(repo, pytester, CONSOLE.replace("$ pytest -q test_once.py", "$ ls"))
    result.assert_outcomes(passed=1, failed=1)
    result.stdout.fnmatch_lines(
        [
            "docs/how-to/page.md:9 (block at line 8): only pytest commands can run here; "
            "give a block that runs `ls` a :skip: reason"
        ]
    )


def test_a_console_block_without_a_command_fails(repo, pytester):
    result = run(repo, pytester, CONSOLE.replace("$ pytest -q test_once.py\n", ""))
    result.assert_outcomes(passed=1, failed=1)
    result.stdout.fnmatch_lines(["docs/how-to/page.md:8: a console block needs a `$ command` line"])
