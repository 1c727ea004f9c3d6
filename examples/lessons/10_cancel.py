"""Lesson 10: cancelling a Task on a condition with ``task.cancel()``.

``task.cancel()`` asks a Task to stop.  It does not kill it on the spot: the
next time the task's coroutine is paused at an ``await``, asyncio raises
``asyncio.CancelledError`` right there, inside the task.  The task can catch
the error to clean up (close files, connections...) and then:

* re-raise it (the usual, recommended way): the task ends as *cancelled*;
* or swallow it and return normally: the task ends as *finished*, with a
  result, and it is NOT marked cancelled.

Whoever awaits a cancelled task gets ``asyncio.CancelledError`` too.

The condition here: main() watches a task that processes items and cancels
it once it has processed three of them (main is told through an
``asyncio.Event``, so the moment is the same on every run).
"""

import asyncio


async def worker(progress, enough):
    """Processes items one by one, 0.1 s each; cleans up when cancelled."""
    try:
        for item in range(1, 11):
            print('worker: processing item', item)
            await asyncio.sleep(0.1)            # CancelledError appears here
            progress.append(item)
            if len(progress) == 3:
                # Tell main the condition is reached.  set() only wakes main
                # up LATER: the worker keeps running until its next await, so
                # it still starts item 4 before main can cancel it.
                enough.set()
        return 'all items processed'
    except asyncio.CancelledError:
        print('worker: cancelled after {} items, cleaning up'.format(len(progress)))
        raise                                   # stay cancelled


async def stubborn_worker():
    """Catches CancelledError and returns instead of re-raising it."""
    try:
        await asyncio.sleep(10)
    except asyncio.CancelledError:
        print('stubborn_worker: cancelled, but I return a result anyway')
        return 'partial result'


async def main():
    print('--- cancel, clean up, re-raise ---')
    progress = []
    enough = asyncio.Event()
    task = asyncio.create_task(worker(progress, enough))
    await enough.wait()                         # the condition
    if not task.done():
        print('main: 3 items are enough, cancelling the task')
        task.cancel()
    try:
        await task
    except asyncio.CancelledError:
        print('main: awaiting the task raised CancelledError')
    print('main: task.cancelled() =', task.cancelled())
    print('main: processed items:', progress)

    print('--- cancel, catch and swallow ---')
    task = asyncio.create_task(stubborn_worker())
    await asyncio.sleep(0.1)                    # let it start
    task.cancel()
    result = await task                         # no exception this time
    print('main: result =', repr(result))
    print('main: task.cancelled() =', task.cancelled())


asyncio.run(main())
