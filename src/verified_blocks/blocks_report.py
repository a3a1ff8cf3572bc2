"""The examples report: for every block, what its page says and what this run saw.

``nox -s examples`` writes one per Python (``--blocks-report``); the site's badges
read them, and show a verdict only for the block it was made from (its fingerprint).

Each report also says what verified it (its provenance, :func:`provenance`): the exact
interpreter, the versions of pytest, pytest-asyncio and aiohttp, the commit of the
repository (and whether ``docs/`` or ``examples/`` had uncommitted changes) and when it ran:
the first run to find all that it says (a later run that finds the same leaves it as it is).

Standard library only: it runs on every interpreter under test.
"""

from __future__ import annotations

import json
import platform
import subprocess
from datetime import datetime, timezone
from importlib import metadata
from pathlib import Path

from .manifest import ExampleFile
from .run_state import VERSION, State
from .spec import Block, fingerprint

#: The packages whose versions a report names: the readers' pins that the examples exercise.
PACKAGES = ("pytest", "pytest-asyncio", "aiohttp")
UNKNOWN = "unknown"


def write(state: State, path: Path) -> None:
    """Write the report of this run's results to ``path``."""
    records = []
    results_by_file = dict(state.results)

    # A data file (pytest.ini on a page) is verified by the isolated runs of its folder,
    # which copy it; a conftest.py by every test run of its folder, which load it. Each
    # shares the outcome of those runs; with no such run it gets no record.
    def verifies(other: str, kind: str) -> bool:
        f = state.files[other]
        if f.kind == "console":
            return True
        return f.kind == "test" and (kind == "conftest" or f.last.outcome is not None)

    for rel, f in state.files.items():
        if f.kind not in ("data", "conftest"):
            continue
        folder = rel.rsplit("/", 1)[0]
        runs = [
            r
            for other, results in state.results.items()
            if other.rsplit("/", 1)[0] == folder and verifies(other, f.kind)
            for r in results
        ]
        if runs:
            results_by_file[rel] = [(None, r[1], None) for r in runs]
    for rel, results in sorted(results_by_file.items()):
        f = state.files[rel]
        for placed in f.placed:
            own = [r for r in results if r[0] is not None and placed.start <= r[0] <= placed.end]
            mine = own or results
            outcomes = {r[1] for r in mine}
            outcome = (
                "failed"
                if "failed" in outcomes
                else ("skipped" if outcomes == {"skipped"} else "passed")
            )
            observed = next((r[2] for r in mine if r[2] is not None), None)
            block = placed.block
            records.append(
                {
                    "page": block.page,
                    "line": block.line,
                    "file": f"examples/{rel}",
                    "fingerprint": fingerprint(block),
                    "expected": expected_of(f, placed.block),
                    "outcome": outcome,
                    "observed": observed,
                }
            )
    data = {
        "python": VERSION,
        "implementation": platform.python_implementation(),
        "full_version": platform.python_version(),
        **provenance(state.root),
        "blocks": records,
    }
    if _same_but_date(path, data):
        return  # as it was: the site built from it is not built again for nothing
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(data, indent=1) + "\n", encoding="utf-8")


def _same_but_date(path: Path, data: dict[str, object]) -> bool:
    """Whether the report at ``path`` says all that ``data`` says, but for its date.

    Such a report is left as it is, its date that of the first run to find all that:
    every later run would otherwise change the site (each badge shows the date), and
    with it everything built from it (``nox -s docs`` and the browser tests, whose pass
    is kept only for the same site).
    """
    try:
        kept = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return False
    return isinstance(kept, dict) and {**kept, "date": None} == {**data, "date": None}


def expected_of(f: ExampleFile, block: Block) -> dict[str, object]:
    """What the page says for this block on the running Python version."""
    last = block is f.last
    if f.skip is not None:
        return {"kind": "skipped", "reason": f.skip}
    if last and block.raises is not None:
        return {"kind": "raises", "message": block.raises.at(VERSION)}
    if last and block.outcome is not None:
        return {"kind": "outcome", "counts": block.outcome}
    return {"kind": "passes"}


def provenance(root: Path) -> dict[str, object]:
    """What verified a run in ``root``: package versions, commit, local changes, date.

    ``commit`` is the full hash of ``HEAD``, ``dirty`` whether ``docs/`` or ``examples/``
    differ from it; both are "unknown" where git or the repository is not there (a source
    tarball). ``date`` is the run's time, UTC, ISO 8601.
    """
    packages: dict[str, str] = {}
    for name in PACKAGES:
        try:
            packages[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            packages[name] = UNKNOWN
    commit: str = UNKNOWN
    dirty: bool | str = UNKNOWN
    top = _git(root, "rev-parse", "--show-toplevel")
    head = _git(root, "rev-parse", "--verify", "HEAD")
    if top and head:
        changes = _git(Path(top), "status", "--porcelain", "--", "docs", "examples")
        if changes is not None:
            commit, dirty = head, bool(changes)
    now = datetime.now(timezone.utc).replace(microsecond=0)
    return {
        "packages": packages,
        "commit": commit,
        "dirty": dirty,
        "date": now.isoformat().replace("+00:00", "Z"),
    }


def _git(where: Path, *args: str) -> str | None:
    """The output of a git command in ``where``, stripped; None if it could not say."""
    try:
        run = subprocess.run(
            ["git", "-C", str(where), *args],
            capture_output=True,
            text=True,
            timeout=30,
            check=False,
        )
    except (OSError, subprocess.SubprocessError):
        return None
    return run.stdout.strip() if run.returncode == 0 else None
