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
from asyncio import base_events, coroutines, events

PY312 = sys.version_info >= (3, 12)
PY313 = sys.version_info >= (3, 13)
PY314 = sys.version_info >= (3, 14)
PY315 = sys.version_info >= (3, 15)

# -- event loop policies --------------------------------------------------
# 3.14 deprecates the policy system (the public names warn) and 3.16
# removes it. cloop's policy builds on asyncio's default Unix policy (so
# set_event_loop accepts any loop and, before 3.14, the child-watcher API
# keeps working); on 3.14 and 3.15 through its private name, which does not
# warn. HAS_POLICIES is false where the system is gone.
if PY314:
    from asyncio import unix_events as _unix_events

    DefaultPolicyBase = getattr(_unix_events, "_DefaultEventLoopPolicy", None)
    _set_policy = getattr(events, "_set_event_loop_policy", None)
else:
    DefaultPolicyBase = asyncio.DefaultEventLoopPolicy
    _set_policy = asyncio.set_event_loop_policy
HAS_POLICIES = DefaultPolicyBase is not None and _set_policy is not None


def set_event_loop_policy(policy):
    """asyncio.set_event_loop_policy without its 3.14 DeprecationWarning."""
    _set_policy(policy)


def warn_policy_deprecated(name, stacklevel=3):
    """The DeprecationWarning asyncio gives for its own policy names (3.14+),
    for cloop's (`name`); nothing before 3.14."""
    if not PY314:
        return
    import warnings
    warnings.warn(
        f"{name!r} is deprecated, as asyncio's event loop policies are, and "
        f"is gone on Python 3.16: use asyncio.run(main, "
        f"loop_factory=cloop.new_event_loop), asyncio.Runner(loop_factory="
        f"cloop.new_event_loop) or cloop.run(main)",
        DeprecationWarning, stacklevel=stacklevel)


def make_asyncio_default(policy_factory, loop_factory):
    """Make asyncio's own loop creation return cloop loops, for
    `python -m cloop`, whose script's asyncio.run() and new_event_loop()
    calls have no loop_factory to pass: with the policy while Python has one
    (no warning: the private setter on 3.14 and 3.15); where the policy
    system is gone (3.16), by rebinding asyncio's new_event_loop, which
    asyncio.run and asyncio.Runner call when given no loop_factory."""
    if HAS_POLICIES:
        set_event_loop_policy(policy_factory())
        return
    events.new_event_loop = loop_factory
    asyncio.new_event_loop = loop_factory


# asyncio threads context= through its transports, servers and
# _accept_connection2 (3.15): the keyword arguments that pass a context to
# one of asyncio's own functions there, none before.
TRANSPORT_CONTEXT = PY315


def transport_context(context):
    return {"context": context} if TRANSPORT_CONTEXT else {}


# Child watchers (3.11-3.13; removed in 3.14): asyncio's Unix loop hands
# every child to the policy's watcher.
HAS_CHILD_WATCHERS = not PY314

if HAS_CHILD_WATCHERS:
    from asyncio import unix_events as _unix_events

    # asyncio's watchers that watch each child on its own, by a thread or a
    # pidfd, as cloop does itself: with one of them (asyncio's default,
    # made by any get_child_watcher() call) cloop's own watching is the same.
    _PER_CHILD_WATCHERS = (_unix_events.ThreadedChildWatcher,
                           _unix_events.PidfdChildWatcher)


def child_watcher_to_honour():
    """The child watcher of asyncio's policy when it is not one of the
    per-child kinds (a Safe/Fast/MultiLoopChildWatcher, which reaps every
    child on SIGCHLD; the user's own), else None: none is held, or watchers
    are gone (3.14+). Never makes one."""
    if not HAS_CHILD_WATCHERS:
        return None
    watcher = getattr(events._event_loop_policy, "_watcher", None)
    if watcher is None or type(watcher) in _PER_CHILD_WATCHERS:
        return None
    return watcher


# asyncio's own check for coroutine functions (it also accepts functions
# marked by the legacy asyncio.coroutine); 3.14 deprecates the public name
# and keeps the check under a private one.
iscoroutinefunction = getattr(coroutines, "_iscoroutinefunction",
                              coroutines.iscoroutinefunction)


def run_forever(loop):
    """BaseEventLoop.run_forever's structure: set up, then run and clean up.

    A refused run (closed, or another loop running) raises before anything
    is touched. Python 3.13.0-3.13.2 ran the set-up inside the try, so a
    refused nested run cleared the outer loop's running loop (and, on 3.14,
    left its task entered for good); 3.13.3 and 3.14 fixed it
    (gh-130145), and cloop keeps the fixed order on every version.
    """
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
