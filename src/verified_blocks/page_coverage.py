"""Check that each page's own blocks run every line and branch of its code under test.

    python -m verified_blocks.page_coverage [--root DIR] [docs/PAGE.md ...]

For every page with code under test, the page's folder of ``examples/`` runs alone,
as ``nox -s examples`` runs it, under coverage.py with branch coverage. So a module is
covered only by what its own page shows, never by another page's tests.

Code under test is every ``.py`` file of the folder that is not a test module and that
the page shows running cleanly. A file the page shows raising (``:raises:``) is a
demonstration of an error: nothing imports it, it runs once as a script and stops at
the error, so lines after it never run by design; the plugin already checks that it
raises what the page says, from the block that says so. ``conftest.py`` and
``__init__.py`` are plumbing, and skipped files never run. A ``raise
NotImplementedError`` line is a stand-in for what the guide cannot run (coverage.py's
usual exclusion); the report lists each one.

Some checks run a copy of the page's folder in a temporary directory (an isolated
pytest run for ``:outcome:`` and ``console`` blocks); what the copies run is counted
for the files they were copied from, by name (byte for byte the same file).

Prints a report per page, in the pages' order; exits 1 when a line or branch of code
under test never ran. As many pages run at once as there are CPUs (each run is one busy
process; ``--jobs N`` to choose).
"""

from __future__ import annotations

import argparse
import io
import os
import shutil
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import NamedTuple

from coverage import Coverage, CoverageData

from . import manifest
from .manifest import ExampleFile

_PLUMBING = {"conftest.py", "__init__.py"}
#: A stand-in for what the guide cannot run (a container runtime): nothing to test.
NOT_IMPLEMENTED = "raise NotImplementedError"


def code_under_test(files: list[ExampleFile]) -> tuple[list[str], list[tuple[str, str]]]:
    """The folder's code under test, and the other modules with the reason they are not."""
    checked, excluded = [], []
    for f in sorted(files, key=lambda f: f.name):
        if f.kind != "module":
            continue
        if f.name in _PLUMBING:
            excluded.append((f.name, "plumbing"))
        elif f.skip is not None:
            excluded.append((f.name, "skipped on the page"))
        elif f.last.raises is not None:
            excluded.append((f.name, "shows an error (:raises:), run as a script"))
        else:
            checked.append(f.name)
    return checked, excluded


class _Run(NamedTuple):
    """One page's folder, run under coverage (:func:`run_page`)."""

    folder: str
    files: list[ExampleFile]
    run: subprocess.CompletedProcess[str] | None  #: None: no code under test, nothing ran


def _paths(root: Path, folder: str, work: Path) -> tuple[Path, Path, Path]:
    """A page's coverage data file in ``work``, the temp root of its run, and its folder
    of examples/."""
    slug = folder.replace("/", "-")
    return work / f"{slug}.coverage", work / "tmp" / slug, root / "examples" / folder


def run_page(root: Path, folder: str, files: list[ExampleFile], work: Path) -> _Run:
    """Run one page's folder alone under coverage.py, into its own data file."""
    if not code_under_test(files)[0]:
        return _Run(folder, files, None)
    data_file, basetemp, source = _paths(root, folder, work)
    run = subprocess.run(
        [
            sys.executable,
            "-m",
            "coverage",
            "run",
            "--branch",
            f"--data-file={data_file}",
            f"--include={source}/*,{basetemp}/*",
            "-m",
            "pytest",
            "-c",
            str(root / "examples" / "pytest.ini"),
            "--rootdir",
            str(root / "examples"),
            f"--basetemp={basetemp}",
            "-p",
            "no:randomly",
            # pages run at once: none writes the examples' pytest cache, which they share
            "-p",
            "no:cacheprovider",
            "-q",
            str(source),
        ],
        cwd=root,
        capture_output=True,
        text=True,
    )
    return _Run(folder, files, run)


def check_page(root: Path, ran: _Run, work: Path) -> bool:
    """Print the report of one page's run under coverage (:func:`run_page`); True if
    every line and branch of its code under test ran."""
    folder, files, run = ran
    page = files[0].page
    checked, excluded = code_under_test(files)
    print(f"\n{page} (examples/{folder})")
    for name, reason in excluded:
        print(f"  not measured: {name}: {reason}")
    if run is None:
        print("  no code under test")
        return True
    data_file, basetemp, source = _paths(root, folder, work)
    if run.returncode != 0:
        print(f"  the page's examples failed under coverage:\n{run.stdout}{run.stderr}")
        return False

    def original(path: str) -> str:
        """A file the isolated runs copied, as the file it was copied from."""
        measured = Path(path)
        if measured.is_relative_to(basetemp) and (source / measured.name).is_file():
            return str(source / measured.name)
        return path

    measured = CoverageData(str(data_file))
    measured.read()
    mapped = CoverageData(str(data_file.with_suffix(".mapped.coverage")))
    mapped.erase()
    mapped.update(measured, map_path=original)
    mapped.write()
    cov = Coverage(data_file=mapped.data_filename(), branch=True, config_file=False)
    cov.exclude(NOT_IMPLEMENTED)
    cov.load()
    report = io.StringIO()
    total = cov.report(
        morfs=[str(source / name) for name in checked],
        show_missing=True,
        file=report,
        precision=1,
    )
    print("  " + report.getvalue().rstrip().replace("\n", "\n  "))
    by_name = {f.name: f for f in files}
    for name in checked:
        path = str(source / name)
        analysis = cov.analysis2(path)
        excluded_lines, missing = analysis[2], analysis[3]
        f = by_name[name]
        for number in excluded_lines:
            print(f"  {f.where(number)}: not counted: {NOT_IMPLEMENTED}")
        for number in missing:
            print(f"  {f.where(number)}: never ran")
        for number, (exits, taken) in sorted(cov.branch_stats(path).items()):
            if taken < exits:
                print(f"  {f.where(number)}: took {taken} of its {exits} branches")
    return total == 100.0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="page_coverage", description=__doc__.split("\n\n")[0])
    parser.add_argument("pages", nargs="*", help="only these pages (docs/...md)")
    parser.add_argument("--root", type=Path, default=Path.cwd(), help="repository root")
    parser.add_argument(
        "--jobs",
        type=int,
        default=os.cpu_count() or 1,
        help="pages run at once (default: one per CPU)",
    )
    args = parser.parse_args(argv)
    root = args.root.resolve()
    files = manifest.load(root / "examples" / manifest.MANIFEST)
    folders: dict[str, list[ExampleFile]] = {}
    for f in files.values():
        if not args.pages or f.page in args.pages:
            folders.setdefault(f.path.rsplit("/", 1)[0], []).append(f)
    if not folders:
        print(f"page_coverage: no examples for {' '.join(args.pages)}", file=sys.stderr)
        return 1
    work = root / "_build" / "coverage"
    shutil.rmtree(work, ignore_errors=True)
    (work / "tmp").mkdir(parents=True)
    with ThreadPoolExecutor(max(1, args.jobs)) as pool:
        runs = pool.map(lambda f: run_page(root, f, folders[f], work), sorted(folders))
        gaps = [ran.folder for ran in runs if not check_page(root, ran, work)]
    measured = sum(1 for f in folders.values() if code_under_test(f)[0])
    if gaps:
        print(f"\npage_coverage: {len(gaps)} page(s) with code under test that never ran:")
        for folder in gaps:
            print(f"  {folders[folder][0].page}")
        return 1
    print(
        f"\npage_coverage: {measured} of {len(folders)} pages have code under test; "
        "every line and branch of it ran"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
