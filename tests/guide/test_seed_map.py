"""The seed map lists every heading of both seeds, word for word, each with where it is covered.

The seeds (the two guides this one grew from) are not part of the repository; their headings
are, as data, in ``tests/guide/seed_headings.json``, so the check runs on a fresh clone with nothing
beside it. The seeds mix Markdown headings, reStructuredText underlined headings and numbered
bold items (``1. **Use AsyncMock ...**``) under a heading; all three count. To refresh the
data from a folder of seeds: ``python tests/guide/test_seed_map.py ../shared/seeds``.
"""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path

import pytest
from docutils.nodes import make_id
from markdown_it import MarkdownIt
from mdit_py_plugins.anchors import anchors_plugin

ROOT = Path(__file__).resolve().parents[2]
SEED_HEADINGS = ROOT / "tests" / "guide" / "seed_headings.json"
SEED_MAP = ROOT / "maintainers" / "seed-map.md"

_MD_HEADING = re.compile(r"#{1,6} (.+)")
_RST_UNDERLINE = re.compile(r"([=\-~^])\1{2,}")
_NUMBERED_BOLD = re.compile(r"(\d+)\. \*\*(.+?)\*\*")


def seed_headings(text: str) -> tuple[str, list[str]]:
    """The seed's title and its headings and numbered items, in order, outside code."""
    lines = text.splitlines()
    headings: list[str] = []
    parent = ""
    in_code = False
    for index, line in enumerate(lines):
        if line.lstrip().startswith("```"):
            in_code = not in_code
            continue
        if in_code:
            continue
        following = lines[index + 1] if index + 1 < len(lines) else ""
        if (md := _MD_HEADING.fullmatch(line)) or (
            line.strip() and _RST_UNDERLINE.fullmatch(following.strip())
        ):
            parent = md.group(1).strip() if md else line.strip()
            headings.append(parent)
        elif item := _NUMBERED_BOLD.match(line):
            headings.append(f"{parent} {item.group(1)}: {item.group(2)}")
    return headings[0], headings


def map_tables(text: str) -> dict[str, dict[str, str]]:
    """Seed title -> {heading: where it is covered}, from the page's tables."""
    tables: dict[str, dict[str, str]] = {}
    current = None
    for line in text.splitlines():
        if title := re.fullmatch(r'## "(.+)" \(.+\)', line):
            current = tables.setdefault(title.group(1), {})
        elif current is not None and line.startswith("| ") and not line.startswith("| ---"):
            heading, covered = (cell.strip() for cell in line.strip("|").split(" | ", 1))
            if heading != "Heading":
                current[heading.replace("\\_", "_")] = covered
    return tables


SEEDS = json.loads(SEED_HEADINGS.read_text(encoding="utf-8")) if SEED_HEADINGS.exists() else []


def test_both_seeds_are_there():
    assert len(SEEDS) == 2, f"expected the headings of two seeds in {SEED_HEADINGS}"


@pytest.mark.parametrize("seed", SEEDS, ids=lambda s: s["title"])
def test_seed_map_lists_every_heading_of_the_seed(seed):
    title, headings = seed["title"], seed["headings"]
    tables = map_tables(SEED_MAP.read_text(encoding="utf-8"))
    assert title in tables, f"{SEED_MAP.name} has no section for the seed {title!r}"
    table = tables[title]

    missing = [h for h in headings if h not in table]
    extra = [h for h in table if h not in headings]
    assert not missing, f"headings of {title!r} missing from {SEED_MAP.name}: {missing}"
    assert not extra, f"rows of {SEED_MAP.name} that are not headings of {title!r}: {extra}"


def test_every_row_says_where_it_is_covered():
    for title, table in map_tables(SEED_MAP.read_text(encoding="utf-8")).items():
        for heading, covered in table.items():
            assert "](" in covered or covered.startswith(("The ", "This guide")), (
                f"{title} / {heading}: no link to where it is covered"
            )


def test_parser_reads_all_three_kinds_of_heading():
    text = (
        "Guide\n=====\n\nPart\n----\n\n1. **First item**\n\n   ```python\n"
        "   # not a heading\n   ```\n\n## Markdown heading\n\n2. **Second** with text\n"
    )
    assert seed_headings(text) == (
        "Guide",
        ["Guide", "Part", "Part 1: First item", "Markdown heading", "Markdown heading 2: Second"],
    )


def write_seed_headings(folder: Path) -> None:
    """Write the title and headings of every seed in ``folder`` to ``SEED_HEADINGS``."""
    seeds = []
    for path in sorted(folder.glob("*.txt")):
        title, headings = seed_headings(path.read_text(encoding="utf-8"))
        seeds.append({"title": title, "headings": headings})
    SEED_HEADINGS.write_text(json.dumps(seeds, indent=2) + "\n", encoding="utf-8")


if __name__ == "__main__":
    write_seed_headings(Path(sys.argv[1]))


def _anchors(page: Path) -> set[str]:
    """The anchors a link may name on ``page``: MyST's heading slugs
    (``myst_heading_anchors = 3``) and the section ids docutils makes."""
    parser = MarkdownIt("commonmark").use(anchors_plugin, max_level=3)
    tokens = parser.parse(page.read_text(encoding="utf-8"))
    anchors = set()
    for index, token in enumerate(tokens):
        if token.type == "heading_open":
            text = "".join(c.content for c in tokens[index + 1].children or [])
            anchors |= {str(token.attrGet("id")), make_id(text)}
    return anchors


def test_every_link_of_the_seed_map_reaches_a_page_and_section():
    broken = []
    for target in re.findall(r"\]\(([^)\s]+)\)", SEED_MAP.read_text(encoding="utf-8")):
        path, _, anchor = target.partition("#")
        page = (SEED_MAP.parent / path).resolve()
        if not page.is_file() or (anchor and anchor not in _anchors(page)):
            broken.append(target)
    assert not broken, f"{SEED_MAP.name}: links to no page or section: {broken}"
