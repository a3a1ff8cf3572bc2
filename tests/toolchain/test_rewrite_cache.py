"""Where Python may not write bytecode, pytest's rewritten plugin modules are written into
the environment once, so that each later pytest run reads them instead of rewriting."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest


@pytest.fixture
def plugin(tmp_path: Path) -> Path:
    """A distribution with a pytest plugin in ``tmp_path/site``, which ``python -m`` run
    there finds (the current folder is first on its path)."""
    site = tmp_path / "site"
    info = site / "fakeplugin-1.0.dist-info"
    info.mkdir(parents=True)
    (site / "fakeplugin.py").write_text("def pytest_configure(config):\n    assert config\n")
    (info / "METADATA").write_text("Metadata-Version: 2.1\nName: fakeplugin\nVersion: 1.0\n")
    (info / "entry_points.txt").write_text("[pytest11]\nfake = fakeplugin\n")
    (info / "RECORD").write_text("fakeplugin.py,,\nfakeplugin-1.0.dist-info/METADATA,,\n")
    return site


def cache(site: Path, stamp: Path, *, dont_write: bool) -> str:
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    if dont_write:
        env["PYTHONDONTWRITEBYTECODE"] = "1"
    done = subprocess.run(
        [sys.executable, "-m", "verified_blocks.rewrite_cache", f"--stamp={stamp}"],
        cwd=site,
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    return done.stdout


def rewritten(site: Path) -> list[str]:
    return sorted(p.name for p in site.glob("__pycache__/fakeplugin.*-pytest-*.pyc"))


def test_the_plugins_are_rewritten_into_the_cache_once(plugin, tmp_path):
    stamp = tmp_path / "stamp.json"

    said = cache(plugin, stamp, dont_write=True)

    assert said.endswith(
        "rewrite_cache: pytest's plugins rewritten into this environment's cache\n"
    )
    assert len(rewritten(plugin)) == 1
    assert '["fakeplugin", "1.0"]' in stamp.read_text()
    # the same distributions: nothing to do
    for cached in plugin.glob("__pycache__/*"):
        cached.unlink()
    assert cache(plugin, stamp, dont_write=True) == ""
    assert rewritten(plugin) == []


def test_another_distribution_writes_it_again(plugin, tmp_path):
    stamp = tmp_path / "stamp.json"
    stamp.write_text('[["fakeplugin", "0.9"]]')

    cache(plugin, stamp, dont_write=True)

    assert len(rewritten(plugin)) == 1


def test_nothing_to_do_where_python_writes_bytecode(plugin, tmp_path):
    """pytest keeps its cache itself there, at its first run."""
    stamp = tmp_path / "stamp.json"

    assert cache(plugin, stamp, dont_write=False) == ""
    assert not stamp.exists()
    assert rewritten(plugin) == []
