"""Mutation self-test: inject one fault into one page, run that page, expect a failure.

    python -m verified_blocks.mutants                         # every page
    python -m verified_blocks.mutants docs/how-to/x.md        # some pages
    python -m verified_blocks.mutants --list docs/how-to/x.md # the mutants, not run

The command line: it reads the reviewed equivalents, runs the mutants of the pages asked
for (every page by default), prints each verdict as it comes and the markdown report at
the end, and writes ``mutants.md`` and ``mutants.json`` into ``_build``. It exits 0 when the
report is ok, 1 when not, and 2 (argparse's usage error) for a page that does not exist
or a malformed ``mutants_equivalent.toml``.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path

from .. import extract
from .collect import mutants_of
from .equivalents import EQUIVALENT, EquivalentsError, load_equivalents
from .runner import run


#: Mutants run at once: twice the CPUs. A run waits part of its time (one that hangs sleeps
#: until its bound, and the runner waits on each child), and with one job per CPU the
#: CPUs were idle a fifth of a full run: on 2 CPUs, 4 jobs took it from 233 s to 194 s
#: (6 jobs: 187 s), every verdict the same.
JOBS = 2 * (os.cpu_count() or 1)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="mutants", description=__doc__.split("\n\n")[0])
    parser.add_argument("pages", nargs="*", help="pages to mutate (default: every page)")
    parser.add_argument("--root", type=Path, default=Path.cwd(), help="repository root")
    parser.add_argument(
        "--jobs",
        type=int,
        default=JOBS,
        help=f"mutants run at once (default {JOBS}: twice the CPUs, as a run waits part of "
        "its time)",
    )
    parser.add_argument(
        "--timeout", type=float, default=120, help="most seconds a mutant may run (default 120)"
    )
    parser.add_argument("--out", type=Path, help="report folder (default: ROOT/_build)")
    parser.add_argument(
        "--equivalent", type=Path, help=f"reviewed list (default: ROOT/{EQUIVALENT.as_posix()})"
    )
    parser.add_argument("--list", action="store_true", help="list the mutants, run none")
    parser.add_argument(
        "--fork",
        action=argparse.BooleanOptionalAction,
        default=True,
        help="fork each run from a process that imported pytest and its plugins once (the "
        "default, where there is os.fork), or --no-fork: a new interpreter per run (the "
        "same verdicts)",
    )
    parser.add_argument(
        "--select",
        action=argparse.BooleanOptionalAction,
        default=True,
        help="run each mutant first without the test modules that cannot see its change, "
        "and the whole page only when that run does not kill it (the default), or "
        "--no-select: the whole page every time (the same verdicts)",
    )
    parser.add_argument(
        "--no-cache",
        action="store_true",
        help="run every page, even one whose verdicts are kept in OUT/mutants-cache",
    )
    args = parser.parse_args(argv)
    root = args.root.resolve()
    pages = [Path(p).as_posix() for p in args.pages] or [
        p.relative_to(root).as_posix() for p in extract.find_pages(root / "docs")
    ]
    for page in pages:
        if not (root / page).is_file():
            parser.error(f"{page}: no such page under {root}")
    try:
        equivalents = load_equivalents(args.equivalent or root / EQUIVALENT)
    except EquivalentsError as error:
        parser.error(str(error))
    if args.list:
        from ..pages import read_page  # MyST: only here, so the plugin never needs it

        for page in pages:
            for mutant in mutants_of(root, page, read_page(root / page, page)):
                print(mutant.id)
        return 0
    out = args.out or root / "_build"
    report = run(
        root,
        pages,
        jobs=args.jobs,
        timeout=args.timeout,
        equivalents=equivalents,
        every_page=not args.pages,
        fork=args.fork,
        cache=None if args.no_cache else out / "mutants-cache",
        select=args.select,
        progress=lambda line: print(line, flush=True),
    )
    out.mkdir(parents=True, exist_ok=True)
    (out / "mutants.json").write_text(json.dumps(report.to_json(), indent=1) + "\n", "utf-8")
    text = report.markdown()
    (out / "mutants.md").write_text(text, encoding="utf-8")
    print()
    print(text)
    print(f"written: {out / 'mutants.md'}, {out / 'mutants.json'}")
    return 0 if report.ok else 1


if __name__ == "__main__":
    sys.exit(main())
