"""Shared fixtures: every behavioural test runs on stock asyncio and on cloop.

A test that takes the ``loop`` fixture (or ``impl`` / ``loop_factory``) is parametrized
over the two implementations, with ids ``asyncio`` and ``cloop``; the same body must
pass on both, because asyncio's behaviour is the reference.  A test marked
``@pytest.mark.cloop_only`` gets only the ``cloop`` parameter.

When cloop is not built, the cloop parameter fails with an ImportError that says so: it
is never skipped.
"""

import asyncio
import faulthandler
import gc
import glob
import importlib
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import zipfile
from pathlib import Path

import pytest

IMPLS = ("asyncio", "cloop")

# Generous limits that only keep a broken loop from hanging the run; never asserted.
GUARD_TIMEOUT = 10.0
SUBPROCESS_TIMEOUT = 60.0


def import_cloop():
    """Import cloop, or raise an ImportError that says how to get it."""
    try:
        return importlib.import_module("cloop")
    except ImportError as exc:
        raise ImportError(
            f"cloop is not importable ({exc}); build it first with `pip install -e .`"
        ) from exc


def import_impl(impl):
    """The module whose new_event_loop() builds a loop of implementation `impl`."""
    if impl == "asyncio":
        return asyncio
    if impl == "cloop":
        return import_cloop()
    raise ValueError(f"unknown loop implementation {impl!r}")


@pytest.fixture(scope="session", autouse=True)
def no_fd_outlives_the_suite():
    """No file descriptor opened during the run is still open at its end.

    Modules that open processes and pipes also check per module (leakcheck).
    """
    from leakcheck import describe_fds

    before = set(os.listdir("/proc/self/fd"))
    yield
    gc.collect()
    leaked = set(os.listdir("/proc/self/fd")) - before
    assert not leaked, describe_fds(leaked)


_COUNTS_BEFORE = pytest.StashKey()


def _debug_counts():
    """cloop's live C-object counters (CLOOP_DEBUG builds), else None."""
    try:
        from cloop import _cloop
    except ImportError:
        return None
    return _cloop._debug_counts()


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_runtest_teardown(item, nextitem):
    """In a CLOOP_DEBUG build (the sanitizer run): every Handle, transport and
    fd watcher a test created is gone once the test and its fixtures are.

    A hook wrapper rather than a fixture: it runs after every fixture is torn
    down and after pytest's log capture has dropped the test's records (a
    logged traceback holds the frames that hold handles). A leak fails the
    test's teardown.
    """
    before = item.stash.get(_COUNTS_BEFORE, None)
    result = yield
    if before is None:
        return result
    item.funcargs.clear()  # pytest drops these itself only after this hook
    after = _debug_counts()
    if after != before:
        gc.collect()  # cycles: a transport and its protocol, a handle's callback
        after = _debug_counts()
    leaked = {k: after[k] - before[k] for k in after if after[k] != before[k]}
    assert not leaked, f"C objects left alive by the test (count delta): {leaked}"
    return result


@pytest.hookimpl(tryfirst=True)
def pytest_runtest_setup(item):
    counts = _debug_counts()
    if counts is not None:
        item.stash[_COUNTS_BEFORE] = counts


def pytest_generate_tests(metafunc):
    if "impl" in metafunc.fixturenames:
        if metafunc.definition.get_closest_marker("cloop_only"):
            impls = ["cloop"]
        else:
            impls = list(IMPLS)
        metafunc.parametrize("impl", impls)


@pytest.fixture(autouse=True)
def collect_garbage():
    """Collect garbage after each test, so that a destructor's warning (unclosed loop,
    never-awaited coroutine) fails the test that caused it, not a later one."""
    yield
    gc.collect()


@pytest.fixture(autouse=True)
def no_unexpected_loop_errors(request, monkeypatch):
    """Fails a test whose loop reported an error to asyncio's default exception
    handler (which only logs it): a callback, a transport or a task failed and
    nothing noticed. A test expecting such a report sets its own handler
    (the errors fixture) or is marked ``loop_errors_expected`` (when it checks
    the default handler's log). As uvloop's and CPython's own test bases do."""
    if request.node.get_closest_marker("loop_errors_expected"):
        yield
        return
    unexpected = []
    for cls in (asyncio.BaseEventLoop, import_cloop().Loop):
        original = cls.call_exception_handler

        def recording(self, context, _original=original):
            if self._exception_handler is None:
                unexpected.append(context.get("message"))
            return _original(self, context)

        monkeypatch.setattr(cls, "call_exception_handler", recording)
    yield
    if unexpected:
        pytest.fail(f"the loop reported errors nobody expected: {unexpected}", pytrace=False)


@pytest.fixture
def loop_factory(impl):
    """A zero-argument callable returning a new event loop of the implementation."""
    return import_impl(impl).new_event_loop


@pytest.fixture
def errors(loop):
    """The contexts the loop's exception handler receives."""
    seen = []
    loop.set_exception_handler(lambda loop, context: seen.append(context))
    return seen


@pytest.fixture
def loop(loop_factory):
    """A fresh loop, closed at teardown; no event loop is left set for the thread."""
    loop = loop_factory()
    asyncio.set_event_loop(None)
    try:
        yield loop
    finally:
        if not loop.is_closed():
            loop.close()
        asyncio.set_event_loop(None)


@pytest.fixture
def run_once():
    """Run exactly one iteration of a loop that is not running (stop, then run_forever)."""

    def run_once(loop):
        loop.stop()
        loop.run_forever()

    return run_once


@pytest.fixture
def run_until():
    """run_until_complete() with a guard timer that stops a hung loop.

    A loop that never completes `aw` is stopped after `timeout` seconds, and
    run_until_complete then raises 'Event loop stopped before Future completed.'.
    """

    def run_until(loop, aw, timeout=GUARD_TIMEOUT):
        guard = loop.call_later(timeout, loop.stop)
        try:
            return loop.run_until_complete(aw)
        finally:
            guard.cancel()

    return run_until


@pytest.fixture
def run_forever_guarded():
    """run_forever() that a guard timer stops after `timeout` seconds.

    Returns True when something else stopped the loop first, False when the
    guard had to.
    """

    def run_forever_guarded(loop, timeout=GUARD_TIMEOUT):
        fired = []
        guard = loop.call_later(timeout, lambda: (fired.append(True), loop.stop()))
        try:
            loop.run_forever()
        finally:
            guard.cancel()
        return not fired

    return run_forever_guarded


def exit_status(rc):
    """A child's return code in words, for failure messages."""
    if rc < 0:
        try:
            return f"killed by {signal.Signals(-rc).name}"
        except ValueError:
            return f"killed by signal {-rc}"
    return f"exit status {rc}"


def tail(output, n=40):
    """The last n lines of a child's output, for failure messages."""
    return "\n".join(output.splitlines()[-n:])


def subprocess_env(extra=None, drop=()):
    """The environment for a child Python that imports the same cloop as this process.

    Asyncio's debug switches are removed so that a child starts in a known state.
    """
    env = dict(os.environ)
    for name in ("PYTHONASYNCIODEBUG", "PYTHONDEVMODE", *drop):
        env.pop(name, None)
    paths = []
    try:
        cloop = importlib.import_module("cloop")
    except ImportError:
        pass
    else:
        paths.append(os.path.dirname(os.path.dirname(os.path.abspath(cloop.__file__))))
    if env.get("PYTHONPATH"):
        paths.append(env["PYTHONPATH"])
    if paths:
        env["PYTHONPATH"] = os.pathsep.join(paths)
    env.update(extra or {})
    return env


@pytest.fixture
def run_python(tmp_path):
    """Run `python [xopts] -c code args...` in a child process and return the result."""

    def run_python(code, *args, xopts=(), env=None, timeout=SUBPROCESS_TIMEOUT):
        return subprocess.run(
            [sys.executable, *xopts, "-c", code, *args],
            capture_output=True,
            text=True,
            timeout=timeout,
            cwd=str(tmp_path),
            env=subprocess_env(env),
            stdin=subprocess.DEVNULL,
        )

    return run_python


@pytest.fixture
def no_faulthandler_watchdog():
    """For a test that runs another project's suite in subprocesses:
    pytest.ini's faulthandler_timeout (60 s) is shorter than the runs and
    would only dump this process's stack, which waits in subprocess.run;
    the runs' own timeout guards them instead."""
    faulthandler.cancel_dump_traceback_later()


@pytest.fixture
def short_tmp():
    """A short directory for a child suite's --basetemp: its tests put
    AF_UNIX sockets under it, and their paths must stay under 108 bytes."""
    path = Path(tempfile.mkdtemp(prefix="cloop-suite-"))
    yield path
    shutil.rmtree(path, ignore_errors=True)


def outcomes(report_file):
    """{node id: (outcome, [messages])} from the plugin's report; a test is
    failed when any of its phases failed. Also the run's events."""
    tests, events = {}, {}
    for line in report_file.read_text().splitlines():
        entry = json.loads(line)
        if entry["event"] != "report":
            events[entry["event"]] = entry
            continue
        outcome, messages = tests.get(entry["nodeid"], (None, []))
        if entry["outcome"] == "failed":
            outcome = "failed"
            messages.append(f"{entry['when']}: {entry['message']}")
        elif outcome != "failed" and (entry["outcome"] != "passed"
                                      or outcome is None):
            outcome = entry["outcome"]
        tests[entry["nodeid"]] = (outcome, messages)
    return tests, events


def failing(run):
    return {t for t, (outcome, _) in run["tests"].items() if outcome == "failed"}


def run_pytest_child(label, cmd, root, env, report_file, probe_file, timeout):
    """Runs another project's pytest suite (cmd, in root, with env added),
    whose report plugin writes report_file and whose probe writes
    probe_file; fails the test if it runs past timeout seconds or ends
    other than with pytest's 0 or 1. The run as a dict."""
    start = time.monotonic()
    try:
        proc = subprocess.run(
            cmd, cwd=str(root), capture_output=True, text=True,
            timeout=timeout, stdin=subprocess.DEVNULL,
            env=subprocess_env(env, drop=("PYTEST_ADDOPTS", "PYTEST_PLUGINS")))
    except subprocess.TimeoutExpired as exc:
        out = (exc.stdout or b"") + (exc.stderr or b"")
        if isinstance(out, bytes):
            out = out.decode(errors="replace")
        pytest.fail(f"{label}: {' '.join(cmd)} still running after "
                    f"{timeout}s (killed); its output ends:\n"
                    f"{tail(out, 80)}", pytrace=False)
    elapsed = time.monotonic() - start
    output = proc.stdout + proc.stderr
    tests, events = (outcomes(report_file) if report_file.exists()
                     else ({}, {}))
    if "finished" not in events or proc.returncode not in (0, 1):
        pytest.fail(f"{label}: {' '.join(cmd)} ended "
                    f"({exit_status(proc.returncode)}) "
                    f"{'after' if 'finished' in events else 'before'} its "
                    f"session finished; its output ends:\n{tail(output, 80)}",
                    pytrace=False)
    probe = ([json.loads(line) for line in probe_file.read_text().splitlines()]
             if probe_file.exists() else [])
    return {
        "label": label,
        "cmd": " ".join(cmd),
        "rc": proc.returncode,
        "output": output,
        "tests": tests,
        "collected": events["collected"]["count"],
        "probe": probe,
        "seconds": elapsed,
    }


def describe(run, tests):
    return "\n".join(
        f"  {t}\n    {run['tests'].get(t, ('not run', []))[0]}: "
        + "\n    ".join(m.replace("\n", "\n      ")
                        for m in run["tests"].get(t, (None, []))[1])
        for t in sorted(tests))

def hold_to_stock(project, stock, ours, min_tests, rerun):
    """The comparison of a third-party suite's two runs: both ran the same
    tests, at least min_tests; nothing fails on cloop that passes on stock
    asyncio. A test that did in the whole run is tried again on its own on
    both loops (rerun(impl, only) -> run) and held against cloop only if it
    fails there again and passes on asyncio; else it is reported as flaky."""
    assert stock["collected"] >= min_tests, stock["collected"]
    assert set(ours["tests"]) == set(stock["tests"]), (
        f"the runs ran different tests: only on cloop "
        f"{sorted(set(ours['tests']) - set(stock['tests']))[:20]}, only on "
        f"asyncio {sorted(set(stock['tests']) - set(ours['tests']))[:20]}")

    only_asyncio = sorted(failing(stock) - failing(ours))
    if only_asyncio:
        print(f"{len(only_asyncio)} test(s) fail on stock asyncio and pass on "
              f"cloop:\n" + describe(stock, only_asyncio))

    # Nothing fails on cloop that passes on stock asyncio; a test that did in
    # the whole run is tried again on its own, on both loops.
    only_cloop = failing(ours) - failing(stock)
    if not only_cloop:
        return
    again_stock = rerun("asyncio", only_cloop)
    again_ours = rerun("cloop", only_cloop)
    held = sorted(t for t in only_cloop
                  if again_ours["tests"].get(t, ("not run",))[0]
                  not in ("passed", "skipped", "xfailed")
                  and t not in failing(again_stock))
    flaky = sorted(only_cloop - set(held))
    if flaky:
        print(f"{len(flaky)} test(s) failed in cloop's run only, but not "
              f"again on their own (or then failed on asyncio too):\n"
              + describe(ours, flaky))
    if held:
        pytest.fail(
            f"{len(held)} {project} test(s) fail on cloop and pass on stock "
            f"asyncio (in the whole run and again on their own):\n"
            + describe(again_ours, held)
            + f"\n(failing on both in the whole run: {len(failing(stock))})",
            pytrace=False)


@pytest.fixture(scope="session")
def unpacked_pytest_asyncio(tmp_path_factory):
    """A directory a child pytest imports pytest-asyncio from: its wheel,
    unpacked (importlib.metadata sees its plugin entry point there too).
    pytest-asyncio is not installed in the suite's venvs, where it would load
    into this suite too; scripts/setup-venv.sh keeps the wheel in the venv."""
    wheels = glob.glob(os.path.join(sys.prefix, "wheels", "pytest_asyncio-*.whl"))
    assert wheels, (f"no pytest-asyncio wheel in {sys.prefix}/wheels: "
                    f"scripts/setup-venv.sh downloads it")
    where = tmp_path_factory.mktemp("pytest-asyncio")
    with zipfile.ZipFile(max(wheels)) as wheel:
        wheel.extractall(where)
    return str(where)
