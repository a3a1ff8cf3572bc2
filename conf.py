"""Sphinx configuration for the Async Testing Guide (pages in docs/)."""

import os
from pathlib import Path

from docutils.nodes import Element
from sphinx.application import Sphinx
from sphinx.writers.html5 import HTML5Translator

# The toolchain is installed in the docs session (`pip install -e .[sphinx]`).
from verified_blocks.pages import MYST_EXTENSIONS

ROOT = Path(__file__).resolve().parent

project = "Async Testing Guide"
author = "The Async Testing Guide authors"
copyright = "2026, the Async Testing Guide authors"

extensions = [
    "myst_parser",
    "sphinx_copybutton",
    "sphinx_design",
    "notfound.extension",
    "sphinxext.opengraph",
    "sphinx_llms_txt",
    "verified_blocks.sphinx",
]

root_doc = "index"
exclude_patterns = ["_build", "**/.*"]
myst_enable_extensions = MYST_EXTENSIONS
myst_heading_anchors = 3
# Error messages must read exactly as Python prints them: no curly quotes, so that a
# message pasted into the search box matches the page.
smartquotes = False

# Every cross-reference must resolve; there are no exceptions yet. Add one only with
# a comment saying why.
nitpicky = True
nitpick_ignore: list[tuple[str, str]] = []

# Verified blocks: paths are relative to the repository root (this folder).
verified_blocks_root = str(ROOT)
verified_blocks_reports = "_build/reports"

html_theme = "furo"
html_title = "Async Testing Guide"
html_static_path = ["docs/_static"]
# page.html puts the content in div.body, where search-word highlighting belongs.
templates_path = ["docs/_templates"]
html_css_files = ["verified.css"]
# Code blocks too wide for the page scroll, and so can be focused (code-scroll.js).
html_js_files = [("code-scroll.js", {"defer": "defer"})]
# Named by every page, so that a browser does not ask for a /favicon.ico that is not there.
html_favicon = "docs/_static/favicon.svg"
html_baseurl = os.environ.get("READTHEDOCS_CANONICAL_URL", "")

# 404 page: served for any missing URL, so its links are absolute: rooted at the version's
# folder on Read the Docs, at "/" locally (`python -m http.server -d _build/html`).
if os.environ.get("READTHEDOCS"):
    language = os.environ.get("READTHEDOCS_LANGUAGE", "en")
    notfound_urls_prefix = f"/{language}/{os.environ.get('READTHEDOCS_VERSION', 'latest')}/"
else:
    notfound_urls_prefix = "/"
notfound_context = {
    "title": "Page not found",
    "body": (
        "<h1>Page not found</h1>"
        "<p>This page does not exist (any more). Paste your error message into the search "
        f"box, or start from the <a href='{notfound_urls_prefix}index.html'>list of "
        "pages</a>.</p>"
    ),
}

# OpenGraph cards: they need the canonical URL, known only on Read the Docs.
ogp_site_url = html_baseurl
ogp_site_name = project
ogp_description_length = 200
ogp_enable_meta_description = True

# llms.txt and llms-full.txt: the whole guide as one text file for an AI assistant.
llms_txt_summary = (
    "How to test asynchronous Python code with pytest, pytest-asyncio, unittest.mock and "
    "aiohttp. Every code block and error message is verified on CPython 3.10-3.15."
)

# Copy only the code: never prompts (>>>, ...,  $) or the output under them. The prompt
# regex keeps only the lines typed after a prompt, so output and tracebacks (which
# Pygments does not mark .go) are dropped; excluding .gp would hide the prompts from it.
copybutton_exclude = ".linenos"
copybutton_prompt_text = r">>> |\.\.\. |\$ "
copybutton_prompt_is_regexp = True
copybutton_only_copy_prompt_lines = True


class HeadingLevelTranslator(HTML5Translator):
    """Sphinx's HTML, with `aria-level="2"` on every `role="heading"`.

    Sphinx writes a toctree's caption ("Tutorial", "Reference" in the sidebar and on the
    landing page) as `<p class="caption" role="heading">` with no `aria-level`, which ARIA
    1.2 requires (axe-core's aria-required-attr, critical; tests/browser/
    test_accessibility.py). Level 2 is the one ARIA 1.1 implied, and what Sphinx's own
    pending fix writes (sphinx-doc/sphinx#14030); drop this class once Sphinx writes it.
    """

    def starttag(
        self, node: Element, tagname: str, suffix: str = "\n", empty: bool = False, **attributes
    ) -> str:
        if "heading" in (attributes.get("ROLE"), attributes.get("role")):
            attributes.setdefault("aria-level", "2")
        return super().starttag(node, tagname, suffix, empty, **attributes)


def setup(app: Sphinx) -> None:
    app.set_translator("html", HeadingLevelTranslator)
    app.set_translator("dirhtml", HeadingLevelTranslator)
