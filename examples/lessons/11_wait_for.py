"""Lesson 11: stop waiting for a coroutine with ``asyncio.wait_for``.

``await asyncio.wait_for(long_task(), timeout=3)`` runs the coroutine as a
Task and waits at most ``timeout`` seconds.  If it is not done by then, the
task is CANCELLED and ``asyncio.TimeoutError`` is raised in the caller.
(Since Python 3.11 ``asyncio.TimeoutError`` is the built-in ``TimeoutError``.)

The course used a 3 second timeout; here the delays are tenths of a second
so the script finishes quickly.
"""

import asyncio


async def long_task(steps):
    try:
        for i in range(1, steps + 1):
            print('long_task: step', i)
            await asyncio.sleep(0.1)
        return 'long_task finished {} steps'.format(steps)
    except asyncio.CancelledError:
        print('long_task: cancelled by wait_for')
        raise


async def main():
    print('--- the task does not fit into the timeout ---')
    try:
        # 10 steps of 0.1 s = 1 s, but we wait at most 0.25 s.
        result = await asyncio.wait_for(long_task(10), timeout=0.25)
        print(result)
    except asyncio.TimeoutError:
        print('main: asyncio.TimeoutError - gave up after 0.25 s')

    print('--- the task fits into the timeout ---')
    try:
        result = await asyncio.wait_for(long_task(2), timeout=0.5)
        print('main:', result)
    except asyncio.TimeoutError:
        print('main: asyncio.TimeoutError')


asyncio.run(main())
