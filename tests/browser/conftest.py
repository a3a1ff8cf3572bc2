"""Fixtures for the browser tests: the built site over http, and Debian's Chromium.

The site is served from 127.0.0.1 by the tests themselves (search needs http, not
file://). Chromium is the system's (`apt-get install chromium`), driven by Playwright;
Playwright's own browser download is never used. Chromium resolves no host name but
127.0.0.1, and every request a page makes to another host is refused and reported, so a
page that would reach the internet fails its check instead of waiting for a network.
"""

from __future__ import annotations

import functools
import re
import os
import shutil
import threading
import time
from collections.abc import Callable, Iterator
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from playwright.sync_api import (
    Browser,
    ConsoleMessage,
    Page,
    Playwright,
    Request,
    Response,
    Route,
    sync_playwright,
)

ROOT = Path(__file__).resolve().parents[2]
#: Debian's real Chromium binary. /usr/bin/chromium is a shell script that adds the flags
#: of /etc/chromium.d (GPU rasterization, extensions to load) to whatever we pass.
DEBIAN_CHROMIUM = Path("/usr/lib/chromium/chromium")
CHROMIUM_ON_PATH = ["chromium", "chromium-browser", "google-chrome", "google-chrome-stable"]
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",  # as root, and in containers without user namespaces
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    # Offline: no first-run or sync requests, no proxy between Chromium and 127.0.0.1,
    # and every other host name fails at once instead of waiting on a network.
    "--no-first-run",
    "--disable-sync",
    "--no-proxy-server",
    "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1",
]
VIEWPORT = {"width": 1280, "height": 800}
#: A phone held upright (an iPhone 12 to 15's CSS pixels); screenshots at twice its scale.
PHONE = {"width": 390, "height": 844}
MODES = ["light", "dark"]
BACKGROUND = "() => getComputedStyle(document.body).backgroundColor"
#: What scrolls sideways but should not: the page itself, or a box of it (Furo's content
#: column scrolls rather than widen the page), each as tag.class, with the innermost
#: elements that stick out of it furthest, and their text. A code block, a table and a text field
#: may scroll: WCAG 1.4.10 exempts what needs two dimensions to be read.
SIDEWAYS = """() => {
    const name = (e) => e.tagName.toLowerCase() + [...e.classList].map((c) => "." + c).join("");
    const mayScroll = "pre, .table-wrapper, textarea";
    const wide = (e) => e.scrollWidth > e.clientWidth + 1;
    return [document.documentElement, ...document.querySelectorAll("body *")]
        .filter((e) => wide(e) && !e.matches(mayScroll))
        .filter((e) => e.matches(":root") || /auto|scroll/.test(getComputedStyle(e).overflowX))
        .map((box) => {
            const right = box.getBoundingClientRect().left + box.clientWidth;
            const past = (e) => Math.max(
                e.getBoundingClientRect().right - right, e.scrollWidth - e.clientWidth);
            const out = [...box.querySelectorAll("*")].filter((e) => !e.closest(mayScroll)
                && e.getBoundingClientRect().width > 1 && past(e) > 1);
            const what = out.filter((e) => !out.some((d) => d !== e && e.contains(d)))
                .sort((a, b) => past(b) - past(a)).slice(0, 3)
                .map((e) => `${name(e)} "${e.textContent.trim().slice(0, 50)}"`);
            return `${name(box)} (${what.join(", ") || "?"})`;
        });
}"""


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("browser", "browser tests over the built site")
    group.addoption(
        "--site",
        type=Path,
        default=ROOT / "_build" / "html",
        help="the built site to test (default: _build/html)",
    )
    group.addoption(
        "--screenshots",
        type=Path,
        default=ROOT / "_build" / "screenshots",
        help="where the screenshots go (default: _build/screenshots)",
    )
    group.addoption(
        "--chromium",
        default=os.environ.get("CHROMIUM"),
        help=f"the Chromium executable (default: $CHROMIUM, else {DEBIAN_CHROMIUM}, "
        "else chromium on PATH)",
    )


def pytest_configure(config: pytest.Config) -> None:
    site: Path = config.getoption("--site").resolve()
    if not (site / "index.html").is_file():
        raise pytest.UsageError(
            f"{site} holds no built site (no index.html): run `nox -s examples docs` first"
        )


def luminance(css_rgb: str) -> float:
    """Luminance of a CSS `rgb(...)` colour: white is 1, black 0."""
    red, green, blue = (int(c) for c in css_rgb[css_rgb.index("(") + 1 : -1].split(",")[:3])
    return (0.2126 * red + 0.7152 * green + 0.0722 * blue) / 255


def assert_shows_mode(page: Page, mode: str) -> None:
    """The theme shows `mode` ("light" or "dark"): a light or a dark background."""
    background = luminance(page.evaluate(BACKGROUND))
    dark_enough = (background < 0.3) if mode == "dark" else (background > 0.9)
    assert dark_enough, f"{mode} mode, yet the background's luminance is {background:.2f}"


class Site:
    """The built site: its folder and its pages (every .html file but the theme's)."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder.resolve()
        self.pages = sorted(
            path.relative_to(self.folder).as_posix()
            for path in self.folder.rglob("*.html")
            if not path.relative_to(self.folder).parts[0].startswith("_")
        )

    def html(self, page: str) -> str:
        return (self.folder / page).read_text(encoding="utf-8")

    @property
    def path(self) -> str:
        """Where the site is published on its host ("/", or "/repo/" on GitHub Pages): the
        path of its canonical address (conf.py's SITE_URL), which its 404 page's links use."""
        found = re.search(r'<link rel="canonical" href="([^"]+)"', self.html("index.html"))
        return urlsplit(found[1]).path.rsplit("/", 1)[0] + "/" if found else "/"

    def pages_with(self, text: str) -> list[str]:
        """The pages whose HTML contains `text`."""
        return [page for page in self.pages if text in self.html(page)]


def prompt_pages(site: Site) -> list[str]:
    """The pages that show `pycon` or `console` blocks."""
    return sorted({*site.pages_with("highlight-pycon"), *site.pages_with("highlight-console")})


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    """`page_path`: one test per page of the site; `prompt_page`: one per page that shows
    `pycon` or `console` blocks."""
    site = Site(metafunc.config.getoption("--site"))
    if "page_path" in metafunc.fixturenames:
        metafunc.parametrize("page_path", site.pages)
    if "prompt_page" in metafunc.fixturenames:
        metafunc.parametrize("prompt_page", prompt_pages(site))


@pytest.fixture(scope="session")
def site(pytestconfig: pytest.Config) -> Site:
    return Site(pytestconfig.getoption("--site"))


class _QuietHandler(SimpleHTTPRequestHandler):
    """Serves the site's folder at ``prefix``, as its host does; nothing outside it."""

    prefix = "/"

    def translate_path(self, path: str) -> str:
        if not path.startswith(self.prefix):
            return str(Path(self.directory) / "_not_the_site_")
        return super().translate_path("/" + path.removeprefix(self.prefix))

    def log_message(self, format: str, *args: object) -> None:  # noqa: A002 - stdlib's name
        pass


@pytest.fixture(scope="session")
def server(site: Site) -> Iterator[str]:
    """The site over http on a free port of 127.0.0.1, at the path it is published at;
    yields its base URL."""
    handler = functools.partial(
        type("Handler", (_QuietHandler,), {"prefix": site.path}), directory=str(site.folder)
    )
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{httpd.server_address[1]}{site.path}"
    finally:
        httpd.shutdown()
        httpd.server_close()
        thread.join()


def chromium_executable(given: str | None) -> str:
    """The Chromium to drive: `given`, else Debian's binary, else one on PATH."""
    if given:
        return given
    if os.access(DEBIAN_CHROMIUM, os.X_OK):
        return str(DEBIAN_CHROMIUM)
    found = next(filter(None, map(shutil.which, CHROMIUM_ON_PATH)), None)
    if not found:
        raise pytest.UsageError(
            "no Chromium found: install Debian's (`apt-get install chromium chromium-driver`, "
            "as .ci/run does) or pass --chromium=PATH"
        )
    return found


@pytest.fixture(scope="session")
def playwright() -> Iterator[Playwright]:
    with sync_playwright() as p:
        yield p


@pytest.fixture(scope="session")
def browser(playwright: Playwright, pytestconfig: pytest.Config) -> Iterator[Browser]:
    executable = chromium_executable(pytestconfig.getoption("--chromium"))
    browser = playwright.chromium.launch(
        executable_path=executable, args=CHROMIUM_ARGS, headless=True
    )
    yield browser
    browser.close()


class Tab:
    """A page in a fresh browser context, and everything that went wrong while it was open:
    console errors and warnings, uncaught exceptions, failed or refused requests, and
    responses with an HTTP error."""

    def __init__(
        self,
        browser: Browser,
        base_url: str,
        color_scheme: str,
        clipboard: bool,
        phone: bool = False,
    ):
        self.base_url = base_url
        self.problems: list[str] = []
        #: requests sent and not yet answered or failed
        self.pending: set[Request] = set()
        size = {"viewport": PHONE, "device_scale_factor": 2} if phone else {"viewport": VIEWPORT}
        self.context = browser.new_context(
            **size,
            is_mobile=phone,
            has_touch=phone,
            color_scheme=color_scheme,
            service_workers="block",
        )
        if clipboard:
            self.context.grant_permissions(
                ["clipboard-read", "clipboard-write"], origin=base_url.rstrip("/")
            )
        self.context.route("**/*", self._route)
        self.page = self.context.new_page()
        self.page.on("console", self._console)
        self.page.on("pageerror", lambda error: self.problems.append(f"page error: {error}"))
        self.page.on("request", lambda request: self.pending.add(request))
        self.page.on("requestfinished", lambda request: self.pending.discard(request))
        self.page.on("requestfailed", self._request_failed)
        self.page.on("response", self._response)

    def _route(self, route: Route) -> None:
        url = urlsplit(route.request.url)
        if url.scheme in ("data", "blob") or route.request.url.startswith(self.base_url):
            route.continue_()
        else:
            self.problems.append(f"tried to reach another host: {route.request.url}")
            route.abort("blockedbyclient")

    def _console(self, message: ConsoleMessage) -> None:
        if message.type in ("error", "warning"):
            where = message.location.get("url", "")
            self.problems.append(f"console {message.type}: {message.text} ({where})")

    def _request_failed(self, request: Request) -> None:
        self.pending.discard(request)
        # ERR_ABORTED: the tab went to another page before the answer came (the icon a
        # browser fetches after "load", say); the site answers everything it is asked
        # (_response reports an HTTP error, a refused host is blockedbyclient).
        if request.url.startswith(self.base_url) and request.failure != "net::ERR_ABORTED":
            self.problems.append(f"request failed: {request.url}: {request.failure}")

    def _response(self, response: Response) -> None:
        if response.status >= 400:
            self.problems.append(f"HTTP {response.status}: {response.url}")

    def settle(self, timeout: float = 10.0) -> None:
        """Wait until every request the page has sent is answered or has failed.

        Not Playwright's "networkidle", which waits half a second with no request after
        the last one, on every page, and still misses a request sent later than that.
        The site's own scripts run before "load"; what Sphinx's search fetches later
        (each result's summary), the tests of search wait for (test_search.results).
        """
        deadline = time.monotonic() + timeout
        while self.pending:
            if time.monotonic() > deadline:
                pending = ", ".join(sorted(r.url for r in self.pending))
                raise AssertionError(f"requests still unanswered after {timeout:g} s: {pending}")
            self.page.wait_for_timeout(10)  # lets Playwright deliver the page's events

    def assert_clean(self) -> None:
        """Fail with every problem seen so far, one a line, once every request sent has
        its answer."""
        self.settle()
        assert not self.problems, "\n".join(self.problems)

    def open(self, path: str) -> Page:
        """Load a page of the site: its "load" event, then every request it sent."""
        self.page.goto(self.base_url + path, wait_until="load")
        self.settle()
        return self.page


@pytest.fixture
def new_tab(browser: Browser, server: str) -> Iterator[Callable[..., Tab]]:
    """`new_tab(color_scheme="light", clipboard=False, phone=False)`: a tab on the served
    site, at 1280x800 or, with `phone`, as a phone's (PHONE, at twice the scale, touch)."""
    opened: list[Tab] = []

    def new(color_scheme: str = "light", clipboard: bool = False, phone: bool = False) -> Tab:
        opened.append(Tab(browser, server, color_scheme, clipboard, phone))
        return opened[-1]

    yield new
    for tab in opened:
        tab.context.close()


@pytest.fixture(scope="session")
def screenshots(pytestconfig: pytest.Config) -> Path:
    folder: Path = pytestconfig.getoption("--screenshots")
    folder.mkdir(parents=True, exist_ok=True)
    return folder
