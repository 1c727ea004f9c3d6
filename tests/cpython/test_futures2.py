"""CPython's test_asyncio.test_futures2 on a cloop loop, with cloop.Task as
the class under test (CPython's FutureTests.cls is a Task class)."""
import unittest

import cloop

from . import skips, support
from .support import tearDownModule  # noqa: F401
from test.test_asyncio import test_futures2


class CloopFutureTests(support.CloopIsolatedAsyncio,
                       test_futures2.FutureTests,
                       unittest.IsolatedAsyncioTestCase):
    skips_module = "test_futures2"
    cls = cloop.Task


class CloopFutureReprTests(support.CloopIsolatedAsyncio,
                           test_futures2.FutureReprTests):
    skips_module = "test_futures2"


skips.check_used("test_futures2")
