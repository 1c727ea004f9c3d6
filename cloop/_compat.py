"""Every Python-level difference between the supported CPython versions.

The C core keeps its own version switches in csrc/compat.h; this module is
the only Python file that looks at sys.version_info.
"""
import asyncio
import collections.abc
import functools
import inspect
import sys
import types
from asyncio import base_events, coroutines, events, tasks

PY312 = sys.version_info >= (3, 12)
PY313 = sys.version_info >= (3, 13)
PY314 = sys.version_info >= (3, 14)

# The policy class cloop's policy builds on: asyncio's default Unix policy
# (so set_event_loop accepts any loop and, before 3.14, the child-watcher
# API keeps working). 3.14 renamed it and warns on the public name.
if PY314:
    from asyncio import unix_events as _unix_events

    DefaultPolicyBase = _unix_events._DefaultEventLoopPolicy
    set_event_loop_policy = events._set_event_loop_policy
else:
    DefaultPolicyBase = asyncio.DefaultEventLoopPolicy
    set_event_loop_policy = asyncio.set_event_loop_policy


def run_forever(loop):
    """BaseEventLoop.run_forever's structure, per version.

    3.13 moved set-up and clean-up into _run_forever_setup/_cleanup and runs
    the set-up inside the try (so a refused nested run also cleans up);
    3.11 and 3.12 set up before the try.
    """
    if PY313:
        try:
            loop._run_forever_setup()
            loop._run()
        finally:
            loop._run_forever_cleanup()
    else:
        loop._run_forever_setup()
        try:
            loop._run()
        finally:
            loop._run_forever_cleanup()


def _legacy_coroutine(func):
    """asyncio.coroutine as it was before 3.11: marks a generator function
    as a generator-based coroutine (``yield from`` style), and wraps a plain
    function so that awaitables it returns are awaited."""
    if inspect.iscoroutinefunction(func):
        return func
    if inspect.isgeneratorfunction(func):
        coro = func
    else:
        @functools.wraps(func)
        def coro(*args, **kwargs):
            res = func(*args, **kwargs)
            if inspect.isgenerator(res) or asyncio.isfuture(res):
                res = yield from res
            elif isinstance(res, collections.abc.Awaitable):
                res = yield from res.__await__()
            return res
    wrapper = types.coroutine(coro)
    wrapper._is_coroutine = getattr(coroutines, "_is_coroutine", None)
    return wrapper


def restore_asyncio_coroutine():
    """Bring back asyncio.coroutine (removed in 3.11) for legacy code."""
    if not hasattr(asyncio, "coroutine"):
        asyncio.coroutine = _legacy_coroutine


format_handle = base_events._format_handle


def run_task_factory(loop, factory, coro, name, context, eager_start):
    """BaseEventLoop.create_task's task-factory branch, per version.

    3.11 and 3.12 call factory(loop, coro) (context= only when given), then
    tasks._set_task_name(task, name), which calls set_name only for a
    name; 3.13 calls task.set_name(name) whatever the name. eager_start,
    which asyncio's create_task does not take before 3.14, is passed on to
    the factory when given (3.12+).
    """
    kwargs = {}
    if context is not None:
        kwargs["context"] = context
    if eager_start is not None:
        kwargs["eager_start"] = eager_start
    task = factory(loop, coro, **kwargs)
    if PY313:
        task.set_name(name)
    else:
        tasks._set_task_name(task, name)
    return task
