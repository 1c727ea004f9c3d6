"""sleep(0) switching: 1000 tasks, each doing `await asyncio.sleep(0)` K times.

Every iteration of the loop steps all 1000 tasks once, so this is the cost of
a task suspending on a bare yield and being rescheduled: the task step, the
ready queue, and the per-iteration overhead shared by 1000 steps.
The size is K. One op = one sleep(0).
"""

import asyncio

TASKS = 1000
SIZE = 400
QUICK_SIZE = 10
UNIT = "switches"


async def _switcher(k):
    sleep = asyncio.sleep
    for _ in range(k):
        await sleep(0)
    return k


async def run(loop, k):
    tasks = [loop.create_task(_switcher(k)) for _ in range(TASKS)]
    done = await asyncio.gather(*tasks)
    if sum(done) != TASKS * k:
        raise RuntimeError("a task did not finish its sleeps")
    return TASKS * k
