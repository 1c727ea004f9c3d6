"""CPython's test_asyncio.test_sslproto on a cloop loop: start_tls
(BaseStartTLS with new_loop() returning a cloop loop) and the SSL protocol's
handshake tests (their loop made with asyncio.new_event_loop())."""
import unittest

import cloop

from . import skips, support
from .support import tearDownModule  # noqa: F401
from test.test_asyncio import test_sslproto


class CloopStartTLSTests(support.CloopCase, test_sslproto.BaseStartTLS,
                         unittest.TestCase):
    skips_module = "test_sslproto"

    def new_loop(self):
        return cloop.new_event_loop()

    def test_zz_cloop_harness_runs_on_cloop(self):
        # Not CPython's: checks that new_loop() took effect.
        self.assertIsInstance(self.loop, cloop.Loop)


class CloopSslProtoHandshakeTests(support.CloopPolicyCase,
                                  test_sslproto.SslProtoHandshakeTests):
    skips_module = "test_sslproto"


skips.check_used("test_sslproto")
