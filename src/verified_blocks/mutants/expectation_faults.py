"""Fault makers for what a page says running a file does: its ``:raises:``, ``:stdout:``,
``:outcome:`` and ``:lines:`` (the options of the file's last block).

Each fault changes one expectation as a check of it must notice (a number +1, else a
letter's case; an outcome's count +1) and is placed at the page line where the option is
written. For ``:raises:`` and ``:lines:``, the text changed is the one that applies on this
interpreter (``:raises-3.11:`` on 3.11 to 3.13, say), as the plugin would compare it.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from ..spec import Block, Versioned, version_key
from .model import VERSION, Fault
from .text import alter_text, change


def expectation_faults(block: Block, page_lines: list[str]) -> Iterator[Fault]:
    """Every fault in the expectations of ``block``, in the order the options are listed."""

    def fault(operator: str, description: str, option: str, mutated: Block) -> Fault:
        return Fault(operator, description, _option_line(page_lines, block, option), block, mutated)

    if block.raises is not None:
        key, text = _active(block.raises, "raises")
        kind, sep, message = text.partition(": ")
        new = f"{kind}{sep}{alter_text(message)}" if sep else alter_text(kind)
        raises = _with_active(block.raises, key, "raises", new)
        yield fault(
            "raises",
            f":{key}: {change(text, new)}",
            key,
            block._replace(raises=raises),
        )
    if block.stdout is not None:
        lines = block.stdout.splitlines()
        for i, line in enumerate(lines):
            if line.strip():
                stdout = "\n".join([*lines[:i], alter_text(line), *lines[i + 1 :]])
                yield fault(
                    "stdout",
                    f":stdout: {change(line, alter_text(line))}",
                    "stdout",
                    block._replace(stdout=stdout),
                )
    if block.outcome is not None:
        for name, count in block.outcome.items():
            yield fault(
                "outcome",
                f":outcome: {name}={count} → {name}={count + 1}",
                "outcome",
                block._replace(outcome={**block.outcome, name: count + 1}),
            )
    if block.lines is not None:
        key, text = _active(block.lines, "lines")
        lines = text.splitlines()
        for i, line in enumerate(lines):
            if line.strip():
                changed = "\n".join([*lines[:i], alter_text(line), *lines[i + 1 :]])
                yield fault(
                    "lines",
                    f":{key}: {change(line, alter_text(line))}",
                    key,
                    block._replace(lines=_with_active(block.lines, key, "lines", changed)),
                )


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
    """``value`` with the text of option ``key`` (``name`` or ``name-3.X``) now ``text``."""
    if key == name:
        return Versioned(text, dict(value.since))
    return Versioned(value.base, {**value.since, key.removeprefix(f"{name}-"): text})
