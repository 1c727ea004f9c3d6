"""cloop's Task and Future are asyncio.Task and asyncio.Future.

cloop.Task subclasses asyncio's C Task and cloop.Future its C Future
(csrc/asyncio_base.h), so isinstance() holds, instances take attributes
and weak references as asyncio's do, asyncio's registry keeps them where
it keeps its own tasks, and on 3.14+ asyncio's call-graph tools (in the
process and from another one) see them exactly as asyncio's.
"""
import asyncio
import concurrent.futures
import gc
import re
import subprocess
import sys
import textwrap
import weakref

import pytest

from conftest import SUBPROCESS_TIMEOUT, import_cloop, subprocess_env
from support import PY314

needs_call_graph = pytest.mark.skipif(
    not PY314, reason="asyncio's call graph is new in 3.14")


async def value(x):
    await asyncio.sleep(0)
    return x


def test_create_task_and_future_are_asyncios(impl, loop, run_until):
    fut = loop.create_future()
    task = loop.create_task(value(1))
    assert isinstance(fut, asyncio.Future)
    assert isinstance(task, asyncio.Task) and isinstance(task, asyncio.Future)
    if impl == "cloop":
        cloop = import_cloop()
        assert type(fut) is cloop.Future and type(task) is cloop.Task
    assert run_until(loop, task) == 1
    fut.cancel()


def test_executor_and_gather_futures_are_asyncios(loop, run_until):
    async def main():
        outer = loop.run_in_executor(None, sum, (1, 2))
        assert isinstance(outer, asyncio.Future)
        empty = asyncio.gather()
        assert isinstance(empty, asyncio.Future)
        return await outer, await empty

    assert run_until(loop, main()) == (3, [])


def test_waiter_seen_by_an_isinstance_check_is_a_future(loop, run_until):
    """anyio decides from isinstance(task._fut_waiter, asyncio.Future)
    whether an item was already handed to a cancelled receiver."""
    seen = []

    async def waiter(fut):
        return await fut

    async def main():
        fut = loop.create_future()
        task = loop.create_task(waiter(fut))
        await asyncio.sleep(0)
        seen.append(isinstance(task._fut_waiter, asyncio.Future))
        fut.set_result(5)
        return await task

    assert run_until(loop, main()) == 5
    assert seen == [True]


def test_instances_take_attributes_and_weak_references(loop, run_until):
    fut = loop.create_future()
    task = loop.create_task(value(2))
    fut._refcycle = fut  # Tornado breaks cycles this way
    task.custom = "x"
    assert fut._refcycle is fut and task.custom == "x"
    assert weakref.ref(fut)() is fut and weakref.ref(task)() is task
    ref = weakref.ref(fut)
    del fut
    gc.collect()
    assert ref() is None
    assert run_until(loop, task) == 2


def test_tornado_style_future_checks(loop, run_until):
    """tornado.concurrent.is_future, used by IOLoop.add_future and
    gen.with_timeout."""
    def is_future(x):
        return isinstance(x, (concurrent.futures.Future, asyncio.Future))

    async def main():
        task = asyncio.ensure_future(asyncio.sleep(0))
        assert is_future(task) and is_future(loop.create_future())
        await task

    run_until(loop, main())


def test_default_tasks_are_asyncios_again_after_a_subclass_factory(
        loop, run_until):
    class MyTask(asyncio.Task):
        pass

    loop.set_task_factory(lambda loop, coro, **kw: MyTask(coro, loop=loop, **kw))
    mine = loop.create_task(value(1))
    loop.set_task_factory(None)
    again = loop.create_task(value(2))
    assert type(mine) is MyTask
    assert isinstance(again, asyncio.Task) and not isinstance(again, MyTask)
    assert run_until(loop, asyncio.gather(mine, again)) == [1, 2]


def test_python_subclasses_of_cloops_types(loop, run_until):
    cls_task = type(loop.create_task(value(0)))
    cls_fut = type(loop.create_future())

    class SubTask(cls_task):
        __slots__ = ("extra",)

    class SubFuture(cls_fut):
        pass

    t = SubTask(value(3), loop=loop)
    t.extra = 1
    f = SubFuture(loop=loop)
    f.set_result(4)
    assert isinstance(t, asyncio.Task) and isinstance(f, asyncio.Future)
    assert run_until(loop, t) == 3 and run_until(loop, f) == 4
    run_until(loop, asyncio.sleep(0))  # lets the first task finish too


# -- cloop's types override all of asyncio's --------------------------------


@pytest.mark.cloop_only
@pytest.mark.parametrize("kind", ["Future", "Task"])
def test_every_attribute_of_asyncios_type_is_cloops(kind):
    """A cloop object never exposes asyncio's implementation of a method or
    attribute: asyncio's part of the object is not cloop's state. The one
    exception is 3.14's _asyncio_awaited_by, which reads the awaited-by set
    asyncio's own functions keep in that part."""
    cloop = import_cloop()
    ours = getattr(cloop, kind)
    theirs = getattr(asyncio, kind)
    shared_by_design = {"_asyncio_awaited_by", "__doc__", "__module__"}
    names = set()
    for klass in theirs.__mro__[:-1]:
        names |= set(vars(klass))
    missing = sorted(
        name for name in names - shared_by_design
        if name not in vars(ours)
        and not any(name in vars(k) for k in ours.__mro__[:ours.__mro__.index(theirs)]))
    assert missing == []


@pytest.mark.cloop_only
def test_gc_sees_the_type_once_and_refcounts_balance(loop, run_until):
    cloop = import_cloop()
    before = sys.getrefcount(cloop.Future), sys.getrefcount(cloop.Task)
    for _ in range(200):
        loop.create_future().cancel()
        run_until(loop, loop.create_task(value(0)))
    gc.collect()
    assert (sys.getrefcount(cloop.Future), sys.getrefcount(cloop.Task)) == before
    fut = loop.create_future()
    task = loop.create_task(value(0))
    assert gc.get_referents(fut).count(cloop.Future) == 1
    assert gc.get_referents(task).count(cloop.Task) == 1
    fut.cancel()
    run_until(loop, task)


@pytest.mark.cloop_only
def test_a_cycle_through_asyncios_part_is_collected(loop, run_until):
    """The instance dict lives in asyncio's part of the object: cycles
    through it are found (asyncio's traverse runs after cloop's)."""
    fut = loop.create_future()
    fut.me = fut
    task = loop.create_task(value(0))
    task.me = task
    run_until(loop, task)
    refs = weakref.ref(fut), weakref.ref(task)
    del fut, task
    gc.collect()
    assert refs[0]() is None and refs[1]() is None


# -- 3.14's call graph ----------------------------------------------------


def _scrub(text):
    return re.sub(r"0x[0-9a-f]+", "ID", text)


@needs_call_graph
def test_capture_call_graph_matches_asyncio(loop, run_until):
    async def leaf():
        await asyncio.sleep(0)
        return asyncio.format_call_graph()

    async def mid():
        return await asyncio.create_task(leaf(), name="leaf")

    async def main():
        graphs = await asyncio.gather(mid(), mid())
        return graphs[0]

    text = _scrub(run_until(loop, main()))
    expected = [
        "* Task(name='leaf', id=ID)",
        "  + Awaited by:",
        "    * Task(name='Task-", "      + Awaited by:",
        "        * Task(name='Task-",
    ]
    pos = 0
    for piece in expected:
        pos = text.index(piece, pos)
    for name in ("leaf", "mid", "main"):
        assert f"<locals>.{name}()" in text


@needs_call_graph
def test_awaited_by_is_recorded_and_discarded(loop, run_until):
    seen = {}

    async def child(fut):
        await fut

    async def main():
        fut = loop.create_future()
        me = asyncio.current_task()
        t = loop.create_task(child(fut))
        await asyncio.sleep(0)
        seen["fut"] = fut._asyncio_awaited_by
        g = asyncio.gather(t)
        await asyncio.sleep(0)
        seen["task"] = t._asyncio_awaited_by
        asyncio.future_add_to_awaited_by(fut, me)
        seen["added"] = fut._asyncio_awaited_by
        asyncio.future_discard_from_awaited_by(fut, me)
        fut.set_result(None)
        await g
        seen["after"] = fut._asyncio_awaited_by
        return t, me

    t, me = run_until(loop, main())
    assert seen["fut"] == frozenset({t})
    assert me in seen["task"]
    assert seen["added"] == frozenset({t, me})
    assert not seen["after"]


@needs_call_graph
@pytest.mark.cloop_only
def test_debugger_offsets_are_found():
    from cloop import _cloop

    info = _cloop._asyncio_debug_offsets()
    assert info["data_offset"] >= asyncio.Task.__basicsize__
    assert min(info["task_name"], info["task_coro"], info["task_is_task"]) > 0


@needs_call_graph
def test_all_tasks_sees_tasks_in_asyncios_task_list(loop, run_until):
    async def main():
        ts = [loop.create_task(asyncio.sleep(10)) for _ in range(3)]
        await asyncio.sleep(0)
        found = asyncio.all_tasks()
        for t in ts:
            t.cancel()
        await asyncio.gather(*ts, return_exceptions=True)
        return ts, found, asyncio.all_tasks()

    ts, found, after = run_until(loop, main())
    assert set(ts) <= found
    assert not set(ts) & after


PS_TARGET = textwrap.dedent("""\
    import asyncio, sys

    async def worker(n):
        await asyncio.sleep(3600)

    async def group():
        async with asyncio.TaskGroup() as tg:
            for i in range(2):
                tg.create_task(worker(i), name=f"worker-{i}")

    async def main():
        t = asyncio.create_task(group(), name="group")
        await asyncio.sleep(0.05)
        print("ready", flush=True)
        await t

    if sys.argv[1] == "cloop":
        import cloop
        cloop.run(main())
    else:
        asyncio.run(main())
    """)


def _inspect_from_outside(tmp_path, impl, command):
    script = tmp_path / "target.py"
    script.write_text(PS_TARGET)
    proc = subprocess.Popen([sys.executable, str(script), impl],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            env=subprocess_env(), cwd=str(tmp_path))
    try:
        assert proc.stdout.readline().strip() == b"ready"
        out = subprocess.run(
            [sys.executable, "-m", "asyncio", command, str(proc.pid)],
            capture_output=True, text=True, timeout=SUBPROCESS_TIMEOUT,
            env=subprocess_env())
    finally:
        proc.kill()
        proc.communicate()
    return out


@needs_call_graph
@pytest.mark.cloop_only
@pytest.mark.parametrize("command", ["pstree", "ps"])
def test_python_m_asyncio_reads_cloops_tasks_from_another_process(
        tmp_path, command):
    import_cloop()
    outputs = {}
    for impl in ("asyncio", "cloop"):
        out = _inspect_from_outside(tmp_path, impl, command)
        assert out.returncode == 0, out.stderr
        # Ids, the thread id and column padding differ between processes.
        text = _scrub(out.stdout)
        text = re.sub(r"^\d+", "TID", text, flags=re.M)
        outputs[impl] = [re.sub(r"\s+", " ", line).strip()
                         for line in text.splitlines()]
    assert outputs["cloop"] == outputs["asyncio"]
    assert any("worker-1" in line for line in outputs["cloop"])
    assert any("group" in line for line in outputs["cloop"])


EXIT_SCRIPT = textwrap.dedent("""\
    import asyncio, gc, sys
    gc.disable()  # keep the collector's list in creation order
    impl = sys.argv[1]
    if impl == "cloop":
        import cloop as mod
    else:
        mod = asyncio
    loop = mod.new_event_loop()

    async def wait_forever():
        await loop.create_future()

    task = loop.create_task(wait_forever())
    loop.call_soon(loop.stop)
    loop.run_forever()  # the task now waits on its future
    task._log_destroy_pending = sys.argv[2] == "report"
    loop.close()

    class Holder:  # as tornado.ioloop.IOLoop._pending_tasks
        pending = {task}

    del task, loop, wait_forever, Holder, mod
    # What finalize_modules() does at exit: nothing but garbage refers to
    # cloop's extension module, which is collected with the task.
    for name in [n for n in sys.modules if n.split(".")[0] == "cloop"]:
        sys.modules.pop(name).__dict__.clear()
    gc.collect()
    print("collected", flush=True)
    """)


@pytest.mark.parametrize("log", ["quiet", "report"])
def test_pending_task_collected_with_the_module_at_exit(impl, tmp_path, log):
    """A task still pending at interpreter exit can be collected in the same
    garbage collection as cloop's extension module, after the module's
    state is gone: its slots must not read the state (Tornado's suite
    crashed at exit on this)."""
    import_cloop()
    script = tmp_path / "exit.py"
    script.write_text(EXIT_SCRIPT)
    proc = subprocess.run([sys.executable, str(script), impl, log],
                          capture_output=True, text=True,
                          timeout=SUBPROCESS_TIMEOUT, env=subprocess_env())
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == "collected"
    reported = "Task was destroyed but it is pending!" in proc.stderr
    assert reported == (log == "report"), proc.stderr
