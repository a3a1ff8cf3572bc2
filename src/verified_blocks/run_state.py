"""What the checks share: the run's state, and the failure a check raises.

The state knows the generated files (from the manifest) and answers, for any file
and line Python runs, the page line a reader sees: for a frame of a traceback, and
for a frame of a copy of a page's folder that an isolated pytest run is running.
:class:`BlockMismatch` is what every check raises when a block does not behave as
its page says; its message starts with that page line.

Standard library and pytest only: it runs on every interpreter under test.
"""

from __future__ import annotations

import sys
import traceback
from collections.abc import Mapping
from pathlib import Path

from .deadline import Guard
from .manifest import ExampleFile, ManifestError

#: The running Python as the pages name versions (``3.13``).
VERSION = f"{sys.version_info.major}.{sys.version_info.minor}"


class BlockMismatch(Exception):
    """A block did not behave as its page says; the message names the page and line."""

    def __init__(self, message: str, observed: str | None = None) -> None:
        super().__init__(message)
        self.observed = observed


class State:
    """One examples run: its generated files, and what the report will say of them.

    A plain class, not a dataclass: every run makes one, and making a dataclass costs
    the import about 0.6 ms (its methods are compiled from source).
    """

    def __init__(
        self, root: Path, files: Mapping[str, ExampleFile], inherited: list[str] | None = None
    ) -> None:
        self.root = root
        self.files = files
        #: per generated file: (line of the item in the file or None, outcome, observed)
        self.results: dict[str, list[tuple[int | None, str, str | None]]] = {}
        #: what the last check of each file observed (an exception line, pytest's counts)
        self.observed: dict[str, str | None] = {}
        #: options of this run that the isolated runs inherit (pytest-socket's limits)
        self.inherited: list[str] = inherited or []
        #: the hang guard, where the platform has one (POSIX signals, pytest in the main
        #: thread)
        self.guard: Guard | None = None
        #: the folders an isolated run is running copies of, by the copy's folder
        self.copies: dict[Path, Path] = {}
        #: file_for's answers: it runs for every file collected and every test report
        #: (three per test), and resolving a path costs system calls each time.
        self._owners: dict[Path, ExampleFile | None] = {}
        #: generated files whose lines are not their blocks (edited by hand), by path:
        #: what :class:`~verified_blocks.manifest.ManifestError` said when one was asked for
        self.unreadable: dict[Path, str] = {}

    def locate(self, error: BaseException) -> str | None:
        """The page line of the innermost frame of ``error`` that is in a generated file."""
        for frame in reversed(traceback.extract_tb(error.__traceback__)):
            owner = self.file_for(Path(frame.filename))
            if owner is not None and frame.lineno and owner.locate(frame.lineno):
                return owner.where(frame.lineno)
        return None

    def page_line(self, filename: str, line: int) -> str | None:
        """The page line of a line Python runs, in a generated file or a copy of one."""
        path = Path(filename)
        copied = self.copies.get(path.parent)
        owner = self.file_for(copied / path.name if copied else path)
        if owner is None or owner.locate(line) is None:
            return None
        return owner.where(line)

    def file_for(self, path: Path) -> ExampleFile | None:
        """The generated file at ``path``; None for any other file, and for a generated
        file edited by hand (:attr:`unreadable` then says why)."""
        if path not in self._owners:
            # pytest's paths are absolute: only one outside the root needs resolving
            # (through a symbolic link, say), which costs system calls.
            try:
                rel = path.relative_to(self.root).as_posix()
            except ValueError:
                try:
                    rel = path.resolve().relative_to(self.root).as_posix()
                except ValueError:
                    rel = None
            try:
                self._owners[path] = self.files.get(rel) if rel is not None else None
            except ManifestError as error:
                self.unreadable[path] = str(error)
                self._owners[path] = None
        return self._owners[path]
