"""The Sphinx extension renders what ran, and refuses what did not.

Sites are built with Sphinx's own test application (``sphinx.testing``); what a page says is
read from its doctree, or from the written HTML parsed with the standard library's parser.
"""

from __future__ import annotations

import io
import json
import zipfile
from collections.abc import Callable
from pathlib import Path

import pytest
from docutils import nodes
from html_tree import Element, parse_html
from sphinx.testing.util import SphinxTestApp, _clean_up_global_state
from sphinx.util.console import strip_colors

from verified_blocks.pages import MYST_EXTENSIONS, read_page
from verified_blocks.spec import fingerprint
from verified_blocks.sphinx.domain import verified_domain
from verified_blocks.sphinx.publish import NotPublishable

pytest_plugins = ("sphinx.testing.fixtures",)

CONF = """
extensions = ["myst_parser", "sphinx_design", "verified_blocks.sphinx"]
myst_enable_extensions = {extensions!r}
verified_blocks_root = {root!r}
exclude_patterns = ["_build"]
nitpicky = True
"""

PAGE = """\
# How to await a mock

```{example} await_demo.py
:raises: TypeError: object MagicMock can't be used in 'await' expression
:raises-3.14: TypeError: 'MagicMock' object can't be awaited

import asyncio
from unittest.mock import MagicMock

asyncio.run(MagicMock()())
```
"""
BEFORE_314 = "TypeError: object MagicMock can't be used in 'await' expression"
SINCE_314 = "TypeError: 'MagicMock' object can't be awaited"
PYTHONS = ("3.10", "3.11", "3.12", "3.13", "3.14", "3.15")


class Site:
    """A repository whose pages (and conf.py) are in docs/, built into _build/."""

    def __init__(self, root: Path, make_app: Callable[..., SphinxTestApp]) -> None:
        self.root, self.docs, self._make_app = root, root / "docs", make_app
        self.read: list[str] = []  #: the documents the last build read
        self.warnings = io.StringIO()  #: what the last build warned of
        self._app: SphinxTestApp | None = None
        self.docs.mkdir(parents=True, exist_ok=True)
        conf = CONF.format(extensions=MYST_EXTENSIONS, root=str(root))
        (self.docs / "conf.py").write_text(conf, encoding="utf-8")

    def page(self, name: str, text: str) -> None:
        path = self.docs / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")

    def build(self, *, parallel: int = 0, publish: bool = False) -> SphinxTestApp:
        """Build the site as `nox -s docs` does (-W): incrementally, after the first time;
        as `nox -s publish` does with ``publish`` (what it logs is in :attr:`warnings`)."""
        self.warnings = io.StringIO()
        if self._app is not None:  # a new Sphinx, as a new `sphinx-build` is: docutils' registry
            self._app.cleanup()  # of directives and roles is global, and would warn
        app = self._app = self._make_app(
            "html",
            srcdir=self.docs,
            builddir=self.root / "_build",
            warningiserror=True,
            parallel=parallel,
            confoverrides={"verified_blocks_publish": publish},
            warning=self.warnings,
        )
        self.read = []
        app.connect("env-before-read-docs", lambda _app, _env, docnames: self.read.extend(docnames))
        app.build()
        return app

    def html(self, page: str) -> Element:
        return parse_html(self.root / "_build" / "html" / page)

    def reports(
        self,
        page: str,
        outcome_314: str = "passed",
        pythons: tuple[str, ...] = PYTHONS,
        provenance: dict[str, dict[str, object]] | None = None,
    ) -> None:
        """Reports of the first block of ``page`` (as docs/index.md) on each of ``pythons``;
        on 3.14 it printed something else when ``outcome_314`` is "failed". A report says
        what verified it when ``provenance`` has its Python."""
        scratch = self.root / "scratch.md"
        scratch.write_text(page, encoding="utf-8")
        (block, *_) = read_page(scratch, "docs/index.md")
        scratch.unlink()
        assert block.raises is not None
        reports = self.root / "_build" / "reports"
        reports.mkdir(parents=True, exist_ok=True)
        for version in pythons:
            outcome = outcome_314 if version == "3.14" else "passed"
            observed = "TypeError: something else" if outcome == "failed" else None
            record = {
                "page": "docs/index.md",
                "line": block.line,
                "fingerprint": fingerprint(block),
                "outcome": outcome,
                "observed": observed or block.raises.at(version),
            }
            ran_with = (provenance or {}).get(version, {})
            report = {"python": version, **ran_with, "blocks": [record]}
            (reports / f"{version}.json").write_text(json.dumps(report), encoding="utf-8")


@pytest.fixture
def site(tmp_path: Path, make_app: Callable[..., SphinxTestApp]) -> Site:
    return Site(tmp_path, make_app)


def _succeeded(app: SphinxTestApp) -> None:
    assert app.statuscode == 0 and app.warning.getvalue() == "", app.warning.getvalue()


# ---- what a doctree says ------------------------------------------------------------------


def _with_class(tree: nodes.Node, cls: str) -> list[nodes.Element]:
    return [n for n in tree.findall(nodes.Element) if cls in n["classes"]]


def _example(app: SphinxTestApp, docname: str = "index") -> nodes.Element:
    (block,) = _with_class(app.env.get_doctree(docname), "verified-example")
    return block


def _badge(example: nodes.Element) -> str:
    (badge,) = _with_class(example, "verified-badge")
    return badge.astext()


def _rows(app: SphinxTestApp, docname: str, kind: str) -> list[list[str]]:
    """The text of each cell of each body row of the generated table ``kind``."""
    (table,) = _with_class(app.env.get_doctree(docname), f"verified-{kind}")
    (body,) = table.findall(nodes.tbody)
    return [[entry.astext() for entry in row.findall(nodes.entry)] for row in body.children]


# ---- the tests ----------------------------------------------------------------------------


def test_plain_python_fence_fails_the_build_at_its_line(site):
    site.page("index.md", "# How to\n\ntext\n\n```python\nprint(1)\n```\n")

    app = site.build()

    assert app.statuscode != 0
    warnings = app.warning.getvalue()
    assert "docs/index.md:5" in warnings
    assert "plain ```python fence" in warnings


def test_block_renders_caption_versions_and_honest_badge(site):
    site.page("index.md", PAGE)

    app = site.build()

    _succeeded(app)
    example = _example(app)
    assert [c.astext() for c in example.findall(nodes.caption)] == ["await_demo.py"]
    (tab_set,) = _with_class(example, "sd-tab-set")
    tabs = {}
    for tab in _with_class(tab_set, "sd-tab-item"):
        (label,) = _with_class(tab, "sd-tab-label")
        (content,) = _with_class(tab, "sd-tab-content")
        tabs[label.astext()] = content.astext().splitlines()[-1]  # the traceback's last line
    assert tabs == {"Python 3.10–3.13": BEFORE_314, "Python 3.14+": SINCE_314}
    assert _badge(example).startswith("Not verified in this build")


def test_badge_reads_the_examples_report(site):
    site.reports(PAGE)
    site.page("index.md", PAGE)

    app = site.build()

    _succeeded(app)
    assert _badge(_example(app)) == "Fails as shown on Python 3.10–3.15."


def test_a_new_report_updates_the_badge_of_a_page_that_did_not_change(site):
    site.page("index.md", PAGE)
    assert _badge(_example(site.build())).startswith("Not verified in this build")

    site.reports(PAGE)
    app = site.build()

    _succeeded(app)
    assert _badge(_example(app)) == "Fails as shown on Python 3.10–3.15."


def test_a_report_that_changed_one_pages_records_makes_only_that_page_read_again(site):
    """As the live preview's run of one page does; a new provenance would read every page."""
    site.reports(PAGE)
    site.page("index.md", PAGE)
    site.page("other.md", "---\norphan: true\n---\n" + PAGE)
    site.build()

    site.reports(PAGE, outcome_314="failed")
    app = site.build()

    assert site.read == ["index"]
    assert _badge(_example(app)).startswith("Did not behave as shown on Python 3.14.")


TABLES = (
    PAGE + "\n## Tables\n\n```{verified-errors} matrix\n```\n\n```{verified-errors} index\n```\n"
)


def test_generated_tables_without_a_report_say_so(site):
    site.page("index.md", TABLES)

    app = site.build()

    _succeeded(app)
    assert _rows(app, "index", "matrix") == [
        ["How to await a mock", "3.10–3.13", BEFORE_314, "not verified in this build"],
        ["", "3.14–3.15", SINCE_314, "not verified in this build"],
    ]
    page = site.html("index.html")
    for kind in ("matrix", "index"):  # each row links the block
        (table,) = page.with_class(f"verified-{kind}")
        links = table.find("a", href="#example-line-3")
        assert links and {a.text for a in links} == {"How to await a mock"}


def test_version_matrix_shows_what_each_python_printed(site):
    site.reports(TABLES, outcome_314="failed")
    site.page("index.md", TABLES)

    app = site.build()

    _succeeded(app)
    assert [row[1:] for row in _rows(app, "index", "matrix")] == [
        ["3.10–3.13", BEFORE_314, "verified"],
        ["3.14", "TypeError: something else", "differs from the page"],
        ["3.15", SINCE_314, "verified"],
    ]


PROVENANCE = PAGE + "\n## What verified this build\n\n```{verified-provenance}\n```\n"
COMMIT = "0123456789abcdef0123456789abcdef01234567"


def _ran_with(full_version: str, *, dirty: bool = False) -> dict[str, object]:
    """A report's provenance, as blocks_report.provenance writes it."""
    return {
        "implementation": "CPython",
        "full_version": full_version,
        "packages": {"pytest": "9.2.0", "pytest-asyncio": "1.5.0", "aiohttp": "3.14.5"},
        "commit": COMMIT,
        "dirty": dirty,
        "date": "2026-12-01T09:15:42Z",
    }


def _badge_line(page: Element) -> Element:
    (line,) = page.with_class("verified-badge-provenance")
    return line


def test_provenance_table_and_badge_line_say_what_verified_the_reports(site):
    """Exact Pythons, packages, short commit ("+ local changes"), date; a Python without a
    report is not verified; the badge's line names the Pythons the block ran on."""
    ran_with = {
        "3.10": _ran_with("3.10.16"),
        "3.11": _ran_with("3.11.11"),
        "3.15": _ran_with("3.15.0a2", dirty=True),
    }
    site.reports(PROVENANCE, pythons=("3.10", "3.11", "3.15"), provenance=ran_with)
    site.page("index.md", PROVENANCE)

    app = site.build()

    _succeeded(app)
    packages = ["9.2.0", "1.5.0", "3.14.5"]
    missing = ["not verified in this build", "", "", "", "", ""]
    assert _rows(app, "index", "provenance") == [
        ["3.10", "CPython 3.10.16", *packages, "0123456", "2026-12-01 09:15 UTC"],
        ["3.11", "CPython 3.11.11", *packages, "0123456", "2026-12-01 09:15 UTC"],
        ["3.12", *missing],
        ["3.13", *missing],
        ["3.14", *missing],
        ["3.15", "CPython 3.15.0a2", *packages, "0123456 + local changes", "2026-12-01 09:15 UTC"],
    ]
    page = site.html("index.html")
    line = _badge_line(page)
    assert line.text == (
        "CPython 3.10.16, 3.11.11, 3.15.0a2 · pytest 9.2.0, pytest-asyncio 1.5.0, "
        "aiohttp 3.14.5 · commit 0123456, 0123456 + local changes · 2026-12-01"
    )
    (link,) = line.find("a")
    assert link.attrs["href"] == "#verified-provenance"
    (table,) = page.find("div", id="verified-provenance")
    assert "verified-provenance" in table.attrs["class"].split()


def test_badge_line_is_plain_text_in_a_site_without_the_table(site):
    """No warning (nitpicky, -W) and no link where no page has the provenance table; a
    report written before provenance adds no line."""
    site.reports(PAGE, pythons=("3.13",), provenance={"3.13": _ran_with("3.13.1")})
    site.page("index.md", PAGE)

    app = site.build()

    _succeeded(app)
    line = _badge_line(site.html("index.html"))
    assert line.text.startswith("CPython 3.13.1 · pytest 9.2.0") and line.find("a") == []

    site.reports(PAGE, pythons=("3.13",))  # the same blocks: only the provenance changed
    app = site.build()
    _succeeded(app)
    assert site.html("index.html").with_class("verified-badge-provenance") == []
    assert _badge(_example(app)).startswith("Fails as shown on Python 3.13 (not run on")


# ---- publishing --------------------------------------------------------------------------


def _refused(site: Site) -> list[str]:
    """The errors a publish build of ``site`` stops with (it must stop)."""
    with pytest.raises(NotPublishable) as refused:
        site.build(publish=True)
    # Sphinx's test application cleans up after an Exception, and this is a SystemExit
    _clean_up_global_state()
    assert str(refused.value).startswith("this build cannot be published (")
    assert "`nox -s examples`, then `nox -s publish`" in str(refused.value)
    errors = strip_colors(site.warnings.getvalue()).splitlines()
    count = int(str(refused.value).split("(", 1)[1].split()[0])
    assert len(errors) == count, errors
    assert all(e.endswith(" [verified.publish]") for e in errors)
    return [e.replace(str(site.docs), "docs").removesuffix(" [verified.publish]") for e in errors]


def test_a_publish_build_names_each_python_without_a_report(site):
    site.reports(PAGE, pythons=("3.10", "3.11", "3.12", "3.13"))
    site.page("index.md", PAGE)

    assert _refused(site) == [
        "ERROR: no examples report for Python 3.14 (_build/reports/3.14.json): "
        "run `nox -s examples-3.14`",
        "ERROR: no examples report for Python 3.15 (_build/reports/3.15.json): "
        "run `nox -s examples-3.15`",
    ]
    # a preview of the same pages is built, and says what is not verified
    assert _badge(_example(site.build())) == (
        "Fails as shown on Python 3.10–3.13 (not run on 3.14–3.15)."
    )


def test_a_publish_build_names_each_block_changed_since_the_examples_ran(site):
    site.reports(PAGE)
    site.page("index.md", PAGE.replace("asyncio.run(MagicMock()())", "asyncio.run(MagicMock()(1))"))

    assert _refused(site) == [
        "docs/index.md:3: ERROR: the badge would say: Not verified in this build "
        "(no examples report for this block)."
    ]


def test_a_publish_build_names_each_block_that_did_not_behave_as_shown(site):
    site.reports(PAGE, outcome_314="failed")
    site.page("index.md", TABLES)  # and a table that shows what 3.14 printed

    assert _refused(site) == [
        "docs/index.md:3: ERROR: the badge would say: Did not behave as shown on Python 3.14."
        " On 3.14: TypeError: something else."
    ]


def test_a_publish_build_names_every_block_of_every_page(site):
    site.reports(PAGE)  # a report of every Python, none of these blocks
    blocks = "".join(f"```{{example}} m{n}.py\nx = {n}\n```\n\n" for n in range(3))
    site.page("index.md", PAGE + "\n```{toctree}\nmore\n```\n")
    site.page("more.md", "# How to count\n\n" + blocks)

    assert [e.split(": ERROR")[0] for e in _refused(site)] == [
        "docs/more.md:3",
        "docs/more.md:7",
        "docs/more.md:11",
    ]


def test_a_publish_build_of_verified_pages_is_the_preview(site):
    site.reports(PAGE)
    site.page("index.md", PAGE)

    app = site.build(publish=True)

    _succeeded(app)
    assert _badge(_example(app)) == "Fails as shown on Python 3.10–3.15."


def _index(app: SphinxTestApp) -> dict[str, str]:
    """The error index of the page "tables": message -> the pages that show it."""
    return {message: read for message, _python, read in _rows(app, "tables", "index")}


def test_generated_tables_are_read_again_only_when_an_error_shown_changes(site):
    """Touching a page leaves the tables alone; changing the error it shows redoes them."""
    site.page("index.md", "# Guide\n\n```{toctree}\nawait\ntables\n```\n")
    site.page("await.md", PAGE)
    site.page("tables.md", "# Tables\n\n```{verified-errors} index\n```\n")

    app = site.build()
    _succeeded(app)
    assert "tables" in site.read and BEFORE_314 in _index(app)

    site.page("await.md", PAGE + "\nA sentence more.\n")
    _succeeded(site.build())
    assert site.read == ["await"]

    site.page("await.md", PAGE.replace("can't be used in", "cannot be used in"))
    app = site.build()
    _succeeded(app)
    assert "tables" in site.read
    assert BEFORE_314.replace("can't", "cannot") in _index(app)


CLOSED = """\
# How to close a session

```{example} closed_demo.py
:raises: RuntimeError: Session is closed

raise RuntimeError("Session is closed")
```

```{example} install.console
:skip: installs packages from PyPI

$ pip install aiohttp
```
"""


@pytest.mark.parametrize("parallel", [0, 2], ids=["serial", "parallel"])
def test_a_rebuild_leaves_no_stale_entry_in_the_error_index(site, parallel):
    """After a page's error changed, or the page went, the index lists what the pages show
    now; a parallel build merges the documents its processes read."""
    site.page("index.md", "# Guide\n\n```{toctree}\nawait\nclosed\ntables\n```\n")
    site.page("await.md", PAGE)
    site.page("closed.md", CLOSED)
    site.page("tables.md", "# Tables\n\n```{verified-errors} index\n```\n")

    app = site.build(parallel=parallel)
    _succeeded(app)
    assert _index(app) == {
        BEFORE_314: "How to await a mock",
        SINCE_314: "How to await a mock",
        "RuntimeError: Session is closed": "How to close a session",
    }
    domain = verified_domain(app.env)
    assert (domain.pages, domain.generated) == ({"await", "closed"}, {"tables"})
    assert domain.skipped == {"closed": [("docs/closed.md:9", "installs packages from PyPI")]}
    assert "docs/closed.md:9: installs packages from PyPI" in app.status.getvalue()

    site.page("await.md", PAGE.replace("can't be used in", "cannot be used in"))
    app = site.build(parallel=parallel)
    _succeeded(app)
    assert set(_index(app)) == {
        BEFORE_314.replace("can't", "cannot"),
        SINCE_314,
        "RuntimeError: Session is closed",
    }

    (site.docs / "closed.md").unlink()
    site.page("index.md", "# Guide\n\n```{toctree}\nawait\ntables\n```\n")
    app = site.build(parallel=parallel)
    _succeeded(app)
    assert "tables" in site.read
    assert set(_index(app)) == {BEFORE_314.replace("can't", "cannot"), SINCE_314}
    assert "How to close a session" not in _index(app).values()
    domain = verified_domain(app.env)
    assert (domain.pages, domain.generated, domain.skipped) == ({"await"}, {"tables"}, {})


BAD = """\
# A page with a bad block

```{example} bad.py
:outcome: 1 passed

x = 1
```
"""


@pytest.mark.parametrize("parallel", [0, 2], ids=["serial", "parallel"])
def test_a_bad_block_fails_every_build_until_it_is_fixed(site, parallel):
    """Not only the build that reads the page: the environment keeps the error, and the
    page and the tables are read again, until the block is fixed."""
    site.page("index.md", "# Guide\n\n```{toctree}\nawait\nbad\ntables\n```\n")
    site.page("await.md", PAGE)
    site.page("bad.md", BAD)
    site.page("tables.md", "# Tables\n\n```{verified-errors} index\n```\n")

    for _ in range(2):  # the first build, then one with nothing changed
        app = site.build(parallel=parallel)
        assert app.statuscode != 0
        warnings = app.warning.getvalue()
        assert "docs/bad.md:4" in warnings and "no table until they are fixed" in warnings
    assert sorted(site.read) == ["bad", "tables"]  # not every page: the environment was kept

    site.page("bad.md", BAD.replace(":outcome: 1 passed\n", ""))
    app = site.build(parallel=parallel)
    _succeeded(app)
    assert "tables" in site.read


def test_a_troubleshooting_entry_indexes_its_error_in_every_wording(site):
    """Sphinx's search puts main index entries first: each wording leads to the entry."""
    site.page("index.md", "# Guide\n\n```{toctree}\ntroubleshooting/await\n```\n")
    site.page("troubleshooting/await.md", PAGE)

    _succeeded(site.build())

    genindex = site.html("genindex.html")
    links = genindex.find("a", href="troubleshooting/await.html#example-line-3")
    main = {strong.text for a in links for strong in a.find("strong")}
    assert {BEFORE_314, SINCE_314} <= main

    # Search uses searchindex.js: the entries must stay there when a later build does not
    # write the page again (Sphinx itself would drop them).
    site.page("index.md", "# Guide, again\n\n```{toctree}\ntroubleshooting/await\n```\n")
    _succeeded(site.build())
    assert site.read == ["index"]
    search = (site.root / "_build" / "html" / "searchindex.js").read_text(encoding="utf-8")
    entries = json.loads(search[search.index("(") + 1 : search.rindex(")")])["indexentries"]
    assert {BEFORE_314.lower(), SINCE_314.lower()} <= set(entries)


def test_a_page_with_examples_ends_with_its_download(repo, make_app):
    """The page's zip, the command that runs it, and the file that fails on purpose."""
    repo.page(
        "how-to/await.md",
        PAGE
        + "\n## Next\n\n```{example} test_ok.py\nasync def test_ok():\n    pass\n```\n"
        + "\nRead on.\n",
    )
    repo.extract()
    (repo.root / "requirements.txt").write_text("pytest\n", encoding="utf-8")
    site = Site(repo.root, make_app)
    site.page("index.md", "# Guide\n\n```{toctree}\nhow-to/await\nreference/configuration\n```\n")

    _succeeded(site.build())

    page = site.html("how-to/await.html")
    sections = [s.attrs["id"] for s in page.find("section")]
    assert sections[-2:] == ["run-this-page-s-examples", "next"]  # before "Next"
    (section,) = page.find("section", id="run-this-page-s-examples")
    (link, every) = section.with_class("external")
    assert (link.text, link.attrs["href"]) == (
        "await.zip",
        "../_downloads/examples/how_to/await.zip",
    )
    (command,) = section.with_class("highlight")
    assert command.text.splitlines() == [
        "$ cd await",
        "$ pip install -r requirements.txt",
        "$ pytest test_ok.py",
    ]
    paragraphs = section.find("p")
    assert "await_demo.py" in paragraphs[-2].text  # fails on purpose: not run
    assert paragraphs[-1].find("a") == [every]
    assert (every.text, every.attrs["href"]) == (
        "all-pages.zip",
        "../_downloads/examples/all-pages.zip",
    )
    archive = repo.root / "_build" / "html" / "_downloads" / "examples" / "how_to" / "await.zip"
    with zipfile.ZipFile(archive) as bundle:
        assert {"await/await_demo.py", "await/test_ok.py", "await/requirements.txt"} <= set(
            bundle.namelist()
        )
    every_page = archive.parent.parent / "all-pages.zip"
    with zipfile.ZipFile(every_page) as bundle:
        top = "async-testing-guide-examples/"
        assert {top + "how_to/await/test_ok.py", top + "run_all.py"} <= set(bundle.namelist())
