"""Short sleeps: one task doing `await asyncio.sleep(0.0001)` N times.

Nothing else is scheduled, so each sleep is a wait in the poller for a
timer 100 microseconds away: this measures how soon after its deadline the
loop wakes. asyncio's selector waits in whole milliseconds rounded up (~1.1
ms for each 0.1 ms sleep); cloop waits with epoll_pwait2 (Linux 5.11+) to
the nanosecond. uvloop rounds the delay itself to the nearest millisecond,
so a 0.1 ms sleep does not sleep at all (measured: 4 us, and 1.1 ms for
0.6 ms): its figure here is the cost of a sleep(0), not a wake-up.
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
