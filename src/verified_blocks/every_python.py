"""Run some pages' examples on several Pythons at once, and say per Python what failed.

    python -m verified_blocks.every_python --venv 3.10=.nox/examples-3-10 ... \\
        docs/how-to/x.md [more pages] [-- pytest options]

``nox -s page`` runs it with the environment of every ``examples-3.X`` session, after
writing the pages' folders (:mod:`~verified_blocks.extract_pages`). In each environment,
activated as nox activates it, pytest runs the pages' folders as ``nox -s examples-3.X --
PAGE`` runs them, all the runs at once, with pytest's cache off (the runs of one folder
would all rewrite it; ``--lf`` and ``--ff`` need it). Each writes its output and a JUnit
XML report (``--out``, ``_build/page/`` by default): the report names each item that
failed, and the plugin has put the failure's page line at the start of its message.

Each run is forked from a server in its environment that has already imported what pytest
imports (:mod:`.warm`): the first run in an environment starts it, and it stays for the next
ones until it has been idle for 20 minutes. ``--fresh`` starts a new interpreter instead.

What it prints is one line per Python (passed, or the page lines that failed), then each
failure once, with the Pythons it failed on. Exit 1 if any Python failed.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import re
import subprocess
import sys
import time
from collections.abc import Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from xml.etree import ElementTree

from . import extract, manifest, warm
from .extract_pages import NotAPage, page_of
from .manifest import ExampleFile, ManifestError

#: A page line as the plugin writes it at the start of a failure: ``docs/how-to/x.md:42``.
PAGE_LINE = re.compile(r"\bdocs/[\w./-]+?\.md:\d+")
#: A line of a generated file as tracebacks name it, absolute or from the repository:
#: ``examples/how_to/x/test_y.py:12`` or ``File ".../examples/how_to/x/y.py", line 12``.
FILE_LINE = re.compile(r"\bexamples/([\w./-]+?\.py)(?::|\", line )(\d+)")
#: The lines of a run's output shown where its report says nothing.
TAIL = 15


@dataclass(frozen=True)
class Failure:
    """What failed: where (a page line, or the item where none is known) and the message."""

    where: str
    message: str


@dataclass
class Outcome:
    """One Python's run."""

    python: str
    returncode: int
    counts: dict[str, int]  #: passed, failed, error, skipped: pytest's words
    failures: list[Failure]
    seconds: float = 0.0

    @property
    def passed(self) -> bool:
        return self.returncode == 0 and not self.failures

    def summary(self) -> str:
        counts = ", ".join(f"{n} {k}" for k, n in self.counts.items() if n) or "nothing ran"
        took = f" in {self.seconds:.1f} s" if self.seconds else ""
        if self.passed:
            return f"Python {self.python}: passed ({counts}){took}"
        places = ", ".join(sorted(dict.fromkeys(f.where for f in self.failures), key=_order))
        return f"Python {self.python}: failed at {places} ({counts}){took}"


#: The generated files, by their path in examples/ (the manifest's).
Files = Mapping[str, ExampleFile]


def read_junit(path: Path, files: Files) -> tuple[dict[str, int], list[Failure]]:
    """The counts and the failures of pytest's JUnit XML report at ``path``."""
    counts = dict.fromkeys(("passed", "failed", "error", "skipped"), 0)
    failures = []
    for case in ElementTree.parse(path).iter("testcase"):
        bad = [e for e in case if e.tag in ("failure", "error")]
        for element in bad:
            counts["failed" if element.tag == "failure" else "error"] += 1
            failures.append(_failure(case, element, files))
        if not bad:
            counts["skipped" if case.find("skipped") is not None else "passed"] += 1
    return counts, failures


def _failure(case: ElementTree.Element, element: ElementTree.Element, files: Files) -> Failure:
    message = element.get("message") or ""
    found = PAGE_LINE.search(message.split("\n", 1)[0])
    if found:
        return Failure(found[0], message.rstrip("\n"))
    # No page line in the message (an import that fails, a fixture's error): the innermost
    # line of a generated file that the traceback shows, as the page line it comes from.
    item = "::".join(filter(None, (case.get("classname"), case.get("name"))))
    text = element.text or ""
    where = page_line_in(text, files) or item
    # pytest's "E" lines say what went wrong; the frames above them differ by Python
    said = [line for line in text.splitlines() if line.startswith("E ")]
    return Failure(where, "\n".join([f"{item}: {message}", *(said or text.splitlines())[-TAIL:]]))


def page_line_in(text: str, files: Files) -> str | None:
    """The page line (``docs/page.md:LINE``) of the last line of a generated file that
    ``text`` names, if any."""
    for match in reversed(list(FILE_LINE.finditer(text))):
        f = files.get(match[1])
        found = f.locate(int(match[2])) if f is not None else None
        if f is not None and found is not None:
            return f"{f.page}:{found[1]}"
    return None


def outcome(python: str, returncode: int, log: Path, junit: Path, files: Files) -> Outcome:
    """What one run did: its report's failures, or, where it has none to show for a
    non-zero exit (no report, or a report of passes), the end of its output."""
    counts: dict[str, int] = {}
    failures: list[Failure] = []
    if junit.is_file():
        with contextlib.suppress(ElementTree.ParseError):  # cut short: no report
            counts, failures = read_junit(junit, files)
    if returncode != 0 and not failures:
        output = log.read_text(encoding="utf-8", errors="replace") if log.is_file() else ""
        lines = output.strip().splitlines()[-TAIL:]
        # a page line the plugin printed (the hang guard's, stopping the run) comes first
        stated = PAGE_LINE.search(output)
        where = stated[0] if stated else page_line_in(output, files) or "pytest"
        message = "\n".join([f"pytest exited {returncode}; the end of its output:", *lines])
        failures = [Failure(where, message)]
    return Outcome(python, returncode, counts, failures)


def _order(where: str) -> tuple[str, int, str]:
    """Page lines by page, then line number; anything else after them."""
    page, _, line = where.partition(" ")[0].rpartition(":")
    return (page, int(line), where) if line.isdigit() and page else ("\uffff", 0, where)


def report(outcomes: Sequence[Outcome]) -> str:
    """One line per Python, then each failure once, with the Pythons it failed on."""
    lines = [o.summary() for o in outcomes]
    seen: dict[Failure, list[str]] = {}
    for o in outcomes:
        for failure in o.failures:
            seen.setdefault(failure, []).append(o.python)
    for failure, pythons in sorted(seen.items(), key=lambda item: _order(item[0].where)):
        first, *rest = failure.message.splitlines() or [failure.where]
        if not first.startswith(failure.where):
            first = f"{failure.where}: {first}"
        lines += ["", first, *(f"    {line}" for line in rest)]
        lines.append(f"    on Python {', '.join(pythons)}")
    return "\n".join(lines)


def activated(venv: Path, env: Mapping[str, str]) -> dict[str, str]:
    """``env`` with ``venv`` the active virtual environment, in place of the one active in
    ``env`` (if any), as nox activates a session's: first on PATH, and named by
    VIRTUAL_ENV and, for uv, UV_PROJECT_ENVIRONMENT and UV_PYTHON."""
    active = env.get("VIRTUAL_ENV")
    bins = {str(Path(active) / "bin")} if active else set()
    path = [p for p in env.get("PATH", "").split(os.pathsep) if p and p not in bins]
    result = {k: v for k, v in env.items() if k != "CONDA_PREFIX"}
    result["PATH"] = os.pathsep.join([str(venv / "bin"), *path])
    for name in ("VIRTUAL_ENV", "UV_PROJECT_ENVIRONMENT", "UV_PYTHON"):
        if name == "VIRTUAL_ENV" or (active and env.get(name) == active):
            result[name] = str(venv)
    return result


def run(
    venvs: Mapping[str, Path],
    folders: Sequence[str],
    options: Sequence[str],
    root: Path,
    out: Path,
    files: Files,
    *,
    fresh: bool = False,
) -> list[Outcome]:
    """Run pytest over ``folders`` in each environment at once; the outcomes, in order.
    Each run is forked from the environment's warm server (:mod:`.warm`, started the first
    time), or with ``fresh`` (or where there is none) is a new interpreter."""
    out.mkdir(parents=True, exist_ok=True)

    def one(python: str) -> Outcome:
        venv = venvs[python]
        log, junit = out / f"{python}.log", out / f"{python}.xml"
        junit.unlink(missing_ok=True)
        args = [
            *("-c", "examples/pytest.ini", *folders),
            # Runs of one folder at once would each rewrite examples/.pytest_cache; runs
            # that share pytest's default temp root remove each other's numbered folders
            # at exit, which can fail a run on a warning (pytest-dev/pytest#11790).
            *("-p", "no:cacheprovider", f"--junit-xml={junit}"),
            f"--basetemp={out / f'{python}.tmp'}",
            *options,
        ]
        env = activated(venv, os.environ)
        start = time.perf_counter()
        code: int | None = None
        if not fresh and warm.available() and (venv / "bin" / "python").exists():
            try:
                code = warm.Server(venv, env).run(args, root, log)
            except warm.WarmError as error:
                print(f"every_python: Python {python} runs in a new interpreter: {error}")
        if code is None:
            command = [str(venv / "bin" / "python"), "-m", "pytest", *args]
            with log.open("w", encoding="utf-8") as output:
                try:
                    process = subprocess.Popen(
                        command, cwd=root, env=env, stdout=output, stderr=subprocess.STDOUT
                    )
                except OSError as error:  # no such interpreter, or it cannot run here
                    return Outcome(python, -1, {}, [Failure(command[0], f"not started: {error}")])
            started.append(process)
            code = process.wait()
        result = outcome(python, code, log, junit, files)
        result.seconds = time.perf_counter() - start
        return result

    started: list[subprocess.Popen[bytes]] = []
    pool = ThreadPoolExecutor(max_workers=len(venvs))
    try:
        return list(pool.map(one, venvs))
    finally:
        for process in started:  # an interrupted run leaves no pytest behind
            if process.poll() is None:
                process.kill()
        pool.shutdown()


def _venv(text: str) -> tuple[str, Path]:
    python, sep, venv = text.partition("=")
    if not sep or not python or not venv:
        raise argparse.ArgumentTypeError(f"{text!r}: expected VERSION=DIR, as 3.13=.nox/x")
    return python, Path(venv).absolute()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="every_python", description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--venv",
        type=_venv,
        action="append",
        required=True,
        metavar="VERSION=DIR",
        help="a Python's virtual environment, with pytest and the examples' libraries",
    )
    parser.add_argument("--root", type=Path, default=Path.cwd(), help="repository root")
    parser.add_argument("--out", type=Path, help="where each run's output goes")
    parser.add_argument(
        "--fresh",
        action="store_true",
        help="a new interpreter for every run, not a fork of the environment's warm server",
    )
    parser.add_argument("pages", nargs="+", metavar="PAGE", help="a page: docs/<section>/<page>.md")
    argv = sys.argv[1:] if argv is None else argv
    split = argv.index("--") if "--" in argv else len(argv)
    args = parser.parse_args(argv[:split])
    options = argv[split + 1 :]
    root = args.root.resolve()
    out = args.out or root / "_build" / "page"
    try:
        pages = list(dict.fromkeys(page_of(arg, root) for arg in args.pages))
        files = manifest.load(root / "examples" / manifest.MANIFEST)
    except (NotAPage, ManifestError, OSError) as error:
        print(f"every_python: {error}", file=sys.stderr)
        return 1
    shown = [page for page in pages if any(f.page == page for f in files.values())]
    for page in pages:
        if page not in shown:
            print(f"{page}: no verified blocks, nothing to run")
    if not shown:
        return 0
    folders = [f"examples/{extract.folder_of(page)}" for page in shown]
    venvs = dict(args.venv)
    print(f"every_python: {', '.join(shown)} on Python {', '.join(venvs)} at once", flush=True)
    outcomes = run(venvs, folders, options, root, out, files, fresh=args.fresh)
    print(report(outcomes))
    failed = [o.python for o in outcomes if not o.passed]
    logs = f"each run's output is in {out.relative_to(root) if out.is_relative_to(root) else out}/"
    if failed:
        print(f"\nevery_python: failed on Python {', '.join(failed)}; {logs}")
        return 1
    print(f"every_python: passed on every Python; {logs}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
