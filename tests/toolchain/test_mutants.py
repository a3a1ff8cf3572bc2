"""The mutation self-test: its faults land on the right page line, weak tests show, and
the reviewed list of equivalent mutants can neither hide a survivor nor go stale."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from contextlib import nullcontext

import pytest

from verified_blocks import extract, mutants
from verified_blocks.mutants import expectation_faults, runner
from verified_blocks.mutants.__main__ import main as mutants_main
from verified_blocks.forkserver import Servers
from verified_blocks.mutants.text import alter_text
from verified_blocks.pages import read_page
from verified_blocks.spec import Versioned, version_key

CODE = """
# How to fetch a status

```{example} status_fetch.py
async def fetch_status(session, url):
    response = await session.get(url)
    return response["status"]
```

```{example} test_status_fetch.py
from unittest.mock import AsyncMock

import pytest

from status_fetch import fetch_status


@pytest.mark.asyncio
async def test_fetch_status():
    session = AsyncMock()
    session.get.return_value = {"status": 200, "body": "ok"}
    assert await fetch_status(session, "https://status.example.test") == 200
```
"""

#: The same page with a test that cannot tell one field from another.
WEAK = CODE.replace("== 200", "is not None")
FIELD = "docs/how-to/status.md:6 wrong-field: return ['status'] → ['body']"

RAISES = """
# How to await a dict

```{example} await_a_dict.py
---
raises: "TypeError: 'dict' object can't be awaited"
raises-3.11: "TypeError: object dict can't be used in 'await' expression"
raises-3.14: "TypeError: 'dict' object can't be awaited"
---
import asyncio


async def main():
    await {}


asyncio.run(main())
```
"""

#: Every kind of fault the issue asks for, in code under test, a conftest and a test.
LEASE = """
# How to take a lease

```{example} lease_client.py
class LeaseClient:
    def __init__(self, session):
        self._session = session

    async def take(self):
        async with self._session.post("/leases") as response:
            data = await response.json()
        return data["id"]

    async def close(self):
        await self._session.close()
```

```{example} conftest.py
from unittest.mock import AsyncMock, MagicMock

import pytest


@pytest.fixture
def session():
    response = MagicMock()
    response.json = AsyncMock(return_value={"id": "L-1", "holder": "me"})
    session = MagicMock()
    session.post.return_value.__aenter__.return_value = response
    session.close = AsyncMock()
    return session
```

```{example} test_lease_client.py
import pytest

from lease_client import LeaseClient


@pytest.mark.asyncio
async def test_take_then_close(session):
    client = LeaseClient(session)
    assert await client.take() == "L-1"
    await client.close()
    session.close.assert_awaited_once_with()
    with pytest.raises(KeyError, match="gone"):
        raise KeyError("gone")
```
"""

#: What a page says running a file does: a session's output, printed text, an outcome.
SAYS = """
# How to see results

```{example} kinds_of_mock.pycon
>>> from unittest.mock import AsyncMock
>>> await AsyncMock(return_value=3)()
3
```

```{example} hello.py
:stdout: hello 1

print("hello 1")
```

```{example} test_shown_failing.py
---
outcome: failed=1
lines: |
  AssertionError: expected a lease
---
def test_shown_failing():
    assert False, "expected a lease"
```
"""

#: Deleting the put leaves the test waiting for ever on an empty queue.
HANGS = """
# How to relay

```{example} relay_queue.py
async def relay(source, target):
    await target.put(await source.get())
```

```{example} test_relay_queue.py
import asyncio

import pytest

from relay_queue import relay


@pytest.mark.asyncio
async def test_relay():
    source, target = asyncio.Queue(), asyncio.Queue()
    await source.put(1)
    await relay(source, target)
    assert await target.get() == 1
```
"""


#: A conftest that waits forever on import, where the plugin's hang guard does not reach
#: (pytest imports it before any test runs): only the runner's own limit stops it.
HANGS_ON_IMPORT = """
# How to wait for a signal

```{example} conftest.py
import threading

threading.Event().wait()
```

```{example} test_signal_ready.py
def test_ready():
    pass
```
"""


def ids(repo, page: str) -> list[str]:
    return [m.id for m in mutants.mutants_of(repo.root, page, read_page(repo.root / page, page))]


def by_id(report: mutants.Report) -> dict[str, str]:
    return {r.mutant.id: r.status for r in report.results}


def reviewed(tmp_path, *tables: tuple[str, list[str]]) -> str:
    """A mutants_equivalent.toml with these (reason, [mutant items]) tables."""
    text = ""
    for reason, items in tables:
        text += f"[[equivalent]]\nreason = {json.dumps(reason)}\nmutants = [\n"
        text += "".join(f"  {item},\n" for item in items) + "]\n\n"
    path = tmp_path / "equivalent.toml"
    path.write_text(text, encoding="utf-8")
    return str(path)


def field_item(line: int = 6, code: str = 'return response["status"]') -> str:
    at = json.dumps(f"docs/how-to/status.md:{line}")
    return f"{{ at = {at}, mutant = \"wrong-field: return ['status'] → ['body']\", code = {json.dumps(code)} }}"  # noqa: E501


def main(repo, tmp_path, *args: str) -> tuple[int, dict]:
    out = tmp_path / "out"
    code = mutants_main(["--root", str(repo.root), "--out", str(out), *args])
    return code, json.loads((out / "mutants.json").read_text(encoding="utf-8"))


def test_faults_are_named_by_page_line_and_operator(repo):
    page = repo.page("how-to/status.md", CODE)
    assert ids(repo, page) == [
        f"{page}:5 await: `await session.get(url)` → `session.get(url)`",
        f"{page}:6 wrong-field: return ['status'] → ['body']",
        f"{page}:19 mock-swap: AsyncMock → MagicMock",
        f'{page}:21 await: `await fetch_status(session, "https://status.example.test")` '
        '→ `fetch_status(session, "https://status.example.test")`',
        f"{page}:21 literal: 200 → 201",
    ]


def test_the_command_line_lists_the_mutants_as_a_module(repo):
    page = repo.page("how-to/status.md", CODE)
    listed = subprocess.run(
        [sys.executable, "-m", "verified_blocks.mutants", "--root", str(repo.root), "--list", page],
        capture_output=True,
        text=True,
        check=False,
    )
    assert (listed.returncode, listed.stderr) == (0, "")
    assert listed.stdout.splitlines() == ids(repo, page)


def test_every_kind_of_fault_the_issue_names_is_made(repo):
    page = repo.page("how-to/lease.md", LEASE)
    found = ids(repo, page)
    assert f"{page}:26 literal: 'L-1' → 'L-2'" not in found  # not asserted: left alone
    for expected in [
        f"{page}:9 async: `async with` → `with`",
        f"{page}:10 await: `await response.json()` → `response.json()`",
        f"{page}:11 wrong-field: return ['id'] → ['holder']",  # the wrong field
        f"{page}:14 drop-call: delete `await self._session.close()`",  # a skipped close()
        f"{page}:25 mock-swap: MagicMock → AsyncMock",  # in conftest.py
        f"{page}:28 drop-config: delete "
        "`session.post.return_value.__aenter__.return_value = response`",
        f"{page}:42 literal: 'L-1' → 'L-2'",  # an asserted literal
        f"{page}:45 literal: 'gone' → 'Gone'",  # an expected error message
    ]:
        assert expected in found, found


def test_what_the_page_says_a_run_does_is_faulted_and_noticed(repo):
    page = repo.page("how-to/says.md", SAYS)
    report = mutants.run(repo.root, [page])
    assert by_id(report) == {
        f"{page}:5 await: `await AsyncMock(return_value=3)()` → `AsyncMock(return_value=3)()`": (
            "killed"
        ),
        f"{page}:5 mock-swap: AsyncMock → MagicMock": "killed",
        f"{page}:6 output: 3 → 4": "killed",
        f"{page}:10 stdout: :stdout: hello 1 → hello 2": "killed",
        f'{page}:12 drop-call: delete `print("hello 1")`': "killed",
        f"{page}:17 outcome: :outcome: failed=1 → failed=2": "killed",
        f"{page}:18 lines: :lines: AssertionError: expected a lease → "
        "assertionError: expected a lease": "killed",
    }
    assert report.ok


def test_the_expected_error_is_faulted_where_it_is_written_for_this_python(repo):
    page = repo.page("how-to/await-dict.md", RAISES)
    if version_key(mutants.VERSION) >= (3, 14):
        line, key, old = 7, "raises-3.14", "TypeError: 'dict' object can't be awaited"
    else:
        old = "TypeError: object dict can't be used in 'await' expression"
        line, key = 6, "raises-3.11"
    new = old.replace("'dict'", "'Dict'").replace("object dict", "Object dict")
    assert [i for i in ids(repo, page) if " raises: " in i] == [
        f"{page}:{line} raises: :{key}: {old} → {new}"
    ]


def test_the_expected_error_mutant_is_killed(repo):
    page = repo.page("how-to/await-dict.md", RAISES)
    report = mutants.run(repo.root, [page])
    raises = [r for r in report.results if r.mutant.operator == "raises"]
    assert [r.status for r in raises] == ["killed"]
    assert "the page says this raises" in raises[0].detail


def test_active_version_text_is_the_one_changed():
    value = Versioned("A: base", {"3.11": "A: eleven", "3.99": "A: future"})
    assert expectation_faults._active(value, "raises") == ("raises-3.11", "A: eleven")
    changed = expectation_faults._with_active(value, "raises-3.11", "raises", "A: X")
    assert changed.at(mutants.VERSION) == "A: X"
    assert changed.base == "A: base"


@pytest.mark.parametrize(
    ("text", "altered"),
    [
        ("Awaited 0 times.", "Awaited 1 times."),
        ("refused", "Refused"),
        ("'dict' object", "'Dict' object"),
        ("...", "...X"),
    ],
)
def test_alter_text_changes_what_a_check_would_compare(text, altered):
    assert alter_text(text) == altered


def test_a_surviving_mutant_fails_the_run_naming_page_and_line(repo, tmp_path, capsys):
    page = repo.page("how-to/status.md", WEAK)
    assert repo.extract() == 0
    before = repo.snapshot()

    code, data = main(repo, tmp_path, page)

    assert code == 1
    assert {m["id"]: m["status"] for m in data["mutants"]}[FIELD] == "survived"
    assert data["pages"][page] == {
        "killed": 3,
        "total": 4,
        "equivalent": 0,
        "survived": 1,
        "error": 0,
    }
    progress, survivors = capsys.readouterr().out.split("## Surviving mutants")
    assert f"  survived  {FIELD}\n" in progress  # each verdict as it comes, right-aligned
    assert f"- {FIELD}" in survivors
    assert field_item() in survivors  # ready to paste, once a reason is written
    assert repo.snapshot() == before  # examples/ untouched


@pytest.mark.parametrize("colour", [{}, {"FORCE_COLOR": "1"}, {"PY_COLORS": "1"}])
def test_a_strong_test_kills_every_mutant(repo, tmp_path, monkeypatch, colour):
    # Some CI machines force colour: the verdict must still read pytest's lines.
    for name, value in colour.items():
        monkeypatch.setenv(name, value)
    page = repo.page("how-to/status.md", CODE)
    code, data = main(repo, tmp_path, page)
    assert code == 0
    assert data["pages"][page] == {
        "killed": 5,
        "total": 5,
        "equivalent": 0,
        "survived": 0,
        "error": 0,
    }
    assert f"| {page} | 5 | 5 | 0 | 0 | 0 |" in (tmp_path / "out" / "mutants.md").read_text()


def test_a_reviewed_equivalent_mutant_passes_with_its_reason(repo, tmp_path, capsys):
    page = repo.page("how-to/status.md", WEAK)
    toml = reviewed(tmp_path, ("the caller only checks for None", [field_item()]))

    code, data = main(repo, tmp_path, "--equivalent", toml, page)

    assert code == 0
    assert f"equivalent  {FIELD}\n" in capsys.readouterr().out
    (field,) = [m for m in data["mutants"] if m["id"] == FIELD]
    assert (field["status"], field["detail"]) == ("equivalent", "the caller only checks for None")
    assert data["pages"][page]["equivalent"] == 1
    md = (tmp_path / "out" / "mutants.md").read_text()
    assert f"- {FIELD}  \n  the caller only checks for None" in md


def test_an_entry_follows_its_mutant_when_the_prose_moves_it(repo, tmp_path):
    page = repo.page("how-to/status.md", WEAK.replace("# How to", "\nIntro.\n\n# How to"))
    toml = reviewed(tmp_path, ("the caller only checks for None", [field_item(line=6)]))

    code, data = main(repo, tmp_path, "--equivalent", toml, page)

    assert code == 0
    assert data["moved_equivalents"] == [{"id": FIELD, "line": 8}]


@pytest.mark.parametrize(
    ("page_text", "item", "why"),
    [
        (CODE, field_item(), "the mutant (line 6) is killed, not equivalent"),
        (
            WEAK,
            field_item(code='return response["status"]  # changed'),
            "no such mutant any more",
        ),
    ],
    ids=["killed-now", "code-changed"],
)
def test_a_stale_entry_fails_the_run(repo, tmp_path, page_text, item, why):
    page = repo.page("how-to/status.md", page_text)
    toml = reviewed(tmp_path, ("was equivalent once", [item]))

    code, data = main(repo, tmp_path, "--equivalent", toml, page)

    assert code == 1
    (stale,) = data["stale_equivalents"]
    assert stale["id"] == FIELD
    assert stale["why"].startswith(why)
    assert (
        "## Stale entries in mutants_equivalent.toml"
        in (tmp_path / "out" / "mutants.md").read_text()
    )


def test_an_entry_for_a_removed_page_is_stale_only_when_every_page_ran(repo, tmp_path):
    page = repo.page("how-to/status.md", CODE)
    gone = '{ at = "docs/how-to/gone.md:3", mutant = "await: `await x` → `x`", code = "await x" }'
    toml = reviewed(tmp_path, ("gone", [gone]))

    assert main(repo, tmp_path, "--equivalent", toml, page)[0] == 0  # not asked about gone.md

    code, data = main(repo, tmp_path, "--equivalent", toml)  # every page
    assert code == 1
    assert data["stale_equivalents"] == [
        {"id": "docs/how-to/gone.md:3 await: `await x` → `x`", "why": "no such page"}
    ]


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ('[[equivalent]]\nreason = " "\nmutants = [ITEM]\n', "the reason is empty"),
        ("[[equivalent]]\nmutants = [ITEM]\n", "expected the fields ['mutants', 'reason']"),
        ('[[equivalent]]\nreason = "r"\nmutants = []\n', "mutants must be a non-empty list"),
        ('[[equivalent]]\nreason = "r"\nmutants = [ITEM, ITEM]\n', "is listed twice"),
        (
            '[[equivalent]]\nreason = "r"\nmutants = [{ at = "status.md", mutant = "x", code = "" }]\n',  # noqa: E501
            'expected at = "docs/PAGE.md:LINE"',
        ),
        ('[[equivalents]]\nreason = "r"\n', "unknown tables ['equivalents']"),
    ],
    ids=["no-reason", "missing-field", "no-mutants", "twice", "bad-at", "misspelt"],
)
def test_a_malformed_equivalents_file_is_refused(repo, tmp_path, capsys, text, message):
    page = repo.page("how-to/status.md", CODE)
    path = tmp_path / "equivalent.toml"
    path.write_text(text.replace("ITEM", field_item()), encoding="utf-8")
    with pytest.raises(mutants.EquivalentsError, match=re.escape(message)):
        mutants.load_equivalents(path)
    with pytest.raises(SystemExit) as stopped:
        mutants_main(["--root", str(repo.root), "--equivalent", str(path), page])
    assert stopped.value.code == 2
    assert message in capsys.readouterr().err


def test_a_mutant_that_hangs_a_block_is_killed_at_the_block_line(repo):
    page = repo.page("how-to/relay.md", HANGS)
    report = mutants.run(repo.root, [page], timeout=10)
    (dropped,) = [r for r in report.results if r.mutant.operator == "drop-call"]
    assert dropped.status == "killed"
    # the plugin's hang guard, at five times the page's slowest phase (at least the
    # floor), names the block that hung, well before the run's own limit
    assert "docs/how-to/relay.md:" in dropped.detail
    guard = re.search(r"did not finish within ([\d.]+) s", dropped.detail)
    assert guard is not None, dropped.detail
    assert float(guard[1]) == runner.PHASE_FLOOR
    assert report.ok


def test_the_run_of_a_page_as_written_measures_its_slowest_phase(repo):
    page = repo.page("how-to/relay.md", HANGS)
    blocks = read_page(repo.root / page, page)
    configuration = extract.read_pytest_ini(repo.root)
    measured = runner.run_page(page, blocks, 20, configuration, measure=True)
    assert measured.status == "survived", measured.detail
    assert measured.slowest is not None and 0 <= measured.slowest <= measured.seconds
    assert runner.run_page(page, blocks, 20, configuration).slowest is None


def run_of(seconds: float, slowest: float | None) -> runner.Run:
    return runner.Run(mutants.Status.SURVIVED, "1 passed", seconds, slowest)


@pytest.mark.parametrize(
    ("seconds", "slowest", "timeout", "bounds"),
    [
        # a small page: both floors
        (0.2, 0.01, 120, (runner.PHASE_FLOOR, runner.HANG_FLOOR)),
        # a phase five times the slowest; the run, its page's time and two such phases
        (1.6, 0.3, 120, (1.5, 4.6)),
        # nothing measured: the whole run counts as the slowest phase
        (2.0, None, 120, (10.0, 22.0)),
        # never past the run's own timeout, and the guard before it
        (2.0, 0.5, 5, (2.5, 5.0)),
    ],
    ids=["floors", "five-times", "unmeasured", "timeout"],
)
def test_a_mutant_hangs_after_five_times_its_pages_slowest_phase(seconds, slowest, timeout, bounds):
    assert runner.hang_bounds(run_of(seconds, slowest), timeout) == pytest.approx(bounds)


@pytest.mark.parametrize(
    ("returncode", "output", "status"),
    [
        (0, ["1 passed in 0.01s"], "survived"),
        (1, ["F", "E   assert 201 == 200", "FAILED test_x.py::test_x", "1 failed"], "killed"),
        (2, ["ERROR examples/how_to/x/test_x.py", "1 error in 0.1s"], "killed"),
        (4, ["ImportError while loading conftest 'conftest.py'.", "E   NameError: x"], "killed"),
        # a run that passed, then failed at exit: no check failed, so no kill
        (1, ["1 passed in 0.01s", "ResourceWarning: unclosed <socket.socket fd=3>"], "error"),
        (3, ["INTERNALERROR> Traceback (most recent call last):"], "error"),
        (5, ["no tests ran in 0.01s"], "error"),
    ],
    ids=["passed", "failed", "collection", "conftest", "error-at-exit", "internal", "nothing"],
)
def test_only_a_failing_check_kills_a_mutant(returncode, output, status):
    assert mutants.verdict(returncode, output).status == status


def test_a_page_that_fails_unmutated_is_an_error_not_a_kill(repo):
    page = repo.page("how-to/status.md", CODE.replace("== 200", "== 404"))
    report = mutants.run(repo.root, [page])
    assert report.results == []
    assert page in report.baseline_errors
    assert not report.ok


@pytest.mark.parametrize("forked", [False, True], ids=["fresh", "forked"])
def test_a_run_that_hangs_where_no_block_runs_is_stopped_by_the_time_limit(repo, forked):
    page = repo.page("how-to/signal.md", HANGS_ON_IMPORT)
    blocks = read_page(repo.root / page, page)
    configuration = extract.read_pytest_ini(repo.root)
    with Servers(1, runner.run_env()) if forked else nullcontext(None) as servers:
        run = runner.run_page(page, blocks, 2, configuration, servers)
        assert (run.status, run.detail) == ("killed", "timed out after 2 s (the run hangs)")
        assert run.seconds < 10
        # the server that ran it still serves (its child, not it, was stopped)
        ok = runner.run_page(page, blocks[1:], 20, configuration, servers)  # no conftest
        assert ok.status == "survived", ok.detail


def test_forked_and_fresh_runs_give_every_mutant_the_same_verdict(repo):
    """Killed, survived and hanging mutants alike: a forked run is a fresh run, sooner."""
    pages = [repo.page("how-to/status.md", WEAK), repo.page("how-to/hangs.md", HANGS)]

    forked = mutants.run(repo.root, pages, timeout=30, fork=True)
    fresh = mutants.run(repo.root, pages, timeout=30)

    assert by_id(forked) == by_id(fresh)
    assert {"killed", "survived"} <= set(by_id(forked).values())

    # and for the same reason, but for addresses and times
    def reasons(report: mutants.Report) -> list[tuple[str, str]]:
        return [
            (r.mutant.id, re.sub(r"0x[0-9a-f]+|[\d.]+ ?s\b", "*", r.detail)) for r in report.results
        ]

    assert reasons(forked) == reasons(fresh)


def test_a_page_whose_inputs_did_not_change_is_not_run_again(repo, tmp_path, monkeypatch):
    page = repo.page("how-to/status.md", WEAK)
    cache = tmp_path / "cache"
    first = mutants.run(repo.root, [page], cache=cache)
    assert first.ok is False and len(list(cache.iterdir())) == 1

    def no_run(*args, **kwargs):
        raise AssertionError("a kept page was run")

    monkeypatch.setattr(runner, "run_page", no_run)
    again = mutants.run(repo.root, [page], cache=cache)
    assert by_id(again) == by_id(first)
    assert [r.detail for r in again.results] == [r.detail for r in first.results]
    said, said_first = again.markdown(), first.markdown()  # but for the time taken
    assert said.rstrip().rsplit("\n", 1)[0] == said_first.rstrip().rsplit("\n", 1)[0]

    monkeypatch.undo()  # any change to what a verdict depends on runs the page again
    repo.page("how-to/status.md", WEAK + "\nMore prose.\n")
    ran: list[str] = []
    real = runner.run_page
    monkeypatch.setattr(runner, "run_page", lambda *a, **k: ran.append(a[0]) or real(*a, **k))
    changed = mutants.run(repo.root, [page], cache=cache)
    assert ran and by_id(changed) == by_id(first)
    ran.clear()
    mutants.run(repo.root, [page], cache=cache, timeout=60)  # another time limit
    assert ran


def test_a_page_with_an_error_is_not_kept(repo, tmp_path, monkeypatch):
    page = repo.page("how-to/status.md", CODE)
    cache = tmp_path / "cache"
    real = runner.verdict

    def one_error(returncode, output):
        found = real(returncode, output)
        return runner.Verdict(mutants.Status.ERROR, "odd") if found.status == "killed" else found

    monkeypatch.setattr(runner, "verdict", one_error)
    report = mutants.run(repo.root, [page], cache=cache)
    assert "error" in by_id(report).values()
    assert not cache.exists() or list(cache.iterdir()) == []
