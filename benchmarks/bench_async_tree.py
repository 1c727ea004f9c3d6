"""pyperformance's async_tree family, run on the worker's loop.

pyperformance's own code (bm_async_tree/run_benchmark.py, loaded by
_pyperformance.py): a tree 6 levels deep with 6 branches per level of
asyncio.gather (or TaskGroup) calls, 55,986 tasks, whose leaves do nothing
(none), sleep 50 ms (io), sleep unless memoized (memoization), or compute a
factorial half of the time (cpu_io_mixed); the eager variants set
asyncio.eager_task_factory on the loop first (Python 3.12+). As pyperf does,
one tree object serves every run of a process, so the memoization cache is
warm after the first (the warm-up). One op = one task: a run of the tree
counts its 55,986 tasks, so the figures compare with gather_tree's.
The variants are the ones the project tracks (issue 16's table).
"""

import asyncio

from _pyperformance import load

SIZE = 3
QUICK_SIZE = 1
UNIT = "tasks"

# suffix -> (pyperformance's benchmark name, use TaskGroups)
VARIANTS = {
    "none": {"benchmark": "none", "task_groups": False},
    "io": {"benchmark": "io", "task_groups": False},
    "memoization": {"benchmark": "memoization", "task_groups": False},
    "cpu_io_mixed": {"benchmark": "cpu_io_mixed", "task_groups": False},
    "tg": {"benchmark": "none", "task_groups": True},
    "eager": {"benchmark": "eager", "task_groups": False},
    "eager_memoization": {"benchmark": "eager_memoization", "task_groups": False},
    "eager_cpu_io_mixed": {"benchmark": "eager_cpu_io_mixed", "task_groups": False},
    "eager_tg": {"benchmark": "eager", "task_groups": True},
}
QUICK_VARIANTS = ("none",)

_trees = {}


def _tree(benchmark, task_groups):
    key = (benchmark, task_groups)
    if key not in _trees:
        if benchmark.startswith("eager") and not hasattr(asyncio, "eager_task_factory"):
            raise RuntimeError("eager task factories are new in Python 3.12")
        if task_groups and not hasattr(asyncio, "TaskGroup"):
            raise RuntimeError("TaskGroup is new in Python 3.11")
        cls = load("async_tree").BENCHMARKS[benchmark]
        _trees[key] = cls(use_task_groups=task_groups)
    return _trees[key]


def tasks_per_tree(module):
    """Tasks one run of the tree creates: every node below the root."""
    branches, levels = module.NUM_RECURSE_BRANCHES, module.NUM_RECURSE_LEVELS
    return sum(branches ** level for level in range(1, levels + 1))


async def run(loop, n, benchmark, task_groups):
    tree = _tree(benchmark, task_groups)
    try:
        for _ in range(n):
            await tree.run()
    finally:
        loop.set_task_factory(None)  # the eager variants set it
    return n * tasks_per_tree(load("async_tree"))
