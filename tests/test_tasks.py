"""Tasks: loop.create_task() on asyncio (asyncio.Task) and on cloop (cloop.Task).

Every test body runs on both implementations through the ``loop`` fixture
(``loop.create_task()`` / ``asyncio.create_task()`` give the loop's own Task
type), so the expectations are asyncio's behaviour on the running Python.
Tests marked ``cloop_only`` check what only cloop has: its Task on a stock
asyncio loop, awaiting asyncio's futures, generator-based coroutines, and the
two ways cloop keeps asyncio's current-task registry.
"""

import asyncio
import contextvars
import gc
import io
import os
import re
import sys
import textwrap
import types
import weakref

import pytest

from support import PY312, PY313, PY314, collect, drain


cv = contextvars.ContextVar("cv", default="default")


async def value(v):
    return v


async def forever(loop):
    await loop.create_future()


# -- basics -------------------------------------------------------------------


def test_create_task_type_and_result(impl, loop, run_until):
    task = loop.create_task(value(3))
    if impl == "cloop":
        import cloop

        assert type(task) is cloop.Task
    else:
        assert type(task) is asyncio.Task
    assert asyncio.isfuture(task)
    assert task.get_loop() is loop and task._loop is loop
    assert not task.done()
    assert task._log_destroy_pending is True
    assert run_until(loop, task) == 3
    assert task.done() and task.result() == 3
    assert task._state == "FINISHED"
    assert task._fut_waiter is None


def test_get_coro(loop, run_until):
    coro = value(1)
    task = loop.create_task(coro)
    assert task.get_coro() is coro
    assert task._coro is coro
    run_until(loop, task)


def test_task_needs_a_coroutine(loop):
    cls = type(loop.create_task(value(0)))
    with pytest.raises(TypeError, match="a coroutine was expected, got 1"):
        cls(1, loop=loop)
    with pytest.raises(TypeError, match="a coroutine was expected"):
        loop.create_task(value)  # the function, not a coroutine
    drain(loop)


def test_task_constructor_arguments(loop, run_until):
    cls = type(loop.create_task(value(0)))
    ctx = contextvars.copy_context()
    by_keyword = cls(coro=value(1), loop=loop)
    full = cls(value(2), loop=loop, name="n", context=ctx)
    assert full.get_name() == "n"
    if PY312:
        assert full.get_context() is ctx
    sub = type("Sub", (cls,), {})
    subclass = sub(value(3), **{"loop": loop, "name": "sub"})
    assert type(subclass).__name__ == "Sub" and subclass.get_name() == "sub"
    bad = [lambda c: cls(), lambda c: cls(c, loop), lambda c: cls(c, loop=loop, bogus=1),
           lambda c: cls(c, c, loop=loop), lambda c: sub(c, **{"loop": loop, "bogus": 1}),
           lambda c: sub(c, loop, name="x")]
    for make in bad:
        coro = value(0)
        with pytest.raises(TypeError):
            make(coro)
        coro.close()
    results = [run_until(loop, t) for t in (by_keyword, full, subclass)]
    assert results == [1, 2, 3]


@pytest.mark.skipif(not PY312, reason="eager tasks are new in 3.12")
def test_task_constructor_eager_start(loop, run_until):
    cls = type(loop.create_task(value(0)))

    async def main():
        eager = cls(value(1), loop=loop, eager_start=True)
        lazy = cls(value(2), loop=loop, eager_start=False)
        truthy = cls(value(3), loop=loop, eager_start=[0])  # any object, as a bool
        seen = (eager.done(), lazy.done(), truthy.done())
        return seen, await lazy

    assert run_until(loop, main()) == ((True, False, True), 2)


@pytest.mark.skipif(not PY312, reason="eager tasks are new in 3.12")
def test_create_eager_task_factory_with_the_loops_task_class(impl, loop, run_until):
    cls = type(loop.create_task(value(0)))

    async def main():
        loop.set_task_factory(asyncio.create_eager_task_factory(cls))
        try:
            done_at_once = loop.create_task(value(1), name="eager")
            pending = loop.create_task(asyncio.sleep(0, "slept"))
            seen = (type(done_at_once) is cls, done_at_once.done(), done_at_once.get_name(),
                    pending.done())
            return seen, done_at_once.result(), await pending
        finally:
            loop.set_task_factory(None)

    assert run_until(loop, main()) == ((True, True, "eager", False), 1, "slept")


def test_task_is_hashable_and_weakrefable(loop, run_until):
    a, b = loop.create_task(value(1)), loop.create_task(value(2))
    assert len({a, b, a}) == 2 and a != b
    ref = weakref.ref(a)
    assert ref() is a
    assert isinstance(type(a)[int], types.GenericAlias)
    run_until(loop, asyncio.gather(a, b))


def test_set_result_and_set_exception_are_refused(loop, run_until):
    task = loop.create_task(value(1))
    with pytest.raises(RuntimeError, match="Task does not support set_result operation"):
        task.set_result(2)
    with pytest.raises(RuntimeError, match="Task does not support set_exception operation"):
        task.set_exception(ValueError())
    assert run_until(loop, task) == 1


def test_task_awaits_task(loop, run_until):
    async def outer():
        inner = asyncio.create_task(value("in"))
        return (await inner) + "-out"

    assert run_until(loop, outer()) == "in-out"


def test_many_steps(loop, run_until):
    async def steps(n):
        total = 0
        for i in range(n):
            await asyncio.sleep(0)
            total += i
        return total

    assert run_until(loop, steps(100)) == sum(range(100))


# -- names ----------------------------------------------------------------------


def test_default_names_count_up(loop, run_until):
    tasks = [loop.create_task(value(i)) for i in range(3)]
    numbers = []
    for t in tasks:
        m = re.fullmatch(r"Task-(\d+)", t.get_name())
        assert m, t.get_name()
        numbers.append(int(m.group(1)))
    assert numbers[1] == numbers[0] + 1 and numbers[2] == numbers[1] + 1
    run_until(loop, asyncio.gather(*tasks))


def test_names(loop, run_until):
    async def main():
        a = asyncio.create_task(value(1), name="alpha")
        b = loop.create_task(value(2), name=42)
        assert a.get_name() == "alpha"
        assert b.get_name() == "42"
        b.set_name(3.5)
        assert b.get_name() == "3.5"
        async with asyncio.TaskGroup() as tg:
            c = tg.create_task(value(3), name="gamma")
        assert c.get_name() == "gamma"
        return await a + await b

    assert run_until(loop, main()) == 3


# -- repr -----------------------------------------------------------------------


def test_repr(loop, run_until):
    async def sleeper(fut):
        await fut

    fut = loop.create_future()
    task = loop.create_task(sleeper(fut), name="T")
    assert re.fullmatch(
        r"<Task pending name='T' coro=<.*sleeper\(\) running at .+:\d+>>", repr(task)
    ), repr(task)
    drain(loop, 1)
    r = repr(task)
    assert "wait_for=<Future pending cb=[" in r, r
    task.cancel()
    assert repr(task).startswith("<Task cancelling name='T'")
    with pytest.raises(asyncio.CancelledError):
        run_until(loop, task)
    assert re.fullmatch(r"<Task cancelled name='T' coro=<.*sleeper\(\) done, defined at .+:\d+>>",
                        repr(task)), repr(task)

    task = loop.create_task(value(5), name="V")
    run_until(loop, task)
    assert repr(task).endswith(" result=5>")
    assert repr(task).startswith("<Task finished name='V' coro=<value() done")


def test_repr_exception(loop, run_until):
    async def boom():
        raise ValueError("bad")

    task = loop.create_task(boom(), name="E")
    with pytest.raises(ValueError):
        run_until(loop, task)
    assert repr(task).endswith(" exception=ValueError('bad')>")


# -- exceptions -----------------------------------------------------------------


def test_exception(loop, run_until):
    async def boom():
        await asyncio.sleep(0)
        raise KeyError("k")

    task = loop.create_task(boom())
    with pytest.raises(KeyError):
        run_until(loop, task)
    assert type(task.exception()) is KeyError
    assert task._exception is task.exception()
    with pytest.raises(KeyError):
        task.result()


def test_exception_from_awaited_future_reaches_coroutine(loop, run_until):
    async def main():
        fut = loop.create_future()
        loop.call_soon(fut.set_exception, ValueError("from future"))
        try:
            await fut
        except ValueError as e:
            return str(e)

    assert run_until(loop, main()) == "from future"


@pytest.mark.parametrize("exc_type", [KeyboardInterrupt, SystemExit])
def test_keyboard_interrupt_and_system_exit_stop_the_loop(loop, exc_type):
    async def boom():
        raise exc_type()

    task = loop.create_task(boom())
    with pytest.raises(exc_type):
        loop.run_until_complete(task)
    assert task.done()
    assert type(task.exception()) is exc_type


def test_exception_never_retrieved(loop, errors, run_until):
    async def boom():
        raise ValueError("lost")

    task = loop.create_task(boom())
    run_until(loop, asyncio.sleep(0))
    drain(loop)
    assert task.done()
    del task
    collect()
    assert len(errors) == 1
    assert errors[0]["message"] == "Task exception was never retrieved"
    assert type(errors[0]["exception"]) is ValueError


# -- cancellation -----------------------------------------------------------------


def test_cancel_with_message(loop, run_until):
    task = loop.create_task(forever(loop))
    drain(loop, 1)
    assert task.cancel("because") is True
    with pytest.raises(asyncio.CancelledError) as info:
        run_until(loop, task)
    assert info.value.args == ("because",)
    assert task.cancelled()
    assert task.cancel() is False


def test_cancel_while_awaiting_a_future(loop, run_until):
    fut = loop.create_future()

    async def waiter():
        await fut

    task = loop.create_task(waiter())
    drain(loop, 1)
    assert task._fut_waiter is fut
    task.cancel(msg="m")
    assert fut.cancelled()  # the waiter is cancelled, the task follows
    assert not task._must_cancel
    with pytest.raises(asyncio.CancelledError):
        run_until(loop, task)
    assert task.cancelled()


def test_cancel_before_first_step(loop, run_until):
    started = []

    async def body():
        started.append(True)

    task = loop.create_task(body())
    task.cancel()
    assert task._must_cancel is True
    with pytest.raises(asyncio.CancelledError):
        run_until(loop, task)
    assert started == []


def test_cancel_just_before_return(loop, run_until):
    async def body():
        asyncio.current_task().cancel("late")
        return 1

    task = loop.create_task(body())
    with pytest.raises(asyncio.CancelledError):
        run_until(loop, task)
    assert task.cancelled()


def test_cancelling_and_uncancel(loop, run_until):
    async def main():
        task = asyncio.create_task(forever(loop))
        await asyncio.sleep(0)
        assert task.cancelling() == 0
        task.cancel()
        task.cancel()
        assert task.cancelling() == 2
        assert task.uncancel() == 1
        assert task.uncancel() == 0
        assert task.uncancel() == 0
        with pytest.raises(asyncio.CancelledError):
            await task
        return task.cancelling()

    assert run_until(loop, main()) == 0


def test_swallowed_cancellation(loop, run_until):
    async def stubborn():
        try:
            await asyncio.sleep(10)
        except asyncio.CancelledError:
            return "survived"

    async def main():
        task = asyncio.create_task(stubborn())
        await asyncio.sleep(0)
        task.cancel()
        result = await task
        return result, task.cancelled(), task.cancelling()

    assert run_until(loop, main()) == ("survived", False, 1)


def test_uncancel_to_zero_and_pending_cancel(loop, run_until):
    ran = []

    async def body():
        ran.append(True)
        return "ran"

    task = loop.create_task(body())
    task.cancel()
    task.uncancel()
    if PY313:  # 3.13 forgets the pending cancellation at zero
        assert task._must_cancel is False
        assert run_until(loop, task) == "ran"
    else:
        assert task._must_cancel is True
        with pytest.raises(asyncio.CancelledError):
            run_until(loop, task)


def test_cancel_propagates_to_awaited_task(loop, run_until):
    async def main():
        inner = asyncio.create_task(forever(loop))

        async def outer_body():
            await inner

        outer = asyncio.create_task(outer_body())
        await asyncio.sleep(0)
        await asyncio.sleep(0)
        outer.cancel("stop")
        with pytest.raises(asyncio.CancelledError):
            await outer
        return inner.cancelled(), outer.cancelled()

    assert run_until(loop, main()) == (True, True)


def test_cancelled_error_raised_by_coroutine(loop, run_until):
    async def body():
        raise asyncio.CancelledError("own")

    task = loop.create_task(body())
    with pytest.raises(asyncio.CancelledError) as info:
        run_until(loop, task)
    assert task.cancelled()
    assert info.value.args == ("own",)


# -- contextvars ------------------------------------------------------------------


def test_task_runs_in_a_copy_of_the_context(loop, run_until):
    async def body():
        before = cv.get()
        cv.set("inside")
        await asyncio.sleep(0)
        return before, cv.get()

    token = cv.set("creator")
    try:
        task = loop.create_task(body())
    finally:
        cv.reset(token)
    assert run_until(loop, task) == ("creator", "inside")
    assert cv.get() == "default"


def test_explicit_context(loop, run_until):
    ctx = contextvars.copy_context()
    ctx.run(cv.set, "given")

    async def body():
        await asyncio.sleep(0)
        cv.set("changed")
        return "ok"

    task = loop.create_task(body(), context=ctx)
    if PY312:
        assert task.get_context() is ctx
    assert run_until(loop, task) == "ok"
    assert ctx[cv] == "changed"


def test_done_callbacks_of_tasks_get_their_context(loop, run_until):
    seen = []

    async def main():
        task = asyncio.create_task(value(1))
        cv.set("main")
        task.add_done_callback(lambda t: seen.append(cv.get()))
        await task
        await asyncio.sleep(0)

    run_until(loop, main())
    assert seen == ["main"]


# -- current_task / all_tasks -----------------------------------------------------


def test_current_task(loop, run_until):
    seen = {}

    async def body():
        seen["inside"] = asyncio.current_task()
        seen["inside_loop"] = asyncio.current_task(loop)
        loop.call_soon(lambda: seen.setdefault("callback", asyncio.current_task()))
        await asyncio.sleep(0)
        seen["after_switch"] = asyncio.current_task()

    task = loop.create_task(body())
    task.add_done_callback(lambda t: seen.setdefault("done_cb", asyncio.current_task(loop)))
    run_until(loop, task)
    drain(loop, 1)
    assert seen["inside"] is task and seen["inside_loop"] is task
    assert seen["after_switch"] is task
    assert seen["callback"] is None
    assert seen["done_cb"] is None
    assert asyncio.current_task(loop) is None


def test_all_tasks(loop, run_until):
    async def main():
        me = asyncio.current_task()
        waiting = [asyncio.create_task(forever(loop)) for _ in range(3)]
        finished = asyncio.create_task(value(0))
        await finished
        everything = asyncio.all_tasks()
        assert me in everything
        assert set(waiting) <= everything
        assert finished not in everything
        for t in waiting:
            t.cancel()
        await asyncio.gather(*waiting, return_exceptions=True)
        return asyncio.all_tasks() == {me}

    assert run_until(loop, main()) is True


# Before 3.14 asyncio registers every task in a weakref.WeakSet of asyncio.tasks
# (cloop adds to it and removes from it in C, as WeakSet.add and _remove do);
# 3.14 links native tasks, cloop's included, into a per-thread list instead.
needs_tasks_weakset = pytest.mark.skipif(PY314, reason="3.14+ keeps its tasks in a per-thread list")


def tasks_weakset():
    return getattr(asyncio.tasks, "_scheduled_tasks" if PY312 else "_all_tasks")


def dead_refs(ws):
    return [r for r in list(ws.data) if r() is None]


@needs_tasks_weakset
def test_registry_holds_tasks_weakly_and_forgets_the_dead(loop, run_until):
    ws = tasks_weakset()

    async def main():
        before = len(ws)
        tasks = [loop.create_task(value(i)) for i in range(5)]
        added = len(ws) - before
        listed = set(tasks) <= set(ws)
        await asyncio.gather(*tasks)
        refs = [weakref.ref(t) for t in tasks]
        del tasks
        await asyncio.sleep(0)  # this step's wake-up holds the last one
        gc.collect()
        return added, listed, [r() for r in refs]

    added, listed, alive = run_until(loop, main())
    assert (added, listed) == (5, True)
    assert alive == [None] * 5
    assert dead_refs(ws) == [] and ws._pending_removals == []


@needs_tasks_weakset
def test_task_dying_while_the_registry_is_iterated(loop, run_until):
    ws = tasks_weakset()

    async def main():
        # The guard is held while `it` waits; the item it yielded (the
        # main task) stays referenced by it, so the dying task comes after.
        it = iter(ws)
        next(it)
        task = loop.create_task(value(1))
        await task
        ref = weakref.ref(task)
        del task
        await asyncio.sleep(0)  # this step's wake-up holds the task
        gc.collect()
        seen = {"dead": ref() is None, "pending": len(ws._pending_removals),
                "dead_in_data": len(dead_refs(ws))}
        it.close()  # the guard's exit commits the pending removal
        seen["after"] = (len(ws._pending_removals), len(dead_refs(ws)))
        # A task added while a removal is pending commits it first.
        it = iter(ws)
        next(it)
        dying = loop.create_task(value(2))
        await dying
        del dying
        await asyncio.sleep(0)
        gc.collect()
        seen["pending_again"] = len(ws._pending_removals)
        added = loop.create_task(value(3))
        seen["after_add"] = (len(ws._pending_removals), len(dead_refs(ws)))
        await added
        it.close()
        return seen

    seen = run_until(loop, main())
    assert seen == {"dead": True, "pending": 1, "dead_in_data": 1, "after": (0, 0),
                    "pending_again": 1, "after_add": (0, 0)}


# -- awaiting wrong things --------------------------------------------------------


def test_task_cannot_await_itself(loop, run_until):
    async def body():
        await asyncio.current_task()

    task = loop.create_task(body())
    with pytest.raises(RuntimeError, match="Task cannot await on itself"):
        run_until(loop, task)


def test_future_of_another_loop(loop, loop_factory, run_until):
    other = loop_factory()
    try:
        foreign = other.create_future()

        async def body():
            await foreign

        task = loop.create_task(body())
        with pytest.raises(RuntimeError, match="attached to a different loop"):
            run_until(loop, task)
    finally:
        other.close()


def test_bad_yields(loop, run_until):
    @types.coroutine
    def yield_value():
        yield 42

    @types.coroutine
    def yield_future_directly(fut):
        yield fut  # not `yield from`: the future's blocking flag stays False

    @types.coroutine
    def yield_generator():
        yield (i for i in range(1))

    async def main():
        with pytest.raises(RuntimeError, match="Task got bad yield: 42"):
            await loop.create_task(_await(yield_value()))
        fut = loop.create_future()
        with pytest.raises(RuntimeError, match="yield was used instead of yield from in task"):
            await loop.create_task(_await(yield_future_directly(fut)))
        fut.cancel()
        with pytest.raises(RuntimeError, match="yield was used instead of yield from for generator"):
            await loop.create_task(_await(yield_generator()))

    run_until(loop, main())


async def _await(aw):
    return await aw


def test_bare_yield_reschedules(loop, run_until):
    order = []

    @types.coroutine
    def bare():
        yield

    async def a():
        order.append("a1")
        await bare()
        order.append("a2")

    async def b():
        order.append("b1")
        await bare()
        order.append("b2")

    async def main():
        await asyncio.gather(a(), b())

    run_until(loop, main())
    assert order == ["a1", "b1", "a2", "b2"]


# -- high-level asyncio on the loop's tasks ---------------------------------------


def test_gather(loop, run_until):
    async def boom():
        raise ValueError("g")

    async def main():
        assert await asyncio.gather(value(1), value(2), value(3)) == [1, 2, 3]
        res = await asyncio.gather(value(1), boom(), return_exceptions=True)
        assert res[0] == 1 and type(res[1]) is ValueError
        with pytest.raises(ValueError):
            await asyncio.gather(boom(), value(2))
        return True

    assert run_until(loop, main())


def test_gather_cancel_cancels_children(loop, run_until):
    async def main():
        children = [asyncio.create_task(forever(loop)) for _ in range(3)]
        g = asyncio.gather(*children)
        await asyncio.sleep(0)
        g.cancel("all")
        with pytest.raises(asyncio.CancelledError):
            await g
        return [c.cancelled() for c in children]

    assert run_until(loop, main()) == [True, True, True]


def test_gather_child_cancelled_by_its_coroutine(loop, run_until):
    # The child's CancelledError comes out of its coroutine, so the task's
    # _cancel_message stays None and gather reports CancelledError('').
    async def main():
        child = asyncio.create_task(forever(loop))
        g = asyncio.gather(child, return_exceptions=True)
        await asyncio.sleep(0)
        child.cancel("child msg")
        res = await g
        return type(res[0]), res[0].args

    assert run_until(loop, main()) == (asyncio.CancelledError, ("",))


def test_taskgroup_error_cancels_siblings(loop, run_until):
    cancelled = []

    async def sibling():
        try:
            await asyncio.sleep(10)
        except asyncio.CancelledError:
            cancelled.append(True)
            raise

    async def failing():
        await asyncio.sleep(0)
        raise ValueError("tg")

    async def main():
        with pytest.raises(ExceptionGroup) as info:
            async with asyncio.TaskGroup() as tg:
                tg.create_task(sibling())
                tg.create_task(sibling())
                tg.create_task(failing())
        assert [type(e) for e in info.value.exceptions] == [ValueError]
        return asyncio.current_task().cancelling()

    # 3.11 and 3.12 leave the parent's count at 1, 3.13 at 0, natively too.
    assert run_until(loop, main()) == (0 if PY313 else 1)
    assert cancelled == [True, True]


def test_taskgroup_results(loop, run_until):
    async def main():
        async with asyncio.TaskGroup() as tg:
            tasks = [tg.create_task(value(i)) for i in range(5)]
        return [t.result() for t in tasks]

    assert run_until(loop, main()) == list(range(5))


def test_timeout(loop, run_until):
    async def main():
        with pytest.raises(TimeoutError):
            async with asyncio.timeout(0):
                await loop.create_future()
        async with asyncio.timeout(10):
            await asyncio.sleep(0)
        return asyncio.current_task().cancelling()

    assert run_until(loop, main()) == 0


def test_wait_for(loop, run_until):
    async def main():
        assert await asyncio.wait_for(value(1), timeout=10) == 1
        fut = loop.create_future()
        with pytest.raises(TimeoutError):
            await asyncio.wait_for(fut, timeout=0.001)
        assert fut.cancelled()
        return True

    assert run_until(loop, main())


def test_shield(loop, run_until):
    async def main():
        inner_fut = loop.create_future()

        async def inner():
            return await inner_fut

        inner_task = asyncio.create_task(inner())
        outer = asyncio.create_task(_await(asyncio.shield(inner_task)))
        await asyncio.sleep(0)
        outer.cancel()
        with pytest.raises(asyncio.CancelledError):
            await outer
        assert not inner_task.cancelled()
        inner_fut.set_result("shielded")
        return await inner_task

    assert run_until(loop, main()) == "shielded"


def test_as_completed_order(loop, run_until):
    async def main():
        futs = [loop.create_future() for _ in range(3)]

        async def resolve():
            for i in (2, 0, 1):
                futs[i].set_result(i)
                await asyncio.sleep(0)

        resolver = asyncio.create_task(resolve())
        got = [await f for f in asyncio.as_completed(futs)]
        await resolver
        return got

    assert run_until(loop, main()) == [2, 0, 1]


def test_wait_first_completed(loop, run_until):
    async def main():
        slow = asyncio.create_task(forever(loop))
        fast = asyncio.create_task(value(1))
        done, pending = await asyncio.wait({slow, fast}, return_when=asyncio.FIRST_COMPLETED)
        slow.cancel()
        await asyncio.gather(slow, return_exceptions=True)
        return done == {fast}, pending == {slow}

    assert run_until(loop, main()) == (True, True)


def test_locks_queues_events(loop, run_until):
    async def main():
        q = asyncio.Queue()
        lock = asyncio.Lock()
        ev = asyncio.Event()
        out = []

        async def consumer():
            while (item := await q.get()) is not None:
                async with lock:
                    out.append(item)
            ev.set()

        c = asyncio.create_task(consumer())
        for i in range(5):
            await q.put(i)
        await q.put(None)
        await ev.wait()
        await c
        return out

    assert run_until(loop, main()) == [0, 1, 2, 3, 4]


# -- destruction ----------------------------------------------------------------


def test_destroyed_pending_task_is_reported(loop, errors):
    async def stuck():
        await loop.create_future()  # nobody else holds this future

    task = loop.create_task(stuck())
    drain(loop, 1)
    assert not task.done()
    del task
    collect()
    messages = [c["message"] for c in errors]
    assert messages == ["Task was destroyed but it is pending!"]
    assert "task" in errors[0]


def test_log_destroy_pending_can_be_turned_off(loop, errors):
    async def stuck():
        await loop.create_future()

    task = loop.create_task(stuck())
    drain(loop, 1)
    task._log_destroy_pending = False
    assert task._log_destroy_pending is False
    del task
    collect()
    assert errors == []


@pytest.mark.loop_errors_expected
def test_destroyed_pending_default_handler_logs(loop, caplog):
    async def stuck():
        await loop.create_future()

    task = loop.create_task(stuck(), name="STUCK")
    drain(loop, 1)
    del task
    with caplog.at_level("ERROR", logger="asyncio"):
        collect()
    assert "Task was destroyed but it is pending!" in caplog.text
    assert "STUCK" in caplog.text


def test_finished_tasks_are_freed(loop, run_until):
    refs = []

    async def main():
        for _ in range(20):
            t = asyncio.create_task(value(1))
            refs.append(weakref.ref(t))
            await t
        await asyncio.sleep(0)

    run_until(loop, main())
    collect()
    assert all(r() is None for r in refs)


# -- stacks -----------------------------------------------------------------------


def test_get_stack_and_print_stack(loop, run_until):
    async def suspended(fut):
        await fut

    fut = loop.create_future()
    task = loop.create_task(suspended(fut), name="S")
    drain(loop, 1)
    frames = task.get_stack()
    assert len(frames) == 1 and frames[0].f_code.co_name == "suspended"
    assert task.get_stack(limit=0) == []
    buf = io.StringIO()
    task.print_stack(file=buf)
    assert buf.getvalue().startswith("Stack for <Task pending name='S'")
    fut.set_result(None)
    run_until(loop, task)
    assert task.get_stack() == []

    async def fail():
        raise ValueError("tb")

    task = loop.create_task(fail())
    with pytest.raises(ValueError):
        run_until(loop, task)
    buf = io.StringIO()
    task.print_stack(file=buf)
    assert "Traceback for <Task finished" in buf.getvalue()
    assert "ValueError: tb" in buf.getvalue()


def test_source_traceback_in_debug_mode(loop, run_until):
    loop.set_debug(True)
    task = loop.create_task(value(1))
    tb = task._source_traceback
    assert isinstance(tb, list)
    assert tb[-1].filename == __file__
    run_until(loop, task)


# -- task factories and eager tasks ------------------------------------------------


def test_task_factory(loop, run_until):
    made = []

    def factory(loop, coro, **kwargs):
        task = asyncio.Task(coro, loop=loop, **kwargs)
        made.append(task)
        return task

    loop.set_task_factory(factory)
    assert loop.get_task_factory() is factory

    async def main():
        t = asyncio.create_task(value(4), name="named")
        assert type(t) is asyncio.Task and t.get_name() == "named"
        return await t

    assert run_until(loop, main()) == 4
    assert len(made) == 2  # main() itself and the child
    loop.set_task_factory(None)


def test_task_factory_receives_what_create_task_was_given(loop, run_until):
    calls = []

    def factory(loop, coro, **kwargs):
        calls.append(sorted(kwargs))
        kwargs.pop("extra", None)
        return asyncio.Task(coro, loop=loop, **kwargs)

    loop.set_task_factory(factory)
    try:
        t1 = loop.create_task(value(1))
        t2 = loop.create_task(value(2), name="two")
        if PY314:
            # 3.14 hands the factory the keywords as given, whatever they
            # are, and no longer calls set_name itself.
            t3 = loop.create_task(value(3), name=None, extra=True)
            assert run_until(loop, asyncio.gather(t1, t2, t3)) == [1, 2, 3]
            assert calls == [[], ["name"], ["extra", "name"]]
        else:
            assert run_until(loop, asyncio.gather(t1, t2)) == [1, 2]
            assert calls == [[], []]
        assert t2.get_name() == "two"
    finally:
        loop.set_task_factory(None)


@pytest.mark.skipif(not PY312, reason="eager tasks are new in 3.12")
def test_eager_start(loop, run_until):
    order = []

    async def quick():
        order.append("quick ran")
        assert asyncio.current_task() is not None
        return "eager"

    async def slow():
        order.append("slow started")
        await asyncio.sleep(0)
        order.append("slow resumed")
        return "later"

    async def main():
        cls = type(asyncio.current_task())
        me = asyncio.current_task()
        t = cls(quick(), loop=loop, eager_start=True)
        assert t.done() and t.result() == "eager"
        assert asyncio.current_task() is me
        s = cls(slow(), loop=loop, eager_start=True)
        assert not s.done() and order == ["quick ran", "slow started"]
        assert s in asyncio.all_tasks()
        return await s

    assert run_until(loop, main()) == "later"


@pytest.mark.skipif(not PY312, reason="eager tasks are new in 3.12")
def test_eager_task_factory(loop, run_until):
    async def main():
        cls = type(asyncio.current_task())
        loop.set_task_factory(asyncio.create_eager_task_factory(cls))
        try:
            t = asyncio.create_task(value(9), name="E")
            assert t.done() and t.get_name() == "E"
            return t.result()
        finally:
            loop.set_task_factory(None)

    assert run_until(loop, main()) == 9


@pytest.mark.skipif(not PY312, reason="eager tasks are new in 3.12")
def test_asyncio_eager_task_factory_names_and_starts_tasks_as_asyncio_does(loop, run_until):
    # asyncio.eager_task_factory itself (cloop makes its tasks in C): the
    # first step runs inside create_task; 3.12 and 3.13 name the task after
    # that step (3.13 even when no name is given: "None"), 3.14 before it.
    seen = {}

    async def first_step(key):
        seen[key] = asyncio.current_task().get_name()
        await asyncio.sleep(0)
        return key

    async def main():
        loop.set_task_factory(asyncio.eager_task_factory)
        try:
            named = loop.create_task(first_step("named"), name="N")
            assert "named" in seen and not named.done()
            unnamed = loop.create_task(first_step("unnamed"))
            assert isinstance(named, asyncio.Task)
            assert named.get_name() == "N"
            if PY314:
                assert seen["named"] == "N"
            else:
                assert seen["named"].startswith("Task-")
            if PY313 and not PY314:
                assert unnamed.get_name() == "None"
            else:
                assert unnamed.get_name().startswith("Task-")
            ctx = contextvars.copy_context()
            in_ctx = loop.create_task(first_step("ctx"), context=ctx)
            assert in_ctx.get_context() is ctx
            return await asyncio.gather(named, unnamed, in_ctx)
        finally:
            loop.set_task_factory(None)

    assert run_until(loop, main()) == ["named", "unnamed", "ctx"]


@pytest.mark.skipif(not PY312, reason="eager tasks are new in 3.12")
def test_asyncio_eager_task_factory_and_eager_start(loop, run_until):
    # 3.14's factory takes eager_start= (False: a lazy task); before 3.14 the
    # factory refuses the keyword, as do create_task's unknown keywords.
    ran = []

    async def body():
        ran.append(1)

    async def main():
        loop.set_task_factory(asyncio.eager_task_factory)
        try:
            if PY314:
                lazy = loop.create_task(body(), eager_start=False)
                assert ran == [] and not lazy.done()
                await lazy
                assert ran == [1]
            else:
                coro = body()
                with pytest.raises(TypeError):
                    loop.create_task(coro, eager_start=False)
                coro.close()
            coro = body()
            with pytest.raises(TypeError):
                loop.create_task(coro, colour="blue")
            coro.close()
        finally:
            loop.set_task_factory(None)

    run_until(loop, main())


@pytest.mark.cloop_only
@pytest.mark.skipif(not PY312, reason="eager tasks are new in 3.12")
def test_asyncio_eager_task_factory_makes_cloop_tasks(loop, run_until):
    import cloop

    async def main():
        loop.set_task_factory(asyncio.eager_task_factory)
        try:
            task = loop.create_task(value(3))
            assert type(task) is cloop.Task and task.done()
            return task.result()
        finally:
            loop.set_task_factory(None)

    assert run_until(loop, main()) == 3


@pytest.mark.cloop_only
@needs_tasks_weakset
def test_cloop_registers_its_tasks_in_c(loop, run_until):
    """The WeakSet's add and _remove done in C: the weak reference's callback
    is cloop's, for cloop's tasks; asyncio's own tasks keep WeakSet's."""
    ws = tasks_weakset()

    async def main():
        mine = loop.create_task(value(1))
        native = asyncio.Task(value(2), loop=loop)
        callbacks = {r(): r.__callback__ for r in list(ws.data) if r() in (mine, native)}
        await asyncio.gather(mine, native)
        return callbacks[mine], callbacks[native]

    mine, native = run_until(loop, main())
    assert native == ws._remove
    assert mine != ws._remove and mine.__name__ == "_remove"
    assert type(mine).__name__ == "builtin_function_or_method"


# -- cloop's Task outside the common case ------------------------------------------


@pytest.mark.cloop_only
def test_cloop_task_awaits_asyncio_future(loop, run_until):
    async def body():
        fut = asyncio.Future(loop=loop)  # asyncio's own C Future
        loop.call_soon(fut.set_result, "native")
        first = await fut
        fut2 = asyncio.Future(loop=loop)
        asyncio.current_task().get_loop().call_soon(asyncio.current_task().cancel, "c")
        try:
            await fut2
        except asyncio.CancelledError:
            return first, fut2.cancelled()

    assert run_until(loop, body()) == ("native", True)


@pytest.mark.cloop_only
def test_cloop_task_awaits_asyncio_task(loop, run_until):
    async def main():
        native = asyncio.Task(value("from native"), loop=loop)
        return await native

    assert run_until(loop, main()) == "from native"


@pytest.mark.cloop_only
def test_cloop_task_on_asyncio_loop():
    import cloop

    loop = asyncio.new_event_loop()
    seen = {}

    async def child(i):
        await asyncio.sleep(0)
        return i

    async def main():
        me = asyncio.current_task()
        seen["current"] = me
        fut = cloop.Future(loop=loop)
        loop.call_soon(fut.set_result, "f")
        seen["fut"] = await fut
        inner = cloop.Task(child(5), loop=loop)
        seen["inner"] = await inner
        seen["gather"] = await asyncio.gather(child(1), child(2))
        async with asyncio.timeout(10):
            await asyncio.sleep(0)
        async with asyncio.TaskGroup() as tg:
            t = tg.create_task(child(3))
        seen["tg"] = t.result()
        stuck = cloop.Task(forever(loop), loop=loop)
        await asyncio.sleep(0)
        stuck.cancel()
        with pytest.raises(asyncio.CancelledError):
            await stuck
        return "done"

    try:
        task = cloop.Task(main(), loop=loop)
        assert loop.run_until_complete(task) == "done"
    finally:
        loop.close()
    assert seen["current"] is task
    assert (seen["fut"], seen["inner"], seen["gather"], seen["tg"]) == ("f", 5, [1, 2], 3)


def test_generator_based_coroutines(loop, run_until):
    @types.coroutine
    def legacy():
        yield from asyncio.sleep(0).__await__()
        return "legacy"

    def plain_generator(fut):
        return (yield from fut)

    async def awaits_legacy():
        return await legacy()

    assert run_until(loop, awaits_legacy()) == "legacy"
    fut = loop.create_future()
    loop.call_soon(fut.set_result, 7)
    if PY312:  # no generator is a Task's coroutine, @types.coroutine or not
        for gen in (legacy(), plain_generator(fut)):
            with pytest.raises(TypeError, match="a coroutine was expected"):
                loop.create_task(gen)
            gen.close()
    else:  # 3.11: any generator is (CPython's test_cancel_gather_1 needs it)
        assert run_until(loop, loop.create_task(legacy())) == "legacy"
        assert run_until(loop, loop.create_task(plain_generator(fut))) == 7

        async def gather_one():
            other = loop.create_future()
            loop.call_soon(other.set_result, 8)
            return await asyncio.gather(plain_generator(other))

        assert run_until(loop, gather_one()) == [8]


@pytest.mark.cloop_only
def test_create_task_rejects_unknown_keywords(loop):
    coro = value(1)
    with pytest.raises(TypeError, match="unexpected keyword argument 'bogus'"):
        loop.create_task(coro, bogus=1)
    coro.close()


@pytest.mark.cloop_only
@pytest.mark.skipif(not PY312, reason="eager tasks are new in 3.12")
def test_create_task_eager_start(loop, run_until):
    async def main():
        t = loop.create_task(value(2), eager_start=True)
        return t.done(), t.result()

    assert run_until(loop, main()) == (True, 2)


@pytest.mark.cloop_only
@pytest.mark.parametrize("mode", ["dict", "call"])
def test_registry_modes(loop, run_until, errors, mode):
    from cloop import _cloop

    previous = _cloop._taskreg_mode()
    try:
        try:
            _cloop._taskreg_mode(mode)
        except ValueError:
            pytest.skip("asyncio keeps no current-task dict on this Python")
        assert _cloop._taskreg_mode() == mode

        async def body():
            me = asyncio.current_task()
            await asyncio.sleep(0)
            async with asyncio.timeout(10):
                await asyncio.sleep(0)
            return me is asyncio.current_task()

        assert run_until(loop, body()) is True

        # Another task is current: the step refuses to enter, as asyncio's.
        # (Entered from a callback: 3.14 refuses a loop that is not running.)
        intruder = loop.create_future()
        loop.call_soon(asyncio.tasks._enter_task, loop, intruder)
        task = loop.create_task(body())
        loop.call_soon(asyncio.tasks._leave_task, loop, intruder)
        drain(loop, 1)
        assert len(errors) == 1
        assert "Cannot enter into task" in str(errors[0]["exception"])
        assert not task.done()
        task._log_destroy_pending = False
        task.get_coro().close()
        intruder.cancel()
    finally:
        _cloop._taskreg_mode(previous)


# -- memory -----------------------------------------------------------------------

RSS_SCRIPT = textwrap.dedent(
    """
    import asyncio, gc, os, sys
    impl = sys.argv[1]
    if impl == "cloop":
        import cloop
        loop = cloop.new_event_loop()
    else:
        loop = asyncio.new_event_loop()

    def rss():
        with open("/proc/self/statm") as f:
            return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")

    async def short(i):
        if i % 3 == 0:
            await asyncio.sleep(0)
        fut = asyncio.get_running_loop().create_future()
        asyncio.get_running_loop().call_soon(fut.set_result, i)
        return await fut

    async def main(batches):
        for _ in range(batches):
            tasks = [asyncio.create_task(short(i)) for i in range(10_000)]
            await asyncio.gather(*tasks)

    loop.run_until_complete(main(10))
    gc.collect()
    after_100k = rss()
    loop.run_until_complete(main(90))
    gc.collect()
    after_1m = rss()
    loop.close()
    print(after_100k, after_1m)
    """
)


def test_a_million_tasks_do_not_grow_memory(impl, run_python):
    env = {}
    if "asan" in os.environ.get("LD_PRELOAD", ""):
        # AddressSanitizer holds freed memory in quarantine: turn it off.
        env["ASAN_OPTIONS"] = ":".join(
            filter(None, [os.environ.get("ASAN_OPTIONS"), "quarantine_size_mb=0",
                          "thread_local_quarantine_size_kb=0"])
        )
    result = run_python(RSS_SCRIPT, impl, env=env, timeout=300)
    assert result.returncode == 0, result.stderr
    after_100k, after_1m = map(int, result.stdout.split())
    # 900k more tasks may only cost allocator noise, not memory per task.
    assert after_1m - after_100k < 16 * 1024 * 1024, (after_100k, after_1m)


@pytest.mark.skipif(sys.version_info < (3, 15),
                    reason="asyncio checks Task(context=) from 3.15")
def test_context_must_be_a_context(loop):
    cls = type(loop.create_task(value(0)))
    coro = value(1)
    with pytest.raises(TypeError,
                       match="a contextvars.Context was expected, got str"):
        cls(coro, loop=loop, context="not a context")
    coro.close()
    drain(loop)


@pytest.mark.skipif(not PY312, reason="eager tasks are new in 3.12")
def test_failed_eager_start_leaves_the_loop_usable(impl, loop, run_until):
    if impl == "asyncio" and sys.version_info < (3, 15):
        pytest.skip("asyncio before 3.15 leaves the task that failed to "
                    "start as the current task and the loop stops stepping "
                    "tasks (gh-157301)")

    async def main():
        ctx = contextvars.copy_context()
        me = asyncio.current_task()
        cls = type(me)

        def inside():
            coro = value(1)
            try:
                with pytest.raises(RuntimeError, match="already entered"):
                    cls(coro, loop=loop, context=ctx, eager_start=True)
            finally:
                coro.close()

        ctx.run(inside)
        assert asyncio.current_task() is me
        assert asyncio.all_tasks() == {me}
        await asyncio.sleep(0)
        return await asyncio.create_task(value(2))

    assert run_until(loop, main()) == 2
