"""Future round trip: a task awaits a fresh future that a callback resolves.

Each round: loop.create_future(), call_soon(fut.set_result, None), await the
future. That is one future created, one callback run, one done-callback
waking the task, and one task step: two loop iterations.
One op = one round trip.
"""

SIZE = 150_000
QUICK_SIZE = 3_000
UNIT = "round trips"


async def run(loop, n):
    create_future = loop.create_future
    call_soon = loop.call_soon
    for i in range(n):
        fut = create_future()
        call_soon(fut.set_result, i)
        if await fut != i:
            raise RuntimeError("future resolved with the wrong value")
    return n
