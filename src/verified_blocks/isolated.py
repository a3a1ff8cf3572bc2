"""The checks that run pytest itself: a test module's ``:outcome:`` and ``:lines:``,
and a ``console`` block's ``$ pytest ...`` commands.

Each run is isolated: in-process, through pytest's ``pytester``, in a fresh
directory holding a copy of the page's folder, under Python's own warning filters
and the page's own configuration, in the 80-column terminal a reader has. What it
printed is compared with the page by the rules of :mod:`verified_blocks.lines`.

Standard library and pytest only: it runs on every interpreter under test.
"""

from __future__ import annotations

import re
import shlex
import sys
import warnings
from pathlib import Path

import pytest

from . import lines
from .manifest import ExampleFile
from .run_state import VERSION, BlockMismatch, State

_CONFIG_FILES = ("pytest.ini", "pyproject.toml", "tox.ini", "setup.cfg")


def check_outcome(
    f: ExampleFile, path: Path, pytester: pytest.Pytester | None, state: State
) -> str:
    """Run the test module alone under pytest and compare counts and output lines."""
    block = f.last
    assert block.outcome is not None and pytester is not None
    result = isolated_pytest(state, path, pytester, [path.name])
    observed = {k: v for k, v in result.parseoutcomes().items() if k in _OUTCOMES}
    observed = {_OUTCOMES[k]: v for k, v in observed.items()}
    summary = " ".join(f"{k}={v}" for k, v in sorted(observed.items()))
    expected = dict(block.outcome)
    if "warnings" not in expected:
        observed.pop("warnings", None)
    if observed != expected:
        raise BlockMismatch(
            f"{block.where}: pytest reported {_counts(observed)}, the page says "
            f"{_counts(expected)}\n{_tail(result)}",
            summary,
        )
    if block.lines is not None:
        want = block.lines.at(VERSION).splitlines()
        missing = lines.first_missing(want, result.outlines + result.errlines)
        if missing is not None:
            raise BlockMismatch(
                f"{block.where}: pytest did not print, in this order, a line containing\n"
                f"    {missing}\n{_tail(result)}",
                summary,
            )
    return summary


_OUTCOMES = {
    "passed": "passed",
    "failed": "failed",
    "error": "errors",
    "errors": "errors",
    "skipped": "skipped",
    "xfailed": "xfailed",
    "xpassed": "xpassed",
    "warning": "warnings",
    "warnings": "warnings",
}

_COMMAND = re.compile(r"^\$ (?P<command>.*)$")


def check_console(
    f: ExampleFile, path: Path, pytester: pytest.Pytester | None, state: State
) -> None:
    """Run each ``$ pytest ...`` of the session and compare the lines it prints."""
    assert pytester is not None
    placed = f.placed[0]
    text = path.read_text(encoding="utf-8").splitlines()
    commands: list[tuple[int, str, list[str]]] = []
    for number, line in enumerate(text, start=1):
        match = _COMMAND.match(line)
        if match:
            commands.append((number, match["command"], []))
        elif commands and line.strip():
            commands[-1][2].append(line)
    if not commands:
        raise BlockMismatch(f"{placed.block.where}: a console block needs a `$ command` line")
    for number, command, want in commands:
        args = shlex.split(command)
        if args[:1] == ["pytest"]:
            args = args[1:]
        elif args[:3] == ["python", "-m", "pytest"]:
            args = args[3:]
        else:
            raise BlockMismatch(
                f"{f.where(number)}: only pytest commands can run here; give a block "
                f"that runs `{command}` a :skip: reason"
            )
        result = isolated_pytest(state, path, pytester, args)
        missing = lines.first_missing_normal(want, result.outlines)
        if missing is not None:
            raise BlockMismatch(
                f"{f.where(number)}: `{command}` did not print, in this order, the line\n"
                f"    {missing}\n{_tail(result)}"
            )


def isolated_pytest(
    state: State, path: Path, pytester: pytest.Pytester, args: list[str]
) -> pytest.RunResult:
    """Run pytest in-process in a fresh directory holding a copy of the page's folder."""
    folder = path.parent
    names = {p.name for p in folder.iterdir() if p.is_file()}
    for p in folder.iterdir():
        if p.is_file() and p.suffix not in (".pycon", ".console") and p.name != "__init__.py":
            (pytester.path / p.name).write_bytes(p.read_bytes())
    if not names.intersection(_CONFIG_FILES):
        ini = (state.root / "pytest.ini").read_text(encoding="utf-8")
        (pytester.path / "pytest.ini").write_text(ini, encoding="utf-8")
    # The page's modules may already be imported by this run, from examples/: forget
    # them for the isolated run (pytester restores sys.modules afterwards).
    stems = {Path(n).stem for n in names if n.endswith(".py")}
    saved = {name: sys.modules.pop(name) for name in list(sys.modules) if name in stems}
    state.copies[pytester.path] = folder  # a hang is reported at the page line of a copy
    try:
        # Start from Python's own warning filters, as a fresh `pytest` would, not from
        # this run's (filterwarnings = error would leak into the isolated run).
        with warnings.catch_warnings(), pytest.MonkeyPatch.context() as env:
            warnings.resetwarnings()
            _reader_terminal(env)
            # A page shows pytest's output in pytest's own order: a plugin that shuffles
            # tests (pytest-randomly, in `nox -s flakes`) must not reorder what it prints.
            return pytester.runpytest_inprocess(
                "-p",
                "no:cacheprovider",
                "-p",
                "no:randomly",
                *state.inherited,
                *args,
                plugins=[_StopWhenHung(state)],
            )
    finally:
        del state.copies[pytester.path]
        sys.modules.update(saved)


class _StopWhenHung:
    """In an isolated run: once the hang guard has fired, run no further test."""

    def __init__(self, state: State) -> None:
        self.state = state

    def pytest_runtest_teardown(self, item: pytest.Item) -> None:
        guard = self.state.guard
        if guard is not None and guard.expiry is not None:
            item.session.shouldstop = "a test ran past the hang guard's bound"


# What pytest prints depends on where it runs: on CI (either variable set) it neither
# cuts the short test summary lines to the terminal's width nor truncates assertion
# diffs, and the width comes from COLUMNS. A page shows what a reader sees in a
# terminal of 80 columns, so the isolated run is that terminal wherever it runs.
_UNSET = ("CI", "BUILD_NUMBER", "PYTEST_THEME", "PYTEST_THEME_MODE", "FORCE_COLOR", "NO_COLOR")


def _reader_terminal(env: pytest.MonkeyPatch) -> None:
    for name in _UNSET:
        env.delenv(name, raising=False)
    env.setenv("COLUMNS", "80")
    env.setenv("LINES", "24")


def _counts(counts: dict[str, int]) -> str:
    return ", ".join(f"{v} {k}" for k, v in sorted(counts.items())) or "no tests"


def _tail(result: pytest.RunResult, count: int = 25) -> str:
    shown = result.outlines[-count:]
    return "pytest printed (last lines):\n" + "\n".join(f"    {line}" for line in shown)
