"""A mutant's first run leaves out the test modules that cannot see its change
(verified_blocks/mutants/select.py); only a kill is that run's to say."""

from __future__ import annotations

import json

import pytest

from verified_blocks import mutants
from verified_blocks.mutants import runner
from verified_blocks.mutants.select import left_out

from test_mutants import CODE, FIELD, by_id

F = "how_to/page"


def tree(files: dict[str, str], expects: dict[str, object] | None = None) -> dict[str, str]:
    """A page's extracted tree: its files in folder F, the top-level files, a manifest."""
    entries = {
        f"{F}/{name}": {"blocks": [expects.get(name) if expects else None]} for name in files
    }
    return {
        "conftest.py": "",
        "pytest.ini": "[pytest]\n",
        "manifest.json": json.dumps({"files": entries}),
        **{f"{F}/{name}": text for name, text in files.items()},
    }


FOLDER = {
    "__init__.py": "",
    "client.py": "class Client: ...\n",
    "retry.py": "from client import Client\n",
    "test_client.py": "from client import Client\n",
    "test_retry.py": "from .retry import Client\n",
    "test_clock.py": "import asyncio\n",
    "test_helpers.py": "from . import retry\n",
}


def mutate(name: str, text: str = "# mutated\n") -> dict[str, str]:
    return tree({**FOLDER, name: FOLDER[name] + text})


def test_a_change_keeps_the_file_and_every_module_that_imports_it_however_indirectly():
    assert left_out(F, tree(FOLDER), mutate("client.py")) == [f"{F}/test_clock.py"]


def test_a_change_to_a_test_module_leaves_out_every_other_module():
    assert left_out(F, tree(FOLDER), mutate("test_clock.py")) == [
        f"{F}/client.py",
        f"{F}/retry.py",
        f"{F}/test_client.py",
        f"{F}/test_helpers.py",
        f"{F}/test_retry.py",
    ]


def test_a_change_to_what_the_manifest_expects_of_a_file_counts_as_a_change_to_it():
    mutated = tree(FOLDER, {"test_clock.py": {"outcome": "failed=2"}})
    assert f"{F}/test_clock.py" not in left_out(F, tree(FOLDER), mutated)
    assert f"{F}/test_client.py" in left_out(F, tree(FOLDER), mutated)


@pytest.mark.parametrize(
    "mutated",
    [
        tree({**FOLDER, "conftest.py": "import pytest\n"}),  # the folder's conftest
        {**tree(FOLDER), "conftest.py": "import pytest\n"},  # the examples' conftest
        tree({**FOLDER, "session.console": "$ pytest\n"}),  # not a module
        tree({**FOLDER, "sub/test_x.py": ""}),  # a package inside the folder
        tree({**FOLDER, "client.py": "def broken(:\n"}),  # a module that does not parse
        tree(FOLDER),  # nothing changed
    ],
    ids=["folder-conftest", "examples-conftest", "console", "package", "syntax", "nothing"],
)
def test_a_change_it_cannot_follow_leaves_nothing_out(mutated):
    assert left_out(F, tree(FOLDER), mutated) == []


#: The weak page (its test cannot tell one field from another), and a test module that
#: reads the code's source instead of importing it: no import says it sees the change.
READER = (
    CODE.replace("== 200", "is not None")
    + """
```{example} test_source.py
from pathlib import Path


def test_the_code_reads_the_status_field():
    source = Path(__file__).with_name("status_fetch.py").read_text(encoding="utf-8")
    assert 'response["status"]' in source
```
"""
)


def test_a_mutant_the_first_run_misses_is_killed_by_the_whole_page(repo, monkeypatch):
    page = repo.page("how-to/status.md", READER)
    runs: list[tuple[str, list[str] | None]] = []
    run_page = runner.run_page

    def recorded(page, blocks, timeout, configuration, servers=None, left_out=None, **how):
        done = run_page(page, blocks, timeout, configuration, servers, left_out, **how)
        runs.append((done.status, left_out))
        return done

    monkeypatch.setattr(runner, "run_page", recorded)
    report = mutants.run(repo.root, [page], fork=True)
    (field,) = [r for r in report.results if r.mutant.id == FIELD]
    assert field.status == "killed"
    # its first run left the reader out and passed; other mutants' first runs killed them
    assert ("survived", ["how_to/status/test_source.py"]) in runs
    assert any(status == "killed" and out for status, out in runs)

    monkeypatch.undo()
    assert by_id(mutants.run(repo.root, [page], fork=True, select=False)) == by_id(report)
