"""The reviewed equivalent mutants: loading ``docs/mutants_equivalent.toml``, matching its
entries to the mutants that survived, and finding the entries gone stale.

A surviving mutant needs a stronger test on the page, or, if no test could notice it, an
entry with the reason in ``mutants_equivalent.toml`` (see :func:`load_equivalents`). An
entry names its mutant by page line, description and the line's code, so it still applies
when prose above it moves the line (:func:`match_equivalents`). An entry that explains no
surviving mutant is stale, and fails the run as a survivor does.
"""

from __future__ import annotations

import re

# Python 3.11+, where mypy checks the package as 3.10 code (the pytest plugin runs there):
# the mutants run on the docs' Python only (3.13, `nox -s mutants`).
import tomllib  # type: ignore[import-not-found]
from collections.abc import Collection
from dataclasses import dataclass
from pathlib import Path
from typing import NamedTuple

from .model import Mutant, Result, Status

#: The reviewed list of equivalent mutants: data about pages, so it lives beside them.
EQUIVALENT = Path("docs", "mutants_equivalent.toml")


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


class Stale(NamedTuple):
    """An entry that explains no surviving mutant, and what is wrong."""

    entry: Equivalent
    why: str


class Moved(NamedTuple):
    """An entry whose mutant is on another page line now."""

    entry: Equivalent
    line: int


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
    pages: Collection[str],
    skipped: set[str],
    every_page: bool,
) -> tuple[list[Stale], list[Moved]]:
    """Mark the survivors the reviewed list explains as equivalent.

    Returns the stale entries (with what is wrong) and the entries whose mutant moved to
    another line (with that line). An entry explains the surviving mutant with the same
    operator, description and code on its page: at its line, else the nearest such one.
    ``pages`` are the pages that ran; ``skipped`` those whose mutants never ran.
    """
    stale: list[Stale] = []
    moved: list[Moved] = []
    open_ = [r for r in results if r.status is Status.SURVIVED]
    pending: list[Equivalent] = []
    for entry in equivalents:
        if entry.page not in pages:
            if every_page:  # the page was removed or renamed
                stale.append(Stale(entry, "no such page"))
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
            found.status, found.detail = Status.EQUIVALENT, entry.reason
            open_.remove(found)
            pending.remove(entry)
            if found.mutant.line != entry.line:
                moved.append(Moved(entry, found.mutant.line))
    for entry in pending:
        other = [r for r in results if entry.names(r.mutant) and r.status is not Status.EQUIVALENT]
        if other:
            where, status = other[0].mutant.line, other[0].status.value
            stale.append(Stale(entry, f"the mutant (line {where}) is {status}, not equivalent"))
        else:
            stale.append(
                Stale(entry, "no such mutant any more (is the code on that line changed?)")
            )
    return stale, moved
