"""Which errors the generated index and version matrix list, read from the pages."""

from __future__ import annotations

from verified_blocks.sphinx.catalog import errors_shown
from verified_blocks.pages import read_page

SESSION = """\
# How to read a mock's calls

## Awaits

```{example} calls.pycon
>>> from unittest.mock import AsyncMock
>>> failing = AsyncMock(side_effect=ConnectionError("refused"))
>>> await failing()
Traceback (most recent call last):
  ...
ConnectionError: refused
>>> failing.assert_not_awaited()
Traceback (most recent call last):
  ...
AssertionError: Expected mock to not have been awaited. Awaited 1 times.
>>> await failing()
Traceback (most recent call last):
  ...
ConnectionError: refused
```
"""


def test_every_traceback_of_a_session_is_an_error_it_shows_once(tmp_path):
    page = "docs/how-to/calls.md"
    (tmp_path / "docs" / "how-to").mkdir(parents=True)
    (tmp_path / page).write_text(SESSION, encoding="utf-8")

    shown = errors_shown(tmp_path, {page: read_page(tmp_path / page, page)})

    assert [s.messages.base for s in shown] == [
        "ConnectionError: refused",
        "AssertionError: Expected mock to not have been awaited. Awaited 1 times.",
    ]
    assert {(s.title, s.section) for s in shown} == {("How to read a mock's calls", "Awaits")}


def test_a_session_without_a_traceback_shows_no_error(tmp_path):
    page = "docs/how-to/calls.md"
    (tmp_path / "docs" / "how-to").mkdir(parents=True)
    quiet = SESSION[: SESSION.index(">>> await failing()")] + "```\n"
    (tmp_path / page).write_text(quiet.replace("failing = ", "ok = "), encoding="utf-8")

    assert errors_shown(tmp_path, {page: read_page(tmp_path / page, page)}) == []
