"""Sphinx's search finds a troubleshooting entry from a pasted error message.

A block on a troubleshooting page indexes the error it shows, in every wording, as a main
index entry (:func:`index_entries`): Sphinx's search lists main entries first. And a
workaround (:func:`_keep_index_entries`) keeps those entries in the search index when an
incremental build does not write their page again. The search page's own list of matching
entries is the paste box's (``paste.py`` and ``docs/_static/paste-box.js``).
"""

from __future__ import annotations

from typing import Any

from docutils import nodes
from sphinx import addnodes
from sphinx.application import Sphinx
from sphinx.util.index_entries import split_index_msg

from ..spec import Block, is_bare_name
from .catalog import TROUBLESHOOTING, shown_messages
from .domain import verified_domain


def index_entries(block: Block, node_id: str) -> list[nodes.Node]:
    """On a troubleshooting page, the error a block shows, in every wording, as a main
    index entry: Sphinx's search then puts the entry first for a pasted message."""
    if not block.page.startswith(TROUBLESHOOTING):
        return []
    messages = shown_messages(block)
    if messages is None:
        return []
    # a bare exception name ("TimeoutError") is not a message anyone pastes to find this
    wordings = [
        text
        for text in dict.fromkeys([messages.base, *messages.since.values()])
        if not is_bare_name(text)
    ]
    if not wordings:
        return []
    entries = [("single", text, node_id, "main", None) for text in wordings]
    return [addnodes.index(entries=entries, inline=False)]


def _keep_index_entries(app: Sphinx) -> list[tuple[str, dict[str, Any], str]]:
    """Put the troubleshooting entries' index entries back into the search index.

    Sphinx 9.2 keeps a page's index entries for search only from the build that writes the
    page: it saves the environment before writing and does not read them back from
    searchindex.js. So an incremental build would drop the entries of every page it does not
    write, and a pasted error message would no longer find its entry first. Runs during
    ``html-collect-pages``, before the search index is written; adds no page.
    """
    indexer = getattr(app.builder, "indexer", None)
    entries = getattr(indexer, "_index_entries", None)
    if entries is None:
        return []
    for docname in sorted(verified_domain(app.env).pages):
        if not docname.startswith(TROUBLESHOOTING.removeprefix("docs/")):
            continue
        found: set[tuple[str, str, str]] = set()
        for node in app.env.get_doctree(docname).findall(addnodes.index):
            for entry_type, value, target_id, main, _key in node["entries"]:
                found |= {(x, target_id or "", main) for x in split_index_msg(entry_type, value)}
        entries[docname] = sorted(found)
    return []


def setup(app: Sphinx) -> None:
    app.connect("html-collect-pages", _keep_index_entries)
