"""The runner: each mutant's page in a temporary copy, run by pytest, and the verdict.

Only the mutated page is extracted, into a temporary directory (``examples/`` is never
touched), and run by pytest in a subprocess with the plugin and the generated
``pytest.ini``, as ``nox -s examples`` runs it (each failure printed as one line,
``--tb=line``), in the page's order (a mutant can make the page depend on its order), on
this interpreter only. A run that fails a check, or hangs past its time limit, kills the
mutant; a run that passes lets it survive.
:func:`run` first runs each page as written (it must pass), then its mutants, ``jobs`` at
a time (each first without the page's test modules that cannot see its change, then,
unless that killed it, the whole page: :mod:`.select`), then lets the reviewed
equivalents explain the survivors.
"""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from contextlib import nullcontext
from pathlib import Path
from typing import NamedTuple

from .. import extract
from ..spec import Block, BlockError
from .cache import key as cache_key
from .cache import load as load_cached
from .cache import save as save_cached
from .collect import mutants_of
from .equivalents import Equivalent, match_equivalents
from .select import left_out
from ..forkserver import OUTPUT, Servers
from .model import Mutant, Result, Status
from .report import Report
from .text import short


class Verdict(NamedTuple):
    """What a run says about its mutant, and why."""

    status: Status
    detail: str


class Run(NamedTuple):
    """One run of a page's examples: its verdict and how long it took."""

    status: Status
    detail: str  #: what pytest said (or why the page could not run)
    seconds: float
    #: the longest phase (setup, call, teardown) of any test, where the run measured it
    slowest: float | None = None


class _Job(NamedTuple):
    mutant: Mutant
    blocks: list[Block]  #: the page's blocks, the mutant's block in place of its own
    limit: float  #: seconds before the run counts as hanging
    bound: float  #: seconds before a phase counts as hanging (the plugin's hang guard)
    left_out: list[str]  #: the files its first run leaves out (:mod:`.select`)


def run(
    root: Path,
    pages: list[str],
    *,
    jobs: int = 2,
    timeout: float = 120,
    equivalents: list[Equivalent] | None = None,
    every_page: bool = False,
    fork: bool = False,
    cache: Path | None = None,
    select: bool = True,
    progress: Callable[[str], None] | None = None,
) -> Report:
    """Run every mutant of ``pages`` (paths relative to ``root``).

    ``every_page``: ``pages`` is the whole guide, so an equivalent entry for any other page
    is stale. Each run is a new interpreter or, with ``fork`` (where there is ``os.fork``),
    a forked child of a fork server (:mod:`..forkserver`). With
    ``cache`` (a folder), a page whose inputs did not change since it was kept there is
    not run again (:mod:`.cache`). With ``select``, a mutant's first run leaves out the test
    modules that cannot see its change, and only a run that does not kill it runs the
    whole page (:mod:`.select`; the same verdicts).
    """
    started = time.monotonic()
    equivalents = equivalents or []
    from ..pages import read_page  # MyST: only here, so the plugin never needs it

    read = {page: read_page(root / page, page) for page in pages}
    configuration = extract.read_pytest_ini(root)
    forked = fork and hasattr(os, "fork")
    baseline_errors: dict[str, str] = {}
    results: list[Result] = []
    digests: dict[str, str] = {}
    for page, blocks in list(read.items()):
        if cache is None or not blocks:
            continue
        digests[page] = cache_key(
            (root / page).read_text(encoding="utf-8"), configuration, timeout, forked
        )
        kept = load_cached(cache, page, digests[page], mutants_of(root, page, blocks))
        if kept is not None:
            results += kept
            del read[page]
            if progress:
                progress(f"{'cached':>10}  {page}: {len(kept)} mutants, as last run")
    work: list[_Job] = []
    with (
        Servers(jobs, run_env()) if forked and any(read.values()) else nullcontext(None) as servers,
        ThreadPoolExecutor(max_workers=jobs) as pool,
    ):
        baselines = {
            page: pool.submit(run_page, page, blocks, timeout, configuration, servers, measure=True)
            for page, blocks in read.items()
            if blocks
        }
        for page, future in baselines.items():
            baseline = future.result()
            if baseline.status is not Status.SURVIVED:  # the page as written must pass
                baseline_errors[page] = baseline.detail
                continue
            bound, limit = hang_bounds(baseline, timeout)
            blocks = read[page]
            written = _tree(page, blocks, configuration) if select else None
            for mutant in mutants_of(root, page, blocks):
                mutated = [*blocks[: mutant.index], mutant.block, *blocks[mutant.index + 1 :]]
                tree = _tree(page, mutated, configuration) if written is not None else None
                out = (
                    []
                    if written is None or tree is None
                    else left_out(extract.folder_of(page), written, tree)
                )
                work.append(_Job(mutant, mutated, limit, bound, out))

        def one(job: _Job) -> Result:
            mutant = job.mutant
            args = (mutant.page, job.blocks, job.limit, configuration, servers)
            outcome = run_page(*args, job.left_out, bound=job.bound) if job.left_out else None
            if outcome is None or outcome.status is not Status.KILLED:
                outcome = run_page(*args, bound=job.bound)  # only a kill is the first run's
            status, detail = outcome.status, outcome.detail
            if progress:
                listed = status is Status.SURVIVED and any(e.names(mutant) for e in equivalents)
                shown = Status.EQUIVALENT if listed else status
                progress(f"{shown.value:>10}  {mutant.id}")
            return Result(mutant, status, detail)

        ran = list(pool.map(one, work))
    if cache is not None:
        for page in set(baselines) - set(baseline_errors):
            save_cached(cache, page, digests[page], [r for r in ran if r.mutant.page == page])
    results += ran
    stale, moved = match_equivalents(results, equivalents, pages, set(baseline_errors), every_page)
    return Report(results, baseline_errors, stale, time.monotonic() - started, moved)


#: The least time a mutant's run is given before it counts as hanging, in seconds.
HANG_FLOOR = 3.0
#: The least time one phase (setup, call, teardown) of a mutant's run is given before the
#: plugin's hang guard fails it at its page line, in seconds.
PHASE_FLOOR = 1.0


def hang_bounds(baseline: Run, timeout: float) -> tuple[float, float]:
    """How long one phase of a mutant's run, and the whole run, may take before the mutant
    counts as hanging, given its page's run as written (``baseline``): ``(bound, limit)``.

    A mutant that makes the page hang is killed: the real run would never end. The pages
    do no real waiting (their slowest phase takes well under a second), so the mutants that hang are
    endless, not slow (an ``await`` dropped from a loop that waits for an event, a
    ``set()`` that never comes, a server that waits for a connection nobody closes), and
    every second waited for them is lost. A phase may take five times the page's slowest
    phase, at least :data:`PHASE_FLOOR`; the run may take the page's own time and two such
    phases (the one that hangs, and a teardown that waits on it), at least
    :data:`HANG_FLOOR`, at most ``timeout``. Most of the mutants that hang do not stop
    when the guard interrupts them (the test's teardown waits on what hung), so the run's
    limit is what ends them: ten times the page's own run, as it was, cost the page with
    the slowest run 16 s for each of its five such mutants.
    """
    slowest = baseline.slowest if baseline.slowest is not None else baseline.seconds
    limit = min(timeout, max(HANG_FLOOR, baseline.seconds + 2 * max(PHASE_FLOOR, 5 * slowest)))
    return min(max(PHASE_FLOOR, 5 * slowest), limit / 2), limit


def run_page(
    page: str,
    blocks: list[Block],
    timeout: float,
    configuration: str,
    servers: Servers | None = None,
    left_out: list[str] | None = None,
    *,
    bound: float | None = None,
    measure: bool = False,
) -> Run:
    """Run one page's examples in a temporary copy, under ``configuration`` (the examples'
    pytest.ini), in a new interpreter or, with ``servers``, a forked one, less the files
    ``left_out`` (paths relative to ``examples/``), stopped after ``timeout`` seconds, each
    phase of a test failed by the hang guard after ``bound`` (half ``timeout`` if not
    given): its verdict, the seconds it took and, with ``measure``, its slowest phase."""
    started = time.monotonic()
    extra = ["--durations=1", "--durations-min=0"] if measure else []
    bound = timeout / 2 if bound is None else bound
    (status, detail), output = _run_page(
        page, blocks, (timeout, bound), configuration, servers, left_out or [], extra
    )
    slowest = _slowest(output) if measure else None
    return Run(status, detail, time.monotonic() - started, slowest)


#: pytest's line for the slowest phase (``--durations=1``): ``0.29s call  examples/...``
_DURATION = re.compile(r"^(\d+(?:\.\d+)?)s (?:setup|call|teardown)\s")


def _slowest(output: list[str]) -> float | None:
    """The longest phase ``--durations`` printed, if it printed one."""
    found = [float(m[1]) for m in map(_DURATION.match, output) if m]
    return max(found) if found else None


def _tree(page: str, blocks: list[Block], configuration: str) -> dict[str, str] | None:
    """The page's extracted files, as :func:`_write_page` writes them; None where they
    do not extract (the run says why)."""
    try:
        return extract.plan({page: blocks}, configuration)[0]
    except (BlockError, extract.ExtractError):
        return None


def _write_page(where: Path, page: str, blocks: list[Block], configuration: str) -> str:
    """Extract one page into ``where/examples`` (its conftest loads the installed plugin,
    its pytest.ini is ``configuration``)."""
    tree, _ = extract.plan({page: blocks}, configuration)
    extract.write_tree(tree, where / "examples")
    return extract.folder_of(page)


def _run_page(
    page: str,
    blocks: list[Block],
    bounds: tuple[float, float],
    configuration: str,
    servers: Servers | None,
    left_out: list[str],
    extra: list[str],
) -> tuple[Verdict, list[str]]:
    """The verdict of one run (``bounds``: the run's limit, a phase's), and its output."""
    timeout, bound = bounds
    with tempfile.TemporaryDirectory(prefix="mutant-") as tmp:
        where = Path(tmp)
        try:
            folder = _write_page(where, page, blocks, configuration)
        except (BlockError, extract.ExtractError) as error:
            return Verdict(Status.ERROR, f"the mutated page does not extract: {error}"), []
        args = [
            *("-c", "examples/pytest.ini", f"examples/{folder}", "-x", "-q", "--no-header"),
            *("-p", "no:cacheprovider"),
            # Its own temporary folder: mutants run side by side, and pytest's cleanup of
            # a shared /tmp/pytest-of-<user> can fail one run with another's leftovers.
            f"--basetemp={where / 'pytest-tmp'}",
            # A mutant that makes a block hang fails at the block's page line, well
            # before this run's own limit stops it with no line to show.
            *("-o", f"blocks_timeout={bound:g}"),
            *(f"--ignore=examples/{path}" for path in left_out),
            # The failure's exception line (`E   ...`) and place, not its traceback: the
            # verdict reads only that line, and looking up and parsing the source of each
            # entry of a traceback took a tenth of the runs' time (the same verdicts and
            # lines for all 1,840 mutants). The page's own pytest runs (`:outcome:`,
            # `console`) are not this run's options: they print what a reader sees.
            "--tb=line",
            *extra,
        ]
        if servers is None:
            returncode, out = _fresh_interpreter(args, where, timeout)
        else:
            returncode = servers.run(args, where, run_env(), timeout)
            out = (where / OUTPUT).read_text(encoding="utf-8", errors="replace")
        if returncode is None:
            return Verdict(Status.KILLED, f"timed out after {timeout:.0f} s (the run hangs)"), []
        output = out.strip().splitlines()
        return verdict(returncode, output), output


def run_env() -> dict[str, str]:
    """The environment of every run: plain text whatever the terminal (the verdict reads
    pytest's lines, and FORCE_COLOR or PY_COLORS=1, set on some CI machines, would colour
    them), and no bytecode written into the temporary copies."""
    return {**os.environ, "PYTHONDONTWRITEBYTECODE": "1", "PY_COLORS": "0"}


def _fresh_interpreter(args: list[str], where: Path, timeout: float) -> tuple[int | None, str]:
    """``python -m pytest ARGS`` in ``where``: its exit status (None: it ran past
    ``timeout`` and was stopped) and its output."""
    # A session of its own, so a run that hangs is stopped with everything it started
    # (pytester's and the console blocks' own pytest processes).
    process = subprocess.Popen(
        [sys.executable, "-m", "pytest", *args],
        cwd=where,
        env=run_env(),
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,
    )
    # The runner's own limit, whatever the plugin does about a block that hangs: a
    # run can hang where no block runs (at collection, at exit), and still end here.
    try:
        out, _ = process.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.communicate()
        return None, ""
    return process.returncode, out


_FAILED = re.compile(r"^(E\s+\S.*|docs/\S+:\d+.*|FAILED .*|ERROR .*)$")


def verdict(returncode: int, output: list[str]) -> Verdict:
    """What a pytest run of a mutated page says about the mutant, and why.

    Killed means a check failed, as the output shows: exit code 1 (a test or block
    failed), 2 (collection failed: a module no longer imports) or 4 (a conftest no longer
    loads), each of which fails `nox -s examples` as surely. A run that fails without
    saying which check did (an error at exit, pytest's or the plugin's internal error,
    nothing collected) is an error to look into, never a kill: it could hide a survivor.
    """
    if returncode == 0:
        return Verdict(Status.SURVIVED, output[-1] if output else "")
    failed = next((line for line in output if _FAILED.match(line)), None)
    if returncode in (1, 2, 4) and failed is not None:
        return Verdict(Status.KILLED, short(failed.removeprefix("E").strip(), 200))
    return Verdict(
        Status.ERROR,
        f"pytest exited {returncode} without a failing check:\n" + "\n".join(output[-30:]),
    )
