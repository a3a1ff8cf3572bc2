"""A reader who pastes an error message into the search box lands on its troubleshooting
entry, for the message of every Python version.

Every indexed error is ranked in one tab of the search page by the page's own scoring
(:data:`RANKED`), without listing the results and fetching a summary for each, which took
1.4 s a message; the tests that open the search page for a message check that it lists
exactly that ranking.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterator
from urllib.parse import quote

import pytest
from playwright.sync_api import Browser, Error, Page, expect

from conftest import Site, Tab

ENTRY = "troubleshooting/magicmock-cant-be-used-in-await.html"
MESSAGES = [
    pytest.param("object MagicMock can't be used in 'await' expression", id="3.10-3.13"),
    pytest.param("'MagicMock' object can't be awaited", id="3.14+"),
]
RESULTS = "#search-results ul.search > li"
#: Sphinx's search page fetches each result's page for the summary under it, and may do so
#: after it says "Search finished"; a result with a description of its own (an API
#: object's) gets none. This is true once every summary is in.
SUMMARIES_IN = f"""() => [...document.querySelectorAll("{RESULTS}")].every(
    (li) => li.querySelector(":scope > span, :scope > p.context")
)"""


#: The pages the search page lists for a query, best first, as it would list them: Sphinx's
#: searchtools parses the query and scores the pages (Search._parseQuery, then
#: Search._performSearch), and the page lists that array from its end (_displayNextItem
#: pops it), each result linking to its docname plus LINK_SUFFIX.
RANKED = """(query) => Search._performSearch(...Search._parseQuery(query))
    .reverse().map(([docName]) => docName + DOCUMENTATION_OPTIONS.LINK_SUFFIX)"""


@pytest.fixture(scope="module")
def search_tab(browser: Browser, server: str) -> Iterator[Tab]:
    """One tab on the search page, its index loaded, for every ranking of this module."""
    tab = Tab(browser, server, color_scheme="light", clipboard=False)
    tab.open("search.html")
    tab.page.wait_for_function("() => Search.hasIndex()")
    yield tab
    tab.context.close()


def ranked(tab: Tab, query: str) -> list[str]:
    """The result pages of the search page in `tab` for `query`, best first (:data:`RANKED`)."""
    found: list[str] = tab.page.evaluate(RANKED, query)
    return found


def results(tab: Tab) -> list[str]:
    """The result pages of Sphinx's search page, best first, once the search and every
    result's summary are done."""
    page = tab.page
    summary = page.locator("#search-results .search-summary")
    expect(summary).to_contain_text(re.compile("Search finished|did not match any"))
    try:
        page.wait_for_function(SUMMARIES_IN)
    except Error as error:
        pytest.fail(f"the result summaries did not all come: {error}; {tab.problems}")
    links = page.locator(f"{RESULTS} > a")
    return [
        href.split("?")[0].split("#")[0]
        for href in links.evaluate_all("links => links.map(a => a.getAttribute('href'))")
    ]


def indexed_errors(site: Site) -> dict[str, str]:
    """Each error message a troubleshooting entry indexes (see the Sphinx extension), and
    the page of that entry, from the site's search index."""
    text = (site.folder / "searchindex.js").read_text(encoding="utf-8")
    index = json.loads(text[text.index("(") + 1 : text.rindex(")")])
    pages = {}
    for message, places in index["indexentries"].items():
        for doc, _anchor, main in places:
            name = index["docnames"][doc]
            if main and name.startswith("troubleshooting/"):
                pages[message] = f"{name}.html"
    return pages


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    if "indexed_error" in metafunc.fixturenames:
        site = Site(metafunc.config.getoption("--site"))
        errors = sorted(indexed_errors(site).items())
        metafunc.parametrize("indexed_error", errors, ids=[m[:60] for m, _ in errors])


def test_every_troubleshooting_entry_indexes_its_error(site: Site) -> None:
    """Without this, the parametrized test below could quietly run for no entry at all."""
    entries = {p for p in site.pages if p.startswith("troubleshooting/")}
    assert entries and entries == set(indexed_errors(site).values())


def test_search_ranks_each_entry_first_for_its_error(
    search_tab: Tab, indexed_error: tuple[str, str]
) -> None:
    message, entry = indexed_error
    found = ranked(search_tab, message)
    assert found[:1] == [entry], f"{message!r}: first results: {found[:5]}"
    search_tab.assert_clean()


@pytest.mark.parametrize("message", MESSAGES)
def test_search_ranks_the_entry_first(
    new_tab: Callable[..., Tab], search_tab: Tab, message: str
) -> None:
    """The search page, opened for the message, lists its entry first, and lists exactly
    what :data:`RANKED` ranks for it (which the test above relies on)."""
    tab = new_tab()
    tab.open(f"search.html?q={quote(message)}")
    found = results(tab)
    assert found[:1] == [ENTRY], f"first results: {found[:5]}"
    assert found == ranked(search_tab, message)
    tab.assert_clean()


def search_from_the_box(tab: Tab, words: str) -> Page:
    """Type `words` into the search box of the landing page, press Enter, and open the
    first result."""
    page = tab.open("index.html")
    box = page.locator("form[role=search] input[name=q]").first
    box.fill(words)
    box.press("Enter")
    page.wait_for_url("**/search.html?q=*")
    assert results(tab), f"no result for {words!r}"
    with page.expect_navigation(wait_until="load"):
        page.locator(f"{RESULTS} > a").first.click()
    tab.settle()
    return page


def expect_highlighted(tab: Tab) -> None:
    """The page a search result leads to marks the words searched for in its text."""
    try:
        expect(tab.page.locator("article span.highlighted").first).to_be_visible()
    except AssertionError as error:
        raise AssertionError(f"no search word marked; problems: {tab.problems}") from error


@pytest.mark.parametrize("message", MESSAGES)
def test_pasting_the_message_into_the_search_box_lands_on_the_entry(
    new_tab: Callable[..., Tab], message: str
) -> None:
    tab = new_tab()
    page = search_from_the_box(tab, message)
    assert page.url.split("?")[0].split("#")[0] == tab.base_url + ENTRY
    expect(page.locator("article")).to_contain_text(message)
    expect_highlighted(tab)
    tab.assert_clean()
