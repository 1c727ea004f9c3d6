"""call_soon chain: N callbacks, each scheduling the next one.

Only one callback is ready at a time, so every callback costs a whole loop
iteration: the ready-queue push and pop, the handle, the context switch into
the callback, and whatever the loop does per iteration (a zero-timeout poll
in asyncio and uvloop). One op = one callback run.
"""

SIZE = 500_000
QUICK_SIZE = 10_000
UNIT = "callbacks"


async def run(loop, n):
    done = loop.create_future()
    remaining = n

    def step():
        nonlocal remaining
        remaining -= 1
        if remaining:
            loop.call_soon(step)
        else:
            done.set_result(None)

    loop.call_soon(step)
    await done
    return n
