"""Futures: loop.create_future() on asyncio (asyncio.Future) and on cloop (cloop.Future).

Every test body runs on both implementations through the ``loop`` fixture and
``loop.create_future()``, so the expectations are asyncio's own behaviour.
Tests marked ``cloop_only`` exercise cloop's Future outside its own loop
(on a stock asyncio loop, awaited by asyncio's Task).
"""

import asyncio
import contextvars
import sys
import threading
import types
import weakref

import pytest

from support import PY312, PY313, collect, drain


cv = contextvars.ContextVar("cv", default="default")


# -- identity and the duck-typing contract ------------------------------------


def test_create_future_type(impl, loop):
    fut = loop.create_future()
    if impl == "cloop":
        import cloop

        assert type(fut) is cloop.Future
    else:
        assert type(fut) is asyncio.Future
    assert asyncio.isfuture(fut)
    assert hasattr(type(fut), "_asyncio_future_blocking")
    assert fut._asyncio_future_blocking is False
    assert fut.get_loop() is loop
    assert fut._loop is loop
    assert fut._state == "PENDING"
    assert not fut.done() and not fut.cancelled()
    assert fut._source_traceback is None


def test_hash_eq_weakref_and_generic_alias(loop):
    a, b = loop.create_future(), loop.create_future()
    assert a == a and a != b
    assert len({a, b, a}) == 2
    ref = weakref.ref(a)
    assert ref() is a
    alias = type(a)[int]
    assert isinstance(alias, types.GenericAlias)
    assert alias.__origin__ is type(a)
    a.cancel()
    b.cancel()


def test_blocking_flag_is_settable(loop):
    fut = loop.create_future()
    fut._asyncio_future_blocking = True
    assert fut._asyncio_future_blocking is True
    fut._asyncio_future_blocking = False
    assert fut._asyncio_future_blocking is False


def test_future_without_loop_uses_running_loop(loop, run_until):
    cls = type(loop.create_future())

    async def main():
        fut = cls()
        assert fut.get_loop() is loop
        loop.call_soon(fut.set_result, 7)
        return await fut

    assert run_until(loop, main()) == 7


def test_uninitialized_future(loop):
    cls = type(loop.create_future())
    fut = cls.__new__(cls)
    assert not fut.done()
    assert not fut.cancelled()
    assert fut._loop is None
    assert fut._asyncio_future_blocking is False
    with pytest.raises(asyncio.InvalidStateError, match="not initialized"):
        fut.result()
    with pytest.raises(asyncio.InvalidStateError, match="not initialized"):
        fut.exception()
    for call in (fut.get_loop, fut.cancel, lambda: fut._state, lambda: repr(fut)):
        with pytest.raises(RuntimeError, match="Future object is not initialized"):
            call()
    with pytest.raises(RuntimeError, match="uninitialized Future object"):
        fut.add_done_callback(print)


# -- result, exception, states --------------------------------------------------


def test_result(loop):
    fut = loop.create_future()
    with pytest.raises(asyncio.InvalidStateError, match="Result is not set"):
        fut.result()
    with pytest.raises(asyncio.InvalidStateError, match="Exception is not set"):
        fut.exception()
    fut.set_result(42)
    assert fut.done() and not fut.cancelled()
    assert fut._state == "FINISHED"
    assert fut.result() == 42
    assert fut._result == 42
    assert fut.exception() is None
    with pytest.raises(asyncio.InvalidStateError):
        fut.set_result(1)
    with pytest.raises(asyncio.InvalidStateError):
        fut.set_exception(ValueError())
    assert fut.cancel() is False
    assert fut.result() == 42


def test_set_exception(loop):
    fut = loop.create_future()
    assert fut._log_traceback is False
    fut.set_exception(ValueError)  # a class is instantiated
    exc = fut.exception()
    assert type(exc) is ValueError
    assert fut._exception is exc
    with pytest.raises(ValueError) as info:
        fut.result()
    assert info.value is exc
    with pytest.raises(asyncio.InvalidStateError):
        fut.set_exception(KeyError())


def test_set_exception_rejects_non_exceptions(loop):
    fut = loop.create_future()
    with pytest.raises(TypeError, match="invalid exception object"):
        fut.set_exception(1)
    with pytest.raises(TypeError, match="invalid exception object"):
        fut.set_exception(int)
    assert not fut.done()
    fut.cancel()


def test_set_exception_stop_iteration(loop):
    fut = loop.create_future()
    if PY313:
        fut.set_exception(StopIteration("x"))
        exc = fut.exception()
        assert type(exc) is RuntimeError
        assert "StopIteration interacts badly" in str(exc)
        assert type(exc.__cause__) is StopIteration
    else:
        with pytest.raises(TypeError, match="StopIteration interacts badly"):
            fut.set_exception(StopIteration)
        assert not fut.done()
        fut.cancel()


def test_result_traceback_does_not_grow(loop):
    fut = loop.create_future()
    try:
        raise ValueError("boom")
    except ValueError as e:
        fut.set_exception(e)
    depths = []
    for _ in range(3):
        try:
            fut.result()
        except ValueError as e:
            depth, tb = 0, e.__traceback__
            while tb is not None:
                depth, tb = depth + 1, tb.tb_next
            depths.append(depth)
    assert depths[0] >= depths[1] == depths[2]


def test_log_traceback_setter(loop):
    fut = loop.create_future()
    fut.set_exception(ValueError())
    assert fut._log_traceback is True
    with pytest.raises(ValueError, match="can only be set to False"):
        fut._log_traceback = True
    fut._log_traceback = False
    assert fut._log_traceback is False


# -- cancellation ---------------------------------------------------------------


def test_cancel(loop):
    fut = loop.create_future()
    assert fut.cancel() is True
    assert fut.cancelled() and fut.done()
    assert fut._state == "CANCELLED"
    assert fut.cancel() is False
    with pytest.raises(asyncio.CancelledError):
        fut.result()
    with pytest.raises(asyncio.CancelledError):
        fut.exception()
    with pytest.raises(asyncio.InvalidStateError):
        fut.set_result(1)


@pytest.mark.parametrize("how", ["positional", "keyword"])
def test_cancel_message(loop, how):
    fut = loop.create_future()
    if how == "positional":
        fut.cancel("why")
    else:
        fut.cancel(msg="why")
    assert fut._cancel_message == "why"
    with pytest.raises(asyncio.CancelledError) as info:
        fut.result()
    assert info.value.args == ("why",)
    fut._cancel_message = "other"
    assert fut._cancel_message == "other"
    assert fut._make_cancelled_error().args == ("other",)


def test_cancel_without_message(loop):
    fut = loop.create_future()
    fut.cancel()
    assert fut._cancel_message is None
    err = fut._make_cancelled_error()
    assert type(err) is asyncio.CancelledError and err.args == ()


# -- callbacks ------------------------------------------------------------------


def test_callbacks_run_soon_in_order(loop):
    fut = loop.create_future()
    calls = []
    fut.add_done_callback(lambda f: calls.append(("a", f.result())))
    fut.add_done_callback(lambda f: calls.append(("b", f.result())))
    fut.add_done_callback(lambda f: calls.append(("c", f.result())))
    fut.set_result(1)
    assert calls == []  # never synchronously
    drain(loop, 1)
    assert calls == [("a", 1), ("b", 1), ("c", 1)]
    assert not fut._callbacks


def test_callback_added_when_done_is_scheduled(loop):
    fut = loop.create_future()
    fut.set_result(5)
    calls = []
    fut.add_done_callback(calls.append)
    assert calls == []
    drain(loop, 1)
    assert calls == [fut]


def test_callbacks_and_cancel(loop):
    fut = loop.create_future()
    seen = []
    fut.add_done_callback(lambda f: seen.append(f.cancelled()))
    fut.cancel()
    drain(loop, 1)
    assert seen == [True]


def test_callback_context(loop):
    fut = loop.create_future()
    seen = []

    def cb(f):
        seen.append(cv.get())

    token = cv.set("at-add")
    fut.add_done_callback(cb)
    cv.reset(token)
    ctx = contextvars.copy_context()
    ctx.run(cv.set, "explicit")
    fut.add_done_callback(cb, context=ctx)
    token = cv.set("at-completion")
    fut.set_result(None)
    cv.reset(token)
    drain(loop, 1)
    assert seen == ["at-add", "explicit"]


def test_callback_changes_stay_in_its_context(loop):
    fut = loop.create_future()
    fut.add_done_callback(lambda f: cv.set("changed"))
    fut.set_result(None)
    drain(loop, 1)
    assert cv.get() == "default"


def test_remove_done_callback(loop):
    fut = loop.create_future()
    calls = []

    def a(f):
        calls.append("a")

    def b(f):
        calls.append("b")

    assert not fut._callbacks
    fut.add_done_callback(a)
    fut.add_done_callback(b)
    fut.add_done_callback(a)
    fut.add_done_callback(b)
    callbacks = fut._callbacks
    assert [cb for cb, ctx in callbacks] == [a, b, a, b]
    assert all(isinstance(ctx, contextvars.Context) for cb, ctx in callbacks)
    assert fut.remove_done_callback(a) == 2
    assert fut.remove_done_callback(a) == 0
    assert [cb for cb, ctx in fut._callbacks] == [b, b]
    fut.add_done_callback(a)
    fut.set_result(None)
    drain(loop, 1)
    assert calls == ["b", "b", "a"]


def test_remove_first_then_add_keeps_order(loop):
    fut = loop.create_future()
    calls = []
    first = lambda f: calls.append(1)  # noqa: E731
    fut.add_done_callback(first)
    fut.add_done_callback(lambda f: calls.append(2))
    assert fut.remove_done_callback(first) == 1
    fut.add_done_callback(lambda f: calls.append(3))
    fut.set_result(None)
    drain(loop, 1)
    assert calls == [2, 3]


def test_callbacks_run_in_their_own_contexts_and_order(loop):
    var = contextvars.ContextVar("var")
    seen = []
    fut = loop.create_future()
    for i in range(3):
        ctx = contextvars.copy_context()
        ctx.run(var.set, i)
        fut.add_done_callback(lambda f, i=i: seen.append((i, var.get())), context=ctx)
    assert [c.run(var.get) for _, c in fut._callbacks] == [0, 1, 2]
    fut.set_result(None)
    fut.add_done_callback(lambda f: seen.append(("late", var.get("unset"))))
    drain(loop, 1)
    assert seen == [(0, 0), (1, 1), (2, 2), ("late", "unset")]


@pytest.mark.skipif(sys.version_info >= (3, 15), reason="3.15 refuses to initialise a Future twice")
def test_reinitialised_future_completed_again_before_its_callbacks_ran(loop):
    """Both completions' callbacks run once each, each in its own context,
    though the first one's was still waiting to run."""
    var = contextvars.ContextVar("var")
    seen = []

    def add(fut, name):
        ctx = contextvars.copy_context()
        ctx.run(var.set, name)
        fut.add_done_callback(lambda f: seen.append((name, var.get(), f.result())), context=ctx)

    fut = loop.create_future()
    add(fut, "first")
    fut.set_result(1)
    type(fut).__init__(fut, loop=loop)
    add(fut, "second")
    fut.set_result(2)
    drain(loop, 1)
    assert seen == [("first", "first", 2), ("second", "second", 2)]


def test_add_done_callback_signature(loop):
    fut = loop.create_future()
    with pytest.raises(TypeError):
        fut.add_done_callback(print, None)
    with pytest.raises(TypeError):
        fut.add_done_callback(print, ctx=None)
    fut.cancel()


def test_callback_error_goes_to_exception_handler(loop, errors):
    fut = loop.create_future()
    later = []

    def bad(f):
        raise ZeroDivisionError("cb")

    fut.add_done_callback(bad)
    fut.add_done_callback(later.append)
    fut.set_result(None)
    drain(loop, 1)
    assert later == [fut]  # the loop went on
    assert len(errors) == 1
    context = errors[0]
    assert context["message"].startswith("Exception in callback ")
    assert "bad" in context["message"]
    assert type(context["exception"]) is ZeroDivisionError
    assert context["handle"].cancelled() is False
    assert "bad" in repr(context["handle"])


def test_set_result_on_closed_loop(loop):
    fut = loop.create_future()
    fut.add_done_callback(lambda f: None)
    loop.close()
    with pytest.raises(RuntimeError, match="Event loop is closed"):
        fut.set_result(1)


def test_set_result_from_other_thread_in_debug_mode(loop, run_until):
    loop.set_debug(True)
    errors = []

    async def main():
        fut = loop.create_future()
        fut.add_done_callback(lambda f: None)

        def worker():
            try:
                fut.set_result(1)
            except RuntimeError as e:
                errors.append(str(e))

        t = threading.Thread(target=worker)
        t.start()
        t.join()
        fut.cancel()

    run_until(loop, main())
    assert len(errors) == 1 and "Non-thread-safe operation" in errors[0]


# -- awaiting -------------------------------------------------------------------


def test_await_future(loop, run_until):
    async def main():
        fut = loop.create_future()
        loop.call_soon(fut.set_result, (1, 2))
        return await fut

    assert run_until(loop, main()) == (1, 2)


def test_await_future_exception(loop, run_until):
    async def main():
        fut = loop.create_future()
        loop.call_soon(fut.set_exception, KeyError("k"))
        with pytest.raises(KeyError):
            await fut
        return "caught"

    assert run_until(loop, main()) == "caught"


def test_yield_from_future(loop, run_until):
    @types.coroutine
    def legacy(fut):
        return (yield from fut)

    async def main():
        fut = loop.create_future()
        loop.call_soon(fut.set_result, "legacy")
        return await legacy(fut)

    assert run_until(loop, main()) == "legacy"


def test_future_iterator_protocol(loop):
    fut = loop.create_future()
    it = fut.__await__()
    assert iter(it) is it
    assert next(it) is fut
    assert fut._asyncio_future_blocking is True
    with pytest.raises(RuntimeError, match="await wasn't used with future"):
        next(it)
    it = fut.__iter__()
    fut._asyncio_future_blocking = False
    assert it.send(None) is fut
    fut.set_result((3, 4))
    with pytest.raises(StopIteration) as info:
        it.send("ignored")
    assert info.value.value == (3, 4)
    with pytest.raises(StopIteration):
        next(it)


def test_future_iterator_on_done_future(loop):
    fut = loop.create_future()
    fut.set_result(None)
    with pytest.raises(StopIteration) as info:
        next(iter(fut))
    assert info.value.value is None


def test_future_iterator_throw_and_close(loop):
    fut = loop.create_future()
    it = iter(fut)
    next(it)
    with pytest.raises(ValueError, match="thrown"):
        it.throw(ValueError("thrown"))
    with pytest.raises(StopIteration):
        next(it)  # exhausted by the throw
    fut._asyncio_future_blocking = False
    it = iter(fut)
    next(it)
    with pytest.raises(KeyError):
        it.throw(KeyError)
    with pytest.raises(TypeError):
        it.throw(1)
    it = iter(fut)
    assert it.close() is None
    with pytest.raises(StopIteration):
        next(it)
    fut.cancel()


@pytest.mark.parametrize("how", ["close", "throw"])
def test_future_iterator_send_after_it_is_exhausted(impl, loop, how):
    if impl == "asyncio" and sys.version_info < (3, 14):
        pytest.skip("asyncio's C FutureIter raises SystemError here before "
                    "3.14 (CPython fixed it in 3.14)")
    fut = loop.create_future()
    it = fut.__await__()
    next(it)
    if how == "close":
        it.close()
    else:
        with pytest.raises(RuntimeError):
            it.throw(RuntimeError)
    with pytest.raises(StopIteration):
        it.send(None)
    fut.cancel()


def test_future_iterator_throw_three_arguments(loop):
    fut = loop.create_future()
    it = iter(fut)
    next(it)
    if PY312:
        with pytest.warns(DeprecationWarning):
            with pytest.raises(ValueError, match="v"):
                it.throw(ValueError, ValueError("v"), None)
    else:
        with pytest.raises(ValueError, match="v"):
            it.throw(ValueError, ValueError("v"), None)
    fut.cancel()


# -- repr -----------------------------------------------------------------------


def test_repr(loop):
    fut = loop.create_future()
    assert repr(fut) == "<Future pending>"

    def on_done(f):
        pass

    fut.add_done_callback(on_done)
    assert repr(fut).startswith("<Future pending cb=[")
    assert "on_done" in repr(fut)
    fut.set_result("x" * 100)
    assert repr(fut).startswith("<Future finished result='xxxxx")
    assert len(repr(fut)) < 80  # reprlib keeps long results short

    fut = loop.create_future()
    fut.set_exception(ValueError("bad"))
    assert repr(fut) == "<Future finished exception=ValueError('bad')>"
    fut.exception()

    fut = loop.create_future()
    fut.cancel()
    assert repr(fut) == "<Future cancelled>"


def test_repr_of_subclass(loop):
    base = type(loop.create_future())

    class MyFuture(base):
        pass

    fut = MyFuture(loop=loop)
    assert repr(fut) == "<MyFuture pending>"
    fut.extra = 1  # a Python subclass has a __dict__
    fut.set_result(3)
    assert fut.result() == 3


def test_source_traceback_in_debug_mode(loop):
    loop.set_debug(True)
    fut = loop.create_future()
    tb = fut._source_traceback
    assert isinstance(tb, list) and tb
    assert any(frame.filename == __file__ for frame in tb)
    assert "created at" in repr(fut)
    fut.cancel()


# -- 'exception was never retrieved' --------------------------------------------


def test_exception_never_retrieved_is_reported(loop, errors):
    fut = loop.create_future()
    exc = ValueError("lost")
    fut.set_exception(exc)
    del fut
    collect()
    assert len(errors) == 1
    context = errors[0]
    assert context["message"] == "Future exception was never retrieved"
    assert context["exception"] is exc
    assert "future" in context


def test_retrieved_exception_is_not_reported(loop, errors):
    for retrieve in ("exception", "result", "flag"):
        fut = loop.create_future()
        fut.set_exception(ValueError())
        if retrieve == "exception":
            fut.exception()
        elif retrieve == "result":
            with pytest.raises(ValueError):
                fut.result()
        else:
            fut._log_traceback = False
        del fut
    collect()
    assert errors == []


def test_never_retrieved_in_debug_mode_has_source_traceback(loop, errors):
    loop.set_debug(True)
    fut = loop.create_future()
    fut.set_exception(ValueError())
    del fut
    collect()
    assert len(errors) == 1
    assert isinstance(errors[0]["source_traceback"], list)


@pytest.mark.loop_errors_expected
def test_never_retrieved_default_handler_logs(loop, caplog):
    fut = loop.create_future()
    fut.set_exception(RuntimeError("nobody looked"))
    del fut
    with caplog.at_level("ERROR", logger="asyncio"):
        collect()
    assert "exception was never retrieved" in caplog.text
    assert "nobody looked" in caplog.text


# -- reference cycles -------------------------------------------------------------


def test_future_in_its_own_callbacks_is_collected(loop):
    fut = loop.create_future()
    fut.add_done_callback(lambda f, fut=fut: fut)  # fut -> callbacks -> fut
    fut.add_done_callback(fut.remove_done_callback)
    ref = weakref.ref(fut)
    del fut
    collect()
    assert ref() is None


def test_done_future_result_cycle_is_collected(loop):
    fut = loop.create_future()
    fut.set_result([fut])
    ref = weakref.ref(fut)
    del fut
    collect()
    assert ref() is None


def test_awaited_future_is_released(loop, run_until):
    refs = []

    async def main():
        for _ in range(10):
            fut = loop.create_future()
            refs.append(weakref.ref(fut))
            loop.call_soon(fut.set_result, None)
            await fut

    run_until(loop, main())
    collect()
    assert all(r() is None for r in refs)


# -- cloop's Future outside cloop's loop -----------------------------------------


@pytest.mark.cloop_only
def test_cloop_future_on_asyncio_loop():
    import cloop

    loop = asyncio.new_event_loop()
    try:
        fut = cloop.Future(loop=loop)
        seen = []
        fut.add_done_callback(lambda f: seen.append((f.result(), cv.get())))

        async def main():
            loop.call_soon(fut.set_result, "stock")
            return await fut  # awaited by asyncio's own Task

        assert loop.run_until_complete(main()) == "stock"
        assert seen == [("stock", "default")]
    finally:
        loop.close()


@pytest.mark.cloop_only
def test_asyncio_task_awaits_cloop_future(loop, run_until):
    import cloop

    async def waiter(fut):
        return await fut

    fut = loop.create_future()
    assert type(fut) is cloop.Future
    task = asyncio.Task(waiter(fut), loop=loop)
    loop.call_soon(fut.set_result, "native")
    assert run_until(loop, task) == "native"

    fut = loop.create_future()
    task = asyncio.Task(waiter(fut), loop=loop)
    drain(loop, 1)
    task.cancel("stop")
    with pytest.raises(asyncio.CancelledError):
        run_until(loop, task)
    assert fut.cancelled()


def test_init_twice(impl, loop):
    fut = loop.create_future()
    if sys.version_info >= (3, 15):
        with pytest.raises(RuntimeError, match="object is already initialized"):
            fut.__init__(loop=loop)
        assert not fut.done()
    else:
        # Before 3.15 __init__ starts the future over.
        fut.set_result(1)
        assert fut.__init__(loop=loop) is None
        assert not fut.done()
    fut.cancel()
