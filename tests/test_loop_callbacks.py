"""call_soon / call_soon_threadsafe: ordering, iterations, handles, contexts, threads."""

import asyncio
import contextvars
import functools
import gc
import sys
import threading
import warnings
import weakref

import pytest

from support import PY314


VAR = contextvars.ContextVar("VAR", default="unset")


def test_call_soon_runs_callbacks_fifo_with_their_args(loop, run_once):
    out = []
    for i in range(100):
        loop.call_soon(out.append, i)
    loop.call_soon(out.extend, (100, 101))
    run_once(loop)
    assert out == list(range(102))


def test_callback_scheduled_during_iteration_runs_in_next_iteration(loop, run_once):
    out = []

    def first():
        out.append("first")
        loop.call_soon(out.append, "scheduled-by-first")

    loop.call_soon(first)
    loop.call_soon(out.append, "second")

    run_once(loop)
    assert out == ["first", "second"]
    run_once(loop)
    assert out == ["first", "second", "scheduled-by-first"]


def test_every_iteration_runs_exactly_what_was_ready_when_it_began(loop, run_once):
    out = []

    def chain(n):
        out.append(n)
        if n < 4:
            loop.call_soon(chain, n + 1)

    loop.call_soon(chain, 0)
    for iteration in range(5):
        run_once(loop)
        assert out == list(range(iteration + 1))
    run_once(loop)
    assert out == list(range(5))


def test_many_callbacks_scheduled_while_the_queue_is_being_drained(loop, run_once):
    # Grows the ready queue while it is being consumed: order must hold.
    out = []

    def spawn(i):
        out.append(("a", i))
        for j in range(50):
            loop.call_soon(out.append, ("b", i, j))

    for i in range(100):
        loop.call_soon(spawn, i)
    run_once(loop)
    assert out == [("a", i) for i in range(100)]
    run_once(loop)
    assert out[100:] == [("b", i, j) for i in range(100) for j in range(50)]


def test_long_call_soon_chain_does_not_recurse(loop, run_forever_guarded):
    count = 0

    def step():
        nonlocal count
        count += 1
        if count == 20000:
            loop.stop()
        else:
            loop.call_soon(step)

    loop.call_soon(step)
    assert run_forever_guarded(loop)
    assert count == 20000


def test_stop_lets_the_current_iteration_finish(loop, run_forever_guarded):
    out = []

    def later():
        out.append("later")
        loop.call_soon(out.append, "next-iteration")

    loop.call_soon(loop.stop)
    loop.call_soon(later)
    assert run_forever_guarded(loop)
    assert out == ["later"]
    assert not loop.is_running()

    loop.call_soon(loop.stop)
    assert run_forever_guarded(loop)
    assert out == ["later", "next-iteration"]


def test_stop_before_run_forever_runs_one_iteration(loop):
    out = []
    loop.call_soon(lambda: (out.append(1), loop.call_soon(out.append, 2)))
    loop.stop()
    loop.run_forever()
    assert out == [1]
    loop.stop()
    loop.run_forever()
    assert out == [1, 2]


def test_call_soon_returns_a_handle(loop, run_once):
    out = []
    handle = loop.call_soon(out.append, 1)
    assert not handle.cancelled()
    run_once(loop)
    assert out == [1]
    assert not handle.cancelled()


def test_cancelled_handle_is_not_called(loop, run_once):
    out = []
    handle = loop.call_soon(out.append, "cancelled")
    loop.call_soon(out.append, "kept")
    handle.cancel()
    assert handle.cancelled()
    run_once(loop)
    assert out == ["kept"]


def test_handle_cancelled_by_an_earlier_callback_of_the_same_iteration(loop, run_once):
    out = []
    handles = []
    loop.call_soon(lambda: handles[0].cancel())
    handles.append(loop.call_soon(out.append, "victim"))
    loop.call_soon(out.append, "survivor")
    run_once(loop)
    assert out == ["survivor"]
    assert handles[0].cancelled()


def test_handle_cancel_is_idempotent_and_allowed_after_running(loop, run_once):
    out = []
    handle = loop.call_soon(out.append, 1)
    run_once(loop)
    handle.cancel()
    handle.cancel()
    assert handle.cancelled()
    assert out == [1]

    other = loop.call_soon(out.append, 2)
    other.cancel()
    other.cancel()
    assert other.cancelled()
    run_once(loop)
    assert out == [1]


def test_handle_repr(loop):
    def my_callback():
        pass

    handle = loop.call_soon(my_callback)
    text = repr(handle)
    assert text.startswith("<Handle ")
    assert "my_callback" in text
    assert "cancelled" not in text
    handle.cancel()
    assert "cancelled" in repr(handle)


def test_call_soon_rejects_keyword_arguments_for_the_callback(loop):
    with pytest.raises(TypeError):
        loop.call_soon(print, "x", end="")


def test_callback_sees_the_context_current_when_it_was_scheduled(loop, run_once):
    seen = []

    def schedule():
        VAR.set("at-schedule")
        loop.call_soon(lambda: seen.append(VAR.get()))
        VAR.set("after-schedule")

    contextvars.copy_context().run(schedule)
    run_once(loop)
    assert seen == ["at-schedule"]


def test_callback_runs_in_a_copy_so_its_changes_do_not_leak(loop, run_once):
    seen = []

    def setter():
        VAR.set("inside")
        seen.append(VAR.get())

    loop.call_soon(setter)
    loop.call_soon(lambda: seen.append(VAR.get()))
    run_once(loop)
    assert seen == ["inside", "unset"]
    assert VAR.get() == "unset"


def test_call_soon_context_argument(loop, run_once):
    ctx = contextvars.copy_context()
    ctx.run(VAR.set, "from-ctx")
    seen = []

    def cb(tag):
        seen.append((tag, VAR.get()))
        VAR.set(f"changed-by-{tag}")

    loop.call_soon(cb, "first", context=ctx)
    loop.call_soon(cb, "plain")
    loop.call_soon(cb, "second", context=ctx)
    run_once(loop)
    assert seen == [
        ("first", "from-ctx"),
        ("plain", "unset"),
        ("second", "changed-by-first"),
    ]
    assert ctx[VAR] == "changed-by-second"
    assert VAR.get() == "unset"


def test_call_soon_threadsafe_context_argument(loop, run_once):
    ctx = contextvars.copy_context()
    ctx.run(VAR.set, "threadsafe-ctx")
    seen = []
    loop.call_soon_threadsafe(lambda: seen.append(VAR.get()), context=ctx)
    run_once(loop)
    assert seen == ["threadsafe-ctx"]


@pytest.mark.skipif(sys.version_info < (3, 12), reason="Handle.get_context() is new in 3.12")
def test_handle_get_context(loop):
    ctx = contextvars.copy_context()
    handle = loop.call_soon(print, context=ctx)
    assert handle.get_context() is ctx
    timer = loop.call_later(10, print, context=ctx)
    assert timer.get_context() is ctx
    timer.cancel()
    handle.cancel()
    implicit = loop.call_soon(print)
    assert isinstance(implicit.get_context(), contextvars.Context)
    assert implicit.get_context() is not ctx
    implicit.cancel()


def test_call_soon_threadsafe_wakes_a_loop_waiting_on_a_far_timer(loop, run_forever_guarded):
    out = []
    running = threading.Event()

    def from_thread():
        running.wait(30)
        loop.call_soon_threadsafe(out.append, "from-thread")
        loop.call_soon_threadsafe(loop.stop)

    # The only other work is an hour away: the loop blocks in its poller until woken.
    far = loop.call_later(3600, out.append, "far")
    loop.call_soon(running.set)
    thread = threading.Thread(target=from_thread)
    thread.start()
    try:
        assert run_forever_guarded(loop, timeout=30), "call_soon_threadsafe did not wake the loop"
    finally:
        thread.join(30)
    far.cancel()
    assert out == ["from-thread"]


def test_call_soon_threadsafe_from_many_threads(loop, run_forever_guarded):
    received = []
    n_threads, per_thread = 4, 500

    def producer(t):
        for i in range(per_thread):
            loop.call_soon_threadsafe(received.append, (t, i))

    def check():
        if len(received) == n_threads * per_thread:
            loop.stop()
        else:
            loop.call_later(0.001, check)

    threads = [threading.Thread(target=producer, args=(t,)) for t in range(n_threads)]
    loop.call_soon(lambda: [th.start() for th in threads])
    loop.call_soon(check)
    try:
        assert run_forever_guarded(loop, timeout=30)
    finally:
        for th in threads:
            if th.ident is not None:
                th.join(30)
    assert len(received) == n_threads * per_thread
    for t in range(n_threads):
        # Each producer's callbacks keep its own order.
        assert [i for (tt, i) in received if tt == t] == list(range(per_thread))


def test_running_loop_is_visible_inside_callbacks(loop, run_once):
    seen = []

    def cb():
        seen.append(asyncio.get_running_loop())
        seen.append(asyncio.get_event_loop())
        seen.append(asyncio._get_running_loop())
        seen.append(loop.is_running())

    assert not loop.is_running()
    loop.call_soon(cb)
    run_once(loop)
    assert seen == [loop, loop, loop, True]
    assert not loop.is_running()
    assert asyncio._get_running_loop() is None
    with pytest.raises(RuntimeError, match="no running event loop"):
        asyncio.get_running_loop()


class Token:
    """A weak-referenceable argument, to see when the loop lets go of it."""


def test_arguments_are_released_once_the_callback_ran(loop, run_once):
    token = Token()
    ref = weakref.ref(token)
    loop.call_soon(lambda t: None, token)
    del token
    run_once(loop)
    assert ref() is None


def test_cancel_releases_the_callback_and_its_arguments(loop):
    token = Token()
    ref = weakref.ref(token)
    handle = loop.call_soon(print, token)
    del token
    handle.cancel()
    # asyncio drops the callback and its arguments at cancel(), not when the handle dies.
    assert ref() is None
    assert handle.cancelled()


def test_close_releases_pending_callbacks(loop):
    token = Token()
    ref = weakref.ref(token)
    loop.call_soon(print, token)
    loop.call_later(3600, print, token)
    del token
    loop.close()
    assert ref() is None


@pytest.mark.parametrize(
    "make_callback",
    [
        lambda out: functools.partial(out.append, "partial"),
        lambda out: type("Callable", (), {"__call__": lambda self: out.append("object")})(),
        lambda out: type("Recorder", (), {"method": lambda self: out.append("method")})().method,
    ],
    ids=["partial", "callable-object", "bound-method"],
)
def test_any_callable_is_accepted(loop, run_once, make_callback):
    out = []
    loop.call_soon(make_callback(out))
    run_once(loop)
    assert len(out) == 1


class Holder:
    """Keeps the handle of its own callback: a cycle through the handle."""

    def method(self):
        pass


def test_cycle_through_a_handle_that_ran_is_collected(loop, run_once):
    # cloop keeps queued handles out of the cyclic GC and must hand them back
    # to it when someone else still holds them.
    obj = Holder()
    obj.handle = loop.call_soon(obj.method)
    obj.timer = loop.call_later(0, obj.method)
    ref = weakref.ref(obj)
    run_once(loop)
    run_once(loop)
    del obj
    gc.collect()
    assert ref() is None


def test_cycle_through_pending_handles_is_collected_after_close(loop):
    obj = Holder()
    obj.handle = loop.call_soon(obj.method)
    obj.timer = loop.call_later(3600, obj.method)
    ref = weakref.ref(obj)
    del obj
    gc.collect()
    assert ref() is not None  # the loop still holds its callbacks
    loop.close()
    gc.collect()
    assert ref() is None


def test_garbage_loop_with_pending_handles_is_collected(loop_factory):
    # An unclosed loop dropped with callbacks pending, whose callbacks hold
    # the loop: the whole cycle is garbage.
    loop = loop_factory()
    obj = Holder()
    obj.loop = loop
    obj.handle = loop.call_soon(obj.method)
    loop.call_soon(obj.method)
    loop.call_later(3600, obj.method)
    refs = [weakref.ref(obj), weakref.ref(loop)]
    del obj, loop
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ResourceWarning)  # unclosed loop
        gc.collect()
        gc.collect()
    assert [r() for r in refs] == [None, None]


CYCLE_VAR = contextvars.ContextVar("cycle_var")


def test_cycle_through_a_callbacks_context_is_collected(loop, run_once):
    # The context copy made for a queued callback is kept out of the GC with
    # its handle on cloop; a cycle through a context variable's value must
    # still be found once the loop is done with the handle.
    def schedule():
        obj = Holder()
        CYCLE_VAR.set(obj)
        obj.handle = loop.call_soon(obj.method)
        obj.later = loop.call_later(3600, obj.method)
        return weakref.ref(obj)

    ref = contextvars.copy_context().run(schedule)
    gc.collect()
    assert ref() is not None  # queued: the loop holds it
    run_once(loop)
    loop.close()
    gc.collect()
    assert ref() is None


def test_context_of_a_handle_outlives_it(loop, run_once):
    token_holder = []

    def schedule():
        CYCLE_VAR.set("in the copy")
        return loop.call_soon(token_holder.append, 1)

    handle = contextvars.copy_context().run(schedule)
    ctx = handle.get_context() if hasattr(handle, "get_context") else handle._context
    run_once(loop)
    del handle
    gc.collect()
    assert token_holder == [1]
    assert ctx.run(CYCLE_VAR.get) == "in the copy"
    del ctx
    gc.collect()


def test_garbage_loop_with_a_cycle_through_callback_contexts(loop_factory):
    def schedule(loop):
        obj = Holder()
        obj.loop = loop
        CYCLE_VAR.set(obj)
        loop.call_soon(print)
        loop.call_later(3600, print)
        return weakref.ref(obj)

    loop = loop_factory()
    refs = [contextvars.copy_context().run(schedule, loop), weakref.ref(loop)]
    del loop
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ResourceWarning)  # unclosed loop
        gc.collect()
        gc.collect()
    assert [r() for r in refs] == [None, None]


@pytest.mark.skipif(not PY314, reason="events._ThreadSafeHandle is new in 3.14")
def test_call_soon_threadsafe_returns_a_thread_safe_handle(loop, run_once):
    from asyncio import events

    out = []
    handle = loop.call_soon_threadsafe(out.append, 1)
    assert isinstance(handle, events._ThreadSafeHandle)
    cancelled = loop.call_soon_threadsafe(out.append, 2)
    cancelled.cancel()
    assert cancelled.cancelled()
    run_once(loop)
    assert out == [1]


@pytest.mark.skipif(not PY314, reason="events._ThreadSafeHandle is new in 3.14")
def test_threadsafe_handle_cancel_waits_for_its_running_callback(
        loop, run_forever_guarded):
    started = threading.Event()
    finished = threading.Event()
    seen = []

    def callback():
        started.set()
        finished.wait(0.2)  # lets cancel() from the thread start waiting
        finished.set()

    def other_thread():
        handle = loop.call_soon_threadsafe(callback)
        started.wait(30)
        handle.cancel()  # waits until the callback has returned
        seen.append(finished.is_set())
        loop.call_soon_threadsafe(loop.stop)

    thread = threading.Thread(target=other_thread)
    thread.start()
    try:
        assert run_forever_guarded(loop, timeout=30)
    finally:
        thread.join(30)
    assert seen == [True]


def test_threadsafe_handle_cancelled_from_its_own_callback(loop, run_once):
    out = []
    box = []

    def callback():
        box[0].cancel()  # the callback's own handle: no deadlock
        out.append(box[0].cancelled())

    box.append(loop.call_soon_threadsafe(callback))
    run_once(loop)
    assert out == [True]


def test_threadsafe_handle_exception_goes_to_the_handler(loop, run_once):
    errors = []
    loop.set_exception_handler(lambda loop, ctx: errors.append(ctx))

    def boom():
        raise LookupError("from threadsafe")

    handle = loop.call_soon_threadsafe(boom)
    run_once(loop)
    assert len(errors) == 1
    assert isinstance(errors[0]["exception"], LookupError)
    assert errors[0]["handle"] is handle
