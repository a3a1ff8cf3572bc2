"""pytest's rewritten plugin modules, written into this environment's cache once.

pytest rewrites the asserts of every module of a distribution that has a pytest plugin
(anyio, pytest-asyncio, pytest-mock, hypothesis...) as it imports it, and keeps what it
made beside the module's bytecode. Where Python may not write bytecode
(``PYTHONDONTWRITEBYTECODE``, set on some machines and CI runners), it keeps nothing, so
every pytest run rewrites them all again: in the toolchain tests' environment that took a
pytest start from 1.3 s to 3.3 s, for each of the hundreds of runs the toolchain starts
(the mutants, the flake runs, the pages' own pytest runs).

``python -m verified_blocks.rewrite_cache`` (nox runs it after each install) starts pytest
once in an empty folder with bytecode writing on, so that the plugins are rewritten into
the environment's cache, which later runs read whatever they may write. Nothing is
written into the repository: pytest sees no conftest and no test module there. It does
nothing where Python writes bytecode (pytest keeps its cache itself) or when the installed
distributions are those it last ran for (its stamp, in the environment).
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

from .verdicts import installed

#: Where the distributions the cache was written for are kept, in the environment.
STAMP = Path(sys.prefix) / "verified-blocks-rewrite-cache.json"


def write(stamp: Path = STAMP) -> bool:
    """Have pytest rewrite its plugins into the cache, unless it keeps its cache itself or
    did for these same distributions; whether it ran."""
    if not sys.flags.dont_write_bytecode:
        return False
    these = installed()
    try:
        if stamp.read_text(encoding="utf-8") == these:
            return False
    except OSError:
        pass
    import pytest

    sys.dont_write_bytecode = False  # for what is imported from here on
    with tempfile.TemporaryDirectory(prefix="rewrite-cache-") as empty:
        ini = Path(empty, "pytest.ini")
        ini.write_text("[pytest]\n", encoding="utf-8")
        # Collects nothing (exit 5): loading the plugins is the point, and what they warn
        # about an empty configuration (pytest-asyncio's unset loop scope) is no news.
        options = ["--collect-only", "-q", "-p", "no:cacheprovider", "-W", "ignore"]
        pytest.main(["-c", str(ini), *options, empty])
    stamp.write_text(these, encoding="utf-8")
    return True


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m verified_blocks.rewrite_cache")
    parser.add_argument("--stamp", type=Path, default=STAMP, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if write(args.stamp):
        print("rewrite_cache: pytest's plugins rewritten into this environment's cache")
    return 0


if __name__ == "__main__":
    sys.exit(main())
