"""A project's conftest.py that runs its pytest-asyncio tests on cloop
(pytest-asyncio 1.5+); without editing it, `pytest --cloop` does the same."""
import cloop


def pytest_asyncio_loop_factories(config, item):
    return {"cloop": cloop.new_event_loop}
