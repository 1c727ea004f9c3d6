"""Lesson 7.4: ``asyncio.run(main())`` (Python 3.7+).

The coroutines stay as in lesson 7.3 (``async def``, ``await``,
``asyncio.create_task()``, ``asyncio.gather()``), but the three lines that
managed the loop by hand

    loop = asyncio.get_event_loop()
    loop.run_until_complete(main())
    loop.close()

are replaced by one call: ``asyncio.run(main())`` creates a new event loop,
runs main() in it until it finishes, and closes the loop (lesson 13 looks
at what else it does).

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
    task_1 = asyncio.create_task(print_nums())
    task_2 = asyncio.create_task(print_time())
    await asyncio.gather(task_1, task_2)
    print('both tasks are done')


if __name__ == '__main__':
    asyncio.run(main())
