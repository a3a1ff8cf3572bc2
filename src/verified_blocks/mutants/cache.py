"""Each page's verdicts, kept between runs: a page whose inputs did not change is not run.

A mutant's verdict depends on its page, on the examples' ``pytest.ini``, on the toolchain
(its plugin runs the page; its fault makers made the mutant), on the installed libraries
and interpreter, and on the runner's time limit and way of running (forked or not). The
key (:func:`key`) is a digest of all of them, so an entry is used only where running again
would run the same code on the same interpreter. What the reviewed equivalents make of the
verdicts is not kept: they are applied to cached and new verdicts alike.

A page is kept only when it passed as written and none of its runs was an error (an error
is to look into, and may not recur); ``--no-cache`` runs every page.
"""

from __future__ import annotations

import hashlib
import json
import sys
from pathlib import Path

from ..verdicts import Digest, installed
from .model import Mutant, Result, Status

#: Bump when what a verdict depends on changes in a way the key does not see.
VERSION = 1
_TOOLCHAIN = Path(__file__).resolve().parents[1]


def key(page_text: str, configuration: str, timeout: float, forked: bool) -> str:
    """The digest of everything a page's verdicts depend on (see the module docstring)."""
    digest = Digest()
    digest.add(VERSION, page_text, configuration, timeout, forked, sys.version, sys.platform)
    for path in sorted(_TOOLCHAIN.rglob("*.py")):
        digest.add(path.relative_to(_TOOLCHAIN).as_posix(), path.read_bytes())
    digest.add(installed())
    return digest.hexdigest()


def _path(folder: Path, page: str) -> Path:
    return folder / (hashlib.sha256(page.encode()).hexdigest()[:16] + ".json")


def load(folder: Path, page: str, digest: str, mutants: list[Mutant]) -> list[Result] | None:
    """The page's kept verdicts, one per mutant of ``mutants``; None where none are kept
    under ``digest`` (or they do not name exactly these mutants)."""
    try:
        entry = json.loads(_path(folder, page).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    if not isinstance(entry, dict) or entry.get("key") != digest or entry.get("page") != page:
        return None
    kept = {r["id"]: r for r in entry.get("results", [])}
    if set(kept) != {m.id for m in mutants} or len(kept) != len(mutants):
        return None
    return [Result(m, Status(kept[m.id]["status"]), kept[m.id]["detail"]) for m in mutants]


def save(folder: Path, page: str, digest: str, results: list[Result]) -> None:
    """Keep the page's verdicts, unless one of them is an error."""
    if any(r.status is Status.ERROR for r in results):
        return
    folder.mkdir(parents=True, exist_ok=True)
    entry = {
        "key": digest,
        "page": page,
        "results": [
            {"id": r.mutant.id, "status": r.status.value, "detail": r.detail} for r in results
        ],
    }
    path = _path(folder, page)
    scratch = path.with_suffix(".tmp")
    scratch.write_text(json.dumps(entry, indent=1) + "\n", encoding="utf-8")
    scratch.replace(path)
