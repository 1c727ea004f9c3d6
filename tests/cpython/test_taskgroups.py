"""CPython's test_asyncio.test_taskgroups on a cloop loop (TaskGroup over
cloop Tasks; 3.14's eager variant over the Tasks asyncio's
eager_task_factory makes, on a cloop loop)."""
import asyncio

import cloop

from . import skips, support
from .support import tearDownModule  # noqa: F401
from test.test_asyncio import test_taskgroups


class CloopTestTaskGroup(support.CloopIsolatedAsyncio,
                         test_taskgroups.TestTaskGroup):
    skips_module = "test_taskgroups"


if hasattr(test_taskgroups, "TestEagerTaskTaskGroup"):
    class CloopTestEagerTaskTaskGroup(
            support.CloopIsolatedAsyncio,
            test_taskgroups.TestEagerTaskTaskGroup):
        skips_module = "test_taskgroups"

        async def test_zz_cloop_harness_runs_on_cloop(self):
            # Not CPython's: the loop is cloop's, the tasks are what the
            # eager factory makes.
            loop = asyncio.get_running_loop()
            self.assertIsInstance(loop, cloop.Loop)
            self.assertIs(loop.get_task_factory(), asyncio.eager_task_factory)


skips.check_used("test_taskgroups")
