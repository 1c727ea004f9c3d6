"""Seeing inside the loop: loop.stats(), watch_blocking(), dump_tasks(),
and `python -m cloop --stats / --dump-tasks-on`.

Stats and the watchdog are cloop's own (asyncio has no equivalent), so those
tests are cloop_only; dump_tasks() works on any asyncio loop and runs on both.
No test asserts how fast anything is: times are only checked against lower
bounds that time.sleep() guarantees, or against each other.
"""
import asyncio
import io
import os
import socket
import sys
import textwrap
import threading
import time

import pytest

from conftest import SUBPROCESS_TIMEOUT, subprocess_env

pytestmark = pytest.mark.filterwarnings("error")


def _noop():
    pass


# -- loop.stats() ---------------------------------------------------------


@pytest.mark.cloop_only
def test_stats_is_a_snapshot_with_every_field(loop):
    import cloop

    stats = loop.stats()
    assert isinstance(stats, cloop.LoopStats)
    for name in ("iterations", "callbacks_run", "tasks_stepped",
                 "timers_scheduled", "timers_cancelled", "timers_fired",
                 "io_events", "fds_watched", "ready", "timers"):
        assert getattr(stats, name) == 0, name
    assert stats.utilization == 0.0
    assert stats.longest_callback is None
    with pytest.raises(AttributeError):
        stats.iterations = 5  # frozen: a snapshot, not a live view


@pytest.mark.cloop_only
def test_callback_and_iteration_counters(loop, run_once):
    for _ in range(10):
        loop.call_soon(_noop)
    assert loop.stats().ready == 10
    run_once(loop)
    stats = loop.stats()
    assert stats.callbacks_run == 10
    assert stats.iterations == 1
    assert stats.ready == 0


@pytest.mark.cloop_only
def test_timer_counters_and_lag_histogram(loop, run_forever_guarded):
    handles = [loop.call_later(0.001, _noop) for _ in range(6)]
    for handle in handles[:2]:
        handle.cancel()
    assert loop.stats().timers == 6
    loop.call_later(0.02, loop.stop)
    assert run_forever_guarded(loop)
    stats = loop.stats()
    # run_forever_guarded adds (and then cancels) one guard timer.
    assert stats.timers_scheduled == 7 + 1
    assert stats.timers_cancelled == 2 + 1
    assert stats.timers_fired == 5
    # The cancelled guard stays in the heap until an iteration purges it
    # (lazy removal, as asyncio's _scheduled does).
    assert stats.timers == 1
    assert sum(stats.lag_histogram) == stats.timers_fired
    assert 0.0 <= stats.lag_p50 <= stats.lag_p90 <= stats.lag_p99
    assert stats.lag_max >= 0.0


@pytest.mark.cloop_only
def test_io_counters(loop, run_forever_guarded):
    a, b = socket.socketpair()
    try:
        def on_readable():
            a.recv(100)
            loop.remove_reader(a)
            loop.stop()

        loop.add_reader(a, on_readable)
        assert loop.stats().fds_watched == 1
        b.send(b"x")
        assert run_forever_guarded(loop)
        stats = loop.stats()
        assert stats.io_events >= 1
        assert stats.fds_watched == 0
    finally:
        a.close()
        b.close()


@pytest.mark.cloop_only
def test_task_steps_are_counted(loop):
    async def hop():
        for _ in range(3):
            await asyncio.sleep(0)

    loop.run_until_complete(hop())
    stats = loop.stats()
    # Each step of the task is one ready entry, whatever Task class runs it.
    assert stats.callbacks_run >= 4


@pytest.mark.cloop_only
def test_reset_loses_no_count(loop, run_once):
    for _ in range(4):
        loop.call_soon(_noop)
    run_once(loop)
    first = loop.stats(reset=True)
    assert first.callbacks_run == 4
    assert loop.stats().callbacks_run == 0
    for _ in range(3):
        loop.call_soon(_noop)
    run_once(loop)
    second = loop.stats(reset=True)
    assert first.callbacks_run + second.callbacks_run == 7
    assert first.iterations + second.iterations == 2


@pytest.mark.cloop_only
def test_utilization_splits_run_time_into_busy_and_polling(loop):
    async def idle_then_busy():
        await asyncio.sleep(0.05)  # the loop waits in epoll: polling time
        time.sleep(0.05)           # the loop is blocked: busy time

    loop.run_until_complete(idle_then_busy())
    stats = loop.stats()
    assert stats.poll_time > 0
    assert stats.busy_time >= 0.05
    assert stats.busy_time + stats.poll_time == pytest.approx(stats.run_time)
    assert 0.0 < stats.utilization < 1.0
    assert stats.longest_busy >= 0.05
    assert stats.longest_callback is None  # measured in debug mode only


@pytest.mark.cloop_only
def test_longest_callback_in_debug_mode(loop, run_once):
    loop.set_debug(True)
    loop.slow_callback_duration = 10.0  # no slow-callback warning wanted
    loop.call_soon(time.sleep, 0.03)
    run_once(loop)
    assert loop.stats().longest_callback >= 0.03


@pytest.mark.cloop_only
def test_stats_format_is_readable(loop, run_once):
    loop.call_soon(_noop)
    run_once(loop)
    text = loop.stats().format()
    assert "callbacks 1" in text
    assert "utilization" in text


# -- watch_blocking() -----------------------------------------------------


def _collect_reports():
    reports = []
    return reports, reports.append


@pytest.mark.cloop_only
def test_watchdog_names_the_blocking_task_while_it_blocks(loop):
    import cloop

    reports, collect = _collect_reports()
    blocking_done = threading.Event()
    seen_while_blocked = []

    def record(report):
        seen_while_blocked.append(not blocking_done.is_set())
        collect(report)

    async def the_culprit():
        await asyncio.sleep(0)
        time.sleep(0.5)
        blocking_done.set()

    async def main():
        task = asyncio.create_task(the_culprit(), name="culprit-task")
        await task

    with cloop.watch_blocking(loop, threshold=0.1, callback=record):
        loop.run_until_complete(main())
    assert len(reports) == 1
    report = reports[0]
    assert seen_while_blocked == [True]
    assert report.task_name == "culprit-task"
    assert report.coro.endswith("the_culprit")
    assert report.blocked_for >= 0.1
    stack = "".join(report.stack)
    assert "the_culprit" in stack and "time.sleep(0.5)" in stack
    assert "culprit-task" in report.format()


@pytest.mark.cloop_only
def test_watchdog_reports_a_plain_callback(loop, run_once):
    import cloop

    reports, collect = _collect_reports()

    def stuck_callback():
        time.sleep(0.4)

    with cloop.watch_blocking(loop, threshold=0.1, callback=collect):
        loop.call_soon(stuck_callback)
        run_once(loop)
    assert len(reports) == 1
    assert reports[0].task is None
    assert "stuck_callback" in reports[0].callback
    assert "stuck_callback" in "".join(reports[0].stack)


@pytest.mark.cloop_only
def test_watchdog_finds_asyncio_tasks_too(loop):
    import cloop

    reports, collect = _collect_reports()
    loop.set_task_factory(lambda loop, coro, **kw: asyncio.Task(coro, loop=loop, **kw))

    async def stuck():
        time.sleep(0.4)

    with cloop.watch_blocking(loop, threshold=0.1, callback=collect):
        loop.run_until_complete(loop.create_task(stuck(), name="stock-task"))
    assert [r.task_name for r in reports] == ["stock-task"]


@pytest.mark.cloop_only
def test_watchdog_logs_without_a_callback(loop, run_once, caplog):
    import cloop

    with cloop.watch_blocking(loop, threshold=0.1):
        loop.call_soon(time.sleep, 0.4)
        run_once(loop)
    messages = [r.getMessage() for r in caplog.records if r.name == "cloop"]
    assert len(messages) == 1
    assert messages[0].startswith("Event loop blocked for")


@pytest.mark.cloop_only
def test_watchdog_is_quiet_for_short_callbacks(loop, run_forever_guarded):
    import cloop

    reports, collect = _collect_reports()

    async def many_short_steps():
        for _ in range(200):
            await asyncio.sleep(0.001)

    with cloop.watch_blocking(loop, threshold=0.2, callback=collect):
        loop.run_until_complete(many_short_steps())
    assert reports == []


def test_watchdog_refuses_bad_input(loop):
    import cloop

    if not hasattr(loop, "_blocking_probe"):
        with pytest.raises(TypeError):
            cloop.watch_blocking(loop)
        return
    with pytest.raises(ValueError):
        cloop.watch_blocking(loop, threshold=0)
    with pytest.raises(ValueError):
        cloop.watch_blocking(loop, threshold=-1)


# -- dump_tasks() ---------------------------------------------------------


def test_dump_tasks_shows_nested_awaits(loop):
    import cloop

    out = io.StringIO()

    async def innermost(fut):
        await fut

    async def middle(fut):
        await innermost(fut)

    async def outer(fut):
        await middle(fut)

    async def main():
        fut = loop.create_future()
        task = asyncio.create_task(outer(fut), name="deep-task")
        await asyncio.sleep(0)
        cloop.dump_tasks(file=out)
        fut.set_result(None)
        await task

    loop.run_until_complete(main())
    text = out.getvalue()
    assert "Task 'deep-task' (pending)" in text
    lines = text.splitlines()
    start = lines.index("Task 'deep-task' (pending)")
    chain = [line.strip() for line in lines[start + 1:start + 5]]
    assert chain[0].startswith(f"{outer.__qualname__} at ")
    assert chain[1].startswith(f"{middle.__qualname__} at ")
    assert chain[2].startswith(f"{innermost.__qualname__} at ")
    assert chain[3].startswith("awaiting <Future pending")


def test_dump_tasks_of_a_loop_that_is_not_running(loop):
    import cloop

    async def forever():
        await asyncio.sleep(3600)

    task = loop.create_task(forever(), name="parked")
    loop.run_until_complete(asyncio.sleep(0))
    out = io.StringIO()
    cloop.dump_tasks(loop, file=out)
    assert "Task 'parked' (pending)" in out.getvalue()
    task.cancel()
    loop.run_until_complete(asyncio.gather(task, return_exceptions=True))


# -- python -m cloop --stats / --dump-tasks-on ----------------------------


def _run_cloop(tmp_path, *args, script):
    path = tmp_path / "script.py"
    path.write_text(textwrap.dedent(script))
    import subprocess

    return subprocess.run(
        [sys.executable, "-m", "cloop", *args, str(path)],
        capture_output=True, text=True, timeout=SUBPROCESS_TIMEOUT,
        env=subprocess_env(), stdin=subprocess.DEVNULL, cwd=str(tmp_path))


@pytest.mark.cloop_only
def test_main_stats_option(tmp_path, impl):
    proc = _run_cloop(tmp_path, "--stats", script="""
        import asyncio
        async def main():
            await asyncio.sleep(0.01)
            print("done")
        asyncio.run(main())
    """)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout == "done\n"
    assert "cloop stats, loop 1 of 1:" in proc.stderr
    assert "utilization" in proc.stderr


@pytest.mark.cloop_only
def test_main_dump_tasks_on_signal(tmp_path, impl):
    proc = _run_cloop(tmp_path, "--dump-tasks-on", "SIGUSR1", script="""
        import asyncio, os, signal
        async def napper():
            await asyncio.sleep(3600)
        async def main():
            task = asyncio.create_task(napper(), name="napping-task")
            await asyncio.sleep(0)
            os.kill(os.getpid(), signal.SIGUSR1)
            await asyncio.sleep(0.05)
            task.cancel()
        asyncio.run(main())
    """)
    assert proc.returncode == 0, proc.stderr
    assert "Task 'napping-task' (pending)" in proc.stderr
    assert "napper at " in proc.stderr


@pytest.mark.cloop_only
def test_main_refuses_unknown_options(tmp_path, impl):
    proc = _run_cloop(tmp_path, "--dump-tasks-on", "SIGNOPE", script="pass\n")
    assert proc.returncode == 2
    assert "unknown signal" in proc.stderr
