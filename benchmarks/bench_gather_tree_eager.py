"""Gather tree with asyncio.eager_task_factory (Python 3.12+).

The tree of bench_gather_tree.py, on a loop whose task factory is
asyncio.eager_task_factory, as pyperformance's async_tree_eager runs it:
every task's first step runs inside gather's create_task, so the leaves
finish there without ever being scheduled. cloop makes its own Task in C
for that factory; asyncio and uvloop make asyncio's C Task. One op = one
task (tree node below the root).
"""

import asyncio

from bench_gather_tree import BRANCHES, QUICK_SIZE, SIZE, UNIT, run_with_factory

__all__ = ["BRANCHES", "QUICK_SIZE", "SIZE", "UNIT", "run"]


async def run(loop, depth):
    return await run_with_factory(loop, depth, getattr(asyncio, "eager_task_factory", None))
