"""Lesson 18: exceptions in ``asyncio.gather``.

Without ``return_exceptions`` (the default, False):
  the FIRST exception raised by any of the awaitables propagates at once
  to the code awaiting gather.  The other tasks are NOT cancelled - they
  keep running in the background, and their results are lost to us.

With ``return_exceptions=True``:
  nothing is raised; each exception is put into the result list at the
  position of the awaitable that raised it, so every task runs to the end
  and we sort out the failures ourselves.
"""

import asyncio


async def ok(name, delay):
    await asyncio.sleep(delay)
    print('  {} finished'.format(name))
    return name


async def fail(name, delay, exc_type):
    await asyncio.sleep(delay)
    print('  {} raises {}'.format(name, exc_type.__name__))
    raise exc_type('error in {}'.format(name))


async def main():
    print('--- default: the first exception propagates ---')
    try:
        results = await asyncio.gather(
            ok('a', 0.1),
            fail('b', 0.2, ValueError),
            fail('c', 0.3, TypeError),
            ok('d', 0.4),
        )
        print('results:', results)                 # never reached
    except ValueError as e:
        print('caught {}: {}'.format(type(e).__name__, e))
    print('the other tasks still run; wait to see them finish:')
    await asyncio.sleep(0.35)

    print('--- return_exceptions=True: exceptions become results ---')
    results = await asyncio.gather(
        ok('a', 0.1),
        fail('b', 0.2, ValueError),
        fail('c', 0.3, TypeError),
        ok('d', 0.4),
        return_exceptions=True,
    )
    print('results:', results)
    for r in results:
        if isinstance(r, Exception):
            print('  failed:', repr(r))
        else:
            print('  ok:    ', r)


asyncio.run(main())
