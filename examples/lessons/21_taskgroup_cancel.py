"""Lesson 21: a failing task in a TaskGroup cancels its siblings.

With ``gather`` a failure leaves the other tasks running (lesson 18) and
cancelling them is our job (lesson 20).  A TaskGroup does it automatically:
as soon as one of its tasks raises an exception, the group cancels all the
other tasks that are still running, waits for them to finish their clean-up,
and then raises an ``ExceptionGroup`` with the error(s).  The cancelled
siblings get ``asyncio.CancelledError`` at their current ``await``.
"""

import asyncio


cleaned_up = []        # names of the tasks that ran their clean-up code


async def worker(name, delay):
    try:
        print('  {}: started, needs {:.1f} s'.format(name, delay))
        await asyncio.sleep(delay)
        print('  {}: finished'.format(name))
        return name
    except asyncio.CancelledError:
        # The group cancels its remaining tasks in no particular order (it
        # keeps them in a set), so this line does not name the task; we note
        # who cleaned up and print the names, sorted, after the group.
        print('  a sibling got CancelledError from the group, cleaning up')
        cleaned_up.append(name)
        raise


async def broken(delay):
    await asyncio.sleep(delay)
    print('  broken: raises ValueError')
    raise ValueError('broken task failed')


async def main():
    try:
        async with asyncio.TaskGroup() as tg:
            fast = tg.create_task(worker('fast', 0.1), name='fast')
            slow = tg.create_task(worker('slow', 1.0), name='slow')
            slower = tg.create_task(worker('slower', 2.0), name='slower')
            bad = tg.create_task(broken(0.2), name='broken')
    except* ValueError as eg:
        print('caught', [repr(e) for e in eg.exceptions])
    print('cancelled by the group, cleaned up:', sorted(cleaned_up))

    for task in (fast, slow, slower, bad):
        if task.cancelled():
            state = 'cancelled'
        elif task.exception() is not None:
            state = 'failed: {!r}'.format(task.exception())
        else:
            state = 'result {!r}'.format(task.result())
        print('{:<7} {}'.format(task.get_name(), state))


asyncio.run(main())
