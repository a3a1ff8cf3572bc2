"""Every internal link of every page leads to a file of the site, and to an id in it.

Read from the HTML (no browser needed): every `href` and `src` that stays on the site
must name a file that exists, and its `#fragment` an element id of that file.
"""

from __future__ import annotations

import functools
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import unquote, urlsplit

from conftest import Site

#: attributes that point somewhere, per tag
LINKING = {
    "a": "href",
    "link": "href",
    "area": "href",
    "img": "src",
    "script": "src",
    "iframe": "src",
    "source": "src",
    "form": "action",
}


class _Page(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.links: list[tuple[int, str]] = []
        self.ids: set[str] = set()

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = dict(attrs)
        if values.get("id"):
            self.ids.add(values["id"])
        if tag == "a" and values.get("name"):
            self.ids.add(values["name"])
        target = values.get(LINKING.get(tag, ""))
        if target is not None:
            self.links.append((self.getpos()[0], target))


@functools.cache
def _parse(path: Path) -> _Page:
    parser = _Page()
    parser.feed(path.read_text(encoding="utf-8"))
    parser.close()
    return parser


def broken_links(site: Site, page: str) -> list[str]:
    """`page:line: link: why` for each internal link of `page` that leads nowhere."""
    source = site.folder / page
    broken = []
    for line, link in _parse(source).links:
        parts = urlsplit(link)
        if parts.scheme or parts.netloc:
            continue  # another site (or mailto:, javascript:): not ours to check offline
        if not parts.path:
            target = source  # "#fragment": this page
        elif parts.path.startswith("/"):  # rooted where the site is published
            if not parts.path.startswith(site.path):
                broken.append(f"{page}:{line}: {link}: outside the site's path {site.path}")
                continue
            target = site.folder / unquote(parts.path).removeprefix(site.path)
        else:
            target = source.parent / unquote(parts.path)
        if target.is_dir():
            target = target / "index.html"
        target = target.resolve()
        where = f"{page}:{line}: {link}"
        if not target.is_relative_to(site.folder):
            broken.append(f"{where}: leads out of the site")
        elif not target.is_file():
            broken.append(f"{where}: no such file {target.relative_to(site.folder)}")
        elif (
            parts.fragment
            and target.suffix == ".html"
            and unquote(parts.fragment) not in _parse(target).ids
        ):
            rel = target.relative_to(site.folder)
            broken.append(f"{where}: {rel} has no id {unquote(parts.fragment)!r}")
    return broken


def test_internal_links_lead_to_a_file_and_anchor(site: Site, page_path: str) -> None:
    broken = broken_links(site, page_path)
    assert not broken, "\n".join(broken)


def test_the_site_has_its_pages(site: Site) -> None:
    """The crawl covers the whole site: every page of docs/ was built and is checked."""
    docs = Path(__file__).resolve().parents[2] / "docs"
    sources = {
        path.relative_to(docs).with_suffix(".html").as_posix()
        for path in docs.rglob("*.md")
        if not path.relative_to(docs).parts[0].startswith("_")
    }
    assert sources - set(site.pages) == set()
