"""Version tabs switch, every tab set of a page follows, and the choice carries over to
the next page that offers the same versions (sphinx-design's synced tabs)."""

from __future__ import annotations

from collections.abc import Callable

from playwright.sync_api import expect

from conftest import Tab

PAGE = "troubleshooting/magicmock-cant-be-used-in-await.html"
OLD = "object MagicMock can't be used in 'await' expression"
NEW = "'MagicMock' object can't be awaited"
OLD_DICT = "object dict can't be used in 'await' expression"
NEW_DICT = "'dict' object can't be awaited"


def test_version_tabs_switch_together(new_tab: Callable[..., Tab]) -> None:
    tab = new_tab()
    page = tab.open(PAGE)

    def shown(text: str):
        return page.locator(".sd-tab-content pre", has_text=text)

    expect(shown(OLD)).to_be_visible()
    expect(shown(NEW)).to_be_hidden()
    expect(shown(OLD_DICT)).to_be_visible()
    expect(shown(NEW_DICT)).to_be_hidden()

    page.locator(".sd-tab-label", has_text="Python 3.14+").first.click()

    expect(shown(NEW)).to_be_visible()
    expect(shown(OLD)).to_be_hidden()
    # the other tab set on the page follows
    expect(shown(NEW_DICT)).to_be_visible()
    expect(shown(OLD_DICT)).to_be_hidden()

    # and so does every tab set of the next page that has a "Python 3.14+" tab
    page = tab.open("how-to/mock-aiohttp-client-session.html")
    label = page.locator("label.sd-tab-label", has_text="Python 3.14+")
    sets = page.locator(".sd-tab-set", has=label)
    assert sets.count() >= 2  # the page's two mistakes, each shown per version
    chosen = sets.locator("input:checked + label.sd-tab-label")
    expect(chosen).to_have_text(["Python 3.14+"] * sets.count())
    tab.assert_clean()
