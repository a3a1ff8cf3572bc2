"""The report: killed/total per page and per operator, what survived and why, in markdown
(``_build/mutants.md``, printed too) and JSON (``_build/mutants.json``).

A run is ``ok`` when every page passes as written, no mutant survives that no reviewed
entry explains, no run ends in an error and no entry is stale. For each survivor the
markdown gives the ``mutants_equivalent.toml`` item to paste, once a reason is written.
"""

from __future__ import annotations

import dataclasses
import json
from collections import Counter
from dataclasses import dataclass

from .equivalents import Moved, Stale
from .model import VERSION, Mutant, Result, Status


@dataclass
class Report:
    """What a run of the mutants found, page by page."""

    results: list[Result]
    baseline_errors: dict[str, str]
    stale: list[Stale]
    seconds: float
    moved: list[Moved] = dataclasses.field(default_factory=list)

    def pages(self) -> dict[str, Counter[Status]]:
        """How many mutants of each status, by page (a page that failed as written: none)."""
        table: dict[str, Counter[Status]] = {}
        for r in self.results:
            table.setdefault(r.mutant.page, Counter())[r.status] += 1
        for page in self.baseline_errors:
            table.setdefault(page, Counter())
        return dict(sorted(table.items()))

    @property
    def ok(self) -> bool:
        """Nothing to fix: the run passes."""
        return (
            not self.baseline_errors
            and not self.stale
            and not any(r.status in (Status.SURVIVED, Status.ERROR) for r in self.results)
        )

    def markdown(self) -> str:
        """``_build/mutants.md``: the tables, then each mutant that needs a look."""
        out = [
            f"# Mutation self-test (Python {VERSION})",
            "",
            "| page | killed | total | equivalent | survived | error |",
            "| --- | ---: | ---: | ---: | ---: | ---: |",
        ]
        totals: Counter[Status] = Counter()
        for page, counts in self.pages().items():
            total = sum(counts.values())
            totals.update(counts)
            out.append(
                f"| {page} | {counts[Status.KILLED]} | {total} | {counts[Status.EQUIVALENT]} "
                f"| {counts[Status.SURVIVED]} | {counts[Status.ERROR]} |"
            )
        out.append(
            f"| **all** | {totals[Status.KILLED]} | {sum(totals.values())} "
            f"| {totals[Status.EQUIVALENT]} | {totals[Status.SURVIVED]} | {totals[Status.ERROR]} |"
        )
        by_operator: dict[str, Counter[Status]] = {}
        for r in self.results:
            by_operator.setdefault(r.mutant.operator, Counter())[r.status] += 1
        out += [
            "",
            "| operator | killed | total | equivalent | survived |",
            "| --- | ---: | ---: | ---: | ---: |",
        ]
        for operator, counts in sorted(by_operator.items()):
            out.append(
                f"| {operator} | {counts[Status.KILLED]} | {sum(counts.values())} "
                f"| {counts[Status.EQUIVALENT]} | {counts[Status.SURVIVED]} |"
            )
        sections = [
            ("Surviving mutants (strengthen the page's tests)", Status.SURVIVED),
            ("Errors", Status.ERROR),
            ("Equivalent mutants (reviewed in mutants_equivalent.toml)", Status.EQUIVALENT),
        ]
        for title, status in sections:
            chosen = [r for r in self.results if r.status is status]
            if chosen:
                out += ["", f"## {title}", ""]
                out += [f"- {r.mutant.id}  \n  {r.detail}" for r in chosen]
        survivors = [r.mutant for r in self.results if r.status is Status.SURVIVED]
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
        """``_build/mutants.json``: the counts per page and every mutant with its status."""
        return {
            "python": VERSION,
            "seconds": round(self.seconds, 1),
            "ok": self.ok,
            "pages": {
                page: {
                    "killed": counts[Status.KILLED],
                    "total": sum(counts.values()),
                    "equivalent": counts[Status.EQUIVALENT],
                    "survived": counts[Status.SURVIVED],
                    "error": counts[Status.ERROR],
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
                    "status": r.status.value,
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
