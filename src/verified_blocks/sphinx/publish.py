"""A build meant for publishing refuses to show a block that this build did not verify.

A local preview may show "Not verified in this build"; a published page may not. With
``verified_blocks_publish = True`` (``nox -s publish`` sets it: Read the Docs and the GitHub
Pages deployment run it), the build stops before reading any page, with an error at each
page and line that keeps it from being published:

- a supported Python with no examples report in ``verified_blocks_reports``;
- a block whose badge would not say it was verified: its page changed after the examples ran
  (no report holds the block as it is now), it did not behave as shown, or it was not run
  on a Python it claims.

Each badge is decided by :func:`example.badge`, the function that writes it, so what
publishing accepts is exactly a site whose every badge says "Verified" (or "Fails as shown").
"""

from __future__ import annotations

from pathlib import Path

from sphinx.application import Sphinx
from sphinx.util import logging

from ..extract import find_pages
from ..pages import read_page
from ..spec import SUPPORTED_PYTHONS, Block, BlockError
from .domain import Provenance, Reports
from .example import badge

logger = logging.getLogger(__name__)

#: Badge statuses a published page may show.
PUBLISHABLE = ("verified", "skipped")
#: What keeps a site from being published: (page, line) where it is on a page, and why.
Problem = tuple[tuple[str, int] | None, str]


class NotPublishable(SystemExit):
    """Stops the build, as Sphinx stops for an error: no traceback, exit status 1.

    Sphinx reports any other exception raised by an extension as a crash to report to
    Sphinx's developers; a :class:`SystemExit` with a message is printed as it is.
    """


def problems(root: Path, reports_folder: str, reports: Reports, ran: Provenance) -> list[Problem]:
    """What keeps the pages under ``root/docs`` from being published."""
    missing = [v for v in SUPPORTED_PYTHONS if v not in ran]
    if missing:
        # without them every block is unverified on those Pythons: naming the reports says it
        return [
            (
                None,
                f"no examples report for Python {v} ({reports_folder}/{v}.json): "
                f"run `nox -s examples-{v}`",
            )
            for v in missing
        ]
    found: list[Problem] = []
    for path in find_pages(root / "docs"):
        page = path.relative_to(root).as_posix()
        try:
            blocks: list[Block] = read_page(path, page)
        except BlockError as error:  # the build reports it at its line as well
            found.append(((error.page, error.line or 0), error.message))
            continue
        for block in blocks:
            status, text = badge(reports, block)
            if status not in PUBLISHABLE:
                found.append(((block.page, block.line), f"the badge would say: {text}"))
    return found


def check(app: Sphinx, root: Path, reports: Reports, ran: Provenance) -> None:
    """Log each problem (:func:`problems`) as an error at its page and line, then stop."""
    found = problems(root, app.config.verified_blocks_reports, reports, ran)
    if not found:
        return
    docs = root / "docs"
    for where, text in found:
        location = None
        if where is not None:  # Sphinx names a page by its document name
            location = ((root / where[0]).relative_to(docs).with_suffix("").as_posix(), where[1])
        logger.error(text, location=location, type="verified", subtype="publish")
    raise NotPublishable(
        f"this build cannot be published ({len(found)} errors above): a published page shows "
        "only what the build verified (`nox -s examples`, then `nox -s publish`)"
    )
