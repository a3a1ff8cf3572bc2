"""Warm servers (verified_blocks.warm): the first run in an environment starts its server, the
next ones are forked from it, and a server is kept only for what it was started with."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

from verified_blocks import warm

from conftest import gone

pytestmark = pytest.mark.skipif(not warm.available(), reason="POSIX only")

HERE = Path(sys.prefix)  # this environment has pytest


def _pid(server: warm.Server) -> int:
    return int(server.pid.read_text(encoding="utf-8"))


def _project(where: Path) -> Path:
    where.mkdir()
    (where / "pytest.ini").write_text(
        "[pytest]\nasyncio_default_fixture_loop_scope = function\nfilterwarnings = error\n",
        encoding="utf-8",
    )
    (where / "test_pid.py").write_text(
        "import os\n\ndef test_pid():\n"
        "    with open('pids.txt', 'a') as f:\n"
        "        print(os.getpid(), os.getppid(), file=f)\n",
        encoding="utf-8",
    )
    return where


def _started(tmp_path: Path) -> tuple[warm.Server, Path]:
    """A project, and this environment's server, started by a run of it that passed."""
    project = _project(tmp_path / "p")
    server = warm.Server(HERE, dict(os.environ))
    assert _run(server, project) == 0
    return server, project


def _run(server: warm.Server, where: Path, *args: str) -> int:
    return server.run(["-p", "no:cacheprovider", "-q", *args], where, where / "out.txt")


def test_the_first_run_starts_the_server_and_the_next_are_forked_from_it(warm_servers, tmp_path):
    project = _project(tmp_path / "p")
    server = warm.Server(HERE, dict(os.environ))

    assert _run(server, project) == 0
    assert _run(warm.Server(HERE, dict(os.environ)), project) == 0

    runs = [line.split() for line in (project / "pids.txt").read_text().splitlines()]
    assert len(runs) == 2
    (first, parent_1), (second, parent_2) = runs
    assert first != second  # a new child each time...
    assert parent_1 == parent_2 == str(_pid(server))  # ...of the one server
    assert "1 passed" in (project / "out.txt").read_text(encoding="utf-8")
    assert oct(warm_servers.stat().st_mode & 0o777) == "0o700"


def test_a_failing_run_gives_pytests_status_and_output(warm_servers, tmp_path):
    project = _project(tmp_path / "p")
    (project / "test_no.py").write_text("def test_no():\n    assert 1 == 2\n", encoding="utf-8")

    assert _run(warm.Server(HERE, dict(os.environ)), project, "test_no.py") == 1

    assert "1 failed" in (project / "out.txt").read_text(encoding="utf-8")


def test_a_run_with_other_starting_variables_gets_another_server_and_the_old_one_stops(
    warm_servers, tmp_path
):
    """PYTHON* variables are read as an interpreter starts: a server started without
    PYTHONHASHSEED=1 cannot give a run one that has it."""
    project = _project(tmp_path / "p")
    first = warm.Server(HERE, {**os.environ, "PYTHONHASHSEED": "0"})
    assert _run(first, project) == 0
    old = _pid(first)

    second = warm.Server(HERE, {**os.environ, "PYTHONHASHSEED": "1"})
    assert second.name != first.name
    assert _run(second, project) == 0

    assert _pid(second) != old
    assert gone(old), "the environment's other server is stopped"
    assert not first.socket.exists()


def test_a_server_that_was_killed_is_started_again(warm_servers, tmp_path):
    project = _project(tmp_path / "p")
    server = warm.Server(HERE, dict(os.environ))
    assert _run(server, project) == 0
    killed = _pid(server)
    os.kill(killed, signal.SIGKILL)
    assert gone(killed)
    assert server.socket.exists()  # left behind: nothing listens on it

    assert _run(server, project) == 0

    assert _pid(server) != killed


def test_an_idle_server_exits_and_removes_its_socket(warm_servers, tmp_path):
    path = warm_servers / "idle.sock"
    script = f"import {warm.__name__} as w, pathlib; w.serve(pathlib.Path({str(path)!r}), 0.5)"
    server = subprocess.Popen([sys.executable, "-c", script], cwd=tmp_path)
    try:
        deadline = time.monotonic() + 120
        while not path.exists() and server.poll() is None and time.monotonic() < deadline:
            time.sleep(0.02)
        assert path.exists(), "the server listens"
        with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as silent:
            silent.connect(str(path))  # a caller that says nothing: the server waits on

        assert server.wait(timeout=60) == 0
    finally:
        server.kill()
        server.wait()
    assert not path.exists()


def test_a_folder_others_can_read_is_refused(tmp_path, monkeypatch):
    shared = tmp_path / "shared"
    shared.mkdir(mode=0o755)
    shared.chmod(0o755)
    monkeypatch.setenv("VERIFIED_BLOCKS_WARM", str(shared))

    with pytest.raises(warm.WarmError, match="mode 0700"):
        warm.folder()


def test_stop_stops_every_server_of_the_folder(warm_servers, tmp_path):
    server, project = _started(tmp_path)
    pid = _pid(server)

    assert warm.main(["--stop"]) == 0

    assert gone(pid)
    assert not server.socket.exists()


def test_a_server_is_kept_for_its_environments_distributions(tmp_path):
    """Installing or upgrading a distribution gives the environment another server: what
    the old one imported is not what a new interpreter would."""
    venv = tmp_path / "venv"
    (venv / "bin").mkdir(parents=True)
    (venv / "bin" / "python").write_bytes(b"")  # only its size and date are read
    site = venv / "lib" / "python3.99" / "site-packages"
    (site / "aiohttp-3.0.dist-info").mkdir(parents=True)
    before = warm.key(venv, {})

    (site / "aiohttp-3.0.dist-info").rename(site / "aiohttp-3.1.dist-info")

    assert warm.key(venv, {}) != before
    assert warm.key(venv, {"HOME": "/elsewhere"}) == warm.key(venv, {})  # read later
    assert warm.key(venv, {"PYTHONHASHSEED": "1"}) != warm.key(venv, {})  # read at start


def test_stop_signals_no_process_whose_server_is_gone(warm_servers, tmp_path):
    """A pid file left by a server that was killed may name another process by now: stop
    removes the files and signals nothing that does not answer on the server's socket."""
    other = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    try:
        (warm_servers / "f-k.pid").write_text(str(other.pid), encoding="utf-8")

        assert warm.stop(warm_servers) == []

        assert other.poll() is None, "the process is left alone"
        assert not (warm_servers / "f-k.pid").exists()
    finally:
        other.kill()
        other.wait()


def test_a_server_whose_pid_file_is_removed_stops_after_its_run(warm_servers, tmp_path):
    server, project = _started(tmp_path)
    pid = _pid(server)

    server.pid.unlink()
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as nudge:  # a caller, then none
        nudge.connect(str(server.socket))

    assert gone(pid)
    assert not server.socket.exists()
