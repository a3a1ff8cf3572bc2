"""Cold and incremental Sphinx builds of one site, timed inside one Python process.

    python -m bench.sphinx_builds SITE PAGE REPEATS

``nox -s bench`` runs this in a process of its own and reads the JSON it prints. One
untimed build first pays for what every build would pay once per process (Python's start,
importing Sphinx and the extensions); then, ``REPEATS`` times, a cold build (no output, no
saved environment) and an incremental one after touching ``PAGE``. So the ratio of the two
is the work Sphinx does for one changed page against the work it does for all of them.
"""

from __future__ import annotations

import json
import os
import shutil
import sys
import time
from pathlib import Path

from sphinx.cmd.build import build_main


def main(site: Path, page: str, repeats: int) -> dict[str, dict[str, list[float]]]:
    os.chdir(site)
    out = site / "_build" / "html"
    argv = ["-q", "-W", "-n", "--keep-going", "-b", "html", "-c", ".", "docs", str(out)]

    def timed() -> tuple[float, float]:
        wall, cpu = time.perf_counter(), time.process_time()
        code = build_main(argv)
        if code != 0:
            raise SystemExit(f"sphinx-build {' '.join(argv)} exited {code}")
        return time.perf_counter() - wall, time.process_time() - cpu

    samples: dict[str, dict[str, list[float]]] = {
        "cold": {"wall": [], "cpu": []},
        "incremental": {"wall": [], "cpu": []},
    }
    shutil.rmtree(out, ignore_errors=True)
    timed()  # the warm-up
    for _ in range(repeats):
        shutil.rmtree(out, ignore_errors=True)
        for kind in ("cold", "incremental"):
            if kind == "incremental":
                (site / page).touch()
            wall, cpu = timed()
            samples[kind]["wall"].append(wall)
            samples[kind]["cpu"].append(cpu)
    return samples


if __name__ == "__main__":
    site, page, repeats = Path(sys.argv[1]), sys.argv[2], int(sys.argv[3])
    print(json.dumps(main(site, page, repeats)))
