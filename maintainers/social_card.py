"""Make docs/_static/social-card.png, the guide's link-preview image (og:image), from its own
icon (docs/_static/favicon.svg) and title: 1200x630, the size link previews show whole.

Run it again after changing the icon or the text, and commit the PNG (the same input
gives the same bytes):

    uv run --only-group browser python maintainers/social_card.py

It renders with Playwright and Debian's Chromium (`apt-get install chromium`), as the
browser tests do. conf.py's ogp_image_alt repeats the card's text.
"""

from __future__ import annotations

import sys
from pathlib import Path

from playwright.sync_api import sync_playwright

ROOT = Path(__file__).resolve().parents[1]
ICON = ROOT / "docs" / "_static" / "favicon.svg"
CARD = ROOT / "docs" / "_static" / "social-card.png"
CHROMIUM = "/usr/lib/chromium/chromium"
WIDTH, HEIGHT = 1200, 630
TAGLINE = (
    "Testing async Python with pytest: every code block and error message verified on "
    "CPython 3.10\N{EN DASH}3.15"
)

PAGE = """<!doctype html>
<html><head><meta charset="utf-8"><style>
  html, body {{ margin: 0; width: {width}px; height: {height}px; }}
  body {{
    display: flex; align-items: center; gap: 64px; box-sizing: border-box; padding: 0 96px;
    background: #ffffff; color: #1a1a1a; border-bottom: 24px solid #0a7d2c;
    font-family: "DejaVu Sans", "Liberation Sans", sans-serif;
  }}
  svg {{ width: 280px; height: 280px; flex: none; }}
  h1 {{ font-size: 76px; line-height: 1.05; margin: 0 0 28px; letter-spacing: -1px; }}
  p {{ font-size: 34px; line-height: 1.3; margin: 0; color: #3d3d3d; }}
</style></head>
<body>{icon}<div><h1>{title}</h1><p>{tagline}</p></div></body></html>
"""


def main() -> int:
    html = PAGE.format(
        width=WIDTH,
        height=HEIGHT,
        icon=ICON.read_text(encoding="utf-8"),
        title="Async Testing Guide",
        tagline=TAGLINE,
    )
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        page = browser.new_page(viewport={"width": WIDTH, "height": HEIGHT})
        page.set_content(html)
        page.screenshot(path=str(CARD))
        browser.close()
    print(f"wrote {CARD.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
