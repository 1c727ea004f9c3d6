"""Lesson 16: ``await`` by itself does not switch to another task.

It is easy to believe that every ``await`` lets the event loop run other
tasks.  It does not.  ``await coro()`` simply runs ``coro`` - like a function
call - and control goes back to the event loop ONLY when something down the
chain really has to wait (a sleep, a socket that is not ready, a future
that is not done yet).  A coroutine that returns at once never gives control
to the loop, so a loop of such awaits blocks every other task just like
blocking code would.

The fix is to really pause now and then: ``await asyncio.sleep(0)`` hands
control to the event loop for one turn.

This is a property of asyncio's design, not of one loop implementation: run
it with ``python -m cloop 16_await_problems.py`` and the C event loop shows
exactly the same.

The last part shows how to find such a task in a real program. cloop's
blocking detector (``cloop.watch_blocking``) watches the loop from a thread
and, while the loop is stuck in one task for longer than a threshold, names
the task and shows where it is. Its lines start with "detector:"; on stock
asyncio, which has no such tool, the lesson prints one "detector:" line
saying so (the lessons test compares everything else line for line).
"""

import asyncio
import time


async def instant(x):
    # No await inside that pauses: returns immediately.
    return x * 2


async def worker(steps, give_way):
    for i in range(1, steps + 1):
        await instant(i)                    # does NOT switch tasks
        print('worker: step', i)
        if give_way:
            await asyncio.sleep(0)          # DOES switch: one loop turn


async def other(turns):
    for _ in range(turns):
        print('other:  got a turn')
        await asyncio.sleep(0)


async def ticker(ticks, stop):
    """Wants to run every 0.05 s."""
    while not stop.is_set():
        ticks[0] += 1
        await asyncio.sleep(0.05)


async def busy(seconds, give_way):
    """Awaits instant() over and over for `seconds`."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        await instant(1)
        if give_way:
            await asyncio.sleep(0)


async def starving(give_way):
    ticks = [0]
    stop = asyncio.Event()
    ticker_task = asyncio.create_task(ticker(ticks, stop))
    await asyncio.sleep(0.01)               # let the ticker start
    before = ticks[0]
    started = time.monotonic()
    await busy(0.3, give_way)
    busy_for = time.monotonic() - started
    during = ticks[0] - before
    stop.set()
    await ticker_task
    print('busy loop of {:.2f} s, the ticker ran {} during it'.format(
        busy_for, 'NOT ONCE' if during == 0 else 'several times'))


async def who_blocked():
    """Run a starving busy loop in a named task under the blocking detector."""
    loop = asyncio.get_running_loop()
    try:
        import cloop
    except ImportError:
        cloop = None
    if cloop is None or not isinstance(loop, cloop.Loop):
        print('detector: not available on this event loop '
              '(run: python -m cloop 16_await_problems.py)')
        await busy(0.3, give_way=False)
        return
    reports = []
    # The watchdog thread calls reports.append(report) while the loop is
    # still blocked; 0.1 s is the threshold for "blocked".
    with cloop.watch_blocking(loop, threshold=0.1, callback=reports.append):
        task = asyncio.create_task(busy(0.3, give_way=False), name='busy-worker')
        await task
    for report in reports:
        print('detector: the loop was blocked by task {!r}, coroutine {}'.format(
            report.task_name, report.coro))
        # report.stack holds traceback.format_stack() entries of the loop's
        # thread, innermost last: show the frame inside busy().
        frames = [entry for entry in report.stack if entry.split('\n')[0].endswith(' in busy')]
        if frames:
            location, code = frames[-1].strip().split('\n', 1)
            line = location.rsplit(', ', 2)[1]  # "line N"
            print('detector: it was in busy(), {}: {}'.format(line, code.strip()))


async def main():
    print('--- awaiting coroutines that return at once: no switching ---')
    await asyncio.gather(worker(3, give_way=False), other(3))

    print('--- with await asyncio.sleep(0) the tasks take turns ---')
    await asyncio.gather(worker(3, give_way=True), other(3))

    print('--- a loop of instant awaits starves a ticker (every 0.05 s) ---')
    await starving(give_way=False)

    print('--- the same loop with await asyncio.sleep(0) inside ---')
    await starving(give_way=True)

    print('--- who blocked the loop? ---')
    await who_blocked()


asyncio.run(main())
