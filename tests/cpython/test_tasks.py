"""CPython's test_asyncio.test_tasks against cloop.Task and cloop.Future.

BaseTaskTests runs cloop's types on CPython's virtual-time TestLoop (a
BaseEventLoop), as CPython runs its C and Python Task; the classes that
make their loop with asyncio.new_event_loop() run on a cloop loop.
"""
import asyncio
import functools

import cloop

from . import skips, support
from .support import tearDownModule  # noqa: F401
from test.test_asyncio import test_tasks

TestCase = support.test_utils.TestCase


class CloopTask_CloopFuture_Tests(support.CloopCase, test_tasks.BaseTaskTests,
                                  test_tasks.SetMethodsTest, TestCase):
    skips_module = "test_tasks"
    Task = cloop.Task
    Future = cloop.Future
    # asyncio's own bookkeeping sees cloop's tasks (3.14's BaseTaskTests
    # asks the class for them).
    all_tasks = staticmethod(asyncio.all_tasks)
    current_task = staticmethod(asyncio.current_task)

    # CPython runs this one on its C Task only: deleting a C-level
    # attribute must raise AttributeError, not crash.
    test_del__log_destroy_pending_segfault = (
        test_tasks.CTask_CFuture_Tests.test_del__log_destroy_pending_segfault)


@test_tasks.add_subclass_tests
class CloopTask_CloopFuture_SubclassTests(support.CloopCase,
                                          test_tasks.BaseTaskTests, TestCase):
    skips_module = "test_tasks"
    Task = cloop.Task
    Future = cloop.Future
    all_tasks = staticmethod(asyncio.all_tasks)
    current_task = staticmethod(asyncio.current_task)


# 3.14's introspection tests build real tasks of the class's Task (before,
# they use mocks and test only asyncio's own functions).
if hasattr(getattr(test_tasks, "BaseTaskIntrospectionTests", None), "Task"):
    class CloopIntrospectionTests(support.CloopCase, TestCase,
                                  test_tasks.BaseTaskIntrospectionTests):
        """asyncio's task registry (3.14) with cloop's Task."""
        skips_module = "test_tasks"
        Task = cloop.Task
        all_tasks = staticmethod(asyncio.tasks._c_all_tasks)
        current_task = staticmethod(asyncio.tasks._c_current_task)
        _register_task = staticmethod(asyncio.tasks._c_register_task)
        _unregister_task = staticmethod(asyncio.tasks._c_unregister_task)
        _enter_task = staticmethod(asyncio.tasks._c_enter_task)
        _leave_task = staticmethod(asyncio.tasks._c_leave_task)


class CloopCurrentLoopTests(support.CloopPolicyCase,
                            test_tasks.BaseCurrentLoopTests, TestCase):
    skips_module = "test_tasks"
    current_task = staticmethod(asyncio.current_task)

    def new_task(self, coro):
        return cloop.Task(coro, loop=self.loop)


class CloopGatherMixin:
    """gather() over cloop Tasks and Futures: CPython's gather tests run
    on two TestLoops; both get cloop's types, as BaseTaskTests.setUp does
    for its loop."""

    def setUp(self):
        super().setUp()
        for loop in (self.one_loop, self.other_loop):
            loop.set_task_factory(_cloop_task_factory)
            loop.create_future = functools.partial(cloop.Future, loop=loop)


def _cloop_task_factory(loop, coro, **kwargs):
    return cloop.Task(coro, loop=loop, **kwargs)


class CloopFutureGatherTests(support.CloopCase, CloopGatherMixin,
                             test_tasks.FutureGatherTests):
    skips_module = "test_tasks"


class CloopCoroutineGatherTests(support.CloopCase, CloopGatherMixin,
                                test_tasks.CoroutineGatherTests):
    skips_module = "test_tasks"


class CloopRunCoroutineThreadsafeTests(
        support.CloopPolicyCase, test_tasks.RunCoroutineThreadsafeTests):
    skips_module = "test_tasks"


class CloopSleepTests(support.CloopPolicyCase, test_tasks.SleepTests):
    skips_module = "test_tasks"


class CloopCompatibilityTests(support.CloopPolicyCase,
                              test_tasks.CompatibilityTests):
    skips_module = "test_tasks"


skips.check_used("test_tasks")
