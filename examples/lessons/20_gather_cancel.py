"""Lesson 20: cancelling gathered tasks; task names and states.

* ``asyncio.create_task(coro, name='Coro Norm')`` gives the task a name;
  ``task.get_name()`` returns it (tasks get 'Task-N' names otherwise).
* ``task._state`` is the internal state of the task: 'PENDING' while it
  runs, then 'FINISHED' or 'CANCELLED' (a private attribute - fine for
  learning, use ``done()``/``cancelled()`` in real code).
* Cancelling ONE of the gathered tasks: ``gather`` treats it like an
  exception, ``asyncio.CancelledError``, raised to whoever awaits gather;
  the other tasks keep running.
* Cancelling the gather itself cancels ALL the tasks it waits for.
* ``asyncio.CancelledError`` is caught like any exception (it derives
  from ``BaseException``, not ``Exception``, so ``except Exception`` does
  not catch it).
"""

import asyncio


async def coro_norm():
    await asyncio.sleep(0.3)
    return 'Norm'


async def coro_long():
    try:
        await asyncio.sleep(1)
        return 'Long'
    except asyncio.CancelledError:
        print('  coro_long: caught CancelledError, cleaning up')
        raise


def show(*tasks):
    for t in tasks:
        print('  {:<10} _state={:<9} cancelled={}'.format(
            t.get_name(), t._state, t.cancelled()))


async def main():
    print('--- cancel one gathered task ---')
    task1 = asyncio.create_task(coro_norm(), name='Coro Norm')
    task2 = asyncio.create_task(coro_long(), name='Coro Long')
    show(task1, task2)
    gathered = asyncio.gather(task1, task2)
    await asyncio.sleep(0.1)
    task2.cancel()
    try:
        await gathered
    except asyncio.CancelledError:
        print('awaiting gather raised CancelledError')
    show(task1, task2)
    await task1                          # the other task was not cancelled
    show(task1, task2)
    print('task1 result:', task1.result())

    print('--- return_exceptions=True: the cancellation becomes a result ---')
    task1 = asyncio.create_task(coro_norm(), name='Coro Norm')
    task2 = asyncio.create_task(coro_long(), name='Coro Long')
    gathered = asyncio.gather(task1, task2, return_exceptions=True)
    await asyncio.sleep(0.1)
    task2.cancel()
    print('results:', await gathered)

    print('--- cancel the gather: all of its tasks are cancelled ---')
    task1 = asyncio.create_task(coro_norm(), name='Coro Norm')
    task2 = asyncio.create_task(coro_long(), name='Coro Long')
    gathered = asyncio.gather(task1, task2)
    await asyncio.sleep(0.1)
    gathered.cancel()
    try:
        await gathered
    except asyncio.CancelledError:
        print('awaiting gather raised CancelledError')
    show(task1, task2)


asyncio.run(main())
