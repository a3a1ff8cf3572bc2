"""What the built site offers a machine: llms.txt lists every page of docs/, and
llms-full.txt holds the pages as built, so the tables generated at build time (the error
index, the version matrix) are in it row by row, not as the directive that makes them.

Read from the files (no browser needed), after `nox -s docs`.
"""

from __future__ import annotations

import re
from html.parser import HTMLParser
from pathlib import Path

import pytest
from conftest import Site

DOCS = Path(__file__).resolve().parents[2] / "docs"

#: A backslash escape of Markdown: any ASCII punctuation character (CommonMark).
MARKDOWN_ESCAPE = re.compile(r"\\([!-/:-@[-`{-~])")

#: A Markdown link: [text](target).
MARKDOWN_LINK = re.compile(r"\[((?:[^\]\\]|\\.)*)\]\([^()\s]*\)")

#: A page's line in llms.txt: `- [Title](link.md)`.
LISTED = re.compile(r"^- \[.*\]\((?P<link>[^()\s]+)\.md\)$", re.MULTILINE)


class _TableRows(HTMLParser):
    """The text of each body row's cells, in the tables inside `<div class="{container}">`."""

    def __init__(self, container: str) -> None:
        super().__init__(convert_charrefs=True)
        self.container = container
        self.depth = 0  # open divs since the container's own, 0 outside it
        self.rows: list[list[str]] = []
        self.cell: list[str] | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "div" and (self.depth or self.container in (dict(attrs).get("class") or "")):
            self.depth += 1
        elif self.depth and tag == "tr":
            self.rows.append([])
        elif self.depth and tag == "td":
            self.cell = []

    def handle_endtag(self, tag: str) -> None:
        if tag == "div" and self.depth:
            self.depth -= 1
        elif tag == "td" and self.cell is not None:
            self.rows[-1].append(" ".join("".join(self.cell).split()))
            self.cell = None

    def handle_data(self, data: str) -> None:
        if self.cell is not None:
            self.cell.append(data)


def table_rows(site: Site, page: str, container: str) -> list[list[str]]:
    parser = _TableRows(container)
    parser.feed(site.html(page))
    parser.close()
    return [row for row in parser.rows if row]


def page_in_llms_full(site: Site, docname: str) -> list[str]:
    """The lines of one page in llms-full.txt as text: links as their text, code without
    its backticks, Markdown's backslash escapes undone, whitespace collapsed."""
    full = (site.folder / "llms-full.txt").read_text(encoding="utf-8")
    head = f"<!-- {docname}.md -->"
    assert head in full, f"llms-full.txt has no {docname}"
    text = full.split(head, 1)[1].split("\n<!-- ", 1)[0]
    lines = []
    for line in text.splitlines():
        line = MARKDOWN_LINK.sub(r"\1", line).replace("`", "")
        lines.append(" ".join(MARKDOWN_ESCAPE.sub(r"\1", line).split()))
    return lines


def missing_rows(site: Site, docname: str, container: str) -> list[str]:
    """The rows of the page's generated table that no line of llms-full.txt holds."""
    rows = table_rows(site, f"{docname}.html", container)
    assert rows, f"{docname}.html has no {container} table"
    lines = page_in_llms_full(site, docname)
    texts = [[cell.replace("`", "") for cell in row] for row in rows]
    return [
        " | ".join(row)
        for row in texts
        if not any(all(cell in line for cell in row) for line in lines)
    ]


def listed_pages(site: Site) -> list[str]:
    """The pages llms.txt lists, in its order, as docnames."""
    links = LISTED.findall((site.folder / "llms.txt").read_text(encoding="utf-8"))
    # rooted at the site's path where its address was known (/en/latest/index.md)
    root = next(link for link in links if link.rpartition("/")[2] == "index")
    prefix = root.removesuffix("index")
    return [link.removeprefix(prefix) for link in links]


def test_llms_txt_lists_every_page(site: Site) -> None:
    pages = {
        path.relative_to(DOCS).with_suffix("").as_posix()
        for path in DOCS.rglob("*.md")
        if not path.relative_to(DOCS).parts[0].startswith("_")
    }
    listed = listed_pages(site)
    assert sorted(listed) == sorted(pages)
    assert [p for p in listed if not (site.folder / f"{p}.md").is_file()] == []


def test_llms_full_has_the_pages_llms_txt_lists_in_its_order(site: Site) -> None:
    full = (site.folder / "llms-full.txt").read_text(encoding="utf-8")
    assert re.findall(r"^<!-- (.+)\.md -->$", full, re.MULTILINE) == listed_pages(site)


@pytest.mark.parametrize(
    ("docname", "container"),
    [("reference/error-index", "verified-index"), ("reference/version-matrix", "verified-matrix")],
)
def test_llms_full_has_the_generated_tables(site: Site, docname: str, container: str) -> None:
    """Every row of the table, as built, is one line of the page in llms-full.txt."""
    assert missing_rows(site, docname, container) == []


def test_pages_have_no_copy_as_markdown_button(site: Site) -> None:
    """sphinx-llm-friendly's button is left out (verified_blocks/llms.py says why)."""
    assert site.pages_with("scrapy-copy-as-markdown") == []
