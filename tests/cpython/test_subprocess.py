"""CPython's test_asyncio.test_subprocess SubprocessMixin on a cloop loop
(asyncio.create_subprocess_* over cloop's process support; CPython runs the
mixin once per child watcher, cloop watches its children itself)."""
import cloop

from . import skips, support
from .support import tearDownModule  # noqa: F401
from test.test_asyncio import test_subprocess


class CloopSubprocessTests(support.CloopCase, test_subprocess.SubprocessMixin,
                           support.test_utils.TestCase):
    skips_module = "test_subprocess"

    def setUp(self):
        super().setUp()
        self.loop = cloop.new_event_loop()
        self.set_event_loop(self.loop)

    def test_zz_cloop_harness_runs_on_cloop(self):
        self.assertIsInstance(self.loop, cloop.Loop)


skips.check_used("test_subprocess")
