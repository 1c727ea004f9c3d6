"""Plumbing shared by the modules of tests/cpython.

* ``test_asyncio``: CPython's ``test.test_asyncio`` package of the running
  interpreter; a clear ImportError (never a skip) when it is missing.
* ``CloopCase``: the mixin every adapted class puts first. It arms a
  per-test watchdog (a broken Task or Future usually hangs rather than
  fails) and applies the skip list of skips.py.
* ``CloopPolicyCase``: cloop's policy for the duration of each test, for
  classes that make their loop with ``asyncio.new_event_loop()``.
* ``CloopIsolatedAsyncio``: runs an ``IsolatedAsyncioTestCase`` on a cloop
  loop (the same policy; see its docstring).
"""
import asyncio
import faulthandler
import os
import signal
import sys
import sysconfig

import cloop

from . import skips


def _import_test_asyncio():
    try:
        import test.test_asyncio
        from test.test_asyncio import utils
    except ImportError as exc:
        where = os.path.join(sysconfig.get_path("stdlib"), "test", "test_asyncio")
        raise ImportError(
            f"CPython's test package test.test_asyncio is missing for "
            f"{sys.executable} (expected in {where}): these tests run "
            f"CPython's own asyncio tests against cloop and need it; install "
            f"the interpreter with its test suite (a pyenv build has it)"
        ) from exc
    return test.test_asyncio, utils


test_asyncio, test_utils = _import_test_asyncio()


# Seconds a single test may take before the watchdog interrupts it (an
# exception in the main thread), and before a hard stop: faulthandler dumps
# every thread's stack and exits the process, for a hang the exception
# cannot break (a test that swallows it, a loop stuck outside Python code).
WATCHDOG_SECONDS = int(os.environ.get("CLOOP_CPYTHON_TEST_TIMEOUT", "30"))
HARD_STOP_SECONDS = WATCHDOG_SECONDS + 30


class WatchdogTimeout(SystemExit):
    """Raised in the main thread when a test runs past WATCHDOG_SECONDS.

    A SystemExit, so that an event loop does not hand it to its exception
    handler and go on (asyncio and cloop propagate SystemExit out of
    run_until_complete), while unittest still records it as the test's
    error and runs the next test.
    """


def _on_alarm(signum, frame):
    raise WatchdogTimeout(
        f"test still running after {WATCHDOG_SECONDS}s (watchdog); "
        f"stack of the main thread when it fired is in the traceback")


# The policy setter without 3.14's DeprecationWarning (CPython's own 3.14
# tests use the private name too).
set_event_loop_policy = getattr(asyncio.events, "_set_event_loop_policy",
                                asyncio.set_event_loop_policy)


def cloop_policy():
    """A new cloop policy, without the DeprecationWarning that reading
    cloop.EventLoopPolicy gives on 3.14+."""
    from cloop import _policy
    return _policy.EventLoopPolicy()


def tearDownModule():
    # As CPython's test_asyncio modules do.
    set_event_loop_policy(None)


class CloopCase:
    """First base of every adapted class: watchdog and skip list.

    ``skips_module`` names the entry of skips.SKIPS to apply; the skip list
    is applied when the class is defined (__init_subclass__), so the
    reasons show in unittest's output as ordinary skips.
    """

    skips_module = None

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        if cls.skips_module is not None:
            skips.apply(cls, cls.skips_module)

    def run(self, result=None):
        # (The few CPython tests that use SIGALRM themselves, through
        # loop.add_signal_handler and setitimer, replace the alarm for
        # their duration; the hard stop still covers them.)
        previous = signal.signal(signal.SIGALRM, _on_alarm)
        signal.alarm(WATCHDOG_SECONDS)
        faulthandler.dump_traceback_later(HARD_STOP_SECONDS, exit=True)
        try:
            return super().run(result)
        finally:
            signal.alarm(0)
            faulthandler.cancel_dump_traceback_later()
            signal.signal(signal.SIGALRM, previous)


# asyncio's own loop class (3.13+), which CPython's tests also name directly
# (asyncio.run(..., loop_factory=asyncio.EventLoop), 3.14's TaskGroup tests).
STOCK_EVENT_LOOP = getattr(asyncio, "EventLoop", None)


class CloopPolicyCase(CloopCase):
    """cloop's event loop policy installed for the whole test (setUp and
    tearDown included): a class whose setUp builds its loop with
    asyncio.new_event_loop() gets a cloop loop, and so does any loop the
    test makes or asks for that way (asyncio.get_event_loop() included).
    asyncio.EventLoop, which tests also name as a loop_factory, is cloop's
    Loop for the test too."""

    def run(self, result=None):
        saved = asyncio.events._event_loop_policy
        set_event_loop_policy(cloop_policy())
        if STOCK_EVENT_LOOP is not None:
            asyncio.EventLoop = cloop.Loop
        try:
            return super().run(result)
        finally:
            set_event_loop_policy(saved)
            if STOCK_EVENT_LOOP is not None:
                asyncio.EventLoop = STOCK_EVENT_LOOP

    def test_zz_cloop_harness_runs_on_cloop(self):
        # Not CPython's: checks that the policy took effect.
        self.assertIsInstance(self.loop, cloop.Loop)


class CloopIsolatedAsyncio(CloopPolicyCase):
    """An IsolatedAsyncioTestCase on a cloop loop.

    Its asyncio.Runner is built as in CPython's own runs: with no
    loop_factory it makes its loop with asyncio.new_event_loop(), a cloop
    loop under the policy, and sets it as the current loop, exactly as stock
    asyncio does. A CPython class that names asyncio.EventLoop as its
    loop_factory (3.14's TestTaskGroup) gets cloop.Loop instead; a factory
    function that calls asyncio.EventLoop() gets cloop's through the patch
    CloopPolicyCase makes.
    """

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        if (STOCK_EVENT_LOOP is not None
                and getattr(cls, "loop_factory", None) is STOCK_EVENT_LOOP):
            cls.loop_factory = cloop.Loop

    async def test_zz_cloop_harness_runs_on_cloop(self):
        # Not CPython's: checks that the policy took effect.
        self.assertIsInstance(asyncio.get_running_loop(), cloop.Loop)
        self.assertIs(type(asyncio.current_task()), cloop.Task)
        self.assertIs(type(asyncio.get_running_loop().create_future()),
                      cloop.Future)
