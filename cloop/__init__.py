"""cloop: asyncio's event loop, Task and Future written in C.

Ways in::

    python -m cloop script.py
    asyncio.run(main(), loop_factory=cloop.new_event_loop)   # 3.12+
    cloop.run(main())
    asyncio.set_event_loop_policy(cloop.EventLoopPolicy())   # 3.11-3.15
"""
from __future__ import annotations

from ._cloop import Future, Handle, Task, TimerHandle
from ._loop import Loop, new_event_loop
from . import _compat, _policy
from ._runner import run
from ._dump import dump_tasks
from ._stats import LoopStats
from ._watch import BlockingReport, BlockingWatch, watch_blocking

__version__ = "0.1.0"

__all__: tuple[str, ...] = (
    "Loop", "new_event_loop", "run",
    "Task", "Future",
    "Handle", "TimerHandle", "LoopStats", "watch_blocking", "BlockingWatch",
    "BlockingReport", "dump_tasks", "__version__",
)

# The policy names exist while Python has policies (3.11-3.15); from 3.14,
# reading cloop.EventLoopPolicy warns as reading asyncio's policy names does
# (install() warns when called, as asyncio.set_event_loop_policy does).
if _compat.HAS_POLICIES:
    install = _policy.install
    __all__ += ("install",)
    if not _compat.PY314:
        EventLoopPolicy = _policy.EventLoopPolicy
        __all__ += ("EventLoopPolicy",)


def __getattr__(name: str) -> object:
    if name == "EventLoopPolicy" and _compat.HAS_POLICIES:
        _compat.warn_policy_deprecated("cloop.EventLoopPolicy")
        return _policy.EventLoopPolicy
    raise AttributeError(f"module 'cloop' has no attribute {name!r}")
