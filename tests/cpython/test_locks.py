"""CPython's test_asyncio.test_locks on a cloop loop (Lock, Event,
Condition, Semaphore, Barrier waiting on cloop Futures)."""
from . import skips, support
from .support import tearDownModule  # noqa: F401
from test.test_asyncio import test_locks


class CloopLockTests(support.CloopIsolatedAsyncio, test_locks.LockTests):
    skips_module = "test_locks"


class CloopEventTests(support.CloopIsolatedAsyncio, test_locks.EventTests):
    skips_module = "test_locks"


class CloopConditionTests(support.CloopIsolatedAsyncio,
                          test_locks.ConditionTests):
    skips_module = "test_locks"


class CloopSemaphoreTests(support.CloopIsolatedAsyncio,
                          test_locks.SemaphoreTests):
    skips_module = "test_locks"


class CloopBarrierTests(support.CloopIsolatedAsyncio, test_locks.BarrierTests):
    skips_module = "test_locks"


skips.check_used("test_locks")
