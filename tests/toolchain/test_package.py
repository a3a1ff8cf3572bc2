"""The toolchain is an installed package: nothing finds it by a path edit, and the pytest
plugin runs the examples without MyST, Sphinx or docutils."""

from __future__ import annotations

import re
import subprocess
import sys
from importlib.metadata import distribution
from pathlib import Path

import verified_blocks

ROOT = Path(__file__).resolve().parents[2]

#: What finds code by editing the import path, or by planting a link to it.
PATH_TRICK = re.compile(
    r"sys\.path\.(?:insert|append|extend)|sys\.path\s*\+?=|PYTHONPATH|symlink_to|os\.symlink"
)

#: The one import-path edit that stays, and why: the examples' own module model. Every page
#: folder is on sys.path, as a reader's project folder is when they run pytest in it, so a
#: page's test imports its module by name (README, "Adding a page").
PAGE_FOLDERS = "src/verified_blocks/pytest_plugin.py"


def test_the_package_is_installed_from_this_checkout():
    installed = distribution("verified-blocks")
    assert installed.version
    assert Path(verified_blocks.__file__).resolve().is_relative_to(ROOT / "src")


def test_the_plugin_imports_no_myst_sphinx_or_docutils():
    heavy = ("myst_parser", "markdown_it", "sphinx", "docutils", "coverage")
    code = (
        "import sys, verified_blocks.pytest_plugin, verified_blocks.manifest; "
        f"print(sorted({{m.split('.')[0] for m in sys.modules}} & set({heavy!r})))"
    )
    run = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert run.stdout.strip() == "[]"


def test_no_path_edit_or_link_finds_the_toolchain():
    places = [ROOT / "conf.py", ROOT / "noxfile.py", ROOT / "pyproject.toml"]
    for folder in ("src", "tests", "bench", "examples", ".ci", ".github"):
        places += [p for p in (ROOT / folder).rglob("*") if p.is_file()]
    found = []
    for path in places:
        if "__pycache__" in path.parts or path == Path(__file__).resolve():
            continue
        try:
            text = path.read_text(encoding="utf-8")
        except UnicodeDecodeError:
            continue
        for number, line in enumerate(text.splitlines(), start=1):
            if PATH_TRICK.search(line) and not line.lstrip().startswith("#"):
                found.append(f"{path.relative_to(ROOT).as_posix()}:{number}: {line.strip()}")
    allowed = [f for f in found if f.startswith(PAGE_FOLDERS) and "folder" in f]
    assert len(allowed) == 1, found  # the page folders, once
    assert [f for f in found if f not in allowed] == []


def test_each_module_says_what_it_owns_and_stays_small():
    """A maintainer reads one module for one job: its docstring names it (README,
    "Changing the toolchain")."""
    import ast

    for path in sorted((ROOT / "src" / "verified_blocks").rglob("*.py")):
        text = path.read_text(encoding="utf-8")
        name = path.relative_to(ROOT).as_posix()
        assert ast.get_docstring(ast.parse(text)), f"{name} has no docstring"
        assert text.count("\n") <= 400, f"{name}: {text.count(chr(10))} lines, over 400"
