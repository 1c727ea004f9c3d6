"""Lesson 7.2: asyncio in the Python 3.5 style: ``async def`` and ``await``.

Python 3.5 added keywords for coroutines:

* ``async def``  replaces the ``@asyncio.coroutine`` decorator;
* ``await``      replaces ``yield from``.

Everything else stays as in 3.4: ``asyncio.ensure_future()`` wraps a
coroutine in a Task, ``asyncio.gather(task_1, task_2)`` waits for the tasks,
and we manage the loop by hand with ``get_event_loop()``,
``run_until_complete()`` and ``close()``.

One lesson "second" is 0.1 s here so that the script finishes quickly.
"""

import asyncio

SECOND = 0.1


async def print_nums():
    num = 1
    while num <= 6:
        print(num)
        num += 1
        await asyncio.sleep(SECOND)         # pause; the loop runs other tasks


async def print_time():
    count = 0
    while count < 6:
        if count % 3 == 0:
            print('{} seconds have passed'.format(count))
        count += 1
        await asyncio.sleep(SECOND)


async def main():
    task_1 = asyncio.ensure_future(print_nums())    # scheduled, not run yet
    task_2 = asyncio.ensure_future(print_time())
    await asyncio.gather(task_1, task_2)            # wait for both
    print('both tasks are done')


if __name__ == '__main__':
    # In Python 3.5 get_event_loop() created the loop on first use.  Since
    # Python 3.12 that implicit creation gives a DeprecationWarning (and 3.14
    # refuses it), so we create the loop and install it ourselves first;
    # get_event_loop() then returns the loop we installed.
    asyncio.set_event_loop(asyncio.new_event_loop())
    loop = asyncio.get_event_loop()
    loop.run_until_complete(main())
    loop.close()
