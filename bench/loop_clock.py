"""pytest plugin: how much asyncio loop time the examples cover, against wall time.

Loaded with ``-p bench.loop_clock --loop-clock-report=PATH``. Every
turn of every event loop (pytest-asyncio's runners, ``asyncio.run`` in a page's
script, the ``python -m asyncio`` sessions, the isolated pytest runs) is measured
twice: by the loop's own clock (``loop.time()``, which a virtual clock
advances without waiting) and by ``time.perf_counter()``, and its CPU time is
summed (``time.process_time()``). The loop's selector is timed too: the time it
blocks with a deadline is time the suite spends waiting. CPU time plus waiting is
the loops' own time: another process on the machine stretches their wall time, not
that.

The report (JSON) gives the totals and the tests with the most loop time.
"""

from __future__ import annotations

import asyncio
import json
import time
from pathlib import Path

import pytest

_TOTALS = {"loop": 0.0, "wall": 0.0, "cpu": 0.0, "waiting": 0.0, "runs": 0}
_PER_TEST: dict[str, dict[str, float]] = {}
_ORIGINAL = asyncio.BaseEventLoop.run_until_complete
_ORIGINAL_RUN_ONCE = asyncio.BaseEventLoop._run_once  # type: ignore[attr-defined]


def _measured_run_until_complete(self, future):
    _watch_selector(self)
    _TOTALS["runs"] += 1
    return _ORIGINAL(self, future)


def _measured_run_once(self):
    """One turn of the loop, by its clock and by the wall's.

    A virtual clock (aiotools' VirtualClock, say) replaces ``loop.time`` for a while,
    from inside a turn; a turn during which the clock itself was swapped is not
    counted, since its two readings come from different clocks.
    """
    clock = self.__dict__.get("time")
    loop_start, wall_start, cpu_start = self.time(), time.perf_counter(), time.process_time()
    try:
        return _ORIGINAL_RUN_ONCE(self)
    finally:
        if self.__dict__.get("time") is clock:
            _TOTALS["loop"] += self.time() - loop_start
            _TOTALS["wall"] += time.perf_counter() - wall_start
            _TOTALS["cpu"] += time.process_time() - cpu_start


def _watch_selector(loop: asyncio.AbstractEventLoop) -> None:
    """Time the selector's blocking waits (a timeout of None or > 0)."""
    selector = getattr(loop, "_selector", None)
    if selector is None or getattr(selector, "_bench_watched", False):
        return
    select = selector.select

    def timed_select(timeout=None):
        if timeout == 0:
            return select(timeout)
        start = time.perf_counter()
        try:
            return select(timeout)
        finally:
            _TOTALS["waiting"] += time.perf_counter() - start

    selector.select = timed_select
    selector._bench_watched = True


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption("--loop-clock-report", metavar="PATH", help="write loop vs wall time here")


def pytest_configure(config: pytest.Config) -> None:
    asyncio.BaseEventLoop.run_until_complete = _measured_run_until_complete
    asyncio.BaseEventLoop._run_once = _measured_run_once  # type: ignore[attr-defined]
    config.stash[_START] = time.perf_counter()


def pytest_unconfigure(config: pytest.Config) -> None:
    asyncio.BaseEventLoop.run_until_complete = _ORIGINAL
    asyncio.BaseEventLoop._run_once = _ORIGINAL_RUN_ONCE  # type: ignore[attr-defined]


_START = pytest.StashKey[float]()


@pytest.hookimpl(wrapper=True)
def pytest_runtest_protocol(item: pytest.Item, nextitem):
    before = dict(_TOTALS)
    try:
        return (yield)
    finally:
        _PER_TEST[item.nodeid] = {
            k: _TOTALS[k] - before[k] for k in ("loop", "wall", "cpu", "waiting")
        }


def pytest_sessionfinish(session: pytest.Session) -> None:
    target = session.config.getoption("--loop-clock-report")
    if not target:
        return
    top = sorted(_PER_TEST.items(), key=lambda kv: kv[1]["loop"], reverse=True)[:5]
    data = {
        "session_wall": time.perf_counter() - session.config.stash[_START],
        "loop_time": _TOTALS["loop"],
        "wall_in_loops": _TOTALS["wall"],
        "cpu_in_loops": _TOTALS["cpu"],
        "waiting": _TOTALS["waiting"],
        "loop_runs": _TOTALS["runs"],
        "tests": len(_PER_TEST),
        "most_loop_time": [{"test": k, **v} for k, v in top],
    }
    Path(target).write_text(json.dumps(data, indent=1) + "\n", encoding="utf-8")
