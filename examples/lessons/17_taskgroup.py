"""Lesson 17: ``asyncio.TaskGroup`` (Python 3.11+).

A TaskGroup is an ``async with`` block that owns the tasks created through
it with ``tg.create_task(...)``.  The block does not end until ALL of its
tasks have finished - no task can be forgotten, and there is no need to
collect tasks in a list and gather them.  After the block, each task's
result is available with ``task.result()``.

(What a TaskGroup does when a task fails is the subject of lessons 19 and 21.)
"""

import asyncio


async def fetch(name, delay):
    print('{}: started'.format(name))
    await asyncio.sleep(delay)
    print('{}: finished after {:.2f} s'.format(name, delay))
    return '{} data'.format(name)


async def main():
    async with asyncio.TaskGroup() as tg:
        task1 = tg.create_task(fetch('users', 0.2))
        task2 = tg.create_task(fetch('orders', 0.1))
        task3 = tg.create_task(fetch('prices', 0.3))
        print('all three tasks created; the block waits for them')
    # Here every task of the group is done.
    print('after the block:', [t.done() for t in (task1, task2, task3)])
    print('results:', task1.result(), '|', task2.result(), '|', task3.result())

    print('--- tasks may add more tasks to the group while it runs ---')

    async def parent(tg):
        await asyncio.sleep(0.1)
        print('parent: adding a child task')
        tg.create_task(fetch('child', 0.1))

    async with asyncio.TaskGroup() as tg:
        tg.create_task(parent(tg))
    print('the group waited for the child too')


asyncio.run(main())
