"""Generated pages of equivalent async blocks, in the syntax of each tool compared.

Every block awaits an ``AsyncMock`` on a fresh event loop and checks the await, so
each tool runs the same work per block: ours as a ``{example}`` test function under
pytest-asyncio, pytest-markdown-docs as a fence with top-level ``await``, Sybil as a
fence that calls ``asyncio.run``. Each writes a project folder with its own
``pytest.ini`` (the examples' options: strict mode, warnings are errors).
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from verified_blocks import extract

from .timing import ROOT

#: The examples' pytest.ini, from the guide's configuration page.
PYTEST_INI = extract.read_pytest_ini(ROOT)

#: The options of the examples' own addopts, pytest-socket's limits included (which cost
#: each test a few hundred microseconds), so that every tool runs under the same ones.
EXAMPLES_ADDOPTS = next(
    line.partition("=")[2].strip() for line in PYTEST_INI.splitlines() if line.startswith("addopts")
)

#: pytest options shared by the three projects: the examples' own pytest.ini, but for
#: ``python_files`` (the other tools collect pages, not test modules) and with each tool's
#: own options after the examples' addopts. pytest's cache stays on in all three, as in
#: `nox -s examples`: it costs every run a read and a write of the test ids, and turning
#: it off for the others only would favour them.
INI = (
    "\n".join(
        line.replace("{", "{{").replace("}", "}}")
        for line in PYTEST_INI.splitlines()
        if line.strip() and not line.startswith(("#", "python_files", "addopts"))
    )
    + "\naddopts = {addopts}{extra}\n"
)

SYBIL_CONFTEST = """\
from sybil import Sybil
from sybil.parsers.markdown import PythonCodeBlockParser

pytest_collect_file = Sybil(parsers=[PythonCodeBlockParser()], patterns=["*.md"]).pytest()
"""

_CHECK = """\
    reply = AsyncMock(return_value={k})
    assert await reply("ping") == {k}
    reply.assert_awaited_once_with("ping")
"""


def _fence(info: str, code: str) -> str:
    return f"```{info}\n{code}```\n"


def _page(title: str, blocks: list[str]) -> str:
    return f"# {title}\n\n" + "\n".join(blocks)


def _our_pages(root: Path, pages: int, blocks: int, block: Callable[[int], str]) -> None:
    """``docs/bench/page-N.md``: one test module per page, ``block(k)`` its k-th block;
    and the configuration page, whose pytest.ini every example runs under."""
    _write(root / extract.CONFIGURATION, extract.configuration_page(ROOT))
    for p in range(pages):
        fences = [_fence(f"{{example}} test_bench_page_{p}.py", block(k)) for k in range(blocks)]
        _write(root / "docs" / "bench" / f"page-{p}.md", _page(f"Page {p}", fences))


def _coroutine_block(k: int, run: str) -> str:
    """Sybil's way: the check as a coroutine ``block_k``, then ``run``, which runs it."""
    head = "import asyncio\nfrom unittest.mock import AsyncMock\n\n\n" if k == 0 else ""
    return f"{head}async def block_{k}():\n" + _CHECK.format(k=k) + f"\n\n{run}\n"


def ours(root: Path, pages: int, blocks: int) -> None:
    """One pytest-asyncio test per block, as the guide writes them."""

    def block(k: int) -> str:
        head = "import pytest\nfrom unittest.mock import AsyncMock\n\n\n" if k == 0 else ""
        return f"{head}@pytest.mark.asyncio\nasync def test_block_{k}():\n" + _CHECK.format(k=k)

    _our_pages(root, pages, blocks, block)


def ours_asyncio_run(root: Path, pages: int, blocks: int) -> None:
    """As :func:`ours`, each block a plain test calling ``asyncio.run``, as Sybil's fences do.

    Not how the guide writes a test (it teaches pytest-asyncio's): it tells what our
    toolchain costs a block when the block does exactly what Sybil's does.
    """
    run = "def test_block_{k}():\n    asyncio.run(block_{k}())"
    _our_pages(root, pages, blocks, lambda k: _coroutine_block(k, run.format(k=k)))


def markdown_docs(root: Path, pages: int, blocks: int) -> None:
    """``page_N.md`` with ```` ```python ```` fences using top-level ``await``."""
    _write(root / "pytest.ini", INI.format(addopts=EXAMPLES_ADDOPTS, extra=" --markdown-docs"))
    for p in range(pages):
        fences = []
        for k in range(blocks):
            code = "from unittest.mock import AsyncMock\n\n" + _dedent(_CHECK.format(k=k))
            fences.append(_fence("python", code))
        _write(root / f"page_{p}.md", _page(f"Page {p}", fences))


def sybil(root: Path, pages: int, blocks: int) -> None:
    """``page_N.md`` with ```` ```python ```` fences that run their coroutine."""
    _write(root / "pytest.ini", INI.format(addopts=EXAMPLES_ADDOPTS, extra=""))
    _write(root / "conftest.py", SYBIL_CONFTEST)
    for p in range(pages):
        fences = [
            _fence("python", _coroutine_block(k, f"asyncio.run(block_{k}())"))
            for k in range(blocks)
        ]
        _write(root / f"page_{p}.md", _page(f"Page {p}", fences))


def _dedent(code: str) -> str:
    return "".join(line.removeprefix("    ") for line in code.splitlines(keepends=True))


def _write(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")


TOOLS = {"ours": ours, "pytest-markdown-docs": markdown_docs, "sybil": sybil}
