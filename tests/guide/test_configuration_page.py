"""The configuration page shows the pytest.ini every example runs under: it is its source."""

from __future__ import annotations

from pathlib import Path

from verified_blocks import extract
from verified_blocks.pages import read_page

ROOT = Path(__file__).resolve().parents[2]


def test_the_examples_run_under_the_pytest_ini_the_page_shows():
    page = extract.CONFIGURATION
    (shown,) = [b for b in read_page(ROOT / page, page) if b.file == "pytest.ini"]
    generated = (ROOT / "examples" / "pytest.ini").read_text(encoding="utf-8")
    assert generated == extract.PYTEST_INI_HEADER + shown.code
