"""Sphinx extension ``verified_blocks.sphinx``: render verified blocks, refuse unverified ones.

Add it to ``extensions`` in ``conf.py``; ``verified_blocks_root`` is the repository (pages in
``docs/``, ``examples/``), ``verified_blocks_reports`` the folder of the examples reports.
This module reads each build's inputs and registers the parts, each in its own module:

- ``example.py``: the ``{example}`` directive, a verified block rendered with its caption,
  what it does per Python version and its badge; plain ``python`` fences are build errors.
- ``tables.py``: the ``{verified-errors}`` version matrix and error index, made from the
  errors the pages show (``catalog.py``).
- ``provenance.py``: what verified the reports (Pythons, packages, commit, date): the
  ``{verified-provenance}`` table, and the line under each badge that links to it.
- ``takeaway.py``: each page's examples as a zip, and the section that offers it.
- ``search.py``: a troubleshooting entry's error in Sphinx's search index.
- ``paste.py``: the "paste your error" box and its data.
- ``publish.py``: with ``verified_blocks_publish``, the build stops unless every badge says
  verified.
- ``domain.py``: what the parts keep in Sphinx's build environment between builds.
"""

from __future__ import annotations

from pathlib import Path

from sphinx.application import Sphinx

from . import domain, example, paste, provenance, publish, search, tables, takeaway


def _read_inputs(app: Sphinx) -> None:
    """This build's inputs: the examples reports (badges, tables) and each page's bundle."""
    root = Path(app.config.verified_blocks_root)
    reports, ran_with = domain.load_reports(root / app.config.verified_blocks_reports)
    manifest_file = root / "examples" / "manifest.json"
    take_home = takeaway.bundles(root) if manifest_file.is_file() else {}
    domain.verified_domain(app.env).begin_build(reports, ran_with, take_home)
    if app.config.verified_blocks_publish:
        publish.check(app, root, reports, ran_with)


def setup(app: Sphinx) -> dict[str, object]:
    app.add_config_value("verified_blocks_root", str(Path(app.confdir)), "env")
    app.add_config_value("verified_blocks_reports", "_build/reports", "env")
    # what a page shows does not depend on it: switching it never re-reads a page
    app.add_config_value("verified_blocks_publish", False, "", types=frozenset({bool}))
    app.connect("builder-inited", _read_inputs)
    # in this order, each part's handlers run in the order the single module had them
    domain.setup(app)
    takeaway.setup(app)
    example.setup(app)
    tables.setup(app)
    provenance.setup(app)
    search.setup(app)
    paste.setup(app)
    # env_version: bump when what the directives store in the environment, or the nodes
    # they make, change (4: troubleshooting blocks index their error messages; 5: the
    # catalog kept per page lists a session's tracebacks; 6: the state is a domain's; 7: a
    # badge has a line of provenance; 8: the inputs are stamped per page; 9: a block is a
    # named tuple), so that an existing build reads every page again instead of keeping
    # what the old code made
    return {
        "version": "1",
        "env_version": 9,
        "parallel_read_safe": True,
        "parallel_write_safe": True,
    }
