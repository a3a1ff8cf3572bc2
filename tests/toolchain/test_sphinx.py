"""The Sphinx extension renders what ran, and refuses what did not."""

from __future__ import annotations

import contextlib
import html
import json
import re
from pathlib import Path

from sphinx.cmd.build import build_main

CONF = """
extensions = ["myst_parser", "sphinx_design", "verified_blocks.sphinx"]
verified_blocks_root = {root!r}
exclude_patterns = ["_build"]
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


def build(root: Path, page: str) -> tuple[int, str, str]:
    docs = root / "docs"
    docs.mkdir(parents=True)
    (root / "conf.py").write_text(CONF.format(root=str(root)))
    (docs / "index.md").write_text(page)
    out = root / "_build" / "html"
    warnings = root / "warnings.txt"
    code = build_main(
        ["-q", "-W", "-n", "-b", "html", "-c", str(root), str(docs), str(out), "-w", str(warnings)]
    )
    page_html = (out / "index.html").read_text() if (out / "index.html").exists() else ""
    text = html.unescape(re.sub(r"<[^>]+>", "", page_html))  # what a reader sees
    return code, warnings.read_text(), text


def test_plain_python_fence_fails_the_build_at_its_line(tmp_path):
    code, warnings, _ = build(tmp_path, "# How to\n\ntext\n\n```python\nprint(1)\n```\n")
    assert code != 0
    assert "docs/index.md:5" in warnings
    assert "plain ```python fence" in warnings


def test_block_renders_caption_versions_and_honest_badge(tmp_path):
    code, warnings, text = build(tmp_path, PAGE)
    assert code == 0, warnings
    assert "await_demo.py" in text
    assert "Python 3.10–3.13" in text and "Python 3.14+" in text
    assert "TypeError: object MagicMock can't be used in 'await' expression" in text
    assert "TypeError: 'MagicMock' object can't be awaited" in text
    assert "Not verified in this build" in text


def test_badge_reads_the_examples_report(tmp_path):
    from verified_blocks.pages import read_page
    from verified_blocks.spec import fingerprint

    (tmp_path / "docs").mkdir(parents=True)
    (tmp_path / "docs" / "index.md").write_text(PAGE)
    (block,) = read_page(tmp_path / "docs" / "index.md", "docs/index.md")
    reports = tmp_path / "_build" / "reports"
    reports.mkdir(parents=True)
    for version in ("3.10", "3.11", "3.12", "3.13", "3.14", "3.15"):
        record = {"page": "docs/index.md", "line": 3, "fingerprint": fingerprint(block)}
        record["outcome"] = "passed"
        (reports / f"{version}.json").write_text(
            json.dumps({"python": version, "blocks": [record]})
        )
    (tmp_path / "docs" / "index.md").unlink()
    (tmp_path / "docs").rmdir()

    code, warnings, text = build(tmp_path, PAGE)

    assert code == 0, warnings
    assert "Fails as shown on Python 3.10–3.15." in text


TABLES = (
    PAGE + "\n## Tables\n\n```{verified-errors} matrix\n```\n\n```{verified-errors} index\n```\n"
)


def _reports(root: Path, page: str, outcome_314: str) -> None:
    """Reports for every Python; 3.14 printed something else when ``outcome_314`` fails."""
    from verified_blocks.pages import read_page
    from verified_blocks.spec import fingerprint

    scratch = root / "scratch.md"
    scratch.parent.mkdir(parents=True, exist_ok=True)
    scratch.write_text(page)
    (block, *_) = read_page(scratch, "docs/index.md")
    scratch.unlink()
    reports = root / "_build" / "reports"
    reports.mkdir(parents=True)
    for version in ("3.10", "3.11", "3.12", "3.13", "3.14", "3.15"):
        record = {"page": "docs/index.md", "line": 3, "fingerprint": fingerprint(block)}
        record["outcome"] = outcome_314 if version == "3.14" else "passed"
        record["observed"] = (
            "TypeError: something else"
            if record["outcome"] == "failed"
            else block.raises.at(version)
        )
        (reports / f"{version}.json").write_text(
            json.dumps({"python": version, "blocks": [record]})
        )


def test_generated_tables_without_a_report_say_so(tmp_path):
    code, warnings, text = build(tmp_path, TABLES)

    assert code == 0, warnings
    page_html = (tmp_path / "_build" / "html" / "index.html").read_text()
    assert 'href="#example-line-3"' in page_html  # each row links the block
    assert text.count("not verified in this build") == 2  # matrix: one row per wording
    assert "How to await a mock" in text


def test_version_matrix_shows_what_each_python_printed(tmp_path):
    _reports(tmp_path, TABLES, outcome_314="failed")

    code, warnings, text = build(tmp_path, TABLES)

    assert code == 0, warnings
    matrix = text[text.index("Message printed") : text.index("Message\n")]
    assert "3.10–3.13TypeError: object MagicMock can't be used in 'await' expressionverified" in (
        matrix.replace("\n", "")
    )
    assert "3.14TypeError: something elsediffers from the page" in matrix.replace("\n", "")
    assert "3.15TypeError: 'MagicMock' object can't be awaitedverified" in matrix.replace("\n", "")


def test_generated_tables_are_read_again_only_when_an_error_shown_changes(tmp_path, monkeypatch):
    """Touching a page leaves the tables alone; changing the error it shows redoes them."""
    # Sphinx prints one "reading sources" line per page unless it thinks it writes to a
    # colour terminal (CI=true counts as one): then it redraws a single line.
    monkeypatch.setenv("NO_COLOR", "1")
    docs = tmp_path / "docs"
    build(tmp_path, "# Guide\n\n```{toctree}\nawait\ntables\n```\n")  # conf.py, index.md
    (docs / "await.md").write_text(PAGE)
    (docs / "tables.md").write_text("# Tables\n\n```{verified-errors} index\n```\n")
    out = tmp_path / "_build" / "html"

    def rebuild() -> tuple[list[str], str]:
        """The pages this build read, and what the index table says."""
        log = tmp_path / "log.txt"
        argv = ["-b", "html", "-W", "-n", "-c", str(tmp_path), str(docs), str(out)]
        with log.open("w") as stream, contextlib.redirect_stdout(stream):
            assert build_main(argv) == 0
        text = log.read_text()
        read = re.findall(r"reading sources\.\.\. \[\s*\d+%\] (\S+)", text)
        table = html.unescape(re.sub(r"<[^>]+>", "", (out / "tables.html").read_text()))
        return read, table

    read, table = rebuild()
    assert "tables" in read and "can't be used in 'await' expression" in table

    (docs / "await.md").write_text(PAGE + "\nA sentence more.\n")
    read, _ = rebuild()
    assert read == ["await"]

    (docs / "await.md").write_text(PAGE.replace("can't be used in", "cannot be used in"))
    read, table = rebuild()
    assert "tables" in read and "cannot be used in 'await' expression" in table


def test_a_troubleshooting_entry_indexes_its_error_in_every_wording(tmp_path):
    """Sphinx's search puts main index entries first: each wording leads to the entry."""
    build(tmp_path, "# Guide\n\n```{toctree}\ntroubleshooting/await\n```\n")  # conf.py
    entry = tmp_path / "docs" / "troubleshooting" / "await.md"
    entry.parent.mkdir()
    entry.write_text(PAGE)
    out = tmp_path / "_build" / "html"
    argv = ["-q", "-W", "-n", "-b", "html", "-c", str(tmp_path), str(tmp_path / "docs"), str(out)]
    assert build_main(argv) == 0

    index = html.unescape((out / "genindex.html").read_text())
    for wording in (
        "TypeError: object MagicMock can't be used in 'await' expression",
        "TypeError: 'MagicMock' object can't be awaited",
    ):
        assert re.search(
            rf'href="troubleshooting/await.html#example-line-3"><strong>{re.escape(wording)}', index
        ), wording

    # Search uses searchindex.js: the entries must stay there when a later build does not
    # write the page again (Sphinx itself would drop them).
    (tmp_path / "docs" / "index.md").write_text(
        "# Guide, again\n\n```{toctree}\ntroubleshooting/await\n```\n"
    )
    assert build_main(argv) == 0
    search = (out / "searchindex.js").read_text()
    entries = json.loads(search[search.index("(") + 1 : search.rindex(")")])["indexentries"]
    assert {
        "typeerror: object magicmock can't be used in 'await' expression",
        "typeerror: 'magicmock' object can't be awaited",
    } <= set(entries)
