"""CPython's whole test_asyncio with cloop as asyncio's default loop.

    python -m tests.cpython.whole {cloop,stock} REPORT [TEST ...]

Runs the interpreter's ``test.test_asyncio`` (or the named tests: dotted
ids as unittest prints them) unchanged, every class of it, the ones that
test asyncio's own C and Python Task and Future included. With ``cloop``,
cloop is asyncio's default for the whole run: the default policy (which
CPython's modules restore in their tearDownModule) makes cloop loops, so
``asyncio.new_event_loop()``, ``asyncio.run()`` and ``asyncio.Runner``
inside the tests get one, and so does ``asyncio.EventLoop`` (3.13+). Loops
a test builds by class name (``asyncio.SelectorEventLoop``, CPython's
virtual-time TestLoop) stay asyncio's: those tests test asyncio's loop.
``stock`` runs the same tests on stock asyncio, for comparison.

Each test has the watchdog of support.py (a hang is reported as that
test's error and the run goes on); a hang the watchdog cannot break ends
the run, with the test's id in the report. REPORT receives one JSON object:
the ids of the tests run, the skipped count, the ids of those that failed
or erred with the last lines of their tracebacks, "hung" (null, or the
test that ended the run) and this Python's KNOWN_FAILURES. KNOWN_HANGS lists the tests that are not run on
cloop for that reason; KNOWN_FAILURES those that fail on cloop by design.

tests/test_cpython_whole.py runs this and holds the result to stock asyncio.
"""
import asyncio
import faulthandler
import json
import os
import signal
import sys
import threading
import time
import unittest

from . import skips, support

# How much of a failure's traceback the report keeps.
TRACEBACK_CHARS = 3000

# A test still running this long after support.py's hard stop holds the
# GIL (the monitor thread could not end the run): faulthandler ends it.
LAST_RESORT_SECONDS = support.HARD_STOP_SECONDS + 30

# The tests of the whole run that fail on cloop and pass on stock asyncio
# by design, with the reason: they test asyncio's own selector loop through
# its private members, asyncio's pure-Python Task on the loop, or the
# harness itself. {test id: (first Python that has it, reason)}; an id
# ending in "." stands for every test of that class (some of them pass by
# chance). tests/test_cpython_whole.py fails on an entry that matches no
# test, and on an exact entry whose test passes (stale), as on any other
# cloop-only failure.
_SELECTOR = ("reads loop._selector (asyncio's selectors.Selector), which "
             "cloop's C loop does not have; the borrowed code under test "
             "passes tests/test_net_sock.py on both loops")
_WATCHER = ("reads loop._watcher (3.14+: the child watcher object of "
            "asyncio's Unix loop); cloop watches its children itself "
            "(pidfd, else a thread that leaves the reaping to the loop, "
            "tests/test_process.py)")
_PY_TASK = ("replaces asyncio.Task, current_task and all_tasks by asyncio's "
            "pure-Python ones for the test and expects the loop's "
            "create_task() to make a _PyTask; a cloop loop makes cloop.Task "
            "(as uvloop makes the Task class it imported), registered where "
            "the C functions look")
_T = "test.test_asyncio."
KNOWN_FAILURES = {
    _T + "test_runners.RunTests.test_loop_factory_default_event_loop": (
        (3, 13), "asserts that asyncio.run()'s default loop is asyncio's "
                 "_UnixSelectorEventLoop, which the harness replaces"),
    **{_T + "test_unix_events.SelectorEventLoopUnixSockSendfileTests."
       "test_sock_sendfile_" + name: ((3, 11), _SELECTOR)
       for name in ("blocking_error", "cancel1", "cancel2", "exception",
                    "os_error_first_call", "os_error_next_call")},
    _T + "test_subprocess.SubprocessPidfdWatcherTests."
         "test_watcher_implementation": ((3, 14), _WATCHER),
    _T + "test_subprocess.SubprocessThreadedWatcherTests."
         "test_watcher_implementation": ((3, 14), _WATCHER),
    _T + "test_subprocess.SubprocessThreadedWatcherTests."
         "test_pid_not_reaped_before_exit_published": ((3, 14), _WATCHER),
    _T + "test_graph.TestCallStackPy.": ((3, 14), _PY_TASK),
    **{_T + f"test_free_threading.{cls}."
       "test_all_tasks_from_other_thread_includes_eager_tasks":
       ((3, 14), _PY_TASK)
       for cls in ("TestPyFreeThreading", "TestEagerPyFreeThreading")},
}

# Tests not run on cloop because they hang there (the watchdog cannot
# break them): {test id: (first Python that has it, reason)}.
KNOWN_HANGS = {
    _T + "test_ssl.TestSSL."
         "test_remote_shutdown_receives_trailing_data_on_slow_socket": (
        (3, 14), skips.SELECTOR_TRANSPORT_FAKE),
}


def known(table):
    """The entries of KNOWN_FAILURES or KNOWN_HANGS for this Python."""
    return {test: reason for test, (since, reason) in table.items()
            if sys.version_info >= since}


def make_cloop_the_default():
    """Point asyncio's default policy and its EventLoop name at cloop.

    asyncio builds its default policy from the class it finds at the first
    get_event_loop_policy() after set_event_loop_policy(None): the package's
    DefaultEventLoopPolicy until 3.13, unix_events._DefaultEventLoopPolicy
    from 3.14 (where the public name is a deprecated alias).
    """
    import cloop
    policy_class = type(support.cloop_policy())
    from asyncio import unix_events
    if hasattr(unix_events, "_DefaultEventLoopPolicy"):
        unix_events._DefaultEventLoopPolicy = policy_class
    else:
        asyncio.DefaultEventLoopPolicy = policy_class
    if support.STOCK_EVENT_LOOP is not None:
        asyncio.EventLoop = cloop.Loop
    support.set_event_loop_policy(None)
    loop = asyncio.new_event_loop()
    try:
        if not isinstance(loop, cloop.Loop):
            raise RuntimeError(f"asyncio.new_event_loop() still makes "
                               f"{type(loop)!r}: the harness did not take")
    finally:
        loop.close()


def skip_tests(suite, reasons):
    """Replace the tests of suite named in reasons ({id: reason}) by
    skipped ones, in place."""
    for test in suite:
        if isinstance(test, unittest.TestSuite):
            skip_tests(test, reasons)
        elif test.id() in reasons:
            method = getattr(test, test._testMethodName)
            setattr(test, test._testMethodName,
                    unittest.skip(reasons[test.id()])(method))


class WatchedResult(unittest.TextTestResult):
    """A text result that arms support.py's watchdog around each test,
    records what ran and what failed, and writes the report, also when a
    test hangs past the hard stop (from a monitor thread: the main thread
    is then stuck)."""

    report_path = None

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.ids = []
        self.failed = {}
        self.hung = None
        self._current = None
        self._started = None
        self._lock = threading.Lock()
        threading.Thread(target=self._monitor, daemon=True,
                         name="whole-run-monitor").start()

    def startTest(self, test):
        signal.signal(signal.SIGALRM, support._on_alarm)
        signal.alarm(support.WATCHDOG_SECONDS)
        # The last resort, for a hang that holds the GIL.
        faulthandler.dump_traceback_later(LAST_RESORT_SECONDS, exit=True)
        with self._lock:
            self._current, self._started = test.id(), time.monotonic()
        self.ids.append(test.id())
        super().startTest(test)

    def stopTest(self, test):
        signal.alarm(0)
        faulthandler.cancel_dump_traceback_later()
        with self._lock:
            self._current = None
        super().stopTest(test)

    def _monitor(self):
        while True:
            time.sleep(1)
            with self._lock:
                stuck = (self._current is not None and time.monotonic()
                         - self._started > support.HARD_STOP_SECONDS)
                if stuck:
                    self.hung = self._current
            if stuck:
                faulthandler.dump_traceback(all_threads=True)
                self.write_report()
                os._exit(3)

    def write_report(self):
        with open(self.report_path, "w") as f:
            json.dump({"ids": self.ids, "skipped": len(self.skipped),
                       "failed": self.failed, "hung": self.hung,
                       "known_failures": known(KNOWN_FAILURES)}, f)

    def _record(self, test, err):
        self.failed[test.id()] = self._exc_info_to_string(err, test)[
            -TRACEBACK_CHARS:]

    def addError(self, test, err):
        super().addError(test, err)
        self._record(test, err)

    def addFailure(self, test, err):
        super().addFailure(test, err)
        self._record(test, err)

    def addSubTest(self, test, subtest, err):
        super().addSubTest(test, subtest, err)
        if err is not None:
            self._record(test, err)

    def addUnexpectedSuccess(self, test):
        super().addUnexpectedSuccess(test)
        self.failed[test.id()] = "unexpected success"


def main(argv):
    loop, report, names = argv[0], argv[1], argv[2:]
    if loop not in ("cloop", "stock"):
        raise SystemExit(f"loop must be cloop or stock, not {loop!r}")
    loader = unittest.defaultTestLoader
    suite = (loader.loadTestsFromNames(names) if names
             else loader.loadTestsFromName("test.test_asyncio"))
    if loop == "cloop":
        make_cloop_the_default()
        skip_tests(suite, known(KNOWN_HANGS))
    WatchedResult.report_path = report
    runner = unittest.TextTestRunner(resultclass=WatchedResult, verbosity=1,
                                     stream=sys.stderr)
    runner.run(suite).write_report()


if __name__ == "__main__":
    main(sys.argv[1:])
