"""Every mutant of a page: the fault makers' faults, in page order, each with a unique id.

The page is planned as the extractor would write it; the fault makers then run over its
runnable files (a skipped block's file and data files are left alone): the Python
operators over its modules, conftests and tests, the session operators over its pycon and
console files, and the expectation operators over what each file's last block says
running it does.
"""

from __future__ import annotations

import dataclasses
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

from .. import extract
from ..manifest import ExampleFile
from ..spec import Block
from .expectation_faults import expectation_faults
from .model import Fault, Mutant
from .python_faults import code_faults
from .session_faults import session_faults


def mutants_of(root: Path, page: str, blocks: list[Block]) -> list[Mutant]:
    """Every mutant of one page, in page order; ids are unique within the page."""
    files = extract.files_of({page: blocks})
    index = {id(b): i for i, b in enumerate(blocks)}
    page_lines = (root / page).read_text(encoding="utf-8").splitlines()
    runnable = [f for f in files if f.skip is None and f.kind != "data"]
    found = [
        Mutant(
            page,
            fault.line,
            fault.operator,
            fault.description,
            index[id(fault.block)],
            fault.mutated,
            page_lines[fault.line - 1].strip(),
        )
        for fault in _faults(runnable, page_lines)
    ]
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


def _faults(runnable: list[ExampleFile], page_lines: list[str]) -> Iterator[Fault]:
    """The fault makers' faults in the order they find them (the sort keeps it for ties)."""
    yield from code_faults(runnable)
    for f in runnable:
        if f.kind in ("pycon", "console"):
            yield from session_faults(f)
        yield from expectation_faults(f.last, page_lines)
