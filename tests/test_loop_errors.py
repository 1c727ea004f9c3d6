"""The exception handler: set/get, the context dict, the default handler's logging."""

import asyncio
import contextvars
import logging
import sys

import pytest

VAR = contextvars.ContextVar("VAR", default="unset")


def failing_callback():
    raise ZeroDivisionError("boom in callback")


@pytest.fixture
def contexts(loop):
    """Install a handler that records (loop, context) pairs."""
    seen = []
    loop.set_exception_handler(lambda lp, ctx: seen.append((lp, ctx)))
    return seen


def asyncio_errors(caplog):
    return [r for r in caplog.records if r.name == "asyncio" and r.levelno >= logging.ERROR]


def test_exception_handler_defaults_to_none(loop):
    assert loop.get_exception_handler() is None


def test_set_and_get_exception_handler(loop):
    def handler(lp, ctx):
        pass

    assert loop.set_exception_handler(handler) is None
    assert loop.get_exception_handler() is handler
    loop.set_exception_handler(None)
    assert loop.get_exception_handler() is None


@pytest.mark.parametrize("bad", [42, "handler", object()], ids=["int", "str", "object"])
def test_set_exception_handler_rejects_non_callables(loop, bad):
    with pytest.raises(TypeError) as info:
        loop.set_exception_handler(bad)
    assert str(info.value) == f"A callable object or None is expected, got {bad!r}"
    assert loop.get_exception_handler() is None


def test_exception_in_callback_context(loop, contexts, run_once):
    handle = loop.call_soon(failing_callback)
    run_once(loop)
    assert len(contexts) == 1
    lp, ctx = contexts[0]
    assert lp is loop
    assert set(ctx) == {"message", "exception", "handle"}
    assert ctx["message"].startswith("Exception in callback ")
    assert "failing_callback" in ctx["message"]
    assert isinstance(ctx["exception"], ZeroDivisionError)
    assert str(ctx["exception"]) == "boom in callback"
    assert ctx["handle"] is handle


def test_exception_in_timer_callback_context(loop, contexts, run_once):
    handle = loop.call_later(-1, failing_callback)
    run_once(loop)
    assert len(contexts) == 1
    _, ctx = contexts[0]
    assert set(ctx) == {"message", "exception", "handle"}
    assert ctx["handle"] is handle
    assert isinstance(ctx["exception"], ZeroDivisionError)
    assert "failing_callback" in ctx["message"]


def test_exception_traceback_includes_the_callback_frame(loop, contexts, run_once):
    loop.call_soon(failing_callback)
    run_once(loop)
    exc = contexts[0][1]["exception"]
    frames = []
    tb = exc.__traceback__
    while tb is not None:
        frames.append(tb.tb_frame.f_code.co_name)
        tb = tb.tb_next
    assert frames[-1] == "failing_callback"


def test_loop_goes_on_after_a_callback_raises(loop, contexts, run_once):
    out = []
    loop.call_soon(out.append, 1)
    loop.call_soon(failing_callback)
    loop.call_soon(out.append, 2)
    loop.call_later(-1, failing_callback)
    loop.call_later(-0.5, out.append, 3)
    run_once(loop)
    assert out == [1, 2, 3]
    assert len(contexts) == 2


def test_handler_runs_with_the_loop_running(loop, run_once):
    seen = []
    loop.set_exception_handler(
        lambda lp, ctx: seen.append((asyncio.get_running_loop() is loop, lp.is_running()))
    )
    loop.call_soon(failing_callback)
    run_once(loop)
    assert seen == [(True, True)]


@pytest.mark.skipif(sys.version_info < (3, 12), reason="3.12+ runs the handler in the handle's context")
def test_handler_runs_in_the_context_of_the_failing_handle(loop, run_once):
    seen = []
    ctx = contextvars.copy_context()
    ctx.run(VAR.set, "callback-ctx")
    loop.set_exception_handler(lambda lp, c: seen.append(VAR.get()))
    loop.call_soon(failing_callback, context=ctx)
    run_once(loop)
    assert seen == ["callback-ctx"]


def test_call_exception_handler_passes_the_context_through(loop, contexts):
    ctx = {"message": "custom message", "custom": 1}
    loop.call_exception_handler(ctx)
    assert len(contexts) == 1
    lp, received = contexts[0]
    assert lp is loop
    assert received is ctx


@pytest.mark.loop_errors_expected
def test_default_handler_logs_to_the_asyncio_logger(loop, caplog, run_once):
    caplog.set_level(logging.DEBUG, logger="asyncio")
    loop.call_soon(failing_callback)
    run_once(loop)
    records = asyncio_errors(caplog)
    assert len(records) == 1
    record = records[0]
    assert record.levelno == logging.ERROR
    assert record.getMessage().startswith("Exception in callback ")
    assert "failing_callback" in record.getMessage()
    assert "handle: <Handle" in record.getMessage()
    assert record.exc_info is not None
    assert record.exc_info[0] is ZeroDivisionError


def test_default_exception_handler_called_directly(loop, caplog):
    caplog.set_level(logging.DEBUG, logger="asyncio")
    try:
        raise KeyError("direct")
    except KeyError as exc:
        error = exc
    loop.default_exception_handler({"message": "direct call", "exception": error, "extra": 42})
    records = asyncio_errors(caplog)
    assert len(records) == 1
    text = records[0].getMessage()
    assert text.splitlines()[0] == "direct call"
    assert "extra: 42" in text
    assert records[0].exc_info[1] is error


@pytest.mark.loop_errors_expected
def test_default_handler_without_a_message(loop, caplog):
    caplog.set_level(logging.DEBUG, logger="asyncio")
    loop.call_exception_handler({})
    records = asyncio_errors(caplog)
    assert [r.getMessage() for r in records] == ["Unhandled exception in event loop"]
    assert not records[0].exc_info


@pytest.mark.loop_errors_expected
def test_default_handler_used_again_after_reset(loop, caplog, run_once):
    caplog.set_level(logging.DEBUG, logger="asyncio")
    loop.set_exception_handler(lambda lp, ctx: None)
    loop.call_soon(failing_callback)
    run_once(loop)
    assert asyncio_errors(caplog) == []
    loop.set_exception_handler(None)
    loop.call_soon(failing_callback)
    run_once(loop)
    assert len(asyncio_errors(caplog)) == 1


def test_handler_that_raises_falls_back_to_the_default_handler(loop, caplog, run_once):
    caplog.set_level(logging.DEBUG, logger="asyncio")
    calls = []

    def bad_handler(lp, ctx):
        calls.append(ctx)
        raise ValueError("handler is broken")

    loop.set_exception_handler(bad_handler)
    out = []
    loop.call_soon(failing_callback)
    loop.call_soon(out.append, "loop goes on")
    run_once(loop)
    assert out == ["loop goes on"]
    assert len(calls) == 1
    records = asyncio_errors(caplog)
    assert len(records) == 1
    text = records[0].getMessage()
    assert text.startswith("Unhandled error in exception handler")
    assert "context: {" in text
    assert "Exception in callback" in text
    assert records[0].exc_info[0] is ValueError


def test_handler_that_raises_on_a_direct_call(loop, caplog):
    caplog.set_level(logging.DEBUG, logger="asyncio")

    def bad_handler(lp, ctx):
        raise ValueError("handler is broken")

    loop.set_exception_handler(bad_handler)
    loop.call_exception_handler({"message": "original"})
    records = asyncio_errors(caplog)
    assert len(records) == 1
    assert records[0].getMessage().startswith("Unhandled error in exception handler")
    assert "'message': 'original'" in records[0].getMessage()


@pytest.mark.parametrize("exc_type", [SystemExit, KeyboardInterrupt])
def test_base_exceptions_from_the_handler_propagate(loop, exc_type):
    def handler(lp, ctx):
        raise exc_type

    loop.set_exception_handler(handler)
    with pytest.raises(exc_type):
        loop.call_exception_handler({"message": "x"})
