"""pytest-asyncio and anyio tests of an ordinary project: each asserts that
its loop is the class named by LOOP_EXPECTED (set by the test that runs
this project), and counts itself in LOOP_SEEN."""
import asyncio
import os

import pytest
import pytest_asyncio

EXPECTED = os.environ["LOOP_EXPECTED"]


def running_loop_class():
    cls = type(asyncio.get_running_loop())
    return f"{cls.__module__}.{cls.__qualname__}"


def seen(test):
    assert running_loop_class() == EXPECTED
    with open(os.environ["LOOP_SEEN"], "a") as f:
        f.write(test + "\n")


@pytest.mark.asyncio
async def test_pytest_asyncio_test():
    seen("pytest_asyncio_test")


@pytest_asyncio.fixture
async def started_in_a_fixture():
    seen("pytest_asyncio_fixture")
    yield asyncio.get_running_loop()


@pytest.mark.asyncio
async def test_pytest_asyncio_fixture(started_in_a_fixture):
    assert started_in_a_fixture is asyncio.get_running_loop()


@pytest.mark.anyio
async def test_anyio_test():
    seen("anyio_test")


class TestAnyioWithOptions:
    """A project's own anyio_backend with options: they are kept."""

    @pytest.fixture
    def anyio_backend(self):
        return ("asyncio", {"debug": True})

    @pytest.mark.anyio
    async def test_anyio_options_kept(self):
        assert asyncio.get_running_loop().get_debug()
        seen("anyio_options_kept")
