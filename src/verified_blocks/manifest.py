"""The manifest: what ``examples/`` holds, which page line each file line came
from, and what must happen when each file runs.

The extractor writes ``examples/manifest.json``; the pytest plugin reads it.
Standard library only, so every interpreter under test can load it.

It records each block's options and its fingerprint, not its code: the code is in
the generated file, at the lines the manifest gives, and :func:`load` reads it back
from there. A file edited by hand no longer matches its fingerprint, and loading
the manifest says so.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator, Mapping
from enum import Enum
from pathlib import Path
from typing import Any, NamedTuple

from .spec import OPTIONS, Block, Versioned, fingerprint, version_key

MANIFEST = "manifest.json"

#: Block fields the manifest does not store: the page is the file's, the code is in the
#: file itself (the fingerprint stands for it).
_NOT_STORED = ("page", "code")
_VERSIONED = tuple(name for name, o in OPTIONS.items() if o.versioned)


class Kind(str, Enum):
    """How a generated file is run, by its name and its last block's language."""

    TEST = "test"  #: a pytest module: its tests pass, or fail as :outcome: says
    CONFTEST = "conftest"  #: loaded by pytest for the tests beside it; never run alone
    MODULE = "module"  #: run like ``python file.py``
    PYCON = "pycon"  #: a ``python -m asyncio`` session
    CONSOLE = "console"  #: ``$ pytest ...`` commands run in a copy of the page's folder
    DATA = "data"  #: a file the others read (pytest.ini, a TOML file)

    def __str__(self) -> str:
        return self.value


class ManifestError(Exception):
    """``examples/`` does not match its manifest: a file was edited by hand, or is gone."""


class Placed(NamedTuple):
    """A block and the lines it occupies in its generated file (1-based, inclusive).

    Named tuples, not dataclasses, here and for :class:`ExampleFile`: every pytest run
    imports this module, and making a dataclass costs about 0.6 ms (its methods are
    compiled from source), a named tuple a fifth of that.
    """

    block: Block
    start: int
    end: int

    def page_line(self, file_line: int) -> int:
        """The page line shown to the reader for a line of the generated file."""
        return self.block.code_line + (file_line - self.start)


class ExampleFile(NamedTuple):
    """One generated file and the blocks it is made of, in page order."""

    path: str  #: relative to ``examples/``, with forward slashes
    page: str
    placed: tuple[Placed, ...]

    @property
    def last(self) -> Block:
        """The block whose options say what running the whole file does."""
        return self.placed[-1].block

    @property
    def name(self) -> str:
        return self.path.rsplit("/", 1)[-1]

    @property
    def kind(self) -> Kind:
        """How the file is run (see :class:`Kind`)."""
        block = self.last
        if block.is_test_module:
            return Kind.TEST
        if self.name == "conftest.py":
            return Kind.CONFTEST
        return {"python": Kind.MODULE, "pycon": Kind.PYCON, "console": Kind.CONSOLE}.get(
            block.language, Kind.DATA
        )

    @property
    def min_python(self) -> str | None:
        versions = [p.block.min_python for p in self.placed if p.block.min_python]
        return max(versions, key=version_key) if versions else None

    @property
    def skip(self) -> str | None:
        return self.placed[0].block.skip

    def locate(self, file_line: int) -> tuple[Placed, int] | None:
        """The block holding a line of the generated file, and its page line."""
        for placed in self.placed:
            if placed.start <= file_line <= placed.end:
                return placed, placed.page_line(file_line)
        return None

    def where(self, file_line: int | None = None) -> str:
        """``docs/page.md:LINE`` for a generated line, else the last block's fence."""
        found = self.locate(file_line) if file_line is not None else None
        if found is None:
            return self.last.where
        placed, page_line = found
        if page_line == placed.block.line:
            return placed.block.where
        return f"{self.page}:{page_line} (block at line {placed.block.line})"


def _block_to_json(block: Block) -> dict[str, object]:
    data: dict[str, object] = {}
    for name, value in zip(Block._fields, block, strict=True):
        if name in _NOT_STORED or value is None:
            continue
        data[name] = value.to_json() if isinstance(value, Versioned) else value
    data["fingerprint"] = fingerprint(block)
    return data


def _block_from_json(page: str, code: str, data: dict[str, Any]) -> Block:
    stored = {k: v for k, v in data.items() if k not in ("start", "end", "fingerprint")}
    for name in _VERSIONED:
        if name in stored:
            stored[name] = Versioned.from_json(stored[name])
    return Block(page=page, code=code, **stored)


def dump(files: list[ExampleFile]) -> str:
    """The manifest's text: stable, so an unchanged guide gives an unchanged file."""
    data = {
        "about": "Generated by `nox -s extract` from the pages in docs/; do not edit.",
        "files": {
            f.path: {
                "page": f.page,
                "blocks": [
                    {"start": p.start, "end": p.end, **_block_to_json(p.block)} for p in f.placed
                ],
            }
            for f in sorted(files, key=lambda f: f.path)
        },
    }
    return json.dumps(data, indent=1, ensure_ascii=False) + "\n"


class Manifest(Mapping[str, ExampleFile]):
    """The manifest's files by their path relative to ``examples/``, each read back
    from its generated file, and checked against its blocks' fingerprints, the first
    time it is asked for: a run of one page (a mutant's, the live preview's) reads that
    page's files, not the guide's three hundred.

    Asking for a file whose lines are not its blocks raises :class:`ManifestError`.
    """

    def __init__(self, path: Path) -> None:
        self._folder = path.parent
        self._entries: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))["files"]
        self._read: dict[str, ExampleFile] = {}

    def __getitem__(self, rel: str) -> ExampleFile:
        found = self._read.get(rel)
        if found is None:
            found = self._read[rel] = _read(self._folder, rel, self._entries[rel])
        return found

    def __contains__(self, rel: object) -> bool:
        return rel in self._entries  # without reading the file

    def __iter__(self) -> Iterator[str]:
        return iter(self._entries)

    def __len__(self) -> int:
        return len(self._entries)


def load(path: Path) -> dict[str, ExampleFile]:
    """Every file of the manifest, read and checked now (see :class:`Manifest`)."""
    files = Manifest(path)
    return {rel: files[rel] for rel in files}


def _read(examples: Path, rel: str, entry: dict[str, Any]) -> ExampleFile:
    """One file of the manifest, its blocks' code read back from it."""
    try:
        # plain strings, not a Path: every pytest run reads its files
        with open(os.path.join(examples, rel), encoding="utf-8") as handle:
            text = handle.read().splitlines()
    except FileNotFoundError:
        raise ManifestError(f"{examples / rel}: missing; run `nox -s extract`") from None
    placed = []
    for b in entry["blocks"]:
        code = "\n".join(text[b["start"] - 1 : b["end"]]) + "\n"
        block = _block_from_json(entry["page"], code, b)
        if fingerprint(block) != b["fingerprint"]:
            raise ManifestError(
                f"{examples / rel}: lines {b['start']}-{b['end']} are not the block at "
                f"{block.where}; the folder is generated from the pages: edit the page "
                "and run `nox -s extract`"
            )
        placed.append(Placed(block, b["start"], b["end"]))
    return ExampleFile(rel, entry["page"], tuple(placed))
