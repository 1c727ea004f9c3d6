"""CPython's test_asyncio.test_server on a cloop loop: start_server and
start_unix_server (SelectorStartServerTests with new_loop() returning a
cloop loop) and the IsolatedAsyncioTestCase classes."""
import cloop

from . import skips, support
from .support import tearDownModule  # noqa: F401
from test.test_asyncio import test_server


class CloopStartServerTests(support.CloopCase,
                            test_server.SelectorStartServerTests):
    # SelectorStartServerTests is BaseStartServer plus a Unix-socket test;
    # only its loop changes.
    skips_module = "test_server"

    def new_loop(self):
        return cloop.new_event_loop()

    def test_zz_cloop_harness_runs_on_cloop(self):
        # Not CPython's: checks that new_loop() took effect.
        self.assertIsInstance(self.loop, cloop.Loop)


if hasattr(test_server, "TestServer2"):  # 3.12+
    class CloopTestServer2(support.CloopIsolatedAsyncio,
                           test_server.TestServer2):
        skips_module = "test_server"


if hasattr(test_server, "UnixServerCleanupTests"):  # 3.13+
    class CloopUnixServerCleanupTests(support.CloopIsolatedAsyncio,
                                      test_server.UnixServerCleanupTests):
        skips_module = "test_server"


skips.check_used("test_server")
