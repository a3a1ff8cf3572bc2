"""Writing some pages only: each named page's files are the extractor's, every other page's
files stay as they are, and bad input is refused at its page and line with nothing written."""

from __future__ import annotations

import pytest
from test_bad_input import CASES, GOOD

from verified_blocks import extract_pages

PAGE_A = """
# How to keep two modules

```{example} a_client.py
VALUE = 1
```

```{example} a_helper.py
HELP = 1
```
"""

PAGE_B = """
# How to be left alone

```{example} b_module.py
B = 1
```
"""


def write_pages(repo, *args: str) -> int:
    return extract_pages.main(["--root", str(repo.root), *args])


@pytest.fixture
def two_pages(repo):
    """Pages a and b, extracted in full."""
    pages = repo.page("how-to/a.md", PAGE_A), repo.page("how-to/b.md", PAGE_B)
    assert repo.extract() == 0
    return pages


def test_a_page_is_written_as_the_extractor_writes_it_and_no_other(repo, two_pages, capsys):
    a, b = two_pages
    b_file = repo.root / "examples" / "how_to" / "b" / "b_module.py"
    b_before, b_stat = b_file.read_bytes(), b_file.stat()
    # a: one file changed, one gone, one new; b edited too, but not named
    repo.page("how-to/a.md", PAGE_A.replace("VALUE = 1", "VALUE = 2").replace("a_helper", "a_new"))
    repo.page("how-to/b.md", PAGE_B.replace("B = 1", "B = 2"))
    capsys.readouterr()

    assert write_pages(repo, a) == 0

    out = capsys.readouterr().out
    assert "examples/: 2 files from docs/how-to/a.md, 4 changed" in out
    assert "orphan:   examples/how_to/a/a_helper.py (no page writes it)" in out
    assert "missing:  examples/how_to/a/a_new.py" in out
    assert (b_file.read_bytes(), b_file.stat().st_mtime_ns) == (b_before, b_stat.st_mtime_ns)
    repo.page("how-to/b.md", PAGE_B)  # as it was: then the whole tree is the extractor's
    assert repo.extract("--check") == 0


def test_an_unchanged_page_changes_nothing(repo, two_pages, capsys):
    before = repo.snapshot()
    assert write_pages(repo, *two_pages) == 0
    assert "3 files from docs/how-to/a.md, docs/how-to/b.md, 0 changed" in capsys.readouterr().out
    assert repo.snapshot() == before


def test_a_page_that_loses_its_blocks_loses_its_folder(repo, two_pages):
    a, _ = two_pages
    (repo.root / "examples" / "how_to" / "a" / "__pycache__").mkdir()
    repo.page("how-to/a.md", "# How to say it in words\n\nNo code.\n")

    assert write_pages(repo, a) == 0

    assert not (repo.root / "examples" / "how_to" / "a").exists()
    assert (repo.root / "examples" / "how_to" / "b" / "b_module.py").exists()
    assert repo.extract("--check") == 0


def test_a_new_page_in_a_new_section_gets_its_packages(repo, two_pages):
    page = repo.page("tutorial/first-steps.md", GOOD)

    assert write_pages(repo, page) == 0

    assert (repo.root / "examples" / "tutorial" / "__init__.py").is_file()
    assert (repo.root / "examples" / "tutorial" / "first_steps" / "good_module.py").is_file()
    assert repo.extract("--check") == 0


def test_the_configuration_page_writes_the_examples_pytest_ini(repo, two_pages):
    path = repo.root / "docs" / "reference" / "configuration.md"
    text = path.read_text(encoding="utf-8")
    path.write_text(text.replace("[pytest]\n", "[pytest]\n# a comment\n"), encoding="utf-8")

    assert write_pages(repo, "docs/reference/configuration.md") == 0

    assert "[pytest]\n# a comment\n" in (repo.root / "examples" / "pytest.ini").read_text()
    assert repo.extract("--check") == 0


def test_check_names_what_would_change_and_writes_nothing(repo, two_pages, capsys):
    a, _ = two_pages
    repo.page("how-to/a.md", PAGE_A.replace("VALUE = 1", "VALUE = 2"))
    before = repo.snapshot()
    capsys.readouterr()

    assert write_pages(repo, "--check", a) == 1

    err = capsys.readouterr().err
    assert "changed:  examples/how_to/a/a_client.py" in err
    assert "changed:  examples/manifest.json" in err
    assert repo.snapshot() == before
    assert write_pages(repo, a) == 0
    assert write_pages(repo, "--check", a) == 0


@pytest.mark.parametrize("case", sorted(CASES))
def test_a_bad_page_is_refused_with_its_line(repo, two_pages, capsys, case):
    text, line, message = CASES[case]
    page = repo.page("how-to/bad.md", text)
    before = repo.snapshot()
    capsys.readouterr()

    assert write_pages(repo, page) == 1

    err = capsys.readouterr().err
    errors = [e for e in err.splitlines() if ": error: " in e]
    assert len(errors) == 1, err
    assert errors[0].startswith(f"{page}:{line}: error: "), err
    assert message in errors[0]
    assert "examples/ left as it was" in err
    assert repo.snapshot() == before


def test_a_module_name_of_another_page_is_refused(repo, two_pages, capsys):
    page = repo.page("how-to/c.md", "# C\n\ntext\n\n```{example} b_module.py\nC = 1\n```\n")
    before = repo.snapshot()

    assert write_pages(repo, page) == 1

    err = capsys.readouterr().err
    assert f"{page}:5: error: b_module.py is already written by docs/how-to/b.md:3" in err
    assert repo.snapshot() == before


@pytest.mark.parametrize(
    ("arg", "says"),
    [
        ("README.md", "not a page: a page is a Markdown file under docs/"),
        ("docs", "not a page: a page is a Markdown file under docs/"),
        ("docs/how-to/a.py", "not a page: a page is a Markdown file under docs/"),
        ("../outside.md", "not a page: a page is a Markdown file under docs/"),
        ("docs/_templates/page.md", "not a page: folders of docs/ whose name starts with _"),
        ("docs/how-to/aa.md", "no such page; did you mean docs/how-to/a.md?"),
    ],
)
def test_what_is_not_a_page_is_refused(repo, two_pages, capsys, arg, says):
    for name in ("README.md", "docs/_templates/page.md", "docs/how-to/a.py", "../outside.md"):
        (repo.root / name).parent.mkdir(parents=True, exist_ok=True)
        (repo.root / name).write_text("# How to be no page\n", encoding="utf-8")
    before = repo.snapshot()

    assert write_pages(repo, arg, two_pages[0]) == 1

    err = capsys.readouterr().err.splitlines()
    assert err[0].startswith(f"{arg}: error: {says}")
    assert err[1:] == ["extract_pages: 1 error(s); examples/ left as it was"]
    assert repo.snapshot() == before


def test_without_a_full_extraction_first_it_says_so(repo, capsys):
    page = repo.page("how-to/a.md", PAGE_A)

    assert write_pages(repo, page) == 1

    assert "not found: run `nox -s extract` first" in capsys.readouterr().err
    assert not (repo.root / "examples").exists()


def test_a_manifest_cut_short_is_an_error_not_a_traceback(repo, two_pages, capsys):
    (repo.root / "examples" / "manifest.json").write_text('{"files": {', encoding="utf-8")
    before = repo.snapshot()

    assert write_pages(repo, two_pages[0]) == 1

    assert "manifest.json: error: JSONDecodeError(" in capsys.readouterr().err
    assert repo.snapshot() == before
