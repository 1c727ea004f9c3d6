"""Gather tree with asyncio.eager_task_factory (Python 3.12+).

The tree of bench_gather_tree.py, on a loop whose task factory is
asyncio.eager_task_factory, as pyperformance's async_tree_eager runs it:
every task's first step runs inside gather's create_task, so the leaves
finish there without ever being scheduled. cloop makes its own Task in C
for that factory; asyncio and uvloop make asyncio's C Task. One op = one
task (tree node below the root).
"""

import asyncio

from bench_gather_tree import BRANCHES, QUICK_SIZE, SIZE, UNIT, _node

__all__ = ["BRANCHES", "QUICK_SIZE", "SIZE", "UNIT", "run"]


async def run(loop, depth):
    if not hasattr(asyncio, "eager_task_factory"):
        raise RuntimeError("eager task factories are new in Python 3.12")
    loop.set_task_factory(asyncio.eager_task_factory)
    try:
        tasks = await _node(depth)
    finally:
        loop.set_task_factory(None)
    expected = sum(BRANCHES ** d for d in range(1, depth + 1))
    if tasks != expected:
        raise RuntimeError(f"tree ran {tasks} tasks, expected {expected}")
    return tasks
