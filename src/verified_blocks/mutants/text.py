"""Text changes: the small change to a value or a line that a check of it must notice,
and the short ``old → new`` the reports print for it."""

from __future__ import annotations

import re


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


def change(old: str, new: str, limit: int = 60) -> str:
    """``old → new``, both cut to the part around where they first differ."""
    first = next((i for i, (a, b) in enumerate(zip(old, new, strict=False)) if a != b), 0)
    start = max(0, first - 20)
    lead = "…" if start else ""
    return f"{lead}{short(old[start:], limit)} → {lead}{short(new[start:], limit)}"


def short(text: str, limit: int = 60) -> str:
    """``text`` on one line, cut to ``limit`` characters with an ellipsis."""
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"
