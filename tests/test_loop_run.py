"""run_forever / run_until_complete / stop / close, running-loop rules, runners, Ctrl-C."""

import asyncio
import gc
import signal
import subprocess
import sys

import pytest

from conftest import SUBPROCESS_TIMEOUT, subprocess_env


async def return_value(value):
    await asyncio.sleep(0)
    return value


class Awaitable:
    """Neither a future nor a coroutine, but awaitable."""

    def __init__(self, value):
        self.value = value

    def __await__(self):
        yield from asyncio.sleep(0).__await__()
        return self.value


# --- run_until_complete --------------------------------------------------------------


def test_run_until_complete_with_a_future(loop):
    fut = loop.create_future()
    loop.call_soon(fut.set_result, "future-result")
    assert loop.run_until_complete(fut) == "future-result"
    assert not loop.is_running()


def test_run_until_complete_with_a_coroutine(loop):
    assert loop.run_until_complete(return_value("coro-result")) == "coro-result"


def test_run_until_complete_with_a_task(loop):
    task = loop.create_task(return_value("task-result"))
    assert loop.run_until_complete(task) == "task-result"
    assert task.done()


def test_run_until_complete_with_another_awaitable(loop):
    assert loop.run_until_complete(Awaitable("awaitable-result")) == "awaitable-result"


@pytest.mark.parametrize("bad", [42, None, "string", print], ids=["int", "None", "str", "function"])
def test_run_until_complete_rejects_non_awaitables(loop, bad):
    with pytest.raises(TypeError, match="An asyncio.Future, a coroutine or an awaitable is required"):
        loop.run_until_complete(bad)
    assert not loop.is_running()


def test_run_until_complete_with_a_done_future(loop):
    fut = loop.create_future()
    fut.set_result(7)
    assert loop.run_until_complete(fut) == 7


def test_run_until_complete_raises_the_exception(loop):
    async def fail():
        await asyncio.sleep(0)
        raise LookupError("from coroutine")

    with pytest.raises(LookupError, match="from coroutine"):
        loop.run_until_complete(fail())

    fut = loop.create_future()
    loop.call_soon(fut.set_exception, KeyError("from future"))
    with pytest.raises(KeyError, match="from future"):
        loop.run_until_complete(fut)


def test_run_until_complete_with_a_cancelled_future(loop):
    fut = loop.create_future()
    loop.call_soon(fut.cancel)
    with pytest.raises(asyncio.CancelledError):
        loop.run_until_complete(fut)


def test_run_until_complete_with_a_future_of_another_loop(loop, loop_factory):
    other = loop_factory()
    try:
        fut = other.create_future()
        with pytest.raises(ValueError, match="The future belongs to a different loop"):
            loop.run_until_complete(fut)
    finally:
        other.close()


def test_run_until_complete_stopped_before_the_future_completed(loop):
    fut = loop.create_future()
    loop.call_soon(loop.stop)
    with pytest.raises(RuntimeError, match=r"^Event loop stopped before Future completed\.$"):
        loop.run_until_complete(fut)
    assert not fut.done()
    assert not loop.is_running()
    # The loop can be run again to finish the job.
    loop.call_soon(fut.set_result, "later")
    assert loop.run_until_complete(fut) == "later"


def test_run_until_complete_future_completed_from_another_thread(loop, run_until):
    import threading

    fut = loop.create_future()
    thread = threading.Thread(target=lambda: loop.call_soon_threadsafe(fut.set_result, "t"))
    loop.call_soon(thread.start)
    try:
        assert run_until(loop, fut) == "t"
    finally:
        thread.join(30)


def test_run_until_complete_propagates_base_exceptions(loop):
    async def interrupt():
        await asyncio.sleep(0)
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        loop.run_until_complete(interrupt())
    assert not loop.is_running()
    assert loop.run_until_complete(return_value("still usable")) == "still usable"


# --- run_forever and stop ------------------------------------------------------------


def test_run_forever_until_stop_and_again(loop):
    out = []
    loop.call_soon(lambda: (out.append("first run"), loop.stop()))
    loop.run_forever()
    loop.call_soon(lambda: (out.append("second run"), loop.stop()))
    loop.run_forever()
    assert out == ["first run", "second run"]


def test_is_running_and_running_loop_state(loop):
    seen = []

    async def inside():
        seen.append((loop.is_running(), asyncio.get_running_loop() is loop))

    assert not loop.is_running()
    loop.run_until_complete(inside())
    assert seen == [(True, True)]
    assert not loop.is_running()
    assert asyncio._get_running_loop() is None


@pytest.mark.parametrize("exc_type", [SystemExit, KeyboardInterrupt])
def test_base_exception_in_callback_stops_run_forever_and_keeps_the_rest(loop, exc_type):
    out = []

    def boom():
        raise exc_type

    loop.call_soon(out.append, "before")
    loop.call_soon(boom)
    loop.call_soon(out.append, "after")
    with pytest.raises(exc_type):
        loop.run_forever()
    assert out == ["before"]
    assert not loop.is_running()
    assert asyncio._get_running_loop() is None
    # The callbacks behind the one that raised were not lost.
    loop.call_soon(loop.stop)
    loop.run_forever()
    assert out == ["before", "after"]


def test_asyncgen_hooks_installed_while_running_and_restored(loop, run_once):
    before = sys.get_asyncgen_hooks()
    during = []
    loop.call_soon(lambda: during.append(sys.get_asyncgen_hooks()))
    run_once(loop)
    assert sys.get_asyncgen_hooks() == before
    assert during[0].firstiter is not None
    assert during[0].finalizer is not None
    assert during[0] != before


# --- nested runs ---------------------------------------------------------------------
#
# On Python 3.13.0 a refused run_forever() still runs asyncio's clean-up, which forgets
# the outer loop's pending stop() and the running loop.  The nested callbacks therefore
# ask the outer loop to stop again after the refusal, and the tests assert only the
# refusal itself.


def test_nested_run_forever_is_refused(loop, run_once):
    errors = []

    def nested():
        try:
            loop.run_forever()
        except RuntimeError as exc:
            errors.append(str(exc))
        loop.stop()

    loop.call_soon(nested)
    run_once(loop)
    assert errors == ["This event loop is already running"]


def test_nested_run_until_complete_is_refused(loop, run_once):
    errors = []
    fut = loop.create_future()

    def nested():
        try:
            loop.run_until_complete(fut)
        except RuntimeError as exc:
            errors.append(str(exc))

    loop.call_soon(nested)
    run_once(loop)
    assert errors == ["This event loop is already running"]
    assert not fut.done()


def test_running_a_second_loop_inside_a_running_loop_is_refused(loop, loop_factory, run_once):
    other = loop_factory()
    errors = []
    fut = other.create_future()

    def nested():
        for call in (lambda: other.run_until_complete(fut), other.run_forever):
            try:
                call()
            except RuntimeError as exc:
                errors.append(str(exc))
        loop.stop()

    try:
        loop.call_soon(nested)
        run_once(loop)
    finally:
        other.close()
    assert errors == ["Cannot run the event loop while another loop is running"] * 2


# Python 3.13.0-3.13.2 ran run_forever's set-up inside its try, so the refusal's clean-up
# cleared the outer loop's running loop (gh-130145, fixed in 3.13.3); cloop keeps the
# fixed order on every version.
STOCK_REFUSAL_CLEARS_RUNNING_LOOP = (3, 13, 0) <= sys.version_info[:3] < (3, 13, 3)


def test_a_refused_nested_run_leaves_the_outer_task_running(impl, loop, loop_factory):
    if impl == "asyncio" and STOCK_REFUSAL_CLEARS_RUNNING_LOOP:
        pytest.xfail("gh-130145: this Python's asyncio clears the running loop")
    other = loop_factory()
    seen = []

    async def main():
        try:
            other.run_forever()
        except RuntimeError as exc:
            seen.append(str(exc))
        seen.append(asyncio.get_running_loop() is loop)
        seen.append(asyncio.current_task() is task)
        await asyncio.sleep(0)
        return "done"

    try:
        task = loop.create_task(main())
        assert loop.run_until_complete(task) == "done"
        # A task that failed its refused run leaves no task entered behind it.
        assert loop.run_until_complete(return_value("next")) == "next"
    finally:
        other.close()
    assert seen == ["Cannot run the event loop while another loop is running", True, True]


@pytest.mark.cloop_only
@pytest.mark.parametrize("outer", ["asyncio", "cloop"])
def test_asyncio_and_cloop_loops_refuse_to_nest_in_each_other(loop, outer, run_once):
    stock = asyncio.new_event_loop()
    outer_loop, inner_loop = (stock, loop) if outer == "asyncio" else (loop, stock)
    errors = []

    def nested():
        try:
            inner_loop.run_forever()
        except RuntimeError as exc:
            errors.append(str(exc))
        outer_loop.stop()

    try:
        outer_loop.call_soon(nested)
        run_once(outer_loop)
    finally:
        stock.close()
    assert errors == ["Cannot run the event loop while another loop is running"]


# --- close ---------------------------------------------------------------------------


def test_close_while_running_is_refused(loop, run_once):
    errors = []

    def close_it():
        try:
            loop.close()
        except RuntimeError as exc:
            errors.append(str(exc))

    loop.call_soon(close_it)
    run_once(loop)
    assert errors == ["Cannot close a running event loop"]
    assert not loop.is_closed()


def test_close_is_idempotent_and_drops_pending_callbacks(loop):
    out = []
    loop.call_soon(out.append, "never")
    loop.call_later(0, out.append, "never either")
    assert not loop.is_closed()
    loop.close()
    assert loop.is_closed()
    loop.close()
    assert loop.is_closed()
    assert out == []


async def _never_run():
    pass


CLOSED_LOOP_CALLS = {
    "call_soon": lambda loop: loop.call_soon(print),
    "call_soon_threadsafe": lambda loop: loop.call_soon_threadsafe(print),
    "call_later": lambda loop: loop.call_later(1, print),
    "call_at": lambda loop: loop.call_at(1, print),
    "run_forever": lambda loop: loop.run_forever(),
    "run_until_complete-future": lambda loop: loop.run_until_complete(loop.create_future()),
    "run_in_executor": lambda loop: loop.run_in_executor(None, print),
}


@pytest.mark.parametrize("call", CLOSED_LOOP_CALLS.values(), ids=CLOSED_LOOP_CALLS.keys())
def test_closed_loop_refuses_new_work(loop, call):
    loop.close()
    with pytest.raises(RuntimeError, match=r"^Event loop is closed$"):
        call(loop)


@pytest.mark.parametrize("method", ["create_task", "run_until_complete"])
def test_closed_loop_refuses_coroutines(loop, method):
    loop.close()
    coro = _never_run()
    try:
        with pytest.raises(RuntimeError, match=r"^Event loop is closed$"):
            getattr(loop, method)(coro)
    finally:
        coro.close()


# --- async generators ----------------------------------------------------------------


def test_shutdown_asyncgens_finalizes_unfinished_generators(loop):
    events = []

    async def agen():
        try:
            yield 1
            yield 2
        finally:
            events.append("finally")

    gens = []

    async def main():
        gen = agen()
        gens.append(gen)
        events.append(await gen.__anext__())

    loop.run_until_complete(main())
    assert events == [1]
    loop.run_until_complete(loop.shutdown_asyncgens())
    assert events == [1, "finally"]


def test_garbage_collected_async_generator_is_closed_on_the_loop(loop, run_until):
    events = []

    async def agen():
        try:
            yield 1
            yield 2
        finally:
            events.append(("finally", asyncio.get_running_loop() is loop))

    async def main():
        gen = agen()
        events.append(await gen.__anext__())
        del gen
        gc.collect()
        # The finalizer hook schedules aclose() as a task: give it a few iterations.
        for _ in range(10):
            await asyncio.sleep(0)

    run_until(loop, main())
    assert events == [1, ("finally", True)]


def test_shutdown_asyncgens_reports_a_failing_aclose(loop):
    contexts = []
    loop.set_exception_handler(lambda lp, ctx: contexts.append(ctx))

    async def agen():
        try:
            yield 1
        finally:
            raise ValueError("aclose failed")

    gens = []

    async def main():
        gen = agen()
        gens.append(gen)
        await gen.__anext__()

    loop.run_until_complete(main())
    loop.run_until_complete(loop.shutdown_asyncgens())
    assert len(contexts) == 1
    ctx = contexts[0]
    assert ctx["message"].startswith("an error occurred during closing of asynchronous generator")
    assert isinstance(ctx["exception"], ValueError)
    assert ctx["asyncgen"] is gens[0]


def test_async_generator_started_after_shutdown_asyncgens_warns(loop):
    async def agen():
        yield 1

    loop.run_until_complete(loop.shutdown_asyncgens())
    gen = agen()

    async def main():
        with pytest.warns(ResourceWarning, match="was scheduled after loop.shutdown_asyncgens"):
            await gen.__anext__()

    loop.run_until_complete(main())
    loop.run_until_complete(gen.aclose())


# --- runners -------------------------------------------------------------------------


@pytest.fixture
def closed_probe_loop(loop_factory):
    """The type of loop the implementation makes."""
    lp = loop_factory()
    lp.close()
    return type(lp)


def test_runner_with_loop_factory(loop_factory, closed_probe_loop):
    expected_type = closed_probe_loop
    made = []

    def factory():
        lp = loop_factory()
        made.append(lp)
        return lp

    async def main(x):
        await asyncio.sleep(0)
        return type(asyncio.get_running_loop()), x

    try:
        with asyncio.Runner(loop_factory=factory) as runner:
            assert runner.run(main(1)) == (expected_type, 1)
            assert runner.run(main(2)) == (expected_type, 2)
            assert runner.get_loop() is made[0]
        assert len(made) == 1
        assert made[0].is_closed()
    finally:
        for lp in made:
            if not lp.is_closed():
                lp.close()


def test_runner_type_check(closed_probe_loop, loop_factory):
    async def main():
        return type(asyncio.get_running_loop())

    with asyncio.Runner(loop_factory=loop_factory) as runner:
        assert runner.run(main()) is closed_probe_loop


@pytest.mark.skipif(sys.version_info < (3, 12), reason="asyncio.run(loop_factory=) is new in 3.12")
def test_run_with_loop_factory(loop_factory, closed_probe_loop):
    async def main():
        await asyncio.sleep(0)
        return type(asyncio.get_running_loop())

    assert asyncio.run(main(), loop_factory=loop_factory) is closed_probe_loop


# A loop nobody closed is closed by BaseEventLoop.__del__; with its objects frozen
# (gc.freeze(), as servers that fork do) that happens at the very end of the
# interpreter's exit, after the modules' globals were cleared.
NEVER_CLOSED = """\
import asyncio, gc, importlib, signal, sys
impl = importlib.import_module(sys.argv[1])
loop = impl.new_event_loop()
asyncio.set_event_loop(loop)
loop.run_until_complete(asyncio.sleep(0))
if sys.argv[2] == "handler":
    loop.add_signal_handler(signal.SIGUSR1, print)
gc.freeze()
"""


@pytest.mark.parametrize("handler", ["none", "handler"])
def test_a_loop_never_closed_is_closed_quietly_at_exit(impl, run_python, handler):
    result = run_python(NEVER_CLOSED, impl, handler)
    assert (result.returncode, result.stderr) == (0, "")


# --- Ctrl-C --------------------------------------------------------------------------

# A child started from a shell job may inherit SIGINT ignored; restore Python's default
# handler so the child behaves as one started from a terminal.
SIGINT_PRELUDE = """\
import asyncio, importlib, signal, sys
signal.signal(signal.SIGINT, signal.default_int_handler)
impl = importlib.import_module(sys.argv[1])
"""

SIGINT_RUN_UNTIL_COMPLETE = SIGINT_PRELUDE + """\
loop = impl.new_event_loop()
loop.call_soon(lambda: print("ready", flush=True))
try:
    loop.run_until_complete(asyncio.sleep(3600))
finally:
    loop.close()
print("not interrupted", flush=True)
"""

SIGINT_RUN = SIGINT_PRELUDE + """\
async def main():
    print("ready", flush=True)
    await asyncio.sleep(3600)

impl.run(main())
print("not interrupted", flush=True)
"""


@pytest.mark.parametrize("code", [SIGINT_RUN_UNTIL_COMPLETE, SIGINT_RUN], ids=["run_until_complete", "run"])
def test_ctrl_c_interrupts_a_sleeping_loop(impl, code, tmp_path):
    if impl == "cloop":
        from conftest import import_cloop

        import_cloop()
    with subprocess.Popen(
        [sys.executable, "-c", code, impl],
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        cwd=str(tmp_path),
        env=subprocess_env(),
    ) as proc:
        try:
            line = proc.stdout.readline()
            if line.strip() != "ready":
                proc.kill()
                out, err = proc.communicate()
                pytest.fail(f"child did not get ready: {line + out!r}\n{err}")
            proc.send_signal(signal.SIGINT)
            try:
                out, err = proc.communicate(timeout=SUBPROCESS_TIMEOUT)
            except subprocess.TimeoutExpired:
                pytest.fail("the loop did not react to SIGINT")
        finally:
            if proc.poll() is None:
                proc.kill()
                proc.communicate()
    assert proc.returncode != 0, (out, err)
    assert "KeyboardInterrupt" in err
    assert "not interrupted" not in out
