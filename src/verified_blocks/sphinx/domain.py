"""The extension's state in Sphinx's build environment, and this build's inputs.

Per document: the blocks not run (listed at the end of a build), the documents with verified
blocks (badges, take-home section) and those with a generated table; each is dropped when
its document is read again or removed, and merged from a parallel reading process.
For the whole site: stamps of what the pages and tables were last made from, and each page's
errors with a digest of its text. This build's inputs: the examples reports.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

from sphinx.application import Sphinx

from ..extract import find_pages
from ..spec import BlockError
from .catalog import Shown, errors_shown
from .takeaway import Bundle


def load_reports(folder: Path) -> dict[tuple[str, int], list[dict]]:
    reports: dict[tuple[str, int], list[dict]] = {}
    for path in sorted(folder.glob("*.json")) if folder.is_dir() else []:
        data = json.loads(path.read_text(encoding="utf-8"))
        for record in data["blocks"]:
            record = {**record, "python": data["python"]}
            reports.setdefault((record["page"], record["line"]), []).append(record)
    return reports


def begin_build(env, reports: dict, take_home: dict[str, Bundle]) -> None:
    stamp = json.dumps(
        [
            sorted((f"{k[0]}:{k[1]}", v) for k, v in reports.items()),
            sorted((page, b.command, b.mistakes, b.newer) for page, b in take_home.items()),
        ],
        sort_keys=True,
    )
    # Badges and the take-home section are part of each page: a new report or a changed
    # examples folder makes every page with blocks outdated.
    env.verified_blocks_stale = getattr(env, "verified_blocks_stamp", None) != stamp  # type: ignore[attr-defined]
    env.verified_blocks_stamp = stamp  # type: ignore[attr-defined]
    env.verified_blocks_reports = reports  # type: ignore[attr-defined]
    env.verified_blocks_bundles = take_home  # type: ignore[attr-defined]
    if not hasattr(env, "verified_blocks_skipped"):
        env.verified_blocks_skipped = {}  # type: ignore[attr-defined]
    if not hasattr(env, "verified_blocks_pages"):
        env.verified_blocks_pages = set()  # type: ignore[attr-defined]
    if not hasattr(env, "verified_blocks_generated"):
        env.verified_blocks_generated = set()  # type: ignore[attr-defined]


def errors_on_pages(env, root: Path) -> tuple[list[Shown], list[BlockError]]:
    """Every error the pages show (and the pages' bad blocks), for the generated tables.

    Kept in the environment per page with a digest of its text: only a page whose text
    changed is parsed again, so touching one page costs one parse, not one per page.
    """
    from ..pages import read_page  # imports MyST's parser, as the reading does anyway

    cache = getattr(env, "verified_blocks_shown", {})
    fresh: dict[str, tuple[str, list[Shown] | BlockError]] = {}
    for path in find_pages(root / "docs"):
        page = path.relative_to(root).as_posix()
        digest = hashlib.sha256(path.read_bytes()).hexdigest()
        entry = cache.get(page)
        if entry is None or entry[0] != digest:
            try:
                entry = (digest, errors_shown(root, {page: read_page(path, page)}))
            except BlockError as error:
                entry = (digest, error)
        fresh[page] = entry
    env.verified_blocks_shown = fresh
    shown = [s for _, found in fresh.values() if isinstance(found, list) for s in found]
    errors = [found for _, found in fresh.values() if isinstance(found, BlockError)]
    return shown, errors


def _outdated(app: Sphinx, env, added, changed, removed) -> list[str]:
    outdated = set()
    if env.verified_blocks_stale:
        outdated |= env.verified_blocks_pages
    return sorted(outdated - set(removed))


def _purge(app: Sphinx, env, docname: str) -> None:
    env.verified_blocks_skipped.pop(docname, None)
    env.verified_blocks_pages.discard(docname)
    env.verified_blocks_generated.discard(docname)


def _merge(app: Sphinx, env, docnames, other) -> None:
    for docname in docnames:
        if docname in other.verified_blocks_skipped:
            env.verified_blocks_skipped[docname] = other.verified_blocks_skipped[docname]
        if docname in other.verified_blocks_pages:
            env.verified_blocks_pages.add(docname)
        if docname in other.verified_blocks_generated:
            env.verified_blocks_generated.add(docname)


def setup(app: Sphinx) -> None:
    app.connect("env-get-outdated", _outdated)
    app.connect("env-purge-doc", _purge)
    app.connect("env-merge-info", _merge)
