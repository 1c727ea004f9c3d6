"""loop.stats(): a snapshot of the counters the C loop keeps at all times."""
from __future__ import annotations

import dataclasses
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from ._cloop import Loop

# Upper bound, in seconds, of each bucket of the C lag histogram
# (csrc/stats.h): bucket 0 is under 1 us, bucket i is [2^(i-1), 2^i) us.
_LAG_BOUNDS = tuple(2.0 ** i * 1e-6 for i in range(28))


@dataclasses.dataclass(frozen=True)
class LoopStats:
    """What the loop did since it was created (or since the last reset).

    Times are in seconds. ``utilization`` is busy time over run time, as
    Node's ``eventLoopUtilization()``: 0 for a loop that only waits, 1 for a
    loop that never waits. ``longest_callback`` is measured in debug mode
    only (asyncio's debug mode times every callback anyway; doing it always
    would cost more than the counters themselves) and is None otherwise;
    ``longest_busy`` (the longest stretch between two waits for I/O or
    timers) is always measured and bounds it. ``lag_*`` say how late timers
    ran against their deadline (p50/p90/p99 are bucket upper bounds).
    """

    iterations: int
    callbacks_run: int
    tasks_stepped: int
    timers_scheduled: int
    timers_cancelled: int
    timers_fired: int
    io_events: int
    fds_watched: int
    ready: int
    timers: int
    run_time: float
    poll_time: float
    busy_time: float
    utilization: float
    longest_busy: float
    longest_callback: float | None
    lag_max: float
    lag_p50: float
    lag_p90: float
    lag_p99: float
    lag_histogram: tuple[int, ...]

    def format(self) -> str:
        """A few human-readable lines (used by ``python -m cloop --stats``)."""
        longest = ("n/a (debug mode only)" if self.longest_callback is None
                   else f"{self.longest_callback * 1e3:.3f} ms")
        return "\n".join((
            f"iterations {self.iterations}, callbacks {self.callbacks_run}, "
            f"task steps {self.tasks_stepped}, I/O events {self.io_events}",
            f"timers: {self.timers_scheduled} scheduled, "
            f"{self.timers_cancelled} cancelled, {self.timers_fired} fired; "
            f"now {self.timers} timers, {self.ready} ready, "
            f"{self.fds_watched} fds watched",
            f"run {self.run_time:.6f} s = busy {self.busy_time:.6f} s + "
            f"polling {self.poll_time:.6f} s; utilization "
            f"{self.utilization:.1%}",
            f"longest busy stretch {self.longest_busy * 1e3:.3f} ms, "
            f"longest callback {longest}",
            f"timer lag: p50 <= {self.lag_p50 * 1e3:.3f} ms, p90 <= "
            f"{self.lag_p90 * 1e3:.3f} ms, p99 <= {self.lag_p99 * 1e3:.3f} ms, "
            f"max {self.lag_max * 1e3:.3f} ms",
        ))


def _percentile(histogram: tuple[int, ...], fraction: float) -> float:
    total = sum(histogram)
    if not total:
        return 0.0
    seen = 0
    for bound, count in zip(_LAG_BOUNDS, histogram):
        seen += count
        if seen >= fraction * total:
            return bound
    return _LAG_BOUNDS[-1]


def snapshot(loop: Loop, reset: bool = False) -> LoopStats:
    """Build a LoopStats from the C counters of loop."""
    raw = loop._stats_raw(reset)
    hist = raw["lag_histogram"]
    run_time = raw["run_time"]
    busy = max(run_time - raw["poll_time"], 0.0)
    longest = raw["longest_callback"]
    if not longest and not loop.get_debug():
        longest = None
    return LoopStats(
        iterations=raw["iterations"],
        callbacks_run=raw["callbacks_run"],
        tasks_stepped=raw["tasks_stepped"],
        timers_scheduled=raw["timers_scheduled"],
        timers_cancelled=raw["timers_cancelled"],
        timers_fired=raw["timers_fired"],
        io_events=raw["io_events"],
        fds_watched=raw["fds_watched"],
        ready=raw["ready"],
        timers=raw["timers"],
        run_time=run_time,
        poll_time=raw["poll_time"],
        busy_time=busy,
        utilization=busy / run_time if run_time > 0 else 0.0,
        longest_busy=raw["longest_busy"],
        longest_callback=longest,
        lag_max=max(raw["max_lag"], 0.0),
        lag_p50=_percentile(hist, 0.50),
        lag_p90=_percentile(hist, 0.90),
        lag_p99=_percentile(hist, 0.99),
        lag_histogram=hist,
    )
