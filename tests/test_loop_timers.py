"""call_later / call_at: ordering, cancellation, TimerHandle, loop.time(), bad input."""

import asyncio
import contextvars
import math
import random
import sys
import time
import weakref
from unittest import mock

import pytest

VAR = contextvars.ContextVar("VAR", default="unset")


def collect_until(loop, run_forever_guarded, out, n):
    """Run the loop until `out` holds `n` items (guarded against hangs)."""

    def check():
        if len(out) >= n:
            loop.stop()
        else:
            loop.call_later(0.001, check)

    loop.call_soon(check)
    assert run_forever_guarded(loop)


def test_call_later_runs_in_order_of_delay(loop, run_forever_guarded):
    out = []
    for delay in (0.03, 0.01, 0.05, 0.0, 0.02, 0.04):
        loop.call_later(delay, out.append, delay)
    collect_until(loop, run_forever_guarded, out, 6)
    assert out == [0.0, 0.01, 0.02, 0.03, 0.04, 0.05]


def test_call_at_runs_in_order_of_when(loop, run_forever_guarded):
    out = []
    base = loop.time()
    offsets = [i / 1000 for i in range(-20, 40, 3)]
    shuffled = offsets[:]
    random.Random(1234).shuffle(shuffled)
    for off in shuffled:
        loop.call_at(base + off, out.append, off)
    collect_until(loop, run_forever_guarded, out, len(offsets))
    assert out == sorted(offsets)


def test_call_later_and_call_at_share_one_timeline(loop, run_forever_guarded):
    out = []
    now = loop.time()
    loop.call_at(now + 0.03, out.append, "at+30ms")
    loop.call_later(0.01, out.append, "later+10ms")
    loop.call_at(now + 0.02, out.append, "at+20ms")
    loop.call_later(0.04, out.append, "later+40ms")
    collect_until(loop, run_forever_guarded, out, 4)
    assert out == ["later+10ms", "at+20ms", "at+30ms", "later+40ms"]


@pytest.mark.cloop_only
def test_equal_deadlines_run_in_scheduling_order(loop, run_forever_guarded):
    # asyncio's heapq leaves the order of equal deadlines undefined (its docs say so);
    # cloop's timer heap is keyed (when, sequence) and promises FIFO.
    out = []
    when = loop.time() + 0.01
    for i in range(50):
        loop.call_at(when, out.append, i)
    loop.call_later(0, out.append, "first")
    collect_until(loop, run_forever_guarded, out, 51)
    assert out == ["first", *range(50)]


def test_negative_and_zero_delays_run_in_the_next_iteration(loop, run_once):
    out = []

    def soon():
        out.append("soon")
        loop.call_soon(out.append, "scheduled-by-soon")

    loop.call_later(-1, out.append, "negative")
    loop.call_later(0, out.append, "zero")
    loop.call_at(loop.time() - 100, out.append, "past")
    loop.call_soon(soon)
    run_once(loop)
    # Expired timers join the ready queue behind what was already there.
    assert out == ["soon", "past", "negative", "zero"]
    run_once(loop)
    assert out[-1] == "scheduled-by-soon"


def test_callback_scheduled_by_a_timer_runs_in_the_next_iteration(loop, run_once):
    out = []

    def timer():
        out.append("timer")
        loop.call_soon(out.append, "soon")

    loop.call_later(-1, timer)
    run_once(loop)
    assert out == ["timer"]
    run_once(loop)
    assert out == ["timer", "soon"]


def test_timer_does_not_fire_before_its_deadline(loop, run_forever_guarded):
    fired = []
    handle = loop.call_later(0.05, lambda: (fired.append(loop.time()), loop.stop()))
    assert run_forever_guarded(loop)
    assert fired and fired[0] >= handle.when() - 1e-6


def test_cancelled_timer_is_not_called(loop, run_forever_guarded):
    out = []
    handle = loop.call_later(0.01, out.append, "cancelled")
    loop.call_later(0.02, out.append, "kept")
    assert not handle.cancelled()
    handle.cancel()
    assert handle.cancelled()
    handle.cancel()
    assert handle.cancelled()
    loop.call_later(0.03, loop.stop)
    assert run_forever_guarded(loop)
    assert out == ["kept"]


def test_timer_cancelled_by_a_timer_of_the_same_iteration(loop, run_once):
    out = []
    when = loop.time() - 1
    victim = []
    loop.call_at(when - 0.5, lambda: (out.append("killer"), victim[0].cancel()))
    victim.append(loop.call_at(when, out.append, "victim"))
    loop.call_at(when + 0.5, out.append, "survivor")
    run_once(loop)
    assert out == ["killer", "survivor"]
    assert victim[0].cancelled()


def test_timer_cancel_after_it_ran(loop, run_once):
    out = []
    handle = loop.call_later(-1, out.append, 1)
    run_once(loop)
    assert out == [1]
    assert not handle.cancelled()
    handle.cancel()
    assert handle.cancelled()


def test_many_cancelled_timers_are_removed_lazily_and_live_ones_still_fire(
    loop, run_forever_guarded, run_once
):
    out = []
    base = loop.time()
    handles = [loop.call_at(base + 0.01 + i * 1e-5, out.append, i) for i in range(2000)]
    live = [i for i in range(2000) if i % 10 == 3]
    for i, handle in enumerate(handles):
        if i % 10 != 3:
            handle.cancel()
    # Far timers, most of them cancelled, stay behind the due ones.
    far = [loop.call_later(3600 + i, out.append, ("far", i)) for i in range(500)]
    for handle in far[1:]:
        handle.cancel()
    collect_until(loop, run_forever_guarded, out, len(live))
    assert out == live
    assert all(h.cancelled() for i, h in enumerate(handles) if i % 10 != 3)
    assert not far[0].cancelled()
    far[0].cancel()
    run_once(loop)
    assert out == live


def test_cancelling_timers_from_inside_timer_callbacks(loop, run_forever_guarded):
    out = []
    base = loop.time()
    handles = {}

    def fire(i):
        out.append(i)
        # Each firing timer cancels the timer two places further on.
        if i + 2 in handles:
            handles[i + 2].cancel()

    for i in range(20):
        handles[i] = loop.call_at(base + 0.005 + i * 0.001, fire, i)
    loop.call_at(base + 0.05, loop.stop)
    assert run_forever_guarded(loop)
    assert out == [0, 1, 4, 5, 8, 9, 12, 13, 16, 17]


def test_timerhandle_when(loop):
    when = loop.time() + 123.25
    handle = loop.call_at(when, print)
    assert handle.when() == when
    handle.cancel()

    t0 = loop.time()
    handle = loop.call_later(10, print)
    t1 = loop.time()
    assert t0 + 10 <= handle.when() <= t1 + 10
    handle.cancel()

    handle = loop.call_at(5, print)
    assert handle.when() == 5
    handle.cancel()


def test_timerhandle_keeps_the_deadline_object_it_was_given(loop):
    # asyncio's TimerHandle reports what call_at was given (aiohttp's
    # timeout helpers ceil deadlines to ints and check that they stay ints).
    handle = loop.call_at(10, print)
    assert type(handle.when()) is int and handle.when() == 10
    assert type(handle._when) is int
    assert "when=10 " in repr(handle) or "when=10>" in repr(handle)
    assert hash(handle) == hash(10)
    handle.cancel()

    big = 2**70
    handle = loop.call_at(big, print)
    assert handle.when() is big
    handle.cancel()

    handle = loop.call_at(True, print)
    assert handle.when() is True
    handle.cancel()

    handle = loop.call_later(1, print)
    assert type(handle.when()) is float
    handle.cancel()


def test_timerhandle_deadline_from_a_mocked_int_time(loop):
    # call_later adds the delay to whatever time() returns, as asyncio's.
    with mock.patch.object(loop, "time", return_value=10):
        handle = loop.call_later(5, print)
        assert type(handle.when()) is int and handle.when() == 15
        handle.cancel()
        handle = loop.call_later(0.5, print)
        assert handle.when() == 10.5
        handle.cancel()


def test_a_timer_given_an_int_deadline_fires_in_order(loop,
                                                      run_forever_guarded):
    out = []
    base = math.ceil(loop.time())
    loop.call_at(base - 0.5, out.append, "float")
    loop.call_at(base - 1, out.append, "int-early")
    loop.call_at(base, out.append, "int")
    loop.call_at(base + 0.001, loop.stop)
    assert run_forever_guarded(loop)
    assert out == ["int-early", "float", "int"]


def test_timerhandle_repr(loop):
    def my_timer_callback():
        pass

    handle = loop.call_later(10, my_timer_callback)
    text = repr(handle)
    assert text.startswith("<TimerHandle ")
    assert "when=" in text
    assert "my_timer_callback" in text
    assert "cancelled" not in text
    handle.cancel()
    text = repr(handle)
    assert text.startswith("<TimerHandle cancelled when=")


def test_timer_passes_its_args(loop, run_once):
    out = []
    loop.call_later(-1, lambda *a: out.append(a), 1, "two", None)
    loop.call_at(0, lambda *a: out.append(a), 3)
    run_once(loop)
    assert out == [(3,), (1, "two", None)]


def test_timer_context_argument(loop, run_once):
    ctx = contextvars.copy_context()
    ctx.run(VAR.set, "timer-ctx")
    seen = []

    def cb():
        seen.append(VAR.get())
        VAR.set("changed")

    loop.call_later(-1, cb, context=ctx)
    loop.call_at(loop.time() - 0.5, cb, context=ctx)
    loop.call_later(-0.1, cb)
    run_once(loop)
    assert seen == ["timer-ctx", "changed", "unset"]
    assert ctx[VAR] == "changed"
    assert VAR.get() == "unset"


@pytest.mark.parametrize("delay", [1e9, float("inf")])
def test_very_far_timers_neither_fire_nor_break_the_loop(loop, run_once, delay):
    out = []
    handle = loop.call_later(delay, out.append, "far")
    loop.call_soon(out.append, "soon")
    run_once(loop)
    assert out == ["soon"]
    assert handle.when() >= delay
    handle.cancel()


def test_loop_time_is_monotonic(loop):
    samples = [loop.time() for _ in range(10000)]
    assert all(a <= b for a, b in zip(samples, samples[1:]))
    assert isinstance(samples[0], float)


def test_loop_time_is_the_time_monotonic_clock(loop):
    # Same clock, not merely a monotonic one: the loop's reading lies between two
    # readings of time.monotonic() (give or take rounding to a float).
    for _ in range(100):
        before = time.monotonic()
        now = loop.time()
        after = time.monotonic()
        assert before - 1e-6 <= now <= after + 1e-6


def test_call_later_none_delay(loop):
    with pytest.raises(TypeError, match="delay must not be None"):
        loop.call_later(None, print)


def test_call_later_string_delay(loop):
    with pytest.raises(TypeError):
        loop.call_later("x", print)


def test_call_at_none_when(loop):
    with pytest.raises(TypeError, match="when cannot be None"):
        loop.call_at(None, print)


def test_bad_timer_input_does_not_schedule_anything(loop, run_once):
    out = []
    for call in (
        lambda: loop.call_later(None, out.append, 1),
        lambda: loop.call_later("x", out.append, 1),
        lambda: loop.call_at(None, out.append, 1),
    ):
        with pytest.raises(TypeError):
            call()
    run_once(loop)
    assert out == []
    assert not math.isnan(loop.time())


class Token:
    """A weak-referenceable argument, to see when the loop lets go of it."""


def test_cancelled_timer_releases_its_arguments_at_once(loop):
    token = Token()
    ref = weakref.ref(token)
    handle = loop.call_later(3600, print, token)
    del token
    handle.cancel()
    assert ref() is None


def test_fired_timer_releases_its_arguments(loop, run_once):
    token = Token()
    ref = weakref.ref(token)
    loop.call_later(-1, lambda t: None, token)
    del token
    run_once(loop)
    assert ref() is None


def test_nan_delay_fires_at_once(loop, run_once):
    """A NaN deadline compares false with everything: asyncio fires it as
    soon as it is the earliest timer it looks at (cloop once turned it into
    an endless epoll_wait). when() still reports NaN."""
    out = []
    handle = loop.call_later(float("nan"), out.append, "fired")
    assert math.isnan(handle.when())
    run_once(loop)
    assert out == ["fired"]


def test_wait_for_nan_times_out_at_once(loop):
    async def work():
        await asyncio.sleep(0.05)
        return "done"

    # No other timer: the NaN deadline is the earliest, and asyncio acts on
    # it: 3.11 and 3.12 fire it (TimeoutError); from 3.13 the loop's wait
    # comes out NaN, which its selector refuses (the loop raises).
    if sys.version_info >= (3, 13):
        task = loop.create_task(asyncio.wait_for(work(), float("nan")))
        with pytest.raises(ValueError, match="cannot convert float NaN"):
            loop.run_until_complete(task)
        # While the NaN timer is the only one, every iteration fails the
        # same way; with a real timer to wait for, it fires.
        loop.run_until_complete(asyncio.sleep(0.06))
        with pytest.raises(asyncio.TimeoutError):
            task.result()
    else:
        with pytest.raises(asyncio.TimeoutError):
            loop.run_until_complete(asyncio.wait_for(work(), float("nan")))


def test_infinite_deadline_waits_without_spinning(loop, run_until):
    async def main():
        handle = loop.call_later(float("inf"), lambda: None)
        await asyncio.sleep(0.01)
        handle.cancel()
        return await asyncio.wait_for(asyncio.sleep(0, "ok"), float("inf"))

    assert run_until(loop, main()) == "ok"


def test_a_time_mocked_on_the_loop_moves_its_timers(loop, run_once):
    # Test suites (aiohttp's) patch loop.time to make timers expire: asyncio's
    # run loop and call_later ask self.time().
    now = [loop.time()]
    fired = []
    with mock.patch.object(loop, "time", side_effect=lambda: now[0]):
        loop.call_later(1000, fired.append, "late")
        run_once(loop)
        assert fired == []
        now[0] += 1001
        run_once(loop)
        assert fired == ["late"]
    # Unpatched, the loop's own clock is back: a timer an hour away waits.
    loop.call_later(3600, fired.append, "hour")
    run_once(loop)
    assert fired == ["late"]


def test_a_subclass_time_moves_its_timers(loop, run_once):
    offset = [0.0]

    class Shifted(type(loop)):
        def time(self):
            return super().time() + offset[0]

    loop = Shifted()
    try:
        fired = []
        loop.call_later(1000, fired.append, "late")
        run_once(loop)
        assert fired == []
        offset[0] = 1001.0
        run_once(loop)
        assert fired == ["late"]
    finally:
        loop.close()


def test_a_mocked_time_that_fails_fails_the_run(loop, run_once):
    loop.call_later(10, print)
    with mock.patch.object(loop, "time", side_effect=ZeroDivisionError):
        with pytest.raises(ZeroDivisionError):
            run_once(loop)


@pytest.mark.parametrize("delay", [5e-5, 3e-4, 1.5e-3])
def test_sub_millisecond_timers_never_fire_early(loop, run_forever_guarded, delay):
    # cloop waits for a timer with epoll_pwait2's nanoseconds, asyncio with
    # epoll_wait's milliseconds rounded up: neither may run it before it is
    # due.
    seen = []

    def fire(handle_box):
        seen.append((loop.time(), handle_box[0].when()))
        if len(seen) == 20:
            loop.stop()
        else:
            handle_box[0] = loop.call_later(delay, fire, handle_box)

    box = [None]
    box[0] = loop.call_later(delay, fire, box)
    assert run_forever_guarded(loop)
    assert all(now >= when for now, when in seen), seen


def sleep_durations(loop, delay, count):
    async def sleeps():
        durations = []
        for _ in range(count):
            start = time.monotonic()
            await asyncio.sleep(delay)
            durations.append(time.monotonic() - start)
        return durations

    return loop.run_until_complete(sleeps())


@pytest.mark.cloop_only
def test_sleeps_finer_than_a_millisecond(impl, loop):
    # With epoll_pwait2 (Linux 5.11+) a 0.2 ms sleep wakes within a fraction
    # of a millisecond: of 50, at least one must (asyncio and uvloop wait at
    # least 1 ms for any positive delay).
    import cloop._cloop as core

    assert core._poller_fine_waits(), "this kernel refused epoll_pwait2"
    assert min(sleep_durations(loop, 2e-4, 50)) < 0.9e-3


@pytest.mark.cloop_only
def test_without_epoll_pwait2_waits_are_whole_milliseconds(impl, loop):
    # The fallback for kernels without epoll_pwait2: epoll_wait, its timeout
    # rounded up to the millisecond, as asyncio's selector rounds.
    import cloop._cloop as core

    core._poller_fine_waits(False)
    try:
        assert not core._poller_fine_waits()
        assert min(sleep_durations(loop, 2e-4, 10)) >= 1e-3
    finally:
        core._poller_fine_waits(True)
    assert core._poller_fine_waits()
