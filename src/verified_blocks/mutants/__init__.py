"""Mutation self-test: inject one fault into one page, run that page, expect a failure.

A page is read with the toolchain's own reader (MyST's parser, ``spec.build_block``).
Each mutant changes one thing in one block: its code (remove an ``await``, drop the
``async`` of ``async with``/``async for``, swap ``MagicMock`` and ``AsyncMock``, change a
literal an assertion compares or a ``match=`` expects, make the code under test return
another field or skip a call such as a ``close()``, delete an ``__aenter__``/``__aexit__``
configuration, flip a ``True``/``False`` keyword) or what the page says running it does
(``:raises:``, ``:stdout:``, ``:outcome:``, ``:lines:``, a session's output). Only that
page is then extracted, into a temporary directory (``examples/`` is never touched), and
run by pytest with the plugin and the generated ``pytest.ini``, as ``nox -s examples``
runs it (each failure printed as one line), on this interpreter only. A run that fails
(or hangs) kills the mutant; a run that passes lets it survive: the page's tests did not
notice the fault.

A surviving mutant needs a stronger test on the page, or, if no test could notice it, an
entry with the reason in ``mutants_equivalent.toml``. The run fails while any mutant
survives that no entry explains, when an entry explains no surviving mutant (stale), and
when a page fails unmutated. Results, killed/total per page, go to
``_build/mutants.json`` and ``_build/mutants.md``.

The modules, in the order a run goes through them:

- ``model``: the records (:class:`Status`, :class:`Fault`, :class:`Mutant`, :class:`Result`)
- ``text``: the small text changes a check must notice, and how the reports show them
- ``python_faults``: the operators over Python code (modules, conftests, tests)
- ``session_faults``: the operators over ``pycon`` and ``console`` sessions
- ``expectation_faults``: the operators over ``:raises:``, ``:stdout:``, ``:outcome:``,
  ``:lines:``
- ``collect``: every mutant of a page, from the three kinds of fault maker
- ``select``: the files of a page's folder that a mutant's first run may leave out
- ``runner``: a temporary copy, a pytest subprocess, the verdict; the pages' jobs
- ``equivalents``: ``docs/mutants_equivalent.toml``, its matching and its stale entries
- ``report``: the markdown and JSON reports
- ``__main__``: the command line, ``python -m verified_blocks.mutants``
"""

from __future__ import annotations

from .collect import mutants_of
from .equivalents import (
    EQUIVALENT,
    Equivalent,
    EquivalentsError,
    Moved,
    Stale,
    load_equivalents,
    match_equivalents,
)
from .model import VERSION, Fault, Mutant, Result, Status
from .report import Report, toml_item
from .runner import Run, Verdict, run, run_page, verdict

__all__ = [
    "EQUIVALENT",
    "VERSION",
    "Equivalent",
    "EquivalentsError",
    "Fault",
    "Moved",
    "Mutant",
    "Report",
    "Result",
    "Run",
    "Stale",
    "Status",
    "Verdict",
    "load_equivalents",
    "match_equivalents",
    "mutants_of",
    "run",
    "run_page",
    "toml_item",
    "verdict",
]
