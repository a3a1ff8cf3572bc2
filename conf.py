"""Sphinx configuration for the Async Testing Guide (pages in docs/)."""

import os
import tomllib
from collections.abc import Mapping
from pathlib import Path
from urllib.parse import urlsplit

from docutils.nodes import Element
from sphinx.application import Sphinx
from sphinx.config import Config
from sphinx.writers.html5 import HTML5Translator

# The toolchain is installed in the docs session (`pip install -e .[sphinx]`).
from verified_blocks.pages import MYST_EXTENSIONS

ROOT = Path(__file__).resolve().parent

project = "Async Testing Guide"
author = "The Async Testing Guide authors"
copyright = "2026, the Async Testing Guide authors"

extensions = [
    "sphinx.ext.intersphinx",
    "myst_parser",
    "sphinx_copybutton",
    "sphinx_design",
    "notfound.extension",
    "sphinxext.opengraph",
    "sphinx_llm_friendly",
    "verified_blocks.llms",  # after sphinx_llm_friendly: see its docstring
    "sphinx_last_updated_by_git",
    "verified_blocks.sphinx",
]

root_doc = "index"
exclude_patterns = ["_build", "**/.*", "_inventories"]
myst_enable_extensions = MYST_EXTENSIONS
myst_heading_anchors = 3
# Error messages must read exactly as Python prints them: no curly quotes, so that a
# message pasted into the search box matches the page.
smartquotes = False

# Every cross-reference must resolve; there are no exceptions yet. Add one only with
# a comment saying why.
nitpicky = True
nitpick_ignore: list[tuple[str, str]] = []

# Links to the documentation of Python, pytest, pytest-asyncio and aiohttp (in a page,
# {py:class}`~unittest.mock.AsyncMock`), read from the inventories committed in
# docs/_inventories/ (its README.md says where each came from): the build uses no network.
# Their Python objects resolve by name; their labels only where the page names the site
# (`[...](inv:pytest:std:label#...)`), so that a mistyped label of ours stays a nitpicky
# warning instead of becoming a link to theirs.
INVENTORIES = ROOT / "docs" / "_inventories"
SITES = tomllib.loads((INVENTORIES / "sites.toml").read_text(encoding="utf-8"))
intersphinx_mapping = {name: (url, str(INVENTORIES / f"{name}.inv")) for name, url in SITES.items()}
intersphinx_disabled_reftypes = ["std:*"]
# A reference shows a name as the page writes it: `patch`, and `asyncio.run()` with its
# parentheses only where the page has them.
add_function_parentheses = False

# Verified blocks: paths are relative to the repository root (this folder).
verified_blocks_root = str(ROOT)
verified_blocks_reports = "_build/reports"

html_theme = "furo"
html_title = "Async Testing Guide"
html_static_path = ["docs/_static"]
# page.html puts the content in div.body, where search-word highlighting belongs.
templates_path = ["docs/_templates"]
html_css_files = ["verified.css", "provenance.css"]
# Code blocks too wide for the page scroll, and so can be focused (code-scroll.js).
html_js_files = [("code-scroll.js", {"defer": "defer"})]
# Named by every page, so that a browser does not ask for a /favicon.ico that is not there.
html_favicon = "docs/_static/favicon.svg"


# Where the site is published and which repository it is built from are not in the
# repository: they come from the environment of the build. Read the Docs sets
# READTHEDOCS_CANONICAL_URL and READTHEDOCS_GIT_*; a GitHub Pages workflow sets SITE_URL,
# and GitHub Actions GITHUB_*. A local build has none of them and leaves out, without a
# warning, what needs them: no sitemap or link-preview image without the site's address,
# no edit link without the repository's.
def _site_address(env: Mapping[str, str]) -> str:
    """The published site's address, ending in "/", or "" where it is not known."""
    url = env.get("READTHEDOCS_CANONICAL_URL") or env.get("SITE_URL") or ""
    return url.rstrip("/") + "/" if url else ""


#: Hosts whose edit and view addresses Furo knows (it warns for any other).
SOURCE_HOSTS = ("github.com", "gitlab.com", "bitbucket.org")


def _source_repository(env: Mapping[str, str]) -> tuple[str, str] | None:
    """(the repository's web address, the branch or commit built), or None if unknown."""
    if clone := env.get("READTHEDOCS_GIT_CLONE_URL"):
        # https://github.com/owner/repo.git, or git@github.com:owner/repo.git
        parts = urlsplit(clone if "://" in clone else "ssh://" + clone.replace(":", "/", 1))
        host, path = parts.hostname, parts.path  # never the user or token of the address
        ref = env.get("READTHEDOCS_GIT_IDENTIFIER", "")
    elif repository := env.get("GITHUB_REPOSITORY"):
        parts = urlsplit(env.get("GITHUB_SERVER_URL", ""))
        host, path = parts.hostname, f"/{repository}"
        # A branch pushed to can be edited; a pull request's merge or a tag only viewed.
        on_branch = env.get("GITHUB_REF_TYPE") == "branch" and not env.get("GITHUB_HEAD_REF")
        ref = env.get("GITHUB_REF_NAME", "") if on_branch else env.get("GITHUB_SHA", "")
    else:
        return None
    if host not in SOURCE_HOSTS or not ref:
        return None
    return f"https://{host}/{path.strip('/').removesuffix('.git')}", ref


SITE_URL = _site_address(os.environ)
html_baseurl = SITE_URL

# Furo's "edit this page" and "view source" buttons, on the repository's host; without a
# repository, the view button shows the page's source copied into the site.
html_theme_options: dict[str, object] = {}
SOURCE = _source_repository(os.environ)
if SOURCE:
    html_theme_options |= {
        "source_repository": SOURCE[0],
        "source_branch": SOURCE[1],
        "source_directory": "docs/",
    }

# Each page's "Last updated on" date (Furo's footer, and article:modified_time): the last
# commit that changed it. A shallow clone (actions/checkout's one commit; Read the Docs'
# clone, until .readthedocs.yaml fetches the rest) cannot tell it for a page whose last
# change it does not reach: that page shows no date, and the build no warning.
git_last_updated_timezone = "UTC"
suppress_warnings = ["git.too_shallow"]

# sitemap.xml, for search engines: only where the site's address is known.
if SITE_URL:
    extensions.append("sphinx_sitemap")
    sitemap_url_scheme = "{link}"  # html_baseurl has the language and version already
    sitemap_show_lastmod = True
    sitemap_excludes = ["404.html", "search.html", "genindex.html"]

# 404 page: served for any missing URL, so its links are absolute. On Read the Docs
# sphinx-notfound-page roots them at READTHEDOCS_CANONICAL_URL's path by itself; elsewhere
# its default is Read the Docs' /en/latest/, so they are rooted at the site's own path:
# SITE_URL's, or "/" in a local build (`python -m http.server -d _build/html`). The body's
# link to the list of pages gets the same root once the extension has set it (setup()).
if not os.environ.get("READTHEDOCS_CANONICAL_URL"):
    notfound_urls_prefix = urlsplit(SITE_URL).path or "/"
NOTFOUND_BODY = (
    "<h1>Page not found</h1>"
    "<p>This page does not exist (any more). Paste your error message into the search "
    "box, or start from the <a href='{prefix}index.html'>list of pages</a>.</p>"
)

# OpenGraph tags for link previews: they need the canonical URL, so the image (the icon
# and title on a card, docs/_static/social-card.png, made by maintainers/social_card.py)
# is named only where the site's address is known; its alt text is the card's text.
ogp_site_url = html_baseurl
ogp_site_name = project
ogp_description_length = 200
ogp_enable_meta_description = True
if SITE_URL:
    ogp_image = "_static/social-card.png"
    ogp_image_alt = (
        f"{project}. Testing async Python with pytest: every code block and error message "
        "verified on CPython 3.10-3.15"
    )
    ogp_custom_meta_tags = [
        '<meta property="og:image:width" content="1200" />',
        '<meta property="og:image:height" content="630" />',
        '<meta name="twitter:card" content="summary_large_image" />',
    ]

# llms.txt, each page as Markdown, and llms-full.txt (verified_blocks.llms): the guide as
# text for an AI assistant, made from the built pages, generated tables included.
llm_friendly_llms_txt_summary = (
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


def _notfound_body(app: Sphinx, config: Config) -> None:
    """The 404 page's text, its link rooted where sphinx-notfound-page roots the others."""
    body = NOTFOUND_BODY.format(prefix=config.notfound_urls_prefix or "/")
    config.notfound_context = {"title": "Page not found", "body": body}


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
    app.connect("config-inited", _notfound_body)
    app.set_translator("html", HeadingLevelTranslator)
    app.set_translator("dirhtml", HeadingLevelTranslator)
