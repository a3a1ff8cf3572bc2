"""The hang guard: a block that hangs fails within the bound, at its page line.

Each kind of block is made to hang on a page written into a throwaway repository, run
in a new process with a bound of 1 s, as `nox -s examples` runs it with 20 s. Without
the guard, each of these runs would never end: the test fails at LIMIT instead.
"""

from __future__ import annotations

import json
import time

import pytest
from test_runs import run

from verified_blocks.deadline import STOPPED, DeadlinePassed

#: The bound these tests set: small, so that a hang fails fast.
BOUND = ("-o", "blocks_timeout=1")
#: How long such a run takes at most: startup, the bound (twice, for a block that will
#: not stop), teardown, on a loaded machine; well under the default bound of 20 s.
QUICK = 15
#: Where a run that the guard does not stop is stopped, and its test fails.
LIMIT = 60


def hangs(repo, pytester, text: str, *args: str) -> pytest.RunResult:
    result = run(repo, pytester, text, *BOUND, *args, timeout=LIMIT)
    assert result.duration < QUICK
    return result


HANGING_TEST = """
# How to wait for nothing

```{example} test_waits.py
import asyncio

import pytest


@pytest.mark.asyncio
async def test_waits_for_an_event_never_set():
    never = asyncio.Event()
    await never.wait()
```
"""


def test_a_hanging_test_fails_at_its_line_and_its_await(repo, pytester):
    result = hangs(repo, pytester, HANGING_TEST)
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(
        [
            "docs/how-to/page.md:9 (block at line 3): this test did not finish within 1 s, "
            "waiting at",
            "    docs/how-to/page.md:12 (block at line 3): await never.wait()",
        ]
    )


def test_a_block_within_the_bound_passes(repo, pytester):
    text = HANGING_TEST.replace("await never.wait()", "await asyncio.sleep(0.3)")
    run(repo, pytester, text, "-o", "blocks_timeout=2").assert_outcomes(passed=1)


def test_a_bound_of_zero_is_no_bound(repo, pytester):
    text = HANGING_TEST.replace("await never.wait()", "await asyncio.sleep(1.5)")
    run(repo, pytester, text, *BOUND).assert_outcomes(failed=1)
    run(repo, pytester, text, "-o", "blocks_timeout=0").assert_outcomes(passed=1)


def test_a_script_that_blocks_fails_at_its_block(repo, pytester, tmp_path):
    page = """
    # How to block

    ```{example} blocks_forever.py
    import threading

    threading.Event().wait()
    ```
    """
    report = tmp_path / "report.json"
    result = hangs(repo, pytester, page, f"--blocks-report={report}")
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(
        [
            "docs/how-to/page.md:3: this block did not finish within 1 s, waiting at",
            "    docs/how-to/page.md:6 (block at line 3): threading.Event().wait()",
        ]
    )
    (record,) = json.loads(report.read_text())["blocks"]
    assert (record["outcome"], record["observed"]) == ("failed", "did not finish within 1 s")


def test_a_script_whose_event_loop_waits_forever_fails(repo, pytester):
    page = """
    # How to run forever

    ```{example} loop_forever.py
    import asyncio


    async def main():
        await asyncio.Event().wait()


    asyncio.run(main())
    ```
    """
    result = hangs(repo, pytester, page)
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(
        [
            "docs/how-to/page.md:3: this block did not finish within 1 s, waiting at",
            "    docs/how-to/page.md:11 (block at line 3): asyncio.run(main())",
            "    docs/how-to/page.md:8 (block at line 3): await asyncio.Event().wait()",
        ]
    )


def test_a_session_that_never_returns_fails_at_its_statement(repo, pytester):
    page = """
    # How to wait in the REPL

    ```{example} waits.pycon
    >>> import asyncio
    >>> await asyncio.Event().wait()
    ```
    """
    result = hangs(repo, pytester, page)
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(
        [
            "docs/how-to/page.md:3: this block did not finish within 1 s, waiting at",
            "    docs/how-to/page.md:5 (block at line 3): >>> await asyncio.Event().wait()",
        ]
    )


HANGING_OUTCOME = """
# How to fail a hanging test

```{example} test_waits_alone.py
:outcome: failed=1 passed=1

import asyncio

import pytest


@pytest.mark.asyncio
async def test_waits():
    await asyncio.Event().wait()


def test_after():
    pass
```
"""


def test_a_test_module_run_alone_that_hangs_fails_at_its_block(repo, pytester):
    """The interrupted test fails, which the page happens to expect: the block fails all
    the same, and the isolated run goes no further than the test that hung."""
    result = hangs(repo, pytester, HANGING_OUTCOME)
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(
        [
            "docs/how-to/page.md:3: this block did not finish within 1 s, waiting at",
            "    docs/how-to/page.md:13 (block at line 3): await asyncio.Event().wait()",
        ]
    )


def test_a_console_command_that_hangs_fails_at_its_block(repo, pytester):
    page = HANGING_OUTCOME.replace(":outcome: failed=1 passed=1\n\n", "") + (
        "\n```{example} waits.console\n$ pytest -q test_waits_alone.py\n1 failed\n```\n"
    )
    # the test module itself is collected by this run too: it hangs there as well
    result = hangs(repo, pytester, page)
    result.assert_outcomes(failed=2, passed=1)
    result.stdout.fnmatch_lines(
        [
            "docs/how-to/page.md:18: this block did not finish within 1 s, waiting at",
            "    docs/how-to/page.md:11 (block at line 3): await asyncio.Event().wait()",
        ]
    )


def test_a_test_module_that_hangs_when_imported_fails_at_its_line(repo, pytester):
    page = """
    # How to hang at import

    ```{example} test_hangs_on_import.py
    import time

    time.sleep(3600)


    def test_never_reached():
        pass
    ```
    """
    result = hangs(repo, pytester, page)
    assert result.ret == pytest.ExitCode.INTERRUPTED  # a collection error stops the run
    result.stdout.fnmatch_lines(
        [
            "docs/how-to/page.md:3: this block did not finish within 1 s, waiting at",
            "    docs/how-to/page.md:6 (block at line 3): time.sleep(3600)",
        ]
    )


def test_a_block_that_will_not_stop_stops_the_run(repo, pytester, tmp_path):
    """A block that swallows every interruption: the run stops after a second bound (at
    least deadline.GRACE, 5 s), and its report, which would verify nothing, is not left behind."""
    page = """
    # How to ignore everyone

    ```{example} stubborn.py
    import time

    while True:
        try:
            time.sleep(3600)
        except BaseException:
            pass
    ```
    """
    report = tmp_path / "report.json"
    report.write_text("{}")  # the last run's
    result = hangs(repo, pytester, page, f"--blocks-report={report}")
    assert result.ret == STOPPED
    result.stderr.fnmatch_lines(
        [
            "docs/how-to/page.md:3: this block did not finish within 1 s, and did not stop "
            "when interrupted: the run stops here, 6 s after it started (the stacks of its "
            "threads follow)",
            '*File "*/examples/how_to/page/stubborn.py", line * in <module>',
        ]
    )
    assert not report.exists()


def test_a_debugger_holding_the_block_is_never_interrupted():
    """At the bound, a block stopped in pdb (or anything built on bdb) is left alone."""
    from verified_blocks.deadline import Guard

    guard = Guard(0.2, lambda filename, line: None, lambda: None)
    try:
        in_pdb: dict[str, object] = {"__name__": "pdb", "time": time}
        exec("def prompt():\n    time.sleep(0.6)\n", in_pdb)
        guard.arm("docs/how-to/page.md:3")
        prompt = in_pdb["prompt"]
        assert callable(prompt)
        prompt()
        assert guard.expiry is None
        guard.arm("docs/how-to/page.md:3")
        with pytest.raises(DeadlinePassed):
            time.sleep(0.6)
        assert guard.expiry is not None
    finally:
        guard.close()
