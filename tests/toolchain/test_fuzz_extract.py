"""Whatever a page holds, extraction never crashes and never half-writes examples/.

Hypothesis writes MyST pages from a grammar of the pieces pages are made of (prose,
headings, ```{example} fences with good, bad, unknown and repeated options, YAML option
blocks, nested {tab} fences, unclosed fences, plain python fences, odd unicode, line
endings and huge blocks) and runs the extractor the way `nox -s extract` does. Each
page must either extract, with every generated line traceable to its page line, or be
refused with errors that each name the page and a line that exists on it, exit 1, and
examples/ byte for byte as it was.

`nox -s tests` runs a modest number of pages; `nox -s fuzz` runs many more.
"""

from __future__ import annotations

import contextlib
import io
import re
import tempfile
from pathlib import Path

from hypothesis import event, example, given
from hypothesis import strategies as st

from verified_blocks import extract, manifest
from verified_blocks.spec import OPTION_SPEC, BlockError

#: Every repository the property extracts shows the guide's examples configuration.
CONFIGURATION_PAGE = extract.configuration_page(Path(__file__).resolve().parents[2])

GOOD = "# How to be good\n\n```{example} good_module.py\nVALUE = 1\n```\n"
GOOD_PAGE = "docs/good.md"

# -- the grammar ------------------------------------------------------------------------

# Any printable text, in any script (surrogates cannot be written as UTF-8; control
# characters and line separators come rarely, through ODD, or they would refuse most pages).
ANY_TEXT = st.text(st.characters(exclude_categories=("Cs", "Cc", "Zl", "Zp")), max_size=40)
ODD = st.one_of(
    st.sampled_from(["\x00", "\x0b", "\x0c", "\x1c", "\x85", "\u2028", "\u2029", "\ufeff", "\r"]),
    st.characters(categories=("Cc", "Zl", "Zp")),
)
WORDS = st.sampled_from(
    ["x", "async", "def", "await", "{example}", "`", ":", "---", "\t", "\ufeff", "é", "𝔘"]
)
LINE = st.one_of(
    st.sampled_from(
        [
            "x = 1",
            "raise TypeError('boom')",
            "async def fetch():",
            "    return await get()",
            'print("hi")',
            "def test_ok():",
            "    pass",
            ">>> 1 + 1",
            "2",
            "$ pytest -q",
            "1 passed in 0.01s",
            "[pytest]",
            "asyncio_mode = strict",
            "",
            "    ",
            "```",
            "~~~",
            ":::",
            "---",
            ":raises: TypeError: boom",
        ]
    ),
    st.lists(WORDS, max_size=6).map(" ".join),
    ANY_TEXT,
)
FILE_NAMES = st.one_of(
    st.sampled_from(
        [
            "fz_module.py",
            "test_fz_module.py",
            "fz_session.pycon",
            "fz_run.console",
            "pytest.ini",
            "fz_config.toml",
            "fz_setup.cfg",
            "good_module.py",  # already written by the good page
            "test_good.py",
            "",
            "two words.py",
            "../escape.py",
            "fz.txt",
            "fz",
            "ünï.py",
            "fz_a.py fz_b.py",
            "fz_a.py\tfz_b.py",
            "__init__.py",
            "conftest.py",
        ]
    ),
    ANY_TEXT,
)
OPTION_KEYS = st.one_of(
    st.sampled_from(sorted(OPTION_SPEC)),
    st.sampled_from(["raise", "Raises", "raises-3.9", "lines-3.16", "min_python", "", "-"]),
    ANY_TEXT,
)
OPTION_VALUES = st.one_of(
    st.sampled_from(
        [
            "",
            "TypeError: boom",
            "TypeError",
            "not a traceback line",
            "failed=1",
            "passed=2 warnings=1",
            "failed",
            "failed=x",
            "3.10",
            "3.11",
            "3.9",
            "3.16",
            "4.0",
            "reason",
            "1,2",
            "'quoted'",
            "[unclosed",
            "{a: b}",
            "|",
            ">-",
            "&anchor x",
            "*alias",
            "!!python/object:os.system x",
        ]
    ),
    ANY_TEXT,
)


@st.composite
def options(draw) -> list[str]:
    """An option block: `:key: value` lines, a YAML block, or none; keys may repeat."""
    pairs = draw(st.lists(st.tuples(OPTION_KEYS, OPTION_VALUES), max_size=4))
    if pairs and draw(st.booleans()):
        pairs.append(draw(st.sampled_from(pairs)))  # the same option twice
    style = draw(st.sampled_from(["colon", "yaml", "yaml-unclosed", "none"]))
    if style == "none" or not pairs and style == "colon":
        return []
    if style == "colon":
        return [f":{k}: {v}" for k, v in pairs]
    lines = ["---"]
    for key, value in pairs:
        if "\n" in value or draw(st.booleans()):
            lines.append(f"{key}: |")
            lines.extend("  " + v for v in (value.splitlines() or [""]))
        else:
            lines.append(f"{key}: {value}")
    return lines if style == "yaml-unclosed" else [*lines, "---"]


@st.composite
def body(draw) -> list[str]:
    lines = draw(st.lists(LINE, max_size=8))
    if draw(st.integers(0, 9)) == 0:  # now and then, a huge block
        size = draw(st.integers(100, 5000))
        lines += [draw(st.sampled_from(["x = 1", "a" * 300, "é𝔘" * 50, ""]))] * size
    return lines


@st.composite
def fence(draw, inner: list[str] | None = None, depth: int = 0) -> list[str]:
    """A fenced block: ours, a plain one, or a container (maybe holding more fences)."""
    char = draw(st.sampled_from("`~:"))
    size = draw(st.integers(3, 5)) + depth
    kind = draw(st.sampled_from(["example", "example", "plain", "container"]))
    if kind == "example":
        head = "{example}" + draw(st.sampled_from([" ", "  ", "", "\t"])) + draw(FILE_NAMES)
        content = draw(options()) + draw(st.sampled_from([[], [""]])) + draw(body())
    elif kind == "plain":
        head = draw(st.sampled_from(["python", "py", "pycon", "console", "text", "", "{code}"]))
        head += draw(st.sampled_from(["", " title", " {example} x.py"]))
        content = draw(body())
    else:
        name = draw(st.sampled_from(["{tab}", "{tab-set}", "{note}", "{admonition}", "{"]))
        head = name + " " + draw(ANY_TEXT.map(lambda t: t.replace("\n", " ")))
        content = draw(options()) + (inner or []) + draw(body())
    opening = char * size + head
    closing = draw(
        st.sampled_from(
            [
                char * size,
                char * size,
                char * (size + 1),
                char * (size - 1),  # too short: does not close
                char * size + "  ",
                char * size + " x",  # text after a closing fence: does not close
                " " * 4 + char * size,  # indented as code: does not close
                None,  # never closed
            ]
        )
    )
    return [opening, *content] + ([closing] if closing is not None else [])


@st.composite
def piece(draw, depth: int = 0) -> list[str]:
    kind = draw(st.sampled_from(["prose", "heading", "blank", "fence", "fence", "nested"]))
    if kind == "prose":
        return draw(st.lists(LINE, min_size=1, max_size=3))
    if kind == "heading":
        return ["#" * draw(st.integers(1, 7)) + " " + draw(ANY_TEXT)]
    if kind == "blank":
        return [""]
    if kind == "fence" or depth >= 2:
        lines = draw(fence(depth=0))
    else:
        inner = [line for p in draw(st.lists(piece(depth + 1), max_size=3)) for line in p]
        lines = draw(fence(inner=inner, depth=depth + 2))
    prefix = draw(st.sampled_from(["", "", "", " ", "   ", "    ", "> ", "- ", "1. ", "\t"]))
    return [prefix + line for line in lines]


@st.composite
def page_text(draw) -> str:
    lines = [line for p in draw(st.lists(piece(), max_size=8)) for line in p]
    ending = draw(st.sampled_from(["\n", "\n", "\n", "\r\n", "\r"]))
    text = ending.join(lines) + draw(st.sampled_from([ending, "", ending * 2]))
    if text and draw(st.integers(0, 9)) == 0:  # now and then, one odd character
        at = draw(st.integers(0, len(text)))
        text = text[:at] + draw(ODD) + text[at:]
    return text


PAGE_NAMES = st.sampled_from(
    [
        "docs/how-to/fuzzed-page.md",
        "docs/how-to/fuzzed-page.md",
        "docs/fuzzed.md",
        "docs/How-To/fuzzed.md",  # not lower-case words
        "docs/how_to/fuzzed.md",
        "docs/how-to/fuzzed--page.md",
        "docs/how-to/ünï.md",
        "docs/_drafts/fuzzed.md",  # not a page: ignored
    ]
)


# Pages a careful author writes: every fence closed, known options, names that fit. They
# must all extract (a refusal here is the extractor refusing a good page).
GOOD_CODE = st.one_of(
    st.sampled_from(
        ["x = 1", "async def fetch():", "    return await get()", "", 'print("é𝔘")', "y = {}"]
    ),
    ANY_TEXT.map(lambda t: "# " + t),
)
PREFIXES = st.sampled_from([("", ""), ("", ""), ("> ", "> "), ("  ", "  "), ("- ", "  ")])


@st.composite
def good_fence(draw, number: int, char: str, size: int) -> list[str]:
    kind = draw(st.sampled_from(["module", "module", "test", "pycon", "ini"]))
    name, opts = {
        "module": (f"wf_module_{number}.py", [[], [":min-python: 3.11"], [":stdout: hi"]]),
        "test": (
            f"test_wf_{number}.py",
            [[], [":outcome: failed=1"], ["---", "outcome: passed=1", "---"]],
        ),
        "pycon": (f"wf_session_{number}.pycon", [[]]),
        "ini": (f"wf_{number}.ini", [[]]),
    }[kind]
    head = char * size + "{example} " + name
    code = draw(st.lists(GOOD_CODE, max_size=6))
    return [head, *draw(st.sampled_from(opts)), f"v{number} = 1", *code, char * size]


@st.composite
def good_page(draw) -> str:
    lines: list[str] = ["# How to be careful", ""]
    for number in range(draw(st.integers(1, 6))):
        char = draw(st.sampled_from("`~:"))
        if draw(st.booleans()):
            block = draw(good_fence(number, char, draw(st.integers(3, 5))))
        else:  # inside a tab or a note, whose fence is longer or of another kind
            outer = draw(st.sampled_from("`:"))
            size = 4 if outer == char else 3
            inner = draw(good_fence(number, char, 3))
            title = draw(st.sampled_from(["{tab} Title", "{note}", "{tab-set}"]))
            block = [outer * (size + 2) + title, "", *inner, "", outer * (size + 2)]
        first, rest = draw(PREFIXES)
        lines += [first + block[0], *(rest + line for line in block[1:]), ""]
        lines += [draw(ANY_TEXT.map(lambda t: "Text " + t)), ""]
    ending = draw(st.sampled_from(["\n", "\r\n"]))
    return ending.join(lines)


# -- the property -----------------------------------------------------------------------


def check_page(page: str, data: bytes) -> int:
    """Extract a repository holding GOOD and this page; see the module docstring."""
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        (root / "docs" / "reference").mkdir(parents=True)
        (root / extract.CONFIGURATION).write_text(CONFIGURATION_PAGE, encoding="utf-8")
        (root / GOOD_PAGE).write_text(GOOD, encoding="utf-8")
        assert _run(root) == (0, "")
        examples = root / "examples"
        before = extract.existing_tree(examples)
        path = root / page
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)

        code, err = _run(root)  # an exception escaping here is a crash: a bug

        if code == 0:
            event("extracted")
            _assert_traceable(root)
            assert _run(root, "--check")[0] == 0, "a second extraction would change examples/"
            return code
        assert code == 1, (code, err)
        errors = [line for line in err.splitlines() if ": error: " in line]
        assert errors, err
        for line in errors:
            _assert_located(root, line)
            event("refused: " + re.sub(r"'.*?'|\d+|\S+\.py", "…", line.split(": error: ")[1])[:40])
        assert extract.existing_tree(examples) == before, "a refused page changed examples/"
        # The error type the CLI reports is the toolchain's own, all the way down.
        try:
            extract.plan(extract.read_blocks(root, root / "docs"))
        except extract.ExtractError as error:
            assert all(isinstance(e, BlockError) for e in error.errors)
        else:
            raise AssertionError("the CLI refused a page that the API accepts")
        return code


def _run(root: Path, *args: str) -> tuple[int, str]:
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = extract.main(["--root", str(root), *args])
    return code, err.getvalue()


_ERROR = re.compile(r"^(?P<page>docs/[^:]*\.md):(?P<line>\d+): error: \S")


def _assert_located(root: Path, line: str) -> None:
    match = _ERROR.match(line)
    assert match, f"an error that does not start with docs/<page>.md:<line>: {line!r}"
    data = (root / match["page"]).read_bytes()
    count = len(_page_lines(data.decode("utf-8", errors="replace")))
    assert 1 <= int(match["line"]) <= count, f"line {match['line']} of {count}: {line!r}"


def _page_lines(text: str) -> list[str]:
    """The page's lines as a reader's editor numbers them (as markdown-it does)."""
    return text.replace("\r\n", "\n").replace("\r", "\n").split("\n")


def _assert_traceable(root: Path) -> None:
    """Every generated line holds the code of the page line its block says it came from."""
    files = manifest.load(root / "examples" / manifest.MANIFEST)
    for rel, f in files.items():
        generated = (root / "examples" / rel).read_text(encoding="utf-8").split("\n")
        page = _page_lines((root / f.page).read_text(encoding="utf-8"))
        for placed in f.placed:
            code = placed.block.code.split("\n")[:-1]
            assert generated[placed.start - 1 : placed.end] == code, (rel, placed.block.line)
            for offset, text in enumerate(code):
                page_line = page[placed.page_line(placed.start + offset) - 1]
                assert text.strip() in page_line, (f.page, placed.block.line, offset, text)
            # and the block ends where the page closes its fence, not at the page's end
            after = [line.lstrip(" \t>") for line in page[placed.page_line(placed.end) :]]
            closing = next((line for line in after if line.strip()), "")
            assert closing[:3] in ("```", "~~~", ":::"), (f.page, placed.block.line, closing)


# -- the tests --------------------------------------------------------------------------


@given(page=PAGE_NAMES, text=page_text())
# Found by this test: markdown-it turns NUL into U+FFFD, so the generated file held a
# character the page does not; such a page is now refused at the NUL's line.
@example(page="docs/how-to/fuzzed-page.md", text="```{example} fz_module.py\n\x00\n```\n")
# Found by this test: MyST splits a block's lines as Python does, at a form feed too, so
# every line after one was reported a line off; a page with one is now refused there.
@example(page="docs/how-to/fuzzed-page.md", text=":::{example} fz_module.py\n\x0c\nx = 1\n:::\n")
# Found by this test: a ::: fence left open took the rest of the page into the example
# (only ``` and ~~~ fences were checked); now refused like them.
@example(page="docs/how-to/fuzzed-page.md", text=":::{example} fz_module.py\nx = 1\n\nProse.\n")
def test_any_page_extracts_or_is_refused_at_a_line(page, text):
    check_page(page, text.encode("utf-8"))


@given(text=good_page())
# Found by this test: a closed fence inside a block quote was refused as never closed.
@example(text="# Q\n\n> ```{example} wf_module_0.py\n> x = 1\n> ```\n")
def test_a_careful_page_extracts(text):
    assert check_page("docs/how-to/careful-page.md", text.encode("utf-8")) == 0


@given(page=PAGE_NAMES, text=page_text(), junk=st.binary(min_size=1, max_size=4))
def test_a_page_that_is_not_utf8_is_refused(page, text, junk):
    data = text.encode("utf-8")
    cut = len(data) // 2
    check_page(page, data[:cut] + b"\xff" + junk + data[cut:])
