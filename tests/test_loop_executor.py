"""run_in_executor, the default executor, shutdown_default_executor."""

import asyncio
import concurrent.futures
import sys
import threading

import pytest


def whoami(*args):
    return threading.current_thread().name, threading.get_ident(), args


def test_run_in_executor_default_executor(loop, run_until):
    fut = loop.run_in_executor(None, whoami, 1, "two")
    assert asyncio.isfuture(fut)
    assert fut.get_loop() is loop
    name, ident, args = run_until(loop, fut)
    assert args == (1, "two")
    assert ident != threading.get_ident()
    assert name.startswith("asyncio")


def test_run_in_executor_reuses_the_default_executor(loop, run_until):
    async def main():
        results = await asyncio.gather(*(loop.run_in_executor(None, whoami) for _ in range(20)))
        return {name.rsplit("_", 1)[0] for name, _, _ in results}

    prefixes = run_until(loop, main())
    assert len(prefixes) == 1


def test_run_in_executor_propagates_exceptions(loop, run_until):
    def fail():
        raise LookupError("in executor")

    with pytest.raises(LookupError, match="in executor"):
        run_until(loop, loop.run_in_executor(None, fail))


def test_run_in_executor_with_an_explicit_executor(loop, run_until):
    with concurrent.futures.ThreadPoolExecutor(thread_name_prefix="explicit") as pool:
        name, _, args = run_until(loop, loop.run_in_executor(pool, whoami, "x"))
    assert name.startswith("explicit")
    assert args == ("x",)


def test_set_default_executor(loop, run_until):
    pool = concurrent.futures.ThreadPoolExecutor(thread_name_prefix="custom-default")
    try:
        assert loop.set_default_executor(pool) is None
        name, _, _ = run_until(loop, loop.run_in_executor(None, whoami))
        assert name.startswith("custom-default")
    finally:
        pool.shutdown(wait=True)


class NotAThreadPool(concurrent.futures.Executor):
    def submit(self, fn, /, *args, **kwargs):
        raise AssertionError("must not be used")


@pytest.mark.parametrize("bad", [NotAThreadPool(), object(), None], ids=["Executor", "object", "None"])
def test_set_default_executor_requires_a_thread_pool(loop, bad):
    with pytest.raises(TypeError, match="^executor must be ThreadPoolExecutor instance$"):
        loop.set_default_executor(bad)


def test_shutdown_default_executor(loop, run_until):
    run_until(loop, loop.run_in_executor(None, whoami))
    assert run_until(loop, loop.shutdown_default_executor()) is None
    with pytest.raises(RuntimeError, match="^Executor shutdown has been called$"):
        loop.run_in_executor(None, whoami)
    # An explicit executor still works.
    with concurrent.futures.ThreadPoolExecutor() as pool:
        run_until(loop, loop.run_in_executor(pool, whoami))


def test_shutdown_default_executor_without_one(loop, run_until):
    assert run_until(loop, loop.shutdown_default_executor()) is None
    with pytest.raises(RuntimeError, match="^Executor shutdown has been called$"):
        loop.run_in_executor(None, whoami)


def test_shutdown_default_executor_waits_for_running_work(loop, run_until):
    started = threading.Event()
    release = threading.Event()
    finished = []

    def work():
        started.set()
        release.wait(30)
        finished.append(True)

    loop.run_in_executor(None, work)
    assert started.wait(30)
    threading.Timer(0.05, release.set).start()
    run_until(loop, loop.shutdown_default_executor(), timeout=30)
    assert finished == [True]


@pytest.mark.skipif(sys.version_info < (3, 12), reason="the timeout argument is new in 3.12")
def test_shutdown_default_executor_timeout_argument(loop, run_until):
    run_until(loop, loop.run_in_executor(None, whoami))
    assert run_until(loop, loop.shutdown_default_executor(timeout=30)) is None


def test_close_refuses_further_executor_work(loop, run_until):
    run_until(loop, loop.run_in_executor(None, whoami))
    loop.close()
    with pytest.raises(RuntimeError, match="^Event loop is closed$"):
        loop.run_in_executor(None, whoami)


def test_runner_shuts_the_default_executor_down(loop_factory):
    seen = []

    async def main():
        loop = asyncio.get_running_loop()
        seen.append(loop)
        return await loop.run_in_executor(None, whoami)

    with asyncio.Runner(loop_factory=loop_factory) as runner:
        runner.run(main())
    with pytest.raises(RuntimeError):
        seen[0].run_in_executor(None, whoami)
