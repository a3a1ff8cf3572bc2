"""Screenshots of the landing page, a how-to and a troubleshooting page, in light and dark
mode, full page at 1280 px wide, into _build/screenshots/<page>-<mode>.png, and as a phone
shows them (390 px wide, at twice the scale) into <page>-<mode>-phone.png.

Before each screenshot the test checks what it should show: the theme in the mode asked
for, and on the two guide pages the version tabs and "verified" badges (which need the
examples reports: `nox -s examples docs`); on a phone, nothing but code and tables
scrolling sideways, Furo's header with its menu button, and the tabs and badges inside
the screen's width."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from playwright.sync_api import expect

from conftest import MODES, PHONE, SIDEWAYS, Tab, assert_shows_mode

PAGES = {
    "index": "index.html",
    "how-to-mock-aiohttp-client-session": "how-to/mock-aiohttp-client-session.html",
    "troubleshooting-magicmock-cant-be-used-in-await": (
        "troubleshooting/magicmock-cant-be-used-in-await.html"
    ),
}
FULL_HEIGHT = """() => Math.ceil(Math.max(
    document.documentElement.scrollHeight,
    ...[...document.querySelectorAll(".sidebar-scroll, .toc-scroll")].map(
        (e) => e.getBoundingClientRect().top + window.scrollY + e.scrollHeight
    )
))"""


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("name", PAGES)
def test_screenshot(new_tab: Callable[..., Tab], screenshots: Path, name: str, mode: str) -> None:
    tab = new_tab(color_scheme=mode)
    page = tab.open(PAGES[name])
    assert_shows_mode(page, mode)
    if name != "index":
        expect(page.locator(".sd-tab-set").first).to_be_visible()
        expect(page.locator("p.verified-badge").first).to_be_visible()
        # a badge that says the build had no report, or that the block failed
        expect(page.locator("p.verified-unknown, p.verified-failed")).to_have_count(0)
    # The whole page in one viewport, so that Furo's sticky sidebars show in full too.
    page.set_viewport_size({"width": 1280, "height": page.evaluate(FULL_HEIGHT)})
    target = screenshots / f"{name}-{mode}.png"
    target.unlink(missing_ok=True)
    page.screenshot(path=target, full_page=True)
    assert target.stat().st_size > 0
    tab.assert_clean()


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("name", PAGES)
def test_phone_screenshot(
    new_tab: Callable[..., Tab], screenshots: Path, name: str, mode: str
) -> None:
    tab = new_tab(color_scheme=mode, phone=True)
    page = tab.open(PAGES[name])
    assert_shows_mode(page, mode)
    width = PHONE["width"]
    sideways = page.evaluate(SIDEWAYS)
    assert not sideways, f"scrolls sideways on a {width} px screen: {sideways}"
    # Furo's phone layout: the header with the menu button, the sidebar in its drawer
    expect(page.locator(".mobile-header .nav-overlay-icon")).to_be_visible()
    expect(page.locator(".sidebar-drawer")).not_to_be_in_viewport()
    if name != "index":
        for element in (page.locator(".sd-tab-set").first, page.locator("p.verified-badge").first):
            expect(element).to_be_visible()
            box = element.bounding_box()
            assert box and box["x"] >= 0 and box["x"] + box["width"] <= width, box
        expect(page.locator("p.verified-unknown, p.verified-failed")).to_have_count(0)
    else:
        expect(page.locator("[data-paste-box] textarea")).to_be_visible()
    target = screenshots / f"{name}-{mode}-phone.png"
    target.unlink(missing_ok=True)
    page.screenshot(path=target, full_page=True)
    assert target.stat().st_size > 0
    tab.assert_clean()
