"""The live preview's step before each rebuild: it runs the pages whose blocks changed, and
only those, and their badges then say what that run found."""

from __future__ import annotations

import json
from pathlib import Path

from verified_blocks import live
from verified_blocks.pages import read_page
from verified_blocks.run_state import VERSION
from verified_blocks.sphinx.domain import load_reports
from verified_blocks.sphinx.example import badge

PAGE = """
# How to double

```{example} doubling.py
def double(x):
    return 2 * x
```

```{example} test_doubling.py
from doubling import double


def test_double():
    assert double(2) == 4
```
"""


def record(page: str, line: int, outcome: str = "passed") -> dict[str, object]:
    return {"page": page, "line": line, "fingerprint": f"{page}{line}", "outcome": outcome}


def test_merge_replaces_the_rerun_pages_records_and_keeps_the_others():
    base = {
        "python": "3.13",
        "date": "2026-12-02T10:00:00Z",
        "blocks": [record("docs/a.md", 3), record("docs/b.md", 3), record("docs/b.md", 9)],
    }
    run = {"python": "3.13", "date": "2026-12-03T11:00:00Z", "blocks": []}
    run["blocks"] = [record("docs/b.md", 3, "failed"), record("docs/a.md", 3, "failed")]
    merged = live.merge(base, run, ["docs/b.md"])
    assert merged["blocks"] == [record("docs/a.md", 3), record("docs/b.md", 3, "failed")]
    # the provenance of the full run: a new date at every save would rebuild every page
    assert merged["date"] == "2026-12-02T10:00:00Z"
    assert live.merge(None, run, ["docs/b.md"])["date"] == "2026-12-03T11:00:00Z"


def _live_report(repo) -> dict[str, object]:
    path = repo.root / live.LIVE_REPORTS / f"{VERSION}.json"
    data: dict[str, object] = json.loads(path.read_text(encoding="utf-8"))
    return data


def test_a_page_edited_to_fail_gets_a_failing_badge_with_what_the_run_saw(repo, capsys):
    page = repo.page("how-to/double.md", PAGE)
    other = repo.page("how-to/other.md", PAGE.replace("doubling", "twice"))
    root = repo.root
    assert live.main(["--root", str(root)]) == 0
    assert {r["outcome"] for r in _live_report(repo)["blocks"]} == {"passed"}
    before = [r for r in _live_report(repo)["blocks"] if r["page"] == other]

    repo.page("how-to/double.md", PAGE.replace("== 4", "== 5"))
    capsys.readouterr()
    assert live.main(["--root", str(root)]) == 0
    out = capsys.readouterr().out
    assert f"running the examples of {page} on Python {VERSION}" in out
    assert other not in out.split("running the examples of")[1].splitlines()[0]
    # the other page keeps its records: it was not run again
    assert [r for r in _live_report(repo)["blocks"] if r["page"] == other] == before

    reports, _ = load_reports(root / live.LIVE_REPORTS)
    test_block = read_page(root / page, page)[1]
    status, text = badge(reports, test_block)
    assert status == "failed"
    # pytest's failing line, which the report records as what the run saw
    assert text.startswith(f"Did not behave as shown on Python {VERSION}. On {VERSION}: ")
    assert text.endswith("assert 4 == 5.")


def test_the_run_makes_its_temp_folders_beside_its_report(repo, tmp_path):
    """Not in pytest's default temp root, which runs at the same time would share with it
    and clean up under it (pytest-dev/pytest#11790)."""
    scratch_test = "\n\ndef test_scratch(tmp_path):\n    (tmp_path / 'x').touch()\n```\n"
    repo.page("how-to/double.md", PAGE.removesuffix("```\n") + scratch_test)
    assert repo.extract() == 0
    report = tmp_path / "scratch" / "run.json"
    report.parent.mkdir()

    assert live.run_pages(repo.root, ["docs/how-to/double.md"], report) == 0
    assert (report.parent / "pytest-tmp" / "test_scratch0" / "x").is_file()


def test_a_page_whose_blocks_did_not_change_is_not_run_again(repo, capsys):
    repo.page("how-to/double.md", PAGE)
    assert live.main(["--root", str(repo.root)]) == 0
    repo.page("how-to/double.md", PAGE + "\nMore prose.\n")
    capsys.readouterr()
    assert live.main(["--root", str(repo.root)]) == 0
    assert "no page's blocks changed; nothing to run" in capsys.readouterr().out


def test_the_full_runs_reports_are_copied_and_a_newer_one_replaces_the_live_one(tmp_path):
    reports, live_reports = tmp_path / "reports", tmp_path / "live"
    reports.mkdir()
    full = {"python": "3.13", "blocks": [record("docs/a.md", 3)]}
    (reports / "3.13.json").write_text(json.dumps(full), encoding="utf-8")
    (reports / "3.14.json").write_text(json.dumps({**full, "python": "3.14"}), encoding="utf-8")
    assert live.sync_reports(reports, live_reports, "3.13") == full
    assert sorted(p.name for p in live_reports.iterdir()) == ["3.13.json", "3.14.json"]
    mine = {**full, "blocks": [record("docs/a.md", 3, "failed")]}
    (live_reports / "3.13.json").write_text(json.dumps(mine), encoding="utf-8")
    assert live.sync_reports(reports, live_reports, "3.13") == mine  # the live one is newer
    (reports / "3.13.json").write_text(json.dumps(full), encoding="utf-8")  # a new full run
    assert live.sync_reports(reports, live_reports, "3.13") == full


def test_a_bad_block_is_reported_at_its_line_and_nothing_runs(repo, capsys):
    repo.page("how-to/double.md", PAGE)
    assert live.main(["--root", str(repo.root)]) == 0
    examples = repo.snapshot()
    reports = (repo.root / live.LIVE_REPORTS / f"{VERSION}.json").read_bytes()
    repo.page("how-to/double.md", PAGE.replace("```{example} test_doubling.py", "```{example}"))
    capsys.readouterr()
    # 0: sphinx-autobuild would skip the build, which shows the error on the page
    assert live.main(["--root", str(repo.root)]) == 0
    captured = capsys.readouterr()
    assert "docs/how-to/double.md:8: error:" in captured.err
    assert "examples not run until the page is fixed" in captured.out
    assert repo.snapshot() == examples
    assert (repo.root / live.LIVE_REPORTS / f"{VERSION}.json").read_bytes() == reports


def test_the_live_reports_are_where_docs_live_reads_them():
    noxfile = (Path(__file__).resolve().parents[2] / "noxfile.py").read_text(encoding="utf-8")
    assert f'"verified_blocks_reports={live.LIVE_REPORTS}"' in noxfile
    assert '"python -m verified_blocks.live"' in noxfile
