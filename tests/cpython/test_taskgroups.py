"""CPython's test_asyncio.test_taskgroups on a cloop loop (TaskGroup over
cloop Tasks)."""

from . import skips, support
from .support import tearDownModule  # noqa: F401
from test.test_asyncio import test_taskgroups


class CloopTestTaskGroup(support.CloopIsolatedAsyncio,
                         test_taskgroups.TestTaskGroup):
    skips_module = "test_taskgroups"


skips.check_used("test_taskgroups")
