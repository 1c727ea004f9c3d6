"""CPython's test_asyncio.test_threads on a cloop loop (asyncio.to_thread:
the default executor and call_soon_threadsafe)."""
from . import skips, support
from .support import tearDownModule  # noqa: F401
from test.test_asyncio import test_threads


class CloopToThreadTests(support.CloopIsolatedAsyncio,
                         test_threads.ToThreadTests):
    skips_module = "test_threads"


skips.check_used("test_threads")
