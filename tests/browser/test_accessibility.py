"""Every page of the site passes axe-core's WCAG 2.0, 2.1 and 2.2 level A and AA rules in
Chromium, in light and in dark mode, with no serious or critical violation; so do three
pages at phone width, the "paste your error" box showing results and the search page
showing the entries that verify a pasted message. Every page also reflows at 320 px
(WCAG 1.4.10), which axe does not check.

axe-core is the copy that axe-playwright-python bundles (pinned in requirements.txt): it is
read from the installed package and run in the page, so nothing is fetched. Each page loads
once in one tab, which all the tests of this module share; axe runs on it in light mode,
then again once the tab asks for dark mode, which Furo's "auto" theme follows at once.
A failure names the page, the mode, the rule, its help page and each offending element's
selector, with axe's reason (a colour contrast's two colours and ratio, for example).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from urllib.parse import quote

import pytest
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import Browser, Page

from conftest import MODES, PHONE, SIDEWAYS, VIEWPORT, Tab, assert_shows_mode
from test_paste_box import paste
from test_search import results

AXE_SCRIPT = Axe().axe_script
#: axe-core's tags for the success criteria of WCAG 2.0, 2.1 and 2.2 at levels A and AA.
WCAG_A_AA = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"]
FAILING = ("critical", "serious")
AXE_OPTIONS = {"runOnly": {"type": "tag", "values": WCAG_A_AA}, "resultTypes": ["violations"]}
#: Offending elements shown per rule; the rest are counted.
SHOWN = 10
#: Resolves once every CSS transition and finite animation has run its course: when the
#: mode changes, sphinx-design's tab labels fade to the new colours in a quarter of a
#: second, and axe would otherwise measure a colour halfway between the two modes.
SETTLED = """() => Promise.all(document.getAnimations()
    .filter((a) => a.effect.getComputedTiming().iterations !== Infinity)
    .map((a) => a.finished.catch(() => null)))"""
#: WCAG 1.4.10's width: 1280 CSS px at 400 % zoom.
REFLOW = {"width": 320, "height": 256}
#: The pages that look different on a phone (Furo's header with its menu buttons, the
#: sidebars in drawers, the paste box and the version tabs in a narrow column).
PHONE_PAGES = [
    "index.html",
    "how-to/mock-aiohttp-client-session.html",
    "troubleshooting/magicmock-cant-be-used-in-await.html",
]


def violations(page: Page, where: str) -> list[str]:
    """Run axe on `page` as it is now; one paragraph for each serious or critical
    violation, headed by `where` (the page and the mode)."""
    report = page.evaluate("options => axe.run(document, options)", AXE_OPTIONS)
    found = []
    for rule in report["violations"]:
        # a rule's impact is its worst element's; each element has its own
        nodes = [node for node in rule["nodes"] if node["impact"] in FAILING]
        if not nodes:
            continue
        lines = [f"{where}: {rule['id']} ({rule['impact']}): {rule['help']}", rule["helpUrl"]]
        for node in nodes[:SHOWN]:
            checks = node["any"] + node["all"] + node["none"]
            reason = checks[0]["message"] if checks else node["failureSummary"]
            lines.append(f"  {', '.join(map(str, node['target']))}: {reason}")
            lines.append(f"    {' '.join(node['html'].split())[:160]}")
        if len(nodes) > SHOWN:
            lines.append(f"  ({len(nodes) - SHOWN} more not shown)")
        found.append("\n".join(lines))
    return found


def check_both_modes(page: Page, where: str) -> list[str]:
    """axe's serious and critical violations on `page` in light mode, then in dark mode."""
    found = []
    for mode in MODES:
        page.emulate_media(color_scheme=mode)
        page.evaluate(SETTLED)
        assert_shows_mode(page, mode)
        found += violations(page, f"{where}, {mode} mode")
    return found


@pytest.fixture(scope="module")
def axe_tab(browser: Browser, server: str) -> Iterator[Tab]:
    """One tab for every test of this module."""
    tab = Tab(browser, server, color_scheme="light", clipboard=False)
    yield tab
    tab.context.close()


def load(tab: Tab, path: str, viewport: dict[str, int] = VIEWPORT) -> Page:
    """Load a page at `viewport`'s size and put axe-core in it. Waiting for "load", not for
    the network to be idle (Tab.open), spares half a second a page: a page's own scripts
    run before "load", and what they fetch later (search results) is waited for by the test
    that needs it."""
    page = tab.page
    page.set_viewport_size(viewport)
    page.emulate_media(color_scheme="light")
    page.goto(tab.base_url + path, wait_until="load")
    page.evaluate(AXE_SCRIPT)
    return page


def test_page_is_accessible(axe_tab: Tab, page_path: str) -> None:
    page = load(axe_tab, page_path)
    found = check_both_modes(page, page_path)
    assert not found, "\n\n".join(found)


def test_page_reflows_at_320_px(axe_tab: Tab, page_path: str) -> None:
    """WCAG 1.4.10 (Reflow, AA), which axe does not check: at 320 CSS px wide (1280 px
    zoomed to 400 %) nothing but code blocks and tables scrolls sideways."""
    axe_tab.page.set_viewport_size(REFLOW)
    axe_tab.page.goto(axe_tab.base_url + page_path, wait_until="load")
    sideways = axe_tab.page.evaluate(SIDEWAYS)
    assert not sideways, f"{page_path} scrolls sideways at 320 px: {sideways}"


@pytest.mark.parametrize("phone_page", PHONE_PAGES)
def test_page_is_accessible_on_a_phone(axe_tab: Tab, phone_page: str) -> None:
    page = load(axe_tab, phone_page, PHONE)
    found = check_both_modes(page, f"{phone_page} at {PHONE['width']} px")
    assert not found, "\n\n".join(found)


def test_paste_box_with_results_is_accessible(new_tab: Callable[..., Tab]) -> None:
    tab = new_tab()  # of its own: the test runs the page's clock (test_paste_box.paste)
    tab.page.clock.install()
    page = load(tab, "index.html")
    assert paste(page, "E   RuntimeError: Session is closed"), "the box found nothing"
    found = check_both_modes(page, "index.html, the paste box showing results")
    paste(page, "nothing the guide verifies")
    found += check_both_modes(page, "index.html, the paste box finding nothing")
    assert not found, "\n\n".join(found)


def test_search_results_are_accessible(axe_tab: Tab) -> None:
    page = load(axe_tab, f"search.html?q={quote('RuntimeError: Session is closed')}")
    assert results(axe_tab), "the search found nothing"
    assert page.locator(".verified-matches li").count(), "no entry verifies the message"
    found = check_both_modes(page, "search.html with a pasted message")
    assert not found, "\n\n".join(found)
