"""Mutation self-test: inject one fault into one page, run that page, expect a failure.

    python -m verified_blocks.mutants                         # every page
    python -m verified_blocks.mutants docs/how-to/x.md        # some pages
    python -m verified_blocks.mutants --list docs/how-to/x.md # the mutants, not run

A page is read with the toolchain's own reader (MyST's parser, ``spec.build_block``).
Each mutant changes one thing in one block: its code (remove an ``await``, drop the
``async`` of ``async with``/``async for``, swap ``MagicMock`` and ``AsyncMock``, change a
literal an assertion compares or a ``match=`` expects, make the code under test return
another field or skip a call such as a ``close()``, delete an ``__aenter__``/``__aexit__``
configuration, flip a ``True``/``False`` keyword) or what the page says running it does
(``:raises:``, ``:stdout:``, ``:outcome:``, ``:lines:``, a session's output). Only that
page is then extracted, into a temporary directory (``examples/`` is never touched), and
run by pytest with the plugin and the generated ``pytest.ini``, exactly as ``nox -s
examples`` runs it, on this interpreter only. A run that fails (or hangs) kills the mutant;
a run that passes lets it survive: the page's tests did not notice the fault.

A surviving mutant needs a stronger test on the page, or, if no test could notice it, an
entry with the reason in ``mutants_equivalent.toml`` (see :func:`load_equivalents`). An
entry names its mutant by page line, description and the line's code, so it still applies
when prose above it moves the line. The run fails while any mutant survives that no entry
explains, when an entry explains no surviving mutant (stale), and when a page fails
unmutated.

Results, killed/total per page, go to ``_build/mutants.json`` and ``_build/mutants.md``.
"""

from __future__ import annotations

import argparse
import ast
import dataclasses
import json
import os
import re
import signal
import subprocess
import sys
import tempfile
import time
import tomllib
from collections import Counter
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

from . import extract
from .manifest import ExampleFile, Placed
from .spec import Block, BlockError, Versioned, version_key

#: The interpreter the mutants run on decides which ``:raises-3.X:`` text applies.
VERSION = f"{sys.version_info.major}.{sys.version_info.minor}"

#: The reviewed list of equivalent mutants: data about pages, so it lives beside them.
EQUIVALENT = Path("docs", "mutants_equivalent.toml")

KILLED, SURVIVED, EQUIVALENT_STATUS, ERROR = "killed", "survived", "equivalent", "error"

_MOCKS = {"MagicMock": "AsyncMock", "AsyncMock": "MagicMock"}
_CONTEXT_METHODS = ("__aenter__", "__aexit__")


@dataclass(frozen=True)
class Mutant:
    """One fault in one block of a page."""

    page: str
    line: int  #: the page line the fault is on
    operator: str
    description: str
    index: int  #: which of the page's blocks it replaces
    block: Block  #: the block with the fault
    code: str = ""  #: the page line the fault is on, as written (stripped)

    @property
    def key(self) -> tuple[str, int, str, str]:
        return (self.page, self.line, self.operator, self.description)

    @property
    def id(self) -> str:
        return f"{self.page}:{self.line} {self.operator}: {self.description}"


@dataclass
class Result:
    mutant: Mutant
    status: str
    detail: str = ""


# -- text changes ----------------------------------------------------------------------------


def alter_text(text: str) -> str:
    """A small change a check of ``text`` must notice: a number +1, else a letter's case."""
    number = re.search(r"\d+", text)
    if number:
        return text[: number.start()] + str(int(number[0]) + 1) + text[number.end() :]
    letter = re.search(r"[A-Za-z]", text)
    if letter:
        return text[: letter.start()] + letter[0].swapcase() + text[letter.end() :]
    return text + "X"


def alter_constant(value: object) -> object:
    if isinstance(value, bool):
        return not value
    if isinstance(value, int | float):
        return value + 1
    if isinstance(value, str):
        return alter_text(value)
    raise TypeError(value)


def _change(old: str, new: str, limit: int = 60) -> str:
    """``old → new``, both cut to the part around where they first differ."""
    first = next((i for i, (a, b) in enumerate(zip(old, new, strict=False)) if a != b), 0)
    start = max(0, first - 20)
    lead = "…" if start else ""
    return f"{lead}{_short(old[start:], limit)} → {lead}{_short(new[start:], limit)}"


def _short(text: str, limit: int = 60) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


# -- Python code ----------------------------------------------------------------------------


@dataclass(frozen=True)
class _Edit:
    """Replace file text from (line, col) to (end_line, end_col); lines 1-based, cols chars."""

    line: int
    col: int
    end_line: int
    end_col: int
    text: str


class _Source:
    """A generated file's text, its AST, and character positions of AST nodes."""

    def __init__(self, f: ExampleFile) -> None:
        self.file = f
        self.text = extract.render(f)
        self.lines = self.text.splitlines(keepends=True)
        self.tree = ast.parse(self.text, f.path)

    def col(self, line: int, byte_col: int) -> int:
        return len(self.lines[line - 1].encode("utf-8")[:byte_col].decode("utf-8"))

    def span(self, node: ast.AST) -> tuple[int, int, int, int]:
        assert node.end_lineno is not None and node.end_col_offset is not None
        return (
            node.lineno,
            self.col(node.lineno, node.col_offset),
            node.end_lineno,
            self.col(node.end_lineno, node.end_col_offset),
        )

    def segment(self, node: ast.AST) -> str:
        return ast.get_source_segment(self.text, node) or ""

    def replace(self, node: ast.AST, text: str) -> _Edit:
        return _Edit(*self.span(node), text)

    def remove_keyword(self, node: ast.AST, keyword: str) -> _Edit:
        """Remove ``keyword`` and the spaces after it at the start of ``node``."""
        line, col = node.lineno, self.col(node.lineno, node.col_offset)
        match = re.compile(rf"{keyword}\s+").match(self.lines[line - 1], col)
        assert match, (self.lines[line - 1], col)
        return _Edit(line, col, line, match.end(), "")

    def placed_at(self, line: int) -> Placed:
        found = self.file.locate(line)
        assert found is not None, (self.file.path, line)
        return found[0]


def _apply(placed: Placed, edit: _Edit) -> str | None:
    """The block's code with ``edit`` made (file lines of ``placed``), or None if it spans out."""
    if not (placed.start <= edit.line <= edit.end_line <= placed.end):
        return None
    lines = placed.block.code.splitlines(keepends=True)
    first, last = edit.line - placed.start, edit.end_line - placed.start
    before = lines[first][: edit.col]
    after = lines[last][edit.end_col :]
    return "".join(lines[:first]) + before + edit.text + after + "".join(lines[last + 1 :])


def _statement_removal(source: _Source, node: ast.stmt) -> _Edit:
    """Replace a statement with ``pass``, keeping the line count (and so every line number)."""
    line, col, end_line, end_col = source.span(node)
    return _Edit(line, col, end_line, end_col, "pass" + "\n" * (end_line - line))


def _python_edits(
    source: _Source, vocabulary: _Vocabulary
) -> Iterator[tuple[str, str, int, _Edit]]:
    """(operator, description, file line, edit) for every fault in one Python file."""
    f = source.file
    code_under_test = f.kind == "module"
    bound = _bound_names(source.tree)
    fstring_parts = {
        id(part)
        for node in ast.walk(source.tree)
        if isinstance(node, ast.JoinedStr)
        for part in ast.walk(node)
    }
    seen: set[tuple[int, int]] = set()

    def literal(node: ast.AST) -> Iterator[tuple[str, str, int, _Edit]]:
        for sub in _expected_values(node):
            if id(sub) not in fstring_parts and (sub.lineno, sub.col_offset) not in seen:
                seen.add((sub.lineno, sub.col_offset))
                new = alter_constant(sub.value)
                yield (
                    "literal",
                    _change(repr(sub.value), repr(new)),
                    sub.lineno,
                    source.replace(sub, repr(new)),
                )

    for node in ast.walk(source.tree):
        if isinstance(node, ast.Await):
            segment = source.segment(node)
            without = re.sub(r"^await\s+", "", segment)
            yield (
                "await",
                f"`{_short(segment)}` → `{_short(without)}`",
                node.lineno,
                source.remove_keyword(node, "await"),
            )
        elif isinstance(node, ast.AsyncWith | ast.AsyncFor):
            kind = "with" if isinstance(node, ast.AsyncWith) else "for"
            yield (
                "async",
                f"`async {kind}` → `{kind}`",
                node.lineno,
                source.remove_keyword(node, "async"),
            )
        elif isinstance(node, ast.Name) and node.id in _MOCKS and isinstance(node.ctx, ast.Load):
            other = _MOCKS[node.id]
            text = other if other in bound else f'__import__("unittest.mock").mock.{other}'
            yield ("mock-swap", f"{node.id} → {other}", node.lineno, source.replace(node, text))
        elif isinstance(node, ast.Attribute) and node.attr in _MOCKS:
            other = _MOCKS[node.attr]
            line, _, end_line, end_col = source.span(node)
            edit = _Edit(end_line, end_col - len(node.attr), end_line, end_col, other)
            yield ("mock-swap", f"{node.attr} → {other}", end_line, edit)
        elif isinstance(node, ast.Assert):
            yield from literal(_Compared(node.test))
        elif isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
            name = node.func.attr
            if name.startswith("assert_"):  # a mock's assert_called_with(...) and the like
                for argument in [*node.args, *(k.value for k in node.keywords)]:
                    yield from literal(argument)
            elif name == "raises":  # pytest.raises(..., match="...")
                for k in node.keywords:
                    if k.arg == "match":
                        yield from literal(k.value)
        if isinstance(node, ast.Call):
            for k in node.keywords:
                value = k.value
                if (
                    isinstance(value, ast.Constant)
                    and isinstance(value.value, bool)
                    and (value.lineno, value.col_offset) not in seen
                ):
                    seen.add((value.lineno, value.col_offset))
                    yield (
                        "keyword",
                        f"{k.arg}={value.value} → {k.arg}={not value.value}",
                        value.lineno,
                        source.replace(value, repr(not value.value)),
                    )
        if isinstance(node, ast.Assign | ast.AnnAssign | ast.AugAssign) and _configures_context(
            node
        ):
            yield (
                "drop-config",
                f"delete `{_short(source.segment(node))}`",
                node.lineno,
                _statement_removal(source, node),
            )
        if not code_under_test:
            continue
        if isinstance(node, ast.Return) and node.value is not None:
            yield from _wrong_field(source, node.value, vocabulary)
        if isinstance(node, ast.Expr) and isinstance(
            node.value.value if isinstance(node.value, ast.Await) else node.value, ast.Call
        ):
            yield (
                "drop-call",
                f"delete `{_short(source.segment(node))}`",
                node.lineno,
                _statement_removal(source, node),
            )


@dataclass(frozen=True)
class _Compared:
    """An assert's test: only the operands of its comparisons are expected values."""

    test: ast.expr


def _expected_values(node: ast.AST | _Compared) -> Iterator[ast.Constant]:
    """The literals of an expected value: constants, in containers and ``call(...)``.

    In an assert's test, only the operands of comparisons count: in
    ``assert await client.temperature("Oslo") == 4.5`` that is 4.5, not the input "Oslo".
    """
    if isinstance(node, _Compared):
        test = node.test
        if isinstance(test, ast.Compare):
            for operand in [test.left, *test.comparators]:
                yield from _expected_values(operand)
        elif isinstance(test, ast.BoolOp):
            for value in test.values:
                yield from _expected_values(_Compared(value))
        elif isinstance(test, ast.UnaryOp) and isinstance(test.op, ast.Not):
            yield from _expected_values(_Compared(test.operand))
        return
    if isinstance(node, ast.Constant):
        if isinstance(node.value, bool | int | float | str):
            yield node
    elif isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub | ast.UAdd):
        yield from _expected_values(node.operand)
    elif isinstance(node, ast.Tuple | ast.List | ast.Set):
        for element in node.elts:
            yield from _expected_values(element)
    elif isinstance(node, ast.Dict):
        for part in [*node.keys, *node.values]:
            if part is not None:
                yield from _expected_values(part)
    elif isinstance(node, ast.Call) and _name_of(node.func) == "call":  # unittest.mock.call
        for argument in [*node.args, *(k.value for k in node.keywords)]:
            yield from _expected_values(argument)


def _name_of(node: ast.expr) -> str | None:
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Attribute):
        return node.attr
    return None


def _bound_names(tree: ast.Module) -> set[str]:
    """Names a module imports or assigns anywhere (good enough to know ``AsyncMock`` is there)."""
    names = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import | ast.ImportFrom):
            names.update((a.asname or a.name).split(".")[0] for a in node.names)
        elif isinstance(node, ast.Name) and isinstance(node.ctx, ast.Store):
            names.add(node.id)
    return names


def _configures_context(node: ast.Assign | ast.AnnAssign | ast.AugAssign) -> bool:
    targets = node.targets if isinstance(node, ast.Assign) else [node.target]
    return any(
        isinstance(sub, ast.Attribute) and sub.attr in _CONTEXT_METHODS
        for target in targets
        for sub in ast.walk(target)
    )


@dataclass
class _Vocabulary:
    """Field names a page uses, to swap a returned field for another real one."""

    #: string keys that appear together in one dict literal or subscript family
    keys: dict[str, list[str]]
    #: attribute names by the expression they are read from (``self``, ``response``)
    attributes: dict[str, list[str]]

    @classmethod
    def of(cls, sources: list[_Source]) -> _Vocabulary:
        keys: dict[str, list[str]] = {}
        attributes: dict[str, list[str]] = {}

        def add(table: dict[str, list[str]], group: str, name: str) -> None:
            names = table.setdefault(group, [])
            if name not in names:
                names.append(name)

        for source in sources:
            for node in ast.walk(source.tree):
                if isinstance(node, ast.Dict):
                    for k in node.keys:
                        if isinstance(k, ast.Constant) and isinstance(k.value, str):
                            for other in node.keys:
                                if isinstance(other, ast.Constant) and isinstance(other.value, str):
                                    add(keys, k.value, other.value)
                elif isinstance(node, ast.Attribute):
                    add(attributes, ast.unparse(node.value), node.attr)
        return cls(keys, attributes)

    def other_key(self, key: str) -> str | None:
        return next((k for k in self.keys.get(key, []) if k != key), None)

    def other_attribute(self, owner: str, attr: str) -> str | None:
        candidates = [a for a in self.attributes.get(owner, []) if a != attr]
        private = [a for a in candidates if a.startswith("_") == attr.startswith("_")]
        return next(iter(private or candidates), None)


def _wrong_field(
    source: _Source, value: ast.expr, vocabulary: _Vocabulary
) -> Iterator[tuple[str, str, int, _Edit]]:
    """``return data["a"]`` -> ``return data["b"]``; ``return self._a`` -> ``return self._b``."""
    if isinstance(value, ast.Subscript):
        key = value.slice
        if isinstance(key, ast.Constant) and isinstance(key.value, str):
            other = vocabulary.other_key(key.value)
            if other is not None:
                yield (
                    "wrong-field",
                    f"return [{key.value!r}] → [{other!r}]",
                    key.lineno,
                    source.replace(key, repr(other)),
                )
    elif isinstance(value, ast.Attribute):
        other = vocabulary.other_attribute(ast.unparse(value.value), value.attr)
        if other is not None:
            _, _, end_line, end_col = source.span(value)
            yield (
                "wrong-field",
                f"return .{value.attr} → .{other}",
                end_line,
                _Edit(end_line, end_col - len(value.attr), end_line, end_col, other),
            )


# -- sessions (pycon, console) ------------------------------------------------------------


def _session_edits(f: ExampleFile) -> Iterator[tuple[str, str, Placed, int, str]]:
    """(operator, description, placed, line in block, new line) for pycon/console blocks."""
    prompt = re.compile(r"^(>>> |\.\.\. )(.*)$" if f.kind == "pycon" else r"^(\$ )(.*)$")
    imported: set[str] = set()
    for placed in f.placed:
        lines = placed.block.code.splitlines()
        for number, text in enumerate(lines):
            match = prompt.match(text)
            if match is None:
                stripped = text.strip()
                if stripped and stripped != "..." and not stripped.startswith("Traceback ("):
                    yield ("output", _change(text, alter_text(text)), placed,
                           number, alter_text(text))  # fmt: skip
                continue
            if f.kind != "pycon":
                continue
            head, code = match.groups()
            if re.match(r"\s*(from|import)\b", code):
                imported.update(re.findall(r"\w+", code))
                continue
            for word in re.finditer(r"\bawait\s+", code):
                new = code[: word.start()] + code[word.end() :]
                yield ("await", f"`{_short(code)}` → `{_short(new)}`", placed, number, head + new)
            for name in re.finditer(r"\b(MagicMock|AsyncMock)\b", code):
                other = _MOCKS[name[0]]
                text_ = other if other in imported else f'__import__("unittest.mock").mock.{other}'
                new = code[: name.start()] + text_ + code[name.end() :]
                yield ("mock-swap", f"{name[0]} → {other}", placed, number, head + new)


# -- what the page says running a file does ----------------------------------------------


def _option_line(page_lines: list[str], block: Block, option: str) -> int:
    """The page line where ``option`` of ``block`` is written (``:raises:`` or YAML)."""
    pattern = re.compile(rf"^\s*:?{re.escape(option)}:")
    for number in range(block.line, block.code_line):
        if pattern.match(page_lines[number - 1]):
            return number
    return block.line


def _active(value: Versioned, name: str) -> tuple[str, str]:
    """The option key (``raises`` or ``raises-3.11``) whose text applies on this Python."""
    key = name
    for start in sorted(value.since, key=version_key):
        if version_key(start) <= version_key(VERSION):
            key = f"{name}-{start}"
    return key, value.at(VERSION)


def _with_active(value: Versioned, key: str, name: str, text: str) -> Versioned:
    if key == name:
        return Versioned(text, dict(value.since))
    return Versioned(value.base, {**value.since, key.removeprefix(f"{name}-"): text})


def _option_mutants(
    block: Block, page_lines: list[str]
) -> Iterator[tuple[str, str, int, dict[str, object]]]:
    """(operator, description, page line, changed fields) for the expectations of ``block``."""
    if block.raises is not None:
        key, text = _active(block.raises, "raises")
        kind, sep, message = text.partition(": ")
        new = f"{kind}{sep}{alter_text(message)}" if sep else alter_text(kind)
        yield (
            "raises",
            f":{key}: {_change(text, new)}",
            _option_line(page_lines, block, key),
            {"raises": _with_active(block.raises, key, "raises", new)},
        )
    if block.stdout is not None:
        lines = block.stdout.splitlines()
        for i, line in enumerate(lines):
            if line.strip():
                changed = [*lines[:i], alter_text(line), *lines[i + 1 :]]
                yield (
                    "stdout",
                    f":stdout: {_change(line, alter_text(line))}",
                    _option_line(page_lines, block, "stdout"),
                    {"stdout": "\n".join(changed)},
                )
    if block.outcome is not None:
        for name, count in block.outcome.items():
            yield (
                "outcome",
                f":outcome: {name}={count} → {name}={count + 1}",
                _option_line(page_lines, block, "outcome"),
                {"outcome": {**block.outcome, name: count + 1}},
            )
    if block.lines is not None:
        key, text = _active(block.lines, "lines")
        lines = text.splitlines()
        for i, line in enumerate(lines):
            if line.strip():
                changed = "\n".join([*lines[:i], alter_text(line), *lines[i + 1 :]])
                yield (
                    "lines",
                    f":{key}: {_change(line, alter_text(line))}",
                    _option_line(page_lines, block, key),
                    {"lines": _with_active(block.lines, key, "lines", changed)},
                )


# -- all mutants of a page ------------------------------------------------------------------


def mutants_of(root: Path, page: str, blocks: list[Block]) -> list[Mutant]:
    """Every mutant of one page, in page order; ids are unique within the page."""
    _, files = extract.plan({page: blocks}, extract.read_pytest_ini(root))
    index = {id(b): i for i, b in enumerate(blocks)}
    page_lines = (root / page).read_text(encoding="utf-8").splitlines()
    found: list[Mutant] = []

    def add(operator: str, description: str, line: int, block: Block, new: Block) -> None:
        code = page_lines[line - 1].strip()
        found.append(Mutant(page, line, operator, description, index[id(block)], new, code))

    runnable = [f for f in files if f.skip is None and f.kind != "data"]
    # conftest.py is test code too (fixtures, doubles); only modules are code under test
    sources = [_Source(f) for f in runnable if f.kind in ("test", "conftest", "module")]
    vocabulary = _Vocabulary.of(sources)
    for source in sources:
        for operator, description, line, edit in _python_edits(source, vocabulary):
            placed = source.placed_at(line)
            code = _apply(placed, edit)
            if code is None or not _compiles(source, placed, code):
                continue
            block = placed.block
            new = dataclasses.replace(block, code=code)
            add(operator, description, placed.page_line(line), block, new)
    for f in runnable:
        if f.kind in ("pycon", "console"):
            for operator, description, placed, number, text in _session_edits(f):
                lines = placed.block.code.splitlines()
                lines[number] = text
                new = dataclasses.replace(placed.block, code="\n".join(lines) + "\n")
                add(operator, description, placed.block.code_line + number, placed.block, new)
        last = f.last
        for operator, description, line, fields in _option_mutants(last, page_lines):
            add(operator, description, line, last, dataclasses.replace(last, **fields))
    found.sort(key=lambda m: (m.line, m.operator, m.description))
    # Two mutants alike on one line (two MagicMock on it): number them, in column order.
    counts = Counter(m.key for m in found)
    numbered: Counter[tuple[str, int, str, str]] = Counter()
    unique = []
    for m in found:
        if counts[m.key] > 1:
            numbered[m.key] += 1
            m = dataclasses.replace(m, description=f"{m.description} (#{numbered[m.key]})")
        unique.append(m)
    return unique


def _compiles(source: _Source, placed: Placed, code: str) -> bool:
    """A mutant must still be valid Python: a syntax error is no fault worth finding."""
    f = source.file
    blocks = [dataclasses.replace(p.block, code=code) if p is placed else p.block for p in f.placed]
    try:
        ast.parse("\n".join(b.code for b in blocks))
    except SyntaxError:
        return False
    return True


# -- running ------------------------------------------------------------------------------


def _write_page(where: Path, page: str, blocks: list[Block], configuration: str) -> str:
    """Extract one page into ``where/examples`` (its conftest loads the installed plugin,
    its pytest.ini is ``configuration``)."""
    tree, _ = extract.plan({page: blocks}, configuration)
    extract.write_tree(tree, where / "examples")
    return extract.folder_of(page)


def run_page(
    page: str, blocks: list[Block], timeout: float, configuration: str
) -> tuple[str, str, float]:
    """Run one page's examples in a temporary copy: (status, what pytest said, seconds)."""
    started = time.monotonic()
    status, detail = _run_page(page, blocks, timeout, configuration)
    return status, detail, time.monotonic() - started


def _run_page(
    page: str, blocks: list[Block], timeout: float, configuration: str
) -> tuple[str, str]:
    with tempfile.TemporaryDirectory(prefix="mutant-") as tmp:
        where = Path(tmp)
        try:
            folder = _write_page(where, page, blocks, configuration)
        except (BlockError, extract.ExtractError) as error:
            return ERROR, f"the mutated page does not extract: {error}"
        command = [
            sys.executable,
            "-m",
            "pytest",
            "-c",
            "examples/pytest.ini",
            f"examples/{folder}",
            "-x",
            "-q",
            "--no-header",
            "-p",
            "no:cacheprovider",
            # Its own temporary folder: mutants run side by side, and pytest's cleanup of
            # a shared /tmp/pytest-of-<user> can fail one run with another's leftovers.
            f"--basetemp={where / 'pytest-tmp'}",
        ]
        # Plain text whatever the terminal: the verdict reads pytest's lines, and
        # FORCE_COLOR or PY_COLORS=1 (set on some CI machines) would colour them.
        env = {**os.environ, "PYTHONDONTWRITEBYTECODE": "1", "PY_COLORS": "0"}
        # A session of its own, so a run that hangs is stopped with everything it started
        # (pytester's and the console blocks' own pytest processes).
        process = subprocess.Popen(
            command,
            cwd=where,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            start_new_session=True,
        )
        try:
            out, _ = process.communicate(timeout=timeout)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.communicate()
            return KILLED, f"timed out after {timeout:.0f} s (the run hangs)"
        return verdict(process.returncode, out.strip().splitlines())


_FAILED = re.compile(r"^(E\s+\S.*|docs/\S+:\d+.*|FAILED .*|ERROR .*)$")


def verdict(returncode: int, output: list[str]) -> tuple[str, str]:
    """What a pytest run of a mutated page says about the mutant: (status, why).

    Killed means a check failed, as the output shows: exit code 1 (a test or block
    failed), 2 (collection failed: a module no longer imports) or 4 (a conftest no longer
    loads), each of which fails `nox -s examples` as surely. A run that fails without
    saying which check did (an error at exit, pytest's or the plugin's internal error,
    nothing collected) is an error to look into, never a kill: it could hide a survivor.
    """
    if returncode == 0:
        return SURVIVED, output[-1] if output else ""
    failed = next((line for line in output if _FAILED.match(line)), None)
    if returncode in (1, 2, 4) and failed is not None:
        return KILLED, _short(failed.removeprefix("E").strip(), 200)
    return ERROR, f"pytest exited {returncode} without a failing check:\n" + "\n".join(output[-30:])


class EquivalentsError(Exception):
    """``mutants_equivalent.toml`` is not a list of reviewed entries."""


@dataclass(frozen=True)
class Equivalent:
    """A reviewed mutant that no test could notice, and why."""

    page: str
    line: int  #: where it was when reviewed; the mutant is found by ``code`` if lines move
    operator: str
    mutant: str  #: the description, as the report prints it
    code: str  #: the page line, as written (stripped)
    reason: str

    @property
    def id(self) -> str:
        return f"{self.page}:{self.line} {self.operator}: {self.mutant}"

    def names(self, mutant: Mutant) -> bool:
        """The same fault on the same code (at this line or, if the page moved, another)."""
        return (mutant.page, mutant.operator, mutant.description, mutant.code) == (
            self.page,
            self.operator,
            self.mutant,
            self.code,
        )


_AT = re.compile(r"^(?P<page>\S+\.md):(?P<line>[1-9]\d*)$")
_MUTANT = re.compile(r"^(?P<operator>[a-z-]+): (?P<description>.+)$", re.DOTALL)


def load_equivalents(path: Path) -> list[Equivalent]:
    """The reviewed equivalent mutants in ``path`` (none if it does not exist).

    Each ``[[equivalent]]`` table gives a ``reason`` and the ``mutants`` it explains, each
    ``{ at = "docs/PAGE.md:LINE", mutant = "OPERATOR: DESCRIPTION", code = "LINE TEXT" }``
    as the report prints them. A table without a reason or mutants, a field missing or
    unknown, or a mutant listed twice is an error.
    """
    if not path.is_file():
        return []
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as error:
        raise EquivalentsError(f"{path}: {error}") from None
    unknown = set(data) - {"equivalent"}
    if unknown:
        raise EquivalentsError(f"{path}: unknown tables {sorted(unknown)}; expected [[equivalent]]")
    entries: list[Equivalent] = []
    seen: set[tuple[str, int, str, str]] = set()
    for number, table in enumerate(data.get("equivalent", []), start=1):
        where = f"{path}: [[equivalent]] number {number}"
        _fields(where, table, {"reason", "mutants"})
        reason = " ".join(str(table["reason"]).split())
        if not reason:
            raise EquivalentsError(f"{where}: the reason is empty")
        if not isinstance(table["mutants"], list) or not table["mutants"]:
            raise EquivalentsError(f"{where}: mutants must be a non-empty list")
        for item in table["mutants"]:
            _fields(where, item, {"at", "mutant", "code"})
            at, mutant = _AT.match(str(item["at"])), _MUTANT.match(str(item["mutant"]))
            if at is None or mutant is None:
                raise EquivalentsError(
                    f"{where}: {item['at']} {item['mutant']}: expected at = "
                    '"docs/PAGE.md:LINE" and mutant = "OPERATOR: DESCRIPTION"'
                )
            entry = Equivalent(
                at["page"],
                int(at["line"]),
                mutant["operator"],
                mutant["description"],
                str(item["code"]).strip(),
                reason,
            )
            key = (entry.page, entry.line, entry.operator, entry.mutant)
            if key in seen:
                raise EquivalentsError(f"{where}: {entry.id} is listed twice")
            seen.add(key)
            entries.append(entry)
    return entries


def _fields(where: str, table: object, expected: set[str]) -> None:
    if not isinstance(table, dict) or set(table) != expected:
        got = sorted(table) if isinstance(table, dict) else table
        raise EquivalentsError(f"{where}: expected the fields {sorted(expected)}, got {got}")


def match_equivalents(
    results: list[Result],
    equivalents: list[Equivalent],
    pages: dict[str, object],
    skipped: set[str],
    every_page: bool,
) -> tuple[list[tuple[Equivalent, str]], list[tuple[Equivalent, int]]]:
    """Mark the survivors the reviewed list explains as equivalent.

    Returns the stale entries (with what is wrong) and the entries whose mutant moved to
    another line (with that line). An entry explains the surviving mutant with the same
    operator, description and code on its page: at its line, else the nearest such one.
    ``pages`` are the pages that ran; ``skipped`` those whose mutants never ran.
    """
    stale: list[tuple[Equivalent, str]] = []
    moved: list[tuple[Equivalent, int]] = []
    open_ = [r for r in results if r.status == SURVIVED]
    pending = []
    for entry in equivalents:
        if entry.page not in pages:
            if every_page:  # the page was removed or renamed
                stale.append((entry, "no such page"))
        elif entry.page not in skipped:
            pending.append(entry)
    # exact lines first, so a moved entry cannot take a mutant another entry names exactly
    for exact in (True, False):
        for entry in list(pending):
            candidates = [
                r
                for r in open_
                if entry.names(r.mutant) and (not exact or r.mutant.line == entry.line)
            ]
            if not candidates:
                continue
            found = min(candidates, key=lambda r: (abs(r.mutant.line - entry.line), r.mutant.line))
            found.status, found.detail = EQUIVALENT_STATUS, entry.reason
            open_.remove(found)
            pending.remove(entry)
            if found.mutant.line != entry.line:
                moved.append((entry, found.mutant.line))
    for entry in pending:
        other = [r for r in results if entry.names(r.mutant) and r.status != EQUIVALENT_STATUS]
        if other:
            where = other[0].mutant.line
            stale.append((entry, f"the mutant (line {where}) is {other[0].status}, not equivalent"))
        else:
            stale.append((entry, "no such mutant any more (is the code on that line changed?)"))
    return stale, moved


@dataclass
class Report:
    results: list[Result]
    baseline_errors: dict[str, str]
    stale: list[tuple[Equivalent, str]]
    seconds: float
    moved: list[tuple[Equivalent, int]] = dataclasses.field(default_factory=list)

    def pages(self) -> dict[str, Counter[str]]:
        table: dict[str, Counter[str]] = {}
        for r in self.results:
            table.setdefault(r.mutant.page, Counter())[r.status] += 1
        for page in self.baseline_errors:
            table.setdefault(page, Counter())
        return dict(sorted(table.items()))

    @property
    def ok(self) -> bool:
        return (
            not self.baseline_errors
            and not self.stale
            and not any(r.status in (SURVIVED, ERROR) for r in self.results)
        )

    def markdown(self) -> str:
        out = [
            f"# Mutation self-test (Python {VERSION})",
            "",
            "| page | killed | total | equivalent | survived | error |",
            "| --- | ---: | ---: | ---: | ---: | ---: |",
        ]
        totals: Counter[str] = Counter()
        for page, counts in self.pages().items():
            total = sum(counts.values())
            totals.update(counts)
            totals["total"] += total
            out.append(
                f"| {page} | {counts[KILLED]} | {total} | {counts[EQUIVALENT_STATUS]} "
                f"| {counts[SURVIVED]} | {counts[ERROR]} |"
            )
        out.append(
            f"| **all** | {totals[KILLED]} | {totals['total']} | {totals[EQUIVALENT_STATUS]} "
            f"| {totals[SURVIVED]} | {totals[ERROR]} |"
        )
        by_operator: dict[str, Counter[str]] = {}
        for r in self.results:
            by_operator.setdefault(r.mutant.operator, Counter())[r.status] += 1
        out += [
            "",
            "| operator | killed | total | equivalent | survived |",
            "| --- | ---: | ---: | ---: | ---: |",
        ]
        for operator, counts in sorted(by_operator.items()):
            out.append(
                f"| {operator} | {counts[KILLED]} | {sum(counts.values())} "
                f"| {counts[EQUIVALENT_STATUS]} | {counts[SURVIVED]} |"
            )
        sections = [
            ("Surviving mutants (strengthen the page's tests)", SURVIVED),
            ("Errors", ERROR),
            ("Equivalent mutants (reviewed in mutants_equivalent.toml)", EQUIVALENT_STATUS),
        ]
        for title, status in sections:
            chosen = [r for r in self.results if r.status == status]
            if chosen:
                out += ["", f"## {title}", ""]
                out += [f"- {r.mutant.id}  \n  {r.detail}" for r in chosen]
        survivors = [r.mutant for r in self.results if r.status == SURVIVED]
        if survivors:
            out += [
                "",
                "Strengthen the page's tests until these die. Only a mutant no test could "
                "notice goes in mutants_equivalent.toml, with the reason:",
                "",
                "```toml",
                "[[equivalent]]",
                'reason = "..."',
                "mutants = [",
                *(f"  {toml_item(m)}," for m in survivors),
                "]",
                "```",
            ]
        if self.moved:
            out += ["", "## Equivalent mutants on another line now", ""]
            out += [f"- {e.id} is at line {line} now" for e, line in self.moved]
        if self.baseline_errors:
            out += ["", "## Pages that fail unmutated", ""]
            out += [f"- {page}: {detail}" for page, detail in self.baseline_errors.items()]
        if self.stale:
            out += ["", "## Stale entries in mutants_equivalent.toml", ""]
            out += [f"- {e.id}: {why}" for e, why in self.stale]
        out += ["", f"{len(self.results)} mutants in {self.seconds:.0f} s."]
        return "\n".join(out) + "\n"

    def to_json(self) -> dict[str, object]:
        return {
            "python": VERSION,
            "seconds": round(self.seconds, 1),
            "ok": self.ok,
            "pages": {
                page: {
                    "killed": counts[KILLED],
                    "total": sum(counts.values()),
                    "equivalent": counts[EQUIVALENT_STATUS],
                    "survived": counts[SURVIVED],
                    "error": counts[ERROR],
                }
                for page, counts in self.pages().items()
            },
            "mutants": [
                {
                    "id": r.mutant.id,
                    "page": r.mutant.page,
                    "line": r.mutant.line,
                    "operator": r.mutant.operator,
                    "mutant": r.mutant.description,
                    "code": r.mutant.code,
                    "status": r.status,
                    "detail": r.detail,
                }
                for r in self.results
            ],
            "baseline_errors": self.baseline_errors,
            "stale_equivalents": [{"id": e.id, "why": why} for e, why in self.stale],
            "moved_equivalents": [{"id": e.id, "line": line} for e, line in self.moved],
        }


def toml_item(mutant: Mutant) -> str:
    """The mutant as an item of ``mutants = [...]`` in mutants_equivalent.toml."""
    at = json.dumps(f"{mutant.page}:{mutant.line}")
    description = json.dumps(f"{mutant.operator}: {mutant.description}", ensure_ascii=False)
    code = json.dumps(mutant.code, ensure_ascii=False)
    return f"{{ at = {at}, mutant = {description}, code = {code} }}"


def run(
    root: Path,
    pages: list[str],
    *,
    jobs: int = 2,
    timeout: float = 120,
    equivalents: list[Equivalent] | None = None,
    every_page: bool = False,
    progress: Callable[[str], None] | None = None,
) -> Report:
    """Run every mutant of ``pages`` (paths relative to ``root``).

    ``every_page``: ``pages`` is the whole guide, so an equivalent entry for any other page
    is stale.
    """
    started = time.monotonic()
    equivalents = equivalents or []
    from .pages import read_page  # MyST: only here, so the plugin never needs it

    read = {page: read_page(root / page, page) for page in pages}
    configuration = extract.read_pytest_ini(root)
    baseline_errors: dict[str, str] = {}
    work: list[tuple[Mutant, list[Block], float]] = []
    with ThreadPoolExecutor(max_workers=jobs) as pool:
        baselines = {
            page: pool.submit(run_page, page, blocks, timeout, configuration)
            for page, blocks in read.items()
            if blocks
        }
        for page, future in baselines.items():
            status, detail, seconds = future.result()
            if status != SURVIVED:  # the page as written must pass
                baseline_errors[page] = detail
                continue
            # A mutant that makes the page hang is killed (the real run would never end);
            # wait ten times what the page takes as written, at least 15 s.
            limit = min(timeout, max(15.0, 10 * seconds))
            blocks = read[page]
            for mutant in mutants_of(root, page, blocks):
                mutated = [*blocks[: mutant.index], mutant.block, *blocks[mutant.index + 1 :]]
                work.append((mutant, mutated, limit))

        def one(item: tuple[Mutant, list[Block], float]) -> Result:
            mutant, mutated, limit = item
            status, detail, _ = run_page(mutant.page, mutated, limit, configuration)
            if progress:
                listed = status == SURVIVED and any(e.names(mutant) for e in equivalents)
                progress(f"{'equivalent' if listed else status:>10}  {mutant.id}")
            return Result(mutant, status, detail)

        results = list(pool.map(one, work))
    stale, moved = match_equivalents(results, equivalents, read, set(baseline_errors), every_page)
    return Report(results, baseline_errors, stale, time.monotonic() - started, moved)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="mutants", description=__doc__.split("\n\n")[0])
    parser.add_argument("pages", nargs="*", help="pages to mutate (default: every page)")
    parser.add_argument("--root", type=Path, default=Path.cwd(), help="repository root")
    parser.add_argument("--jobs", type=int, default=2, help="mutants run at once (default 2)")
    parser.add_argument(
        "--timeout", type=float, default=120, help="most seconds a mutant may run (default 120)"
    )
    parser.add_argument("--out", type=Path, help="report folder (default: ROOT/_build)")
    parser.add_argument(
        "--equivalent", type=Path, help=f"reviewed list (default: ROOT/{EQUIVALENT.as_posix()})"
    )
    parser.add_argument("--list", action="store_true", help="list the mutants, run none")
    args = parser.parse_args(argv)
    root = args.root.resolve()
    pages = [Path(p).as_posix() for p in args.pages] or [
        p.relative_to(root).as_posix() for p in extract.find_pages(root / "docs")
    ]
    for page in pages:
        if not (root / page).is_file():
            parser.error(f"{page}: no such page under {root}")
    try:
        equivalents = load_equivalents(args.equivalent or root / EQUIVALENT)
    except EquivalentsError as error:
        parser.error(str(error))
    if args.list:
        from .pages import read_page

        for page in pages:
            for mutant in mutants_of(root, page, read_page(root / page, page)):
                print(mutant.id)
        return 0
    report = run(
        root,
        pages,
        jobs=args.jobs,
        timeout=args.timeout,
        equivalents=equivalents,
        every_page=not args.pages,
        progress=lambda line: print(line, flush=True),
    )
    out = args.out or root / "_build"
    out.mkdir(parents=True, exist_ok=True)
    (out / "mutants.json").write_text(json.dumps(report.to_json(), indent=1) + "\n", "utf-8")
    text = report.markdown()
    (out / "mutants.md").write_text(text, encoding="utf-8")
    print()
    print(text)
    print(f"written: {out / 'mutants.md'}, {out / 'mutants.json'}")
    return 0 if report.ok else 1


if __name__ == "__main__":
    sys.exit(main())
