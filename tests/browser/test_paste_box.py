"""The "paste your error" box finds a reader's own message, with their names in it, works
in the page alone, and never treats what is pasted as HTML."""

from __future__ import annotations

import time
from collections.abc import Callable
from urllib.parse import quote

import pytest
from playwright.sync_api import Locator, Page, Request, expect

from conftest import Site, Tab
from reader_messages import TRACEBACK, VARIANTS
from test_search import results

BOXES = ["index.html", "reference/error-index.html"]
SECOND_MS = 1000


def open_box(tab: Tab, path: str) -> Page:
    """Open the page at `path`, its clock under the test's control (:func:`paste`)."""
    tab.page.clock.install()
    return tab.open(path)


def paste(page: Page, text: str) -> list[str]:
    """Put `text` in the box as a paste does, and return the result pages, best first.

    The page's clock must be installed, as :func:`open_box` does: the box waits a moment
    after the last keystroke before it matches, and that moment is run through on the
    page's clock, not waited for (with Playwright's polling, a third of a second a paste).
    """
    box = page.locator("[data-paste-box]").first
    # what a paste does: the whole text at once, then one input event (fill() would take
    # minutes over the protocol for a traceback of thousands of lines)
    box.locator("textarea").evaluate(
        "(area, text) => { area.value = text; area.dispatchEvent(new Event('input')); }", text
    )
    page.clock.run_for(SECOND_MS)  # far past the box's wait for more typing
    expect(box).to_have_attribute("data-state", "done")
    return result_pages(box.locator(".paste-box-results"))


def result_pages(results: Locator) -> list[str]:
    """The pages the links in `results` lead to, in order, relative to the site's root
    (Sphinx's `data-content_root`, wherever the site is published)."""
    return results.locator("a").evaluate_all(
        """links => {
            const root = new URL(document.documentElement.dataset.content_root, document.baseURI);
            return links.map(a => new URL(a.href).pathname.slice(root.pathname.length));
        }"""
    )


def assert_each_variant_in_the_first_three(find: Callable[[str], list[str]]) -> None:
    """`find` gives the result pages for a message: every reader-style message of every
    entry has its entry among the first three."""
    missed = []
    for entry, messages in VARIANTS.items():
        for message in messages:
            found = find(message)
            if f"{entry}.html" not in found[:3]:
                missed.append(f"{message[:90]!r} -> {found[:3]} (expected {entry})")
    assert not missed, "\n".join(missed)


def test_every_troubleshooting_entry_has_reader_variants(site: Site) -> None:
    entries = {p.removesuffix(".html") for p in site.pages if p.startswith("troubleshooting/")}
    assert entries == set(VARIANTS), (
        f"write reader-style messages in tests/browser/reader_messages.py for: "
        f"{sorted(entries - set(VARIANTS))}; no such entry: {sorted(set(VARIANTS) - entries)}"
    )


@pytest.mark.parametrize("box_page", BOXES)
def test_each_reader_message_finds_its_entry_in_the_first_three(
    new_tab: Callable[..., Tab], box_page: str
) -> None:
    tab = new_tab()
    page = open_box(tab, box_page)
    assert_each_variant_in_the_first_three(lambda message: paste(page, message))
    tab.assert_clean()


def test_a_result_links_to_the_block_that_verifies_the_message(
    new_tab: Callable[..., Tab],
) -> None:
    tab = new_tab()
    page = open_box(tab, "index.html")
    paste(page, "E   RuntimeError: Session is closed")
    link = page.locator("[data-paste-box] .paste-box-results a").first
    with page.expect_navigation():
        link.click()
    assert page.url.split("#")[0].endswith("troubleshooting/session-is-closed.html")
    anchor = page.url.split("#")[1]
    expect(page.locator(f"[id='{anchor}']")).to_contain_text("Session is closed")
    tab.assert_clean()


def test_a_message_nobody_verified_says_so(new_tab: Callable[..., Tab]) -> None:
    tab = new_tab()
    page = open_box(tab, "index.html")
    assert paste(page, "ZeroDivisionError: division by zero") == []
    expect(page.locator(".paste-box-none")).to_be_visible()
    tab.assert_clean()


def test_pasted_markup_is_text_and_nothing_runs(new_tab: Callable[..., Tab]) -> None:
    tab = new_tab()
    page = open_box(tab, "index.html")
    markup = (
        '<img src="x" onerror="window.pwned = 1"><script>window.pwned = 2</script>\n'
        "<b>RuntimeError: Session is closed</b>\n"
        'E   RuntimeError: <svg onload="window.pwned = 3"> Event loop is closed'
    )
    paste(page, markup)
    box = page.locator("[data-paste-box]")
    assert page.evaluate("window.pwned") is None
    assert box.locator(".paste-box-results img, .paste-box-results script").count() == 0
    assert box.locator(".paste-box-results svg, .paste-box-results b").count() == 0
    tab.assert_clean()


def test_nothing_is_sent_or_kept(new_tab: Callable[..., Tab]) -> None:
    tab = new_tab()
    page = open_box(tab, "index.html")
    # what the browser fetches after "load" (the favicon) has come and gone
    page.wait_for_load_state("networkidle")
    requests: list[Request] = []
    page.on("request", lambda request: requests.append(request))
    paste(page, "E   RuntimeError: Event loop is closed")
    page.wait_for_timeout(200)  # anything the paste would send has left by now
    assert [r.url for r in requests] == []
    stored = page.evaluate("() => [localStorage.length, sessionStorage.length, document.cookie]")
    assert stored == [0, 0, ""]
    tab.assert_clean()


def test_a_traceback_of_thousands_of_lines_stays_responsive(
    new_tab: Callable[..., Tab],
) -> None:
    frames = "".join(
        f'  File "/srv/app/module_{n}.py", line {n}, in handler_{n}\n    await step_{n}()\n'
        for n in range(3000)
    )
    text = TRACEBACK.format(error=frames + "E   RuntimeError: Event loop is closed")
    tab = new_tab()
    page = open_box(tab, "index.html")
    started = time.perf_counter()
    found = paste(page, text)
    took = time.perf_counter() - started
    assert found[:1] == ["troubleshooting/event-loop-is-closed.html"]
    # generous for a loaded 2-CPU machine; the match itself takes a few tens of ms
    assert took < 5, f"{len(text.splitlines())} lines took {took:.1f} s"
    tab.assert_clean()


def test_the_search_page_shows_the_entries_for_a_readers_message(
    new_tab: Callable[..., Tab],
) -> None:
    """Sphinx's own search needs every word of the query; above its results, the search
    page shows the entries whose verified message matches, as the box does."""
    tab = new_tab()

    def search(message: str) -> list[str]:
        page = tab.open(f"search.html?q={quote(message)}")
        results(tab)  # Sphinx's own search, done: the next page would cut its requests short
        return result_pages(page.locator(".verified-matches"))

    assert_each_variant_in_the_first_three(search)
    tab.assert_clean()
