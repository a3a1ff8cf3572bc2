"""Fault makers for Python code: the operators over a page's modules, conftests and tests.

Each operator finds, in the AST of one generated file, a place where a fault should make
the page's tests fail: remove an ``await``, drop the ``async`` of ``async with``/``async
for``, swap ``MagicMock`` and ``AsyncMock``, change a literal an assertion compares or a
``match=`` expects, flip a ``True``/``False`` keyword, delete an ``__aenter__``/``__aexit__``
configuration, and, in code under test only (modules), return another field or skip a
call such as a ``close()``. An edit of the file that stays inside one block, keeps every
line number and still compiles becomes a :class:`~.model.Fault` of that block.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import NamedTuple, TypeAlias

from .. import extract
from ..manifest import ExampleFile, Placed
from .model import Fault
from .text import alter_constant, change, short

MOCKS = {"MagicMock": "AsyncMock", "AsyncMock": "MagicMock"}
_CONTEXT_METHODS = ("__aenter__", "__aexit__")

#: The kinds of generated file whose Python the operators change. conftest.py is test
#: code too (fixtures, doubles); only modules are code under test.
KINDS = ("test", "conftest", "module")

#: The nodes that have a place in the file (``ast.AST`` itself may not).
_Located: TypeAlias = ast.expr | ast.stmt


def code_faults(files: list[ExampleFile]) -> Iterator[Fault]:
    """Every fault the operators make in the Python files among ``files``, file by file."""
    sources = [_Source(f) for f in files if f.kind in KINDS]
    vocabulary = _Vocabulary.of(sources)
    for source in sources:
        for operator, description, line, edit in _python_edits(source, vocabulary):
            placed = source.placed_at(line)
            code = _apply(placed, edit)
            if code is None or not _compiles(source, placed, code):
                continue
            block = placed.block
            mutated = block._replace(code=code)
            yield Fault(operator, description, placed.page_line(line), block, mutated)


def _compiles(source: _Source, placed: Placed, code: str) -> bool:
    """A mutant must still be valid Python: a syntax error is no fault worth finding."""
    f = source.file
    blocks = [p.block._replace(code=code) if p is placed else p.block for p in f.placed]
    try:
        ast.parse("\n".join(b.code for b in blocks))
    except SyntaxError:
        return False
    return True


@dataclass(frozen=True)
class _Edit:
    """Replace file text from (line, col) to (end_line, end_col); lines 1-based, cols chars."""

    line: int
    col: int
    end_line: int
    end_col: int
    text: str


class _Edited(NamedTuple):
    """An operator's fault in one file, before it is placed in its block."""

    operator: str
    description: str
    line: int  #: the file line the fault is on
    edit: _Edit


class _Source:
    """A generated file's text, its AST, and character positions of AST nodes."""

    def __init__(self, f: ExampleFile) -> None:
        self.file = f
        self.text = extract.render(f)
        self.lines = self.text.splitlines(keepends=True)
        self.tree = ast.parse(self.text, f.path)

    def col(self, line: int, byte_col: int) -> int:
        return len(self.lines[line - 1].encode("utf-8")[:byte_col].decode("utf-8"))

    def span(self, node: _Located) -> tuple[int, int, int, int]:
        assert node.end_lineno is not None and node.end_col_offset is not None
        return (
            node.lineno,
            self.col(node.lineno, node.col_offset),
            node.end_lineno,
            self.col(node.end_lineno, node.end_col_offset),
        )

    def segment(self, node: _Located) -> str:
        return ast.get_source_segment(self.text, node) or ""

    def replace(self, node: _Located, text: str) -> _Edit:
        return _Edit(*self.span(node), text)

    def remove_keyword(self, node: _Located, keyword: str) -> _Edit:
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


def _python_edits(source: _Source, vocabulary: _Vocabulary) -> Iterator[_Edited]:
    """Every fault the operators find in one Python file, as an edit of the file."""
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

    def literal(node: ast.AST | _Compared) -> Iterator[_Edited]:
        for sub in _expected_values(node):
            if id(sub) not in fstring_parts and (sub.lineno, sub.col_offset) not in seen:
                seen.add((sub.lineno, sub.col_offset))
                new = alter_constant(sub.value)
                yield _Edited(
                    "literal",
                    change(repr(sub.value), repr(new)),
                    sub.lineno,
                    source.replace(sub, repr(new)),
                )

    for node in ast.walk(source.tree):
        if isinstance(node, ast.Await):
            segment = source.segment(node)
            without = re.sub(r"^await\s+", "", segment)
            yield _Edited(
                "await",
                f"`{short(segment)}` → `{short(without)}`",
                node.lineno,
                source.remove_keyword(node, "await"),
            )
        elif isinstance(node, ast.AsyncWith | ast.AsyncFor):
            kind = "with" if isinstance(node, ast.AsyncWith) else "for"
            yield _Edited(
                "async",
                f"`async {kind}` → `{kind}`",
                node.lineno,
                source.remove_keyword(node, "async"),
            )
        elif isinstance(node, ast.Name) and node.id in MOCKS and isinstance(node.ctx, ast.Load):
            other = MOCKS[node.id]
            text = other if other in bound else f'__import__("unittest.mock").mock.{other}'
            yield _Edited(
                "mock-swap", f"{node.id} → {other}", node.lineno, source.replace(node, text)
            )
        elif isinstance(node, ast.Attribute) and node.attr in MOCKS:
            other = MOCKS[node.attr]
            line, _, end_line, end_col = source.span(node)
            edit = _Edit(end_line, end_col - len(node.attr), end_line, end_col, other)
            yield _Edited("mock-swap", f"{node.attr} → {other}", end_line, edit)
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
                    yield _Edited(
                        "keyword",
                        f"{k.arg}={value.value} → {k.arg}={not value.value}",
                        value.lineno,
                        source.replace(value, repr(not value.value)),
                    )
        if isinstance(node, ast.Assign | ast.AnnAssign | ast.AugAssign) and _configures_context(
            node
        ):
            yield _Edited(
                "drop-config",
                f"delete `{short(source.segment(node))}`",
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
            yield _Edited(
                "drop-call",
                f"delete `{short(source.segment(node))}`",
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
    names: set[str] = set()
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


def _wrong_field(source: _Source, value: ast.expr, vocabulary: _Vocabulary) -> Iterator[_Edited]:
    """``return data["a"]`` -> ``return data["b"]``; ``return self._a`` -> ``return self._b``."""
    if isinstance(value, ast.Subscript):
        key = value.slice
        if isinstance(key, ast.Constant) and isinstance(key.value, str):
            other = vocabulary.other_key(key.value)
            if other is not None:
                yield _Edited(
                    "wrong-field",
                    f"return [{key.value!r}] → [{other!r}]",
                    key.lineno,
                    source.replace(key, repr(other)),
                )
    elif isinstance(value, ast.Attribute):
        other = vocabulary.other_attribute(ast.unparse(value.value), value.attr)
        if other is not None:
            _, _, end_line, end_col = source.span(value)
            yield _Edited(
                "wrong-field",
                f"return .{value.attr} → .{other}",
                end_line,
                _Edit(end_line, end_col - len(value.attr), end_line, end_col, other),
            )
