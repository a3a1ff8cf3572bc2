"""The python3.14/3.15 wrappers that .ci/debian-pythons installs where the host has none.

Each wrapper runs Debian's interpreter in a chroot that shows some host folders. uv
compiles what it installs by starting the venv's python by its full path from another
directory; a wrapper that showed only the working directory's top folder could not find
a venv outside the usual folders (CI's clone in /check/...), and every `examples-3.14`
install timed out.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

MARKER = "made by .ci/debian-pythons"


def _wrapper(version: str) -> tuple[str, Path]:
    """The wrapper's path and the Debian root it runs in; skip where python3.X is real."""
    found = shutil.which(f"python{version}")
    text = Path(found).read_text(errors="replace") if found else ""
    root = re.search(r"from the Debian root (\S+) \(" + re.escape(MARKER), text)
    if found is None or root is None:
        pytest.skip(f"python{version} here is not a wrapper from .ci/debian-pythons")
    return found, Path(root[1])


@pytest.fixture
def top_folder() -> Iterator[Path]:
    """A new folder at the top of the host, like CI's /check (needs root, as the wrappers do)."""
    if os.geteuid() != 0:
        pytest.skip("the wrappers run as root")
    folder = Path(tempfile.mkdtemp(prefix="verified-blocks-", dir="/"))
    try:
        yield folder
    finally:
        shutil.rmtree(folder)


@pytest.mark.parametrize("version", ["3.14", "3.15"])
def test_a_venv_python_runs_by_its_full_path_from_any_directory(
    version: str, top_folder: Path, tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    python, root = _wrapper(version)
    # The wrapper leaves an empty mount point in its root for each folder it shows.
    request.addfinalizer(lambda: (root / top_folder.name).rmdir())
    subprocess.run(
        [python, "-m", "venv", "--without-pip", "venv"], cwd=top_folder, check=True, timeout=60
    )
    venv_python = top_folder / "venv" / "bin" / "python"
    for cwd in ("/", tmp_path, top_folder):
        ran = subprocess.run(
            [str(venv_python), "-c", "import sys; print(sys.prefix)"],
            cwd=cwd,
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert (ran.returncode, ran.stdout.strip()) == (0, str(top_folder / "venv")), (
            f"from {cwd}: {ran.stderr}"
        )
