"""A block option is defined once, as a field of Block: the directive's options, the
manifest and the fingerprint follow from it; the manifest keeps fingerprints, not code."""

from __future__ import annotations

import json

import pytest

from verified_blocks import manifest
from verified_blocks.manifest import Kind
from verified_blocks.spec import (
    FILE_EXPECTATIONS,
    OPTION_SPEC,
    OPTIONS,
    SUPPORTED_PYTHONS,
    Block,
    Versioned,
    fingerprint,
)

EVERY_OPTION = """
# How to state everything

```{example} test_everything.py
---
outcome: failed=1
lines: |
  assert 1 == 2
lines-3.14: |
  assert 1 == 2
min-python: "3.11"
emphasize-lines: "1"
---
def test_it():
    assert 1 == 2
```

```{example} everything.py
:raises: ValueError: no
:raises-3.12: ValueError: no!
raise ValueError("no" + ("!" if __import__("sys").version_info >= (3, 12) else ""))
```

```{example} printing.py
:stdout: hello
print("hello")
```

```{example} skipped.py
:skip: needs a server
import server
```
"""


def test_every_option_field_is_a_directive_option():
    for name, option in OPTIONS.items():
        assert option.name in OPTION_SPEC, name
        if option.versioned:
            for version in SUPPORTED_PYTHONS[1:]:
                assert f"{option.name}-{version}" in OPTION_SPEC
    names = {o.name for _, o in OPTIONS.items()}
    versioned = {
        f"{o.name}-{v}" for _, o in OPTIONS.items() if o.versioned for v in SUPPORTED_PYTHONS
    }
    assert set(OPTION_SPEC) <= names | versioned
    assert FILE_EXPECTATIONS == ("raises", "lines", "stdout", "outcome")


def test_every_block_field_after_its_code_is_an_option_in_order():
    assert tuple(OPTIONS) == Block._fields[Block._fields.index("code") + 1 :]


def test_the_manifest_round_trips_every_option(repo):
    repo.page("how-to/everything.md", EVERY_OPTION)
    assert repo.extract() == 0
    examples = repo.root / "examples"
    loaded = manifest.load(examples / manifest.MANIFEST)
    blocks = {
        b.file: b
        for f in loaded.values()
        if f.page == "docs/how-to/everything.md"
        for b in (p.block for p in f.placed)
    }
    assert blocks["test_everything.py"].lines == Versioned(
        "assert 1 == 2", {"3.14": "assert 1 == 2"}
    )
    assert blocks["test_everything.py"].outcome == {"failed": 1}
    assert blocks["test_everything.py"].min_python == "3.11"
    assert blocks["test_everything.py"].emphasize_lines == "1"
    assert blocks["everything.py"].raises == Versioned(
        "ValueError: no", {"3.12": "ValueError: no!"}
    )
    assert blocks["printing.py"].stdout == "hello"
    assert blocks["skipped.py"].skip == "needs a server"
    # Every field set somewhere, and read back as the page states it: the extractor's
    # own blocks and the loaded ones are equal, code included.
    from verified_blocks.pages import read_page

    page = read_page(repo.root / "docs/how-to/everything.md", "docs/how-to/everything.md")
    assert sorted(page, key=lambda b: b.file) == sorted(blocks.values(), key=lambda b: b.file)
    for name, _ in OPTIONS.items():
        assert any(getattr(b, name) is not None for b in page), f"no block sets {name}"


def test_the_manifest_keeps_fingerprints_not_code(repo):
    repo.page("how-to/everything.md", EVERY_OPTION)
    assert repo.extract() == 0
    data = json.loads((repo.root / "examples" / manifest.MANIFEST).read_text())
    for entry in data["files"].values():
        for block in entry["blocks"]:
            assert "code" not in block
            assert len(block["fingerprint"]) == 16


def test_a_hand_edited_example_is_refused_with_its_page_line(repo):
    repo.page("how-to/everything.md", EVERY_OPTION)
    assert repo.extract() == 0
    examples = repo.root / "examples"
    target = examples / "how_to" / "everything" / "printing.py"
    target.write_text(target.read_text().replace('print("hello")', 'print("hi")'))
    with pytest.raises(manifest.ManifestError) as error:
        manifest.load(examples / manifest.MANIFEST)
    message = str(error.value)
    assert "printing.py: lines" in message
    assert "docs/how-to/everything.md:" in message
    assert "run `nox -s extract`" in message


def test_what_counts_for_the_fingerprint():
    block = Block(page="docs/x.md", line=3, code_line=4, file="x.py", code="pass\n")
    same = fingerprint(block)
    assert fingerprint(block._replace(emphasize_lines="1")) == same
    assert fingerprint(block._replace(line=30, code_line=31)) == same
    for name, option in OPTIONS.items():
        if not option.counts_for_fingerprint:
            continue
        value = (
            Versioned("X", {})
            if option.versioned
            else ({"failed": 1} if name == "outcome" else "3.11")
        )
        assert fingerprint(block._replace(**{name: value})) != same, name
    assert fingerprint(block._replace(code="pass  \n")) != same


def test_kinds_read_as_their_names():
    assert Kind.TEST == "test"
    assert f"{Kind.PYCON}" == "pycon"
    assert str(Kind.CONSOLE) == "console"
    assert json.dumps({"kind": Kind.MODULE}) == '{"kind": "module"}'


@pytest.mark.parametrize("count", [0, 2])
def test_the_examples_configuration_is_one_block_of_its_page(repo, capsys, count):
    block = "```{example} pytest.ini\n[pytest]\nfilterwarnings = error\n```\n\n"
    repo.page("reference/configuration.md", "# How to configure pytest\n\n" + block * count)
    assert repo.extract() == 1
    err = capsys.readouterr().err
    assert f"docs/reference/configuration.md:{8 if count else 1}: error: " in err
    assert f"exactly one ```{{example}} pytest.ini block (found {count})" in err


def test_the_examples_configuration_is_the_page_block(repo):
    repo.page(
        "reference/configuration.md",
        "# How to configure pytest\n\n"
        "```{example} pytest.ini\n[pytest]\nxfail_strict = true\n```\n",
    )
    assert repo.extract() == 0
    ini = (repo.root / "examples" / "pytest.ini").read_text()
    assert ini.endswith("\n[pytest]\nxfail_strict = true\n")
    assert ini.startswith("# Generated by `nox -s extract`; do not edit.\n")
