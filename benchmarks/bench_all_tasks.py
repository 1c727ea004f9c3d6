"""asyncio.all_tasks() with many tasks alive: 2000 tasks wait on one future
while the main task calls all_tasks() K times.

What it measures is asyncio's own registry walking the loop's tasks: on 3.14
asyncio keeps its native tasks (and cloop's, which subclass them) in a
per-thread list and any other task type in a WeakSet; before 3.14 every
task is in a WeakSet. The size is K. One op = one task reported by one
all_tasks() call.
"""

import asyncio

TASKS = 2000
SIZE = 300
QUICK_SIZE = 10
UNIT = "tasks listed"


async def run(loop, k):
    gate = loop.create_future()
    tasks = [loop.create_task(_wait(gate)) for _ in range(TASKS)]
    await asyncio.sleep(0)  # every task is now waiting on the gate
    all_tasks = asyncio.all_tasks
    listed = 0
    for _ in range(k):
        listed += len(all_tasks())
    gate.set_result(None)
    await asyncio.gather(*tasks)
    if listed != k * (TASKS + 1):
        raise RuntimeError(f"all_tasks() listed {listed} tasks")
    return listed


async def _wait(gate):
    await gate
