"""What a mutant is and what became of it: the records every other module passes around.

A fault maker finds a :class:`Fault` in a page's block; :func:`~.collect.mutants_of` turns
each into a :class:`Mutant` with a unique id; the runner gives each a :class:`Result`
whose :class:`Status` the reviewed equivalents may change and the report counts.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass
from enum import Enum
from typing import NamedTuple

from ..spec import Block

#: The interpreter the mutants run on decides which ``:raises-3.X:`` text applies.
VERSION = f"{sys.version_info.major}.{sys.version_info.minor}"


class Status(str, Enum):
    """What running a mutant said about it. The value is what the reports print."""

    KILLED = "killed"  #: a check failed (or the run hung): the page noticed the fault
    SURVIVED = "survived"  #: the page passed with the fault in it
    EQUIVALENT = "equivalent"  #: survived, and reviewed: no test could notice it
    ERROR = "error"  #: the run failed without a failing check; to look into

    def __str__(self) -> str:
        return self.value


class Fault(NamedTuple):
    """One fault a fault maker put into one block of a page."""

    operator: str  #: the kind of fault: ``await``, ``literal``, ``raises``...
    description: str  #: what it changes, as the report prints it
    line: int  #: the page line the fault is on
    block: Block  #: the block as the page has it
    mutated: Block  #: the block with the fault


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
    """A mutant's run: its status and what pytest (or the reviewed reason) said."""

    mutant: Mutant
    status: Status
    detail: str = ""
