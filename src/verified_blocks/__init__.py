"""The Async Testing Guide's toolchain: every code block of the pages runs as its page says.

One module, one job:

- ``spec``: what a verified block is (its options are fields of ``Block``, described in
  ``OPTIONS``), and its checks.
- ``pages``: reads the blocks of a MyST page with MyST's own parser.
- ``extract``: writes ``examples/`` from the pages; ``manifest``: what it holds, and where
  each line came from.
- ``extract_pages`` writes some pages' files only, and ``every_python`` runs them on every
  supported Python at once, one result per Python (``nox -s page``).
- ``pytest_plugin``: runs ``examples/``; it gives each file its check: ``scripts``
  (``python file.py``), ``isolated`` (a test module's ``:outcome:`` and ``:lines:``, console
  sessions), ``pycon``; ``lines`` finds a page's lines in a run's output; ``deadline`` fails a
  block that hangs; ``run_state`` is what the checks share; ``blocks_report`` writes what ran.
- ``sphinx``: the Sphinx extension (directive, tables, take-home bundles, search, paste box).
- ``live``: the live preview's step before each rebuild (``nox -s docs-live``): the pages
  whose blocks changed run again, and their badges say what that run found.
- ``llms``: the whole built site as one text file (``llms-full.txt``), for AI assistants.
- ``page_coverage`` and ``mutants``: the checks that a page's blocks test what they claim;
  ``flakes``: the examples run twenty times in random order.
- ``verdicts``: a check's pass kept under a digest of what it read (``nox`` run again with
  nothing changed does not run it again).

The pytest plugin and what it imports need only pytest (``tests/toolchain/test_package.py``).
"""
