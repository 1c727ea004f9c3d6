"""CPython's test_asyncio.test_sendfile on a cloop loop (loop.sendfile and
loop.sock_sendfile; SendfileTestsBase with create_event_loop() returning a
cloop loop)."""
import cloop

from . import skips, support
from .support import tearDownModule  # noqa: F401
from test.test_asyncio import test_sendfile


class CloopSendfileTests(support.CloopCase, test_sendfile.SendfileTestsBase,
                         support.test_utils.TestCase):
    skips_module = "test_sendfile"

    def create_event_loop(self):
        return cloop.new_event_loop()

    def test_zz_cloop_harness_runs_on_cloop(self):
        # Not CPython's: checks that create_event_loop() took effect.
        self.assertIsInstance(self.loop, cloop.Loop)


skips.check_used("test_sendfile")
