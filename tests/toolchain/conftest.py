"""Helpers for the toolchain's tests: a throwaway repository with pages in docs/."""

from __future__ import annotations

import os
from collections.abc import Iterator
import textwrap
import time
from pathlib import Path

import pytest
from hypothesis import settings

from verified_blocks import extract, warm

# The fuzz tests' budget: modest in `nox -s tests`, large in `nox -s fuzz`
# (--hypothesis-profile=fuzz). No deadline: a huge generated page may take a while.
settings.register_profile("toolchain", max_examples=200, deadline=None, print_blob=True)
settings.register_profile("fuzz", max_examples=5000, deadline=None, print_blob=True)
settings.load_profile("toolchain")


#: The guide's own examples configuration, shown on its configuration page.
CONFIGURATION_PAGE = extract.configuration_page(Path(__file__).resolve().parents[2])


class Repo:
    def __init__(self, root: Path) -> None:
        self.root = root
        (root / "docs").mkdir(parents=True)
        # Every example runs under the pytest.ini of this page, as in the guide.
        self.page(extract.CONFIGURATION.removeprefix("docs/"), CONFIGURATION_PAGE)

    def page(self, name: str, text: str) -> str:
        path = self.root / "docs" / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text).lstrip("\n"), encoding="utf-8")
        return f"docs/{name}"

    def extract(self, *args: str) -> int:
        return extract.main(["--root", str(self.root), *args])

    def snapshot(self) -> dict[str, bytes]:
        return extract.existing_tree(self.root / "examples")


@pytest.fixture
def repo(tmp_path: Path) -> Repo:
    return Repo(tmp_path / "repo")


@pytest.fixture
def warm_servers(tmp_path_factory, monkeypatch) -> Iterator[Path]:
    """A folder of warm servers (verified_blocks.warm) of the test's own, instead of the
    user's: every server started in it is stopped at the end."""
    # short: a Unix socket's path has at most about 100 bytes
    where = tmp_path_factory.mktemp("w", numbered=True)
    where.chmod(0o700)
    monkeypatch.setenv("VERIFIED_BLOCKS_WARM", str(where))
    yield where
    for pid in warm.stop(where):
        assert gone(pid), f"warm server {pid} still runs"


def gone(pid: int, within: float = 10) -> bool:
    """Whether process ``pid`` ends within ``within`` seconds."""
    deadline = time.monotonic() + within
    while time.monotonic() < deadline:
        if _ended(pid):
            return True
        time.sleep(0.02)
    return False


def _ended(pid: int) -> bool:
    """Whether process ``pid`` has ended: it is gone, or a zombie. A warm server is a
    daemon, whose parent is the machine's init once it ends, and an init may reap it only
    seconds later (on this project's CI machines, every 2 s)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    try:
        stat = Path(f"/proc/{pid}/stat").read_text(encoding="utf-8")
    except OSError:  # no /proc: only its end tells
        return False
    return stat.rpartition(")")[2].split()[0] == "Z"  # after the command, which may hold ")"
