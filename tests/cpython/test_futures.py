"""CPython's test_asyncio.test_futures against cloop.Future.

The classes run cloop.Future (and a Python subclass of it) on CPython's
virtual-time TestLoop, as CPython runs its C and Python Future.
"""
import cloop

from . import skips, support
from .support import tearDownModule  # noqa: F401
from test.test_asyncio import test_futures

TestCase = support.test_utils.TestCase


class CloopSubFuture(cloop.Future):
    pass


class CloopFutureTests(support.CloopCase, test_futures.BaseFutureTests,
                       TestCase):
    skips_module = "test_futures"
    cls = cloop.Future

    # CPython runs this one on its C Future only: deleting a C-level
    # attribute must raise AttributeError, not crash.
    test_future_del_segfault = test_futures.CFutureTests.test_future_del_segfault


class CloopSubFutureTests(support.CloopCase, test_futures.BaseFutureTests,
                          TestCase):
    skips_module = "test_futures"
    cls = CloopSubFuture


class CloopFutureDoneCallbackTests(support.CloopCase,
                                   test_futures.BaseFutureDoneCallbackTests,
                                   TestCase):
    skips_module = "test_futures"

    def _new_future(self):
        return cloop.Future(loop=self.loop)


class CloopSubFutureDoneCallbackTests(support.CloopCase,
                                      test_futures.BaseFutureDoneCallbackTests,
                                      TestCase):
    skips_module = "test_futures"

    def _new_future(self):
        return CloopSubFuture(loop=self.loop)


class CloopFutureInheritanceTests(support.CloopCase,
                                  test_futures.BaseFutureInheritanceTests,
                                  TestCase):
    skips_module = "test_futures"

    def _get_future_cls(self):
        return cloop.Future


skips.check_used("test_futures")
