"""A forked run is a `python -m pytest` run: what the examples can see of the process is the
same, only the imports were done before (verified_blocks.forkserver)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from verified_blocks.forkserver import OUTPUT, Servers, startup_modules

pytestmark = pytest.mark.skipif(not hasattr(os, "fork"), reason="POSIX only")

#: A test that writes what it sees of its process to seen.json.
SEEN = """
import asyncio, json, os, sys, warnings

def test_seen():
    async def wait(queue):
        await queue.get()

    async def main():
        task = asyncio.create_task(wait(asyncio.Queue()))
        await asyncio.sleep(0)
        tasks = len(asyncio.all_tasks())
        task.cancel()
        return tasks

    seen = {
        "path0": sys.path[0],
        "cwd": os.getcwd(),
        "argv": sys.argv[1:],
        "marker": os.environ.get("FORK_MARKER"),
        "stdin": os.read(0, 100).decode(),  # /dev/null, not the server's pipe
        "tasks": asyncio.run(main()),
        "session": os.getsid(0) == os.getpid(),
    }
    with open("seen.json", "w") as f:
        json.dump(seen, f)
"""


@pytest.fixture(scope="module")
def servers():
    with Servers(1, dict(os.environ)) as started:
        yield started


def _run(servers: Servers, where: Path, *args: str, timeout: float = 60) -> int | None:
    _configure(where)
    env = {**os.environ, "FORK_MARKER": str(where), "PY_COLORS": "0"}
    return servers.run(["-p", "no:cacheprovider", *args], where, env, timeout)


def _configure(where: Path) -> None:
    (where / "pytest.ini").write_text(
        "[pytest]\nasyncio_default_fixture_loop_scope = function\nfilterwarnings = error\n"
    )


def _run_either(servers: Servers, where: Path, forked: bool, module: str) -> int | None:
    """Run ``module`` forked from the server or in a new interpreter, as ``python -m
    pytest`` from ``where``, under the same configuration: its exit status."""
    if forked:
        return _run(servers, where, module)
    _configure(where)
    command = [sys.executable, "-m", "pytest", "-p", "no:cacheprovider", module]
    return subprocess.run(command, cwd=where, check=False).returncode


def test_a_forked_run_sees_what_a_new_interpreter_would(servers, tmp_path):
    (tmp_path / "test_seen.py").write_text(SEEN, encoding="utf-8")

    assert _run(servers, tmp_path, "test_seen.py") == 0, (tmp_path / OUTPUT).read_text()

    seen = json.loads((tmp_path / "seen.json").read_text(encoding="utf-8"))
    assert seen == {
        "path0": str(tmp_path),
        "cwd": str(tmp_path),
        "argv": ["-p", "no:cacheprovider", "test_seen.py"],
        "marker": str(tmp_path),
        "stdin": "",
        "tasks": 2,  # the loop's tasks are asyncio's own list (imports in their order)
        "session": True,  # its own session: stopping it stops what it started
    }


def test_a_forked_run_reports_failure_and_output(servers, tmp_path):
    (tmp_path / "test_fails.py").write_text("def test_no():\n    assert 1 == 2\n")

    assert _run(servers, tmp_path, "test_fails.py") == 1

    assert "1 failed" in (tmp_path / OUTPUT).read_text(encoding="utf-8")


def test_a_run_past_its_time_is_stopped_and_the_server_serves_on(servers, tmp_path):
    (tmp_path / "test_sleeps.py").write_text(
        "import subprocess, sys, time\n\n"
        "def test_sleeps():\n"
        "    subprocess.Popen([sys.executable, '-c', 'import time; time.sleep(60)'])\n"
        "    time.sleep(60)\n",
        encoding="utf-8",
    )
    assert _run(servers, tmp_path, "test_sleeps.py", timeout=2) is None

    (tmp_path / "test_ok.py").write_text("def test_ok():\n    pass\n", encoding="utf-8")
    assert _run(servers, tmp_path, "test_ok.py") == 0


def test_no_module_pytest_rewrites_is_imported_before_a_run():
    """A plugin imported before pytest starts warns that its asserts cannot be rewritten
    (an error under the examples' filterwarnings = error)."""
    modules = startup_modules(dict(os.environ))
    assert "asyncio" in modules and "_pytest.config" in modules
    tops = {name.split(".")[0] for name in modules}
    assert not tops & {"pytest_asyncio", "pytest_mock", "anyio", "verified_blocks"}
    # as Python imported them: asyncio (a module of it) before its C part
    first = min(i for i, n in enumerate(modules) if n.split(".")[0] == "asyncio")
    assert first < modules.index("_asyncio")


#: A test that writes how pytest-asyncio, a plugin pytest rewrites, came to be imported.
LOADER = """
import sys

def test_loader(request):
    loader = sys.modules["pytest_asyncio"].__loader__
    with open("loader.txt", "w") as f:
        f.write(f"{type(loader).__name__} {loader.config is request.config}")
"""


@pytest.mark.parametrize("forked", [False, True], ids=["fresh", "forked"])
def test_the_plugins_are_imported_once_by_pytests_rewriting_loader(servers, tmp_path, forked):
    """In a new interpreter the run's own rewriting import hook imports the plugins; a
    forked run finds them imported by one too (the server's session's), so it neither
    imports them again nor warns that it cannot rewrite them (filterwarnings = error)."""
    (tmp_path / "test_loader.py").write_text(LOADER, encoding="utf-8")

    code = _run_either(servers, tmp_path, forked, "test_loader.py")

    assert code == 0, (tmp_path / OUTPUT).read_text() if forked else code
    seen = (tmp_path / "loader.txt").read_text(encoding="utf-8")
    assert seen == f"AssertionRewritingHook {not forked}"


def test_what_pytest_lets_through_is_shown_as_python_would(servers, tmp_path):
    """An exception out of pytest.main (here a plugin's, not an Exception, so pytest does
    not catch it) ends the run as it ends `python -m pytest`: its traceback, exit 1."""
    (tmp_path / "boom.py").write_text(
        "class Boom(BaseException):\n    pass\n\nraise Boom('at import')\n", encoding="utf-8"
    )

    assert _run(servers, tmp_path, "-p", "boom") == 1

    output = (tmp_path / OUTPUT).read_text(encoding="utf-8")
    assert "boom.Boom: at import" in output and "Traceback" in output


#: A test that leaves what an interpreter's exit deals with: a thread that is not a daemon,
#: which ends a moment after the test, and an `atexit` function; each writes to exit.txt
#: when it runs.
AT_EXIT = """
import atexit, threading, time

def log(line):
    with open("exit.txt", "a") as f:
        f.write(line + "\\n")

def test_leaves_a_thread():
    def late():
        time.sleep(0.2)
        log("thread ended")

    threading.Thread(target=late).start()
    atexit.register(log, "atexit ran")
    log("test ended")
"""


@pytest.mark.parametrize("forked", [False, True], ids=["fresh", "forked"])
def test_a_forked_run_ends_as_an_interpreter_does(servers, tmp_path, forked):
    """Its threads that are not daemons are waited for, then its atexit functions run:
    a run that leaves a thread running hangs, as `python -m pytest` would."""
    (tmp_path / "test_exit.py").write_text(AT_EXIT, encoding="utf-8")

    assert _run_either(servers, tmp_path, forked, "test_exit.py") == 0
    seen = (tmp_path / "exit.txt").read_text(encoding="utf-8").splitlines()
    assert seen == ["test ended", "thread ended", "atexit ran"]


@pytest.mark.parametrize(
    ("raised", "status", "printed"),
    [("None", 0, None), ("3", 3, None), ("'stopped by a plugin'", 1, "stopped by a plugin")],
)
def test_a_system_exit_out_of_pytest_ends_the_run_as_python_would(
    servers, tmp_path, raised, status, printed
):
    (tmp_path / "halt.py").write_text(f"raise SystemExit({raised})\n", encoding="utf-8")

    assert _run(servers, tmp_path, "-p", "halt") == status

    output = (tmp_path / OUTPUT).read_text(encoding="utf-8")
    assert output.strip() == (printed or "")
