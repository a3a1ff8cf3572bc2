"""Every page's download runs: unpack its zip in an empty folder and run its command.

The command is the one the page shows under "Run this page's examples" (its `pip install`
is skipped: this environment has the same pins installed).
"""

from __future__ import annotations

import dataclasses
import io
import os
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from verified_blocks.spec import version_key
from verified_blocks.sphinx.takeaway import ALL_PAGES_FOLDER, all_pages_zip, bundles

ROOT = Path(__file__).resolve().parents[2]
BUNDLES = bundles(ROOT)


def test_every_page_with_examples_has_a_bundle():
    pages = {p.relative_to(ROOT).as_posix() for p in (ROOT / "docs").rglob("*.md")}
    assert set(BUNDLES) <= pages
    assert len(BUNDLES) >= 25


def _reader_env(tmp_path: Path) -> dict[str, str]:
    """A reader's environment: none of our pytest options, and a temp root of the test's own.

    Runs on the other xdist worker at the same time would otherwise share pytest's default
    temp root and remove each other's numbered folders (pytest-dev/pytest#11790).
    """
    temproot = tmp_path / "pytest-temproot"
    temproot.mkdir()
    env = {k: v for k, v in os.environ.items() if k != "PYTEST_ADDOPTS"}
    return {**env, "PYTEST_DEBUG_TEMPROOT": str(temproot)}


@pytest.mark.parametrize("page", sorted(BUNDLES))
def test_downloaded_examples_run_with_the_command_shown(page, tmp_path):
    bundle = BUNDLES[page]
    zipfile.ZipFile(io.BytesIO(bundle.zip_bytes())).extractall(tmp_path)
    (folder,) = tmp_path.iterdir()
    assert (folder / "requirements.txt").read_bytes() == (ROOT / "requirements.txt").read_bytes()
    env = _reader_env(tmp_path)
    here = f"{sys.version_info.major}.{sys.version_info.minor}"
    newer = {f for f, since in bundle.newer.items() if version_key(since) > version_key(here)}
    for command in bundle.command[1:]:  # [0] is the pip install
        program, *args = command.split()
        args = [a for a in args if a not in newer] if program == "pytest" else args
        if program == "pytest" and not args:
            continue
        if program == "python" and args[0] in newer:
            continue
        runner = ["-m", "pytest", "-p", "no:cacheprovider"] if program == "pytest" else []
        run = [sys.executable, *runner, *args]
        result = subprocess.run(run, cwd=folder, env=env, capture_output=True, text=True)
        assert result.returncode == 0, (
            f"{command}\n{result.stdout[-3000:]}\n{result.stderr[-3000:]}"
        )


def _run_all(pages: dict[str, object], tmp_path: Path) -> subprocess.CompletedProcess[str]:
    zipfile.ZipFile(io.BytesIO(all_pages_zip(pages))).extractall(tmp_path)
    folder = tmp_path / ALL_PAGES_FOLDER
    assert (folder / "requirements.txt").read_bytes() == (ROOT / "requirements.txt").read_bytes()
    env = _reader_env(tmp_path)
    return subprocess.run(
        [sys.executable, "run_all.py"], cwd=folder, env=env, capture_output=True, text=True
    )


def test_the_all_pages_download_runs_each_page_command(tmp_path):
    """Three pages, one with a file that fails on purpose and one with a script: run_all.py
    runs each page's command in its folder (every page's, in a CI of the built site)."""
    chosen = [
        "docs/how-to/test-error-handling.md",
        "docs/troubleshooting/magicmock-cant-be-used-in-await.md",
        "docs/tutorial/write-your-first-async-test.md",
    ]
    pages = {page: BUNDLES[page] for page in chosen if page in BUNDLES}
    assert len(pages) == 3 and any(b.mistakes for b in pages.values())

    ran = _run_all(pages, tmp_path)

    assert ran.returncode == 0, ran.stdout[-3000:] + ran.stderr[-3000:]
    assert ran.stdout.rstrip().endswith("3 pages, 0 failed commands")
    said = [line for line in ran.stdout.splitlines() if line.startswith("== ")]
    assert said and all(" -m pytest -q " in line or line.endswith(".py") for line in said)


def test_the_all_pages_download_says_which_command_failed(tmp_path):
    page = "docs/how-to/test-error-handling.md"
    broken = BUNDLES[page]
    test = broken.tests[0]
    files = {**broken.files, test: b"def test_broken():\n    assert False\n"}
    ran = _run_all({page: dataclasses.replace(broken, files=files)}, tmp_path)

    assert ran.returncode == 1
    lines = ran.stdout.rstrip().splitlines()
    assert lines[-2] == "1 pages, 1 failed commands"
    assert lines[-1].startswith(f"  {broken.folder}: python -m pytest -q ")
