"""CPython's test_asyncio.test_server_context (new in 3.15; the suite runs
it from 3.15 on): a server's and a connection's contextvars, over cloop's
servers and transports, plain and TLS."""
import asyncio
import unittest

import cloop

from . import skips, support
from .support import tearDownModule  # noqa: F401
from test.test_asyncio import test_server_context


class CloopServerContextTests(support.CloopPolicyCase,
                              test_server_context.ServerContextvarsTestCase,
                              unittest.TestCase):
    skips_module = "test_server_context"
    loop_factory = cloop.Loop

    def test_zz_cloop_harness_runs_on_cloop(self):
        # Not CPython's: run_coro runs on a cloop loop.
        async def loop_type():
            return type(asyncio.get_running_loop())

        self.assertIs(self.run_coro(loop_type()), cloop.Loop)


class CloopServerContextSSLTests(CloopServerContextTests):
    def setUp(self):
        super().setUp()
        self.server_ssl_context = support.test_utils.simple_server_sslcontext()
        self.client_ssl_context = support.test_utils.simple_client_sslcontext()


skips.check_used("test_server_context")
