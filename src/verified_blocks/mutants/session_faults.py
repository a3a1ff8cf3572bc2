"""Fault makers for sessions: the ``pycon`` and ``console`` blocks a page shows being typed.

A session is text, not one Python file: its output lines are what the page says running
it prints, so each one is changed as a check of it must notice; on a ``>>>`` prompt line
an ``await`` is removed or ``MagicMock`` and ``AsyncMock`` are swapped, as in Python code.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from ..manifest import ExampleFile
from ..spec import Block
from .model import Fault
from .python_faults import MOCKS
from .text import alter_text, change, short


def session_faults(f: ExampleFile) -> Iterator[Fault]:
    """Every fault in the blocks of one pycon or console file, block by block."""
    prompt = re.compile(r"^(>>> |\.\.\. )(.*)$" if f.kind == "pycon" else r"^(\$ )(.*)$")
    imported: set[str] = set()
    for placed in f.placed:
        block = placed.block
        for number, text in enumerate(block.code.splitlines()):
            match = prompt.match(text)
            if match is None:
                stripped = text.strip()
                if stripped and stripped != "..." and not stripped.startswith("Traceback ("):
                    description = change(text, alter_text(text))
                    yield _line_changed(block, number, alter_text(text), "output", description)
                continue
            if f.kind != "pycon":
                continue
            head, code = match.groups()
            if re.match(r"\s*(from|import)\b", code):
                imported.update(re.findall(r"\w+", code))
                continue
            for word in re.finditer(r"\bawait\s+", code):
                new = code[: word.start()] + code[word.end() :]
                description = f"`{short(code)}` → `{short(new)}`"
                yield _line_changed(block, number, head + new, "await", description)
            for name in re.finditer(r"\b(MagicMock|AsyncMock)\b", code):
                other = MOCKS[name[0]]
                text_ = other if other in imported else f'__import__("unittest.mock").mock.{other}'
                new = code[: name.start()] + text_ + code[name.end() :]
                description = f"{name[0]} → {other}"
                yield _line_changed(block, number, head + new, "mock-swap", description)


def _line_changed(block: Block, number: int, new: str, operator: str, description: str) -> Fault:
    """``block`` with its line ``number`` (0-based) replaced by ``new``."""
    lines = block.code.splitlines()
    lines[number] = new
    mutated = block._replace(code="\n".join(lines) + "\n")
    return Fault(operator, description, block.code_line + number, block, mutated)
