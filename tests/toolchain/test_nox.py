"""`nox -l` is the one list of sessions: what README, .ci/run and the CI workflow say of them
agrees with it, names and order."""

from __future__ import annotations

import ast
import itertools
import json
import os
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]


def _nox_list(*args: str) -> str:
    return subprocess.run(
        [sys.executable, "-m", "nox", "--noxfile", str(ROOT / "noxfile.py"), "-l", *args],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
        timeout=120,
    ).stdout


@pytest.fixture(scope="module")
def default_sessions() -> list[dict[str, Any]]:
    """The sessions bare `nox` runs, in its order."""
    return json.loads(_nox_list("--json"))


def _groups(sessions: list[dict[str, Any]]) -> list[list[str]]:
    """The sessions by name, in order: `examples-3.10` … `examples-3.15` are one group."""
    groups = [
        [s["session"] for s in run] for _, run in itertools.groupby(sessions, lambda s: s["name"])
    ]
    names = [s["name"] for s in sessions]
    assert len(groups) == len(dict.fromkeys(names)), f"a session's runs are not together: {names}"
    return groups


def _readme_section(title: str) -> str:
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    start = text.index(f"\n## {title}\n")
    end = text.find("\n## ", start + 1)
    return text[start : end if end != -1 else len(text)]


def test_readme_table_lists_the_default_sessions_in_their_order(
    default_sessions: list[dict[str, Any]],
) -> None:
    expected = [
        f"`{group[0]}`" if len(group) == 1 else f"`{group[0]}` … `{group[-1]}`"
        for group in _groups(default_sessions)
    ]
    rows = re.findall(r"^\| (.+?) \| .* \|$", _readme_section("What `nox` checks"), re.M)
    assert rows[:2] == ["session", "---"]
    assert rows[2:] == expected


def test_readme_names_every_other_session() -> None:
    others = re.findall(r"^- (\S+) ", _nox_list(), re.M)
    assert "bench" in others  # what the parse must find
    section = _readme_section("What `nox` checks")
    assert [name for name in others if f"`nox -s {name}" not in section] == []


def test_ci_run_says_which_sessions_nox_runs(default_sessions: list[dict[str, Any]]) -> None:
    script = (ROOT / ".ci" / "run").read_text(encoding="utf-8")
    said = re.search(r"in order:\n# (.+)\.\npython3 -m nox\n", script)
    assert said, ".ci/run: no `# …in order:` comment above `python3 -m nox`"
    names = [s["name"] for s in default_sessions]
    assert said[1].split(", ") == list(dict.fromkeys(names))


def _workflow() -> dict[str, Any]:
    return yaml.safe_load((ROOT / ".github" / "workflows" / "ci.yml").read_text(encoding="utf-8"))


def test_the_workflow_runs_every_default_session_once(
    default_sessions: list[dict[str, Any]], tmp_path: Path
) -> None:
    """The workflow's first job sorts `nox -l --json` into the jobs; run its script here."""
    (step,) = [s for s in _workflow()["jobs"]["sessions"]["steps"] if s.get("id") == "list"]
    assert step["shell"] == "python"
    output = tmp_path / "github-output"
    env = {
        **os.environ,
        "GITHUB_OUTPUT": str(output),
        "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}",
    }
    subprocess.run([sys.executable, "-c", step["run"]], cwd=ROOT, env=env, check=True, timeout=120)
    outputs = dict(line.split("=", 1) for line in output.read_text().splitlines())
    jobs = {kind: json.loads(outputs[kind]) for kind in ("examples", "checks", "site")}
    ran = [entry["session"] for entries in jobs.values() for entry in entries]
    assert sorted(ran) == sorted(s["session"] for s in default_sessions)
    pythons = {s["session"]: s["python"] for s in default_sessions}
    assert all(e["python"] == pythons[e["session"]] for es in jobs.values() for e in es)
    # docs then browser, in nox's order, after the examples whose reports the site shows
    assert [e["session"] for e in jobs["site"]] == ["docs", "browser"]
    assert outputs["site-sessions"] == "docs browser"
    assert outputs["site-python"] == pythons["docs"]


def test_the_workflow_names_no_python_version() -> None:
    """Every job's Python comes from nox (`3.x` runs nox itself)."""
    text = (ROOT / ".github" / "workflows" / "ci.yml").read_text(encoding="utf-8")
    assert re.findall(r"\b3\.\d+\b", text) == []


def test_every_action_is_pinned_by_commit() -> None:
    """A tag can be moved; a commit cannot. Dependabot updates the hash and its comment."""
    uses = [
        (path.name, line.strip())
        for path in sorted((ROOT / ".github" / "workflows").glob("*.yml"))
        for line in path.read_text(encoding="utf-8").splitlines()
        if line.strip().startswith(("uses:", "- uses:"))
    ]
    assert len(uses) > 10  # what the parse must find
    pinned = re.compile(r"(- )?uses: [\w-]+/[\w-]+@[0-9a-f]{40}  # v\d+\.\d+\.\d+")
    assert [(name, line) for name, line in uses if not pinned.fullmatch(line)] == []


def test_read_the_docs_publishes_through_nox(default_sessions: list[dict[str, Any]]) -> None:
    """Read the Docs' HTML build runs the examples, then the publish build, through nox."""
    config = yaml.safe_load((ROOT / ".readthedocs.yaml").read_text(encoding="utf-8"))
    assert "commands" not in config["build"]  # build.jobs: Read the Docs' own steps stay
    (run, *copy) = config["build"]["jobs"]["build"]["html"]
    sessions = run.split(" -s ", 1)[1].split()
    assert sessions == ["examples", "publish"]
    assert "publish" in _nox_list()  # a session nox knows, not run by bare `nox`
    assert "publish" not in {s["name"] for s in default_sessions}
    assert any("$READTHEDOCS_OUTPUT/html" in line for line in copy)


def test_the_one_page_command_is_where_a_writer_looks() -> None:
    """README's "Adding a page" and the noxfile's list of commands give `nox -s page`."""
    assert re.search(r"^- page -> ", _nox_list(), re.M)
    assert "`nox -s page -- docs/<section>/<page>.md`" in _readme_section("Adding a page")
    noxfile = ast.get_docstring(ast.parse((ROOT / "noxfile.py").read_text(encoding="utf-8")))
    assert re.search(r"^nox -s page -- docs/\S+\.md +# ", noxfile or "", re.M)


@pytest.mark.parametrize(
    ("args", "says"),
    [
        ([], "name the pages: nox -s page -- docs/<section>/<page>.md"),
        (["README.md"], "README.md: not a page"),
        (["docs/how-to/no-such-page.md"], "docs/how-to/no-such-page.md: no such page"),
        (["-x", "docs/index.md"], "-x: not a page (pytest options go after a second `--`)"),
    ],
)
def test_the_page_session_refuses_what_is_not_a_page(args: list[str], says: str) -> None:
    """Before it installs anything (`--no-venv`: the refusal needs no environment)."""
    run = subprocess.run(
        [sys.executable, "-m", "nox", "--noxfile", str(ROOT / "noxfile.py"), "--no-venv"]
        + ["-s", "page", "--", *args],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert run.returncode == 1
    assert f"Session page aborted: {says}" in run.stderr
