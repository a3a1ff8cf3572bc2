"""Every page of the site loads in Chromium without a console error or warning, an
uncaught exception, a failed request, or a request to another host."""

from __future__ import annotations

from collections.abc import Callable

from conftest import Tab

#: The icon a browser shows for the page: the one the page names, else /favicon.ico.
ICON = """() => {
    const link = document.querySelector("link[rel~='icon']");
    return link ? link.href : new URL("/favicon.ico", location.href).href;
}"""


def test_page_loads_cleanly(new_tab: Callable[..., Tab], page_path: str) -> None:
    tab = new_tab()
    page = tab.open(page_path)
    assert page.title(), f"{page_path} has no title"
    tab.assert_clean()
    # A browser fetches the page's icon by itself; a missing one is a 404 in the console
    # of every page. Playwright's request routing keeps Chromium from asking for it, so
    # the test asks.
    icon = page.evaluate(ICON)
    assert icon.startswith(tab.base_url), icon
    response = page.request.get(icon)
    assert response.status == 200, f"{icon}: HTTP {response.status}"
