"""The site speaks to the public: its readers never saw the two guides it grew from, so no
page mentions them (maintainers/seed-map.md, outside the site, maps their headings)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

DOCS = Path(__file__).resolve().parents[2] / "docs"
# The site's pages: docs/_inventories/README.md, for maintainers, is not one (conf.py).
PAGES = sorted(p for p in DOCS.rglob("*.md") if not p.relative_to(DOCS).parts[0].startswith("_"))
_PRIVATE = re.compile(
    r"\b(?:internal|original|source|seed)\s+guides?\b"
    r"|(?<![\w-])seeds?(?![\w-])"
    r"|guides? this one replaces",
    re.IGNORECASE,
)


@pytest.mark.parametrize("page", PAGES, ids=lambda p: p.relative_to(DOCS).as_posix())
def test_no_page_speaks_of_the_guides_it_grew_from(page: Path) -> None:
    text = page.read_text(encoding="utf-8")
    found = [
        f"{page.relative_to(DOCS)}:{text.count(chr(10), 0, m.start()) + 1}: {m.group(0)!r}"
        for m in _PRIVATE.finditer(text)
    ]
    assert not found, "say 'common advice' instead: " + ", ".join(found)


def test_the_pattern_finds_what_it_should() -> None:
    for text in (
        "one of the two internal guides this one replaces",
        "the original guides",
        "the seed's fixture",
        "the source guide says",
    ):
        assert _PRIVATE.search(text), text
    assert not _PRIVATE.search("common advice recommends a seeded random generator")
    assert not _PRIVATE.search("[Seed-App-Mine-Seed-BOT#26](https://github.com/x/Seed-App)")


_ROLE = re.compile(r"\{[\w:+-]+\}`")
TASK_SECTIONS = ("how-to", "troubleshooting", "worked-examples")


def _structure(text: str) -> tuple[str, str, str]:
    """The page's title, the first paragraph after it, and its `## Next` section."""
    title, _, rest = text.partition("\n")
    intro = rest.lstrip("\n").split("\n\n", 1)[0]
    _, _, after = text.partition("\n## Next\n")
    return title, intro, after.split("\n## ", 1)[0]


@pytest.mark.parametrize("page", PAGES, ids=lambda p: p.relative_to(DOCS).as_posix())
def test_page_has_a_title_an_intro_and_a_next_step(page: Path) -> None:
    where = page.relative_to(DOCS).as_posix()
    title, intro, following = _structure(page.read_text(encoding="utf-8"))
    assert title.startswith("# "), f"{where}: the first line is not a title"
    if where.split("/")[0] in TASK_SECTIONS:
        assert title.startswith("# How to "), f"{where}: a task page's title says 'How to ...'"
    if where == "index.md":
        return
    # a paragraph may start with a role ({py:class}`...`), not with a block's attributes
    paragraph = intro and not intro.startswith(("#", "|", ":", "```", "- ", "{"))
    assert paragraph or _ROLE.match(intro), f"{where}: no introductory paragraph after the title"
    assert "](" in following, f"{where}: no `## Next` section with a link to the next step"
