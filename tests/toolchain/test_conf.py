"""conf.py takes the site's address and the repository from the build's environment:
Read the Docs', a GitHub workflow's, or none (a local build leaves those features out)."""

from __future__ import annotations

import runpy
from pathlib import Path
from typing import Any

import pytest

CONF = Path(__file__).resolve().parents[2] / "conf.py"

#: Every variable conf.py reads; each test starts with none of them set.
READ = [
    "READTHEDOCS",
    "READTHEDOCS_CANONICAL_URL",
    "READTHEDOCS_GIT_CLONE_URL",
    "READTHEDOCS_GIT_IDENTIFIER",
    "SITE_URL",
    "GITHUB_SERVER_URL",
    "GITHUB_REPOSITORY",
    "GITHUB_SHA",
    "GITHUB_REF_NAME",
    "GITHUB_REF_TYPE",
    "GITHUB_HEAD_REF",
]

READ_THE_DOCS = {
    "READTHEDOCS": "True",
    "READTHEDOCS_CANONICAL_URL": "https://example.readthedocs.io/en/latest/",
    "READTHEDOCS_GIT_CLONE_URL": "https://github.com/owner/repo.git",
    "READTHEDOCS_GIT_IDENTIFIER": "main",
}

GITHUB_PAGES = {
    "SITE_URL": "https://owner.github.io/repo",
    "GITHUB_SERVER_URL": "https://github.com",
    "GITHUB_REPOSITORY": "owner/repo",
    "GITHUB_SHA": "0123abc",
    "GITHUB_REF_NAME": "main",
    "GITHUB_REF_TYPE": "branch",
}


@pytest.fixture
def conf(monkeypatch: pytest.MonkeyPatch) -> Any:
    """`conf(**environment)`: conf.py's settings in that environment, and no other."""

    def load(**environment: str) -> dict[str, Any]:
        for name in READ:
            monkeypatch.delenv(name, raising=False)
        for name, value in environment.items():
            monkeypatch.setenv(name, value)
        return runpy.run_path(str(CONF))

    return load


def test_a_local_build_leaves_out_what_needs_an_address(conf: Any) -> None:
    settings = conf()
    assert settings["html_baseurl"] == ""
    assert "sphinx_sitemap" not in settings["extensions"]
    assert "ogp_image" not in settings
    assert "source_repository" not in settings["html_theme_options"]
    # the 404 page's links are rooted where `python -m http.server -d _build/html` serves it
    assert settings["notfound_urls_prefix"] == "/"


def test_read_the_docs(conf: Any) -> None:
    settings = conf(**READ_THE_DOCS)
    assert settings["html_baseurl"] == "https://example.readthedocs.io/en/latest/"
    assert "sphinx_sitemap" in settings["extensions"]
    assert settings["ogp_image"] == "_static/social-card.png"
    assert settings["html_theme_options"] == {
        "source_repository": "https://github.com/owner/repo",
        "source_branch": "main",
        "source_directory": "docs/",
    }
    # sphinx-notfound-page's own default: the canonical URL's path
    assert "notfound_urls_prefix" not in settings


def test_the_link_preview_image_is_the_size_its_tags_say(conf: Any) -> None:
    settings = conf(**READ_THE_DOCS)
    png = (CONF.parent / "docs" / settings["ogp_image"]).read_bytes()
    assert png[:8] == b"\x89PNG\r\n\x1a\n"
    size = int.from_bytes(png[16:20], "big"), int.from_bytes(png[20:24], "big")
    tags = "".join(settings["ogp_custom_meta_tags"])
    assert f'width" content="{size[0]}"' in tags and f'height" content="{size[1]}"' in tags


@pytest.mark.parametrize(
    "clone",
    [
        "git@github.com:owner/repo.git",
        "ssh://git@github.com/owner/repo.git",
        "https://user:token@github.com/owner/repo.git",
        "https://github.com/owner/repo",
    ],
)
def test_any_clone_address_gives_the_web_address_without_credentials(conf: Any, clone: str) -> None:
    settings = conf(**{**READ_THE_DOCS, "READTHEDOCS_GIT_CLONE_URL": clone})
    assert settings["html_theme_options"]["source_repository"] == "https://github.com/owner/repo"


def test_a_host_furo_does_not_know_gets_no_edit_link(conf: Any) -> None:
    clone = "https://git.example.org/owner/repo.git"
    settings = conf(**{**READ_THE_DOCS, "READTHEDOCS_GIT_CLONE_URL": clone})
    assert settings["html_theme_options"] == {}


def test_github_pages(conf: Any) -> None:
    settings = conf(**GITHUB_PAGES)
    assert settings["html_baseurl"] == "https://owner.github.io/repo/"
    assert "sphinx_sitemap" in settings["extensions"]
    assert settings["notfound_urls_prefix"] == "/repo/"
    assert settings["html_theme_options"]["source_repository"] == "https://github.com/owner/repo"
    assert settings["html_theme_options"]["source_branch"] == "main"


def test_a_pull_request_or_a_tag_is_shown_at_its_commit(conf: Any) -> None:
    pull_request = conf(**{**GITHUB_PAGES, "GITHUB_HEAD_REF": "fix", "GITHUB_REF_NAME": "7/merge"})
    tag = conf(**{**GITHUB_PAGES, "GITHUB_REF_TYPE": "tag", "GITHUB_REF_NAME": "v1"})
    assert pull_request["html_theme_options"]["source_branch"] == "0123abc"
    assert tag["html_theme_options"]["source_branch"] == "0123abc"
