"""CPython's test_asyncio.test_eager_task_factory (3.12+) on a cloop loop,
with cloop.Task as the class the eager task factory builds."""
import sys
import unittest

import cloop

from . import skips, support
from .support import tearDownModule  # noqa: F401

TestCase = support.test_utils.TestCase

if sys.version_info >= (3, 12):
    from test.test_asyncio import test_eager_task_factory as test_eager

    class CloopEagerTaskFactoryLoopTests(support.CloopPolicyCase,
                                         test_eager.EagerTaskFactoryLoopTests,
                                         TestCase):
        skips_module = "test_eager_task_factory"
        Task = cloop.Task

    class CloopNonEagerTests(support.CloopPolicyCase,
                             test_eager.BaseNonEagerTaskFactoryTests,
                             TestCase):
        skips_module = "test_eager_task_factory"
        Task = cloop.Task

    class CloopEagerTests(support.CloopPolicyCase,
                          test_eager.BaseEagerTaskFactoryTests, TestCase):
        skips_module = "test_eager_task_factory"
        Task = cloop.Task

else:
    @unittest.skip("eager task factories are new in Python 3.12")
    class CloopEagerTaskFactoryTests(unittest.TestCase):
        def test_eager_task_factory(self):
            pass


skips.check_used("test_eager_task_factory")
