"""Warm servers: one fork server per environment, kept running between commands.

``nox -s page`` runs a page's folder with pytest on every Python, and each of those runs
spends most of its time starting: the interpreter, pytest and the libraries the examples
import. So the first run in an environment starts a :mod:`.forkserver` server there, which
outlives the command; the next runs are forked children of it, each a copy of the server
as it was before any run (what a forked run sees of its process is what a new interpreter
would see: tests/toolchain/test_forkserver.py). A server exits after :data:`IDLE` seconds
without a run, and ``python -m verified_blocks.warm --stop`` stops them all.

A server is kept for what was fixed when it started: its interpreter and environment (the
distributions installed there), the variables an interpreter reads as it starts
(``PYTHON*``, the locale's), and its own code (this module, the fork server, the package's
``__init__``). A request whose key differs gets another server, and the environment's
other servers are stopped.
Each run gets the caller's variables, directory, arguments and output file, and is its
own session (stopping it stops everything it started).

The servers listen on Unix sockets in a folder of the user's own (``$XDG_RUNTIME_DIR`` or
the temporary folder, mode 0700), one per environment and key, with the server's pid and
log beside it. The protocol on a connection is :mod:`.forkserver`'s: one request line,
then ``{"pid"}`` and ``{"status"}``. POSIX only; :func:`available` says whether it can run.
"""

from __future__ import annotations

import argparse
import contextlib
import fcntl
import hashlib
import io
import json
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from pathlib import Path

from . import forkserver

#: Seconds a server waits for a run before it exits.
IDLE = 20 * 60
#: Seconds a new server may take to import what pytest imports and start listening.
READY = 120
#: The variables an interpreter reads as it starts, or that decide its text encodings.
_AT_START = ("PYTHON", "LANG", "LC_")


class WarmError(RuntimeError):
    """No server could be found or started: the caller runs a new interpreter instead."""


def available() -> bool:
    return hasattr(os, "fork") and hasattr(socket, "AF_UNIX")


def folder() -> Path:
    """The user's own folder of servers (``VERIFIED_BLOCKS_WARM`` names another)."""
    named = os.environ.get("VERIFIED_BLOCKS_WARM")
    base = Path(os.environ.get("XDG_RUNTIME_DIR") or tempfile.gettempdir())
    where = Path(named) if named else base / f"verified-blocks-{os.getuid()}"
    where.mkdir(mode=0o700, parents=True, exist_ok=True)
    status = where.stat()
    if status.st_uid != os.getuid() or status.st_mode & 0o077:
        raise WarmError(f"{where}: not a folder of this user's only (mode 0700)")
    return where


def _short(*parts: object) -> str:
    return hashlib.sha256(json.dumps([str(p) for p in parts]).encode()).hexdigest()[:16]


def key(venv: Path, env: Mapping[str, str]) -> str:
    """What a server of ``venv`` is kept for (see the module docstring)."""
    python = venv / "bin" / "python"
    real = python.resolve().stat()
    dists = sorted(p.name for p in venv.glob("lib/python*/site-packages/*.dist-info"))
    starting = sorted((k, v) for k, v in env.items() if k.startswith(_AT_START))
    # the server's own code: the package, this module and the fork server
    own = (sys.modules[__package__ or ""], forkserver, sys.modules[__name__])
    code = [Path(m.__file__ or "").read_bytes() for m in own]
    return _short(python.resolve(), real.st_size, real.st_mtime_ns, dists, starting, *code)


class Server:
    """A server's files: ``<environment>-<key>.sock``, ``.pid``, ``.log``, ``.lock``."""

    def __init__(self, venv: Path, env: Mapping[str, str], where: Path | None = None) -> None:
        self.venv = venv.absolute()
        self.env = dict(env)
        self.where = where or folder()
        self.family = _short(self.venv)
        self.name = f"{self.family}-{key(self.venv, env)}"
        self.socket = self.where / f"{self.name}.sock"
        self.pid = self.where / f"{self.name}.pid"
        self.log = self.where / f"{self.name}.log"

    def run(self, args: Sequence[str], cwd: Path, output: Path) -> int:
        """``pytest ARGS`` in ``cwd``, output to ``output``, forked from this environment's
        server (started if need be): its exit status (negative: the signal that ended it)."""
        connection = self._connect()
        request = {"cwd": str(cwd), "args": list(args), "output": str(output), "env": self.env}
        pid = None
        with connection, connection.makefile("rwb") as stream:
            try:
                _say(stream, request)
                pid = int(str(_answer(stream)["pid"]))
                status = int(str(_answer(stream)["status"]))
                pid = None
                return status
            finally:
                if pid is not None:  # interrupted: the run goes too, with what it started
                    with contextlib.suppress(OSError):
                        os.killpg(pid, signal.SIGKILL)

    def _connect(self) -> socket.socket:
        with self._locked():
            connection = self._try_connect()
            if connection is None:
                self._start()
                connection = self._try_connect()
            if connection is None:
                raise WarmError(f"the server of {self.venv} did not start; see {self.log}")
            return connection

    @contextlib.contextmanager
    def _locked(self) -> Iterator[None]:
        """One caller at a time finds or starts this environment's server."""
        with open(self.where / f"{self.family}.lock", "w") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            yield

    def _try_connect(self) -> socket.socket | None:
        connection = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        try:
            connection.connect(str(self.socket))
        except OSError:  # none, or one left by a server that was killed
            connection.close()
            return None
        return connection

    def _start(self) -> None:
        """Stop this environment's servers, then start one and wait until it listens."""
        stop(self.where, self.family)
        command = [
            str(self.venv / "bin" / "python"),
            *("-c", f"import {__name__} as w, sys; w.daemon(*sys.argv[1:])"),
            *(str(self.socket), str(self.pid), str(self.log)),
        ]
        # Nothing of the caller's is kept by the server: not its directory, nor its output
        # (a caller that reads its command's output to the end would wait for the server).
        with (
            tempfile.TemporaryDirectory(prefix="warm-") as empty,
            self.log.open("wb") as log,
        ):
            starter = subprocess.run(
                command,
                cwd=empty,
                env=self.env,
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                check=False,
            )
        if starter.returncode != 0:
            raise WarmError(f"the server of {self.venv} did not start ({starter.returncode})")
        deadline = time.monotonic() + READY
        while not self.socket.exists():
            if time.monotonic() > deadline or not _alive(self.pid):
                raise WarmError(f"the server of {self.venv} did not start; see {self.log}")
            time.sleep(0.02)


def _answer(stream: io.BufferedRWPair) -> dict[str, object]:
    line = stream.readline()
    if not line:
        raise WarmError("the server closed the connection")
    answer: dict[str, object] = json.loads(line)
    return answer


def _alive(pid_file: Path) -> bool:
    """Whether the process named in ``pid_file`` is running (a missing file: it may be
    about to write it)."""
    try:
        pid = int(pid_file.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def stop(where: Path, family: str = "") -> list[int]:
    """Stop the servers in ``where`` (of one environment, by ``family``): their pids.

    Only a server that answers on its socket is sent SIGTERM: the pid of one that is gone
    may be another process's by now. Its files go either way, and a server that finds
    its pid file gone stops by itself."""
    stopped = []
    for pid_file in sorted(where.glob(f"{family}*.pid")):
        sock = pid_file.with_suffix(".sock")
        with contextlib.suppress(OSError, ValueError):
            pid = int(pid_file.read_text(encoding="utf-8"))
            with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as probe:
                probe.connect(str(sock))
            os.kill(pid, signal.SIGTERM)
            stopped.append(pid)
        sock.unlink(missing_ok=True)
        pid_file.unlink(missing_ok=True)
    return stopped


def daemon(sock: str, pid_file: str, log: str) -> None:
    """Become a server in the background: the starting process returns at once, the
    server (its grandchild, in a session of its own) serves until it is idle."""
    if os.fork():
        os._exit(0)
    os.setsid()
    if os.fork():
        os._exit(0)
    out = os.open(log, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
    os.dup2(out, 1)
    os.dup2(out, 2)
    os.close(out)
    server, pid = os.getpid(), Path(pid_file)
    pid.write_text(str(server), encoding="utf-8")
    try:
        serve(Path(sock), IDLE, pid)
    finally:
        with contextlib.suppress(FileNotFoundError):
            if pid.read_text(encoding="utf-8") == str(server):
                pid.unlink()


def serve(path: Path, idle: float, pid_file: Path | None = None) -> None:
    """Import what pytest imports, listen on ``path``, then run each request in a forked
    child, one at a time, until no request comes for ``idle`` seconds or ``path`` (or
    ``pid_file``) is gone. A run's child never returns here (:func:`.forkserver.fork`)."""
    server = os.getpid()
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    forkserver.prepare(forkserver.startup_modules(dict(os.environ)))
    listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    temporary = path.with_name(f"{path.name}.{server}")
    listener.bind(str(temporary))
    listener.listen(16)
    os.replace(temporary, path)  # it exists once it listens
    listener.settimeout(idle)
    ours = path.stat().st_ino

    def stopped() -> bool:  # by stop(), or replaced by another server
        try:
            replaced = path.stat().st_ino != ours
        except FileNotFoundError:
            return True
        return replaced or (pid_file is not None and not pid_file.exists())

    try:
        while not stopped():
            try:
                connection, _ = listener.accept()
            except TimeoutError:
                break
            with connection, connection.makefile("rwb") as stream:
                _serve_one(stream, _closer(stream, connection, listener))
    finally:
        listener.close()
        with contextlib.suppress(FileNotFoundError):
            if path.stat().st_ino == ours:
                path.unlink()


def _closer(*held: io.BufferedRWPair | socket.socket) -> Callable[[], None]:
    """What a run's child calls first: it lets go of the server's connection and socket."""

    def close() -> None:
        for each in held:
            each.close()

    return close


def _serve_one(stream: io.BufferedRWPair, let_go: Callable[[], object]) -> None:
    line = stream.readline()
    if not line:
        return
    pid = forkserver.fork(json.loads(line), let_go)
    try:
        _say(stream, {"pid": pid})
    except OSError:  # the caller is gone
        with contextlib.suppress(OSError):
            os.killpg(pid, signal.SIGKILL)
    _, status = os.waitpid(pid, 0)
    with contextlib.suppress(OSError):
        _say(stream, {"status": os.waitstatus_to_exitcode(status)})


def _say(stream: io.BufferedRWPair, message: Mapping[str, object]) -> None:
    stream.write(json.dumps(message).encode() + b"\n")
    stream.flush()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m verified_blocks.warm", description=__doc__)
    parser.add_argument("--stop", action="store_true", help="stop every server of this user")
    args = parser.parse_args(argv)
    if args.stop:
        stopped = stop(folder())
        print(f"warm: {len(stopped)} servers stopped")
    else:
        for log in sorted(folder().glob("*.log")):
            alive = _alive(log.with_suffix(".pid")) and log.with_suffix(".sock").exists()
            print(f"{log.stem}: {'running' if alive else 'stopped'} ({log})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
