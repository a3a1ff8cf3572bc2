"""Bad input gets one clear error naming page and line, exit 1, and examples/ untouched."""

from __future__ import annotations

import pytest

GOOD = """
# How to be good

```{example} good_module.py
VALUE = 1
```
"""

CASES = {
    "unclosed fence": (
        """
        # How to forget a fence

        ```{example} open_module.py
        x = 1
        """,
        3,
        "fence is never closed",
    ),
    # It took the rest of the page into the example (found by test_fuzz_extract.py).
    "unclosed colon fence": (
        """
        # How to forget a colon fence

        :::{example} open_colon_module.py
        x = 1

        Prose that is not code.
        """,
        3,
        "::: fence is never closed",
    ),
    # A closing fence indented four spaces is code, so the fence runs on (found by
    # test_fuzz_extract.py: it was taken for the closing fence).
    "closing fence indented four spaces": (
        """
        # How to indent a fence too far

        ```{example} indented_close_module.py
        x = 1
            ```
        """,
        3,
        "``` fence is never closed",
    ),
    # Two backticks do not close a fence, also on a page that does not end in a line break
    # (found by test_fuzz_extract.py).
    "too short a closing fence on the last line": (
        "\n# How to stop short\n\n```{example} short_close_module.py\nx = 1\n``",
        3,
        "``` fence is never closed",
    ),
    "unknown option": (
        """
        # How to misspell

        text

        ```{example} typo_module.py
        :raise: TypeError: boom
        raise TypeError("boom")
        ```
        """,
        6,
        "Unknown option key: 'raise'",
    ),
    "bad version": (
        """
        # How to ask for a Python that is not supported

        ```{example} old_module.py
        :min-python: 3.9
        x = 1
        ```
        """,
        4,
        "not a supported Python version",
    ),
    "version override without base": (
        """
        # How to forget the base message

        ```{example} partial_module.py
        :raises-3.14: TypeError: new words
        raise TypeError("new words")
        ```
        """,
        3,
        ":raises-3.14: needs a :raises:",
    ),
    "plain python fence": (
        """
        # How to show code nobody runs

        ```python
        print("unverified")
        ```
        """,
        3,
        "plain ```python fence",
    ),
    "expectation on an earlier block": (
        """
        # How to put an expectation in the wrong place

        ```{example} split_module.py
        :raises: ValueError: early
        x = 1
        ```

        ```{example} split_module.py
        raise ValueError("early")
        ```
        """,
        3,
        "goes on the last block of split_module.py (line 8)",
    ),
    # Python and MyST split a block's lines at a form feed, Markdown does not: every
    # line after one would be reported a line off (found by test_fuzz_extract.py).
    "form feed": (
        "# How to separate sections\n\n```{example} feed_module.py\nA = 1\n\x0c\nB = 2\n```\n",
        5,
        "U+000C on this line",
    ),
    # Markdown turns NUL into U+FFFD (found by test_fuzz_extract.py).
    "NUL": ("# How to be empty\n\ntext \x00\n", 3, "U+0000 on this line"),
    "raises on a test module": (
        """
        # How to confuse kinds

        ```{example} test_kinds.py
        :raises: ValueError: x
        def test_x():
            pass
        ```
        """,
        3,
        "a test module uses :outcome:",
    ),
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_bad_page_is_refused_with_its_line(repo, capsys, case):
    text, line, message = CASES[case]
    repo.page("good.md", GOOD)
    assert repo.extract() == 0
    before = repo.snapshot()
    page = repo.page("how-to/bad.md", text)

    assert repo.extract() == 1

    err = capsys.readouterr().err
    errors = [e for e in err.splitlines() if ": error: " in e]
    assert len(errors) == 1, err
    assert errors[0].startswith(f"{page}:{line}: error: "), err
    assert message in errors[0]
    assert repo.snapshot() == before


def test_two_pages_may_not_write_one_module(repo, capsys):
    repo.page("a.md", "# A\n\n```{example} shared_name.py\nX = 1\n```\n")
    repo.page("b.md", "# B\n\ntext\n\n```{example} shared_name.py\nX = 2\n```\n")

    assert repo.extract() == 1

    err = capsys.readouterr().err
    assert "docs/b.md:5: error: shared_name.py is already written by docs/a.md:3" in err
    assert not (repo.root / "examples").exists()


def test_each_page_may_have_its_own_conftest(repo):
    repo.page("a.md", "# A\n\n```{example} conftest.py\nX = 1\n```\n")
    repo.page("b.md", "# B\n\n```{example} conftest.py\nX = 2\n```\n")

    assert repo.extract() == 0

    assert repo.snapshot()["a/conftest.py"].endswith(b"X = 1\n")
    assert repo.snapshot()["b/conftest.py"].endswith(b"X = 2\n")


def test_check_names_drift_and_orphans(repo, capsys):
    repo.page("page.md", GOOD)
    assert repo.extract() == 0
    assert repo.extract("--check") == 0
    (repo.root / "examples" / "page" / "stray.py").write_text("x = 1\n")
    (repo.root / "examples" / "page" / "good_module.py").write_text("edited\n")
    capsys.readouterr()

    assert repo.extract("--check") == 1

    err = capsys.readouterr().err
    assert "orphan:   examples/page/stray.py (no page writes it)" in err
    assert "changed:  examples/page/good_module.py" in err


def test_generated_file_names_its_page_and_lines(repo):
    repo.page(
        "how-to/two-blocks.md",
        """
        # How to split a module

        ```{example} split_demo.py
        A = 1
        ```

        and then

        ```{example} split_demo.py
        B = A + 1
        ```
        """,
    )
    assert repo.extract() == 0
    text = (repo.root / "examples/how_to/two_blocks/split_demo.py").read_text()
    page = "docs/how-to/two-blocks.md"
    assert text.splitlines()[:2] == [
        f"# Generated by `nox -s extract` from {page}; do not edit: edit the page.",
        "# Blocks at docs/how-to/two-blocks.md lines 3, 9.",
    ]
    assert "# docs/how-to/two-blocks.md:3\nA = 1\n" in text
    assert "# docs/how-to/two-blocks.md:9\nB = A + 1\n" in text
