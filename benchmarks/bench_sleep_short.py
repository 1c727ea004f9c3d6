"""Short sleeps: one task doing `await asyncio.sleep(0.0001)` N times.

Nothing else is scheduled, so each sleep is a wait in the poller for a
timer 100 microseconds away: this measures how soon after its deadline the
loop wakes. asyncio's selector and libuv wait in whole milliseconds
(rounded up), so they manage at most ~1000 sleeps a second; cloop waits with
epoll_pwait2 (Linux 5.11+) to the nanosecond.
One op = one sleep.
"""

import asyncio

SIZE = 2_000
QUICK_SIZE = 100
UNIT = "sleeps"
DELAY = 1e-4


async def run(loop, n):
    sleep = asyncio.sleep
    for _ in range(n):
        await sleep(DELAY)
    return n
