"""Provenance: what verified the blocks, on the version matrix page and under each badge.

Each examples report says the exact interpreter, the versions of pytest, pytest-asyncio
and aiohttp, the commit (with "+ local changes" when ``docs/`` or ``examples/`` differed
from it) and when a run first found its results (``blocks_report.provenance``).

- ```` ```{verified-provenance} ```` is a table of them, one row per supported Python, and
  "not verified in this build" for a Python with no report; it is the target of the label
  ``verified-provenance``.
- :func:`provenance_line` is the short line under a badge, which links to that table.
"""

from __future__ import annotations

from typing import Any

from docutils import nodes
from docutils.statemachine import StringList
from sphinx import addnodes
from sphinx.application import Sphinx
from sphinx.environment import BuildEnvironment
from sphinx.util.docutils import SphinxDirective

from ..spec import SUPPORTED_PYTHONS, version_key
from .domain import Provenance, verified_domain

#: The label of the provenance table, which each badge's line links to.
LABEL = "verified-provenance"
PACKAGES = ("pytest", "pytest-asyncio", "aiohttp")
UNKNOWN = "unknown"
NOT_VERIFIED = "not verified in this build"


def _interpreter(run: dict[str, Any]) -> str:
    """``CPython 3.13.1``: the exact interpreter of a report."""
    return f"{run.get('implementation', 'Python')} {run.get('full_version', run['python'])}"


def _commit(run: dict[str, Any]) -> str:
    """The short hash of a report's commit, "+ local changes" when it had some."""
    commit = str(run.get("commit", UNKNOWN))
    if commit == UNKNOWN:
        return UNKNOWN
    return commit[:7] + (" + local changes" if run.get("dirty") is True else "")


def _date(run: dict[str, Any], *, time: bool = False) -> str:
    """``2026-12-02`` (with ``10:30 UTC`` when ``time``) from a report's ISO 8601 date."""
    date = str(run.get("date", UNKNOWN))
    if date == UNKNOWN or "T" not in date:
        return date
    day, clock = date.split("T", 1)
    return f"{day} {clock[:5]} UTC" if time else day


def _package(run: dict[str, Any], name: str) -> str:
    return str(run.get("packages", {}).get(name, UNKNOWN))


def provenance_table(provenance: Provenance) -> list[str]:
    """MyST lines of the table: one row per supported Python."""
    header = ["Python", "Interpreter", *PACKAGES, "Commit", "Date"]
    lines = ["| " + " | ".join(header) + " |", "|" + " --- |" * len(header)]
    for version in SUPPORTED_PYTHONS:
        run = provenance.get(version)
        if run is None:
            cells = [version, NOT_VERIFIED, *[""] * (len(header) - 2)]
        else:
            packages = [_package(run, name) for name in PACKAGES]
            cells = [version, _interpreter(run), *packages, _commit(run), _date(run, time=True)]
        lines.append("| " + " | ".join(cells) + " |")
    return lines


def _joined(values: list[str]) -> str:
    """The distinct values, in order: one when every report agrees."""
    return ", ".join(dict.fromkeys(values))


def provenance_line(provenance: Provenance, versions: list[str]) -> str | None:
    """``CPython 3.10.16, 3.11.11 · pytest 9.0.1, … · commit abc1234 · 2026-12-02``: what
    ran a block on ``versions``; None when no report of them says (older reports)."""
    runs = [
        provenance[v]
        for v in sorted(versions, key=version_key)
        if v in provenance and "commit" in provenance[v]
    ]
    if not runs:
        return None
    implementation = _joined([str(r.get("implementation", "Python")) for r in runs])
    interpreters = ", ".join(str(r.get("full_version", r["python"])) for r in runs)
    packages = ", ".join(f"{n} {_joined([_package(r, n) for r in runs])}" for n in PACKAGES)
    commits = _joined([_commit(r) for r in runs])
    dates = _joined([_date(r) for r in runs])
    return f"{implementation} {interpreters} · {packages} · commit {commits} · {dates}"


def provenance_reference(text: str) -> nodes.Node:
    """``text`` linked to the provenance table (plain text in a site without one)."""
    ref = addnodes.pending_xref(
        "", refdomain="std", reftype="ref", reftarget=LABEL, refexplicit=True, refwarn=False
    )
    ref += nodes.inline(text, text)
    return ref


class ProvenanceDirective(SphinxDirective):
    """```` ```{verified-provenance} ````: what verified each Python's report of this build."""

    has_content = False

    def run(self) -> list[nodes.Node]:
        domain = verified_domain(self.env)
        domain.note_table(self.env.docname)  # read again when the reports change
        node_id = LABEL
        holder = nodes.container(classes=[LABEL], ids=[node_id])
        std = self.env.domains.standard_domain
        std.note_hyperlink_target(LABEL, self.env.docname, node_id)
        lines = provenance_table(domain.provenance)
        self.state.nested_parse(StringList(lines, self.get_source_info()[0]), 0, holder)
        return [holder]


def _unlinked(
    app: Sphinx, env: BuildEnvironment, node: addnodes.pending_xref, contnode: nodes.Element
) -> nodes.Node | None:
    """A site without the provenance table shows the badge's line as plain text."""
    if node.get("reftarget") == LABEL and node.get("refdomain") == "std":
        return contnode
    return None


def setup(app: Sphinx) -> None:
    app.add_directive("verified-provenance", ProvenanceDirective)
    app.connect("missing-reference", _unlinked)
