"""unittest's IsolatedAsyncioTestCase on cloop (Python 3.13+)."""
import asyncio
import unittest

import cloop


class ServiceTests(unittest.IsolatedAsyncioTestCase):
    loop_factory = cloop.new_event_loop

    async def test_runs_on_cloop(self):
        self.assertIsInstance(asyncio.get_running_loop(), cloop.Loop)


if __name__ == "__main__":
    unittest.main()
