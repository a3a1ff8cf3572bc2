"""What the extension keeps in Sphinx's build environment: a domain, as Sphinx's ``todo`` does.

Sphinx pickles a domain's ``data`` with the environment between builds and, in a parallel
build (``-j``), merges each reading process's data for the documents it read
(:meth:`VerifiedDomain.merge_domaindata`); a document read again, or removed, loses what it
had (:meth:`VerifiedDomain.clear_doc`). Kept per document:

- ``skipped``: its blocks that are not run, with their reasons (listed after a build);
- ``pages``: the documents with verified blocks (their badges and take-home section);
- ``generated``: the documents with a generated table.

Kept for the whole site, from one build to the next:

- ``inputs``: a stamp of the reports' provenance, and one per page of its records and its
  bundle, as the pages were last rendered: a page whose records or bundle changed is
  outdated (the live preview changes one page's records), and when the provenance did
  (a new run), every page with blocks is;
- ``catalog``: a stamp of the errors the generated tables were last made from;
- ``shown``: each page's errors (or its bad block's, as page, line and message: a
  ``BlockError`` does not unpickle) with a digest of its text, so that only a page whose
  text changed is parsed again.

Not kept: this build's inputs, the examples reports (their blocks, and each report's
provenance) and the take-home bundles, read anew at
every build (:meth:`VerifiedDomain.begin_build`; a parallel process inherits them).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Set
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar

from docutils import nodes
from sphinx.application import Sphinx
from sphinx.domains import Domain
from sphinx.environment import BuildEnvironment

from ..extract import find_pages
from ..pages import read_page
from ..spec import Block, BlockError
from .catalog import Shown, errors_shown

if TYPE_CHECKING:
    from sphinx.addnodes import pending_xref
    from sphinx.builders import Builder

    from .takeaway import Bundle

#: One block's run on one Python, as an examples report records it, with its ``python``.
Report = dict[str, Any]
#: (page, line) -> the runs of the block at that line, on every Python that reported.
Reports = dict[tuple[str, int], list[Report]]
#: Python version -> what verified its report: the report without its blocks (``full_version``,
#: ``packages``, ``commit``, ``dirty``, ``date``; a report written before provenance has none).
Provenance = dict[str, dict[str, Any]]
#: A bad block's error as (page, line, message): BlockError itself does not unpickle.
_Error = tuple[str, int | None, str]
#: page -> (digest of its text, the errors it shows or its bad block)
_Shown = dict[str, tuple[str, list[Shown] | _Error]]


def load_reports(folder: Path) -> tuple[Reports, Provenance]:
    """The examples reports in ``folder`` (``_build/reports/3.13.json``…), by block, and
    each report's provenance, by Python."""
    reports: Reports = {}
    provenance: Provenance = {}
    for path in sorted(folder.glob("*.json")) if folder.is_dir() else []:
        data = json.loads(path.read_text(encoding="utf-8"))
        for record in data["blocks"]:
            record = {**record, "python": data["python"]}
            reports.setdefault((record["page"], record["line"]), []).append(record)
        provenance[data["python"]] = {k: v for k, v in data.items() if k != "blocks"}
    return reports, provenance


class VerifiedDomain(Domain):
    """The state of the verified blocks in the environment (see the module's docstring)."""

    name = "verified"
    label = "Verified blocks"
    initial_data: ClassVar[dict[str, Any]] = {
        "skipped": {},
        "pages": set(),
        "generated": set(),
        "inputs": None,
        "catalog": None,
        "shown": {},
    }
    data_version = 1

    def __init__(self, env: BuildEnvironment) -> None:
        super().__init__(env)
        self.reports: Reports = {}
        self.provenance: Provenance = {}
        self.bundles: dict[str, Bundle] = {}
        #: whether this build's inputs differ from those the pages were rendered with
        self.stale = False
        #: the pages (``docs/x.md``) whose own inputs changed; None: every page's may have
        self.stale_pages: set[str] | None = None

    @property
    def skipped(self) -> dict[str, list[tuple[str, str]]]:
        """docname -> (where, reason) of each of its blocks that are not run."""
        skipped: dict[str, list[tuple[str, str]]] = self.data["skipped"]
        return skipped

    @property
    def pages(self) -> set[str]:
        """The documents with verified blocks."""
        pages: set[str] = self.data["pages"]
        return pages

    @property
    def generated(self) -> set[str]:
        """The documents with a generated table."""
        generated: set[str] = self.data["generated"]
        return generated

    def note_block(self, docname: str, block: Block) -> None:
        if block.skip is not None:
            self.skipped.setdefault(docname, []).append((block.where, block.skip))
        self.pages.add(docname)

    def note_table(self, docname: str) -> None:
        self.generated.add(docname)

    def clear_doc(self, docname: str) -> None:
        self.skipped.pop(docname, None)
        self.pages.discard(docname)
        self.generated.discard(docname)

    def merge_domaindata(self, docnames: Set[str], otherdata: dict[str, Any]) -> None:
        for docname in docnames:
            if docname in otherdata["skipped"]:
                self.skipped[docname] = otherdata["skipped"][docname]
            if docname in otherdata["pages"]:
                self.pages.add(docname)
            if docname in otherdata["generated"]:
                self.generated.add(docname)

    def resolve_any_xref(
        self,
        env: BuildEnvironment,
        fromdocname: str,
        builder: Builder,
        target: str,
        node: pending_xref,
        contnode: nodes.Element,
    ) -> list[tuple[str, nodes.reference]]:
        """Nothing: a block's label is the standard domain's, as any other label."""
        return []

    def begin_build(
        self, reports: Reports, provenance: Provenance, bundles: dict[str, Bundle]
    ) -> None:
        """Take this build's inputs, and note which pages' inputs changed since the last build."""
        by_page: dict[str, list[tuple[int, list[Report]]]] = {}
        for (page, line), runs in sorted(reports.items()):
            by_page.setdefault(page, []).append((line, runs))
        stamps = {
            page: json.dumps(
                [by_page.get(page), [(b.command, b.mistakes, b.newer) for b in [bundles[page]]]]
                if page in bundles
                else [by_page.get(page)],
                sort_keys=True,
            )
            for page in sorted(by_page.keys() | bundles.keys())
        }
        stamp = {"site": json.dumps(provenance, sort_keys=True), "pages": stamps}
        before = self.data["inputs"]
        if not isinstance(before, dict) or before["site"] != stamp["site"]:
            self.stale_pages = None
        else:
            pages = stamps.keys() | before["pages"].keys()
            self.stale_pages = {p for p in pages if stamps.get(p) != before["pages"].get(p)}
        self.stale = self.stale_pages is None or bool(self.stale_pages)
        self.data["inputs"] = stamp
        self.reports = reports
        self.provenance = provenance
        self.bundles = bundles

    def catalog_changed(self, stamp: str) -> bool:
        """Keep ``stamp``, what the tables are made of; whether it differs from the last."""
        changed: bool = self.data["catalog"] != stamp
        self.data["catalog"] = stamp
        return changed

    def errors_on_pages(self, root: Path) -> tuple[list[Shown], list[BlockError]]:
        """Every error the pages show (and the pages' bad blocks), for the generated tables.

        Kept per page with a digest of its text: only a page whose text changed is parsed
        again, so touching one page costs one parse, not one per page.
        """
        cache: _Shown = self.data["shown"]
        fresh: _Shown = {}
        for path in find_pages(root / "docs"):
            page = path.relative_to(root).as_posix()
            digest = hashlib.sha256(path.read_bytes()).hexdigest()
            entry = cache.get(page)
            if entry is None or entry[0] != digest:
                try:
                    entry = (digest, errors_shown(root, {page: read_page(path, page)}))
                except BlockError as error:
                    entry = (digest, (error.page, error.line, error.message))
            fresh[page] = entry
        self.data["shown"] = fresh
        shown = [s for _, found in fresh.values() if isinstance(found, list) for s in found]
        errors = [BlockError(*found) for _, found in fresh.values() if isinstance(found, tuple)]
        return shown, errors


def verified_domain(env: BuildEnvironment) -> VerifiedDomain:
    domain = env.get_domain(VerifiedDomain.name)
    if not isinstance(domain, VerifiedDomain):
        raise TypeError(f"domain {VerifiedDomain.name!r} is {type(domain).__name__}")
    return domain


def _outdated(
    app: Sphinx, env: BuildEnvironment, added: Set[str], changed: Set[str], removed: Set[str]
) -> list[str]:
    """Badges and the take-home section are part of each page: a page whose records or
    bundle changed is outdated; every page with blocks when the reports' provenance did."""
    domain = verified_domain(env)
    if domain.stale_pages is None:
        return sorted(domain.pages - removed)
    root = Path(app.config.verified_blocks_root)
    docnames = {env.path2doc(str(root / page)) for page in domain.stale_pages}
    return sorted((domain.pages & {d for d in docnames if d is not None}) - removed)


def setup(app: Sphinx) -> None:
    app.add_domain(VerifiedDomain)
    app.connect("env-get-outdated", _outdated)
