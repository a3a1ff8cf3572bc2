"""The check of a ``pycon`` block: run the session the way ``python -m asyncio``
would, and compare what each statement prints with the page.

doctest parses the session and compares the output; the statements run with
top-level ``await`` on one event loop, as in the asyncio REPL, which plain
doctest (and tools built on it) cannot do. Each statement's code carries the
line numbers of the session file, so a traceback, or the hang guard, finds the
page line a statement runs at.
"""

from __future__ import annotations

import ast
import asyncio
import doctest
import inspect
import io
import sys
from collections.abc import Callable
from contextlib import redirect_stdout
from dataclasses import dataclass
from pathlib import Path
from types import CodeType

import pytest

from .manifest import ExampleFile
from .run_state import BlockMismatch, State

_FLAGS = doctest.ELLIPSIS
_CHECKER = doctest.OutputChecker()


@dataclass
class Mismatch:
    """The first statement whose output differs from the session on the page."""

    file_line: int  #: 1-based line of the ``>>>`` in the session file
    source: str
    want: str
    got: str


def exception_line(error: BaseException) -> str:
    """The last line of a traceback, as Python prints it (without notes)."""
    kind = type(error)
    name = kind.__qualname__
    if kind.__module__ not in ("builtins", "__main__"):
        name = f"{kind.__module__}.{name}"
    message = str(error)
    return f"{name}: {message}" if message else name


def check_pycon(f: ExampleFile, path: Path, pytester: pytest.Pytester | None, state: State) -> None:
    """Run the session file; the first statement whose output differs fails the block."""
    mismatch = run_session(path.read_text(encoding="utf-8"), str(path))
    if mismatch is not None:
        where = f.where(mismatch.file_line)
        raise BlockMismatch(
            f"{where}: the session differs from the page at\n>>> {mismatch.source}"
            f"--- page\n{mismatch.want}--- got\n{mismatch.got}",
            mismatch.got.strip(),
        )


def run_session(
    text: str, name: str, namespace: dict[str, object] | None = None
) -> Mismatch | None:
    """Run every statement of ``text``; the first mismatch, or None if all match."""
    examples = doctest.DocTestParser().get_examples(text, name)
    namespace = {"__name__": "__main__", "asyncio": asyncio} if namespace is None else namespace
    loop = asyncio.new_event_loop()
    try:
        for example in examples:
            got = _run(example.source, name, example.lineno, namespace, loop)
            want = example.want
            if example.exc_msg is not None:
                want = example.exc_msg
                got = got.splitlines()[-1] + "\n" if got.startswith("Traceback") else got
            if not _CHECKER.check_output(want, got, _FLAGS):
                return Mismatch(example.lineno + 1, example.source, want, got)
        return None
    finally:
        loop.run_until_complete(loop.shutdown_asyncgens())
        loop.close()


def _compile(source: str, name: str, offset: int) -> CodeType:
    """The statement's code, its lines numbered as in the file (``offset``: the 0-based
    line of its ``>>>``). A statement that does not compile raises the error it raised
    before its lines were numbered so, with the same message."""
    flags = ast.PyCF_ALLOW_TOP_LEVEL_AWAIT
    code: CodeType
    try:
        tree = compile(source, name, "single", flags=flags | ast.PyCF_ONLY_AST)
        ast.increment_lineno(tree, offset)
        code = compile(tree, name, "single", flags=flags)
    except SyntaxError:
        code = compile(source, name, "single", flags=flags)  # raises it as the session shows
    return code


def _run(
    source: str,
    name: str,
    offset: int,
    namespace: dict[str, object],
    loop: asyncio.AbstractEventLoop,
) -> str:
    out = io.StringIO()
    old_hook = sys.displayhook
    sys.displayhook = _display(out)
    try:
        with redirect_stdout(out):
            code = _compile(source, name, offset)
            result = eval(code, namespace)  # noqa: S307 - running the page's own session
            if code.co_flags & inspect.CO_COROUTINE:
                loop.run_until_complete(result)
    except Exception as error:  # the session shows it as a traceback
        return (
            out.getvalue() + "Traceback (most recent call last):\n" + exception_line(error) + "\n"
        )
    finally:
        sys.displayhook = old_hook
    return out.getvalue()


def _display(out: io.StringIO) -> Callable[[object], None]:
    def hook(value: object) -> None:
        if value is not None:
            out.write(repr(value) + "\n")

    return hook
