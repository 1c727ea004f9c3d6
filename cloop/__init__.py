"""cloop: asyncio's event loop, Task and Future written in C.

Ways in::

    python -m cloop script.py
    asyncio.set_event_loop_policy(cloop.EventLoopPolicy())
    asyncio.run(main(), loop_factory=cloop.new_event_loop)   # 3.12+
    cloop.run(main())
"""
from ._cloop import Future, Handle, Task, TimerHandle
from ._loop import Loop, new_event_loop
from ._policy import EventLoopPolicy, install
from ._runner import run
from ._dump import dump_tasks
from ._stats import LoopStats
from ._watch import BlockingReport, BlockingWatch, watch_blocking

__version__ = "0.1.0"

__all__ = (
    "Loop", "new_event_loop", "run", "install", "EventLoopPolicy",
    "Task", "Future",
    "Handle", "TimerHandle", "LoopStats", "watch_blocking", "BlockingWatch",
    "BlockingReport", "dump_tasks", "__version__",
)
