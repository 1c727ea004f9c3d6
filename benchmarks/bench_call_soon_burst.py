"""call_soon burst: schedule N callbacks at once, then let the loop run them.

All N callbacks are ready in the same iteration, so this is the cost of
call_soon itself (a handle with one argument appended to the ready queue)
plus dispatching it, with the per-iteration overhead paid only once.
One op = one callback scheduled and run.
"""

SIZE = 300_000
QUICK_SIZE = 10_000
UNIT = "callbacks"


async def run(loop, n):
    done = loop.create_future()
    ran = 0

    def callback(i):
        nonlocal ran
        ran += 1
        if ran == n:
            done.set_result(i)

    call_soon = loop.call_soon
    for i in range(n):
        call_soon(callback, i)
    last = await done
    if last != n - 1:
        raise RuntimeError(f"callbacks ran out of order: last was {last}, expected {n - 1}")
    return n
