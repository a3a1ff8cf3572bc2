"""The error messages the guide shows, read from its pages: the source of the
generated version matrix and error-message index.

A block shows an error when it has a ``:raises:`` expectation, when a line of
its ``:lines:`` names an exception or warning (``RuntimeError: Session is
closed``, ``ScopeMismatch: ...``), or, in a ``pycon`` session, for each traceback
it shows (its last line). On a troubleshooting page the first expected line is
the error of the entry, whatever it looks like (pytest's own messages, such as
"async def functions are not natively supported.", name no class).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from ..pages import _PARSER
from ..spec import ERROR_LINE, Block, Versioned

TROUBLESHOOTING = "docs/troubleshooting/"


@dataclass(frozen=True)
class Shown:
    """One block that shows an error, with the message per Python version."""

    block: Block
    title: str  # the page's title
    section: str  # the heading the block is under
    messages: Versioned

    @property
    def is_troubleshooting(self) -> bool:
        return self.block.page.startswith(TROUBLESHOOTING)


def errors_shown(root: Path, pages: dict[str, list[Block]]) -> list[Shown]:
    """Every block of ``pages`` (page path -> its blocks) that shows an error."""
    shown = []
    for page, blocks in sorted(pages.items()):
        text = (root / page).read_text(encoding="utf-8")
        for block in blocks:
            found = [shown_messages(block)] if block.language != "pycon" else _tracebacks(block)
            for messages in filter(None, found):
                title, section = _headings(text, block.line)
                shown.append(Shown(block, title, section, messages))
    return shown


def _tracebacks(block: Block) -> list[Versioned]:
    """The exception line of each traceback a ``pycon`` session shows, in order."""
    import doctest  # only for pages with sessions, as in the plugin

    examples = doctest.DocTestParser().get_examples(block.code)
    lines = [e.exc_msg.strip().splitlines()[0] for e in examples if e.exc_msg]
    return [Versioned(line, {}) for line in dict.fromkeys(lines)]


def shown_messages(block: Block) -> Versioned | None:
    """The error ``block`` shows, per Python version, or None if it shows none."""
    if block.raises is not None:
        return block.raises
    if block.lines is None:
        return None
    first = block.page.startswith(TROUBLESHOOTING)
    base = _error_line(block.lines.base, first)
    if base is None:
        return None
    since = {v: _error_line(text, first) or base for v, text in block.lines.since.items()}
    return Versioned(base, since)


def _error_line(text: str, first: bool) -> str | None:
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    if first and lines:
        return lines[0]
    return next((line for line in lines if ERROR_LINE.match(line)), None)


def _headings(text: str, line: int) -> tuple[str, str]:
    """The page title, and the nearest heading above page line ``line``."""
    title = section = ""
    tokens = _PARSER.parse(text)
    for index, token in enumerate(tokens):
        if token.type != "heading_open" or token.map is None or token.map[0] + 1 >= line:
            continue
        heading = tokens[index + 1].content
        if token.tag == "h1" and not title:
            title = heading
        section = heading
    return title, section
