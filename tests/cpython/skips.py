"""Every CPython test the cloop subclasses leave out, with the reason.

Kept short and honest: a test is listed only when it pokes
BaseEventLoop's private machinery that cloop's C loop does not have
(asyncio-compat.md section 4.1), relies on cloop.Task being a subclass of
cloop.Future (it is a subclass of asyncio's Task instead), or hits a cloop
bug (reason "cloop bug:
...", each one reported, never left silently).

SKIPS maps the name of a module of tests/cpython to {test: reason}. A key is
a test method name, applied to every cloop class of that module that has
it, or "Class.test_method" for one class. Each module calls check_used()
at its end, so an entry that no longer matches any test fails loudly
instead of lingering.
"""
import sys
import unittest


# cloop.Task subclasses asyncio's C Task, not cloop.Future (csrc/
# asyncio_base.h: the two layouts cannot be combined).
FUTURE_METHOD_ON_TASK = (
    "calls the Future class's own set_result/set_exception on a Task "
    "(Future.set_result(task, ...)) to bypass Task's: cloop.Future's methods "
    "refuse a cloop.Task with TypeError, since cloop.Task is an asyncio.Task "
    "and not a cloop.Future; a cloop Task cannot be completed that way")

SKIPS = {
    "test_tasks": {
        "CloopTask_CloopFuture_Tests.test_set_result_causes_invalid_state":
            FUTURE_METHOD_ON_TASK,
        "CloopTask_CloopFuture_Tests.test_set_exception_causes_invalid_state":
            FUTURE_METHOD_ON_TASK,
    },
    "test_events": {
        # (asyncio-compat.md section 4.1 also lists test_prompt_cancellation
        # and test_connect_accepted_socket_ssl_timeout_for_plain_socket:
        # both pass, cloop.Loop has _start_serving/_stop_serving.)
        "test_timeout_rounding":
            "counts calls to loop._run_once, BaseEventLoop's Python iteration "
            "(cloop's run loop is C and never calls it), and reads "
            "loop._selector, which cloop has not",
    },
}


# (Also one of whole.py's KNOWN_HANGS: on cloop the test's server thread
# then waits forever.)
SELECTOR_TRANSPORT_FAKE = (
    "reads _SelectorSocketTransport's _read_ready_cb and replaces the "
    "transport's _sock with a wrapper class to fake a full socket buffer: "
    "asyncio's selector transport internals, which cloop's C transport "
    "(writing to the fd itself) does not have")

# Tests that exist only on newer Pythons.
if sys.version_info >= (3, 14):
    SKIPS["test_ssl"] = {
        "test_remote_shutdown_receives_trailing_data_on_slow_socket":
            SELECTOR_TRANSPORT_FAKE,
    }


_used = {}


def apply(cls, module):
    """Replace the listed tests of cls by skipped ones (with the reason)."""
    used = _used.setdefault(module, set())
    for key, reason in SKIPS.get(module, {}).items():
        owner, _, name = key.rpartition(".")
        if owner and owner != cls.__name__:
            continue
        func = getattr(cls, name, None)
        if func is None:
            continue
        setattr(cls, name, unittest.skip(reason)(func))
        used.add(key)


def check_used(module):
    """Raise if an entry of SKIPS[module] matched no test."""
    stale = sorted(set(SKIPS.get(module, {})) - _used.get(module, set()))
    if stale:
        raise AssertionError(
            f"tests/cpython/skips.py: entries for {module} match no test "
            f"on Python {sys.version_info[:2]}: {stale}")
