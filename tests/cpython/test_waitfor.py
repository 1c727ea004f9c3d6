"""CPython's test_asyncio.test_waitfor on a cloop loop (wait_for() and
shield() over cloop Tasks)."""
from . import skips, support
from .support import tearDownModule  # noqa: F401
from test.test_asyncio import test_waitfor


class CloopAsyncioWaitForTest(support.CloopIsolatedAsyncio,
                              test_waitfor.AsyncioWaitForTest):
    skips_module = "test_waitfor"


if hasattr(test_waitfor, "WaitForShieldTests"):  # 3.12+
    class CloopWaitForShieldTests(support.CloopIsolatedAsyncio,
                                  test_waitfor.WaitForShieldTests):
        skips_module = "test_waitfor"


skips.check_used("test_waitfor")
