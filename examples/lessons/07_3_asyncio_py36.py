"""Lesson 7.3: ``asyncio.create_task`` with an explicit loop.

The only change from lesson 7.2: tasks are created with
``asyncio.create_task()`` instead of ``asyncio.ensure_future()``.
``create_task`` accepts only coroutines and says exactly what it does: wrap
the coroutine in a Task and schedule it on the running loop.
(``create_task`` belongs to the loop in 3.6, ``loop.create_task()``; the
module-level ``asyncio.create_task()`` arrived in 3.7 - the course shows it
together with the explicit loop.)

One lesson "second" is 0.1 s here so that the script finishes quickly.
"""

import asyncio

SECOND = 0.1


async def print_nums():
    num = 1
    while num <= 6:
        print(num)
        num += 1
        await asyncio.sleep(SECOND)


async def print_time():
    count = 0
    while count < 6:
        if count % 3 == 0:
            print('{} seconds have passed'.format(count))
        count += 1
        await asyncio.sleep(SECOND)


async def main():
    task_1 = asyncio.create_task(print_nums())      # needs a running loop
    task_2 = asyncio.create_task(print_time())
    await asyncio.gather(task_1, task_2)
    print('both tasks are done')


if __name__ == '__main__':
    # Old code called get_event_loop() and let it create the loop.  Since
    # Python 3.12 that implicit creation gives a DeprecationWarning (and 3.14
    # refuses it), so we create the loop and install it ourselves first;
    # get_event_loop() then returns the loop we installed.
    asyncio.set_event_loop(asyncio.new_event_loop())
    loop = asyncio.get_event_loop()
    loop.run_until_complete(main())
    loop.close()
