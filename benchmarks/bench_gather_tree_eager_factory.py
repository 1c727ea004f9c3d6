"""Gather tree with asyncio.create_eager_task_factory(the loop's Task class).

The tree of bench_gather_tree.py on a loop whose task factory is
asyncio.create_eager_task_factory(cls), cls the class of the loop's own
tasks (type(loop.create_task(...)): cloop.Task on cloop, asyncio.Task on the
others), as a program that picks its Task class does (Python 3.12+). Unlike
asyncio.eager_task_factory, the factory is asyncio's Python closure: each
task costs a Python call of it and a call of the class with keywords. One
op = one task (tree node below the root).
"""

import asyncio

from bench_gather_tree import BRANCHES, QUICK_SIZE, SIZE, UNIT, run_with_factory

__all__ = ["BRANCHES", "QUICK_SIZE", "SIZE", "UNIT", "run"]


async def _nothing():
    pass


async def run(loop, depth):
    if not hasattr(asyncio, "create_eager_task_factory"):
        raise RuntimeError("eager task factories are new in Python 3.12")
    probe = loop.create_task(_nothing())
    await probe
    return await run_with_factory(loop, depth, asyncio.create_eager_task_factory(type(probe)))
