"""The generated tables: the version matrix and the error-message index.

```` ```{verified-errors} matrix ```` lists every error a page shows with what each Python
printed, from this build's examples reports; ```` ```{verified-errors} index ```` lists
every message with the pages that show it. What the pages show is read by ``catalog.py``;
a page with a table is read again only when those errors or the reports change.
"""

from __future__ import annotations

import json
import re
from collections.abc import Set
from pathlib import Path

from docutils import nodes
from docutils.statemachine import StringList
from sphinx.application import Sphinx
from sphinx.environment import BuildEnvironment
from sphinx.util.docutils import SphinxDirective

from ..extract import ExtractError
from ..spec import BlockError, fingerprint, version_key
from .catalog import Shown
from .domain import Reports, verified_domain
from .example import block_label, versions_text


class ErrorsDirective(SphinxDirective):
    """```` ```{verified-errors} matrix ```` (or ``index``): a table generated from the
    error messages every page shows and from the examples reports of this build."""

    required_arguments = 1
    has_content = False

    def run(self) -> list[nodes.Node]:
        kind = self.arguments[0]
        if kind not in ("matrix", "index"):
            raise self.error(f"unknown table {kind!r}: write matrix or index")
        domain = verified_domain(self.env)
        domain.note_table(self.env.docname)
        shown, errors = domain.errors_on_pages(Path(self.config.verified_blocks_root))
        if errors:
            error = ExtractError(errors)
            message = f"the pages have bad blocks; no table until they are fixed:\n{error}"
            raise self.error(message)
        reports = domain.reports
        text = version_matrix(shown, reports) if kind == "matrix" else error_index(shown, reports)
        holder = nodes.container(classes=[f"verified-{kind}"])
        self.state.nested_parse(StringList(text, self.get_source_info()[0]), 0, holder)
        return [holder]


def _catalog_stamp(shown: list[Shown], errors: list[BlockError]) -> str:
    """What the generated tables are made of, besides the reports."""
    rows = [
        (s.block.page, s.block.line, s.title, s.section, s.messages.base, s.messages.since)
        for s in shown
    ]
    return json.dumps([rows, [str(e) for e in errors]], sort_keys=True, default=str)


def _observed(shown: Shown, reports: Reports, version: str) -> tuple[str, str]:
    """(message, status) of a shown error on one Python, from this build's reports."""
    block = shown.block
    expected = shown.messages.at(version)
    runs = [
        r
        for r in reports.get((block.page, block.line), [])
        if r["python"] == version and r["fingerprint"] == fingerprint(block)
    ]
    if not runs:
        return expected, "not verified in this build"
    if any(r["outcome"] != "passed" for r in runs):
        observed = runs[0].get("observed")
        return (observed or expected), "differs from the page"
    if block.raises is not None and runs[0].get("observed"):
        return runs[0]["observed"], "verified"
    return expected, "verified"


def _code(text: str) -> str:
    """``text`` as a code span in a table cell."""
    ticks = "`" * (max((len(m) for m in re.findall(r"`+", text)), default=0) + 1)
    pad = " " if text.startswith("`") or text.endswith("`") else ""
    return f"{ticks}{pad}{text.replace('|', chr(92) + '|')}{pad}{ticks}"


def _link(shown: Shown) -> str:
    label = block_label(shown.block)
    title = f"{shown.title} › {shown.section}" if shown.section != shown.title else shown.title
    title = title.replace("`", "").replace("<", "‹").replace(">", "›")
    return f"{{ref}}`{title} <{label}>`"


def _runs(shown: Shown, reports: Reports) -> list[tuple[list[str], str, str]]:
    """Consecutive Python versions that printed one message with one status."""
    runs: list[tuple[list[str], str, str]] = []
    for version in shown.block.versions:
        message, status = _observed(shown, reports, version)
        if runs and runs[-1][1:] == (message, status):
            runs[-1][0].append(version)
        else:
            runs.append(([version], message, status))
    return runs


def version_matrix(shown: list[Shown], reports: Reports) -> list[str]:
    lines = ["| Shown in | Python | Message printed | Status |", "| --- | --- | --- | --- |"]
    for item in shown:
        for index, (versions, message, status) in enumerate(_runs(item, reports)):
            where = _link(item) if index == 0 else ""
            lines.append(f"| {where} | {versions_text(versions)} | {_code(message)} | {status} |")
    return lines


def error_index(shown: list[Shown], reports: Reports) -> list[str]:
    by_message: dict[str, list[tuple[list[str], Shown]]] = {}
    for item in shown:
        for versions, message, _status in _runs(item, reports):
            by_message.setdefault(message, []).append((versions, item))
    lines = ["| Message | Python | Read |", "| --- | --- | --- |"]
    for message in sorted(by_message, key=lambda m: (m.lstrip("'\"").lower(), m)):
        places = sorted(
            by_message[message], key=lambda p: (not p[1].is_troubleshooting, p[1].title)
        )
        versions = sorted({v for vs, _ in places for v in vs}, key=version_key)
        links = "; ".join(dict.fromkeys(_link(item) for _, item in places))
        lines.append(f"| {_code(message)} | {versions_text(versions)} | {links} |")
    return lines


def _outdated(
    app: Sphinx, env: BuildEnvironment, added: Set[str], changed: Set[str], removed: Set[str]
) -> list[str]:
    """The error index and version matrix are made from every page's errors: read them
    again when the reports or those errors changed, not whenever any page did.

    While a page has a bad block, it and the tables are read at every build, so that every
    build reports the error (Sphinx reports a warning only when it reads the page).
    """
    domain = verified_domain(env)
    root = Path(app.config.verified_blocks_root)
    shown, errors = domain.errors_on_pages(root)
    tables_changed = domain.catalog_changed(_catalog_stamp(shown, errors))  # in any case
    outdated: set[str] = set()
    if tables_changed or domain.stale or errors:
        outdated |= domain.generated
    for error in errors:
        docname = env.path2doc(root / error.page)
        if docname is not None:
            outdated.add(docname)
    return sorted(outdated - removed)


def setup(app: Sphinx) -> None:
    app.add_directive("verified-errors", ErrorsDirective)
    app.connect("env-get-outdated", _outdated)
