"""The live preview's step before each rebuild: verify again the pages whose blocks changed.

``nox -s docs-live`` has sphinx-autobuild run ``python -m verified_blocks.live`` before each
rebuild, on the site's Python. It

1. extracts ``examples/`` from ``docs/``, as ``nox -s extract`` does (a bad block is reported
   at its page and line and leaves ``examples/`` as it was; the build then shows it too);
2. finds the pages whose blocks differ from what this Python's live report recorded (their
   fingerprints: :func:`changed_pages`);
3. runs those pages' folders of ``examples/`` on this interpreter, with a report of that run;
4. merges that run into the live reports (``_build/live-reports/``): each report of
   ``_build/reports/`` copied, this Python's with the re-run pages' records replaced
   (:func:`merge`), so that every other page keeps the badges of the full run.

The live report keeps the provenance of the report it started from (the full run's, where
there is one): a new date at every save would make every page's badge line change, and so
every page be rebuilt. It starts again from ``_build/reports/`` when that report is newer.

It always exits 0: sphinx-autobuild skips the build after a failing step, and the page
should show what failed.
"""

from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from . import extract
from .run_state import VERSION
from .spec import Block, fingerprint

#: An examples report as blocks_report.write writes it.
ReportData = dict[str, Any]
#: page -> the (line, fingerprint) of each of its blocks (or of each block a report recorded).
Blocks = dict[str, set[tuple[int, str]]]

REPORTS = "_build/reports"
LIVE_REPORTS = "_build/live-reports"


def current_blocks(root: Path) -> Blocks:
    """Each page's blocks as ``docs/`` has them now (raises ExtractError on a bad block)."""
    return blocks_of(extract.read_blocks(root, root / "docs"))


def blocks_of(pages: dict[str, list[Block]]) -> Blocks:
    """Each page's blocks, as (line, fingerprint)."""
    return {page: {(b.line, fingerprint(b)) for b in blocks} for page, blocks in pages.items()}


def extract_examples(root: Path) -> Blocks:
    """Step 1: ``examples/`` written from ``docs/`` where it differs, as ``nox -s extract``
    writes it, from one reading of the pages, which step 2 compares too (raises
    ExtractError on a bad block, leaving ``examples/`` as it was)."""
    pages = extract.read_blocks(root, root / "docs")
    tree, _ = extract.plan(pages)
    changes = extract.drift(tree, root / "examples")
    if changes:
        extract.write_tree(tree, root / "examples")
    print(f"live: examples/ written from docs/, {len(changes)} file(s) changed", flush=True)
    return blocks_of(pages)


def recorded_blocks(report: ReportData | None) -> Blocks:
    """Each page's blocks that ``report`` has a record of."""
    recorded: Blocks = {}
    for record in report["blocks"] if report else []:
        recorded.setdefault(record["page"], set()).add((record["line"], record["fingerprint"]))
    return recorded


def changed_pages(current: Blocks, report: ReportData | None, ran: Blocks) -> list[str]:
    """The pages whose blocks are neither those ``report`` recorded nor those the live step
    last ran (``ran``: a block that no run records, such as a page's ``pytest.ini``, would
    otherwise make its page run at every save)."""
    recorded = recorded_blocks(report)
    return sorted(
        p for p, blocks in current.items() if blocks and blocks not in (recorded.get(p), ran.get(p))
    )


def _load_ran(path: Path) -> Blocks:
    data = _load(path) or {}
    return {page: {(line, fp) for line, fp in blocks} for page, blocks in data.items()}


def _save_ran(path: Path, ran: Blocks) -> None:
    _write(path, {page: sorted(blocks) for page, blocks in sorted(ran.items())})


def merge(base: ReportData | None, run: ReportData, pages: list[str]) -> ReportData:
    """``base`` with the records of ``pages`` replaced by those of ``run``; the provenance of
    ``base`` (of ``run`` where there is no base)."""
    rerun = set(pages)
    kept = [r for r in base["blocks"] if r["page"] not in rerun] if base else []
    fresh = [r for r in run["blocks"] if r["page"] in rerun]
    header = {k: v for k, v in (base or run).items() if k != "blocks"}
    blocks = sorted([*kept, *fresh], key=lambda r: (r["page"], r["line"]))
    return {**header, "blocks": blocks}


def run_pages(root: Path, pages: list[str], report: Path) -> int:
    """Run the examples of ``pages`` on this interpreter, writing their report to ``report``;
    pytest's exit code."""
    folders = []
    for page in pages:
        folder = root / "examples" / extract.folder_of(page)
        if folder.is_dir():
            folders.append(str(folder.relative_to(root)))
    if not folders:
        return 5  # pytest's "no tests collected"
    command = [sys.executable, "-m", "pytest", "-c", "examples/pytest.ini", *folders]
    command += ["-q", "--no-header", "-p", "no:cacheprovider", f"--blocks-report={report}"]
    # its temp root beside the report: a run sharing pytest's default one with runs at the
    # same time (a nox session, say) can have its folders removed (pytest-dev/pytest#11790)
    command.append(f"--basetemp={report.parent / 'pytest-tmp'}")
    return subprocess.run(command, cwd=root, check=False).returncode


def _load(path: Path) -> ReportData | None:
    if not path.is_file():
        return None
    try:
        data: ReportData = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return data


def _write(path: Path, data: ReportData) -> None:
    """Write ``path`` whole or not at all: Sphinx may read it at any time."""
    path.parent.mkdir(parents=True, exist_ok=True)
    staging = path.with_name(f".{path.name}.tmp")
    staging.write_text(json.dumps(data, indent=1) + "\n", encoding="utf-8")
    staging.replace(path)


def sync_reports(reports: Path, live: Path, python: str = VERSION) -> ReportData | None:
    """Copy the full runs' reports into ``live`` (each other Python's, and this one's when it
    is newer than the live one, or there is no live one); this Python's live report."""
    live.mkdir(parents=True, exist_ok=True)
    mine = live / f"{python}.json"
    for path in sorted(reports.glob("*.json")) if reports.is_dir() else []:
        target = live / path.name
        if target == mine and mine.is_file() and mine.stat().st_mtime >= path.stat().st_mtime:
            continue
        if not target.is_file() or target.read_bytes() != path.read_bytes():
            shutil.copyfile(path, target)
    return _load(mine)


def verify(
    root: Path,
    reports: Path,
    live: Path,
    python: str = VERSION,
    current: Blocks | None = None,
) -> list[str]:
    """Steps 2 to 4 of the module's docstring: the pages run again. ``current``: the
    pages' blocks as step 1 read them (read again where not given)."""
    mine = sync_reports(reports, live, python)
    if current is None:
        current = current_blocks(root)
    # beside the reports, not among them: Sphinx reads every *.json of that folder
    state = live.with_name(f"{live.name}-ran-{python}.json")
    base = reports / f"{python}.json"
    copied = base.is_file() and base.read_bytes() == (live / f"{python}.json").read_bytes()
    ran = _load_ran(state) if mine is not None and not copied else {}  # a new full run
    pages = changed_pages(current, mine, ran)
    if not pages:
        print("live: no page's blocks changed; nothing to run")
        return []
    print(f"live: running the examples of {', '.join(pages)} on Python {python}", flush=True)
    with tempfile.TemporaryDirectory() as scratch:
        report = Path(scratch, "run.json")
        code = run_pages(root, pages, report)
        run = _load(report)
    if run is None:
        print(f"live: pytest exited with {code} and wrote no report; badges left as they were")
        return pages
    _write(live / f"{python}.json", merge(mine, run, pages))
    _save_ran(state, {**ran, **{page: current[page] for page in pages}})
    failed = sorted({r["page"] for r in run["blocks"] if r["outcome"] == "failed"})
    print(f"live: {len(pages)} page(s) run, failing: {', '.join(failed) or 'none'}")
    return pages


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="live", description=__doc__.split("\n\n")[0])
    parser.add_argument("--root", type=Path, default=Path.cwd(), help="repository root")
    parser.add_argument("--reports", default=REPORTS, help="the full runs' reports")
    parser.add_argument("--live", default=LIVE_REPORTS, help="where the live reports go")
    args = parser.parse_args(argv)
    root = args.root.resolve()
    started = time.perf_counter()
    try:
        current = extract_examples(root)
    except extract.ExtractError as failed:
        for error in failed.errors:
            print(f"{error.page}:{error.line or 1}: error: {error.message}", file=sys.stderr)
        print("live: examples not run until the page is fixed; the build shows the error")
        return 0
    verify(root, root / args.reports, root / args.live, current=current)
    print(f"live: verified in {time.perf_counter() - started:.1f} s", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
