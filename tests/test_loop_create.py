"""create_future, create_task(name=, context=), set_task_factory / get_task_factory."""

import asyncio
import contextvars

import pytest

from support import PY314


VAR = contextvars.ContextVar("VAR", default="unset")


async def answer():
    await asyncio.sleep(0)
    return 42


def test_create_future(loop):
    fut = loop.create_future()
    assert asyncio.isfuture(fut)
    assert fut.get_loop() is loop
    assert not fut.done()
    loop.call_soon(fut.set_result, "done")
    assert loop.run_until_complete(fut) == "done"


def test_create_task(loop):
    task = loop.create_task(answer())
    assert asyncio.isfuture(task)
    assert task.get_loop() is loop
    assert not task.done()
    assert loop.run_until_complete(task) == 42


def test_create_task_name(loop):
    task = loop.create_task(answer(), name="the-answer")
    assert task.get_name() == "the-answer"
    loop.run_until_complete(task)

    unnamed = loop.create_task(answer())
    assert unnamed.get_name().startswith("Task-")
    loop.run_until_complete(unnamed)


def test_create_task_context(loop):
    ctx = contextvars.copy_context()
    ctx.run(VAR.set, "task-ctx")

    async def read_and_write():
        before = VAR.get()
        VAR.set("set-by-task")
        await asyncio.sleep(0)
        return before, VAR.get()

    task = loop.create_task(read_and_write(), context=ctx)
    assert loop.run_until_complete(task) == ("task-ctx", "set-by-task")
    assert ctx[VAR] == "set-by-task"
    assert VAR.get() == "unset"


def test_create_task_copies_the_current_context(loop):
    async def read_and_write():
        before = VAR.get()
        VAR.set("changed-in-task")
        return before

    def make():
        VAR.set("creator")
        return loop.create_task(read_and_write())

    task = contextvars.copy_context().run(make)
    assert loop.run_until_complete(task) == "creator"
    assert VAR.get() == "unset"


def test_current_task_inside_a_task(loop):
    async def who():
        return asyncio.current_task()

    task = loop.create_task(who())
    assert loop.run_until_complete(task) is task


def test_task_factory_defaults_to_none(loop):
    assert loop.get_task_factory() is None


def test_task_factory_is_called(loop):
    calls = []

    def factory(lp, coro, **kwargs):
        calls.append((lp, kwargs))
        return asyncio.Task(coro, loop=lp, **kwargs)

    assert loop.set_task_factory(factory) is None
    assert loop.get_task_factory() is factory
    task = loop.create_task(answer(), name="made-by-factory")
    assert isinstance(task, asyncio.Task)
    assert task.get_name() == "made-by-factory"
    assert loop.run_until_complete(task) == 42
    # 3.14 hands the factory create_task's keywords; before, set_name.
    assert calls == [(loop, {"name": "made-by-factory"} if PY314 else {})]

    # run_until_complete() wraps a coroutine through create_task(), hence the factory.
    assert loop.run_until_complete(answer()) == 42
    assert len(calls) == 2

    loop.set_task_factory(None)
    assert loop.get_task_factory() is None
    loop.run_until_complete(answer())
    assert len(calls) == 2


def test_task_factory_receives_the_context(loop):
    calls = []
    ctx = contextvars.copy_context()

    def factory(lp, coro, **kwargs):
        calls.append(kwargs)
        return asyncio.Task(coro, loop=lp, **kwargs)

    loop.set_task_factory(factory)
    loop.run_until_complete(loop.create_task(answer(), context=ctx))
    assert calls == [{"context": ctx}]


@pytest.mark.parametrize("bad", [42, "factory", object()], ids=["int", "str", "object"])
def test_set_task_factory_rejects_non_callables(loop, bad):
    with pytest.raises(TypeError, match="^task factory must be a callable or None$"):
        loop.set_task_factory(bad)
    assert loop.get_task_factory() is None


def test_is_an_abstract_event_loop(loop):
    assert isinstance(loop, asyncio.AbstractEventLoop)


def test_loop_repr_mentions_its_state(loop):
    text = repr(loop)
    assert "running=False" in text
    assert "closed=False" in text
    loop.close()
    assert "closed=True" in repr(loop)
