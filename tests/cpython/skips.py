"""Every CPython test the cloop subclasses leave out, with the reason.

Kept short and honest: a test is listed only when it asserts a CPython
internal that cloop documents as different (README "Task and Future"), pokes
BaseEventLoop's private machinery that cloop's C loop does not have
(asyncio-compat.md section 4.1), or hits a cloop bug (reason "cloop bug:
...", each one reported, never left silently).

SKIPS maps the name of a module of tests/cpython to {test: reason}. A key is
a test method name, applied to every cloop class of that module that has
it, or "Class.test_method" for one class. Each module calls check_used()
at its end, so an entry that no longer matches any test fails loudly
instead of lingering.
"""
import sys
import unittest


# The one difference cloop documents (README, "Task and Future"): its Task
# and Future are not subclasses of asyncio's, so isinstance() is false.
NOT_ASYNCIO_SUBCLASS = ("asserts isinstance(..., asyncio.Future/Task); cloop's "
                        "types are not subclasses (README: the one known "
                        "difference)")

SKIPS = {
    "test_tasks": {
        # gather() of nothing returns loop.create_future(), a cloop.Future.
        "CloopFutureGatherTests.test_constructor_empty_sequence_use_global_loop":
            NOT_ASYNCIO_SUBCLASS,
        "CloopFutureGatherTests.test_constructor_empty_sequence_use_running_loop":
            NOT_ASYNCIO_SUBCLASS,
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


# Tests that exist only on newer Pythons.
if sys.version_info >= (3, 14):
    SKIPS["test_ssl"] = {
        "test_remote_shutdown_receives_trailing_data_on_slow_socket":
            "reads _SelectorSocketTransport's _read_ready_cb and replaces the "
            "transport's _sock with a wrapper class to fake a full socket "
            "buffer: asyncio's selector transport internals, which cloop's C "
            "transport (writing to the fd itself) does not have",
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
