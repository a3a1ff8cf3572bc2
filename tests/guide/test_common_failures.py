"""The list of failures people hit (docs/reference/common-failures.md) keeps its promise:
every row has a public source and links to an entry whose verified blocks show the message.

A row's message is matched against what the entry's blocks are checked against: their
``:raises:``, ``:lines:`` and ``:stdout:`` expectations in every version's wording, and the
text of its ``pycon`` and ``console`` sessions. ``...`` in a row stands for any text (an
object's address, a test's name), as in doctest.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import pytest

from verified_blocks.pages import read_page
from verified_blocks.spec import Block

ROOT = Path(__file__).resolve().parents[2]
DOCS = ROOT / "docs"
LIST = DOCS / "reference" / "common-failures.md"
HEADER = "| Failure | Message | Reported in | Entry |"

_LINK = re.compile(r"\[[^\]]+\]\(([^)\s]+)\)")
_CODE = re.compile(r"`([^`]+)`")


@dataclass(frozen=True)
class Row:
    line: int
    family: str
    failure: str
    message: str
    sources: list[str]
    entries: list[str]

    def __str__(self) -> str:
        return f"common-failures.md:{self.line}"


def _cells(line: str) -> list[str]:
    """A Markdown table row's cells; ``\\|`` is a pipe inside a cell."""
    cells = re.split(r"(?<!\\)\|", line.strip().strip("|"))
    return [cell.strip().replace("\\|", "|") for cell in cells]


def parse_rows(text: str) -> list[Row]:
    """The data rows of every family's table, with their page line."""
    rows = []
    family = ""
    for number, line in enumerate(text.splitlines(), start=1):
        if line.startswith("## "):
            family = line[3:].strip()
        elif line.startswith("|") and line != HEADER and not line.startswith("| ---"):
            cells = _cells(line)
            assert len(cells) == 4, f"common-failures.md:{number}: expected 4 cells: {line}"
            failure, message, reported, entry = cells
            code = _CODE.findall(message)
            assert code, f"common-failures.md:{number}: the message is not in backticks"
            rows.append(
                Row(
                    line=number,
                    family=family,
                    failure=failure,
                    message=code[0],
                    sources=_LINK.findall(reported),
                    entries=_LINK.findall(entry),
                )
            )
    return rows


def verified_texts(blocks: list[Block]) -> list[str]:
    """Every text a page's blocks are checked against, in every version's wording."""
    texts: list[str] = []
    for block in blocks:
        for versioned in (block.raises, block.lines):
            if versioned is not None:
                texts += [versioned.base, *versioned.since.values()]
        if block.stdout is not None:
            texts.append(block.stdout)
        if block.language in ("pycon", "console"):
            texts.append(block.code)
    return texts


def message_pattern(message: str) -> re.Pattern[str]:
    """``...`` matches any text on one line; everything else literally."""
    return re.compile(".*?".join(re.escape(part) for part in message.split("...")))


ROWS = parse_rows(LIST.read_text(encoding="utf-8"))


def test_the_list_has_rows_in_every_family() -> None:
    empty = {
        line[3:].strip()
        for line in LIST.read_text(encoding="utf-8").splitlines()
        if line.startswith("## ") and line[3:].strip() != "Next"
    } - {row.family for row in ROWS}
    assert ROWS and not empty, f"families with no row: {sorted(empty)}"


@pytest.mark.parametrize("row", ROWS, ids=str)
def test_each_row_has_a_public_source(row: Row) -> None:
    assert row.sources, f"{row}: no link under 'Reported in'"
    assert all(s.startswith("https://") for s in row.sources), f"{row}: {row.sources}"


@pytest.mark.parametrize("row", ROWS, ids=str)
def test_each_row_links_to_an_entry_that_verifies_its_message(row: Row) -> None:
    assert len(row.entries) == 1, f"{row}: expected one entry link, found {row.entries}"
    target = row.entries[0].split("#")[0]
    assert not target.startswith(("http", "/")) and target.endswith(".md"), f"{row}: {target}"
    path = (LIST.parent / target).resolve()
    assert path.is_file(), f"{row}: {target} does not exist"
    page = path.relative_to(ROOT).as_posix()
    texts = verified_texts(read_page(path, page))
    pattern = message_pattern(row.message)
    assert any(pattern.search(text) for text in texts), (
        f"{row}: no verified block of {page} shows {row.message!r}"
    )


@pytest.mark.parametrize(
    ("message", "text", "found"),
    [
        ("RuntimeError: Event loop is closed", "E   RuntimeError: Event loop is closed", True),
        ("<Lock object at 0x...> is bound", "<Lock object at 0x7f3a> is bound", True),
        ("<Lock object at 0x...> is bound", "<Lock object at 0x7f3a> is not bound", False),
        ("a.b(c)", "aXb(c)", False),  # the rest is literal
    ],
)
def test_message_pattern(message: str, text: str, found: bool) -> None:
    assert bool(message_pattern(message).search(text)) is found


def test_parse_rows_reads_escaped_pipes_and_links() -> None:
    text = (
        "## Family\n\n"
        f"{HEADER}\n| --- | --- | --- | --- |\n"
        "| A thing | `a \\| b` | [x#1](https://example.org/1), [y](https://example.org/2) "
        "| [Entry](../how-to/x.md#y) |\n"
    )
    (row,) = parse_rows(text)
    assert (row.family, row.message, row.line) == ("Family", "a | b", 5)
    assert row.sources == ["https://example.org/1", "https://example.org/2"]
    assert row.entries == ["../how-to/x.md#y"]
