"""Lesson 19: exceptions in a TaskGroup: ``ExceptionGroup`` and ``except*``.

``gather`` lets the first exception out and forgets the rest (lesson 18).
A TaskGroup instead collects EVERY exception of its tasks and raises them
together, at the end of the ``async with`` block, as one ``ExceptionGroup``
(``BaseExceptionGroup`` if one of them is not an ``Exception``).

There is no ``return_exceptions=True`` for a TaskGroup: to handle the
exceptions we catch the group.  Python 3.11 added ``except*`` for this:
each ``except* SomeError`` clause handles the exceptions of that type in
the group (as a smaller group, ``eg.exceptions``), and several clauses can
run for the same group.

Note that when the first task fails the group cancels the remaining ones
(lesson 21), so only exceptions raised before that are collected.  Here two
tasks fail in the same turn of the event loop, so both errors end up in the
group.
"""

import asyncio


async def ok(name, delay):
    await asyncio.sleep(delay)
    print('  {} finished'.format(name))
    return name


async def fail(name, go, exc_type):
    await go.wait()
    print('  {} raises {}'.format(name, exc_type.__name__))
    raise exc_type('error in {}'.format(name))


async def two_failures():
    go = asyncio.Event()
    async with asyncio.TaskGroup() as tg:
        tg.create_task(ok('a', 0.1))
        tg.create_task(fail('b', go, ValueError))
        tg.create_task(fail('c', go, TypeError))
        await asyncio.sleep(0.2)
        # Both b and c wait for this event: set() wakes them up in the same
        # turn of the loop, so both raise before the group can cancel either.
        go.set()


async def main():
    print('--- catching the ExceptionGroup as a whole ---')
    try:
        await two_failures()
    except ExceptionGroup as eg:
        print('caught:', repr(eg))
        for exc in eg.exceptions:
            print('  inside:', repr(exc))

    print('--- except* handles each type separately ---')
    try:
        await two_failures()
    except* ValueError as eg:
        print('except* ValueError got', [str(e) for e in eg.exceptions])
    except* TypeError as eg:
        print('except* TypeError got', [str(e) for e in eg.exceptions])

    print('--- a type nobody handles is re-raised ---')
    try:
        try:
            await two_failures()
        except* ValueError as eg:
            print('except* ValueError got', [str(e) for e in eg.exceptions])
    except ExceptionGroup as rest:
        print('left over:', repr(rest))


asyncio.run(main())
