"""The coverage check finds code under test that its page never runs, at its page line."""

from __future__ import annotations

from verified_blocks import page_coverage

CODE = """
# How to round

```{example} rounding.py
def round_up(x):
    return -(-x // 1)


def round_down(x):
    return x // 1
```
"""

TESTED_BOTH = """
```{example} test_rounding.py
from rounding import round_down, round_up


def test_up():
    assert round_up(1.5) == 2


def test_down():
    assert round_down(1.5) == 1
```
"""

TESTED_ONE = """
```{example} test_rounding.py
from rounding import round_up


def test_up():
    assert round_up(1.5) == 2
```
"""

# Run only in isolation, in a copy of the page's folder: still counts for rounding.py.
TESTED_IN_ISOLATION = """
```{example} test_rounding.py
:outcome: failed=1 passed=1

from rounding import round_down, round_up


def test_up():
    assert round_up(1.5) == 2


def test_down():
    assert round_down(1.5) == 2
```
"""


def check(repo, capsys, tests: str) -> tuple[int, str]:
    repo.page("how-to/rounding.md", CODE + tests)
    assert repo.extract() == 0
    capsys.readouterr()
    code = page_coverage.main(["--root", str(repo.root)])
    return code, capsys.readouterr().out


def test_a_page_that_runs_all_its_code_passes(repo, capsys):
    code, out = check(repo, capsys, TESTED_BOTH)
    assert code == 0, out
    assert (
        "1 of 2 pages have code under test; every line and branch of it ran" in out
    )  # and the configuration page


def test_code_its_page_never_runs_fails_at_the_page_line(repo, capsys):
    code, out = check(repo, capsys, TESTED_ONE)
    assert code == 1, out
    assert "docs/how-to/rounding.md:9 (block at line 3): never ran" in out


def test_runs_in_a_copy_of_the_folder_count_for_the_original(repo, capsys):
    code, out = check(repo, capsys, TESTED_IN_ISOLATION)
    assert code == 0, out


def test_pages_run_at_once_report_in_the_pages_order(repo, capsys):
    """Two pages measured at once (``--jobs 2``): each report is whole and in its place,
    the same as one page at a time."""
    repo.page("how-to/rounding.md", CODE + TESTED_ONE)
    # module names are shared by every page
    repo.page("how-to/also-rounding.md", (CODE + TESTED_BOTH).replace("rounding", "flooring"))
    assert repo.extract() == 0
    capsys.readouterr()
    outputs = []
    for jobs in ("1", "2"):
        code = page_coverage.main(["--root", str(repo.root), "--jobs", jobs])
        outputs.append((code, capsys.readouterr().out))
    assert outputs[0] == outputs[1]
    code, out = outputs[1]
    assert code == 1, out
    also = out.index("docs/how-to/also-rounding.md (examples/how_to/also_rounding)")
    rounding = out.index("docs/how-to/rounding.md (examples/how_to/rounding)")
    gap = out.index("docs/how-to/rounding.md:9 (block at line 3): never ran")
    assert also < rounding < gap, out
    assert out.endswith(
        "1 page(s) with code under test that never ran:\n  docs/how-to/rounding.md\n"
    ), out
