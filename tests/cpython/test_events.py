"""CPython's test_asyncio.test_events EventLoopTestsMixin and
SubprocessTestsMixin on a cloop loop (create_event_loop() returns
cloop.new_event_loop(), as CPython's EPoll/Poll/SelectEventLoopTests return
a SelectorEventLoop)."""
import cloop

from . import skips, support
from .support import tearDownModule  # noqa: F401
from test.test_asyncio import test_events


class CloopEventLoopTests(support.CloopCase,
                          test_events.EventLoopTestsMixin,
                          test_events.SubprocessTestsMixin,
                          support.test_utils.TestCase):
    skips_module = "test_events"

    def create_event_loop(self):
        return cloop.new_event_loop()

    def test_zz_cloop_harness_runs_on_cloop(self):
        # Not CPython's: checks that create_event_loop() took effect.
        self.assertIsInstance(self.loop, cloop.Loop)


skips.check_used("test_events")
