"""CPython's test_asyncio.test_timeouts on a cloop loop (asyncio.timeout()
around cloop Tasks)."""
from . import skips, support
from .support import tearDownModule  # noqa: F401
from test.test_asyncio import test_timeouts


class CloopTimeoutTests(support.CloopIsolatedAsyncio,
                        test_timeouts.TimeoutTests):
    skips_module = "test_timeouts"


skips.check_used("test_timeouts")
