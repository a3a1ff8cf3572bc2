"""The hang guard: a block still running after the bound fails, at its page line.

One watchdog thread per run, and one signal. The plugin arms the guard when a phase
of an item (setup, call, teardown) or the collection of a generated file starts, and
disarms it when it ends; arming writes one attribute, so the thousands of fast items
cost no thread switch. When the bound passes, the watchdog sends :data:`SIGNAL` to the
main thread. Python runs the handler there even while the thread sleeps in a system
call (an idle event loop in ``epoll_wait()``, ``time.sleep()``, a lock: PEP 475), and
the handler raises :class:`DeadlinePassed` where the main thread is. Before it does,
it records where the block was: the main thread's innermost line of a page, and, with
an event loop running, the ``await`` each suspended task of the loop waits at. The
plugin reports the failure from that record, whatever became of the exception.

It signals once: a second exception could land in pytest's own reporting of the
first. An exception is not a stop, though: code may swallow it. If the item still
runs a second bound later (at least :data:`GRACE`), the watchdog stops the process,
as pytest-timeout's ``thread`` method does, with the page line and every thread's
stack on standard error.

Why not ``SIGALRM``: pytest-timeout's ``signal`` method, which a page shows
(docs/how-to/find-and-fail-hanging-tests.md), runs inside this run's isolated
pytest runs; it takes over ``SIGALRM`` and the one ``ITIMER_REAL`` timer, and on
cancelling it resets ``SIGALRM`` to its default action, which ends the process.
``SIGUSR1`` is nobody's here. Why not an asyncio timeout: scripts and sessions run
their own event loops (``asyncio.run``), and a block may hang with no loop at all.

Standard library only: it runs on every interpreter under test.
"""

from __future__ import annotations

import faulthandler
import linecache
import os
import signal
import sys
import threading
import time
from collections.abc import Callable, Iterator
from types import FrameType
from typing import NamedTuple

SIGNAL = signal.SIGUSR1 if hasattr(signal, "SIGUSR1") else None
#: The exit status of a run stopped because a block would not stop: pytest's own
#: "interrupted", since the run did not finish.
STOPPED = 2
#: The least time an interrupted item has to end before the run is stopped: pytest's
#: reporting of the interruption (an isolated run's summary, with the plugins it imports
#: then) takes a moment on a loaded machine, however small the bound.
GRACE = 5.0


class DeadlinePassed(BaseException):
    """Raised in the main thread when the bound passes: a BaseException, so that an
    ``except Exception`` in the code under test does not take it for its own error."""


class Expiry(NamedTuple):
    """What the guard saw when the bound passed (a named tuple: every run imports this
    module, and a dataclass costs its import about 0.6 ms)."""

    seconds: float
    #: ``docs/page.md:LINE (block at line N): source`` for each place the block was at
    places: list[str]


#: Resolves a file and line that Python runs to the page line a reader sees, if any.
Locate = Callable[[str, int], str | None]


class Guard:
    """Arms, watches and fires; one per run, made and closed by the plugin."""

    def __init__(self, seconds: float, locate: Locate, on_stop: Callable[[], None]) -> None:
        """Install the handler and start the watchdog (from the main thread only)."""
        main = threading.main_thread()
        if SIGNAL is None or threading.current_thread() is not main or main.ident is None:
            raise ValueError("the hang guard needs POSIX signals and the main thread")
        self.seconds = seconds
        #: how long after the bound an item that did not stop stops the run
        self.grace = max(seconds, GRACE)
        self.expiry: Expiry | None = None
        self._locate = locate
        self._on_stop = on_stop
        #: (deadline on the monotonic clock, where, what) while an item runs; one
        #: attribute, so that the watchdog never sees a deadline with another item's name
        self._armed: tuple[float, str, str] | None = None
        self._signal = SIGNAL
        self._main = main.ident
        self._old = signal.signal(self._signal, self._interrupt)
        self._stderr = os.dup(2)  # pytest captures fd 2 while tests run
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._watch, name="hang guard", daemon=True)
        self._thread.start()

    def arm(self, where: str, what: str = "block") -> None:
        """Start the bound for what runs now: a ``block`` or ``test`` at ``where``.

        Until the next ``arm``, :attr:`expiry` says whether the bound passed.
        """
        self.expiry = None
        self._armed = (time.monotonic() + self.seconds, where, what)

    def disarm(self) -> None:
        self._armed = None

    def close(self) -> None:
        self._armed = None
        self._stop.set()
        self._thread.join()
        signal.signal(self._signal, signal.SIG_DFL if self._old is None else self._old)
        os.close(self._stderr)

    def message(self, where: str, what: str = "block") -> str:
        """The failure for an item that ran past the bound (``what``: block, test)."""
        assert self.expiry is not None
        text = f"{where}: this {what} did not finish within {self.seconds:g} s"
        if self.expiry.places:
            text += ", waiting at\n" + "\n".join(f"    {p}" for p in self.expiry.places)
        return text

    # -- in the main thread ----------------------------------------------------------------

    def _interrupt(self, signum: int, frame: FrameType | None) -> None:
        __tracebackhide__ = True  # a report shows where the block was, not this handler
        armed = self._armed
        if armed is None or time.monotonic() < armed[0] or self.expiry is not None:
            return  # sent just as the item ended: nothing to interrupt
        if any(_module(f) in ("pdb", "bdb") for f in _stack(frame)):
            self._armed = None  # someone is debugging the block: never interrupt them
            return
        self.expiry = Expiry(self.seconds, self._places(frame))
        raise DeadlinePassed(f"did not finish within {self.seconds:g} s")

    def _places(self, frame: FrameType | None) -> list[str]:
        """Where the main thread is, then where each task waits, in page order."""
        running = self._innermost(_stack(frame))
        waiting = sorted(filter(None, (self._innermost(f) for f in _suspended())))
        places: list[str] = []
        for found in ([running] if running else []) + waiting:
            if found[2] not in places:
                places.append(found[2])
        return places

    def _innermost(self, frames: list[FrameType]) -> tuple[str, int, str] | None:
        """(file, line, ``page line: source``) of the innermost frame on a page."""
        for f in frames:  # innermost first
            filename, line = f.f_code.co_filename, f.f_lineno or 0  # None while tracing
            where = self._locate(filename, line)
            if where is not None:
                source = linecache.getline(filename, line).strip()
                return filename, line, f"{where}: {source}" if source else where
        return None

    # -- in the watchdog thread ------------------------------------------------------------

    def _watch(self) -> None:
        fired = None
        while not self._stop.is_set():
            armed = self._armed
            now = time.monotonic()
            if armed is None:
                # Arming does not wake this thread: a deadline set now is a bound away,
                # so waking a bound from now is never late.
                self._stop.wait(self.seconds)
            elif now < armed[0]:
                self._stop.wait(armed[0] - now)
            elif armed is not fired:  # each arm makes a new tuple
                fired = armed
                signal.pthread_kill(self._main, self._signal)
            elif now < armed[0] + self.grace:
                # a bound at most: the next item's arm must not wait out this grace
                self._stop.wait(min(armed[0] + self.grace - now, self.seconds))
            else:
                self._stop_run(*armed[1:])

    def _stop_run(self, where: str, what: str) -> None:
        text = (
            f"\n{where}: this {what} did not finish within {self.seconds:g} s, and did not "
            f"stop when interrupted: the run stops here, {self.seconds + self.grace:g} s after it "
            "started (the stacks of its threads follow)\n"
        )
        os.write(self._stderr, text.encode("utf-8", "replace"))
        faulthandler.dump_traceback(self._stderr, all_threads=True)
        self._on_stop()
        os._exit(STOPPED)


def _stack(frame: FrameType | None) -> list[FrameType]:
    """The frames of the main thread, innermost first."""
    frames = []
    while frame is not None:
        frames.append(frame)
        frame = frame.f_back
    return frames


def _module(frame: FrameType) -> object:
    return frame.f_globals.get("__name__")


def _suspended() -> Iterator[list[FrameType]]:
    """For each task of the event loop running in this thread, the frames of its
    coroutine and of the coroutines it awaits, innermost first."""
    asyncio = sys.modules.get("asyncio")
    loop = asyncio._get_running_loop() if asyncio is not None else None
    if loop is None:
        return
    assert asyncio is not None
    for task in asyncio.all_tasks(loop):
        frames: list[FrameType] = []
        awaited: object = task.get_coro()
        while awaited is not None:
            frame = _frame_of(awaited)
            if frame is None:
                break
            frames.append(frame)
            awaited = getattr(awaited, "cr_await", None) or getattr(awaited, "gi_yieldfrom", None)
        yield frames[::-1]


def _frame_of(awaitable: object) -> FrameType | None:
    for name in ("cr_frame", "gi_frame", "ag_frame"):
        frame = getattr(awaitable, name, None)
        if isinstance(frame, FrameType):
            return frame
    return None
