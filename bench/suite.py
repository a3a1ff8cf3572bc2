"""The measurements of ``nox -s bench``, each a row of the table with its budget."""

from __future__ import annotations

import itertools
import json
import os
import re
import shlex
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass, field
from pathlib import Path

from verified_blocks import extract, manifest, warm

from . import pages
from .timing import (
    ROOT,
    BenchError,
    Command,
    Samples,
    child_env,
    interleaved,
    median,
    paired_ratio,
)

#: The page touched for the incremental docs build: a how-to with several blocks.
TOUCHED_PAGE = "docs/how-to/test-timeouts-without-waiting.md"


@dataclass
class Row:
    """One line of the table: our median, what it is compared with, and the budget."""

    key: str
    measure: str
    ours: str
    compared: str = "—"
    ratio: float | None = None
    basis: str = "wall"  #: what the ratio compares: "cpu" or "wall" time, or "instructions"
    other_ratio: float | None = None  #: the same ratio on the other basis
    budget: tuple[str, float] | None = None
    note: str = ""
    samples: Samples = field(default_factory=dict)
    details: dict[str, object] = field(default_factory=dict)

    @property
    def holds(self) -> bool | None:
        if self.budget is None or self.ratio is None:
            return None
        op, limit = self.budget
        return self.ratio <= limit if op == "<=" else self.ratio >= limit


@dataclass
class Context:
    repeats: int
    nox_repeats: int
    blocks: int  #: pages, and blocks on each page, of the per-block comparison
    work: Path
    python: str = sys.executable
    #: commands made once per bench run and shared by the measurements that time or count
    #: them: a project is written and a tool's environment installed only once
    commands: dict[str, dict[str, Command]] = field(default_factory=dict)


def _s(seconds: float) -> str:
    return f"{seconds:.2f} s" if seconds >= 0.1 else f"{seconds * 1000:.2f} ms"


def _both(samples: Samples, name: str, scale: float = 1.0, suffix: str = "") -> str:
    """``1.20 s (CPU 1.05 s)``: the medians of one command."""
    wall, cpu = (median(samples[name][b]) / scale for b in ("wall", "cpu"))
    return f"{_s(wall)}{suffix} (CPU {_s(cpu)})"


def _ratio(samples: Samples, ours: str, other: str, basis: str) -> dict[str, object]:
    """Row fields comparing two commands run in turns, judged on ``basis``."""
    second = "wall" if basis == "cpu" else "cpu"
    return {
        "ratio": paired_ratio(samples[ours][basis], samples[other][basis]),
        "basis": basis,
        "other_ratio": paired_ratio(samples[ours][second], samples[other][second]),
        "samples": {ours: samples[ours], other: samples[other]},
    }


def _tree(src: Path, dst: Path) -> None:
    shutil.copytree(src, dst, ignore=shutil.ignore_patterns("__pycache__", ".pytest_cache"))


def _copy_docs(work: Path) -> Path:
    """A throwaway copy of the site's sources, so that the bench never touches docs/."""
    root = work / "site"
    if root.exists():
        shutil.rmtree(root)
    _tree(ROOT / "docs", root / "docs")
    _tree(ROOT / "examples", root / "examples")  # each page's download of its examples
    for name in ("conf.py", "requirements.txt"):  # the downloads' install line reads the pins
        shutil.copy2(ROOT / name, root / name)
    if (ROOT / "_build" / "reports").is_dir():
        _tree(ROOT / "_build" / "reports", root / "_build" / "reports")
    # A repository of one commit, as a checkout is: the site's "last updated" dates come
    # from git (sphinx-last-updated-by-git), which warns, and so fails the build, elsewhere.
    git = ["git", "-c", "user.name=bench", "-c", "user.email=bench@localhost", "-C", str(root)]
    for args in (["init", "-q"], ["add", "-A"], ["commit", "-q", "-m", "the site, copied"]):
        subprocess.run([*git, *args], check=True, capture_output=True)
    return root


def _files() -> dict[str, manifest.ExampleFile]:
    return manifest.load(ROOT / "examples" / manifest.MANIFEST)


# -- extraction -----------------------------------------------------------------------------


def extraction(ctx: Context) -> list[Row]:
    root = _copy_docs(ctx.work)
    out = root / "examples"
    command = Command(
        [ctx.python, "-m", "verified_blocks.extract", "--root", str(root)],
        expect=r"examples/: \d+ files from \d+ pages",
        before=lambda: shutil.rmtree(out, ignore_errors=True),
    )
    samples = interleaved({"extract": command}, ctx.repeats)
    files = _files()
    blocks = sum(len(f.placed) for f in files.values())
    page_count = len({f.page for f in files.values()})
    return [
        Row(
            "extraction",
            f"Extraction of the whole docs ({page_count} pages, {blocks} blocks, "
            f"{len(files)} files), written from scratch",
            _both(samples, "extract"),
            note=f"{_both(samples, 'extract', page_count)} a page; Python's start and "
            "MyST's import included",
            samples=samples,
        )
    ]


# -- the examples against plain pytest ------------------------------------------------------


def _plain_test_modules() -> list[manifest.ExampleFile]:
    """Test modules that plain pytest can run as they are: all their tests must pass."""
    from verified_blocks.pytest_plugin import _runs_here

    return [
        f
        for f in _files().values()
        if f.kind == "test" and f.last.outcome is None and f.skip is None and _runs_here(f)
    ]


def _counts(output: str) -> dict[str, int]:
    line = output.strip().splitlines()[-1] if output.strip() else ""
    return {k: int(n) for n, k in re.findall(r"(\d+) (passed|failed|errors?|skipped)", line)}


def _plain_args(examples: Path) -> list[str]:
    """What plain pytest needs to import the pages' modules: every page folder on its
    ``pythonpath`` (pytest's own option).

    The plugin does this (pytest_configure); examples/conftest.py loads it by the name
    ``verified_blocks.pytest_plugin``, which is what ``-p no:`` must name. Only page
    folders: with a section folder on the path too, ``import resource_manager`` finds
    the page's package (worked_examples/resource_manager/) instead of its module.
    """
    files = manifest.load(examples / manifest.MANIFEST)
    folders = sorted({str((examples / rel).parent) for rel in files})
    return ["-o", "pythonpath=" + " ".join(shlex.quote(folder) for folder in folders)]


PLAIN = ["-p", "no:verified_blocks.pytest_plugin"]


def _examples_commands(ctx: Context) -> dict[str, Command]:
    """The examples run by our plugin and by plain pytest; checked to run the same tests."""
    if "examples" not in ctx.commands:
        ctx.commands["examples"] = _make_examples_commands(ctx)
    return ctx.commands["examples"]


def _make_examples_commands(ctx: Context) -> dict[str, Command]:
    modules = _plain_test_modules()
    paths = [f"examples/{f.path}" for f in modules]
    pytest = [ctx.python, "-m", "pytest", "-c", "examples/pytest.ini", "-q"]
    commands = {
        "ours": Command([*pytest, *paths], expect=r"\d+ passed"),
        "plain": Command(
            [*pytest, *PLAIN, *_plain_args(ROOT / "examples"), *paths], expect=r"\d+ passed"
        ),
        "ours_all": Command([*pytest, "examples"], expect=r"\d+ passed"),
    }
    outputs = {name: command.output() for name, command in commands.items()}
    if _counts(outputs["ours"]) != _counts(outputs["plain"]):
        raise BenchError(
            f"plain pytest and ours ran different tests: {_counts(outputs['plain'])} vs "
            f"{_counts(outputs['ours'])}"
        )
    return commands


def examples(ctx: Context) -> list[Row]:
    commands = _examples_commands(ctx)
    outputs = {name: command.last_output for name, command in commands.items()}
    paths = [a for a in commands["ours"].args if a.endswith(".py")]  # the test modules
    samples = interleaved(commands, ctx.repeats)
    counts, all_counts = _counts(outputs["ours"]), _counts(outputs["ours_all"])
    kinds: dict[str, int] = {}
    for f in _files().values():
        kind = "outcome" if f.kind == "test" and f.last.outcome is not None else f.kind
        kinds[kind] = kinds.get(kind, 0) + 1
    version = f"{sys.version_info.major}.{sys.version_info.minor}"
    unchecked = (
        f"{kinds.get('outcome', 0)} modules that must fail as shown (run alone; counts and "
        f"lines compared), {kinds.get('module', 0)} scripts (clean exit, :raises:, :stdout:), "
        f"{kinds.get('pycon', 0)} pycon and {kinds.get('console', 0)} console sessions, "
        "and the page and line of every failure"
    )
    return [
        Row(
            "examples_overhead",
            f"Examples on Python {version}: the same {len(paths)} test modules "
            f"({counts.get('passed', 0)} tests), plugin on vs plain pytest",
            _both(samples, "ours"),
            f"plain pytest {_both(samples, 'plain')}",
            **_ratio(samples, "ours", "plain", "cpu"),
            note="information: the budget is on the instructions_examples_overhead row, the "
            "same runs counted, where one run differs from the next by 0.1 %, not by the "
            "percents of CPU time that decided this row against the same 1.10 by noise; plain: "
            "`-p no:verified_blocks.pytest_plugin`, every page folder on "
            "pytest's pythonpath (without them its collection fails: the tests import their page's "
            "modules, and the plugin is what puts the folders on sys.path)",
        ),
        Row(
            "examples_all",
            f"All examples on Python {version} ({all_counts.get('passed', 0)} passed, "
            f"{all_counts.get('skipped', 0)} skipped) vs plain pytest on the modules it can run",
            _both(samples, "ours_all"),
            f"plain pytest {_both(samples, 'plain')}",
            **_ratio(samples, "ours_all", "plain", "cpu"),
            note=f"what plain pytest does not check: {unchecked}",
        ),
    ]


# -- equivalent blocks in Sybil and pytest-markdown-docs ------------------------------------

#: How each tool's environment is made, as arguments to uv: ours as `nox -s mutants` makes
#: its own (uv.lock's examples group and the toolchain with MyST), the others from their pins.
_TOOL_INSTALL = {
    "ours": ["sync", "--locked", "--no-default-groups", "--group=examples", "--extra=pages"],
    "sybil": ["pip", "install", "-r", str(ROOT / "bench" / "requirements-sybil.txt")],
    "pytest-markdown-docs": [
        *("pip", "install", "-r"),
        str(ROOT / "bench" / "requirements-markdown-docs.txt"),
    ],
}


def _tool_python(name: str) -> str:
    """A virtual environment per tool, made from the interpreter running the bench."""
    venv = ROOT / ".nox" / "bench-tools" / name
    python = venv / "bin" / "python"
    base = getattr(sys, "_base_executable", sys.executable)
    uv = shutil.which("uv") or "uv"
    env = child_env(UV_COMPILE_BYTECODE="1", UV_PYTHON_DOWNLOADS="never")
    if not python.exists():
        subprocess.run([uv, "venv", "-q", "--python", base, str(venv)], check=True, env=env)
    subprocess.run(
        [uv, *_TOOL_INSTALL[name], "-q", "--python", str(python)],
        check=True,
        cwd=ROOT,
        env={**env, "UV_PROJECT_ENVIRONMENT": str(venv)},
    )
    return str(python)


def marginal(samples: Samples, many: str, one: str, blocks: int) -> dict[str, list[float]]:
    """Per turn, what each block past the first cost: (many - one) / (``blocks`` - 1).

    The two runs of a turn are paired, as in :func:`paired_ratio`, so that a busy turn
    weighs on both of them.
    """
    return {
        basis: [
            (a - b) / (blocks - 1)
            for a, b in zip(samples[many][basis], samples[one][basis], strict=True)
        ]
        for basis in ("wall", "cpu")
    }


def _floor(examples: Path, root: Path) -> None:
    """The extracted test modules of ``examples`` in one folder, under the examples' own
    pytest.ini, with no conftest.py: nothing of the toolchain is left (no plugin, no page
    packages), only pytest and pytest-asyncio running the same test functions.
    """
    shutil.rmtree(root, ignore_errors=True)
    root.mkdir(parents=True)
    shutil.copy2(examples / "pytest.ini", root / "pytest.ini")
    for rel, f in manifest.load(examples / manifest.MANIFEST).items():
        if f.page == extract.CONFIGURATION:
            continue  # its pytest.ini is the examples' own, copied above
        if f.kind != "test":
            raise BenchError(f"{rel}: the floor project takes test modules only")
        target = root / Path(rel).name
        if target.exists():
            raise BenchError(f"{rel}: two test modules named {target.name}")
        shutil.copy2(examples / rel, target)


def _layout(examples: Path, root: Path) -> None:
    """The extracted ``examples/`` as they are (page packages, section packages, the
    examples' pytest.ini), with an empty conftest.py: the same files in the same folders
    run by pytest with nothing of the toolchain (no plugin, no manifest read)."""
    shutil.rmtree(root, ignore_errors=True)
    shutil.copytree(examples, root / "examples", ignore=shutil.ignore_patterns("__pycache__"))
    (root / "examples" / "conftest.py").write_text("", encoding="utf-8")


def _block_commands(ctx: Context) -> dict[str, Command]:
    """The generated projects of the per-block comparison, and their runs."""
    if "blocks" not in ctx.commands:
        ctx.commands["blocks"] = _make_block_commands(ctx)
    return ctx.commands["blocks"]


def _make_block_commands(ctx: Context) -> dict[str, Command]:
    """Write the per-block projects afresh, and make their runs."""
    n = ctx.blocks
    total = n * n
    projects = ctx.work / "blocks"
    shutil.rmtree(projects, ignore_errors=True)
    for name, write in pages.TOOLS.items():
        write(projects / name, n, n)
        write(projects / f"{name}-one", 1, 1)  # what a run costs whatever its blocks
    pages.ours_asyncio_run(projects / "ours_asyncio_run", n, n)
    pages.ours_asyncio_run(projects / "ours_asyncio_run-one", 1, 1)
    py = {name: _tool_python(name) for name in pages.TOOLS}
    passed = rf"\b{total} passed\b"
    ours_dir = projects / "ours"

    def extract(root: Path) -> list[str]:
        return [py["ours"], "-m", "verified_blocks.extract", "--root", str(root)]

    ours_roots = ("ours", "ours-one", "ours_asyncio_run", "ours_asyncio_run-one")
    for root in (projects / name for name in ours_roots):
        subprocess.run(extract(root), check=True, capture_output=True)
    _floor(ours_dir / "examples", projects / "floor")
    _layout(ours_dir / "examples", projects / "layout")
    run_ours = [py["ours"], "-m", "pytest", "-c", "examples/pytest.ini", "examples", "-q"]
    one = r"\b1 passed\b"
    return {
        "ours": Command(run_ours, cwd=ours_dir, expect=passed),
        "ours_one": Command(run_ours, cwd=projects / "ours-one", expect=one),
        "ours_asyncio_run_one": Command(
            run_ours, cwd=projects / "ours_asyncio_run-one", expect=one
        ),
        "sybil_one": Command(
            [py["sybil"], "-m", "pytest", "-q"], projects / "sybil-one", expect=one
        ),
        "markdown_docs_one": Command(
            [py["pytest-markdown-docs"], "-m", "pytest", "-q"],
            projects / "pytest-markdown-docs-one",
            expect=one,
        ),
        "ours_asyncio_run": Command(run_ours, cwd=projects / "ours_asyncio_run", expect=passed),
        "sybil": Command([py["sybil"], "-m", "pytest", "-q"], projects / "sybil", expect=passed),
        "markdown_docs": Command(
            [py["pytest-markdown-docs"], "-m", "pytest", "-q"],
            projects / "pytest-markdown-docs",
            expect=passed,
        ),
        "plain": Command(
            [*run_ours, *PLAIN, *_plain_args(ours_dir / "examples")], cwd=ours_dir, expect=passed
        ),
        "floor": Command([py["ours"], "-m", "pytest", "-q"], projects / "floor", expect=passed),
        "layout": Command(run_ours, cwd=projects / "layout", expect=passed),
        "ours_with_extract": Command(
            ["sh", "-c", f"{shlex.join(extract(ours_dir))} && {shlex.join(run_ours)}"],
            cwd=ours_dir,
            expect=passed,
        ),
    }


#: The other tools of the per-block comparison: their command's key and their name.
OTHERS = {"sybil": "Sybil", "markdown_docs": "pytest-markdown-docs"}

LAYOUT_NOTE = (
    "no toolchain: examples/ as extracted (its section and page packages, the examples' "
    "pytest.ini) with an empty conftest.py, so that pytest and pytest-asyncio run the same "
    "test functions from the same files and folders, and nothing of the toolchain runs"
)

FLOOR_NOTE = (
    "the floor: the same test modules as ours, run by plain pytest from one folder under the "
    "examples' pytest.ini, with no plugin, no conftest.py and no page packages; what any "
    "toolchain pays that runs each block as a pytest-asyncio test function, as the guide "
    "teaches, so that no such toolchain, Sybil's and pytest-markdown-docs' ways of running a "
    "fence aside, can cost a block less"
)


def per_block(ctx: Context) -> list[Row]:
    n = ctx.blocks
    total = n * n
    # the layout project is only counted (instructions): no timed row reads it
    commands = {k: c for k, c in _block_commands(ctx).items() if k not in COUNTED_ONLY}
    samples = interleaved(commands, ctx.repeats)
    size = f"{total} equivalent async test blocks ({n} pages of {n})"

    def cost(name: str) -> str:
        return _both(samples, name, total, " a block")

    def cost_of(name: str) -> str:
        return _both(samples, name, 1, " a block")

    rows = [
        Row(
            f"per_block_vs_{key}",
            f"Per-block cost of {size}: ours vs {label}",
            cost("ours"),
            f"{label} {cost(key)}",
            **_ratio(samples, "ours", key, "cpu"),
            note="information: the per-block budget is counted in instructions "
            "(instructions_ours_vs_layout); "
            "ours: pytest over the extracted examples/, as `nox -s examples` runs them; "
            "each block is a pytest-asyncio test (ours), a fence with top-level await run on "
            "pytest-asyncio's runner (pytest-markdown-docs), or a fence calling asyncio.run "
            "(Sybil)",
        )
        for key, label in OTHERS.items()
    ]
    theirs = {
        "sybil": "Sybil makes one item of each fence, which calls asyncio.run; the same "
        "blocks written so through our toolchain (a plain test calling asyncio.run) cost {}",
        "markdown_docs": "pytest-markdown-docs makes one item of each fence and runs it on "
        "pytest-asyncio's event loop fixture too",
    }
    for key in ("ours", "ours_asyncio_run", *OTHERS):
        samples[f"{key}_marginal"] = marginal(samples, key, f"{key}_one", total)
    for key, label in OTHERS.items():
        rows.append(
            Row(
                f"per_block_fixed_vs_{key}",
                f"What a run costs whatever its blocks (one page of one block): ours vs {label}",
                _both(samples, "ours_one"),
                f"{label} {_both(samples, f'{key}_one')}",
                **_ratio(samples, "ours_one", f"{key}_one", "cpu"),
                note="Python's start, the imports and configuration of pytest and its "
                "plugins, one page collected and one block run; with the next row, the "
                "per-block row taken apart",
            )
        )
        rows.append(
            Row(
                f"per_block_marginal_vs_{key}",
                f"What each further block costs, (the {total}-block run - the one-block run) / "
                f"{total - 1}: ours vs {label}",
                cost_of("ours_marginal"),
                f"{label} {cost_of(f'{key}_marginal')}",
                **_ratio(samples, "ours_marginal", f"{key}_marginal", "cpu"),
                note="ours: pytest makes three items of each test function (its definition, "
                "pytest's item, and pytest-asyncio's subclass that replaces it) and sets up "
                "pytest-asyncio's event loop fixture for each test; "
                + theirs[key].format(cost_of("ours_asyncio_run_marginal")),
            )
        )
    rows += [
        Row(
            f"per_block_floor_vs_{key}",
            f"The floor, plain pytest-asyncio tests with no toolchain: per-block cost vs {label}",
            cost("floor"),
            f"{label} {cost(key)}",
            **_ratio(samples, "floor", key, "cpu"),
            note=FLOOR_NOTE,
        )
        for key, label in OTHERS.items()
    ]
    fastest = min(OTHERS, key=lambda k: median(samples[k]["cpu"]))
    rows += [
        Row(
            "per_block_asyncio_run",
            "The same blocks as Sybil writes them (a plain test calling asyncio.run): "
            "ours vs Sybil",
            cost("ours_asyncio_run"),
            f"Sybil {cost('sybil')}",
            **_ratio(samples, "ours_asyncio_run", "sybil", "cpu"),
            note="not how the guide writes a test (it teaches pytest-asyncio's); what is "
            "left is pytest test functions in importable modules against Sybil's fences",
        ),
        Row(
            "per_block_plugin",
            "The same blocks: ours vs plain pytest over the same extracted files",
            cost("ours"),
            f"plain pytest {cost('plain')}",
            **_ratio(samples, "ours", "plain", "cpu"),
            note="what a block costs under pytest and pytest-asyncio, whichever plugin runs "
            "it: near 1 means the gap to the others is pytest-asyncio test functions",
        ),
        Row(
            "per_block_with_extract",
            f"The same, ours with extraction (extract + pytest) vs the faster, {OTHERS[fastest]}",
            cost("ours_with_extract"),
            f"{OTHERS[fastest]} {cost(fastest)}",
            **_ratio(samples, "ours_with_extract", fastest, "cpu"),
            note="extraction runs once per edit of a page (`nox -s extract`), not once per Python",
        ),
    ]
    return rows


# -- the same runs, counted in instructions ------------------------------------------------

#: The per-block runs whose instructions are counted, and how many times each.
COUNTED = ("ours", "floor", "layout", *OTHERS)
#: Per-block projects that only the instruction counts use.
COUNTED_ONLY = ("layout",)
COUNT_REPEATS = 3
_COLLECTED = re.compile(r"^==\d+== Collected : (\d+)$", re.MULTILINE)


def count_instructions(command: Command, valgrind: str) -> int:
    """The instructions one run of ``command`` executes, as callgrind counts them.

    Unlike a time, the count does not depend on what else the machine is doing; with
    Python's hash seed fixed, runs of the same command differ by a few in a million.
    """
    done = subprocess.run(
        [valgrind, "--tool=callgrind", "--callgrind-out-file=/dev/null", *command.args],
        cwd=command.cwd,
        env={**command.env, "PYTHONHASHSEED": "0"},
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    found = _COLLECTED.search(done.stdout)
    if done.returncode != 0 or not found or not re.search(command.expect or "", done.stdout):
        tail = "\n".join(done.stdout.splitlines()[-15:])
        raise BenchError(f"`{shlex.join(command.args)}` under callgrind failed:\n{tail}")
    return int(found[1])


def instructions(ctx: Context) -> list[Row]:
    valgrind = shutil.which("valgrind")
    if valgrind is None:
        raise BenchError("valgrind not found (Debian's package valgrind): no counts to make")
    examples = _examples_commands(ctx)  # runs each once: bytecode caches written
    commands = {**_block_commands(ctx), **{f"examples_{k}": examples[k] for k in ("ours", "plain")}}
    counted = (*COUNTED, "examples_ours", "examples_plain")
    for name in COUNTED:
        commands[name].run()  # untimed: bytecode caches written, as before every timed run
    jobs = [name for _ in range(COUNT_REPEATS) for name in counted]
    counts: dict[str, list[float]] = {name: [] for name in counted}
    with ThreadPoolExecutor(os.cpu_count() or 1) as pool:
        for name, count in zip(
            jobs, pool.map(lambda n: count_instructions(commands[n], valgrind), jobs), strict=True
        ):
            counts[name].append(count)
    total = ctx.blocks * ctx.blocks
    spread = max(max(c) / min(c) - 1 for c in counts.values())

    def per_block(name: str) -> str:
        return f"{median(counts[name]) / total / 1e6:.2f} M instructions a block"

    tests = _counts(commands["examples_ours"].last_output).get("passed", 0)
    rows = [
        Row(
            "instructions_examples_overhead",
            f"Instructions of the examples' {tests} tests (callgrind): plugin on vs plain pytest",
            f"{median(counts['examples_ours']) / 1e9:.3f} G instructions",
            f"plain pytest {median(counts['examples_plain']) / 1e9:.3f} G",
            paired_ratio(counts["examples_ours"], counts["examples_plain"]),
            basis="instructions",
            budget=("<=", 1.10),
            note="the examples_overhead row's runs, counted instead of timed: the whole "
            "toolchain's cost on the guide's tests, its checks included",
            samples={k: {"instructions": counts[k]} for k in ("examples_ours", "examples_plain")},
        )
    ]
    floor_total = median(counts["floor"])
    rows += [
        Row(
            "instructions_ours_vs_layout",
            f"Per block, the {total}-block run in instructions (callgrind): ours vs no toolchain "
            "(the same test files in the same page folders, plain pytest)",
            per_block("ours"),
            f"no toolchain {per_block('layout')}",
            paired_ratio(counts["ours"], counts["layout"]),
            basis="instructions",
            budget=("<=", 1.03),
            note="the per-block budget; " + LAYOUT_NOTE + "; what ours pays over it is the "
            f"plugin's share ({(median(counts['ours']) - median(counts['layout'])) / 1e6:.0f} M "
            "instructions): its import, the manifest read (every block's fingerprint "
            "checked), the hang guard armed for each phase, the report hooks",
            samples={k: {"instructions": counts[k]} for k in ("ours", "layout")},
        ),
        Row(
            "instructions_layout_vs_floor",
            "The same files in the examples' page packages, no toolchain (an empty "
            "conftest.py) vs the same test modules in one folder",
            f"{(median(counts['layout']) - floor_total) / 1e6:.0f} M instructions more",
            f"one folder {floor_total / 1e9:.3f} G",
            paired_ratio(counts["layout"], counts["floor"]),
            basis="instructions",
            note="information: what pytest alone pays for examples/<section>/<page>/, a "
            "package and a collector per folder, and two more parents for every item, which "
            "each marker lookup and each report's keywords walk; the guide's layout (a page, "
            "a folder) is not the toolchain's cost, and no toolchain that keeps it pays less",
            samples={k: {"instructions": counts[k]} for k in ("layout", "floor")},
        ),
        Row(
            "instructions_ours_vs_floor",
            f"Per block, the {total}-block run in instructions (callgrind): ours vs the same "
            "test modules in one folder, plain pytest",
            per_block("ours"),
            f"one folder {per_block('floor')}",
            paired_ratio(counts["ours"], counts["floor"]),
            basis="instructions",
            note="information: the two rows above multiplied; " + FLOOR_NOTE,
            samples={
                "ours": {"instructions": counts["ours"]},
                "floor": {"instructions": counts["floor"]},
            },
        ),
    ]
    for mine, label_mine in (("ours", "ours"), ("floor", "the floor")):
        for key, label in OTHERS.items():
            rows.append(
                Row(
                    f"instructions_{mine}_vs_{key}",
                    f"Instructions of the {total}-block run (callgrind): {label_mine} vs {label}",
                    per_block(mine),
                    f"{label} {per_block(key)}",
                    paired_ratio(counts[mine], counts[key]),
                    basis="instructions",
                    note=(
                        "the same runs as the per-block rows, counted instead of timed: a "
                        f"ratio that no other work on the machine moves (runs of one command "
                        f"differ by {spread:.2%} at most)"
                        + ("; " + FLOOR_NOTE if mine == "floor" else "")
                    ),
                    samples={
                        mine: {"instructions": counts[mine]},
                        key: {"instructions": counts[key]},
                    },
                )
            )
    return rows


# -- loop time against wall time ------------------------------------------------------------


def loop_clock(ctx: Context) -> list[Row]:
    report = ctx.work / "loop-clock.json"
    reports: list[dict] = []
    command = Command(
        [ctx.python, "-m", "pytest", "-c", "examples/pytest.ini", "examples", "-q"]
        + ["-p", "bench.loop_clock", f"--loop-clock-report={report}"],
        expect=r"\d+ passed",
    )
    walls, cpus = [], []
    command.run()  # warm-up
    for _ in range(ctx.repeats):
        sample = command.run()
        walls.append(sample.wall)
        cpus.append(sample.cpu)
        reports.append(json.loads(report.read_text(encoding="utf-8")))
    loop = [r["loop_time"] for r in reports]
    in_loops = [r["wall_in_loops"] for r in reports]
    waiting = [r["waiting"] for r in reports]
    # The loops' own time: the CPU their turns used and the time they waited on timers
    # and sockets. Another process on the machine lengthens the wall time of a run by
    # what it takes of the CPUs (the row read 88.8 so, 100+ idle); it changes neither of
    # these much. Nor does a page that runs no event loop: the suite's own time (its CPU
    # plus waiting) grows with every page, whatever the examples wait (45.8 at 49 pages
    # against 100+ at 31), so it is the note's, not the budget's.
    own = [r["cpu_in_loops"] + r["waiting"] for r in reports]
    suite_own = [c + w for c, w in zip(cpus, waiting, strict=True)]
    virtual = median(loop) > 1.05 * median(in_loops) + 1e-3
    clock = (
        f"{_s(median(in_loops))} of wall time inside the loops"
        if virtual
        else "every loop's clock ran at wall speed: no page uses a virtual clock (the "
        "timeouts page tests with timeout=0, which skips the wait instead of simulating it)"
    )
    wall_ratio = paired_ratio(loop, walls)
    return [
        Row(
            "loop_time",
            "Simulated asyncio time (loop.time() advanced in every loop) vs the loops' own "
            "time (the CPU time of their turns + their waiting on timers and sockets)",
            f"{_s(median(loop))} of loop time",
            f"own time {_s(median(own))} (wall in loops {_s(median(in_loops))})",
            paired_ratio(loop, own),
            budget=(">=", 100.0),
            note=f"{clock}; the loops wait {_s(median(waiting))} on timers and sockets; "
            f"against the whole suite's own time (its CPU + waiting, "
            f"{_s(median(suite_own))}) the ratio is {paired_ratio(loop, suite_own):.3g}, "
            f"against its wall time ({_s(median(walls))}) {wall_ratio:.3g}: those grow "
            "with every page that runs no loop, and the wall time with load",
            samples={
                "run": {"wall": walls, "cpu": cpus},
                "loop": {"loop_time": loop, "wall": in_loops},
            },
            details={"waiting": waiting, "most_loop_time": reports[-1]["most_loop_time"]},
        )
    ]


# -- the site: cold and incremental builds --------------------------------------------------


def docs(ctx: Context) -> list[Row]:
    root = _copy_docs(ctx.work)
    out = root / "_build" / "html"
    sphinx = [ctx.python, "-m", "sphinx", "-q", "-W", "-n", "--keep-going", "-b", "html"]
    sphinx += ["-c", ".", "docs", str(out)]

    def clean() -> None:
        shutil.rmtree(out, ignore_errors=True)

    def touch() -> None:
        (root / TOUCHED_PAGE).touch()

    commands = {
        "cold": Command(sphinx, cwd=root, before=clean),
        "incremental": Command(sphinx, cwd=root, before=touch),
        "unchanged": Command(sphinx, cwd=root),
        "cold_parallel": Command([*sphinx, "-j", "auto"], cwd=root, before=clean),
    }
    samples = interleaved(commands, ctx.repeats)
    # The same builds in one Python: what Sphinx does, without the start every process pays.
    in_process = Command(
        [ctx.python, "-m", "bench.sphinx_builds", str(root), TOUCHED_PAGE, str(ctx.repeats)],
    )
    builds: Samples = json.loads(in_process.output().strip().splitlines()[-1])
    return [
        Row(
            "docs_incremental",
            f"Docs: rebuild after touching {TOUCHED_PAGE} vs a cold build, in one Python",
            _both(builds, "incremental"),
            f"cold {_both(builds, 'cold')}",
            **_ratio(builds, "incremental", "cold", "cpu"),
            budget=("<=", 0.25),
            note="Sphinx's own work: both builds run in one process after an untimed "
            "build, so neither pays Python's start and the imports of Sphinx, MyST and the "
            "theme (bench/sphinx_builds.py); the next row is the same as commands",
        ),
        Row(
            "docs_incremental_process",
            "Docs: the same, each build a new `python -m sphinx` (as `nox -s docs` and "
            "sphinx-autobuild run it)",
            _both(samples, "incremental"),
            f"cold {_both(samples, 'cold')}",
            **_ratio(samples, "incremental", "cold", "cpu"),
            note=f"a build with nothing to do costs {_both(samples, 'unchanged')}: Python's "
            "start, the imports, loading the saved environment, writing the search index and "
            "genindex, whatever the pages; no budget on this row for that reason",
        ),
        Row(
            "docs_parallel",
            f"Docs: cold build with `-j auto` ({os.cpu_count()} CPUs) vs serial",
            _both(samples, "cold_parallel"),
            f"serial {_both(samples, 'cold')}",
            **_ratio(samples, "cold_parallel", "cold", "wall"),
            note="below 1 would mean that parallel reading pays on this machine",
        ),
    ]


# -- the live preview ----------------------------------------------------------------------


def _saver(page: Path) -> Callable[[], None]:
    """An author's save of ``page``: a comment on the first line of its first test block
    says which save this is, so that every save changes that block (and its fingerprint)."""
    original = page.read_text(encoding="utf-8")
    fence = re.search(r"^```\{example\} test_\w+\.py\n(?:(?::[^\n]*|)\n)*", original, re.M)
    if fence is None:
        raise BenchError(f"{page}: no test block to edit")
    line_end = original.index("\n", fence.end())
    saves = itertools.count(1)

    def save() -> None:
        edited = f"{original[:line_end]}  # save {next(saves)}{original[line_end:]}"
        page.write_text(edited, encoding="utf-8")

    return save


def docs_live(ctx: Context) -> list[Row]:
    """`nox -s docs-live`'s rebuild after a save, its blocks run first, vs the rebuild alone."""
    root = _copy_docs(ctx.work)
    save = _saver(root / TOUCHED_PAGE)
    sphinx = [ctx.python, "-m", "sphinx", "-q", "-n", "--keep-going", "-b", "html", "-c", "."]
    live = [ctx.python, "-m", "verified_blocks.live", "--root", str(root)]
    verified = [*sphinx, "-D", "verified_blocks_reports=_build/live-reports"]
    commands = {
        "plain": Command([*sphinx, "docs", "_build/html-plain"], cwd=root, before=save),
        "live": Command(
            [
                "sh",
                "-c",
                f"{shlex.join(live)} && {shlex.join([*verified, 'docs', '_build/html-live'])}",
            ],
            cwd=root,
            before=save,
        ),
    }
    samples = interleaved(commands, ctx.repeats)
    return [
        Row(
            "docs_live",
            f"Live preview: a save of {TOUCHED_PAGE}, its changed blocks extracted and run on "
            "this Python, then the rebuild vs the rebuild alone",
            _both(samples, "live"),
            f"rebuild alone {_both(samples, 'plain')}",
            **_ratio(samples, "live", "plain", "wall"),
            budget=("<=", 2.0),
            note="what sphinx-autobuild runs at each save in `nox -s docs-live` "
            "(verified_blocks.live, then Sphinx), against the rebuild `nox -s docs` would "
            "make; each save edits one test block, so both rebuild the page and the live "
            "step runs its folder",
        )
    ]


# -- one page on every Python --------------------------------------------------------------

#: The page of the one-page rows: test modules, one that must fail as shown (run alone by
#: pytester), scripts, and pycon sessions, one of them from Python 3.11 on.
ONE_PAGE = "docs/how-to/test-error-handling.md"


def one_page(ctx: Context) -> list[Row]:
    """`nox -s page` against one plain pytest run of the page, and against what it replaces."""
    from verified_blocks.spec import SUPPORTED_PYTHONS

    # The session writes the page's files; here it must find nothing to write.
    check = subprocess.run(
        [ctx.python, "-m", "verified_blocks.extract_pages", "--check", ONE_PAGE],
        cwd=ROOT,
        capture_output=True,
        text=True,
    )
    if check.returncode != 0:
        raise BenchError(
            f"examples/ is not what {ONE_PAGE} makes: run `nox -s page -- {ONE_PAGE}` first "
            f"(the bench never writes examples/):\n{check.stderr}"
        )
    folder = f"examples/{extract.folder_of(ONE_PAGE)}"
    blocks = sum(len(f.placed) for f in _files().values() if f.page == ONE_PAGE)
    nox = [ctx.python, "-m", "nox", "--noxfile", str(ROOT / "noxfile.py")]
    # before `nox -s page`: the extractor, then each Python's session, each its own nox
    before = [[*nox, "-s", "extract"]]
    before += [[*nox, "-s", f"examples-{p}", "--", ONE_PAGE] for p in SUPPORTED_PYTHONS]
    # The session's warm servers (verified_blocks.warm) in a folder of the bench's own,
    # started by the warm-up run and stopped at the end.
    servers = Path(tempfile.mkdtemp(prefix="bench-warm-"))
    warm_env = {**_nox_env(), "VERIFIED_BLOCKS_WARM": str(servers)}
    commands = {
        "session": Command(
            [*nox, "-s", "page", "--", ONE_PAGE],
            env=warm_env,
            expect=r"every_python: passed on every Python",
        ),
        "fresh": Command(
            [*nox, "-s", "page", "--", "--fresh", ONE_PAGE],
            env=warm_env,
            expect=r"every_python: passed on every Python",
        ),
        "pytest": Command(
            [ctx.python, "-m", "pytest", "-c", "examples/pytest.ini", folder], expect=r"\d+ passed"
        ),
        "sequential": Command(
            ["sh", "-c", " && ".join(shlex.join(command) for command in before)],
            env=_nox_env(),
            expect=rf"Session examples-{re.escape(SUPPORTED_PYTHONS[-1])} was successful",
        ),
    }
    try:
        samples = interleaved(commands, ctx.repeats)
    finally:
        warm.stop(servers)
        shutil.rmtree(servers, ignore_errors=True)
    version = f"{sys.version_info.major}.{sys.version_info.minor}"
    pythons = f"{len(SUPPORTED_PYTHONS)} Pythons"
    cpus = os.cpu_count() or 1
    # The runs share the CPUs: the session's wall time is at least its CPU time / cpus, and
    # on an idle machine one pytest run's wall time is about its CPU time.
    floor = paired_ratio(samples["fresh"]["cpu"], samples["pytest"]["cpu"]) / cpus
    return [
        Row(
            "page_every_python",
            f"`nox -s page -- {ONE_PAGE}` ({blocks} blocks) on {pythons} at once vs one plain "
            f"pytest run of its folder on Python {version}",
            _both(samples, "session"),
            f"pytest {_both(samples, 'pytest')}",
            **_ratio(samples, "session", "pytest", "wall"),
            budget=("<=", 3.0),
            note=f"the session, as an author re-runs it after an edit: nox's start, the "
            f"page's environment and the {pythons}' checked against uv.lock, the page's "
            "files written, then one pytest per Python at once, each forked from the warm "
            "server the warm-up run started in its environment (verified_blocks.warm; the "
            "forked runs' CPU is the servers', not counted here)",
        ),
        Row(
            "page_every_python_fresh",
            "The same with `--fresh`: a new interpreter per Python, as the first run after "
            "20 idle minutes, vs the same pytest run",
            _both(samples, "fresh"),
            f"pytest {_both(samples, 'pytest')}",
            **_ratio(samples, "fresh", "pytest", "wall"),
            note=f"the six runs share {cpus} CPUs: even on an idle machine this ratio cannot "
            f"be below its CPU ratio / {cpus}, {floor:.2f} here",
        ),
        Row(
            "page_vs_sequential",
            f"The same vs what it replaces: `nox -s extract`, then `nox -s examples-3.X -- "
            f"{ONE_PAGE}` for each of the {pythons}, one after another",
            _both(samples, "session"),
            f"one after another {_both(samples, 'sequential')}",
            **_ratio(samples, "session", "sequential", "wall"),
            note="each of the seven nox runs pays nox's start and its installs' check; the "
            "extractor reads every page",
        ),
    ]


# -- a full nox run -------------------------------------------------------------------------

_SESSION_START = re.compile(r"^nox > Running session (\S+)")
_SESSION_END = re.compile(r"^nox > Session (\S+) (was successful|failed|was skipped)")
_VENV = re.compile(r"^nox > (Creating virtual environment|Re-?using existing virtual env)")
#: nox names uv by its full path when it uses the uv installed beside itself
_INSTALL = re.compile(r"^nox > (\S*/)?(uv sync|uv pip install|python -m pip install|pip install)")


def parse_nox_log(
    lines: list[tuple[float, str]], start: float, end: float
) -> dict[str, dict[str, float]]:
    """Seconds per session and step (venv, install, run) from nox's timestamped output.

    A step lasts from its ``nox >`` line to the next one; what nox does outside the
    sessions (its start, between sessions, the summary) is the ``nox`` row.
    """
    sessions: dict[str, dict[str, float]] = {}
    current: str | None = None
    step, mark, outside = "nox", start, 0.0

    def close(at: float) -> None:
        nonlocal outside
        if current is None:
            outside += at - mark
        else:
            sessions[current][step] = sessions[current].get(step, 0.0) + at - mark

    for stamp, line in lines:
        if not line.startswith("nox > "):
            continue
        if match := _SESSION_START.match(line):
            close(stamp)
            current, step, mark = match[1], "nox", stamp
            sessions.setdefault(current, {})
        elif match := _SESSION_END.match(line):
            close(stamp)
            if match[2] != "was successful":
                raise BenchError(f"nox session {match[1]} {match[2]}")
            current, step, mark = None, "nox", stamp
        elif current is not None:
            close(stamp)
            step = "venv" if _VENV.match(line) else "install" if _INSTALL.match(line) else "run"
            mark = stamp
    close(end)
    sessions["nox"] = {"nox": outside}
    return sessions


def _nox_env() -> dict[str, str]:
    """The caller's environment without this session's virtual environment."""
    env = child_env(PYTHONUNBUFFERED="1")
    venv = env.pop("VIRTUAL_ENV", None)
    env.pop("NOX_CURRENT_SESSION", None)
    if venv:
        env["PATH"] = os.pathsep.join(
            p for p in env.get("PATH", "").split(os.pathsep) if not p.startswith(venv)
        )
    return env


def _full_nox(ctx: Context) -> tuple[float, dict[str, dict[str, float]]]:
    start = time.perf_counter()
    proc = subprocess.Popen(
        [ctx.python, "-m", "nox", "--nocolor"],
        cwd=ROOT,
        env=_nox_env(),
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        bufsize=1,
    )
    assert proc.stdout is not None
    lines = [(time.perf_counter(), line.rstrip("\n")) for line in proc.stdout]
    code = proc.wait()
    end = time.perf_counter()
    if code != 0:
        raise BenchError(f"`nox` exited {code}:\n{_failed_session(lines)}")
    return end - start, parse_nox_log(lines, start, end)


def _failed_session(lines: list[tuple[float, str]]) -> str:
    """The output of the first session that failed (or the last lines of all)."""
    text = [line for _, line in lines]
    for end, line in enumerate(text):
        if (match := _SESSION_END.match(line)) and match[2] == "failed":
            begin = max(i for i in range(end) if text[i].startswith("nox > Running session"))
            return "\n".join(text[begin : end + 1][-40:])
    return "\n".join(text[-40:])


#: The examples session the full run is measured against.
ONE_SESSION = "3.13"


def full_nox(ctx: Context) -> list[Row]:
    first, first_sessions = _full_nox(ctx)  # makes the environments on a clean clone
    # One Python's examples session, as an author runs it, timed between the full runs.
    one = Command(
        [ctx.python, "-m", "nox", "--nocolor", "-R", "-s", f"examples-{ONE_SESSION}"],
        env=_nox_env(),
        expect=rf"Session examples-{re.escape(ONE_SESSION)} was successful",
    )
    one.run()  # warm-up
    runs, ones = [], []
    for _ in range(ctx.nox_repeats):
        runs.append(_full_nox(ctx))
        ones += [one.run().wall for _ in range(max(1, ctx.repeats // ctx.nox_repeats))]
    totals = [t for t, _ in runs]
    names = list(runs[0][1])
    steps = ("venv", "install", "run", "nox")
    table = {
        name: {s: median([r[1].get(name, {}).get(s, 0.0) for r in runs]) for s in steps}
        for name in names
    }
    total = median(totals)
    installs = sum(t["venv"] + t["install"] for t in table.values())
    examples = sum(t["run"] for n, t in table.items() if n.startswith("examples"))
    docs_run = table.get("docs", {}).get("run", 0.0)
    return [
        Row(
            "nox_full_vs_one_python",
            f"A full `nox` run, venvs reused vs `nox -R -s examples-{ONE_SESSION}`",
            _s(total),
            f"examples-{ONE_SESSION} {_s(median(ones))}",
            total / median(ones),
            basis="wall",
            budget=("<=", 15.0),
            note="medians of the runs of each, made in turns; every check CI runs against "
            "the examples on one Python, with nothing changed since the untimed run: tests, "
            "coverage, flakes, browser and mutants find their passes kept for the same inputs "
            "and do not run (verified_blocks/verdicts.py, mutants/cache.py); the examples, "
            "lowest (a fresh environment each time), drift, docs and the linters run (the next "
            "row and the table below: where the time goes)",
            samples={"full": {"wall": totals}, "one": {"wall": ones}},
        ),
        Row(
            "nox_full",
            f"A full `nox` run, venvs reused (median of {ctx.nox_repeats} after one untimed run)",
            _s(total),
            note=(
                f"environments and installs {installs / total:.0%}, examples on every Python "
                f"{examples / total:.0%}, docs {docs_run / total:.0%} (the first run: "
                f"{_s(first)})"
            ),
            samples={"run": {"wall": totals}},
            details={"sessions": table, "first_run": first, "first_run_sessions": first_sessions},
        ),
    ]


# -- mutants -------------------------------------------------------------------------------

#: The page of the mutants rows: a how-to with some forty mutants, so that the fork servers'
#: start (a probe run and the imports, once per job) weighs on the row as little as it does
#: on `nox -s mutants`, whose servers each serve hundreds of runs; on a page of ten mutants
#: it outweighed what the fork saved (the row read 1.02).
MUTANTS_PAGE = "docs/how-to/mock-at-the-boundary.md"


def mutants(ctx: Context) -> list[Row]:
    """The mutants of one page: forked runs against a new interpreter per run, and a run
    with nothing changed (the page's verdicts kept) against a forked one."""
    out = ctx.work / "mutants"
    base = [ctx.python, "-m", "verified_blocks.mutants", MUTANTS_PAGE, "--out", str(out)]
    done = r"\d+ mutants in \d+ s"
    commands = {
        "forked": Command([*base, "--no-cache"], expect=done),
        "fresh": Command([*base, "--no-cache", "--no-fork"], expect=done),
        # its warm-up run keeps the page's verdicts; the timed runs find them
        "cached": Command(base, expect=done),
    }
    samples = interleaved(commands, ctx.repeats)
    return [
        Row(
            "mutants_forked",
            f"Mutants of {MUTANTS_PAGE}: each run forked from a process that imported pytest "
            "once vs a new interpreter per run",
            _both(samples, "forked"),
            f"new interpreter {_both(samples, 'fresh')}",
            **_ratio(samples, "forked", "fresh", "wall"),
            budget=("<=", 0.75),
            note="the same verdicts either way (tests/toolchain/test_mutants.py); what the "
            "fork saves is Python's start and pytest's imports, once per mutant",
        ),
        Row(
            "mutants_cached",
            "Mutants of the same page, nothing changed since its verdicts were kept vs run "
            "again (forked)",
            _both(samples, "cached"),
            f"run again {_both(samples, 'forked')}",
            **_ratio(samples, "cached", "forked", "wall"),
            budget=("<=", 0.1),
            note="the page is read and its key computed (its text, the configuration, the "
            "toolchain, the installed libraries, the interpreter), nothing is run",
        ),
    ]


MEASUREMENTS: dict[str, Callable[[Context], list[Row]]] = {
    "extraction": extraction,
    "examples": examples,
    "blocks": per_block,
    "instructions": instructions,
    "loop-clock": loop_clock,
    "docs": docs,
    "docs-live": docs_live,
    "page": one_page,
    "mutants": mutants,
    "nox": full_nox,
}


def rows_to_json(rows: list[Row]) -> list[dict]:
    return [{**asdict(r), "holds": r.holds} for r in rows]


def tempdir() -> Path:
    return Path(tempfile.mkdtemp(prefix="bench-"))
