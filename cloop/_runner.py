"""cloop.run(): asyncio.run on a cloop loop."""
from __future__ import annotations

import asyncio
from asyncio import events
from collections.abc import Coroutine
from typing import Any, TypeVar

from ._loop import new_event_loop

_T = TypeVar("_T")


def run(main: Coroutine[Any, Any, _T], *, debug: bool | None = None) -> _T:
    """Run the coroutine main on a new cloop loop and return its result.

    Like asyncio.run(): the loop is created, main runs as a Task, the
    remaining tasks are cancelled, async generators and the default executor
    are shut down and the loop is closed, all by asyncio.Runner.
    """
    # As asyncio.run(): refuse before a loop is made, so none is left over.
    if events._get_running_loop() is not None:
        raise RuntimeError(
            "cloop.run() cannot be called from a running event loop")
    with asyncio.Runner(debug=debug, loop_factory=new_event_loop) as runner:
        return runner.run(main)
