"""A check's pass, kept under the digest of everything it read: run again with nothing
changed, the check is not run again.

``python -m verified_blocks.verdicts NAME [--input PATH]... [--stamp PATH]... [--no-cache]
-- COMMAND...`` runs COMMAND, unless ``_build/verdicts/NAME.json`` keeps a pass under the
same key. The key (:func:`key`) is a digest of:

- COMMAND itself (its options choose what it checks);
- the interpreter running this module, and the distributions installed beside it (the
  session's environment: its libraries, pytest's plugins);
- the contents of each ``--input``: a file, or a folder's files. A folder is listed by git
  where git tracks it (its tracked files and the new ones git does not ignore, so that
  caches and build output inside it count for nothing), else walked whole, less dot-named
  and ``__pycache__`` entries (a built site, which git ignores);
- the size and modification time of each ``--stamp``: a program the system installs
  (Chromium), too big to read at every run, which an upgrade replaces.

Only a pass is kept, under the key computed before the run: a failure runs again every
time, and so does a check whose run changed its own inputs. It is the same rule as the
mutants' verdicts (``mutants/cache.py``), at the size of a whole session; ``--no-cache``
runs the check whatever is kept.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import subprocess
import sys
import time
from collections.abc import Iterable, Sequence
from importlib import metadata
from pathlib import Path

#: Bump when what a kept pass depends on changes in a way the key does not see.
VERSION = 1
STORE = Path("_build/verdicts")
_SKIPPED = {"__pycache__"}


def files_of(inputs: Sequence[Path]) -> list[Path]:
    """Every file the inputs stand for, each once, sorted (see the module docstring)."""
    found: set[Path] = set()
    for path in inputs:
        if path.is_file():
            found.add(path)
        elif path.is_dir():
            found.update(_git_files(path) or _walk(path))
        else:
            raise FileNotFoundError(f"{path}: no such file or folder to key a verdict on")
    return sorted(found)


def _git_files(folder: Path) -> list[Path]:
    """The files git tracks under ``folder``, and the new ones it does not ignore; none
    where git is missing, ``folder`` is in no repository, or git ignores all of it."""
    try:
        listed = subprocess.run(
            ["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard", "."],
            cwd=folder,
            capture_output=True,
            check=False,
        )
    except OSError:
        return []
    if listed.returncode != 0:
        return []
    names = [n for n in listed.stdout.decode("utf-8", "surrogateescape").split("\0") if n]
    # a file git tracks but the working tree has deleted is not an input
    return [folder / name for name in names if (folder / name).is_file()]


def _walk(folder: Path) -> Iterable[Path]:
    for parent, dirs, names in os.walk(folder):
        dirs[:] = [d for d in dirs if not d.startswith(".") and d not in _SKIPPED]
        yield from (Path(parent, n) for n in names if not n.startswith("."))


class Digest:
    """A sha256 of parts, each prefixed by its length, so that no two lists of parts
    give the same bytes (this key's and the mutants' verdicts', ``mutants/cache.py``)."""

    def __init__(self) -> None:
        self._hash = hashlib.sha256()

    def add(self, *parts: object) -> None:
        for part in parts:
            data = part if isinstance(part, bytes) else str(part).encode()
            self._hash.update(len(data).to_bytes(8, "big") + data)

    def hexdigest(self) -> str:
        return self._hash.hexdigest()


def installed() -> str:
    """The distributions installed beside the running interpreter, by name and version."""
    found = sorted((d.metadata["Name"] or "", d.version) for d in metadata.distributions())
    return json.dumps(found)


def key(command: Sequence[str], inputs: Sequence[Path], stamps: Sequence[Path]) -> str:
    """The digest of everything a check's verdict depends on (see the module docstring)."""
    digest = Digest()
    digest.add(VERSION, json.dumps(list(command)), sys.version, sys.platform, sys.prefix)
    digest.add(installed())
    for path in files_of(inputs):
        digest.add(path.as_posix(), path.read_bytes())
    for path in stamps:
        stat = path.resolve().stat()
        digest.add(path.as_posix(), stat.st_size, stat.st_mtime_ns)
    return digest.hexdigest()


def kept(store: Path, name: str, digest: str) -> dict[str, str] | None:
    """The pass kept for ``name`` under ``digest``, if there is one."""
    try:
        entry = json.loads((store / f"{name}.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    if isinstance(entry, dict) and entry.get("key") == digest and entry.get("name") == name:
        return entry
    return None


def keep(store: Path, name: str, digest: str, command: Sequence[str]) -> None:
    """Keep a pass of ``name`` under ``digest``."""
    store.mkdir(parents=True, exist_ok=True)
    entry = {
        "name": name,
        "key": digest,
        "command": list(command),
        "passed": time.strftime("%Y-%m-%d %H:%M:%S UTC", time.gmtime()),
    }
    path = store / f"{name}.json"
    scratch = path.with_suffix(".tmp")
    scratch.write_text(json.dumps(entry, indent=1) + "\n", encoding="utf-8")
    scratch.replace(path)


def main(argv: Sequence[str] | None = None) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    split = args.index("--") if "--" in args else len(args)
    parser = argparse.ArgumentParser(
        prog="python -m verified_blocks.verdicts",
        description="Run a check unless a pass of it is kept for the same inputs.",
    )
    parser.add_argument("name", help="the check's name (its nox session's)")
    parser.add_argument("--input", type=Path, action="append", default=[], metavar="PATH")
    parser.add_argument("--stamp", type=Path, action="append", default=[], metavar="PATH")
    parser.add_argument("--store", type=Path, default=STORE, metavar="DIR")
    parser.add_argument("--no-cache", action="store_true", help="run it whatever is kept")
    options = parser.parse_args(args[:split])
    command = args[split + 1 :]
    if not command:
        parser.error("give the check's command after `--`")
    try:
        digest = key(command, options.input, options.stamp)
    except OSError as error:
        print(f"verdicts: {options.name}: {error}", file=sys.stderr)
        return 2
    entry = None if options.no_cache else kept(options.store, options.name, digest)
    if entry is not None:
        print(
            f"verdicts: {options.name} passed at {entry['passed']} on these same inputs "
            f"(key {digest[:12]}, {options.store / options.name}.json): not run again; "
            "`-- --no-cache` runs it",
            flush=True,
        )
        return 0
    code = subprocess.run(command, check=False).returncode
    if code == 0:
        keep(options.store, options.name, digest, command)
    return code


if __name__ == "__main__":
    sys.exit(main())
