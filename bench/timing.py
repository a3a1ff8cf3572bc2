"""Timing helpers: repeated, interleaved runs of commands, and medians of them.

No figure is ever one run: every command runs ``repeats`` times after one warm-up
run that is not counted, and commands that are compared run in turns (A, B, A,
B, ...) so that a busy moment of the machine falls on both.

Each run is measured twice: wall time, and CPU time (user + system of the command
and the processes it waited for). Comparisons of single-process, CPU-bound commands
use CPU time, which other work on a shared machine disturbs far less.
"""

from __future__ import annotations

import os
import platform
import re
import resource
import shlex
import statistics
import subprocess
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


class BenchError(Exception):
    """A benchmarked command did not do the work it was timed for."""


def child_env(**extra: str) -> dict[str, str]:
    """The environment of timed commands: ours, with Python's default bytecode caching.

    ``PYTHONDONTWRITEBYTECODE`` would make every run recompile (and re-rewrite, for
    pytest's assertions) every module it imports, so that each figure would measure
    the compiler rather than the tool; a developer's Python writes the cache.
    """
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    env["PY_COLORS"] = "0"  # the bench reads pytest's summary lines: no colour codes in them
    env.update(extra)
    return env


@dataclass
class Command:
    """A command to time, and what its output must show for the run to count."""

    args: Sequence[str]
    cwd: Path = ROOT
    env: dict[str, str] = field(default_factory=child_env)
    expect: str | None = None  #: a regular expression the output must match
    before: Callable[[], None] | None = None  #: untimed preparation of each run
    last_output: str = ""

    def output(self) -> str:
        """Run once, untimed, and return what it printed."""
        self.run()
        return self.last_output

    def run(self) -> Sample:
        if self.before is not None:
            self.before()
        used = _children_cpu()
        start = time.perf_counter()
        done = subprocess.run(
            list(self.args),
            cwd=self.cwd,
            env=self.env,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        elapsed = Sample(time.perf_counter() - start, _children_cpu() - used)
        self.last_output = done.stdout
        if done.returncode != 0 or (self.expect and not re.search(self.expect, done.stdout)):
            tail = "\n".join(done.stdout.splitlines()[-15:])
            raise BenchError(
                f"`{shlex.join(self.args)}` in {self.cwd} exited {done.returncode}"
                + (f", expected output matching {self.expect!r}" if self.expect else "")
                + f":\n{tail}"
            )
        return elapsed


@dataclass(frozen=True)
class Sample:
    """One run: seconds of wall time and of CPU time."""

    wall: float
    cpu: float


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


Samples = dict[str, dict[str, list[float]]]  #: command -> "wall"/"cpu" -> seconds


def interleaved(commands: dict[str, Command], repeats: int) -> Samples:
    """Seconds of each run of each command: one warm-up each, then ``repeats`` turns."""
    for command in commands.values():
        command.run()
    samples: Samples = {name: {"wall": [], "cpu": []} for name in commands}
    for _ in range(repeats):
        for name, command in commands.items():
            sample = command.run()
            samples[name]["wall"].append(sample.wall)
            samples[name]["cpu"].append(sample.cpu)
    return samples


def median(values: Sequence[float]) -> float:
    return statistics.median(values)


def paired_ratio(numerators: Sequence[float], denominators: Sequence[float]) -> float:
    """The median of the ratios of runs made in the same turn."""
    return statistics.median(n / d for n, d in zip(numerators, denominators, strict=True))


def machine() -> dict[str, object]:
    """What the figures were measured on."""
    pythons = {}
    for version in ("3.10", "3.11", "3.12", "3.13", "3.14", "3.15"):
        try:
            out = subprocess.run(
                [f"python{version}", "-c", "import platform; print(platform.python_version())"],
                capture_output=True,
                text=True,
                timeout=60,
            )
            pythons[version] = out.stdout.strip() or None
        except (OSError, subprocess.TimeoutExpired):
            pythons[version] = None
    return {
        "cpus": os.cpu_count(),
        "load_average": list(os.getloadavg()),
        "platform": platform.platform(),
        "machine": platform.machine(),
        "bench_python": platform.python_version(),
        "pythons": pythons,
        "caller_had_PYTHONDONTWRITEBYTECODE": bool(os.environ.get("PYTHONDONTWRITEBYTECODE")),
        "commit": _git("rev-parse", "HEAD"),
        "dirty": bool(_git("status", "--porcelain")),
        "argv": sys.argv[1:],
    }


def _git(*args: str) -> str | None:
    try:
        out = subprocess.run(["git", *args], cwd=ROOT, capture_output=True, text=True)
    except OSError:
        return None
    return out.stdout.strip() if out.returncode == 0 else None
