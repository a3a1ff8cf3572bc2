"""The pages' links to Python's, pytest's, pytest-asyncio's and aiohttp's documentation
come from inventories committed in docs/_inventories/: conf.py reads no other, and a build
with them (and no network) links an API name of a page to its entry on the site."""

from __future__ import annotations

import runpy
import subprocess
import tomllib
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from html_tree import parse_html
from sphinx.testing.util import SphinxTestApp

ROOT = Path(__file__).resolve().parents[2]
INVENTORIES = ROOT / "docs" / "_inventories"

pytest_plugins = ("sphinx.testing.fixtures",)


@pytest.fixture(scope="module")
def conf() -> dict[str, Any]:
    return runpy.run_path(str(ROOT / "conf.py"))


def _committed(path: Path) -> bool:
    listed = subprocess.run(
        ["git", "ls-files", "--error-unmatch", str(path.relative_to(ROOT))],
        cwd=ROOT,
        capture_output=True,
    )
    return listed.returncode == 0


def test_intersphinx_reads_only_committed_inventories(conf: dict[str, Any]) -> None:
    sites = tomllib.loads((INVENTORIES / "sites.toml").read_text(encoding="utf-8"))
    mapping = conf["intersphinx_mapping"]
    assert {name: url for name, (url, _) in mapping.items()} == sites
    for name, (url, location) in mapping.items():
        assert url.startswith("https://") and url.endswith("/"), name
        # one local file each: never None (the site's own objects.inv) or an address
        assert isinstance(location, str), f"{name}: {location!r} is not one local file"
        path = Path(location)
        assert path.parent == INVENTORIES, f"{name}: {path} is not in docs/_inventories/"
        assert path.read_bytes().startswith(b"# Sphinx inventory version 2\n"), name
        assert _committed(path), f"{name}: {path} is not committed"


PAGE = """\
# Links out

Await an {py:class}`~unittest.mock.AsyncMock`, close a {py:class}`aiohttp.ClientSession`,
mark with [`@pytest.mark.asyncio`](inv:pytest-asyncio:std:label#reference/markers/asyncio),
run with {py:func}`asyncio.run() <asyncio.run>` and patch with {py:func}`~unittest.mock.patch`.
"""


def _build(
    tmp_path: Path, make_app: Callable[..., SphinxTestApp], conf: dict[str, Any], page: str
) -> SphinxTestApp:
    """A site of one page, with conf.py's intersphinx settings, built with -W -n."""
    docs = tmp_path / "docs"
    docs.mkdir()
    names = ("intersphinx_mapping", "intersphinx_disabled_reftypes", "add_function_parentheses")
    settings = "".join(f"{name} = {conf[name]!r}\n" for name in names)
    (docs / "conf.py").write_text(
        'extensions = ["myst_parser", "sphinx.ext.intersphinx"]\nnitpicky = True\n' + settings,
        encoding="utf-8",
    )
    (docs / "index.md").write_text(page, encoding="utf-8")
    app = make_app("html", srcdir=docs, builddir=tmp_path / "_build", warningiserror=True)
    app.build()
    return app


def test_an_api_name_links_to_its_entry_offline(
    tmp_path: Path, make_app: Callable[..., SphinxTestApp], conf: dict[str, Any]
) -> None:
    # pytest-socket (tests/pytest.ini) lets the build reach nothing but this machine
    app = _build(tmp_path, make_app, conf, PAGE)

    assert app.statuscode == 0, app.warning.getvalue()
    assert app.warning.getvalue() == ""
    page = parse_html(tmp_path / "_build" / "html" / "index.html")
    links = {
        a.text: a.attrs["href"] for a in page.find("a") if "external" in a.attrs.get("class", "")
    }
    assert links == {
        "AsyncMock": "https://docs.python.org/3/library/unittest.mock.html#unittest.mock.AsyncMock",
        "aiohttp.ClientSession": (
            "https://docs.aiohttp.org/en/stable/client_reference.html#aiohttp.ClientSession"
        ),
        "@pytest.mark.asyncio": (
            "https://pytest-asyncio.readthedocs.io/en/stable/reference/markers/index.html"
            "#reference-markers-asyncio"
        ),
        # as the page writes it: the parentheses where it has them, none where it has not
        "asyncio.run()": "https://docs.python.org/3/library/asyncio-runner.html#asyncio.run",
        "patch": "https://docs.python.org/3/library/unittest.mock.html#unittest.mock.patch",
    }


@pytest.mark.parametrize(
    ("role", "warning"),
    [
        ("{py:class}`unittest.mock.NoSuchMock`", "reference target not found"),  # no inventory's
        # a label of pytest's, not named as pytest's: a mistyped label of ours would be this
        ("{ref}`pytest.fixture-api`", "undefined label: 'pytest.fixture-api'"),
    ],
    ids=["unknown-name", "unnamed-label"],
)
def test_a_reference_nothing_resolves_fails_the_build(
    tmp_path: Path,
    make_app: Callable[..., SphinxTestApp],
    conf: dict[str, Any],
    role: str,
    warning: str,
) -> None:
    app = _build(tmp_path, make_app, conf, f"# Links out\n\nSee {role}.\n")

    assert app.statuscode != 0
    assert warning in app.warning.getvalue()
