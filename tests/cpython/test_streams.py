"""CPython's test_asyncio.test_streams on a cloop loop (StreamTests makes
its loop with asyncio.new_event_loop(), a cloop loop under cloop's policy
here)."""
from . import skips, support
from .support import tearDownModule  # noqa: F401
from test.test_asyncio import test_streams


class CloopStreamTests(support.CloopPolicyCase, test_streams.StreamTests):
    skips_module = "test_streams"


skips.check_used("test_streams")
