"""cloop.dump_tasks(): every task of a loop and what it is waiting on."""
from __future__ import annotations

import asyncio
import sys
from asyncio import events
from typing import TYPE_CHECKING, Any, TextIO

if TYPE_CHECKING:
    from ._loop import Loop


def _frame_location(obj: Any) -> str:
    frame = (getattr(obj, "cr_frame", None) or getattr(obj, "gi_frame", None)
             or getattr(obj, "ag_frame", None))
    if frame is None:
        return "(finished)"
    return f"{frame.f_code.co_filename}:{frame.f_lineno}"


def _awaited_by(obj: Any) -> Any:
    """What a coroutine, generator or async generator is awaiting."""
    for attr in ("cr_await", "gi_yieldfrom", "ag_await"):
        if hasattr(obj, attr):
            return getattr(obj, attr)
    return None


def await_chain(coro: object, waiter: object = None,
                limit: int = 100) -> list[str]:
    """Lines describing coro and, in turn, everything it is awaiting; the
    chain ends at waiter (the future the task waits on) when one is given,
    rather than at that future's iterator."""
    lines: list[str] = []
    obj = coro
    while obj is not None and len(lines) < limit:
        name = getattr(obj, "__qualname__", None)
        if name is None:  # a future or another awaitable: the end of the chain
            lines.append(f"awaiting {waiter if waiter is not None else obj!r}")
            break
        lines.append(f"{name} at {_frame_location(obj)}")
        obj = _awaited_by(obj)
    return lines


def _state(task: asyncio.Task[Any]) -> str:
    if task.done():
        return "done"
    if task.cancelling() if hasattr(task, "cancelling") else False:
        return "cancelling"
    return "pending"


def _default_loop() -> asyncio.AbstractEventLoop | Loop | None:
    loop = events._get_running_loop()
    if loop is not None:
        return loop
    from . import _loop
    return _loop.latest_loop()


def dump_tasks(loop: asyncio.AbstractEventLoop | None = None,
               file: TextIO | None = None) -> None:
    """Print every task of loop (the running one by default) with its name,
    state and the chain of coroutines it is awaiting, like a thread dump."""
    file = sys.stderr if file is None else file
    loop = _default_loop() if loop is None else loop
    if loop is None:
        print("cloop: no event loop to dump", file=file)
        return
    tasks = sorted(asyncio.all_tasks(loop), key=lambda t: t.get_name())
    print(f"{len(tasks)} tasks on {loop!r}", file=file)
    for task in tasks:
        print(f"Task {task.get_name()!r} ({_state(task)})", file=file)
        waiter = getattr(task, "_fut_waiter", None)
        for line in await_chain(task.get_coro(), waiter):
            print(f"    {line}", file=file)
    file.flush()
