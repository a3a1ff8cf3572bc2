"""Sphinx extension ``verified_blocks.llms``: the guide as text for a language model.

sphinx-llm-friendly writes each page's Markdown from the page as built (the generated error
index and version matrix included, unlike an extension that copies the sources) and
``llms.txt``, which lists them. This extension adds what it does not do, after it:

- ``llms-full.txt``: the pages ``llms.txt`` lists, in its order, as one file, each headed
  by a comment naming its Markdown file (the page's own links are relative to it);
- raw HTML, the "paste your error" box, is left out of the Markdown: it is a form to fill
  in, not text to read;
- the "copy as Markdown" button that sphinx-llm-friendly puts on every page is left out:
  its visible label "M↓" is not part of its accessible name (WCAG 2.5.3), and its
  colours ignore the theme's dark mode.

List it after ``sphinx_llm_friendly`` in ``extensions``.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from docutils import nodes
from sphinx.application import Sphinx

#: A page's line in llms.txt: ``- [Title](prefix/docname.md)``.
LISTED_PAGE = re.compile(r"^- \[.*\]\((?P<link>[^()\s]+\.md)\)$", re.MULTILINE)

#: The class sphinx-llm-friendly leaves out of the Markdown.
EXCLUDE = "llm-friendly-exclude"

#: What marks the copy button's inline script.
COPY_BUTTON = "scrapy-copy-as-markdown"


def _leave_raw_html_out(
    app: Sphinx,
    pagename: str,
    templatename: str,
    context: dict[str, Any],
    doctree: nodes.document | None,
) -> None:
    """Mark raw HTML for sphinx-llm-friendly to leave out, and drop its button's script.

    The page's HTML is written by now: the class changes the Markdown only.
    """
    if doctree is not None:
        for raw in doctree.findall(nodes.raw):
            if "html" in raw.get("format", "").split():
                raw["classes"].append(EXCLUDE)
    context["script_files"] = [
        script
        for script in context.get("script_files", [])
        if COPY_BUTTON not in getattr(script, "attributes", {}).get("body", "")
    ]


def pages_listed(llms_txt: str, base_path: str) -> list[str]:
    """The Markdown files llms.txt lists, relative to the site's folder.

    Its links are rooted at the site's path (``/en/latest/``) when the site's URL is known,
    relative to the site's folder otherwise.
    """
    prefix = f"/{base_path.strip('/')}/" if base_path.strip("/") else "/"
    return [
        link.removeprefix(prefix) if link.startswith("/") else link
        for link in LISTED_PAGE.findall(llms_txt)
    ]


def _write_llms_full(app: Sphinx, exception: Exception | None) -> None:
    if exception is not None or app.builder.name != "html":
        return
    outdir = Path(app.outdir)
    llms_txt = (outdir / "llms.txt").read_text(encoding="utf-8")
    header = llms_txt.split("\n## ", 1)[0].rstrip()
    parts = [header]
    for page in pages_listed(llms_txt, urlsplit(app.config.html_baseurl).path):
        text = (outdir / page).read_text(encoding="utf-8").strip()
        parts.append(f"<!-- {page} -->\n\n{text}")
    (outdir / "llms-full.txt").write_text("\n\n".join(parts) + "\n", encoding="utf-8")


def setup(app: Sphinx) -> dict[str, object]:
    # before sphinx-llm-friendly writes the page's Markdown (500), and after it has
    # written llms.txt at the end of the build
    app.connect("html-page-context", _leave_raw_html_out, priority=400)
    app.connect("build-finished", _write_llms_full, priority=600)
    return {"version": "1", "parallel_read_safe": True, "parallel_write_safe": True}
