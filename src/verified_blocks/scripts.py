"""The check of a script: a module that is not a test runs as ``python file.py``.

It must finish cleanly, print exactly ``:stdout:`` if its page states it, or
raise exactly ``:raises:`` for the running Python version, from the block that
says so. Every failure names the page line of the block, or of the line that
raised.

Standard library and pytest only: it runs on every interpreter under test.
"""

from __future__ import annotations

import io
import runpy
import traceback
from contextlib import redirect_stdout
from pathlib import Path

import pytest

from .deadline import DeadlinePassed
from .manifest import ExampleFile
from .run_state import VERSION, BlockMismatch, State


def check_script(
    f: ExampleFile, path: Path, pytester: pytest.Pytester | None, state: State
) -> str | None:
    """Run the module as a script; compare what it prints and what it raises."""
    from .pycon import exception_line  # doctest's import is paid only when needed

    block = f.last
    out = io.StringIO()
    error: BaseException | None = None
    try:
        with redirect_stdout(out):
            runpy.run_path(str(path), run_name="__main__")
    except (KeyboardInterrupt, DeadlinePassed, pytest.skip.Exception, pytest.fail.Exception):
        raise
    except BaseException as caught:  # noqa: BLE001 - what the page expects may be any
        error = caught
    expected = block.raises.at(VERSION) if block.raises else None
    observed = exception_line(error) if error is not None else None
    if expected is None and error is not None:
        where = state.locate(error) or block.where
        raise BlockMismatch(
            f"{where}: raised {observed}, but the page shows this block running cleanly\n"
            + _format(error, state.root),
            observed,
        )
    if expected is not None:
        if error is None:
            raise BlockMismatch(
                f"{block.where}: the page says this raises {expected!r} on Python {VERSION}, "
                "but it ran without an error"
            )
        if observed != expected:
            raise BlockMismatch(
                f"{block.where}: the page says this raises {expected!r} on Python {VERSION}, "
                f"but it raised {observed!r}\n" + _format(error, state.root),
                observed,
            )
        placed = f.placed[-1]
        lines = [
            fr.lineno
            for fr in traceback.extract_tb(error.__traceback__)
            if _same(fr.filename, path)
        ]
        if not any(placed.start <= line <= placed.end for line in lines if line):
            raise BlockMismatch(
                f"{block.where}: raised {observed!r} as the page says, but from "
                f"{state.locate(error)}, not from this block\n" + _format(error, state.root),
                observed,
            )
    if block.stdout is not None and out.getvalue().rstrip("\n") != block.stdout.rstrip("\n"):
        raise BlockMismatch(
            f"{block.where}: printed output differs from the page\n"
            f"--- page\n{block.stdout}\n--- printed\n{out.getvalue()}",
            observed,
        )
    # The error's traceback holds this frame, which holds the error: a cycle that only a
    # later garbage collection breaks, in another block, under its warning filters. What
    # the error references (an unawaited coroutine, say) must go now, under this block's.
    del error
    return observed


def _format(error: BaseException, root: Path) -> str:
    """The traceback from the first frame in ``examples/`` on (not runpy's or ours)."""
    tb = error.__traceback__
    while tb is not None and not Path(tb.tb_frame.f_code.co_filename).is_relative_to(root):
        tb = tb.tb_next
    return "".join(traceback.format_exception(type(error), error, tb or error.__traceback__))


def _same(filename: str, path: Path) -> bool:
    try:
        return Path(filename).resolve() == path.resolve()
    except OSError:
        return False
