"""Which files of a page's folder a mutant's first run may leave out.

A mutant changes one file of its page's folder: its code, or what the manifest says
its checks expect. Only that file, and the modules of the folder that import it,
directly or through one another, can see the change; the page's other test modules
run as they ran when the page passed as written. So a mutant is first run with those
others left out (pytest's ``--ignore``): the run that can fail soonest. That run can
only kill it. When it does not, the whole page runs, as it always did, and its verdict
is the mutant's: a file that uses the changed one in a way no import shows (a
subprocess, ``runpy``, a file read) still has its say, and no mutant survives that
the whole page would have killed.

A kill in the first run is a kill of the whole page's run, since the pages' test
modules do not depend on one another's runs: ``nox -s flakes`` runs them in twenty
random orders. Kept in every first run, whatever the change: the folder's
``conftest.py`` and ``__init__.py`` (which pytest needs), and every file that is not a
Python module (a console session's ``$ pytest`` may run any file of the folder; a
pycon session imports what it likes). A change to any of those, or to a file outside
the folder, leaves nothing out.

Standard library only.
"""

from __future__ import annotations

import ast
import functools
import json
from pathlib import PurePosixPath

from ..manifest import MANIFEST

#: Files of a folder that every run of it keeps.
_KEPT = ("conftest.py", "__init__.py")


def left_out(folder: str, written: dict[str, str], mutated: dict[str, str]) -> list[str]:
    """The files (paths relative to ``examples/``) of ``folder`` that the first run of a
    mutant can leave out: ``written`` and ``mutated`` are the page's extracted trees
    as written and with the mutant (``{relative path: text}``, as :func:`..extract.plan`
    makes them). Empty: run the whole page at once."""
    changed = _changed(written, mutated)
    prefix = f"{folder}/"
    modules: dict[str, str] = {}  # module name -> path, for the folder's own modules
    for path in mutated:
        if path.startswith(prefix) and path.endswith(".py"):
            name = path[len(prefix) :]
            if "/" in name:  # a package inside the folder: its imports are not followed
                return []
            modules[name.removesuffix(".py")] = path
    if not changed or any(p not in modules.values() or _kept(p) for p in changed):
        return []
    importers: dict[str, set[str]] = {path: set() for path in modules.values()}
    for path in modules.values():
        try:
            imported = _imports(mutated[path])
        except SyntaxError:
            return []
        for name in imported & modules.keys():
            importers[modules[name]].add(path)
    seen = set(changed)
    todo = list(changed)
    while todo:
        for importer in importers[todo.pop()] - seen:
            seen.add(importer)
            todo.append(importer)
    return sorted(p for p in modules.values() if p not in seen and not _kept(p))


def _kept(path: str) -> bool:
    return PurePosixPath(path).name in _KEPT


def _changed(written: dict[str, str], mutated: dict[str, str]) -> set[str]:
    """The files whose text, or whose entry in the manifest, the mutant changed."""
    changed = {
        p
        for p in written.keys() | mutated.keys()
        if p != MANIFEST and written.get(p) != mutated.get(p)
    }
    before, after = _entries(written), _entries(mutated)
    changed |= {p for p in before.keys() | after.keys() if before.get(p) != after.get(p)}
    return changed


def _entries(tree: dict[str, str]) -> dict[str, object]:
    text = tree.get(MANIFEST)
    if text is None:
        return {}
    files: dict[str, object] = json.loads(text).get("files", {})
    return files


@functools.cache
def _imports(source: str) -> frozenset[str]:
    """The first part of every module name ``source`` imports, relative imports
    included (``from . import x`` imports ``x``). Kept for each text: the mutants of a
    page share all of its modules but one, and parsing them all again for each mutant
    took 4 ms a mutant."""
    names: set[str] = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            names.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.module:
                names.add(node.module.split(".")[0])
            if node.level:
                names.update(alias.name for alias in node.names)
    return frozenset(names)
