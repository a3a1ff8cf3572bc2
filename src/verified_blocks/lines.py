"""Finding the lines a page shows in what a run printed.

This module owns every rule that decides whether a printed line is the one a page
shows: what an error line is (:data:`ERROR_LINE`, :func:`is_bare_name`, which the
catalog, the search index and the paste box share), how a ``:lines:`` entry matches
pytest's output (:func:`pattern`, :func:`first_missing`), and how a ``console`` block's
output matches what its command printed (:func:`normal`, :func:`first_missing_normal`).

Standard library only: the pytest plugin uses it on every interpreter under test.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence

#: A line that names an exception or warning class first (``RuntimeError: Session is
#: closed``, ``asyncio.exceptions.TimeoutError``): what the catalog lists as an error, and
#: what the plugin looks for only where pytest reports one.
ERROR_LINE = re.compile(r"(?:[a-z_][\w.]*\.)?[A-Z]\w*(?:Error|Exception|Warning|Mismatch)\b")

#: In a ``:lines:`` entry, any text (as in pytest's ``fnmatch_lines``): a line whose
#: address or path varies is written ``... at 0x*>``; the line's ends stay strict.
WILDCARD = "*"


def is_bare_name(text: str) -> bool:
    """``TimeoutError`` or ``asyncio.exceptions.TimeoutError`` alone: a class, no message."""
    return re.fullmatch(r"[\w.]+", text.strip()) is not None


def pattern(line: str) -> re.Pattern[str]:
    """``line`` as a pattern that matches a printed line only where pytest prints it whole.

    An error line (``RuntimeError: x``, ``TimeoutError``) must be where pytest reports an
    exception or a warning: alone on its line, after ``E`` or an exception group's ``|``
    margin, or at the end of a ``FAILED ... - `` summary; with a message it may also follow
    a warning's ``file:line:``, and may end in the middle of a word (``at 0x``, for an address
    that changes). So ``TimeoutError`` is found neither in ``asyncio.exceptions.TimeoutError``
    nor in a traceback's ``tasks.py:458: TimeoutError`` or a docstring's "raises TimeoutError.".
    Any other line must not start or end inside a word: ``1 passed`` is not in ``11 passed``.

    A ``*`` matches any text, the empty text too; at either end of the line it lifts that
    end's rule (``*passed`` is found in ``11 passed``), elsewhere the rules stay.
    """
    text = ".*".join(re.escape(part) for part in line.split(WILDCARD))
    if ERROR_LINE.match(line):
        where = [r"[\sE|+-]*", r"(?:FAILED|ERROR) .* - "]
        if is_bare_name(line):  # not the start of a longer name
            end = r"(?![\w.])"
        else:
            where.append(r".*:\d+: ")
            end = ""
        return re.compile(rf"^(?:{'|'.join(where)}){text}{end}")
    start = r"(?<![\w.])" if re.match(r"[\w.]", line) else ""
    end = r"(?!\w)" if re.search(r"\w$", line) else ""
    return re.compile(start + text + end)


def first_missing(want: Sequence[str], got: Sequence[str]) -> str | None:
    """The first ``:lines:`` entry of ``want`` not found, in order, in ``got``; or None."""
    return _first_missing(want, got, lambda line: pattern(line).search)


def normal(line: str) -> str:
    """Collapse spacing and durations, which vary from run to run."""
    return " ".join(_DURATION.sub("Ns", line).split())


_DURATION = re.compile(r"\b\d+(\.\d+)?s\b")


def first_missing_normal(want: Sequence[str], got: Sequence[str]) -> str | None:
    """The first line of ``want`` that is not, in order and once :func:`normal`, a whole
    line of ``got``; or None. How a ``console`` block's output is compared."""
    printed = [normal(line) for line in got]

    def equals(line: str) -> Callable[[str], bool]:
        expected = normal(line)
        return lambda text: text == expected

    return _first_missing(want, printed, equals)


def _first_missing(
    want: Sequence[str], got: Sequence[str], matcher: Callable[[str], Callable[[str], object]]
) -> str | None:
    position = 0
    for line in want:
        matches = matcher(line)
        for index in range(position, len(got)):
            if matches(got[index]):
                position = index + 1
                break
        else:
            return line
    return None
