"""A page's examples to take home: a zip of its folder and the command that runs it.

The zip holds what a reader needs in an empty folder: the page's files, the pytest
configuration they run under, and the pinned requirements. The command runs the files
that must pass; the files that show a mistake are listed, since they fail on purpose.
A toolchain test unpacks every page's bundle and runs its command.

In the site, each page with examples ends with a "Run this page's examples" section that
links its zip and shows the command; the zips are written at the end of an HTML build.
"""

from __future__ import annotations

import io
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
        buffer = io.BytesIO()
        with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
            for name, data in sorted(self.files.items()):
                info = zipfile.ZipInfo(f"{self.folder.rsplit('/', 1)[-1]}/{name}", _EPOCH)
                info.external_attr = 0o644 << 16
                archive.writestr(info, data, zipfile.ZIP_DEFLATED)
        return buffer.getvalue()


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
    uri = "../" * docname.count("/") + f"_downloads/examples/{bundle.folder}.zip"
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
    for bundle in verified_domain(app.env).bundles.values():
        target = Path(app.outdir) / "_downloads" / "examples" / f"{bundle.folder}.zip"
        target.parent.mkdir(parents=True, exist_ok=True)
        data = bundle.zip_bytes()
        if not target.is_file() or target.read_bytes() != data:
            target.write_bytes(data)


def setup(app: Sphinx) -> None:
    app.connect("doctree-resolved", _take_home)
    app.connect("build-finished", _write_zips)
