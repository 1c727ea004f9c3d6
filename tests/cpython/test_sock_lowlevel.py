"""CPython's test_asyncio.test_sock_lowlevel BaseSockTestsMixin on a cloop
loop (loop.sock_* coroutines)."""
import cloop

from . import skips, support
from .support import tearDownModule  # noqa: F401
from test.test_asyncio import test_sock_lowlevel


class CloopSockTests(support.CloopCase,
                     test_sock_lowlevel.BaseSockTestsMixin,
                     support.test_utils.TestCase):
    skips_module = "test_sock_lowlevel"

    def create_event_loop(self):
        return cloop.new_event_loop()

    def test_zz_cloop_harness_runs_on_cloop(self):
        # Not CPython's: checks that create_event_loop() took effect.
        self.assertIsInstance(self.loop, cloop.Loop)


skips.check_used("test_sock_lowlevel")
