"""pytest plugin: run every file of ``examples/`` as its page says it behaves.

This module owns the hooks: which check each generated file gets, the items that
run them, where the hang guard is armed, and how a failure is reported at its page
line. The checks, which compare what ran with what the page says, are
:mod:`~verified_blocks.scripts` (``:raises:``, ``:stdout:``),
:mod:`~verified_blocks.isolated` (``:outcome:``, ``:lines:``, ``console``) and
:mod:`~verified_blocks.pycon`; the JSON report is :mod:`~verified_blocks.blocks_report`.

- A test module (``test_*.py``) with no stated outcome is collected by pytest
  as usual: all its tests must pass.
- A test module with ``:outcome:`` is run in an isolated pytest run through
  pytest's own ``pytester``; the counts and the ``:lines:`` must match.
- Any other module is run as ``python file.py`` would run it: it must finish,
  print ``:stdout:`` if stated, or raise exactly ``:raises:`` for the running
  Python version, from the block that says so.
- A ``pycon`` session runs as in ``python -m asyncio``; a ``console`` session
  runs its ``pytest`` commands through ``pytester``.
- Anything that runs longer than ``blocks_timeout`` seconds (an ini option,
  :data:`TIMEOUT` by default, ``0`` for no bound) fails as hanging: a test's
  setup, call or teardown, a check, the import of a test module
  (:mod:`~verified_blocks.deadline`).

Every failure names the page and line the reader sees. With
``--blocks-report=PATH`` a JSON report of each block's outcome is written.

Standard library and pytest only: it runs on every interpreter under test.
"""

from __future__ import annotations

import contextlib
import importlib
import os
import sys
from collections.abc import Callable, Generator, Iterator
from pathlib import Path

import pytest

from . import manifest
from .deadline import Guard
from .manifest import ExampleFile
from .run_state import VERSION, BlockMismatch, State
from .spec import version_key

#: The hang guard's bound by default, in seconds, for each phase (setup, call, teardown)
#: of an item. The slowest phase in the guide takes 0.7 s (`--durations`, on 3.10 and
#: 3.13), so 20 s leaves room for a loaded machine, coverage's tracing and `-X dev`, and
#: still fails a hang in seconds where CI would wait for its job's limit. The ini option
#: `blocks_timeout` overrides it: the toolchain's tests set 1 s, and a maintainer in a
#: debugger, or on a slow machine, can lift it without editing code.
TIMEOUT = 20.0

_STATE = pytest.StashKey[State]()

#: What a check is given: the file, its path, pytester for those that run pytest, the run;
#: what it returns: what it observed (an exception line, pytest's counts), for the report.
Check = Callable[[ExampleFile, Path, pytest.Pytester | None, State], str | None]


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("verified blocks")
    group.addoption(
        "--blocks-report",
        metavar="PATH",
        help="write a JSON report of every block's expected and observed outcome",
    )
    parser.addini(
        "blocks_timeout",
        "seconds a test or a block may run before it fails as hanging (0: no bound)",
        type="float",
        default=TIMEOUT,
    )


def pytest_configure(config: pytest.Config) -> None:
    root = config.rootpath.resolve()
    path = root / manifest.MANIFEST
    if not path.is_file():
        raise pytest.UsageError(f"{path} not found: run `nox -s extract` first")
    files = manifest.Manifest(path)  # each file is read when the run first meets it
    for folder in sorted({os.path.dirname(root / rel) for rel in files}, reverse=True):
        if folder not in sys.path:
            sys.path.insert(0, folder)
    state = State(root, files, inherited=_socket_options(config))
    seconds = config.getini("blocks_timeout")
    if seconds > 0:
        target = config.getoption("--blocks-report")
        report = Path(target).absolute() if target else None  # scripts run elsewhere

        def forget_report() -> None:  # a run stopped midway verifies nothing
            if report is not None:
                report.unlink(missing_ok=True)

        # No POSIX signals, or pytest outside the main thread: no bound.
        with contextlib.suppress(ValueError):
            state.guard = Guard(seconds, state.page_line, forget_report)
    config.stash[_STATE] = state


def pytest_unconfigure(config: pytest.Config) -> None:
    state = config.stash.get(_STATE, None)
    if state is not None and state.guard is not None:
        state.guard.close()
        state.guard = None


def _socket_options(config: pytest.Config) -> list[str]:
    """pytest-socket's limits on this run, if it has any, as command-line options.

    An isolated run gets them too: a page's own pytest.ini does not name them, and
    pytest-socket lifts its limits after every test, the isolated run's included.
    """
    options = []
    if config.getoption("disable_socket", False):
        options.append("--disable-socket")
    hosts = config.getoption("allow_hosts", None)
    if hosts:
        options.append(f"--allow-hosts={hosts}")
    if config.getoption("allow_unix_socket", False):
        options.append("--allow-unix-socket")
    return options


def _state(node: pytest.Item | pytest.Collector) -> State:
    return node.config.stash[_STATE]


# -- collection ---------------------------------------------------------------------------


@pytest.hookimpl(tryfirst=True)
def pytest_pycollect_makemodule(
    module_path: Path, parent: pytest.Collector
) -> BlockFile | Unreadable | None:
    """Test modules that must not simply pass get an item of their own."""
    state = _state(parent)
    f = state.file_for(module_path)
    if f is None:
        if module_path in state.unreadable:
            return Unreadable.from_parent(parent, path=module_path)  # never import it
        return None
    if f.kind == "test" and _ordinary(f):
        return None  # an ordinary test module: pytest collects it
    # A module named on the command line reaches this hook too: never import it here.
    return BlockFile.from_parent(parent, path=module_path)


def pytest_collect_file(file_path: Path, parent: pytest.Collector) -> BlockFile | None:
    f = _state(parent).file_for(file_path)
    if f is None or f.kind not in ("module", "pycon", "console"):
        return None
    if f.kind == "module" and parent.session.isinitpath(file_path):
        return None  # pytest's python plugin collects it, through the hook above
    return BlockFile.from_parent(parent, path=file_path)


class Unreadable(pytest.File):
    """A generated file edited by hand: nothing of it runs, and the collection ends with
    one usage error that names it (:func:`pytest_collection_finish`)."""

    def collect(self) -> Iterator[pytest.Item]:
        return iter(())


def pytest_collection_finish(session: pytest.Session) -> None:
    state = session.config.stash.get(_STATE, None)
    if state is not None and state.unreadable:
        raise pytest.UsageError("\n".join(state.unreadable.values()))


def _runs_here(f: ExampleFile) -> bool:
    return f.min_python is None or version_key(VERSION) >= version_key(f.min_python)


def _lazy(module: str, name: str) -> Check:
    """The check ``name`` of ``module``, imported by the first file that needs it: a run
    of plain test modules (most pages, every mutant of one) imports none of them, nor
    what they import (doctest, for the pycon sessions)."""

    def check(
        f: ExampleFile, path: Path, pytester: pytest.Pytester | None, state: State
    ) -> str | None:
        found: Check = getattr(importlib.import_module(f".{module}", __package__), name)
        return found(f, path, pytester, state)

    return check


#: The check of each kind of file, and whether it runs pytest. Only those that do ask
#: for pytester: its fixture makes a directory and snapshots sys.path and sys.modules
#: for every item that requests it.
_CHECKS: dict[str, tuple[Check, bool]] = {
    "test": (_lazy("isolated", "check_outcome"), True),
    "module": (_lazy("scripts", "check_script"), False),
    "pycon": (_lazy("pycon", "check_pycon"), False),
    "console": (_lazy("isolated", "check_console"), True),
}


def _ordinary(f: ExampleFile) -> bool:
    """A test module pytest collects as usual: all its tests must pass, here."""
    return f.last.outcome is None and f.skip is None and _runs_here(f)


class BlockFile(pytest.File):
    """A generated file checked as a whole: one item, named after its page and line."""

    def collect(self) -> Iterator[BlockItem]:
        state = _state(self)
        f = state.file_for(self.path)
        assert f is not None
        check, runs_pytest = _CHECKS[f.kind]
        if runs_pytest and not self.config.pluginmanager.has_plugin("pytester"):
            # Registered only where a check runs pytest, before its item asks for the
            # fixture: its fixtures and hooks would cost every other run for nothing.
            self.config.pluginmanager.import_plugin("pytester")

        def run_block(pytester: pytest.Pytester | None) -> None:
            if f.skip is not None:
                pytest.skip(f"{f.last.where}: not run: {f.skip}")
            if not _runs_here(f):
                pytest.skip(f"{f.last.where}: needs Python {f.min_python}+")
            try:
                state.observed[f.path] = check(f, self.path, pytester, state)
            except BlockMismatch as mismatch:
                state.observed[f.path] = mismatch.observed
                if not _hung(state):
                    raise
            except BaseException:
                if not _hung(state):
                    raise
            else:
                if not _hung(state):
                    return
            # Past the bound, whatever the check saw (a test failed by the interruption,
            # counts that happen to match) is not what the page describes.
            assert state.guard is not None
            state.observed[f.path] = f"did not finish within {state.guard.seconds:g} s"
            raise BlockMismatch(state.guard.message(f.last.where), state.observed[f.path])

        def run_pytest_block(pytester: pytest.Pytester) -> None:
            run_block(pytester)  # in pytester's own directory

        def run_script_block(verified_blocks_scratch: Path) -> None:
            with pytest.MonkeyPatch.context() as mp:
                mp.chdir(verified_blocks_scratch)
                run_block(None)

        kind = {"test": "outcome", "module": "raises" if f.last.raises else "runs"}.get(
            f.kind, f.kind
        )
        # Scripts and sessions share one scratch directory, so that a file one writes
        # where it runs lands there, never in the repository.
        yield BlockItem.from_parent(
            self,
            name=f"{kind}[{f.last.where}]",
            callobj=run_pytest_block if runs_pytest else run_script_block,
        )


def _hung(state: State) -> bool:
    return state.guard is not None and state.guard.expiry is not None


@pytest.fixture(scope="session")
def verified_blocks_scratch(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The working directory of the scripts and sessions this run checks."""
    return tmp_path_factory.mktemp("scripts")


class BlockItem(pytest.Function):
    """A check of one generated file (a Function, so that it can use ``pytester``)."""

    def reportinfo(self) -> tuple[Path, None, str]:
        return self.path, None, self.name


# -- the hang guard -------------------------------------------------------------------------


def _subject(item: pytest.Item, f: ExampleFile) -> tuple[str, str]:
    """What an item runs, for the hang guard: (page line, ``block`` or ``test``)."""
    if isinstance(item, BlockItem):
        return f.last.where, "block"
    line = item.location[1]
    return (f.where(line + 1) if line is not None else f.last.where), "test"


_SUBJECT = pytest.StashKey[tuple[str, str]]()


def _arm(item: pytest.Item) -> None:
    """Start the bound of one phase (setup, call, teardown) of an item of a generated file.

    Each phase has a bound of its own, and only the phase itself is under it: the bound
    ends where pytest makes the phase's report (:func:`pytest_runtest_makereport`), which
    formats the traceback of a phase that ran past it. Plain hooks that run first, not
    wrappers: a wrapper costs every phase of every test a generator more.
    """
    state = item.config.stash.get(_STATE, None)
    if state is None or state.guard is None:
        return
    subject = item.stash.get(_SUBJECT, None)
    if subject is None:
        f = state.file_for(item.path)
        if f is None:
            return
        subject = item.stash[_SUBJECT] = _subject(item, f)
    state.guard.arm(*subject)


@pytest.hookimpl(tryfirst=True)
def pytest_runtest_setup(item: pytest.Item) -> None:
    _arm(item)


@pytest.hookimpl(tryfirst=True)
def pytest_runtest_call(item: pytest.Item) -> None:
    _arm(item)


@pytest.hookimpl(tryfirst=True)
def pytest_runtest_teardown(item: pytest.Item) -> None:
    _arm(item)


@pytest.hookimpl(wrapper=True)
def pytest_make_collect_report(
    collector: pytest.Collector,
) -> Generator[None, pytest.CollectReport, pytest.CollectReport]:
    """Importing a test module runs its top level: within the bound too."""
    state = collector.config.stash.get(_STATE, None)
    guard = state.guard if state is not None else None
    f = state.file_for(collector.path) if state is not None else None
    if guard is None or f is None:
        return (yield)
    where = f.placed[0].block.where
    guard.arm(where)
    try:
        report = yield
    finally:
        guard.disarm()
    if guard.expiry is not None:
        report.outcome = "failed"
        report.longrepr = guard.message(where)
    return report


# -- reporting ------------------------------------------------------------------------------


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(
    item: pytest.Item, call: pytest.CallInfo[None]
) -> Generator[None, pytest.TestReport, pytest.TestReport]:
    state = item.config.stash.get(_STATE, None)
    if state is not None and state.guard is not None:
        state.guard.disarm()  # the phase is over: its report is not under the bound
    report = yield
    f = state.file_for(item.path) if state else None
    if state is None or f is None:
        return report
    guard = state.guard
    if guard is not None and guard.expiry is not None:  # this phase ran past the bound
        report.outcome = "failed"
        report.longrepr = guard.message(*_subject(item, f))
    elif report.failed and call.excinfo is not None:
        if isinstance(call.excinfo.value, BlockMismatch):
            report.longrepr = str(call.excinfo.value)
        else:
            where = state.locate(call.excinfo.value) or f.last.where
            report.sections.append(("page", f"this test is shown on the page at {where}"))
            crash = getattr(report.longrepr, "reprcrash", None)
            if crash is not None:
                # the report's "observed": pytest's failing line, as the badge shows it
                if crash.message and not state.observed.get(f.path):
                    state.observed[f.path] = crash.message.splitlines()[0]
                crash.message = f"{where}: {crash.message}"
    if report.when == "call" or (report.when == "setup" and not report.passed):
        line = item.location[1] + 1 if item.location[1] is not None else None
        observed = state.observed.pop(f.path, None)
        state.results.setdefault(f.path, []).append((line, report.outcome, observed))
    return report


def pytest_sessionfinish(session: pytest.Session) -> None:
    target = session.config.getoption("--blocks-report")
    state = session.config.stash.get(_STATE, None)
    if target and state is not None:
        from . import blocks_report

        blocks_report.write(state, Path(target))
