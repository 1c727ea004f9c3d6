"""Lesson 12: report that a task is slow, but do not cancel it (``shield``).

``asyncio.wait_for`` cancels the task when the timeout expires (lesson 11).
Sometimes we only want to KNOW that it is slow - say "still working..." to
the user - and keep waiting.  ``asyncio.shield(task)`` puts a protective
wrapper around the task: the timeout cancels the wrapper, the task itself
keeps running, and we can wait for it again.
"""

import asyncio


async def slow_operation():
    await asyncio.sleep(0.5)
    return 'the slow operation finished'


async def main():
    task = asyncio.create_task(slow_operation())
    checks = 0
    while True:
        try:
            # Wait at most 0.2 s, but through a shield: a timeout will not
            # cancel `task`, only the shield around it.
            result = await asyncio.wait_for(asyncio.shield(task), timeout=0.2)
            break
        except asyncio.TimeoutError:
            checks += 1
            print('still waiting... (check {}; task cancelled: {}, done: {})'
                  .format(checks, task.cancelled(), task.done()))
    print(result)

    print('--- without shield the timeout cancels the task ---')
    task = asyncio.create_task(slow_operation())
    try:
        await asyncio.wait_for(task, timeout=0.2)
    except asyncio.TimeoutError:
        print('timeout; task cancelled:', task.cancelled())


asyncio.run(main())
