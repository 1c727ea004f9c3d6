"""A program using cloop's public API in typical ways, for `mypy --strict`.

tests/test_typing.py type-checks it (cloop/_cloop.pyi and the annotations
of cloop/*.py) and runs it on cloop. The types are asserted by assignments
to annotated names, which mypy checks; no reveal_type. Not a test module
(pytest does not collect it).
"""
from __future__ import annotations

import asyncio
import io
import sys
import unittest
from collections.abc import Callable

import cloop


async def answer(delay: float = 0.0) -> int:
    await asyncio.sleep(delay)
    return 42


async def main() -> str:
    loop = asyncio.get_running_loop()
    task: asyncio.Task[int] = asyncio.create_task(answer())
    assert await task == 42
    fut: asyncio.Future[str] = loop.create_future()
    loop.call_soon(fut.set_result, "done")
    return await fut


def explicit_loop() -> None:
    loop: cloop.Loop = cloop.new_event_loop()
    as_asyncio: asyncio.AbstractEventLoop = loop
    try:
        # cloop's own types, usable as asyncio's.
        task: cloop.Task[int] = loop.create_task(answer(), name="answer")
        as_task: asyncio.Task[int] = task
        fut: cloop.Future[str] = loop.create_future()
        as_future: asyncio.Future[str] = fut
        result: int = loop.run_until_complete(as_task)
        assert result == 42 and task.get_name() == "answer"

        handle: cloop.Handle = loop.call_soon(fut.set_result, "soon")
        timer: cloop.TimerHandle = loop.call_later(0.01, print, "never")
        at: cloop.TimerHandle = loop.call_at(loop.time() + 10, print, "never")
        when: float = timer.when()
        timer.cancel()
        at.cancel()
        cancelled: bool = timer.cancelled()
        assert cancelled and when > 0 and not handle.cancelled()
        text: str = loop.run_until_complete(as_future)
        assert text == "soon"
        threadsafe: cloop.Handle = loop.call_soon_threadsafe(loop.stop)
        loop.run_forever()
        assert not threadsafe.cancelled()

        # A cloop loop where any asyncio loop goes.
        via_abc: asyncio.Handle = as_asyncio.call_soon(print, "never")
        via_abc.cancel()

        stats: cloop.LoopStats = loop.stats()
        iterations: int = stats.iterations
        utilization: float = stats.utilization
        longest: float | None = stats.longest_callback
        histogram: tuple[int, ...] = stats.lag_histogram
        summary: str = loop.stats(reset=True).format()
        assert iterations > 0 and 0.0 <= utilization <= 1.0
        assert longest is None or longest >= 0 and len(histogram) > 0
        assert summary

        reports: list[cloop.BlockingReport] = []
        watch: cloop.BlockingWatch = cloop.watch_blocking(
            loop, threshold=0.5, callback=reports.append)
        with watch:
            loop.run_until_complete(answer(0.001))
        for report in reports:
            blocked: float = report.blocked_for
            lines: str = report.format()
            assert blocked > 0 and lines

        out = io.StringIO()
        cloop.dump_tasks(loop, file=out)
        cloop.dump_tasks(file=out)
        assert "tasks on" in out.getvalue()
        debug: bool = loop.get_debug()
        assert not debug and not loop.is_running()
    finally:
        loop.close()
    closed: bool = loop.is_closed()
    assert closed


def factories() -> None:
    factory: Callable[[], asyncio.AbstractEventLoop] = cloop.new_event_loop
    cls_factory: Callable[[], cloop.Loop] = cloop.Loop
    text: str = cloop.run(main())
    assert text == "done"
    value: int = cloop.run(answer(), debug=False)
    assert value == 42
    with asyncio.Runner(loop_factory=cloop.new_event_loop) as runner:
        assert runner.run(main()) == "done"
        assert isinstance(runner.get_loop(), cloop.Loop)
    with asyncio.Runner(loop_factory=cls_factory) as runner:
        assert runner.run(answer()) == 42
    if sys.version_info >= (3, 12):
        assert asyncio.run(main(), loop_factory=cloop.new_event_loop) == "done"
        assert asyncio.run(answer(), loop_factory=factory) == 42


class OnCloop(unittest.IsolatedAsyncioTestCase):
    if sys.version_info >= (3, 13):
        loop_factory = cloop.new_event_loop

    async def test_answer(self) -> None:
        self.assertEqual(await answer(), 42)


class OnCloopClass(unittest.IsolatedAsyncioTestCase):
    if sys.version_info >= (3, 13):
        loop_factory = cloop.Loop

    async def test_answer(self) -> None:
        self.assertEqual(await answer(), 42)


def test_cases() -> None:
    suite = unittest.TestSuite([OnCloop("test_answer"),
                                OnCloopClass("test_answer")])
    result = unittest.TextTestRunner(stream=io.StringIO()).run(suite)
    assert result.wasSuccessful(), result


if __name__ == "__main__":
    explicit_loop()
    factories()
    test_cases()
    version: str = cloop.__version__
    print(f"cloop {version}: typing sample ran")
