"""CPython's test_asyncio.test_queues on a cloop loop (Queue, LifoQueue,
PriorityQueue waiting on cloop Futures)."""
from . import skips, support
from .support import tearDownModule  # noqa: F401
from test.test_asyncio import test_queues


class CloopQueueBasicTests(support.CloopIsolatedAsyncio,
                           test_queues.QueueBasicTests):
    skips_module = "test_queues"


class CloopQueueGetTests(support.CloopIsolatedAsyncio,
                         test_queues.QueueGetTests):
    skips_module = "test_queues"


class CloopQueuePutTests(support.CloopIsolatedAsyncio,
                         test_queues.QueuePutTests):
    skips_module = "test_queues"


class CloopLifoQueueTests(support.CloopIsolatedAsyncio,
                          test_queues.LifoQueueTests):
    skips_module = "test_queues"


class CloopPriorityQueueTests(support.CloopIsolatedAsyncio,
                              test_queues.PriorityQueueTests):
    skips_module = "test_queues"


class CloopQueueJoinTests(support.CloopIsolatedAsyncio,
                          test_queues.QueueJoinTests):
    skips_module = "test_queues"


class CloopLifoQueueJoinTests(support.CloopIsolatedAsyncio,
                              test_queues.LifoQueueJoinTests):
    skips_module = "test_queues"


class CloopPriorityQueueJoinTests(support.CloopIsolatedAsyncio,
                                  test_queues.PriorityQueueJoinTests):
    skips_module = "test_queues"


if hasattr(test_queues, "QueueShutdownTests"):  # 3.13+
    class CloopQueueShutdownTests(support.CloopIsolatedAsyncio,
                                  test_queues.QueueShutdownTests):
        skips_module = "test_queues"

    class CloopLifoQueueShutdownTests(support.CloopIsolatedAsyncio,
                                      test_queues.LifoQueueShutdownTests):
        skips_module = "test_queues"

    class CloopPriorityQueueShutdownTests(
            support.CloopIsolatedAsyncio,
            test_queues.PriorityQueueShutdownTests):
        skips_module = "test_queues"


skips.check_used("test_queues")
