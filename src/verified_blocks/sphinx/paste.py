"""The "paste your error" box: patterns made at build time from the messages the pages
verify, matched in the reader's browser against whatever the reader pastes.

A verified message carries the guide's own names: a coroutine called 'double', a test
called ``test_unmarked``, an object's address, a port, a path. The reader's message has
theirs. Each message becomes a regular expression in which those parts match anything of
their kind and the rest must be there word for word, plus the message's distinctive words,
for messages whose names are not quoted ("Expected send to have been awaited once"). The
box itself, ``docs/_static/paste-box.js``, runs in the page: it sends the pasted text
nowhere, keeps nothing, and shows only the guide's own text.

This module owns the patterns, the directive and the data file; the search page lists the
matching entries above Sphinx's results with the same data and script.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path

from docutils import nodes
from sphinx.application import Sphinx
from sphinx.util.docutils import SphinxDirective

from ..spec import is_bare_name
from .catalog import Shown
from .domain import verified_domain

#: The parts of a message that are the guide's own names or numbers, each with what
#: matches any reader's counterpart (JavaScript regular-expression syntax, which for these
#: is Python's too). Tried in this order at each position.
_GENERAL = [
    (r"\.\.\.|…", r".*?"),  # the page's own ellipsis: anything
    (r"'[^'\n.]*'", r"'[^'\n]*'"),  # a quoted name (a dotted one is the library's: kept)
    (r'"[^"\n.]*"', r'"[^"\n]*"'),
    (r"<[^<>\n]*>", r"<[^\n]*?>"),  # an object's repr: <Future pending>, <Function test_x>
    (r"(?<=object )\w+(?= can't be used)", r"\w+"),  # the type an await refused
    (r"0x[0-9a-fA-F]+", r"0x[0-9a-fA-F]+"),  # an address
    (r"\[[^\]\n]*\]", r"\[[^\]\n]*\]"),  # a test id's parameters, a log's [level]
    (r"[\w./\\-]*\.py\b(?::\d+)?", r"[^\s:]*\.py(?::\d+)?"),  # a file, maybe with its line
    (r"\b\w*_\w*\b", r"[\w.]+"),  # a snake_case name (test, fixture, module, option)
    (r"\d+(?:\.\d+)*", r"\d+(?:\.\d+)*"),  # a number, a version, a duration
]
_GENERAL_RE = re.compile("|".join(f"({part})" for part, _ in _GENERAL))
#: An exception or warning class at the start, maybe qualified by its module
#: (``asyncio.exceptions.TimeoutError``): the reader's Python may qualify it differently.
_CLASS = re.compile(r"(?:[A-Za-z_]\w*\.)*([A-Z]\w*(?:Error|Exception|Warning|Mismatch|Group))\b")
_WORD = re.compile(r"[A-Za-z]{3,}")
#: Words too common to tell one message from another.
_COMMON = frozenset(
    [
        "the",
        "and",
        "for",
        "was",
        "not",
        "has",
        "have",
        "with",
        "from",
        "that",
        "this",
        "object",
        "can",
        "use",
        "used",
        "are",
        "you",
        "your",
        "its",
        "but",
        "all",
        "any",
    ]
)


@dataclass(frozen=True)
class Pattern:
    """One verified wording, as the box matches it."""

    regex: str  #: JavaScript source, matched against one pasted line
    words: list[str]  #: the message's distinctive words, lower case, in order
    literal: int  #: how many characters of the message must be there as written
    quoted: list[str]  #: its quoted names: a line that has them too is a closer match


def pattern_of(message: str) -> Pattern:
    """The pattern that finds ``message`` in a reader's line, whatever their names."""
    text = " ".join(message.split())
    parts: list[str] = []
    literal_parts: list[str] = []
    position = 0
    start = _CLASS.match(text)
    if start:  # any module may qualify the class, or none
        parts.append(r"(?:[A-Za-z_]\w*\.)*" + re.escape(start.group(1)))
        literal_parts.append(start.group(1))
        position = start.end()
    for found in _GENERAL_RE.finditer(text, position):
        parts.append(_literal(text[position : found.start()]))
        literal_parts.append(text[position : found.start()])
        group = next(i for i, value in enumerate(found.groups()) if value is not None)
        parts.append(_GENERAL[group][1])
        position = found.end()
    parts.append(_literal(text[position:]))
    literal_parts.append(text[position:])
    literal = "".join(literal_parts)
    words = [w.lower() for w in _WORD.findall(literal) if w.lower() not in _COMMON]
    quoted = re.findall(r"'[^'\n]+'", text)
    return Pattern("".join(parts), words, len(literal.replace(" ", "")), quoted)


def _literal(text: str) -> str:
    return r"\s+".join(re.escape(piece) for piece in text.split(" "))


def entries(shown: list[Shown]) -> list[dict[str, object]]:
    """The box's data: one entry a wording a page verifies, troubleshooting entries first."""
    out: dict[tuple[str, str], dict[str, object]] = {}
    for item in sorted(shown, key=lambda s: (not s.is_troubleshooting, s.block.page)):
        docname = item.block.page.removeprefix("docs/").removesuffix(".md")
        where = item.title if item.section == item.title else f"{item.title} › {item.section}"
        for message in dict.fromkeys([item.messages.base, *item.messages.since.values()]):
            if is_bare_name(message):
                continue  # a bare class name says nothing a reader's line would not
            key = (docname, message)
            if key in out:
                continue
            pattern = pattern_of(message)
            out[key] = {
                "page": f"{docname}.html",
                "anchor": f"example-line-{item.block.line}",
                "title": where.replace("`", ""),
                "message": message,
                "troubleshooting": item.is_troubleshooting,
                "regex": pattern.regex,
                "words": pattern.words,
                "literal": pattern.literal,
                "quoted": pattern.quoted,
            }
    return list(out.values())


def write_data(outdir: Path, shown: list[Shown]) -> None:
    """Write ``_static/verified-errors.js``, which the box reads (no fetch: works offline)."""
    target = outdir / "_static" / "verified-errors.js"
    target.parent.mkdir(parents=True, exist_ok=True)
    data = json.dumps(entries(shown), ensure_ascii=False, indent=0, sort_keys=True)
    text = f"window.VERIFIED_ERRORS = {data};\n"
    if not target.is_file() or target.read_text(encoding="utf-8") != text:
        target.write_text(text, encoding="utf-8")


BOX = """\
<div class="paste-box" data-paste-box>
<label for="paste-box-input">Paste your error message or the whole traceback</label>
<textarea id="paste-box-input" rows="6" spellcheck="false" autocomplete="off"
 placeholder="E   RuntimeWarning: coroutine 'fetch_user' was never awaited"></textarea>
<p class="paste-box-note">Matched in this page only: nothing you paste is sent or kept.</p>
<ol class="paste-box-results" aria-live="polite"></ol>
</div>
"""


class PasteBoxDirective(SphinxDirective):
    """```` ```{paste-your-error} ```` : the box, where a page wants one."""

    has_content = False

    def run(self) -> list[nodes.Node]:
        return [nodes.raw("", BOX, format="html")]


def _write(app: Sphinx, exception: Exception | None) -> None:
    if exception is not None or app.builder.format != "html":
        return
    root = Path(app.config.verified_blocks_root)
    shown, _errors = verified_domain(app.env).errors_on_pages(root)
    write_data(Path(app.outdir), shown)


def setup(app: Sphinx) -> None:
    """The ``{paste-your-error}`` directive, its script, and its data at the end of a build."""
    app.add_directive("paste-your-error", PasteBoxDirective)
    app.add_js_file("verified-errors.js")
    app.add_js_file("paste-box.js", defer="defer")
    app.connect("build-finished", _write)
