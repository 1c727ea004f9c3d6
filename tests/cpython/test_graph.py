"""CPython's test_asyncio.test_graph (new in 3.14; the suite runs it from
3.14 on): asyncio's call graph (capture_call_graph, print_call_graph,
awaited-by) over cloop's Tasks and Futures, on a cloop loop. Its C-backend
class swaps asyncio.Future/Task for the C ones for each test, which cloop's
subclass; the pure-Python backend class is left to CPython (it swaps in
_PyTask, which a cloop loop never makes)."""
import asyncio

import cloop

from . import skips, support
from .support import tearDownModule  # noqa: F401
from test.test_asyncio import test_graph


class CloopTestCallStackC(support.CloopIsolatedAsyncio,
                          test_graph.TestCallStackC):
    skips_module = "test_graph"

    async def test_zz_cloop_harness_runs_on_cloop(self):
        # Not CPython's: the loop and its tasks are cloop's.
        self.assertIsInstance(asyncio.get_running_loop(), cloop.Loop)
        self.assertIs(type(asyncio.current_task()), cloop.Task)


skips.check_used("test_graph")
