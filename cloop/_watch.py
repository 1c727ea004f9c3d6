"""cloop.watch_blocking(): notice a loop stuck in one callback, and say why.

The C loop stores, for each ready entry it runs, the entry and a running
count of entries started (one store each). A watchdog thread samples that
pair: if the same entry is still running after `threshold` seconds, it
reports the culprit (the Task, its name and coroutine, or the callback) and
the stack of the loop's thread at that moment, while the loop is still
blocked. The sampling needs the GIL, which a blocked loop thread releases at
least every sys.getswitchinterval() while running Python code, and always
while sleeping or doing I/O.
"""
from __future__ import annotations

import dataclasses
import logging
import sys
import threading
import time
import traceback
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from ._loop import Loop

logger = logging.getLogger("cloop")


@dataclasses.dataclass
class BlockingReport:
    """One blocked callback, as seen by the watchdog."""

    loop: Loop
    blocked_for: float  # seconds, at least
    task: Any           # the Task being stepped, or None
    task_name: str | None
    coro: str | None    # the coroutine's qualified name
    callback: str       # repr of the entry that is running
    stack: list[str]    # formatted lines of the loop thread's stack

    def format(self) -> str:
        what = (f"task {self.task_name!r} ({self.coro})" if self.task is not None
                else f"callback {self.callback}")
        return (f"Event loop blocked for {self.blocked_for:.3f} s in {what}\n"
                "Stack of the loop thread (most recent call last):\n"
                + "".join(self.stack))


def _task_of(entry: object) -> Any:
    """The Task an entry steps: cloop's Task is the entry itself; asyncio's
    Task is the __self__ of its step callback."""
    if hasattr(entry, "get_coro") and hasattr(entry, "get_name"):
        return entry
    owner = getattr(getattr(entry, "_callback", None), "__self__", None)
    if hasattr(owner, "get_coro") and hasattr(owner, "get_name"):
        return owner
    return None


def _coro_name(task: Any) -> str:
    coro = task.get_coro()
    return getattr(coro, "__qualname__", None) or repr(coro)


def _loop_thread_stack(loop: Loop) -> list[str]:
    frame = sys._current_frames().get(loop._thread_id)
    return traceback.format_stack(frame) if frame is not None else []


def _report(loop: Loop, entry: object, blocked_for: float) -> BlockingReport:
    task = _task_of(entry)
    try:
        callback = repr(entry)
    except Exception as exc:  # a broken __repr__ must not kill the watchdog
        callback = f"<unrepresentable {type(entry).__name__}: {exc!r}>"
    return BlockingReport(
        loop=loop, blocked_for=blocked_for, task=task,
        task_name=task.get_name() if task is not None else None,
        coro=_coro_name(task) if task is not None else None,
        callback=callback, stack=_loop_thread_stack(loop))


class BlockingWatch:
    """A running watchdog; stop() it (or use it as a context manager)."""

    def __init__(self, loop: Loop, threshold: float = 0.1,
                 callback: Callable[[BlockingReport], object] | None = None,
                 ) -> None:
        if threshold <= 0:
            raise ValueError(f"threshold must be positive, got {threshold!r}")
        if not hasattr(loop, "_blocking_probe"):
            raise TypeError(f"watch_blocking needs a cloop loop, got {loop!r}")
        self.loop = loop
        self.threshold = threshold
        self.callback = callback
        self._stopped = threading.Event()
        self._thread = threading.Thread(
            target=self._watch, name="cloop-blocking-watch", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        """Stop watching and wait for the watchdog thread to end."""
        self._stopped.set()
        if self._thread is not threading.current_thread():
            self._thread.join()

    def __enter__(self) -> BlockingWatch:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    def _deliver(self, report: BlockingReport) -> None:
        if self.callback is not None:
            self.callback(report)
        else:
            logger.warning("%s", report.format())

    def _watch(self) -> None:
        interval = max(self.threshold / 4, 0.001)
        seen_seq: int | None = None
        seen_at = 0.0
        reported_seq: int | None = None
        while not self._stopped.wait(interval):
            if self.loop.is_closed():
                return
            seq, entry = self.loop._blocking_probe()
            now = time.monotonic()
            if entry is None or seq != seen_seq:
                seen_seq, seen_at = seq, now
                continue
            if seq != reported_seq and now - seen_at >= self.threshold:
                reported_seq = seq
                self._deliver(_report(self.loop, entry, now - seen_at))


def watch_blocking(loop: Loop, threshold: float = 0.1,
                   callback: Callable[[BlockingReport], object] | None = None,
                   ) -> BlockingWatch:
    """Watch loop from a thread; report any callback running longer than
    threshold seconds, while it still runs, to callback(report) or, without
    one, to the 'cloop' logger. Returns a BlockingWatch to stop()."""
    return BlockingWatch(loop, threshold, callback)
