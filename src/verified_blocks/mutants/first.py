"""Run a mutant's own tests first: ``-p verified_blocks.mutants.first --mutated=FILE``.

A run of a mutated page stops at its first failure (``-x``), and most mutants are killed
by a test in the file they changed, or in a file that imports it. Those items go first:
the mutated file's own, then those of the files that import it, then the rest, each group
in the order pytest collected it. The page must pass in any order of its files (the
flakes session shuffles them), so this changes how soon a run stops, not its verdict.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption("--mutated", help="the mutated block's file name in the page's folder")


def _imports(path: Path, module: str) -> bool:
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError):
        return False
    return re.search(rf"^\s*(from|import)\s+{re.escape(module)}\b", text, re.MULTILINE) is not None


@pytest.hookimpl(trylast=True)  # after any other plugin's reordering
def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    mutated = config.getoption("mutated")
    if not mutated:
        return
    module = Path(mutated).stem
    rank: dict[Path, int] = {}

    def order(item: pytest.Item) -> int:
        path = item.path
        if path not in rank:
            if path.name == mutated:
                rank[path] = 0
            elif path.suffix == ".py" and _imports(path, module):
                rank[path] = 1
            else:
                rank[path] = 2
        return rank[path]

    items.sort(key=order)  # stable: each group keeps pytest's order
