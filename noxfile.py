"""Sessions of the Async Testing Guide. Bare `nox` runs every check CI runs.

`nox -l` lists every session, in the order bare `nox` runs the default ones (marked `*`);
the others (marked `-`) run only when named:

nox -s docs              # build the site into _build/html
nox -s publish           # the same, failing unless every badge says verified
nox -s browser           # Chromium over the built site: links, console, copy, tabs, search
nox -s page -- docs/how-to/test-error-handling.md            # one page, every Python at once
nox -s examples-3.12 -- docs/how-to/test-error-handling.md   # one page, one Python
nox -s bench             # medians and ratios against the budgets, in _build/bench.md

Each session installs a dependency group of pyproject.toml, and the toolchain editable with
the extras it needs, at the versions of uv.lock (`uv lock` after changing pyproject.toml).
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import nox

nox.needs_version = ">=2025.2.9"
# Every session installs from uv.lock with `uv sync`, so every environment is uv's.
nox.options.default_venv_backend = "uv"
nox.options.reuse_venv = "yes"
# A missing interpreter is an error, never a silent skip: .ci/debian-pythons
# provides 3.14 and 3.15 where the host has no package for them.
nox.options.error_on_missing_interpreters = True

# An interpreter missing here comes from uv's managed Pythons, downloaded (nox's default,
# `--download-python auto`), so that `nox` works on a machine with one Python. Where there
# is no such network (this repository's CI), .ci/run forbids downloads and provides
# Debian's 3.14 and 3.15 instead.
# Compile what uv installs, as pip does: otherwise a Python that may not write its
# cache (PYTHONDONTWRITEBYTECODE) compiles Sphinx, pytest and aiohttp at every run
# (`nox -s bench`: a rebuild after touching one page took 2.0 s instead of 0.8 s).
os.environ.setdefault("UV_COMPILE_BYTECODE", "1")

ROOT = Path(__file__).resolve().parent
# Every Python the examples run on: pyproject.toml's classifiers (which the installed
# toolchain reads too, as spec.SUPPORTED_PYTHONS).
PYTHONS = nox.project.python_versions(nox.project.load_toml(ROOT / "pyproject.toml"))
DOCS_PYTHON = "3.13"  # Sphinx 9.2 needs 3.13+
COVERAGE_PYTHON = "3.13"
FLAKES_PYTHON = "3.13"
REPORTS = "_build/reports"


def _install(session: nox.Session, *groups: str, extras: tuple[str, ...] = ()) -> None:
    """Make the environment exactly uv.lock's versions of the dependency `groups`, plus the
    toolchain installed editable (as `pip install -e .[extras]` would) with what it needs."""
    _sync(session, *(f"--group={g}" for g in groups), *(f"--extra={e}" for e in extras))


def _install_tools(session: nox.Session, group: str) -> None:
    """Make the environment exactly uv.lock's versions of the dependency `group`, no more."""
    _sync(session, f"--only-group={group}")


def _sync(session: nox.Session, *args: str, venv: str | None = None) -> None:
    """`uv sync` the session's environment, or another session's (`venv`)."""
    venv = venv or session.virtualenv.location
    # --locked: a uv.lock that disagrees with pyproject.toml is an error, never rewritten.
    # nox names the session's environment in UV_PYTHON and VIRTUAL_ENV too: for another
    # one, uv would otherwise make it anew with this session's interpreter.
    session.run_install(
        *("uv", "sync", "--locked", "--no-default-groups", *args),
        env={"UV_PROJECT_ENVIRONMENT": venv, "UV_PYTHON": venv, "VIRTUAL_ENV": venv},
    )
    # Where Python may not write bytecode, pytest would rewrite its plugins' modules at every
    # run: have it write them into the environment once (verified_blocks/rewrite_cache.py;
    # it does nothing when the environment's distributions are as it last saw them).
    if os.environ.get("PYTHONDONTWRITEBYTECODE") and not any("--only-group" in a for a in args):
        python = str(Path(venv, "Scripts" if sys.platform == "win32" else "bin", "python"))
        said = session.run(
            python, "-m", "verified_blocks.rewrite_cache", external=True, silent=True
        )
        if isinstance(said, str) and said.strip():
            session.log(said.strip().splitlines()[-1])


@nox.session(python=DOCS_PYTHON)
def lint(session: nox.Session) -> None:
    """ruff over the toolchain, its tests and the generated examples."""
    _install_tools(session, "lint")
    session.run("ruff", "check", *(session.posargs or ["."]))
    session.run("ruff", "format", "--check", "src", "tests", "bench", "noxfile.py", "conf.py")


@nox.session(python=DOCS_PYTHON)
def typecheck(session: nox.Session) -> None:
    """mypy, strict, over the toolchain package (pyproject.toml's [tool.mypy])."""
    _install(session, "tests", extras=("pages", "sphinx", "coverage"))
    session.run("mypy", *session.posargs)


@nox.session(python=DOCS_PYTHON)
def tests(session: nox.Session) -> None:
    """The toolchain's own tests: extractor, plugin, Sphinx extension, bad input.

    `-- tests/toolchain/test_x.py` runs only the tests named; any other argument goes to
    pytest (`-- -n 0` runs them in one process instead of on every CPU). Not run again
    while nothing they read changed since they passed (`-- --no-cache` runs them).
    """
    _install(session, "tests")
    options = _options(session)
    named = [a for a in options if not a.startswith("-")]
    chosen = any(Path(a.split("::")[0]).exists() for a in named)
    # They read the whole repository (its pages, examples, workflows, README): every file
    # git tracks or would track keys their pass.
    _unless_kept(
        session,
        ["."],
        *("python", "-m", "pytest", "-n", "auto"),
        *([] if chosen else ["tests"]),
        *options,
    )


def _options(session: nox.Session) -> list[str]:
    """The session's arguments for its check, less `--no-cache` (see :func:`_unless_kept`)."""
    return [a for a in session.posargs if a != "--no-cache"]


#: What every kept pass depends on besides its own inputs: how its session is made.
_SESSION_INPUTS = ("noxfile.py", "pyproject.toml", "uv.lock")


def _unless_kept(
    session: nox.Session, inputs: list[str], *command: str, stamps: list[str] | None = None
) -> None:
    """Run the session's check, `command`, unless it passed before with nothing it reads
    changed since: the same `inputs` (files, folders), the same environment and
    interpreter, the same `stamps` (programs the system installs), the same command
    (verified_blocks/verdicts.py). `-- --no-cache` runs it whatever was kept."""
    session.run(
        *("python", "-m", "verified_blocks.verdicts", session.name),
        *(f"--input={p}" for p in (*_SESSION_INPUTS, *inputs)),
        *(f"--stamp={p}" for p in stamps or []),
        *(["--no-cache"] if "--no-cache" in session.posargs else []),
        *("--", *command),
    )


@nox.session(python=DOCS_PYTHON, default=False)
def fuzz(session: nox.Session) -> None:
    """Feed the extractor thousands of generated pages (`nox -s tests` feeds it 200 a test)."""
    _install(session, "tests")
    session.run(
        *(
            "python",
            "-m",
            "pytest",
            "tests/toolchain/test_fuzz_extract.py",
            "--hypothesis-profile=fuzz",
        ),
        *("--hypothesis-show-statistics", *session.posargs),
    )


def _extract(session: nox.Session, *args: str) -> None:
    """Run the extractor (it needs MyST's parser, nothing else)."""
    _install(session, extras=("pages",))
    session.run("python", "-m", "verified_blocks.extract", *args)


@nox.session(python=DOCS_PYTHON, default=False)
def extract(session: nox.Session) -> None:
    """Write examples/ from the pages in docs/ (`-- --check` only checks)."""
    _extract(session, *session.posargs)


@nox.session(python=DOCS_PYTHON)
def drift(session: nox.Session) -> None:
    """Fail if examples/ differs from what docs/ produces (same as `extract -- --check`)."""
    _extract(session, "--check")


@nox.session(python=PYTHONS)
def examples(session: nox.Session) -> None:
    """Run every page's examples; `-- docs/PAGE.md` runs only that page's.

    The full run writes _build/reports/<python>.json, which the site's badges read.
    """
    _install(session, "examples")
    pages = [a for a in session.posargs if a.endswith(".md")]
    rest = [a for a in session.posargs if not a.endswith(".md")]
    targets = [_examples_folder(session, page) for page in pages] or ["examples"]
    report = [] if pages else [f"--blocks-report={REPORTS}/{session.python}.json"]
    # -c: a page may have its own pytest.ini (shown on the page); examples/ runs under one.
    session.run("python", "-m", "pytest", "-c", "examples/pytest.ini", *targets, *report, *rest)


def _examples_folder(session: nox.Session, page: str) -> str:
    parts = Path(page).with_suffix("").parts
    if parts[:1] != ("docs",):
        session.error(f"{page}: expected a page under docs/")
    folder = Path("examples", *(p.replace("-", "_") for p in parts[1:]))
    if not folder.is_dir():
        session.error(f"{page} has no examples ({folder} does not exist; run `nox -s extract`?)")
    return str(folder)


@nox.session(python=DOCS_PYTHON, default=False)
def page(session: nox.Session) -> None:
    """One page on every Python at once: `-- docs/PAGE.md [more pages] [-- pytest options]`.

    Writes only those pages' folders of examples/, then runs them on every Python of
    `examples-3.X`, in those sessions' environments (made by nox the first time, synced
    from uv.lock), all at once; prints per Python `passed` or the page lines that failed.
    Each run's output is in _build/page/. Each run is forked from a server kept warm in its
    environment (verified_blocks.warm) or, with `--fresh`, is a new interpreter.
    """
    split = session.posargs.index("--") if "--" in session.posargs else len(session.posargs)
    pages, options = session.posargs[:split], session.posargs[split + 1 :]
    fresh = ["--fresh"] if "--fresh" in pages else []  # no warm server: every_python's option
    pages = [arg for arg in pages if arg != "--fresh"]
    usage = "nox -s page -- docs/<section>/<page>.md [more pages] [-- pytest options]"
    if not pages:
        session.error(f"name the pages: {usage}")
    for arg in pages:  # before any install; verified_blocks.extract_pages checks the rest
        path = (ROOT / arg).resolve()
        if arg.startswith("-") or path.suffix != ".md" or not path.is_relative_to(ROOT / "docs"):
            session.error(f"{arg}: not a page (pytest options go after a second `--`): {usage}")
        if not path.is_file():
            session.error(f"{arg}: no such page")
    _sync_stale(session, {"page": session.virtualenv.location}, "--extra=pages")  # _install's
    # Bad blocks stop here, at their page line, with examples/ as it was.
    session.run("python", "-m", "verified_blocks.extract_pages", *pages)
    venvs = _examples_venvs(session)
    session.run(
        *("python", "-m", "verified_blocks.every_python"),
        *(f"--venv={python}={venv}" for python, venv in venvs.items()),
        *(*fresh, *pages, "--", *options),
    )


def _examples_venvs(session: nox.Session) -> dict[str, str]:
    """The environment of every `examples-3.X` session, by Python, each as that session
    would leave it: nox makes any that is missing (the first time), the others are synced."""
    from nox.sessions import _normalize_path  # how nox names a session's environment

    envdir = str(Path(session.virtualenv.location).parent)
    venvs = {python: _normalize_path(envdir, f"examples-{python}") for python in PYTHONS}
    missing = [python for python, venv in venvs.items() if not Path(venv, "bin", "python").exists()]
    if missing:
        names = [f"examples-{python}" for python in missing]
        session.log(f"making the environments of {', '.join(names)} (once)")
        # nox itself, as `nox -s examples-3.X` makes them: its interpreters, its installs.
        made = subprocess.run(
            [sys.executable, "-m", "nox", "--noxfile", str(ROOT / "noxfile.py")]
            + ["--envdir", envdir, "--install-only", "-s", *names],
            check=False,
        )
        if made.returncode != 0:
            session.error(f"could not make the environments of {', '.join(names)}")
    present = {f"examples-{p}": venv for p, venv in venvs.items() if p not in missing}
    _sync_stale(session, present, "--group=examples")
    return venvs


def _sync_stale(session: nox.Session, venvs: dict[str, str], *args: str) -> None:
    """`_sync` those of `venvs` (by session) that `uv sync` would change, asking all of them
    at once first (`uv sync --check`, 0.08 s, installing nothing): a sync compiles every
    installed module again (UV_COMPILE_BYTECODE), 0.4 s an environment with nothing to do."""
    uv = shutil.which("uv")  # else only nox knows where its uv is: sync them all
    checks = {
        name: subprocess.Popen(
            [uv, "sync", "--locked", "--check", "--no-default-groups", *args],
            cwd=ROOT,
            env={**os.environ, "UV_PROJECT_ENVIRONMENT": venv, "UV_PYTHON": venv},
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        for name, venv in venvs.items()
        if uv is not None
    }
    stale = [name for name in venvs if name not in checks or checks[name].wait() != 0]
    fresh = [name for name in venvs if name not in stale]
    if fresh:
        session.log(f"as uv.lock says already: {', '.join(fresh)}")
    for name in stale:
        _sync(session, *args, venv=venvs[name])


@nox.session(python=COVERAGE_PYTHON)
def coverage(session: nox.Session) -> None:
    """Per page: the page's own blocks run every line and branch of its code under test.

    `-- docs/PAGE.md` checks only that page. See verified_blocks/page_coverage.py for what
    counts as code under test. Not run again while the pages, the examples and the toolchain
    are as they were when it passed (`-- --no-cache` runs it).
    """
    _install(session, "examples", extras=("coverage",))
    _unless_kept(
        session,
        ["docs", "examples", "src"],
        *("python", "-m", "verified_blocks.page_coverage", *_options(session)),
    )


@nox.session(python=FLAKES_PYTHON)
def flakes(session: nox.Session) -> None:
    """Run the examples 20 times in random order, asyncio debug mode on: no failure allowed.

    Each run has a new pytest-randomly seed, printed; `-- --randomly-seed=N` (or any other
    pytest option) is passed to every run, so a failing seed can be replayed
    (verified_blocks/flakes.py). Not run again while the examples and the toolchain are
    as they were when they passed (`-- --no-cache` runs them).
    """
    _install(session, "flakes")
    _unless_kept(
        session, ["examples", "src"], "python", "-m", "verified_blocks.flakes", *_options(session)
    )


@nox.session(python=PYTHONS[0], venv_backend="uv", reuse_venv=False)
def lowest(session: nox.Session) -> None:
    """Run the examples with the lowest versions README claims, on the oldest Python.

    uv's lowest-direct resolution installs the lower bound of each `>=` range in
    tests/requirements-lowest.txt (their own dependencies at their newest), in a fresh
    environment every time; a bound that cannot be installed as stated is an error.
    """
    session.install("--resolution=lowest-direct", "-r", LOWEST, "-e", ".")
    bounds = {}
    for line in Path(LOWEST).read_text(encoding="utf-8").splitlines():
        name, sep, version = line.partition("#")[0].partition(">=")
        if sep:
            bounds[name.strip()] = version.strip()
    output = session.run("python", "-c", _VERSIONS, *bounds, silent=True)
    installed = json.loads(output.strip().splitlines()[-1])
    session.log("installed: " + ", ".join(f"{n}=={v}" for n, v in installed.items()))
    for name, bound in bounds.items():
        if _release(installed[name]) != _release(bound):
            session.error(
                f"{LOWEST} says {name}>={bound}, but with the others the lowest that installs "
                f"is {installed[name]}: raise the bound (and README's claim)"
            )
    session.run("python", "-m", "pytest", "-c", "examples/pytest.ini", "examples", *session.posargs)


LOWEST = "tests/requirements-lowest.txt"
_VERSIONS = """
import json, sys
from importlib.metadata import version
print(json.dumps({name: version(name) for name in sys.argv[1:]}))
"""


def _release(version: str) -> tuple[int, ...]:
    """`9.1` and `9.1.0` -> (9, 1, 0)."""
    parts = [int(p) for p in version.split(".")[:3]]
    return tuple(parts + [0] * (3 - len(parts)))


@nox.session(python=DOCS_PYTHON)
def mutants(session: nox.Session) -> None:
    """Put one fault at a time into each page's blocks; the page's run must fail.

    `-- docs/PAGE.md` mutates only that page; `-- --list` lists the mutants without running
    them. Writes killed/total per page to _build/mutants.md and _build/mutants.json, and fails
    while a mutant survives that docs/mutants_equivalent.toml does not
    explain, or an entry there explains no surviving mutant.

    Each run is forked from a process that imported pytest and its plugins once (`-- --no-fork`:
    a new interpreter per run, the same verdicts); a mutant's first run leaves out the page's
    test modules that cannot see its change, and the whole page runs only when that run does
    not kill it (`-- --no-select`: the whole page every time, the same verdicts); a page whose
    inputs (its text, the configuration, the toolchain, the installed libraries, the
    interpreter) did not change since its verdicts were kept in _build/mutants-cache is not
    run again (`-- --no-cache` runs it).
    """
    _install(session, "examples", extras=("pages",))
    session.run("python", "-m", "verified_blocks.mutants", *session.posargs)


@nox.session(python=DOCS_PYTHON)
def docs(session: nox.Session) -> None:
    """Build the site into _build/html, warnings as errors, badges from _build/reports.

    A preview: a block no report verified shows "Not verified in this build".
    """
    _sphinx(session)


@nox.session(python=DOCS_PYTHON, default=False)
def publish(session: nox.Session) -> None:
    """Build the site to publish into _build/html: as docs, but the build fails unless every
    badge says verified (a report of every supported Python, each block as it is now).

    Run it after `nox -s examples`; Read the Docs and the GitHub Pages deployment do.
    """
    _sphinx(session, "-D", "verified_blocks_publish=1")


def _sphinx(session: nox.Session, *args: str) -> None:
    _install(session, "docs", extras=("sphinx",))
    session.run(
        *("python", "-m", "sphinx", "-W", "-n", "--keep-going", "-b", "html"),
        *("-c", ".", "docs", SITE, *args, *session.posargs),
    )
    session.log(f"The site is in {ROOT / SITE / 'index.html'}")


SITE = "_build/html"


@nox.session(name="docs-live", python=DOCS_PYTHON, default=False)
def docs_live(session: nox.Session) -> None:
    """Serve the site on http://127.0.0.1:8000 and rebuild it when a page changes.

    Before each rebuild, the pages whose blocks changed are extracted and their examples run
    on this Python (verified_blocks/live.py), so their badges say what that run found; the
    other pages keep the badges of _build/reports (copied with them into _build/live-reports).
    """
    _install(session, "docs", "examples", extras=("sphinx",))
    session.run(
        *("sphinx-autobuild", "-n", "--keep-going", "-c", ".", "--watch", "src"),
        *("--pre-build", "python -m verified_blocks.live"),
        *("-D", "verified_blocks_reports=_build/live-reports"),
        *("docs", "_build/html-live", *session.posargs),
    )


@nox.session(python=DOCS_PYTHON, default=False)
def linkcheck(session: nox.Session) -> None:
    """Check every link out of the pages, anchors included, with Sphinx's linkcheck builder.

    Needs the network (`nox -s browser` checks the links within the site, offline). A broken
    link fails the session; all are listed in _build/linkcheck/output.txt.
    """
    _install(session, "docs", extras=("sphinx",))
    session.run(
        *("python", "-m", "sphinx", "-b", "linkcheck", "-c", ".", "docs", "_build/linkcheck"),
        *session.posargs,
    )


INVENTORIES = ROOT / "docs" / "_inventories"
INVENTORY_HEADER = b"# Sphinx inventory version 2\n"


@nox.session(python=False, default=False)
def inventories(session: nox.Session) -> None:
    """Download each site's objects.inv over docs/_inventories/NAME.inv (its sites.toml).

    Needs the network, which the site's build never does: it reads those committed files.
    Nothing is written unless every site answers with an inventory; then `nox -s docs`,
    since a name a page links may have left one.
    """
    from urllib.request import urlopen

    sites = nox.project.load_toml(INVENTORIES / "sites.toml")
    fetched: dict[str, bytes] = {}
    for name, site in sites.items():
        url = f"{site}objects.inv"
        try:
            with urlopen(url, timeout=30) as response:
                fetched[name] = response.read()
        except OSError as error:  # no network, a timeout, an HTTP error
            unchanged = "docs/_inventories/ is unchanged"
            session.error(f"{url} cannot be fetched ({error}): this needs the network; {unchanged}")
        if not fetched[name].startswith(INVENTORY_HEADER):
            session.error(f"{url} is not a Sphinx inventory; docs/_inventories/ is unchanged")
    for name, data in fetched.items():
        (INVENTORIES / f"{name}.inv").write_bytes(data)
        session.log(f"docs/_inventories/{name}.inv: {len(data)} bytes from {sites[name]}")


# browser tests the site that docs has just built, so it comes after docs.
@nox.session(python=DOCS_PYTHON)
def browser(session: nox.Session) -> None:
    """Drive Chromium over the built site: every page loads cleanly, no broken link or anchor,
    copy buttons copy only code, version tabs switch, search finds an error's entry, axe-core
    finds no serious accessibility problem (light, dark, phone width), and screenshots go to
    _build/screenshots.

    Needs the site (`nox -s examples docs`) and Debian's Chromium (`apt-get install chromium
    chromium-driver`; Playwright's own browser download is never used). `-- --site=DIR`
    tests another build, `-- --chromium=PATH` another Chromium. Not run again while the
    site, these tests and Chromium are as they were when they passed (`-- --no-cache`).
    """
    _install(session, "browser")  # the toolchain too: verified_blocks.verdicts
    # On every CPU (pytest-xdist): each worker serves the site and drives a Chromium of its
    # own; `-- -n 0` runs them in one process.
    _unless_kept(
        session,
        [SITE, "tests/browser", "docs"],
        *("python", "-m", "pytest", "-n", "auto", "tests/browser", *_options(session)),
        stamps=[c for c in CHROMIUMS if c and os.access(c, os.X_OK)],
    )


#: The Chromiums tests/browser/conftest.py may drive (Debian's binary, else one on PATH):
#: an upgrade of one runs the browser tests again.
CHROMIUMS = [
    "/usr/lib/chromium/chromium",
    *(shutil.which(n) for n in ("chromium", "chromium-browser", "google-chrome")),
]


@nox.session(python=PYTHONS[-1], default=False)
def latest(session: nox.Session) -> None:
    """The examples with the newest release of every library they use, on the newest Python:
    each block whose message or outcome changed fails at its page line.

    Needs the network (PyPI); the weekly `upstream` workflow runs it. It installs the
    `examples` group's libraries unpinned, logs which versions differ from uv.lock, and
    writes _build/latest/report.json (outside _build/reports: the site's badges never read
    it). `-- --pre` takes pre-releases too.
    """
    pre = "--pre" in session.posargs
    rest = [a for a in session.posargs if a != "--pre"]
    _install(session)  # the toolchain, editable
    pinned = _locked_versions()
    names = [_unpinned(requirement) for requirement in _examples_group()]
    session.install("--upgrade", *(["--prerelease=allow"] if pre else []), *names)
    output = session.run("python", "-c", _VERSIONS, *pinned, silent=True)
    installed = json.loads(output.strip().splitlines()[-1])
    newer = [f"{n} {pinned[n]} -> {v}" for n, v in installed.items() if v != pinned[n]]
    session.log("newer than uv.lock: " + (", ".join(newer) or "none"))
    session.run(
        *("python", "-m", "pytest", "-c", "examples/pytest.ini", "examples"),
        "--blocks-report=_build/latest/report.json",
        *rest,
    )


def _examples_group() -> list[str]:
    pyproject = nox.project.load_toml(ROOT / "pyproject.toml")
    return [r for r in pyproject["dependency-groups"]["examples"] if isinstance(r, str)]


def _unpinned(requirement: str) -> str:
    """`aiotools==2.2.4; python_version >= "3.11"` -> `aiotools; python_version >= "3.11"`."""
    name, _, marker = requirement.partition(";")
    name = name.split("==")[0].strip()
    return f"{name}; {marker.strip()}" if marker else name


def _locked_versions() -> dict[str, str]:
    """The version uv.lock holds of each library the examples group names (the newest one
    where the lock holds several, one per Python)."""
    import tomllib

    lock = tomllib.loads((ROOT / "uv.lock").read_text(encoding="utf-8"))
    names = {_unpinned(r).split(";")[0] for r in _examples_group()}
    versions: dict[str, str] = {}
    for package in lock["package"]:
        if package["name"] in names:
            known = versions.get(package["name"])
            if known is None or _release(package["version"]) > _release(known):
                versions[package["name"]] = package["version"]
    return versions


@nox.session(python=DOCS_PYTHON, default=False)
def bench(session: nox.Session) -> None:
    """Time the toolchain and the loop; write _build/bench.{json,md}; fail over budget.

    Medians of repeated runs and ratios, never single times (`-- --help` for options).
    It runs a full `nox` too, to show where its time goes.
    """
    _install(session, "bench")
    session.run("python", "-m", "bench", *session.posargs)
