"""CPython's test_asyncio.test_buffered_proto on a cloop loop
(BufferedProtocol over cloop's C transports)."""
import unittest

import cloop

from . import skips, support
from .support import tearDownModule  # noqa: F401
from test.test_asyncio import test_buffered_proto


class CloopBufferedProtocolTests(support.CloopCase,
                                 test_buffered_proto.BaseTestBufferedProtocol,
                                 unittest.TestCase):
    skips_module = "test_buffered_proto"

    def new_loop(self):
        return cloop.new_event_loop()

    def test_zz_cloop_harness_runs_on_cloop(self):
        # Not CPython's: checks that new_loop() took effect.
        self.assertIsInstance(self.loop, cloop.Loop)


skips.check_used("test_buffered_proto")
