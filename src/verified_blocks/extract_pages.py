"""Write the examples of some pages only, leaving the rest of ``examples/`` as it is.

    python -m verified_blocks.extract_pages docs/how-to/x.md [more pages]
    python -m verified_blocks.extract_pages --check docs/how-to/x.md   # fail if they differ

What changes is each named page's files, the ``__init__.py`` of their folders, and their
entries in the manifest (and ``examples/pytest.ini`` for the configuration page). Each is
what :mod:`~verified_blocks.extract` writes for the page, made by the same functions, so
that a full extraction afterwards finds nothing to change for it; every other page's
files are left as they are, stale or not (``nox -s drift`` compares the whole tree).

Bad input is refused as the extractor refuses it: an error for each problem, naming the
page and line (or the argument that is not a page), exit 1, and nothing written. A file
that changes is written beside itself and renamed over the old one, the manifest last.
"""

from __future__ import annotations

import argparse
import difflib
import os
import shutil
import sys
from dataclasses import dataclass, field
from pathlib import Path

from . import extract, manifest
from .extract import ExtractError
from .manifest import ExampleFile, ManifestError
from .spec import Block, BlockError

#: What a run leaves in a folder of examples/ that no page writes.
_LEFTOVERS = {"__pycache__", ".pytest_cache"}


class NotAPage(Exception):
    """A command-line argument that names no page; the message says why."""


class Refused(Exception):
    """The pages cannot be written; ``lines`` are the errors to print, one a line."""

    def __init__(self, lines: list[str]) -> None:
        self.lines = lines
        super().__init__("\n".join(lines))


def page_of(arg: str, root: Path) -> str:
    """``arg``, a path relative to ``root`` or absolute, as the pages name it
    (``docs/how-to/x.md``); raises :class:`NotAPage`."""
    docs = root / "docs"
    path = Path(arg)
    path = (path if path.is_absolute() else root / path).resolve()
    pages = {p.resolve(): p.relative_to(root).as_posix() for p in extract.find_pages(docs)}
    if path in pages:
        return pages[path]
    what = "a page is a Markdown file under docs/, as docs/<section>/<page>.md"
    if path.suffix != ".md" or not path.is_relative_to(docs.resolve()):
        raise NotAPage(f"{arg}: error: not a page: {what}")
    hidden = [p for p in path.relative_to(docs.resolve()).parts[:-1] if p.startswith(("_", "."))]
    if hidden:
        raise NotAPage(
            f"{arg}: error: not a page: folders of docs/ whose name starts with _ or . "
            f"({hidden[0]}/) hold no pages"
        )
    close = difflib.get_close_matches(
        path.relative_to(root.resolve()).as_posix(), sorted(pages.values()), n=1
    )
    hint = f"; did you mean {close[0]}?" if close else ""
    raise NotAPage(f"{arg}: error: no such page{hint}")


@dataclass
class Update:
    """What writing some pages changes in examples/ (paths relative to it)."""

    files: int  #: the files the pages make
    write: dict[str, str] = field(default_factory=dict)  #: text of each file that differs
    remove: list[str] = field(default_factory=list)  #: files that no page writes any more

    def lines(self, examples: Path) -> list[str]:
        """One line per file, in the extractor's words (``missing:``, ``changed:``...)."""
        out = [
            f"{'changed' if (examples / rel).exists() else 'missing'}:  examples/{rel}"
            for rel in sorted(self.write)
        ]
        return out + [f"orphan:   examples/{rel} (no page writes it)" for rel in self.remove]


def plan(root: Path, pages: list[str]) -> Update:
    """What writing ``pages`` (as :func:`page_of` names them) changes; raises
    :class:`Refused` where a page is invalid or examples/ cannot take it."""
    from .pages import read_page  # imports MyST; not needed by the plugin

    examples = root / "examples"
    try:
        old = manifest.load(examples / manifest.MANIFEST)
    except FileNotFoundError:
        raise Refused(
            [f"{examples / manifest.MANIFEST}: error: not found: run `nox -s extract` first"]
        ) from None
    except (ManifestError, ValueError, KeyError) as error:  # edited by hand, or cut short
        raise Refused(
            [f"{examples / manifest.MANIFEST}: error: {error!r}: run `nox -s extract`"]
        ) from None
    blocks: dict[str, list[Block]] = {}
    errors: list[BlockError] = []
    for page in pages:
        try:
            blocks[page] = read_page(root / page, page)
        except BlockError as error:
            errors.append(error)
    try:
        if errors:
            raise ExtractError(errors)
        new = extract.files_of(blocks)
        kept = [f for f in old.values() if f.page not in blocks]
        # Every page folder is on sys.path: a name the pages use must be no other page's.
        # Listed after the others' files, theirs are the files the errors name.
        clashes = extract.shared_module_names([*kept, *new])
        if clashes:
            raise ExtractError(clashes)
        configuration = (
            extract.pytest_ini({extract.CONFIGURATION: blocks[extract.CONFIGURATION]})
            if extract.CONFIGURATION in blocks
            else None
        )
    except ExtractError as error:
        raise Refused(
            [f"{e.page}:{e.line or 1}: error: {e.message}" for e in error.errors]
        ) from None

    texts = {f.path: extract.render(f) for f in new}
    texts.update(dict.fromkeys(_inits(new), extract.INIT))
    if configuration is not None:
        texts["pytest.ini"] = configuration
    texts[manifest.MANIFEST] = manifest.dump(sorted([*kept, *new], key=lambda f: f.path))
    mine = [f for f in old.values() if f.page in blocks]
    gone = {f.path for f in mine} - {f.path for f in new}
    gone |= _inits(mine) - _inits([*kept, *new])
    return Update(
        files=len(new),
        write={rel: text for rel, text in texts.items() if _differs(examples / rel, text)},
        remove=sorted(rel for rel in gone if (examples / rel).exists()),
    )


def _inits(files: list[ExampleFile]) -> set[str]:
    """The ``__init__.py`` that make the folders of ``files`` packages (as extract.plan)."""
    inits: set[str] = set()
    for f in files:
        parts = f.path.split("/")[:-1]
        inits.update("/".join(parts[:depth]) + "/__init__.py" for depth in range(1, len(parts) + 1))
    return inits


def _differs(path: Path, text: str) -> bool:
    try:
        return path.read_bytes() != text.encode("utf-8")
    except FileNotFoundError:
        return True


def apply(update: Update, examples: Path) -> None:
    """Write what ``update`` says, the manifest after the files it describes, then remove
    the files it no longer lists (stopped midway, a run leaves files the manifest does not
    list, which `nox -s drift` names, rather than a manifest listing files that are gone)."""
    for rel in sorted(update.write, key=lambda rel: rel == manifest.MANIFEST):
        target = examples / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        staged = target.with_name(f".{target.name}.{os.getpid()}.new")
        staged.write_text(update.write[rel], encoding="utf-8", newline="\n")
        staged.replace(target)
    for rel in update.remove:
        (examples / rel).unlink()
    # A folder left with nothing a page writes goes, as the extractor would not make it.
    folders = {(examples / rel).parent for rel in update.remove}
    for folder in sorted(folders, key=lambda p: len(p.parts), reverse=True):
        while folder != examples and folder.is_dir():
            if any(p.name not in _LEFTOVERS for p in folder.iterdir()):
                break
            shutil.rmtree(folder)
            folder = folder.parent


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="extract_pages", description=__doc__.split("\n\n")[0])
    parser.add_argument("pages", nargs="+", metavar="PAGE", help="a page: docs/<section>/<page>.md")
    parser.add_argument("--check", action="store_true", help="fail if their files differ")
    parser.add_argument("--root", type=Path, default=Path.cwd(), help="repository root")
    args = parser.parse_args(argv)
    root = args.root.resolve()
    examples = root / "examples"
    errors, pages = [], []
    for arg in args.pages:
        try:
            pages.append(page_of(arg, root))
        except NotAPage as error:
            errors.append(str(error))
    try:
        if errors:
            raise Refused(errors)
        update = plan(root, list(dict.fromkeys(pages)))
    except Refused as refused:
        print(*refused.lines, sep="\n", file=sys.stderr)
        count = len(refused.lines)
        print(f"extract_pages: {count} error(s); examples/ left as it was", file=sys.stderr)
        return 1
    named = ", ".join(dict.fromkeys(pages))
    changes = update.lines(examples)
    if args.check:
        if changes:
            print(f"examples/ is out of date with {named}:", *changes, sep="\n  ", file=sys.stderr)
            print("run `nox -s page` or `nox -s extract` and commit the result", file=sys.stderr)
            return 1
        print(f"examples/ is up to date with {named}: {update.files} files")
        return 0
    apply(update, examples)
    print(f"examples/: {update.files} files from {named}, {len(changes)} changed")
    for line in changes:
        print(f"  {line}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
