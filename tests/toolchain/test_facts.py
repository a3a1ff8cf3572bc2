"""Each fact of the toolchain has one source; the copies its readers need agree with it.

- the supported Pythons: pyproject.toml's classifiers, read by nox (the examples-3.X
  sessions), by the installed package (spec.SUPPORTED_PYTHONS) and by .ci/pythons, and
  claimed by README;
- the examples' pins: pyproject.toml's `examples` group, locked in uv.lock, copied with the
  reasons into requirements.txt (what a reader installs) and claimed by README, as are the
  lowest versions of tests/requirements-lowest.txt and the site's Sphinx.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
import tomllib
from pathlib import Path
from typing import Any

import pytest
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name
from packaging.version import Version

from verified_blocks.spec import SUPPORTED_PYTHONS

ROOT = Path(__file__).resolve().parents[2]
PYPROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))

#: Pins of the examples group that README does not claim, and why.
NOT_CLAIMED = {
    "pytest-socket": "the checks' own tool (examples/pytest.ini), not something a page needs",
    "typing-extensions": "aiotools' undeclared dependency, not something a page uses",
}


@pytest.fixture(scope="module")
def default_sessions() -> list[dict[str, Any]]:
    listed = subprocess.run(
        [sys.executable, "-m", "nox", "--noxfile", str(ROOT / "noxfile.py"), "-l", "--json"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
        timeout=120,
    )
    return json.loads(listed.stdout)


def _key(requirement: Requirement) -> tuple[str, str, str]:
    return (
        canonicalize_name(requirement.name),
        str(requirement.specifier),
        str(requirement.marker or ""),
    )


def _requirements_txt() -> list[Requirement]:
    lines = (ROOT / "requirements.txt").read_text(encoding="utf-8").splitlines()
    return [Requirement(line) for line in lines if line.strip() and not line.startswith("#")]


def _examples_group() -> list[Requirement]:
    return [Requirement(r) for r in PYPROJECT["dependency-groups"]["examples"]]


def _readme_section(title: str) -> str:
    """The section's text, its lines joined by single spaces."""
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    start = text.index(f"\n## {title}\n")
    end = text.find("\n## ", start + 1)
    return " ".join(text[start : end if end != -1 else len(text)].split())


def _minor(version: str) -> str:
    return ".".join(version.split(".")[:2])


# -- the supported Pythons ------------------------------------------------------------------


def test_the_package_nox_and_ci_read_the_same_pythons_from_pyproject(
    default_sessions: list[dict[str, Any]],
) -> None:
    prefix = "Programming Language :: Python :: "
    classifiers = [
        c.removeprefix(prefix)
        for c in PYPROJECT["project"]["classifiers"]
        if re.fullmatch(re.escape(prefix) + r"3\.\d+", c)
    ]
    # the installed metadata is this pyproject.toml's, not a stale install's
    assert tuple(classifiers) == SUPPORTED_PYTHONS
    nox = [s["python"] for s in default_sessions if s["name"] == "examples"]
    assert tuple(nox) == SUPPORTED_PYTHONS
    ci = subprocess.run(
        ["bash", str(ROOT / ".ci" / "pythons")], capture_output=True, text=True, check=True
    ).stdout.split()
    assert tuple(ci) == SUPPORTED_PYTHONS
    lowest = [s["python"] for s in default_sessions if s["name"] == "lowest"]
    assert lowest == [SUPPORTED_PYTHONS[0]]


def test_readme_claims_the_supported_pythons() -> None:
    first, last = SUPPORTED_PYTHONS[0], SUPPORTED_PYTHONS[-1]
    listed = f"{', '.join(SUPPORTED_PYTHONS[:-1])} and {last}"
    intro = " ".join((ROOT / "README.md").read_text(encoding="utf-8").split("\n## ")[0].split())
    assert f"run on CPython {listed};" in intro
    assert f"`python{first}` to `python{last}` on `PATH`" in _readme_section("The two commands")
    assert f"CPython {first} to {last} " in _readme_section("Supported versions")


# -- the examples' pins ---------------------------------------------------------------------


def test_requirements_txt_is_the_examples_group() -> None:
    """A reader's requirements.txt pins what the checks install, in the same order."""
    assert [_key(r) for r in _requirements_txt()] == [_key(r) for r in _examples_group()]


def test_the_lock_has_every_pinned_version() -> None:
    lock = tomllib.loads((ROOT / "uv.lock").read_text(encoding="utf-8"))
    locked: dict[str, set[str]] = {}
    for package in lock["package"]:
        locked.setdefault(package["name"], set()).add(package["version"])
    pins = [*_examples_group(), *map(Requirement, PYPROJECT["dependency-groups"]["docs"])]
    missing = []
    for pin in pins:
        (spec,) = pin.specifier
        assert spec.operator == "==", f"{pin}: the groups pin exact versions"
        if spec.version not in locked.get(canonicalize_name(pin.name), set()):
            missing.append(str(pin))
    assert missing == [], "uv.lock does not pin these: run `uv lock`"


def _claims() -> dict[str, str]:
    """What README's "Supported versions" must say of each pinned package."""
    by_name: dict[str, list[Requirement]] = {}
    for pin in _examples_group():
        by_name.setdefault(canonicalize_name(pin.name), []).append(pin)
    claims = {}
    for name, pins in by_name.items():
        if name in NOT_CLAIMED:
            continue
        versions = {
            python: next(
                _minor(next(iter(p.specifier)).version)
                for p in pins
                if p.marker is None or p.marker.evaluate({"python_version": python})
            )
            for python in SUPPORTED_PYTHONS
        }
        newest = versions[SUPPORTED_PYTHONS[-1]]
        older = sorted({v for v in versions.values() if v != newest})
        assert len(older) <= 1, f"{name}: more than two versions to claim"
        claims[name] = f"{name} {newest}"
        if older:
            pythons = [p for p, v in versions.items() if v == older[0]]
            assert pythons == [SUPPORTED_PYTHONS[0]], f"{name}: an older pin past the oldest"
            claims[name] += f" ({older[0]} on Python {pythons[0]})"
    return claims


def test_readme_claims_each_pinned_version() -> None:
    section = _readme_section("Supported versions").lower()
    claims = _claims()
    assert "aiotools" in claims and "(" in claims["aiotools"]  # what the parse must find
    unclaimed = {
        name: claim
        for name, claim in claims.items()
        if not re.search(rf"(?<![\w-]){re.escape(claim.lower())}(?![\w.])", section)
    }
    assert unclaimed == {}


def test_readme_claims_the_lowest_versions() -> None:
    lowest = []
    for line in (ROOT / "tests" / "requirements-lowest.txt").read_text().splitlines():
        name, sep, version = line.partition("#")[0].partition(">=")
        if sep:
            lowest.append((name.strip(), Version(version.strip())))
    section = _readme_section("Supported versions")
    claimed = re.search(r"by `nox -s lowest`: (.*?) \(`tests/requirements-lowest.txt`\)", section)
    assert claimed, "README: no list of the lowest versions"
    said = [(name, Version(v)) for name, v in re.findall(r"([\w-]+)>=([\d.]*\d)", claimed[1])]
    assert said == lowest


def test_readme_claims_the_sphinx_the_site_builds_with(
    default_sessions: list[dict[str, Any]],
) -> None:
    (sphinx,) = [
        Requirement(r)
        for r in PYPROJECT["dependency-groups"]["docs"]
        if canonicalize_name(Requirement(r).name) == "sphinx"
    ]
    (docs,) = [s["python"] for s in default_sessions if s["name"] == "docs"]
    version = _minor(next(iter(sphinx.specifier)).version)
    assert f"The site builds with Sphinx {version} on Python {docs}." in _readme_section(
        "Supported versions"
    )


def test_markers_name_only_supported_pythons() -> None:
    """A marker on a pin that no supported Python satisfies, or every one, is a stale pin."""
    for pin in _examples_group():
        if pin.marker is None:
            continue
        holds = [pin.marker.evaluate({"python_version": p}) for p in SUPPORTED_PYTHONS]
        assert any(holds) and not all(holds), f"{pin}: its marker selects no version or all"
