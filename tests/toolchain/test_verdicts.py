"""A check's pass is kept under the digest of what it read (verified_blocks/verdicts.py):
run again with nothing changed it is not run; with anything changed, it is."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from verified_blocks import verdicts


def check(where: Path, *options: str, fails: bool = False, argument: str = "x") -> tuple[int, str]:
    """Run a check through verdicts in ``where``: it appends a line to ran.txt, which is
    no input, so the file counts its runs."""
    script = "open('ran.txt', 'a').write('ran\\n')" + ("; raise SystemExit(3)" if fails else "")
    done = subprocess.run(
        [sys.executable, "-m", "verified_blocks.verdicts", "demo", *options]
        + ["--", sys.executable, "-c", script, argument],
        cwd=where,
        capture_output=True,
        text=True,
        check=False,
    )
    return done.returncode, done.stdout + done.stderr


def runs(where: Path) -> int:
    ran = where / "ran.txt"
    return len(ran.read_text().splitlines()) if ran.exists() else 0


@pytest.fixture
def project(tmp_path: Path) -> Path:
    (tmp_path / "inputs" / "deep").mkdir(parents=True)
    (tmp_path / "inputs" / "deep" / "page.md").write_text("one\n")
    (tmp_path / "config.toml").write_text("a = 1\n")
    return tmp_path


INPUTS = ("--input=inputs", "--input=config.toml")


def test_a_pass_is_not_run_again_until_an_input_changes(project: Path) -> None:
    assert check(project, *INPUTS)[0] == 0
    code, said = check(project, *INPUTS)
    assert (code, runs(project)) == (0, 1)
    assert "verdicts: demo passed at" in said and "not run again" in said

    (project / "inputs" / "deep" / "page.md").write_text("two\n")
    assert check(project, *INPUTS)[0] == 0
    assert runs(project) == 2
    (project / "inputs" / "new.md").write_text("a new file is an input too\n")
    assert check(project, *INPUTS)[0] == 0
    (project / "config.toml").write_text("a = 2\n")
    assert check(project, *INPUTS)[0] == 0
    assert runs(project) == 4
    assert check(project, *INPUTS)[0] == 0
    assert runs(project) == 4


def test_a_failure_is_never_kept(project: Path) -> None:
    for _ in range(2):
        assert check(project, *INPUTS, fails=True)[0] == 3
    assert runs(project) == 2
    assert not (project / verdicts.STORE / "demo.json").exists()


def test_no_cache_runs_it_whatever_is_kept(project: Path) -> None:
    check(project, *INPUTS)
    assert check(project, *INPUTS, "--no-cache")[0] == 0
    assert runs(project) == 2


def test_another_command_is_another_check(project: Path) -> None:
    """Its options choose what it checks: `nox -s tests -- -k x` is not `nox -s tests`."""
    check(project, *INPUTS)
    check(project, *INPUTS, "--input=inputs/deep")  # the same files, the same check
    assert runs(project) == 1
    check(project, *INPUTS, argument="y")
    assert runs(project) == 2


def test_a_stamp_is_its_size_and_time(project: Path) -> None:
    program = project / "program"
    program.write_bytes(b"x" * 10)
    check(project, *INPUTS, f"--stamp={program}")
    check(project, *INPUTS, f"--stamp={program}")
    assert runs(project) == 1
    os.utime(program, ns=(0, 10**9))  # an upgrade of the same size
    check(project, *INPUTS, f"--stamp={program}")
    assert runs(project) == 2


def test_a_missing_input_is_an_error_not_a_run(project: Path) -> None:
    code, said = check(project, "--input=nowhere")
    assert code == 2 and runs(project) == 0
    assert "nowhere: no such file or folder to key a verdict on" in said


def test_a_kept_pass_is_for_its_key_and_its_name(project: Path) -> None:
    check(project, *INPUTS)
    kept = project / verdicts.STORE / "demo.json"
    entry = json.loads(kept.read_text())
    kept.write_text(json.dumps({**entry, "name": "other"}))
    check(project, *INPUTS)
    assert runs(project) == 2


def _git(root: Path, *args: str) -> None:
    command = ["git", "-c", "user.name=Guide", "-c", "user.email=guide@example.org"]
    command += ["-c", "commit.gpgsign=false", "-C", str(root), *args]
    subprocess.run(command, capture_output=True, check=True)


def test_in_a_repository_what_git_ignores_is_no_input(project: Path) -> None:
    """A cache or build output written inside an input folder (pytest's, Python's) does
    not make the next run run again; a new file git would track does."""
    (project / ".gitignore").write_text("cache/\n")
    _git(project, "init", "-q")
    _git(project, "add", "-A")
    _git(project, "commit", "-q", "-m", "inputs")
    check(project, "--input=inputs")
    (project / "inputs" / "cache").mkdir()
    (project / "inputs" / "cache" / "state").write_text("written by the run\n")
    check(project, "--input=inputs")
    assert runs(project) == 1
    (project / "inputs" / "untracked.md").write_text("not yet added\n")
    check(project, "--input=inputs")
    assert runs(project) == 2


def test_a_folder_git_ignores_is_walked_less_dot_names(project: Path) -> None:
    """The built site: git ignores it, so all its files count, less dot-named ones
    (Sphinx's .doctrees, pickles that differ from build to build)."""
    (project / ".gitignore").write_text("site/\n")
    _git(project, "init", "-q")
    site = project / "site"
    (site / ".doctrees").mkdir(parents=True)
    (site / "index.html").write_text("<p>one</p>\n")
    check(project, "--input=site")
    (site / ".doctrees" / "env.pickle").write_bytes(b"changes every build")
    check(project, "--input=site")
    assert runs(project) == 1
    (site / "index.html").write_text("<p>two</p>\n")
    check(project, "--input=site")
    assert runs(project) == 2
