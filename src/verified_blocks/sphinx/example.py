"""The ``{example}`` directive: a verified block, rendered with what running it does.

- ```` ```{example} client.py ```` renders the code with its file name as the
  caption, then what running it does (the error per Python version, in tabs;
  pytest's outcome; the printed output), then a badge from the latest examples
  report: verified on which Python versions (or on which it did not behave as shown, and
  what that run saw instead), or "not verified in this build", and a
  short line of what ran it (exact Pythons, packages, commit, date: ``provenance.py``).
- A plain ```` ```python ```` (``pycon``, ``console``…) fence is a build error.
- At the end of a build, the blocks that are not run are listed with reasons.
"""

from __future__ import annotations

from pathlib import Path

from docutils import nodes
from docutils.statemachine import StringList
from sphinx.application import Sphinx
from sphinx.directives.code import container_wrapper
from sphinx.util import logging
from sphinx.util.docutils import SphinxDirective

from ..spec import (
    SUPPORTED_PYTHONS,
    VERIFIED_LANGUAGES,
    Block,
    BlockError,
    DirectiveSyntax,
    build_block,
    fingerprint,
    version_key,
    version_label,
)
from .domain import Report, Reports, verified_domain
from .provenance import provenance_line, provenance_reference
from .search import index_entries

logger = logging.getLogger(__name__)

_CAPTIONS = {"pycon": "python -m asyncio", "console": "terminal"}


# spec.py types OPTION_SPEC as dict[str, object], docutils' Directive as converters
# (dict[str, Callable[[str], Any]]): typed there as converters, this ignore goes.
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
        verified_domain(self.env).note_block(self.env.docname, block)
        # an anchor on every block, which the generated reference pages link to
        node_id = f"example-line-{block.line}"
        container = nodes.container(classes=["verified-example"], ids=[node_id])
        std = self.env.domains.standard_domain
        std.note_hyperlink_target(block_label(block), self.env.docname, node_id)
        container += self._code(block)
        container += self._expectation(block)
        container += self._badge(block)
        return [*index_entries(block, node_id), container]

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
        domain = verified_domain(self.env)
        status, text = badge(domain.reports, block)
        para = nodes.paragraph(classes=["verified-badge", f"verified-{status}"])
        para += nodes.Text(text)
        line = provenance_line(domain.provenance, ran_on(domain.reports, block))
        if line is not None:
            para += nodes.Text(" ")
            holder = nodes.inline(classes=["verified-badge-provenance"])
            holder += provenance_reference(line)
            para += holder
        return para


def block_label(block: Block) -> str:
    """The cross-reference label of a block: ``example-docs/how-to/page.md-78``."""
    return f"example-{block.page}-{block.line}"


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


def badge(reports: Reports, block: Block) -> tuple[str, str]:
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
        text = f"Did not behave as shown on Python {versions_text(failed)}."
        return "failed", text + _observed(runs)
    text = f"{verb} on Python {versions_text(passed)}" if passed else "Not verified in this build"
    if missing:
        text += f" (not run on {versions_text(missing)})"
    return ("verified" if not missing else "partial"), text + "."


def _observed(runs: list[Report]) -> str:
    """`` On 3.13: <what the run saw>.`` for each failed run that recorded what it saw (the
    message raised, or pytest's failing line); one sentence for Pythons that saw the same."""
    seen: dict[str, list[str]] = {}
    for run in runs:
        if run["outcome"] == "failed" and run.get("observed"):
            seen.setdefault(str(run["observed"]).strip(), []).append(run["python"])
    return "".join(
        f" On {versions_text(sorted(set(pythons), key=version_key))}: {message}"
        + ("" if message.endswith(".") else ".")
        for message, pythons in seen.items()
    )


def ran_on(reports: Reports, block: Block) -> list[str]:
    """The Pythons whose report ran this block as it is now (its fingerprint)."""
    if block.skip is not None:
        return []
    runs = reports.get((block.page, block.line), [])
    return sorted(
        {r["python"] for r in runs if r["fingerprint"] == fingerprint(block)}, key=version_key
    )


def versions_text(versions: list[str]) -> str:
    """``3.10–3.15`` for a run of consecutive supported versions, else a list."""
    indexes = [SUPPORTED_PYTHONS.index(v) for v in versions]
    if len(versions) > 1 and indexes == list(range(indexes[0], indexes[-1] + 1)):
        return f"{versions[0]}–{versions[-1]}"
    return ", ".join(versions)


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
    skipped = sorted(s for group in verified_domain(app.env).skipped.values() for s in group)
    if exception is None and skipped:
        logger.info("blocks that are not run (%d):", len(skipped))
        for where, reason in skipped:
            logger.info("  %s: %s", where, reason)


def setup(app: Sphinx) -> None:
    app.add_directive("example", ExampleDirective)
    app.connect("doctree-read", _refuse_plain_fences)
    app.connect("build-finished", _list_skipped)
