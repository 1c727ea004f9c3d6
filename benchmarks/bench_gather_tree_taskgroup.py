"""TaskGroup tree: the gather tree, with asyncio.TaskGroup at every node.

Same shape as bench_gather_tree (BRANCHES children per node, leaves return at
once) but each node opens a TaskGroup and creates its children in it, so it
measures TaskGroup's enter/exit, its done callbacks and its waiting future
instead of gather's. One op = one task.
"""

import asyncio

BRANCHES = 6
SIZE = 6
QUICK_SIZE = 3
UNIT = "tasks"


async def _node(depth):
    if depth == 0:
        return 0
    async with asyncio.TaskGroup() as group:
        children = [group.create_task(_node(depth - 1)) for _ in range(BRANCHES)]
    return BRANCHES + sum(child.result() for child in children)


async def run(loop, depth):
    tasks = await _node(depth)
    expected = sum(BRANCHES ** d for d in range(1, depth + 1))
    if tasks != expected:
        raise RuntimeError(f"tree ran {tasks} tasks, expected {expected}")
    return tasks
