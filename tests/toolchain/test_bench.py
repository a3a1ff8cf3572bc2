"""The benchmark's own logic: what it measures and how it reads nox. No timing here."""

from __future__ import annotations

import json
import shutil
import sys

import pytest

from bench import pages
from bench.suite import (
    MEASUREMENTS,
    ONE_PAGE,
    TOUCHED_PAGE,
    Row,
    _floor,
    _layout,
    _saver,
    count_instructions,
    marginal,
    one_page,
    parse_nox_log,
)
from bench.timing import ROOT, BenchError, Command
from verified_blocks import extract, manifest

FAST_FORWARD = """
import asyncio


class FastForwardLoop(asyncio.SelectorEventLoop):
    # A virtual clock: when nothing is ready, jump to the next timer instead of waiting.
    def __init__(self):
        super().__init__()
        self.skipped = 0.0
        select = self._selector.select

        def jump(timeout=None):
            events = select(0)
            if not events and timeout:
                self.skipped += timeout
            return events

        self._selector.select = jump

    def time(self):
        return super().time() + self.skipped


def test_an_hour_of_timeouts():
    loop = FastForwardLoop()
    try:
        loop.run_until_complete(asyncio.sleep(3600))
    finally:
        loop.close()
"""


def test_loop_clock_reports_loop_time_not_wall_time(pytester: pytest.Pytester) -> None:
    pytester.makeini("[pytest]\nasyncio_default_fixture_loop_scope = function\n")
    pytester.makepyfile(test_clock=FAST_FORWARD)
    report = pytester.path / "clock.json"
    result = pytester.runpytest_inprocess("-p", "bench.loop_clock", f"--loop-clock-report={report}")
    result.assert_outcomes(passed=1)
    data = json.loads(report.read_text())
    assert data["loop_time"] >= 3600  # an hour on the loop's clock, without waiting for it
    assert data["loop_runs"] == 1
    # the loop's own time: what its turns took of the CPU, and its waits (none here)
    assert 0 < data["cpu_in_loops"] + data["waiting"] < 1
    (test,) = data["most_loop_time"]
    assert test["test"] == "test_clock.py::test_an_hour_of_timeouts"


NOX_LOG = [
    (0.5, "nox > Running session lint"),
    (0.6, "nox > Re-using existing virtual environment at .nox/lint."),
    (0.7, "nox > uv pip install -c tests/requirements.txt ruff"),
    (1.0, "nox > ruff check ."),
    (1.1, "All checks passed!"),
    (2.0, "nox > ruff format --check docs/_ext tests bench noxfile.py conf.py"),
    (2.5, "nox > Session lint was successful."),
    (2.6, "nox > Running session examples-3.13"),
    (2.7, "nox > Creating virtual environment (uv) using python3.13 in .nox/examples-3-13"),
    (4.7, "nox > /work/guide/.nox/bench/bin/uv pip install -r requirements.txt"),
    (5.7, "nox > python -m pytest -c examples/pytest.ini examples"),
    (9.7, "nox > Session examples-3.13 was successful in 7 seconds."),
]


def test_nox_log_splits_each_session_into_venv_installs_and_commands() -> None:
    sessions = parse_nox_log(NOX_LOG, start=0.0, end=10.0)
    assert sessions["lint"] == pytest.approx({"nox": 0.1, "venv": 0.1, "install": 0.3, "run": 1.5})
    assert sessions["examples-3.13"] == pytest.approx(
        {"nox": 0.1, "venv": 2.0, "install": 1.0, "run": 4.0}
    )
    # nox's own start (0.5), the gap between sessions (0.1) and its summary (0.3)
    assert sessions["nox"] == pytest.approx({"nox": 0.9})
    assert sum(sum(s.values()) for s in sessions.values()) == pytest.approx(10.0)


def test_a_failed_nox_session_is_an_error_not_a_figure() -> None:
    log = [*NOX_LOG[:-1], (9.7, "nox > Session examples-3.13 failed.")]
    with pytest.raises(BenchError, match="examples-3.13 failed"):
        parse_nox_log(log, start=0.0, end=10.0)


@pytest.mark.parametrize(
    ("budget", "ratio", "holds"),
    [
        (("<=", 1.10), 1.10, True),
        (("<=", 1.10), 1.11, False),
        ((">=", 100.0), 100.0, True),
        ((">=", 100.0), 0.06, False),
        (None, 3.0, None),
    ],
)
def test_a_budget_holds_only_on_its_side(budget, ratio, holds) -> None:
    assert Row("k", "m", "1 s", ratio=ratio, budget=budget).holds is holds


def test_our_generated_pages_extract_to_one_test_a_block(tmp_path) -> None:
    pages.ours(tmp_path, 3, 4)
    assert extract.main(["--root", str(tmp_path)]) == 0
    everything = manifest.load(tmp_path / "examples" / manifest.MANIFEST)
    files = {rel: f for rel, f in everything.items() if f.page != extract.CONFIGURATION}
    assert sorted(files) == [f"bench/page_{p}/test_bench_page_{p}.py" for p in range(3)]
    assert sorted(everything) == sorted([*files, "reference/configuration/pytest.ini"])
    for f in files.values():
        assert f.kind == "test" and len(f.placed) == 4
        code = (tmp_path / "examples" / f.path).read_text()
        assert code.count("async def test_block_") == 4


@pytest.mark.parametrize("write", [pages.ours, pages.ours_asyncio_run])
def test_our_generated_pages_pass_under_the_plugin(tmp_path, pytester, write) -> None:
    write(tmp_path, 2, 3)
    assert extract.main(["--root", str(tmp_path)]) == 0
    pytester.runpytest_subprocess(str(tmp_path / "examples")).assert_outcomes(passed=6)


def test_blocks_written_as_sybils_are_plain_tests_that_run_their_coroutine(tmp_path) -> None:
    pages.ours_asyncio_run(tmp_path, 1, 3)
    assert extract.main(["--root", str(tmp_path)]) == 0
    code = (tmp_path / "examples" / "bench" / "page_0" / "test_bench_page_0.py").read_text()
    assert "async def test_" not in code and "pytest.mark.asyncio" not in code
    assert [code.count(f"asyncio.run(block_{k}())") for k in range(3)] == [1, 1, 1]


@pytest.mark.parametrize("tool", ["pytest-markdown-docs", "sybil"])
def test_the_other_tools_get_the_same_number_of_python_fences(tmp_path, tool) -> None:
    pages.TOOLS[tool](tmp_path, 3, 4)
    texts = [p.read_text() for p in sorted(tmp_path.glob("page_*.md"))]
    assert len(texts) == 3
    assert all(t.count("```python\n") == 4 for t in texts)


def test_a_timed_pytest_run_reads_plainly_where_colour_is_forced(pytester, monkeypatch):
    """The bench checks each run's summary line: a CI that forces colour must not hide it."""
    monkeypatch.setenv("FORCE_COLOR", "1")
    monkeypatch.delenv("PY_COLORS", raising=False)  # pytester's own "0"
    pytester.makepyfile(test_one="def test_one():\n    pass\n")
    command = Command(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:randomly"],
        cwd=pytester.path,
        expect=r"\b1 passed\b",
    )
    command.run()  # raises BenchError if the summary does not match


def test_the_cost_of_a_further_block_pairs_the_runs_of_each_turn() -> None:
    # a tool that starts slowly but runs blocks fast: 1.0 s + 1 ms a block, then a busy turn
    samples = {
        "many": {"wall": [1.1, 2.2], "cpu": [1.1, 2.2]},
        "one": {"wall": [1.0, 2.1], "cpu": [1.0, 2.1]},
    }
    got = marginal(samples, "many", "one", 101)
    assert got == {"wall": pytest.approx([0.001, 0.001]), "cpu": pytest.approx([0.001, 0.001])}


def test_the_floor_is_our_test_modules_in_one_folder_without_the_toolchain(tmp_path, pytester):
    pages.ours(tmp_path / "ours", 2, 3)
    assert extract.main(["--root", str(tmp_path / "ours")]) == 0
    examples = tmp_path / "ours" / "examples"
    floor = tmp_path / "floor"
    _floor(examples, floor)
    assert sorted(p.name for p in floor.iterdir()) == [
        "pytest.ini",
        "test_bench_page_0.py",
        "test_bench_page_1.py",
    ]
    assert (floor / "pytest.ini").read_text() == (examples / "pytest.ini").read_text()
    for p in range(2):
        name = f"test_bench_page_{p}.py"
        assert (floor / name).read_text() == (examples / "bench" / f"page_{p}" / name).read_text()
    result = pytester.runpytest_subprocess(str(floor))  # its own pytest.ini, no conftest
    result.assert_outcomes(passed=6)


def test_the_layout_project_is_the_examples_as_extracted_without_the_toolchain(tmp_path, pytester):
    """The third per-block project: page packages kept, plugin gone."""
    pages.ours(tmp_path / "ours", 2, 3)
    assert extract.main(["--root", str(tmp_path / "ours")]) == 0
    examples = tmp_path / "ours" / "examples"
    _layout(examples, tmp_path / "layout")
    copied = tmp_path / "layout" / "examples"
    for p in range(2):
        rel = f"bench/page_{p}/test_bench_page_{p}.py"
        assert (copied / rel).read_text() == (examples / rel).read_text()
        assert (copied / f"bench/page_{p}/__init__.py").is_file()
    assert "verified_blocks" in (examples / "conftest.py").read_text()
    assert (copied / "conftest.py").read_text() == ""
    result = pytester.runpytest_subprocess(
        "-c", str(copied / "pytest.ini"), str(copied), "-p", "no:randomly"
    )
    result.assert_outcomes(passed=6)


def test_each_save_of_the_live_row_changes_a_test_block_of_its_page(tmp_path) -> None:
    page = tmp_path / "page.md"
    original = (ROOT / TOUCHED_PAGE).read_text(encoding="utf-8")
    page.write_text(original, encoding="utf-8")
    save = _saver(page)
    texts = []
    for _ in range(3):
        save()
        texts.append(page.read_text(encoding="utf-8"))
    assert len(set(texts)) == 3 and original not in texts
    changed = [
        a for a, b in zip(texts[0].splitlines(), original.splitlines(), strict=True) if a != b
    ]
    assert len(changed) == 1 and changed[0].endswith("  # save 1")
    before = original[: texts[0].index(changed[0])]
    assert before.rstrip("\n").rsplit("```{example} ", 1)[1].startswith("test_")


def test_the_floor_takes_test_modules_only(tmp_path):
    (tmp_path / "docs" / "reference").mkdir(parents=True)
    (tmp_path / extract.CONFIGURATION).write_text(extract.configuration_page(ROOT))
    (tmp_path / "docs" / "page.md").write_text(
        "# Page\n\n```{example} helper.py\nVALUE = 1\n```\n", encoding="utf-8"
    )
    assert extract.main(["--root", str(tmp_path)]) == 0
    with pytest.raises(BenchError, match="helper.py: the floor project takes test modules only"):
        _floor(tmp_path / "examples", tmp_path / "floor")


@pytest.mark.skipif(shutil.which("valgrind") is None, reason="needs Debian's valgrind")
def test_instructions_are_counted_only_for_a_run_that_did_its_work(tmp_path) -> None:
    valgrind = shutil.which("valgrind")
    assert valgrind is not None
    little = Command([sys.executable, "-S", "-c", "print('done')"], cwd=tmp_path, expect="done")
    more = Command(
        [sys.executable, "-S", "-c", "print(sum(range(10**6)), 'done')"],
        cwd=tmp_path,
        expect="done",
    )
    assert 0 < count_instructions(little, valgrind) < count_instructions(more, valgrind)
    wrong = Command([sys.executable, "-S", "-c", "print('other')"], cwd=tmp_path, expect="done")
    with pytest.raises(BenchError, match="under callgrind failed"):
        count_instructions(wrong, valgrind)


@pytest.mark.parametrize("tool", ["pytest-markdown-docs", "sybil"])
def test_the_other_tools_run_under_the_examples_settings(tmp_path, tool) -> None:
    pages.TOOLS[tool](tmp_path, 1, 1)
    ini = (tmp_path / "pytest.ini").read_text().splitlines()
    for line in pages.PYTEST_INI.splitlines():
        if line.startswith("addopts"):
            assert any(o.startswith(line) for o in ini), line  # their own options after ours
        elif line and not line.startswith(("#", "python_files")):
            assert line in ini


def test_the_one_page_rows_time_a_page_run_every_way_the_plugin_runs_blocks() -> None:
    """So that `nox -s page`'s row times what a page costs, and its runs differ by Python."""
    files = manifest.load(ROOT / "examples" / manifest.MANIFEST).values()
    mine = [f for f in files if f.page == ONE_PAGE]
    kinds = {"outcome" if f.kind == "test" and f.last.outcome else str(f.kind) for f in mine}
    assert {"test", "outcome", "module", "pycon"} <= kinds
    assert any(f.min_python for f in mine)  # one block is skipped on the oldest Python
    assert MEASUREMENTS["page"] is one_page


def test_the_mutants_rows_time_a_page_that_has_mutants() -> None:
    """A page with enough mutants that the fork servers' start is a small part of the run,
    as in `nox -s mutants`, few enough for a row of minutes, of more than one kind."""
    from bench.suite import MUTANTS_PAGE, mutants as mutants_rows
    from verified_blocks.mutants import mutants_of
    from verified_blocks.pages import read_page

    found = mutants_of(ROOT, MUTANTS_PAGE, read_page(ROOT / MUTANTS_PAGE, MUTANTS_PAGE))
    assert 30 <= len(found) <= 60
    assert len({m.operator for m in found}) >= 2
    assert MEASUREMENTS["mutants"] is mutants_rows
