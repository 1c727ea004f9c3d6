"""Task gather: create N tasks of a trivial coroutine and gather them.

Measures Task creation (and registration), the first step of each task,
completion, the done callbacks gather installs, and gather's bookkeeping.
One op = one task.
"""

import asyncio

SIZE = 50_000
QUICK_SIZE = 2_000
UNIT = "tasks"


async def _noop(i):
    return i


async def run(loop, n):
    create_task = loop.create_task
    tasks = [create_task(_noop(i)) for i in range(n)]
    results = await asyncio.gather(*tasks)
    if len(results) != n or results[-1] != n - 1:
        raise RuntimeError("gather returned the wrong results")
    return n
