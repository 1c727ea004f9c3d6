"""Queue ping-pong: two tasks pass N items back and forth through two queues.

The main task puts an item on `ping` and waits on `pong`; an echo task waits
on `ping` and puts the item on `pong`. Every hop wakes a task blocked in
Queue.get(), so this measures the getter future, its wakeup callback and the
task switch that asyncio.Queue (and anything built like it) relies on.
One op = one round trip (two queue hops).
"""

import asyncio

SIZE = 60_000
QUICK_SIZE = 2_000
UNIT = "round trips"


async def _echo(ping, pong):
    while True:
        item = await ping.get()
        if item is None:
            return
        await pong.put(item)


async def run(loop, n):
    ping = asyncio.Queue()
    pong = asyncio.Queue()
    echo = loop.create_task(_echo(ping, pong))
    for i in range(n):
        await ping.put(i)
        if await pong.get() != i:
            raise RuntimeError("items came back out of order")
    await ping.put(None)
    await echo
    return n
