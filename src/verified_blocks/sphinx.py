"""Sphinx extension: render verified blocks, and refuse unverified ones.

- ```` ```{example} client.py ```` renders the code with its file name as the
  caption, then what running it does (the error per Python version, in tabs;
  pytest's outcome; the printed output), then a badge from the latest examples
  report: verified on which Python versions, or "not verified in this build".
- A plain ```` ```python ```` (``pycon``, ``console``…) fence is a build error.
- At the end of a build, the blocks that are not run are listed with reasons.
"""

from __future__ import annotations

import hashlib
import json
import re
from pathlib import Path

from docutils import nodes
from docutils.statemachine import StringList
from sphinx import addnodes
from sphinx.application import Sphinx
from sphinx.directives.code import container_wrapper
from sphinx.util import logging
from sphinx.util.docutils import SphinxDirective
from sphinx.util.index_entries import split_index_msg

from .catalog import TROUBLESHOOTING, Shown, errors_shown, shown_messages
from .extract import ExtractError, find_pages
from .takeaway import bundles
from .spec import (
    SUPPORTED_PYTHONS,
    VERIFIED_LANGUAGES,
    Block,
    BlockError,
    DirectiveSyntax,
    build_block,
    fingerprint,
    is_bare_name,
    version_key,
    version_label,
)

logger = logging.getLogger(__name__)

_CAPTIONS = {"pycon": "python -m asyncio", "console": "terminal"}


class ExampleDirective(DirectiveSyntax, SphinxDirective):
    """```` ```{example} FILE ````: a block that is extracted, run and checked."""

    def run(self) -> list[nodes.Node]:
        page = Path(self.env.doc2path(self.env.docname)).relative_to(
            self.config.verified_blocks_root
        )
        try:
            block = build_block(
                page=page.as_posix(),
                line=self.lineno,
                arguments=self.arguments,
                options=self.options,
                body=list(self.content),
                body_offset=self.content_offset,
            )
        except BlockError as error:
            logger.warning(
                error.message, location=self.get_location(), type="verified", subtype="block"
            )
            return []
        if block.skip is not None:
            skipped = self.env.verified_blocks_skipped  # type: ignore[attr-defined]
            skipped.setdefault(self.env.docname, []).append((block.where, block.skip))
        self.env.verified_blocks_pages.add(self.env.docname)  # type: ignore[attr-defined]
        # an anchor on every block, which the generated reference pages link to
        node_id = f"example-line-{block.line}"
        container = nodes.container(classes=["verified-example"], ids=[node_id])
        std = self.env.domains.standard_domain
        std.note_hyperlink_target(block_label(block), self.env.docname, node_id)
        container += self._code(block)
        container += self._expectation(block)
        container += self._badge(block)
        return [*self._index_entries(block, node_id), container]

    def _index_entries(self, block: Block, node_id: str) -> list[nodes.Node]:
        """On a troubleshooting page, the error a block shows, in every wording, as a main
        index entry: Sphinx's search then puts the entry first for a pasted message."""
        if not block.page.startswith(TROUBLESHOOTING):
            return []
        messages = shown_messages(block)
        if messages is None:
            return []
        # a bare exception name ("TimeoutError") is not a message anyone pastes to find this
        wordings = [
            text
            for text in dict.fromkeys([messages.base, *messages.since.values()])
            if not is_bare_name(text)
        ]
        if not wordings:
            return []
        entries = [("single", text, node_id, "main", None) for text in wordings]
        return [addnodes.index(entries=entries, inline=False)]

    def _code(self, block: Block) -> nodes.Node:
        literal = nodes.literal_block(
            block.code, block.code, language=block.language, verified=True
        )
        if block.emphasize_lines:
            from sphinx.util import parselinenos

            lines = parselinenos(block.emphasize_lines, block.code.count("\n"))
            literal["highlight_args"] = {"hl_lines": [n + 1 for n in lines]}
        self.set_source_info(literal)
        caption = _CAPTIONS.get(block.language, block.file)
        return container_wrapper(self, literal, caption)

    def _expectation(self, block: Block) -> list[nodes.Node]:
        text: list[str] = []
        if block.raises is not None:
            text.append("Running it raises:")
            text += _tabs(
                block,
                [
                    (versions, "pytb", f"Traceback (most recent call last):\n  ...\n{line}")
                    for versions, line in block.raises.variants(block.versions)
                ],
            )
        if block.stdout is not None:
            text += ["It prints:", "```text", block.stdout, "```"]
        if block.outcome is not None:
            counts = ", ".join(f"{n} {k}" for k, n in block.outcome.items())
            text.append(f"Run alone, pytest reports **{counts}** and prints:")
            variants = (
                block.lines.variants(block.versions)
                if block.lines is not None
                else [(list(block.versions), "")]
            )
            text += _tabs(
                block,
                [
                    (
                        versions,
                        "console",
                        f"$ pytest {block.file}\n...\n{lines}\n...".replace("\n\n", "\n"),
                    )
                    for versions, lines in variants
                ],
            )
        if block.skip is not None:
            text += [":::{note}", f"Not run by the checks: {block.skip}", ":::"]
        if not text:
            return []
        holder = nodes.container(classes=["verified-expectation"])
        self.state.nested_parse(
            StringList(text, self.get_source_info()[0]), self.content_offset, holder
        )
        for literal in holder.findall(nodes.literal_block):
            literal["verified"] = True  # shown as the outcome of the block above
        return [holder]

    def _badge(self, block: Block) -> nodes.Node:
        status, text = badge(self.env.verified_blocks_reports, block)  # type: ignore[attr-defined]
        para = nodes.paragraph(classes=["verified-badge", f"verified-{status}"])
        para += nodes.Text(text)
        return para


def block_label(block: Block) -> str:
    """The cross-reference label of a block: ``example-docs/how-to/page.md-78``."""
    return f"example-{block.page}-{block.line}"


class ErrorsDirective(SphinxDirective):
    """```` ```{verified-errors} matrix ```` (or ``index``): a table generated from the
    error messages every page shows and from the examples reports of this build."""

    required_arguments = 1
    has_content = False

    def run(self) -> list[nodes.Node]:
        kind = self.arguments[0]
        if kind not in ("matrix", "index"):
            raise self.error(f"unknown table {kind!r}: write matrix or index")
        self.env.verified_blocks_generated.add(self.env.docname)  # type: ignore[attr-defined]
        shown, errors = errors_on_pages(self.env, Path(self.config.verified_blocks_root))
        if errors:
            error = ExtractError(errors)
            message = f"the pages have bad blocks; no table until they are fixed:\n{error}"
            raise self.error(message)
        reports = self.env.verified_blocks_reports  # type: ignore[attr-defined]
        text = version_matrix(shown, reports) if kind == "matrix" else error_index(shown, reports)
        holder = nodes.container(classes=[f"verified-{kind}"])
        self.state.nested_parse(StringList(text, self.get_source_info()[0]), 0, holder)
        return [holder]


def errors_on_pages(env, root: Path) -> tuple[list[Shown], list[BlockError]]:
    """Every error the pages show (and the pages' bad blocks), for the generated tables.

    Kept in the environment per page with a digest of its text: only a page whose text
    changed is parsed again, so touching one page costs one parse, not one per page.
    """
    from .pages import read_page  # imports MyST's parser, as the reading does anyway

    cache = getattr(env, "verified_blocks_shown", {})
    fresh: dict[str, tuple[str, list[Shown] | BlockError]] = {}
    for path in find_pages(root / "docs"):
        page = path.relative_to(root).as_posix()
        digest = hashlib.sha256(path.read_bytes()).hexdigest()
        entry = cache.get(page)
        if entry is None or entry[0] != digest:
            try:
                entry = (digest, errors_shown(root, {page: read_page(path, page)}))
            except BlockError as error:
                entry = (digest, error)
        fresh[page] = entry
    env.verified_blocks_shown = fresh
    shown = [s for _, found in fresh.values() if isinstance(found, list) for s in found]
    errors = [found for _, found in fresh.values() if isinstance(found, BlockError)]
    return shown, errors


def _catalog_stamp(shown: list[Shown], errors: list[BlockError]) -> str:
    """What the generated tables are made of, besides the reports."""
    rows = [
        (s.block.page, s.block.line, s.title, s.section, s.messages.base, s.messages.since)
        for s in shown
    ]
    return json.dumps([rows, [str(e) for e in errors]], sort_keys=True, default=str)


def _observed(shown: Shown, reports: dict, version: str) -> tuple[str, str]:
    """(message, status) of a shown error on one Python, from this build's reports."""
    block = shown.block
    expected = shown.messages.at(version)
    runs = [
        r
        for r in reports.get((block.page, block.line), [])
        if r["python"] == version and r["fingerprint"] == fingerprint(block)
    ]
    if not runs:
        return expected, "not verified in this build"
    if any(r["outcome"] != "passed" for r in runs):
        observed = runs[0].get("observed")
        return (observed or expected), "differs from the page"
    if block.raises is not None and runs[0].get("observed"):
        return runs[0]["observed"], "verified"
    return expected, "verified"


def _code(text: str) -> str:
    """``text`` as a code span in a table cell."""
    ticks = "`" * (max((len(m) for m in re.findall(r"`+", text)), default=0) + 1)
    pad = " " if text.startswith("`") or text.endswith("`") else ""
    return f"{ticks}{pad}{text.replace('|', chr(92) + '|')}{pad}{ticks}"


def _link(shown: Shown) -> str:
    label = block_label(shown.block)
    title = f"{shown.title} › {shown.section}" if shown.section != shown.title else shown.title
    title = title.replace("`", "").replace("<", "‹").replace(">", "›")
    return f"{{ref}}`{title} <{label}>`"


def _runs(shown: Shown, reports: dict) -> list[tuple[list[str], str, str]]:
    """Consecutive Python versions that printed one message with one status."""
    runs: list[tuple[list[str], str, str]] = []
    for version in shown.block.versions:
        message, status = _observed(shown, reports, version)
        if runs and runs[-1][1:] == (message, status):
            runs[-1][0].append(version)
        else:
            runs.append(([version], message, status))
    return runs


def version_matrix(shown: list[Shown], reports: dict) -> list[str]:
    lines = ["| Shown in | Python | Message printed | Status |", "| --- | --- | --- | --- |"]
    for item in shown:
        for index, (versions, message, status) in enumerate(_runs(item, reports)):
            where = _link(item) if index == 0 else ""
            lines.append(f"| {where} | {_versions(versions)} | {_code(message)} | {status} |")
    return lines


def error_index(shown: list[Shown], reports: dict) -> list[str]:
    by_message: dict[str, list[tuple[list[str], Shown]]] = {}
    for item in shown:
        for versions, message, _status in _runs(item, reports):
            by_message.setdefault(message, []).append((versions, item))
    lines = ["| Message | Python | Read |", "| --- | --- | --- |"]
    for message in sorted(by_message, key=lambda m: (m.lstrip("'\"").lower(), m)):
        places = sorted(
            by_message[message], key=lambda p: (not p[1].is_troubleshooting, p[1].title)
        )
        versions = sorted({v for vs, _ in places for v in vs}, key=version_key)
        links = "; ".join(dict.fromkeys(_link(item) for _, item in places))
        lines.append(f"| {_code(message)} | {_versions(versions)} | {links} |")
    return lines


def _tabs(block: Block, variants: list[tuple[list[str], str, str]]) -> list[str]:
    """MyST text for one code block, or tabs of them when versions differ."""
    if len(variants) == 1:
        _, language, code = variants[0]
        return [f"```{language}", code, "```"]
    lines = ["::::{tab-set}", ":class: verified-versions"]
    for versions, language, code in variants:
        lines += [
            f":::{{tab-item}} Python {version_label(versions)}",
            # one choice of version switches every tab set on the page
            f":sync: python-{version_label(versions)}",
            f"```{language}",
            code,
            "```",
            ":::",
        ]
    lines.append("::::")
    return lines


def badge(reports: dict[tuple[str, int], list[dict]], block: Block) -> tuple[str, str]:
    """(status, text) for a block, from the examples reports of this build."""
    if block.skip is not None:
        return "skipped", "Not run: see the note above."
    runs = [
        r
        for r in reports.get((block.page, block.line), [])
        if r["fingerprint"] == fingerprint(block)
    ]
    if not runs:
        return "unknown", "Not verified in this build (no examples report for this block)."
    passed = sorted({r["python"] for r in runs if r["outcome"] == "passed"}, key=version_key)
    failed = sorted({r["python"] for r in runs if r["outcome"] == "failed"}, key=version_key)
    missing = [v for v in block.versions if v not in passed and v not in failed]
    verb = "Fails as shown" if block.raises or block.outcome else "Verified"
    if failed:
        return "failed", f"Did not behave as shown on Python {_versions(failed)}."
    text = f"{verb} on Python {_versions(passed)}" if passed else "Not verified in this build"
    if missing:
        text += f" (not run on {_versions(missing)})"
    return ("verified" if not missing else "partial"), text + "."


def _versions(versions: list[str]) -> str:
    """``3.10–3.15`` for a run of consecutive supported versions, else a list."""
    indexes = [SUPPORTED_PYTHONS.index(v) for v in versions]
    if len(versions) > 1 and indexes == list(range(indexes[0], indexes[-1] + 1)):
        return f"{versions[0]}–{versions[-1]}"
    return ", ".join(versions)


def load_reports(folder: Path) -> dict[tuple[str, int], list[dict]]:
    reports: dict[tuple[str, int], list[dict]] = {}
    for path in sorted(folder.glob("*.json")) if folder.is_dir() else []:
        data = json.loads(path.read_text(encoding="utf-8"))
        for record in data["blocks"]:
            record = {**record, "python": data["python"]}
            reports.setdefault((record["page"], record["line"]), []).append(record)
    return reports


def _builder_inited(app: Sphinx) -> None:
    env = app.env
    root = Path(app.config.verified_blocks_root)
    reports = load_reports(root / app.config.verified_blocks_reports)
    manifest_file = root / "examples" / "manifest.json"
    take_home = bundles(root) if manifest_file.is_file() else {}
    stamp = json.dumps(
        [
            sorted((f"{k[0]}:{k[1]}", v) for k, v in reports.items()),
            sorted((page, b.command, b.mistakes, b.newer) for page, b in take_home.items()),
        ],
        sort_keys=True,
    )
    # Badges and the take-home section are part of each page: a new report or a changed
    # examples folder makes every page with blocks outdated.
    env.verified_blocks_stale = getattr(env, "verified_blocks_stamp", None) != stamp  # type: ignore[attr-defined]
    env.verified_blocks_stamp = stamp  # type: ignore[attr-defined]
    env.verified_blocks_reports = reports  # type: ignore[attr-defined]
    env.verified_blocks_bundles = take_home  # type: ignore[attr-defined]
    if not hasattr(env, "verified_blocks_skipped"):
        env.verified_blocks_skipped = {}  # type: ignore[attr-defined]
    if not hasattr(env, "verified_blocks_pages"):
        env.verified_blocks_pages = set()  # type: ignore[attr-defined]
    if not hasattr(env, "verified_blocks_generated"):
        env.verified_blocks_generated = set()  # type: ignore[attr-defined]


def _outdated(app: Sphinx, env, added, changed, removed) -> list[str]:
    outdated = set()
    if env.verified_blocks_stale:
        outdated |= env.verified_blocks_pages
    # The error index and version matrix are made from every page's errors: read them
    # again when the reports or those errors changed, not whenever any page did.
    stamp = _catalog_stamp(*errors_on_pages(env, Path(app.config.verified_blocks_root)))
    if env.verified_blocks_stale or stamp != getattr(env, "verified_blocks_catalog", None):
        outdated |= env.verified_blocks_generated
    env.verified_blocks_catalog = stamp
    return sorted(outdated - set(removed))


def _purge(app: Sphinx, env, docname: str) -> None:
    env.verified_blocks_skipped.pop(docname, None)
    env.verified_blocks_pages.discard(docname)
    env.verified_blocks_generated.discard(docname)


def _merge(app: Sphinx, env, docnames, other) -> None:
    for docname in docnames:
        if docname in other.verified_blocks_skipped:
            env.verified_blocks_skipped[docname] = other.verified_blocks_skipped[docname]
        if docname in other.verified_blocks_pages:
            env.verified_blocks_pages.add(docname)
        if docname in other.verified_blocks_generated:
            env.verified_blocks_generated.add(docname)


def _take_home(app: Sphinx, doctree: nodes.document, docname: str) -> None:
    """End each page that has examples with its zip and the command that runs it."""
    if app.builder.format != "html" or docname not in app.env.verified_blocks_pages:
        return
    page = Path(app.env.doc2path(docname)).relative_to(app.config.verified_blocks_root)
    bundle = app.env.verified_blocks_bundles.get(page.as_posix())  # type: ignore[attr-defined]
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
    for bundle in app.env.verified_blocks_bundles.values():  # type: ignore[attr-defined]
        target = Path(app.outdir) / "_downloads" / "examples" / f"{bundle.folder}.zip"
        target.parent.mkdir(parents=True, exist_ok=True)
        data = bundle.zip_bytes()
        if not target.is_file() or target.read_bytes() != data:
            target.write_bytes(data)


def _keep_index_entries(app: Sphinx) -> list:
    """Put the troubleshooting entries' index entries back into the search index.

    Sphinx 9.2 keeps a page's index entries for search only from the build that writes the
    page: it saves the environment before writing and does not read them back from
    searchindex.js. So an incremental build would drop the entries of every page it does not
    write, and a pasted error message would no longer find its entry first. Runs during
    ``html-collect-pages``, before the search index is written; adds no page.
    """
    indexer = getattr(app.builder, "indexer", None)
    entries = getattr(indexer, "_index_entries", None)
    if entries is None:
        return []
    for docname in sorted(app.env.verified_blocks_pages):  # type: ignore[attr-defined]
        if not docname.startswith(TROUBLESHOOTING.removeprefix("docs/")):
            continue
        found: set[tuple[str, str, str]] = set()
        for node in app.env.get_doctree(docname).findall(addnodes.index):
            for entry_type, value, target_id, main, _key in node["entries"]:
                found |= {(x, target_id or "", main) for x in split_index_msg(entry_type, value)}
        entries[docname] = sorted(found)
    return []


def _refuse_plain_fences(app: Sphinx, doctree: nodes.document) -> None:
    for literal in doctree.findall(nodes.literal_block):
        language = str(literal.get("language", "")).lower()
        if language in VERIFIED_LANGUAGES and not literal.get("verified"):
            logger.warning(
                "plain ```%s fence: every %s block must be verified; write ```{example} <file> "
                "(or give it a :skip: reason)",
                language,
                language,
                location=literal,
                type="verified",
                subtype="plain",
            )


def _list_skipped(app: Sphinx, exception: Exception | None) -> None:
    skipped = sorted(
        s for group in getattr(app.env, "verified_blocks_skipped", {}).values() for s in group
    )
    if exception is None and skipped:
        logger.info("blocks that are not run (%d):", len(skipped))
        for where, reason in skipped:
            logger.info("  %s: %s", where, reason)


def setup(app: Sphinx) -> dict[str, object]:
    app.add_config_value("verified_blocks_root", str(Path(app.confdir)), "env")
    app.add_config_value("verified_blocks_reports", "_build/reports", "env")
    app.add_directive("example", ExampleDirective)
    app.add_directive("verified-errors", ErrorsDirective)
    app.connect("builder-inited", _builder_inited)
    app.connect("env-get-outdated", _outdated)
    app.connect("env-purge-doc", _purge)
    app.connect("env-merge-info", _merge)
    app.connect("doctree-read", _refuse_plain_fences)
    app.connect("doctree-resolved", _take_home)
    app.connect("build-finished", _write_zips)
    app.connect("build-finished", _list_skipped)
    app.connect("html-collect-pages", _keep_index_entries)
    from . import paste  # the "paste your error" box, fed by the same catalog

    paste.setup(app)
    # env_version: bump when what the directives store in the environment, or the nodes
    # they make, change (4: troubleshooting blocks index their error messages; 5: the
    # catalog kept per page lists a session's tracebacks), so that an existing build reads
    # every page again instead of keeping what the old code made
    return {
        "version": "1",
        "env_version": 5,
        "parallel_read_safe": True,
        "parallel_write_safe": True,
    }
