"""Sphinx configuration for the Async Testing Guide (pages in docs/)."""

import os
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent
sys.path.insert(0, str(ROOT / "docs" / "_ext"))

from verified_blocks.pages import MYST_EXTENSIONS  # noqa: E402 - needs the path above

project = "Async Testing Guide"
author = "The Async Testing Guide authors"
copyright = "2026, the Async Testing Guide authors"

extensions = [
    "myst_parser",
    "sphinx_copybutton",
    "sphinx_design",
    "verified_blocks.sphinx",
]

root_doc = "index"
exclude_patterns = ["_build", "_ext", "**/.*"]
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
html_css_files = ["verified.css"]
html_baseurl = os.environ.get("READTHEDOCS_CANONICAL_URL", "")

# Copy only the code: never prompts (>>>, ...,  $) or the output under them.
copybutton_exclude = ".linenos, .gp, .go"
copybutton_prompt_text = r">>> |\.\.\. |\$ "
copybutton_prompt_is_regexp = True
copybutton_only_copy_prompt_lines = True
