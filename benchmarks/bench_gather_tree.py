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


def check(tasks, depth):
    """The tree's count, or RuntimeError when it did not run every node."""
    expected = sum(BRANCHES ** d for d in range(1, depth + 1))
    if tasks != expected:
        raise RuntimeError(f"tree ran {tasks} tasks, expected {expected}")
    return tasks


async def run_with_factory(loop, depth, factory):
    """The tree on a loop whose task factory is `factory` (3.12+ eager ones)."""
    if not hasattr(asyncio, "eager_task_factory"):
        raise RuntimeError("eager task factories are new in Python 3.12")
    loop.set_task_factory(factory)
    try:
        tasks = await _node(depth)
    finally:
        loop.set_task_factory(None)
    return check(tasks, depth)


async def run(loop, depth):
    return check(await _node(depth), depth)
