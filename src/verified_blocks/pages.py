"""Read the verified blocks of MyST pages with MyST's own parser.

The tokens come from MyST's markdown-it configuration and the directive text
from MyST's ``parse_directive_text``, the very functions Sphinx runs when it
renders the page, so the extractor sees each block exactly as the site does.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import cast

from docutils.parsers.rst import Directive
from docutils.parsers.rst.states import MarkupError
from markdown_it.renderer import RendererHTML
from markdown_it.token import Token
from myst_parser.config.main import MdParserConfig
from myst_parser.parsers.directives import parse_directive_text
from myst_parser.parsers.mdit import create_md_parser

from .spec import DIRECTIVE, VERIFIED_LANGUAGES, Block, BlockError, DirectiveSyntax, build_block

#: The MyST extensions the site enables; conf.py imports this list.
MYST_EXTENSIONS = ["colon_fence", "deflist", "fieldlist", "attrs_block"]

#: Line breaks as markdown-it (and so the page's line numbers) count them.
_LINE_BREAK = re.compile(r"\r\n?|\n")

_SPLITS = (
    "Python (str.splitlines, which MyST uses on a block) counts it as a line break and "
    "Markdown does not, so the block's lines would not be the page's: remove it"
)
#: Characters a page may not hold, and why.
_ODD = {
    "\0": "Markdown replaces NUL with U+FFFD, so examples/ would not hold what the page "
    "shows: remove it",
    **dict.fromkeys("\v\f\x1c\x1d\x1e\x85\u2028\u2029", _SPLITS),
}
_ODD_CHARACTER = re.compile("[" + re.escape("".join(_ODD)) + "]")

_PARSER = create_md_parser(MdParserConfig(enable_extensions=set(MYST_EXTENSIONS)), RendererHTML)


def _as_directive(syntax: type) -> type[Directive]:
    """MyST reads only a directive's shape (arguments, options, content): ours are plain
    classes, so that the pytest plugin, which shares :mod:`.spec`, never imports docutils."""
    return cast("type[Directive]", syntax)


class _Container:
    """Any directive other than ours: its options are not checked here, only skipped."""

    required_arguments = 0
    optional_arguments = 1
    final_argument_whitespace = True
    has_content = True
    option_spec: dict[str, object] = {}


def read_page(path: Path, page: str) -> list[Block]:
    """All verified blocks of one page, in page order; raises :class:`BlockError`."""
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError as error:
        raise BlockError(page, None, f"not UTF-8 text: {error}") from None
    odd = _ODD_CHARACTER.search(text)
    if odd:
        line = len(_LINE_BREAK.split(text[: odd.start()]))
        raise BlockError(page, line, f"U+{ord(odd[0]):04X} on this line: {_ODD[odd[0]]}")
    return list(_blocks(text, page, line_offset=0))


def _blocks(text: str, page: str, line_offset: int) -> Iterator[Block]:
    for token in _PARSER.parse(text):
        if token.type not in ("fence", "colon_fence"):
            continue
        line = line_offset + token.map[0] + 1 if token.map else line_offset + 1
        if token.map and not _closed(token):
            raise BlockError(page, line, f"this {token.markup} fence is never closed")
        info = token.info.strip()
        name, _, first_line = info.partition(" ")
        if name.startswith("{") and name.endswith("}"):
            directive = name[1:-1]
            if directive == DIRECTIVE:
                yield _example(token, first_line, page, line)
            else:
                yield from _nested(token, first_line, page, line)
        elif token.type == "fence" and name.lower() in VERIFIED_LANGUAGES:
            raise BlockError(
                page,
                line,
                f"plain ```{name} fence: every {name} block must be verified; write "
                "```{example} <file> (or give it a :skip: reason)",
            )


def _closed(token: Token) -> bool:
    """Whether a fence token ends with its closing fence.

    markdown-it also ends a fence at the end of the page or of its container (list item,
    block quote). Only a closing fence adds a line to the token's span that is not in
    its content; so a span one line longer than the opening line plus the content is a
    closed fence, wherever its closing line is (``> ```", or indented up to three spaces;
    a fence indented four is content, as Markdown says).
    """
    assert token.map is not None
    spanned = token.map[1] - token.map[0] - 1  # the lines after the opening one
    content = token.content
    # the page's last line has no line break after it when the page does not end in one
    lines = content.count("\n") + (1 if content and not content.endswith("\n") else 0)
    return spanned - lines == 1


def _example(token: Token, first_line: str, page: str, line: int) -> Block:
    try:
        parsed = parse_directive_text(
            _as_directive(DirectiveSyntax), first_line, token.content, line=line
        )
    except MarkupError as error:
        raise BlockError(page, line, str(error)) from None
    for warning in parsed.warnings:
        raise BlockError(page, warning.lineno or line, warning.msg)
    return build_block(
        page=page,
        line=line,
        arguments=parsed.arguments,
        options=parsed.options,
        body=parsed.body,
        body_offset=parsed.body_offset,
    )


def _nested(token: Token, first_line: str, page: str, line: int) -> Iterator[Block]:
    """Blocks inside another directive (tabs, admonitions), at their page lines."""
    try:
        parsed = parse_directive_text(
            _as_directive(_Container), first_line, token.content, line=line
        )
    except MarkupError:
        return
    yield from _blocks("\n".join(parsed.body) + "\n", page, line + parsed.body_offset)
