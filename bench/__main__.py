"""``python -m bench``: run the measurements, write _build/bench.json and _build/bench.md.

Prints the Markdown table and exits 1 when a budget does not hold. Run it through
``nox -s bench``, which installs pyproject.toml's bench group on the docs' Python.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import sys
import time
from pathlib import Path

from .suite import MEASUREMENTS, Context, Row, rows_to_json, tempdir
from .timing import ROOT, BenchError, machine


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="bench", description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeats", type=int, default=7, help="timed runs of each command")
    parser.add_argument("--nox-repeats", type=int, default=2, help="timed full `nox` runs")
    parser.add_argument(
        "--blocks", type=int, default=15, help="N pages of N blocks for the per-block costs"
    )
    parser.add_argument(
        "--only", nargs="+", choices=list(MEASUREMENTS), help="run only these measurements"
    )
    parser.add_argument("--out", type=Path, default=ROOT / "_build", help="where to write")
    args = parser.parse_args(argv)
    if args.repeats < 5:
        parser.error("--repeats must be at least 5: a median of fewer runs says little")

    info = machine()
    work = tempdir()
    ctx = Context(args.repeats, args.nox_repeats, args.blocks, work)
    rows: list[Row] = []
    started = time.perf_counter()
    broken: list[str] = []
    try:
        for name in args.only or list(MEASUREMENTS):
            print(f"bench: {name} ...", file=sys.stderr, flush=True)
            try:
                rows.extend(MEASUREMENTS[name](ctx))
            except BenchError as error:
                # the other measurements still count; this one says why it has no figure
                print(f"bench: {name}: {error}", file=sys.stderr)
                first = str(error).strip().splitlines()[0]
                rows.append(Row(name, f"{name}: not measured", "—", note=first))
                broken.append(name)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    info["load_average_after"] = list(os.getloadavg())
    info["seconds"] = round(time.perf_counter() - started, 1)

    text = markdown(rows, info, args)
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "bench.md").write_text(text, encoding="utf-8")
    data = {
        "machine": info,
        "repeats": args.repeats,
        "nox_repeats": args.nox_repeats,
        "rows": rows_to_json(rows),
    }
    (args.out / "bench.json").write_text(json.dumps(data, indent=1) + "\n", encoding="utf-8")
    print(text)
    failed = [r for r in rows if r.holds is False]
    for row in failed:
        op, limit = row.budget or ("", 0)
        print(f"bench: over budget: {row.key}: {row.ratio:.3g} (budget {op} {limit:g})")
    if broken:
        print(f"bench: could not measure: {', '.join(broken)}", file=sys.stderr)
        return 2
    return 1 if failed else 0


def markdown(rows: list[Row], info: dict, args: argparse.Namespace) -> str:
    pythons = ", ".join(f"{v}" for v in info["pythons"].values() if v)
    lines = [
        "# Benchmarks",
        "",
        f"Medians of {args.repeats} runs each, after one warm-up run, in wall time and CPU "
        "time (user + system). A ratio is the median of the ratios of runs made in the same "
        "turn (commands compared run in turns); it compares CPU time where both commands are "
        "one busy process, which other work on a shared machine disturbs far less than wall "
        "time, and shows the other ratio in brackets. "
        f"{info['cpus']} CPUs, load average {info['load_average'][0]:.1f} at the start and "
        f"{info['load_average_after'][0]:.1f} at the end; bench on Python "
        f"{info['bench_python']}; interpreters: {pythons}.",
        "",
        "| measure | ours | compared with | ratio | budget | holds |",
        "| --- | --- | --- | ---: | --- | --- |",
    ]
    for r in rows:
        ratio = "—"
        if r.ratio is not None:
            ratio = f"{r.ratio:.3g}"
            if r.other_ratio is not None:
                basis, other = ("CPU", "wall") if r.basis == "cpu" else ("wall", "CPU")
                ratio = f"{ratio} {basis} ({other} {r.other_ratio:.3g})"
        budget = f"{'≤' if r.budget[0] == '<=' else '≥'} {r.budget[1]:g}" if r.budget else "—"
        holds = {True: "yes", False: "**no**", None: "—"}[r.holds]
        lines.append(f"| {r.measure} | {r.ours} | {r.compared} | {ratio} | {budget} | {holds} |")
    notes = [r for r in rows if r.note]
    if notes:
        lines += ["", "Notes:", ""]
        lines += [f"- {r.key}: {r.note}." for r in notes]
    for r in rows:
        if r.key == "nox_full":
            lines += ["", *nox_table(r)]
    return "\n".join(lines) + "\n"


def nox_table(row: Row) -> list[str]:
    sessions: dict[str, dict[str, float]] = row.details["sessions"]  # type: ignore[assignment]
    total = sum(sum(v for k, v in s.items()) for s in sessions.values())
    lines = [
        "## Where a full `nox` run spends its time",
        "",
        "Medians per step; a step lasts from its `nox >` line to the next. `nox` is nox "
        "itself: start, between sessions, the summary.",
        "",
        "| session | venv | installs | commands | total | share |",
        "| --- | ---: | ---: | ---: | ---: | ---: |",
    ]
    for name, steps in sessions.items():
        own = sum(steps.values())
        cells = [steps.get(k, 0.0) for k in ("venv", "install", "run")]
        lines.append(
            f"| {name} | "
            + " | ".join(f"{c:.2f} s" for c in cells)
            + f" | {own:.2f} s | {own / total:.0%} |"
        )
    return lines


if __name__ == "__main__":
    sys.exit(main())
