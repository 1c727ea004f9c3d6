"""Lesson 15: ``asyncio.gather`` and ``asyncio.as_completed``.

``await asyncio.gather(c1, c2, c3)`` runs the coroutines concurrently (each
becomes a Task) and returns a LIST of their results in the order they were
PASSED - not the order in which they finished.

* ``return_exceptions=True``: an exception does not interrupt gather; it is
  put into the result list in place of the result.
* Groups: ``gather`` returns a future, so we can build groups WITHOUT await
  (``group1 = asyncio.gather(...)``) and then gather the groups: the answer
  is one list per group.
* ``asyncio.as_completed(aws)`` gives results AS THEY COMPLETE: it returns an
  iterator of awaitables, the first one finishes first.
"""

import asyncio

async def job(name, delay):
    await asyncio.sleep(delay)
    print('  {} finished after {:.2f} s'.format(name, delay))
    return name


async def failing(name, delay):
    await asyncio.sleep(delay)
    print('  {} raises ValueError'.format(name))
    raise ValueError('{} failed'.format(name))


async def main():
    print('--- results come in the order passed ---')
    results = await asyncio.gather(job('slow', 0.3), job('fast', 0.1), job('medium', 0.2))
    print('results:', results)

    print('--- return_exceptions=True ---')
    results = await asyncio.gather(job('a', 0.1), failing('b', 0.2), job('c', 0.3),
                                   return_exceptions=True)
    print('results:', results)

    print('--- groups of gathers (no await when building the groups) ---')
    group1 = asyncio.gather(job('g1-a', 0.2), job('g1-b', 0.1))
    group2 = asyncio.gather(job('g2-a', 0.15), job('g2-b', 0.05))
    all_groups = asyncio.gather(group1, group2)
    results = await all_groups
    print('results:', results)

    print('--- as_completed: results as they complete ---')
    aws = [job('slow', 0.3), job('fast', 0.1), job('medium', 0.2)]
    for next_done in asyncio.as_completed(aws):
        result = await next_done
        print('got', result)


asyncio.run(main())
