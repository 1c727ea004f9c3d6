"""Debug mode: switches, slow-callback warnings, thread and coroutine checks, tracebacks."""

import asyncio
import importlib
import logging
import os
import sys
import threading
import time

import pytest


async def coroutine_function():
    pass


def expected_default_debug():
    # asyncio's rule (coroutines._is_debug_mode), evaluated for this process.
    return bool(
        sys.flags.dev_mode
        or (not sys.flags.ignore_environment and os.environ.get("PYTHONASYNCIODEBUG"))
    )


def test_default_debug_follows_the_environment(loop):
    assert loop.get_debug() == expected_default_debug()


def test_set_debug_and_get_debug(loop):
    loop.set_debug(True)
    assert loop.get_debug() is True
    loop.set_debug(False)
    assert loop.get_debug() is False


def test_set_debug_while_running(loop, run_once):
    seen = []

    def flip():
        loop.set_debug(True)
        seen.append(loop.get_debug())

    loop.call_soon(flip)
    run_once(loop)
    assert seen == [True]
    assert loop.get_debug() is True


def test_coroutine_origin_tracking_while_running_in_debug(loop, run_once):
    depth_before = sys.get_coroutine_origin_tracking_depth()
    seen = []
    loop.set_debug(True)
    loop.call_soon(lambda: seen.append(sys.get_coroutine_origin_tracking_depth()))
    run_once(loop)
    assert seen == [10]  # asyncio.constants.DEBUG_STACK_DEPTH
    assert sys.get_coroutine_origin_tracking_depth() == depth_before


DEBUG_PROBE = """\
import importlib, sys
sys.path[:0] = sys.argv[2:]
impl = importlib.import_module(sys.argv[1])
loop = impl.new_event_loop()
print(loop.get_debug())
loop.close()
"""


def impl_paths(impl):
    """Directories to put in the child's sys.path so it imports the same `impl`."""
    if impl == "asyncio":
        return []
    module = importlib.import_module(impl)
    return [os.path.dirname(os.path.dirname(os.path.abspath(module.__file__)))]


@pytest.mark.parametrize(
    "env, xopts, expected",
    [
        ({}, (), "False"),
        ({"PYTHONASYNCIODEBUG": "1"}, (), "True"),
        ({}, ("-X", "dev"), "True"),
        ({"PYTHONDEVMODE": "1"}, (), "True"),
        ({"PYTHONASYNCIODEBUG": "1"}, ("-E",), "False"),
    ],
    ids=["default", "PYTHONASYNCIODEBUG", "X-dev", "PYTHONDEVMODE", "ignore-environment"],
)
def test_debug_switches_in_a_new_process(impl, run_python, env, xopts, expected):
    proc = run_python(DEBUG_PROBE, impl, *impl_paths(impl), xopts=xopts, env=env)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == expected


def test_runner_debug_flag(loop_factory):
    async def main():
        return asyncio.get_running_loop().get_debug()

    with asyncio.Runner(debug=True, loop_factory=loop_factory) as runner:
        assert runner.run(main()) is True


def test_slow_callback_duration_default_and_setter(loop):
    assert loop.slow_callback_duration == 0.1
    loop.slow_callback_duration = 0.5
    assert loop.slow_callback_duration == 0.5


def test_slow_callback_is_logged_in_debug_mode(loop, caplog, run_once):
    caplog.set_level(logging.DEBUG, logger="asyncio")
    loop.set_debug(True)
    loop.slow_callback_duration = 0.001

    def slow_callback():
        time.sleep(0.02)

    loop.call_soon(slow_callback)
    run_once(loop)
    warnings = [
        r for r in caplog.records if r.name == "asyncio" and r.levelno == logging.WARNING
    ]
    assert len(warnings) == 1
    text = warnings[0].getMessage()
    assert text.startswith("Executing <Handle ")
    assert "slow_callback" in text
    assert text.endswith(" seconds")
    assert " took " in text


def test_slow_callback_is_not_logged_without_debug(loop, caplog, run_once):
    caplog.set_level(logging.DEBUG, logger="asyncio")
    loop.set_debug(False)
    loop.slow_callback_duration = 0.001
    loop.call_soon(time.sleep, 0.02)
    run_once(loop)
    assert [r for r in caplog.records if "Executing" in r.getMessage()] == []


@pytest.mark.parametrize("method", ["call_soon", "call_later", "call_at"])
def test_non_threadsafe_call_from_another_thread_in_debug_mode(loop, run_once, method):
    loop.set_debug(True)
    errors = []
    args = {"call_soon": (), "call_later": (1,), "call_at": (1,)}[method]

    def other_thread():
        try:
            handle = getattr(loop, method)(*args, print)
        except RuntimeError as exc:
            errors.append(str(exc))
        else:
            handle.cancel()

    def from_loop():
        thread = threading.Thread(target=other_thread)
        thread.start()
        thread.join(30)

    loop.call_soon(from_loop)
    run_once(loop)
    assert errors == [
        "Non-thread-safe operation invoked on an event loop other than the current one"
    ]


def test_call_soon_from_another_thread_when_the_loop_is_not_running(loop, run_once):
    # The thread check only applies to a running loop.
    loop.set_debug(True)
    out = []
    thread = threading.Thread(target=lambda: loop.call_soon(out.append, "ok"))
    thread.start()
    thread.join(30)
    run_once(loop)
    assert out == ["ok"]


def test_call_soon_threadsafe_from_another_thread_in_debug_mode(loop, run_until):
    loop.set_debug(True)
    fut = loop.create_future()
    thread = threading.Thread(target=lambda: loop.call_soon_threadsafe(fut.set_result, 1))
    loop.call_soon(thread.start)
    try:
        assert run_until(loop, fut) == 1
    finally:
        thread.join(30)


SCHEDULERS = {
    "call_soon": (lambda loop, cb: loop.call_soon(cb), "call_soon()"),
    "call_soon_threadsafe": (lambda loop, cb: loop.call_soon_threadsafe(cb), "call_soon_threadsafe()"),
    # call_later() goes through call_at(), and asyncio's message says so.
    "call_later": (lambda loop, cb: loop.call_later(1, cb), "call_at()"),
    "call_at": (lambda loop, cb: loop.call_at(1, cb), "call_at()"),
    "run_in_executor": (lambda loop, cb: loop.run_in_executor(None, cb), "run_in_executor()"),
}


@pytest.mark.parametrize("schedule, name", SCHEDULERS.values(), ids=SCHEDULERS.keys())
def test_coroutine_functions_are_refused_in_debug_mode(loop, schedule, name):
    loop.set_debug(True)
    with pytest.raises(TypeError) as info:
        schedule(loop, coroutine_function)
    assert str(info.value) == f"coroutines cannot be used with {name}"


@pytest.mark.parametrize("schedule, name", SCHEDULERS.values(), ids=SCHEDULERS.keys())
def test_coroutine_objects_are_refused_in_debug_mode(loop, schedule, name):
    loop.set_debug(True)
    coro = coroutine_function()
    try:
        with pytest.raises(TypeError) as info:
            schedule(loop, coro)
    finally:
        coro.close()
    assert str(info.value) == f"coroutines cannot be used with {name}"


@pytest.mark.parametrize("schedule, name", SCHEDULERS.values(), ids=SCHEDULERS.keys())
def test_non_callables_are_refused_in_debug_mode(loop, schedule, name):
    loop.set_debug(True)
    with pytest.raises(TypeError) as info:
        schedule(loop, 42)
    assert str(info.value) == f"a callable object was expected by {name}, got 42"


def test_handle_repr_in_debug_mode_shows_where_it_was_created(loop):
    loop.set_debug(True)

    def my_callback():
        pass

    handle = loop.call_soon(my_callback)
    line = sys._getframe().f_lineno - 1
    text = repr(handle)
    assert "my_callback" in text
    assert text.endswith(f"created at {__file__}:{line}>")

    timer = loop.call_later(10, my_callback)
    line = sys._getframe().f_lineno - 1
    assert repr(timer).endswith(f"created at {__file__}:{line}>")

    # A cancelled handle keeps describing its callback in debug mode.
    handle.cancel()
    timer.cancel()
    assert "my_callback" in repr(handle)
    assert "cancelled" in repr(handle)
    assert "my_callback" in repr(timer)
    assert "cancelled" in repr(timer)


def test_exception_context_has_the_source_traceback_in_debug_mode(loop, run_once):
    loop.set_debug(True)
    contexts = []
    loop.set_exception_handler(lambda lp, ctx: contexts.append(ctx))

    def failing():
        raise ValueError("debug")

    handle = loop.call_soon(failing)
    line = sys._getframe().f_lineno - 1
    run_once(loop)
    assert len(contexts) == 1
    ctx = contexts[0]
    assert set(ctx) == {"message", "exception", "handle", "source_traceback"}
    assert ctx["handle"] is handle
    last = ctx["source_traceback"][-1]
    assert (last.filename, last.lineno, last.name) == (
        __file__,
        line,
        "test_exception_context_has_the_source_traceback_in_debug_mode",
    )


@pytest.mark.loop_errors_expected
def test_default_handler_logs_the_source_traceback_in_debug_mode(loop, caplog, run_once):
    caplog.set_level(logging.DEBUG, logger="asyncio")
    loop.set_debug(True)

    def failing():
        raise ValueError("debug")

    loop.call_soon(failing)
    run_once(loop)
    errors = [r for r in caplog.records if r.name == "asyncio" and r.levelno >= logging.ERROR]
    assert len(errors) == 1
    assert "Object created at (most recent call last):" in errors[0].getMessage()
    assert __file__ in errors[0].getMessage()
