"""Timers: schedule N call_later timers, cancel half, run until the rest fire.

Delays are spread over 0..999 microseconds in a scrambled order (i * 7919 mod
1000), so the timer heap sees out-of-order inserts and the cancelled half is
scattered through it. Scheduling N timers takes longer than 1 ms for any
useful N, so by the time the loop runs most of them are due: this measures
heap insert, cancel, lazy removal and expiry, not sleeping.
One op = one timer scheduled (half of them are also cancelled).
"""

SIZE = 200_000
QUICK_SIZE = 5_000
UNIT = "timers"


async def run(loop, n):
    done = loop.create_future()
    expected = n - n // 2
    fired = 0

    def on_timer():
        nonlocal fired
        fired += 1
        if fired == expected:
            done.set_result(None)

    call_later = loop.call_later
    handles = [call_later((i * 7919 % 1000) * 1e-6, on_timer) for i in range(n)]
    for handle in handles[1::2]:
        handle.cancel()
    await done
    if fired != expected:
        raise RuntimeError(f"{fired} timers fired, expected {expected}")
    return n
