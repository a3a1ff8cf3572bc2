"""What a verified block is: its syntax, its options and their validation.

This module is the single definition of a block. The Sphinx directive (which
renders a block) and the extractor (which writes it into ``examples/``) both
build a :class:`Block` through :func:`build_block`, from the pieces MyST's own
directive parser hands them, so a page cannot render one thing and run another.

It needs nothing beyond the standard library, so the pytest plugin can share
its version logic on every interpreter.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable
from typing import Any, ClassVar, NamedTuple

# What an error line is belongs to the line matching (lines.py); re-exported here, where
# the catalog, the search index and the paste box import them from.
from .lines import ERROR_LINE as ERROR_LINE
from .lines import is_bare_name as is_bare_name


def _supported_pythons() -> tuple[str, ...]:
    """pyproject.toml's ``Programming Language :: Python :: 3.X`` classifiers, oldest first,
    read from the installed toolchain's metadata (every session installs it, editable).

    The headers are read as text: parsing them as email (``metadata()``) would cost every
    process that imports this module about 10 ms more.
    """
    from importlib.metadata import distribution

    headers = (distribution("verified-blocks").read_text("METADATA") or "").split("\n\n")[0]
    versions = re.findall(
        r"^Classifier: Programming Language :: Python :: (3\.\d+)$", headers, re.M
    )
    if not versions:
        raise RuntimeError(
            "the installed verified-blocks names no Python version: pyproject.toml's "
            "classifiers list them, and an install older than them, or made without -e, "
            "does not: reinstall it (`pip install -e .`, or a nox session without -R)"
        )
    return tuple(sorted(versions, key=lambda v: int(v.split(".")[1])))


#: Every CPython minor version the guide is verified on, oldest first.
SUPPORTED_PYTHONS: tuple[str, ...] = _supported_pythons()

#: Directive name: ```` ```{example} client.py ````.
DIRECTIVE = "example"

#: File kinds, by suffix: how a block's file is run and highlighted.
LANGUAGES = {
    ".py": "python",
    ".pycon": "pycon",
    ".console": "console",
    ".ini": "ini",
    ".toml": "toml",
    ".cfg": "ini",
}

#: Fence languages that must never appear as a plain (unverified) fence.
VERIFIED_LANGUAGES = frozenset(
    {"python", "py", "python3", "pycon", "console", "shell-session", "bash", "sh", "shell"}
)

_FILE_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z0-9]+)+$")
_VERSION = re.compile(r"^3\.(\d+)$")


def _text(value: str | None) -> str:
    """Option converter: any text; empty becomes the empty string."""
    return (value or "").strip("\n")


def _python_version(value: str | None) -> str:
    """Option converter: a supported ``3.X`` version."""
    value = (value or "").strip()
    if value not in SUPPORTED_PYTHONS:
        raise ValueError(
            f"not a supported Python version (expected one of {', '.join(SUPPORTED_PYTHONS)})"
        )
    return value


def _outcome(value: str | None) -> dict[str, int]:
    """Option converter: ``failed=1 passed=2`` -> ``{"failed": 1, "passed": 2}``."""
    allowed = ("passed", "failed", "errors", "skipped", "xfailed", "xpassed", "warnings")
    counts: dict[str, int] = {}
    for part in (value or "").split():
        name, sep, number = part.partition("=")
        if not sep or name not in allowed or not number.isdigit():
            raise ValueError(
                f"expected words like failed=1 (names: {', '.join(allowed)}), got {part!r}"
            )
        counts[name] = int(number)
    if not counts:
        raise ValueError("expected at least one count, like failed=1")
    return counts


def _versioned(name: str) -> dict[str, Callable[[str], Any]]:
    """``name`` plus ``name-3.X`` for every supported version after the first."""
    converters: dict[str, Callable[[str], Any]] = {
        f"{name}-{v}": _text for v in SUPPORTED_PYTHONS[1:]
    }
    return converters | {name: _text}


class Option(NamedTuple):
    """How a field of :class:`Block` is written on the page, as a directive option.

    The directive's ``option_spec``, the extractor's checks, the manifest and the
    fingerprint are all derived from these, so an option is defined once: as a field of
    :class:`Block`, with its :class:`Option` in :data:`OPTIONS`.

    A named tuple, as :class:`Block` and :class:`Versioned` are: every pytest run imports
    this module, and making a dataclass costs about 0.6 ms (its methods are compiled from
    source), a named tuple a fifth of that.
    """

    name: str  #: the option as written: ``:min-python: 3.11``
    convert: Callable[[str | None], object] = _text  #: MyST/docutils-style converter
    #: ``:name-3.X:`` overrides it from a version on (the field holds a :class:`Versioned`)
    versioned: bool = False
    #: it says what running the whole file does, so it belongs on the file's last block
    expectation: bool = False
    #: a change to it must withdraw a report's verdict; False only for how it looks
    counts_for_fingerprint: bool = True


class BlockError(Exception):
    """A problem with a page's blocks, located at a page and line."""

    def __init__(self, page: str, line: int | None, message: str) -> None:
        self.page, self.line, self.message = page, line, message
        where = f"{page}:{line}" if line else page
        super().__init__(f"{where}: {message}")


def version_key(version: str) -> tuple[int, int]:
    major, minor = version.split(".")
    return int(major), int(minor)


class Versioned(NamedTuple):
    """A text that may change from one Python version on: ``base`` then overrides.

    Its ``repr`` is part of a block's fingerprint: ``Versioned(base=..., since=...)``.
    """

    base: str
    since: dict[str, str]  #: no default: a named tuple's would be one dict for all

    def at(self, version: str) -> str:
        """The text that applies on ``version``."""
        value = self.base
        for start in sorted(self.since, key=version_key):
            if version_key(start) <= version_key(version):
                value = self.since[start]
        return value

    def variants(self, versions: tuple[str, ...]) -> list[tuple[list[str], str]]:
        """Consecutive runs of ``versions`` that share one text, in order."""
        runs: list[tuple[list[str], str]] = []
        for version in versions:
            text = self.at(version)
            if runs and runs[-1][1] == text:
                runs[-1][0].append(version)
            else:
                runs.append(([version], text))
        return runs

    def to_json(self) -> dict[str, object]:
        return {"base": self.base, "since": dict(self.since)}

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Versioned:
        return cls(str(data["base"]), {str(k): str(v) for k, v in data["since"].items()})


def version_label(versions: list[str]) -> str:
    """``["3.11", "3.12", "3.13"]`` -> ``"3.11–3.13"``; a run to the newest -> ``"3.14+"``."""
    first, last = versions[0], versions[-1]
    if last == SUPPORTED_PYTHONS[-1] and first != last:
        return f"{first}+"
    return first if first == last else f"{first}–{last}"


class Block(NamedTuple):
    """One verified block of a page.

    The fields after ``code`` are the directive's options, each described in
    :data:`OPTIONS`: adding one here and there adds it to the directive, the manifest and
    the fingerprint; what it means is checked in :func:`_check_options_fit` and by
    whatever runs or renders it. A named tuple, as :class:`Option` says.
    """

    page: str  #: page path relative to the repository, e.g. ``docs/how-to/x.md``
    line: int  #: 1-based line of the opening fence on the page
    code_line: int  #: 1-based page line of the block's first line of code
    file: str  #: file name within the page's folder of ``examples/``
    code: str  #: the block's text, ending in a newline
    raises: Versioned | None = None
    lines: Versioned | None = None
    stdout: str | None = None
    outcome: dict[str, int] | None = None
    min_python: str | None = None
    skip: str | None = None
    emphasize_lines: str | None = None

    @property
    def where(self) -> str:
        return f"{self.page}:{self.line}"

    @property
    def language(self) -> str:
        return language_of(self.file)

    @property
    def is_test_module(self) -> bool:
        return self.file.endswith(".py") and self.file.startswith("test_")

    @property
    def has_expectation(self) -> bool:
        return any(getattr(self, name) is not None for name in FILE_EXPECTATIONS)

    @property
    def versions(self) -> tuple[str, ...]:
        """The supported versions this block runs on."""
        if self.min_python is None:
            return SUPPORTED_PYTHONS
        return tuple(v for v in SUPPORTED_PYTHONS if version_key(v) >= version_key(self.min_python))


#: The fields of :class:`Block` that options set, in its order, and how each is written.
OPTIONS: dict[str, Option] = {
    "raises": Option("raises", versioned=True, expectation=True),
    "lines": Option("lines", versioned=True, expectation=True),
    "stdout": Option("stdout", expectation=True),
    "outcome": Option("outcome", _outcome, expectation=True),
    "min_python": Option("min-python", _python_version),
    "skip": Option("skip"),
    #: how the block is shown, not what it does
    "emphasize_lines": Option("emphasize-lines", counts_for_fingerprint=False),
}


#: Options of the ``example`` directive, with MyST/docutils-style converters.
#: (Typed as docutils types a directive's, which the Sphinx directive inherits.)
OPTION_SPEC: dict[str, Callable[[str], Any]] = {}
for _field, _option in OPTIONS.items():
    OPTION_SPEC |= (
        _versioned(_option.name) if _option.versioned else {_option.name: _option.convert}
    )

#: Fields whose options describe running the whole file: they belong on its last block.
FILE_EXPECTATIONS = tuple(name for name, o in OPTIONS.items() if o.expectation)

#: Fields whose value the fingerprint covers (every manifest load computes one per block).
_FINGERPRINTED = tuple(name for name, o in OPTIONS.items() if o.counts_for_fingerprint)


class DirectiveSyntax:
    """The directive's shape, as MyST's ``parse_directive_text`` reads it.

    The Sphinx directive inherits these attributes, and the extractor passes
    this class itself to the same MyST function: one parser for both.
    """

    required_arguments = 1
    optional_arguments = 0
    final_argument_whitespace = False
    has_content = True
    option_spec: ClassVar[dict[str, Callable[[str], Any]] | None] = OPTION_SPEC


def language_of(file: str) -> str:
    suffix = "." + file.rsplit(".", 1)[-1]
    return LANGUAGES[suffix]


def _collect_versioned(
    options: dict[str, object], name: str, page: str, line: int
) -> Versioned | None:
    since = {
        key.removeprefix(f"{name}-"): str(value)
        for key, value in options.items()
        if key.startswith(f"{name}-")
    }
    if name not in options:
        if since:
            first = min(since, key=version_key)
            raise BlockError(
                page, line, f":{name}-{first}: needs a :{name}: for the versions before {first}"
            )
        return None
    return Versioned(str(options[name]), since)


def build_block(
    *,
    page: str,
    line: int,
    arguments: list[str],
    options: dict[str, object],
    body: list[str],
    body_offset: int,
) -> Block:
    """Make a :class:`Block` from what MyST parsed, or raise :class:`BlockError`.

    ``line`` is the page line of the opening fence and ``body_offset`` the
    number of lines from it to the first line of code, as MyST reports them.
    """
    if len(arguments) != 1:
        raise BlockError(
            page, line, "an example block names exactly one file: ```{example} client.py"
        )
    file = arguments[0]
    if not _FILE_NAME.match(file):
        raise BlockError(
            page, line, f"{file!r} is not a plain file name like client.py or test_client.py"
        )
    suffix = "." + file.rsplit(".", 1)[-1]
    if suffix not in LANGUAGES:
        raise BlockError(
            page, line, f"{file!r}: unknown kind of file (known: {', '.join(sorted(LANGUAGES))})"
        )
    while body and not body[-1].strip():
        body = body[:-1]
    if not any(text.strip() for text in body):
        raise BlockError(page, line, f"the block for {file} is empty")
    stated: dict[str, Any] = {
        name: _collect_versioned(options, o.name, page, line)
        if o.versioned
        else options.get(o.name)
        for name, o in OPTIONS.items()
    }
    block = Block(
        page=page,
        line=line,
        code_line=line + 1 + body_offset,
        file=file,
        code="\n".join(body) + "\n",
        **stated,
    )
    _check_options_fit(block)
    return block


def _check_options_fit(block: Block) -> None:
    def fail(message: str) -> None:
        raise BlockError(block.page, block.line, message)

    if block.skip is not None and not block.skip.strip():
        fail(":skip: needs the reason the block cannot run")
    if block.skip is not None and block.has_expectation:
        fail("a skipped block cannot also state what happens when it runs")
    runs_as_script = block.file.endswith(".py") and not block.is_test_module
    if (block.raises or block.stdout is not None) and not runs_as_script:
        fail(":raises: and :stdout: describe running a module; a test module uses :outcome:")
    if (block.outcome or block.lines) and not block.is_test_module:
        fail(":outcome: and :lines: describe a pytest run of a test module (test_*.py)")
    if block.lines and not block.outcome:
        fail(":lines: needs an :outcome: (the counts pytest reports)")
    if block.raises:
        for versions, text in block.raises.variants(block.versions):
            if not re.match(r"^[A-Za-z_][\w.]*(: .*)?$", text) or "\n" in text:
                fail(
                    f":raises: for {version_label(versions)} must be the last line of the "
                    f"traceback, like 'TypeError: message', got {text!r}"
                )
    if block.language in ("pycon", "console") and block.has_expectation:
        fail(f"a {block.language} block shows its output inline; it takes no expectations")


def fingerprint(block: Block) -> str:
    """Changes whenever the block's code or stated behaviour changes.

    The examples report records it, and the site shows a report's verdict only
    for the block it was made from.
    """
    parts = [block.file, block.code] + [repr(getattr(block, name)) for name in _FINGERPRINTED]
    return hashlib.sha256("\0".join(parts).encode("utf-8")).hexdigest()[:16]
