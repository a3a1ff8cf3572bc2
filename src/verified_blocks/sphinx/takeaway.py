"""A page's examples to take home: a zip of its folder and the command that runs it.

The zip holds what a reader needs in an empty folder: the page's files, the pytest
configuration they run under, and the pinned requirements. The command runs the files
that must pass; the files that show a mistake are listed, since they fail on purpose.
A toolchain test unpacks every page's bundle and runs its command.

In the site, each page with examples ends with a "Run this page's examples" section that
links its zip and shows the command, and links the zip of every page's examples
(:func:`all_pages_zip`: each page's folder, and a ``run_all.py`` that runs each page's
command in its folder); the zips are written at the end of an HTML build.
"""

from __future__ import annotations

import io
import json
import zipfile
from dataclasses import dataclass
from pathlib import Path

from docutils import nodes
from sphinx.application import Sphinx

from .. import manifest
from ..manifest import ExampleFile
from .domain import verified_domain

#: Fixed timestamp, so that the same files always make the same zip.
_EPOCH = (2026, 1, 1, 0, 0, 0)
#: Every page's examples: the zip's name in the site's downloads, and its top folder.
ALL_PAGES = "all-pages.zip"
ALL_PAGES_FOLDER = "async-testing-guide-examples"


@dataclass(frozen=True)
class Bundle:
    folder: str  #: the page's folder in examples/, e.g. ``how_to/write_async_fixtures``
    files: dict[str, bytes]
    tests: list[str]  #: test modules that must pass
    scripts: list[str]  #: scripts that must run cleanly (or print what the page shows)
    mistakes: list[str]  #: files that fail on purpose, as the page shows
    newer: dict[str, str]  #: file -> the oldest Python it runs on, where not 3.10

    @property
    def command(self) -> list[str]:
        lines = ["pip install -r requirements.txt"]
        if self.tests:
            lines.append("pytest " + " ".join(self.tests))
        lines += [f"python {script}" for script in self.scripts]
        return lines

    def zip_bytes(self) -> bytes:
        name = self.folder.rsplit("/", 1)[-1]
        return _zip({f"{name}/{file}": data for file, data in self.files.items()})


def _zip(files: dict[str, bytes]) -> bytes:
    """A zip of ``files`` (path in the zip -> contents), the same bytes for the same files."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in sorted(files.items()):
            info = zipfile.ZipInfo(name, _EPOCH)
            info.external_attr = 0o644 << 16
            archive.writestr(info, data, zipfile.ZIP_DEFLATED)
    return buffer.getvalue()


#: The all-pages zip's script; ``PAGES = {}`` is filled in (:func:`all_pages_zip`).
RUN_ALL = """\
\"\"\"Run every page's examples, each as its page's "Run this page's examples" says.

In a new virtual environment:  pip install -r requirements.txt  then  python run_all.py
Files that fail on purpose, as their page shows, are not run; nor files that need a
newer Python than this one.
\"\"\"

import subprocess
import sys
from pathlib import Path

# page folder: [tests that must pass, scripts that must run cleanly, {file: oldest Python}]
PAGES = {}


def commands(tests, scripts, newer):
    \"\"\"The page's commands on this Python, as arguments of `python`.\"\"\"
    runs = {f for f, v in newer.items() if tuple(map(int, v.split("."))) <= sys.version_info}
    runs |= set(tests + scripts) - set(newer)
    tests = [t for t in tests if t in runs]
    return ([["-m", "pytest", "-q", *tests]] if tests else []) + [
        [s] for s in scripts if s in runs
    ]


failed = []
for folder, page in PAGES.items():
    for command in commands(*page):
        print(f"== {folder}: python {' '.join(command)}", flush=True)
        ran = subprocess.run([sys.executable, *command], cwd=Path(__file__).parent / folder)
        if ran.returncode != 0:
            failed.append(f"{folder}: python {' '.join(command)}")
print(f"{len(PAGES)} pages, {len(failed)} failed commands", *failed, sep="\\n  ")
sys.exit(1 if failed else 0)
"""


def all_pages_zip(pages: dict[str, Bundle]) -> bytes:
    """Every page's folder (``how_to/x/``, without its copy of requirements.txt), one
    requirements.txt, and ``run_all.py``, under one top folder."""
    files: dict[str, bytes] = {}
    plan: dict[str, tuple[list[str], list[str], dict[str, str]]] = {}
    requirements = b""
    for bundle in pages.values():
        for name, data in bundle.files.items():
            if name == "requirements.txt":
                requirements = data
            else:
                files[f"{ALL_PAGES_FOLDER}/{bundle.folder}/{name}"] = data
        plan[bundle.folder] = (bundle.tests, bundle.scripts, bundle.newer)
    listed = json.dumps(plan, indent=1, sort_keys=True)
    script = RUN_ALL.replace("PAGES = {}", f"PAGES = {listed}", 1)
    files[f"{ALL_PAGES_FOLDER}/run_all.py"] = script.encode()
    files[f"{ALL_PAGES_FOLDER}/requirements.txt"] = requirements
    return _zip(files)


def bundles(root: Path) -> dict[str, Bundle]:
    """Page path (``docs/how-to/x.md``) -> its bundle, from ``examples/``."""
    examples = root / "examples"
    files = manifest.load(examples / manifest.MANIFEST)
    by_page: dict[str, list[ExampleFile]] = {}
    for f in files.values():
        by_page.setdefault(f.page, []).append(f)
    requirements = (root / "requirements.txt").read_bytes()
    config = (examples / "pytest.ini").read_bytes()
    return {
        page: _bundle(examples, page_files, requirements, config)
        for page, page_files in sorted(by_page.items())
    }


def _bundle(
    examples: Path, page_files: list[ExampleFile], requirements: bytes, config: bytes
) -> Bundle:
    folder = page_files[0].path.rsplit("/", 1)[0]
    contents: dict[str, bytes] = {}
    tests: list[str] = []
    scripts: list[str] = []
    mistakes: list[str] = []
    newer: dict[str, str] = {}
    for f in sorted(page_files, key=lambda f: f.path):
        if f.kind in ("pycon", "console"):
            continue  # transcripts of sessions, shown on the page
        contents[f.name] = (examples / f.path).read_bytes()
        if f.skip is not None:
            continue
        if f.min_python and f.min_python != "3.10":
            newer[f.name] = f.min_python
        last = f.last
        if f.kind == "test":
            passes = last.outcome is None or set(last.outcome) <= {"passed", "warnings"}
            (tests if passes else mistakes).append(f.name)
        elif f.kind == "module":
            if last.raises is not None:
                mistakes.append(f.name)
            elif last.stdout is not None:
                scripts.append(f.name)
    contents.setdefault("pytest.ini", config)
    contents["requirements.txt"] = requirements
    return Bundle(folder, contents, tests, scripts, mistakes, newer)


def _take_home(app: Sphinx, doctree: nodes.document, docname: str) -> None:
    """End each page that has examples with its zip and the command that runs it."""
    domain = verified_domain(app.env)
    if app.builder.format != "html" or docname not in domain.pages:
        return
    page = Path(app.env.doc2path(docname)).relative_to(app.config.verified_blocks_root)
    bundle = domain.bundles.get(page.as_posix())
    if bundle is None:
        return
    name = bundle.folder.rsplit("/", 1)[-1]
    downloads = "../" * docname.count("/") + "_downloads/examples/"
    uri = downloads + f"{bundle.folder}.zip"
    section = nodes.section(ids=["run-this-page-s-examples"], classes=["verified-take-home"])
    section += nodes.title(text="Run this page's examples")
    intro = nodes.paragraph()
    intro += nodes.Text("Download ")
    intro += nodes.reference("", f"{name}.zip", refuri=uri)
    intro += nodes.Text(
        f" (the folder examples/{bundle.folder} of this guide's repository, with the pinned "
        "requirements), unpack it, and run in a new virtual environment:"
    )
    section += intro
    commands = [f"cd {name}", *bundle.command]
    code = "\n".join(f"$ {line}" for line in commands)
    section += nodes.literal_block(code, code, language="console", verified=True)
    if bundle.mistakes:
        section += nodes.paragraph(
            text="Not in that command, because they fail on purpose as this page shows: "
            + ", ".join(bundle.mistakes)
            + "."
        )
    if bundle.newer:
        section += nodes.paragraph(
            text="Needs a newer Python: "
            + ", ".join(f"{f} (Python {v}+)" for f, v in sorted(bundle.newer.items()))
            + "."
        )
    every = nodes.paragraph(text="Every page's examples in one download: ")
    every += nodes.reference("", ALL_PAGES, refuri=downloads + ALL_PAGES)
    every += nodes.Text(" (one folder per page; python run_all.py runs each page's command).")
    section += every
    # before the closing "Next" section, where there is one
    top = next(iter(doctree.findall(nodes.section)), None)
    if top is None:
        return
    last = top.children[-1] if top.children else None
    if isinstance(last, nodes.section) and last[0].astext() == "Next":
        top.insert(len(top.children) - 1, section)
    else:
        top += section


def _write_zips(app: Sphinx, exception: Exception | None) -> None:
    if exception is not None or app.builder.format != "html":
        return
    pages = verified_domain(app.env).bundles
    folder = Path(app.outdir) / "_downloads" / "examples"
    zips = {f"{b.folder}.zip": b.zip_bytes() for b in pages.values()}
    if pages:
        zips[ALL_PAGES] = all_pages_zip(pages)
    for name, data in zips.items():
        target = folder / name
        target.parent.mkdir(parents=True, exist_ok=True)
        if not target.is_file() or target.read_bytes() != data:
            target.write_bytes(data)


def setup(app: Sphinx) -> None:
    app.connect("doctree-resolved", _take_home)
    app.connect("build-finished", _write_zips)
