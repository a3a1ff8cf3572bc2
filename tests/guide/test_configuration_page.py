"""The configuration page shows the pytest.ini every example runs under, line for line."""

from __future__ import annotations

from pathlib import Path

from verified_blocks import extract
from verified_blocks.pages import read_page

ROOT = Path(__file__).resolve().parents[2]
PAGE = "docs/reference/configuration.md"


def test_the_page_shows_the_generated_pytest_ini():
    (shown,) = [b for b in read_page(ROOT / PAGE, PAGE) if b.file == "pytest.ini"]
    generated = [line for line in extract.PYTEST_INI.splitlines() if not line.startswith("#")]
    assert shown.code.splitlines() == generated
