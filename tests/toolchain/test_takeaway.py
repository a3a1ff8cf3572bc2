"""Every page's download runs: unpack its zip in an empty folder and run its command.

The command is the one the page shows under "Run this page's examples" (its `pip install`
is skipped: this environment has the same pins installed).
"""

from __future__ import annotations

import io
import os
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from verified_blocks.spec import version_key
from verified_blocks.sphinx.takeaway import bundles

ROOT = Path(__file__).resolve().parents[2]
BUNDLES = bundles(ROOT)


def test_every_page_with_examples_has_a_bundle():
    pages = {p.relative_to(ROOT).as_posix() for p in (ROOT / "docs").rglob("*.md")}
    assert set(BUNDLES) <= pages
    assert len(BUNDLES) >= 25


@pytest.mark.parametrize("page", sorted(BUNDLES))
def test_downloaded_examples_run_with_the_command_shown(page, tmp_path):
    bundle = BUNDLES[page]
    zipfile.ZipFile(io.BytesIO(bundle.zip_bytes())).extractall(tmp_path)
    (folder,) = tmp_path.iterdir()
    assert (folder / "requirements.txt").read_bytes() == (ROOT / "requirements.txt").read_bytes()
    env = {k: v for k, v in os.environ.items() if k != "PYTEST_ADDOPTS"}
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
