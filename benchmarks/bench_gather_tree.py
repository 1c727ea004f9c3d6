"""Gather tree: a recursive tree of asyncio.gather calls with no I/O.

Modelled on the shape of pyperformance's async_tree ("none" variant): every
inner node gathers BRANCHES children one level down, leaves return at once.
Every child coroutine becomes a Task through gather. The size is the depth;
depth 6 with 6 branches is 55,986 tasks. One op = one task (tree node below
the root).
"""

import asyncio

BRANCHES = 6
SIZE = 6
QUICK_SIZE = 3
UNIT = "tasks"


async def _node(depth):
    if depth == 0:
        return 0
    children = [_node(depth - 1) for _ in range(BRANCHES)]
    counts = await asyncio.gather(*children)
    return BRANCHES + sum(counts)


async def run(loop, depth):
    tasks = await _node(depth)
    expected = sum(BRANCHES ** d for d in range(1, depth + 1))
    if tasks != expected:
        raise RuntimeError(f"tree ran {tasks} tasks, expected {expected}")
    return tasks
