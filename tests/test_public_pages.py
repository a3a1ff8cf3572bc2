"""The site speaks to the public: its readers never saw the two guides it grew from, so no
page mentions them (maintainers/seed-map.md, outside the site, maps their headings)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

DOCS = Path(__file__).resolve().parent.parent / "docs"
PAGES = sorted(DOCS.rglob("*.md"))
_PRIVATE = re.compile(
    r"\b(?:internal|original|source|seed)\s+guides?\b|\bseeds?\b|guides? this one replaces",
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
