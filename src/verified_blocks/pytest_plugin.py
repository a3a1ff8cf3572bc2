"""pytest plugin: run every file of ``examples/`` as its page says it behaves.

- A test module (``test_*.py``) with no stated outcome is collected by pytest
  as usual: all its tests must pass.
- A test module with ``:outcome:`` is run in an isolated pytest run through
  pytest's own ``pytester``; the counts and the ``:lines:`` must match.
- Any other module is run as ``python file.py`` would run it: it must finish,
  print ``:stdout:`` if stated, or raise exactly ``:raises:`` for the running
  Python version, from the block that says so.
- A ``pycon`` session runs as in ``python -m asyncio``; a ``console`` session
  runs its ``pytest`` commands through ``pytester``.

Every failure names the page and line the reader sees. With
``--blocks-report=PATH`` a JSON report of each block's outcome is written.

Standard library and pytest only: it runs on every interpreter under test.
"""

from __future__ import annotations

import io
import json
import platform
import re
import runpy
import shlex
import sys
import traceback
import warnings
from contextlib import redirect_stdout
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from . import manifest
from .manifest import ExampleFile
from .spec import ERROR_LINE, Block, fingerprint, is_bare_name, version_key

VERSION = f"{sys.version_info.major}.{sys.version_info.minor}"
_CONFIG_FILES = ("pytest.ini", "pyproject.toml", "tox.ini", "setup.cfg")


@dataclass
class _State:
    root: Path
    files: dict[str, ExampleFile]
    #: per generated file: (line of the item in the file or None, outcome, observed text)
    results: dict[str, list[tuple[int | None, str, str | None]]] = field(default_factory=dict)
    #: what the last check of each file observed (an exception line, pytest's counts)
    observed: dict[str, str | None] = field(default_factory=dict)
    #: options of this run that the isolated runs inherit (pytest-socket's limits)
    inherited: list[str] = field(default_factory=list)
    #: file_for's answers: it runs for every file collected and every test report
    #: (three per test), and resolving a path costs system calls each time.
    _owners: dict[Path, ExampleFile | None] = field(default_factory=dict)

    def locate(self, error: BaseException) -> str | None:
        """The page line of the innermost frame of ``error`` that is in a generated file."""
        for frame in reversed(traceback.extract_tb(error.__traceback__)):
            owner = self.file_for(Path(frame.filename))
            if owner is not None and frame.lineno and owner.locate(frame.lineno):
                return owner.where(frame.lineno)
        return None

    def file_for(self, path: Path) -> ExampleFile | None:
        if path not in self._owners:
            # pytest's paths are absolute: only one outside the root needs resolving
            # (through a symbolic link, say), which costs system calls.
            try:
                rel = path.relative_to(self.root).as_posix()
            except ValueError:
                try:
                    rel = path.resolve().relative_to(self.root).as_posix()
                except ValueError:
                    rel = None
            self._owners[path] = self.files.get(rel) if rel is not None else None
        return self._owners[path]


_STATE = pytest.StashKey[_State]()


class BlockMismatch(Exception):
    """A block did not behave as its page says; the message names the page and line."""

    def __init__(self, message: str, observed: str | None = None) -> None:
        super().__init__(message)
        self.observed = observed


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("verified blocks")
    group.addoption(
        "--blocks-report",
        metavar="PATH",
        help="write a JSON report of every block's expected and observed outcome",
    )


def pytest_configure(config: pytest.Config) -> None:
    root = config.rootpath.resolve()
    path = root / manifest.MANIFEST
    if not path.is_file():
        raise pytest.UsageError(f"{path} not found: run `nox -s extract` first")
    files = manifest.load(path)
    for folder in sorted({str((root / f.path).parent) for f in files.values()}, reverse=True):
        if folder not in sys.path:
            sys.path.insert(0, folder)
    config.stash[_STATE] = _State(root, files, inherited=_socket_options(config))


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


def _state(node: pytest.Item | pytest.Collector) -> _State:
    return node.config.stash[_STATE]


# -- collection ---------------------------------------------------------------------------


@pytest.hookimpl(tryfirst=True)
def pytest_pycollect_makemodule(module_path: Path, parent: pytest.Collector):
    """Test modules that must not simply pass get an item of their own."""
    f = _state(parent).file_for(module_path)
    if f is None:
        return None
    if f.kind == "test" and f.last.outcome is None and f.skip is None and _runs_here(f):
        return None  # an ordinary test module: pytest collects it
    # A module named on the command line reaches this hook too: never import it here.
    return BlockFile.from_parent(parent, path=module_path)


def pytest_collect_file(file_path: Path, parent: pytest.Collector):
    f = _state(parent).file_for(file_path)
    if f is None or f.kind not in ("module", "pycon", "console"):
        return None
    if f.kind == "module" and parent.session.isinitpath(file_path):
        return None  # pytest's python plugin collects it, through the hook above
    return BlockFile.from_parent(parent, path=file_path)


def _runs_here(f: ExampleFile) -> bool:
    return f.min_python is None or version_key(VERSION) >= version_key(f.min_python)


class BlockFile(pytest.File):
    """A generated file checked as a whole: one item, named after its page and line."""

    def collect(self):
        state = _state(self)
        f = state.file_for(self.path)
        assert f is not None
        # Only the checks that run pytest ask for pytester: its fixture makes a directory
        # and snapshots sys.path and sys.modules for every item that requests it.
        check, runs_pytest = {
            "test": (_check_outcome, True),
            "module": (_check_module, False),
            "pycon": (_check_pycon, False),
            "console": (_check_console, True),
        }[f.kind]

        def run_block(pytester: pytest.Pytester | None) -> None:
            if f.skip is not None:
                pytest.skip(f"{f.last.where}: not run: {f.skip}")
            if not _runs_here(f):
                pytest.skip(f"{f.last.where}: needs Python {f.min_python}+")
            try:
                state.observed[f.path] = check(f, self.path, pytester, state)
            except BlockMismatch as mismatch:
                state.observed[f.path] = mismatch.observed
                raise

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


@pytest.fixture(scope="session")
def verified_blocks_scratch(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The working directory of the scripts and sessions this run checks."""
    return tmp_path_factory.mktemp("scripts")


class BlockItem(pytest.Function):
    """A check of one generated file (a Function, so that it can use ``pytester``)."""

    def reportinfo(self):
        return self.path, None, self.name


# -- checks ---------------------------------------------------------------------------------


def _check_module(
    f: ExampleFile, path: Path, pytester: pytest.Pytester | None, state: _State
) -> str | None:
    """Run the module as a script; compare what it prints and what it raises."""
    from .pycon import exception_line  # doctest's import is paid only when needed

    block = f.last
    out = io.StringIO()
    error: BaseException | None = None
    try:
        with redirect_stdout(out):
            runpy.run_path(str(path), run_name="__main__")
    except (KeyboardInterrupt, pytest.skip.Exception, pytest.fail.Exception):
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


def _check_outcome(f: ExampleFile, path: Path, pytester: pytest.Pytester, state: _State) -> str:
    """Run the test module alone under pytest and compare counts and output lines."""
    block = f.last
    assert block.outcome is not None
    result = _isolated_pytest(state, path, pytester, [path.name])
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
        _expect_lines(block, block.lines.at(VERSION).splitlines(), result, summary)
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


def _check_pycon(
    f: ExampleFile, path: Path, pytester: pytest.Pytester | None, state: _State
) -> None:
    from .pycon import run_session

    mismatch = run_session(path.read_text(encoding="utf-8"), str(path))
    if mismatch is not None:
        where = f.where(mismatch.file_line)
        raise BlockMismatch(
            f"{where}: the session differs from the page at\n>>> {mismatch.source}"
            f"--- page\n{mismatch.want}--- got\n{mismatch.got}",
            mismatch.got.strip(),
        )


_COMMAND = re.compile(r"^\$ (?P<command>.*)$")
_DURATION = re.compile(r"\b\d+(\.\d+)?s\b")


def _check_console(f: ExampleFile, path: Path, pytester: pytest.Pytester, state: _State) -> None:
    """Run each ``$ pytest ...`` of the session and compare the lines it prints."""
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
        result = _isolated_pytest(state, path, pytester, args)
        got = [_normal(line) for line in result.outlines]
        position = 0
        for line in want:
            try:
                position = got.index(_normal(line), position) + 1
            except ValueError:
                raise BlockMismatch(
                    f"{f.where(number)}: `{command}` did not print, in this order, the line\n"
                    f"    {line}\n{_tail(result)}"
                ) from None


def _normal(line: str) -> str:
    """Collapse spacing and durations, which vary from run to run."""
    return " ".join(_DURATION.sub("Ns", line).split())


def _isolated_pytest(
    state: _State, path: Path, pytester: pytest.Pytester, args: list[str]
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
    try:
        # Start from Python's own warning filters, as a fresh `pytest` would, not from
        # this run's (filterwarnings = error would leak into the isolated run).
        with warnings.catch_warnings(), pytest.MonkeyPatch.context() as env:
            warnings.resetwarnings()
            _reader_terminal(env)
            # A page shows pytest's output in pytest's own order: a plugin that shuffles
            # tests (pytest-randomly, in `nox -s flakes`) must not reorder what it prints.
            return pytester.runpytest_inprocess(
                "-p", "no:cacheprovider", "-p", "no:randomly", *state.inherited, *args
            )
    finally:
        sys.modules.update(saved)


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


def _expect_lines(block: Block, want: list[str], result: pytest.RunResult, summary: str) -> None:
    got = result.outlines + result.errlines
    position = 0
    for line in want:
        pattern = _whole(line)
        for index in range(position, len(got)):
            if pattern.search(got[index]):
                position = index + 1
                break
        else:
            raise BlockMismatch(
                f"{block.where}: pytest did not print, in this order, a line containing\n"
                f"    {line}\n{_tail(result)}",
                summary,
            )


def _whole(line: str) -> re.Pattern[str]:
    """``line`` as a pattern that matches a printed line only where pytest prints it whole.

    An error line (``RuntimeError: x``, ``TimeoutError``) must be where pytest reports an
    exception or a warning: alone on its line, after ``E`` or an exception group's ``|``
    margin, or at the end of a ``FAILED ... - `` summary; with a message it may also follow
    a warning's ``file:line:``, and may end in the middle of a word (``at 0x``, for an address
    that changes). So ``TimeoutError`` is found neither in ``asyncio.exceptions.TimeoutError``
    nor in a traceback's ``tasks.py:458: TimeoutError`` or a docstring's "raises TimeoutError.".
    Any other line must not start or end inside a word: ``1 passed`` is not in ``11 passed``.
    """
    text = re.escape(line)
    if ERROR_LINE.match(line):
        where = [r"[\sE|+-]*", r"(?:FAILED|ERROR) .* - "]
        if is_bare_name(line):  # not the start of a longer name
            end = r"(?![\w.])"
        else:
            where.append(r".*:\d+: ")
            end = ""
        return re.compile(rf"^(?:{'|'.join(where)}){text}{end}")
    start = r"(?<![\w.])" if re.match(r"[\w.]", line) else ""
    end = r"(?!\w)" if re.search(r"\w$", line) else ""
    return re.compile(start + text + end)


def _counts(counts: dict[str, int]) -> str:
    return ", ".join(f"{v} {k}" for k, v in sorted(counts.items())) or "no tests"


def _tail(result: pytest.RunResult, count: int = 25) -> str:
    lines = result.outlines[-count:]
    return "pytest printed (last lines):\n" + "\n".join(f"    {line}" for line in lines)


def _same(filename: str, path: Path) -> bool:
    try:
        return Path(filename).resolve() == path.resolve()
    except OSError:
        return False


# -- reporting ------------------------------------------------------------------------------


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo):
    report = yield
    state = item.config.stash.get(_STATE, None)
    f = state.file_for(item.path) if state else None
    if f is None or report.when == "collect":
        return report
    if report.failed and call.excinfo is not None:
        if isinstance(call.excinfo.value, BlockMismatch):
            report.longrepr = str(call.excinfo.value)
        else:
            where = state.locate(call.excinfo.value) or f.last.where
            report.sections.append(("page", f"this test is shown on the page at {where}"))
            crash = getattr(report.longrepr, "reprcrash", None)
            if crash is not None:
                crash.message = f"{where}: {crash.message}"
    if report.when == "call" or (report.when == "setup" and not report.passed):
        line = item.location[1] + 1 if item.location[1] is not None else None
        observed = state.observed.pop(f.path, None)
        state.results.setdefault(f.path, []).append((line, report.outcome, observed))
    return report


def pytest_sessionfinish(session: pytest.Session) -> None:
    target = session.config.getoption("--blocks-report")
    state = session.config.stash.get(_STATE, None)
    if not target or state is None:
        return
    records = []
    results_by_file = dict(state.results)

    # A data file (pytest.ini on a page) is verified by the isolated runs of its folder,
    # which copy it; a conftest.py by every test run of its folder, which load it. Each
    # shares the outcome of those runs; with no such run it gets no record.
    def verifies(other: str, kind: str) -> bool:
        f = state.files[other]
        if f.kind == "console":
            return True
        return f.kind == "test" and (kind == "conftest" or f.last.outcome is not None)

    for rel, f in state.files.items():
        if f.kind not in ("data", "conftest"):
            continue
        folder = rel.rsplit("/", 1)[0]
        runs = [
            r
            for other, results in state.results.items()
            if other.rsplit("/", 1)[0] == folder and verifies(other, f.kind)
            for r in results
        ]
        if runs:
            results_by_file[rel] = [(None, r[1], None) for r in runs]
    for rel, results in sorted(results_by_file.items()):
        f = state.files[rel]
        for placed in f.placed:
            own = [r for r in results if r[0] is not None and placed.start <= r[0] <= placed.end]
            mine = own or results
            outcomes = {r[1] for r in mine}
            outcome = (
                "failed"
                if "failed" in outcomes
                else ("skipped" if outcomes == {"skipped"} else "passed")
            )
            observed = next((r[2] for r in mine if r[2] is not None), None)
            block = placed.block
            records.append(
                {
                    "page": block.page,
                    "line": block.line,
                    "file": f"examples/{rel}",
                    "fingerprint": fingerprint(block),
                    "expected": expected_of(f, placed.block),
                    "outcome": outcome,
                    "observed": observed,
                }
            )
    data = {
        "python": VERSION,
        "implementation": platform.python_implementation(),
        "full_version": platform.python_version(),
        "blocks": records,
    }
    path = Path(target)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(data, indent=1) + "\n", encoding="utf-8")


def expected_of(f: ExampleFile, block: Block) -> dict[str, object]:
    """What the page says for this block on the running Python version."""
    last = block is f.last
    if f.skip is not None:
        return {"kind": "skipped", "reason": f.skip}
    if last and block.raises is not None:
        return {"kind": "raises", "message": block.raises.at(VERSION)}
    if last and block.outcome is not None:
        return {"kind": "outcome", "counts": block.outcome}
    return {"kind": "passes"}
