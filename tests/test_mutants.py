"""The mutation self-test: its faults land on the right page line, and weak tests show."""

from __future__ import annotations

import json

import pytest

from verified_blocks import mutants
from verified_blocks.pages import read_page
from verified_blocks.spec import Versioned

CODE = """
# How to fetch a status

```{example} status_fetch.py
async def fetch_status(session, url):
    response = await session.get(url)
    return response["status"]
```

```{example} test_status_fetch.py
from unittest.mock import AsyncMock

import pytest

from status_fetch import fetch_status


@pytest.mark.asyncio
async def test_fetch_status():
    session = AsyncMock()
    session.get.return_value = {"status": 200, "body": "ok"}
    assert await fetch_status(session, "https://status.example.test") == 200
```
"""

#: The same page with a test that cannot tell one field from another.
WEAK = CODE.replace("== 200", "is not None")

RAISES = """
# How to await a dict

```{example} await_a_dict.py
---
raises: "TypeError: 'dict' object can't be awaited"
raises-3.11: "TypeError: object dict can't be used in 'await' expression"
raises-3.14: "TypeError: 'dict' object can't be awaited"
---
import asyncio


async def main():
    await {}


asyncio.run(main())
```
"""


def ids(repo, page: str) -> list[str]:
    return [m.id for m in mutants.mutants_of(repo.root, page, read_page(repo.root / page, page))]


def by_id(report: mutants.Report) -> dict[str, str]:
    return {r.mutant.id: r.status for r in report.results}


def test_faults_are_named_by_page_line_and_operator(repo):
    page = repo.page("how-to/status.md", CODE)
    assert ids(repo, page) == [
        f"{page}:5 await: `await session.get(url)` → `session.get(url)`",
        f"{page}:6 wrong-field: return ['status'] → ['body']",
        f"{page}:19 mock-swap: AsyncMock → MagicMock",
        f'{page}:21 await: `await fetch_status(session, "https://status.example.test")` '
        '→ `fetch_status(session, "https://status.example.test")`',
        f"{page}:21 literal: 200 → 201",
    ]


def test_the_expected_error_is_faulted_where_it_is_written_for_this_python(repo):
    page = repo.page("how-to/await-dict.md", RAISES)
    if mutants.version_key(mutants.VERSION) >= (3, 14):
        line, key, old = 7, "raises-3.14", "TypeError: 'dict' object can't be awaited"
    else:
        old = "TypeError: object dict can't be used in 'await' expression"
        line, key = 6, "raises-3.11"
    new = old.replace("'dict'", "'Dict'").replace("object dict", "Object dict")
    assert [i for i in ids(repo, page) if " raises: " in i] == [
        f"{page}:{line} raises: :{key}: {old} → {new}"
    ]


def test_active_version_text_is_the_one_changed():
    value = Versioned("A: base", {"3.11": "A: eleven", "3.99": "A: future"})
    assert mutants._active(value, "raises") == ("raises-3.11", "A: eleven")
    changed = mutants._with_active(value, "raises-3.11", "raises", "A: X")
    assert changed.at(mutants.VERSION) == "A: X"
    assert changed.base == "A: base"


@pytest.mark.parametrize(
    ("text", "altered"),
    [
        ("Awaited 0 times.", "Awaited 1 times."),
        ("refused", "Refused"),
        ("'dict' object", "'Dict' object"),
        ("...", "...X"),
    ],
)
def test_alter_text_changes_what_a_check_would_compare(text, altered):
    assert mutants.alter_text(text) == altered


def test_a_weak_test_lets_the_wrong_field_survive(repo):
    page = repo.page("how-to/status.md", WEAK)
    report = mutants.run(repo.root, [page], jobs=2)
    statuses = by_id(report)
    assert statuses[f"{page}:6 wrong-field: return ['status'] → ['body']"] == "survived"
    assert statuses[f"{page}:5 await: `await session.get(url)` → `session.get(url)`"] == "killed"
    assert not report.ok
    assert "6 wrong-field" in report.markdown().split("## Surviving mutants")[1]


def test_a_strong_test_kills_every_mutant(repo, tmp_path):
    page = repo.page("how-to/status.md", CODE)
    out = tmp_path / "out"
    assert mutants.main(["--root", str(repo.root), "--out", str(out), page]) == 0
    data = json.loads((out / "mutants.json").read_text())
    assert data["pages"][page] == {
        "killed": 5,
        "total": 5,
        "equivalent": 0,
        "survived": 0,
        "error": 0,
    }
    assert f"| {page} | 5 | 5 | 0 | 0 | 0 |" in (out / "mutants.md").read_text()


def test_a_reviewed_equivalent_mutant_passes_and_a_stale_entry_fails(repo, tmp_path):
    page = repo.page("how-to/status.md", WEAK)
    field = (page, 6, "wrong-field", "return ['status'] → ['body']")
    report = mutants.run(repo.root, [page], equivalents={field: "reviewed"})
    assert report.ok
    assert by_id(report)[f"{page}:6 wrong-field: return ['status'] → ['body']"] == "equivalent"

    gone = (page, 99, "await", "`await nothing` → `nothing`")
    report = mutants.run(repo.root, [page], equivalents={field: "reviewed", gone: "old"})
    assert not report.ok
    assert report.stale == [(gone, "no such mutant any more")]


def test_an_equivalent_entry_for_a_killed_mutant_is_stale(repo):
    page = repo.page("how-to/status.md", CODE)
    field = (page, 6, "wrong-field", "return ['status'] → ['body']")
    report = mutants.run(repo.root, [page], equivalents={field: "wrongly listed"})
    assert report.stale == [(field, "the mutant is killed, not equivalent")]
    assert not report.ok


def test_the_expected_error_mutant_is_killed(repo):
    page = repo.page("how-to/await-dict.md", RAISES)
    report = mutants.run(repo.root, [page])
    raises = [r for r in report.results if r.mutant.operator == "raises"]
    assert [r.status for r in raises] == ["killed"]
    assert "the page says this raises" in raises[0].detail


def test_a_page_that_fails_unmutated_is_an_error_not_a_kill(repo):
    page = repo.page("how-to/status.md", CODE.replace("== 200", "== 404"))
    report = mutants.run(repo.root, [page])
    assert report.results == []
    assert page in report.baseline_errors
    assert not report.ok
