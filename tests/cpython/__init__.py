"""CPython's own test_asyncio classes, run against cloop.

One module per CPython test module (``tests/cpython/test_tasks.py`` adapts
``test.test_asyncio.test_tasks``, ...). Each imports CPython's test classes
from the running interpreter's ``test.test_asyncio`` package and subclasses
them, pointing them at cloop: ``Task = cloop.Task`` / ``Future =
cloop.Future``, or a loop factory returning ``cloop.new_event_loop()``. No
CPython test code is copied here.

Run one module with ``python -m unittest tests.cpython.test_tasks`` from the
repository root; ``tests/test_cpython_suite.py`` runs each of them in a
subprocess under pytest. Shared plumbing (the per-test watchdog, loop
injection) is in ``support.py``; every test left out, with its reason, is in
``skips.py``.

pytest must not collect these modules itself (they are unittest modules run
in a subprocess, with their own watchdog): see ``conftest.py`` here.
"""
