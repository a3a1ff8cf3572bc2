"""A fork server: pytest runs in forked children of a process that imported it once.

A pytest run of one page spends most of its time starting: the interpreter, pytest, its
plugins, pytest-asyncio and the libraries the examples import. The server (``python -m
verified_blocks.forkserver``, one per job of the mutants' runner, single-threaded, so that
forking it is safe) imports what a pytest run imports once (:func:`startup_modules`, found
by a probe run, then the plugins in a pytest session of its own: :func:`_import_plugins`),
then for each request forks a child that runs ``pytest.main`` as
``python -m pytest`` would run it from the request's directory: in a session of its own
(so that a run that hangs is stopped with everything it started), output to a file, stdin
from ``/dev/null``, signal handlers at their defaults, and an exit that does what an
interpreter's exit does that a run can see (its threads waited for, its ``atexit``
functions run, its output flushed: :func:`_exit`).

Nothing of a run reaches the server: each child is a copy of the server as it was before
any run. :mod:`.warm` keeps servers like it running between commands, for ``nox -s page``.
The mutants' runner compares the two ways on a page (``--fork`` or ``--no-fork``, and
tests/toolchain/test_mutants.py): the same verdict for every mutant.

The protocol, one JSON object a line: the runner writes ``{"cwd", "args", "output",
"env"}``; the server answers ``{"pid"}`` once the child runs, then ``{"status"}``, the
child's exit status (negative: the signal that ended it).

POSIX only (``os.fork``); elsewhere the runner starts a new interpreter per run.
"""

from __future__ import annotations

import atexit
import contextlib
import gc
import importlib
import json
import os
import queue
import select
import signal
import subprocess
import sys
import tempfile
import threading
import time
import traceback
import warnings
from collections.abc import Callable
from pathlib import Path
from types import TracebackType
from typing import NoReturn

#: Imported beside what the probe finds: what the examples themselves import.
ALWAYS = ("asyncio", "unittest.mock", "aiohttp")

_PROBE = """
import json, sys
import pytest
pytest.main(["--collect-only", "-q", "-p", "no:cacheprovider", sys.argv[1]])
print(json.dumps(list(sys.modules)))
"""


def _rewritten() -> set[str]:
    """Top-level modules pytest rewrites the asserts of, so that must not be imported first:
    every module of a distribution with a pytest plugin (entry point ``pytest11``), and this
    toolchain (``pytest_plugins`` in the examples' conftest.py)."""
    from importlib import metadata

    points = metadata.entry_points(group="pytest11")
    plugins = {ep.dist.name for ep in points if ep.dist}
    # the plugins' own modules, which Python 3.10's packages_distributions() can miss
    # (pytest-socket's package, listed in its RECORD with no top_level.txt)
    tops = {"verified_blocks", "conftest", *(ep.module.split(".")[0] for ep in points)}
    for top, dists in metadata.packages_distributions().items():
        if plugins & set(dists):
            tops.add(top)
    return tops


def startup_modules(env: dict[str, str]) -> list[str]:
    """What a pytest run that collects nothing imports, and :data:`ALWAYS`, but no module
    pytest would rewrite (:func:`_rewritten`), in the order they were first imported: a
    module imported out of its order can be a different one (``_asyncio`` imported before
    ``asyncio`` keeps its own list of tasks, and ``asyncio.all_tasks()`` finds none)."""
    with tempfile.TemporaryDirectory(prefix="forkserver-probe-") as empty:
        probe = subprocess.run(
            [sys.executable, "-c", _PROBE, empty],
            cwd=empty,
            env=env,
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )
    last = probe.stdout.strip().splitlines()[-1:] or ["[]"]
    try:
        found: list[str] = json.loads(last[0])
    except json.JSONDecodeError:
        found = []
    rewritten = _rewritten()
    ordered = dict.fromkeys([*found, *ALWAYS])
    return [n for n in ordered if n != "__main__" and n.split(".")[0] not in rewritten]


def _preload(names: list[str]) -> None:
    for name in names:
        try:
            importlib.import_module(name)
        except Exception:  # noqa: BLE001 - a module that does not import here is not needed
            continue


def _child(request: dict[str, object]) -> None:
    """In the forked child: become ``python -m pytest ARGS`` run in ``cwd``; never returns."""
    os.setsid()
    for number in (signal.SIGINT, signal.SIGTERM, signal.SIGCHLD, signal.SIGPIPE):
        signal.signal(number, signal.SIG_DFL)
    cwd = str(request["cwd"])
    os.chdir(cwd)
    env = request["env"]
    assert isinstance(env, dict)
    os.environ.clear()
    os.environ.update(env)
    output = os.open(str(request["output"]), os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
    null = os.open(os.devnull, os.O_RDONLY)
    os.dup2(null, 0)
    os.dup2(output, 1)
    os.dup2(output, 2)
    os.close(null)
    os.close(output)
    # as `python -m pytest` from cwd: the directory first on sys.path, pytest's argv
    sys.path[0] = cwd
    args = request["args"]
    assert isinstance(args, list)
    sys.argv = [sys.argv[0], *map(str, args)]
    import pytest

    try:
        code = int(pytest.main([str(a) for a in args]))
    except SystemExit as stop:  # as Python ends on it: its code, or its text and 1
        code = _exit_status(stop.code)
    except BaseException:  # noqa: BLE001 - as Python ends `python -m pytest`: the traceback
        traceback.print_exc()
        code = 1
    _exit(code)


def _exit_status(code: object) -> int:
    """The exit status Python gives a ``SystemExit`` with ``code``, printing a text one."""
    if code is None:
        return 0
    if isinstance(code, int):
        return code
    print(code, file=sys.stderr)
    return 1


def _exit(code: int) -> NoReturn:
    """End the child as an interpreter exit would, less what only frees memory.

    What an exit does that a run can see is done, in its order: wait for the threads that
    are not daemons (a run that leaves one running hangs here, as ``python -m pytest``
    would), run the ``atexit`` functions, flush the output. The rest of an interpreter's
    finalization (every module torn down, every object freed) touches the whole heap the
    child shares with the server, copying each of its pages: about 25 ms of a small
    page's 150 ms run, for nothing a verdict reads.
    """
    try:
        threading._shutdown()  # type: ignore[attr-defined]  # what Py_FinalizeEx calls first
        atexit._run_exitfuncs()
    finally:
        for stream in (sys.stdout, sys.stderr):
            with contextlib.suppress(Exception):
                stream.flush()
        os._exit(code)


def prepare(modules: list[str]) -> None:
    """Make this process a server: import ``modules``, then the pytest plugins as a run
    imports them (:func:`_import_plugins`), and keep what they made out of every later
    garbage collection."""
    _preload(modules)
    _import_plugins()
    # What the imports made lives as long as the server: the children's collections (pytest
    # collects at exit, looking for unraisable exceptions) need not walk it every time.
    gc.freeze()


def _import_plugins() -> None:
    """Import the installed pytest plugins (entry point ``pytest11``) as every run would:
    in a pytest session, through its assertion-rewriting import hook.

    A run then finds them imported by a rewriting loader, so pytest neither imports them
    again nor warns that it cannot rewrite them (it warns only of a module some other
    loader imported), and each run spares importing them: about a third of a small
    page's run. The session collects an empty folder under an empty configuration,
    its output thrown away (this process's standard output is the protocol's); what it
    configured it unconfigures as every session does. This toolchain's own plugin, which
    the examples' conftest.py names, is not imported: a server outlives edits to it
    (:mod:`.warm`), and only the installed distributions are part of a server's key.
    """
    import pytest

    with tempfile.TemporaryDirectory(prefix="forkserver-plugins-") as empty:
        ini = Path(empty, "pytest.ini")
        ini.write_text("[pytest]\n", encoding="utf-8")
        sys.stdout.flush()
        sys.stderr.flush()
        # its directory, which may be gone (a warm server's starter's), is come back to
        saved = [os.open(".", os.O_RDONLY), os.dup(1), os.dup(2)]
        null = os.open(os.devnull, os.O_WRONLY)
        try:
            os.chdir(empty)
            os.dup2(null, 1)
            os.dup2(null, 2)
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")  # a plugin's, about the empty configuration
                pytest.main(["-c", str(ini), "--collect-only", "-q", "-p", "no:cacheprovider"])
        finally:
            sys.stdout.flush()
            sys.stderr.flush()
            os.fchdir(saved[0])
            os.dup2(saved[1], 1)
            os.dup2(saved[2], 2)
            for fd in (*saved, null):
                os.close(fd)


def fork(request: dict[str, object], before: Callable[[], object] | None = None) -> int:
    """Start a child that runs ``request`` (:func:`_child`), after ``before`` (which lets
    go of what the server holds): its pid.

    The child never returns: it ends as ``python -m pytest`` would, with what an interpreter's
    exit does that a run can see (:func:`_exit`), and none of the server's ``finally``
    clauses runs in it."""
    pid = os.fork()
    if pid == 0:
        if before is not None:
            before()
        _child(request)
    return pid


def serve(modules: list[str]) -> None:
    """Import ``modules``, then answer requests on stdin until it closes."""
    prepare(modules)
    answer = sys.stdout
    print(json.dumps({"ready": len(modules)}), file=answer, flush=True)
    for line in sys.stdin:
        pid = fork(json.loads(line))
        print(json.dumps({"pid": pid}), file=answer, flush=True)
        _, status = os.waitpid(pid, 0)
        code = os.waitstatus_to_exitcode(status)
        print(json.dumps({"status": code}), file=answer, flush=True)


class ServerGone(RuntimeError):
    """The server stopped answering: it, not a run, failed."""


class _Server:
    """One server process, and the runner's end of its pipes."""

    def __init__(self, modules: list[str], env: dict[str, str]) -> None:
        self._process = subprocess.Popen(
            # -c, not -m: running a module of an imported package warns (runpy)
            [
                sys.executable,
                "-c",
                f"import {__name__} as s, sys; s.serve(s.json.loads(sys.argv[1]))",
            ]
            + [json.dumps(modules)],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            env=env,
        )
        self._buffer = b""
        self._answer(timeout=300)  # {"ready": n}: the imports are done

    def run(self, args: list[str], cwd: Path, env: dict[str, str], timeout: float) -> int | None:
        """The exit status of ``pytest ARGS`` run in ``cwd`` (output in ``cwd/output.txt``),
        or None when it ran past ``timeout`` seconds and was stopped."""
        request = {"cwd": str(cwd), "args": args, "output": str(cwd / OUTPUT), "env": env}
        assert self._process.stdin is not None
        self._process.stdin.write((json.dumps(request) + "\n").encode())
        self._process.stdin.flush()
        pid = int(str(self._answer(timeout=60)["pid"]))
        try:
            return int(str(self._answer(timeout=timeout)["status"]))
        except TimeoutError:
            os.killpg(pid, signal.SIGKILL)  # the child's session: everything it started
            self._answer(timeout=60)
            return None

    def _answer(self, timeout: float) -> dict[str, object]:
        assert self._process.stdout is not None
        fd = self._process.stdout.fileno()
        deadline = time.monotonic() + timeout
        while b"\n" not in self._buffer:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise TimeoutError
            if select.select([fd], [], [], remaining)[0]:
                chunk = os.read(fd, 4096)
                if not chunk:
                    code = self._process.wait()
                    raise ServerGone(f"the fork server exited ({code})")
                self._buffer += chunk
        line, self._buffer = self._buffer.split(b"\n", 1)
        answer: dict[str, object] = json.loads(line)
        return answer

    def close(self) -> None:
        """Stop the server (it ends when its stdin does) and close the pipes."""
        assert self._process.stdin is not None and self._process.stdout is not None
        self._process.stdin.close()
        try:
            self._process.wait(timeout=60)
        finally:
            self._process.stdout.close()


#: The file a run's output goes to, in the run's directory.
OUTPUT = "pytest-output.txt"


class Servers:
    """``count`` fork servers, each lent to one run at a time (a job of the runner)."""

    def __init__(self, count: int, env: dict[str, str]) -> None:
        modules = startup_modules(env)
        self._idle: queue.Queue[_Server] = queue.Queue()
        self._all = [_Server(modules, env) for _ in range(count)]
        for server in self._all:
            self._idle.put(server)

    def run(self, args: list[str], cwd: Path, env: dict[str, str], timeout: float) -> int | None:
        """As :meth:`_Server.run`, on the first idle server."""
        server = self._idle.get()
        try:
            return server.run(args, cwd, env, timeout)
        finally:
            self._idle.put(server)

    def __enter__(self) -> Servers:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        for server in self._all:
            server.close()


if __name__ == "__main__":
    serve(json.loads(sys.argv[1]) if len(sys.argv) > 1 else [])
