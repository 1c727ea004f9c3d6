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


async def main():
    print('--- awaiting coroutines that return at once: no switching ---')
    await asyncio.gather(worker(3, give_way=False), other(3))

    print('--- with await asyncio.sleep(0) the tasks take turns ---')
    await asyncio.gather(worker(3, give_way=True), other(3))

    print('--- a loop of instant awaits starves a ticker (every 0.05 s) ---')
    await starving(give_way=False)

    print('--- the same loop with await asyncio.sleep(0) inside ---')
    await starving(give_way=True)


asyncio.run(main())
