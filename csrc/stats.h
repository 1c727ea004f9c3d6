/* stats.h: the loop's always-on counters (loop.stats(), issue "see inside
 * the loop").
 *
 * Every counter is a plain increment on a path the loop takes anyway. The
 * clock is read only where the loop pays for far more already: around
 * blocking polls (a syscall), when timers are due (the loop reads the clock
 * then anyway) and, in debug mode, around each callback (asyncio's debug
 * mode times every callback for slow_callback_duration). A clock read per
 * callback in normal mode would cost 5-10% on a call_soon chain, so the
 * longest single callback is known in debug mode; in normal mode the
 * snapshot has the longest busy stretch (the longest time between two waits
 * for I/O), which bounds it. Building with CLOOP_NO_STATS compiles the
 * counters out, so their cost can be measured (benchmarks/stats_overhead.py).
 */
#ifndef CLOOP_STATS_H
#define CLOOP_STATS_H

#include <stdint.h>

#include "compat.h"

/* Timer lateness histogram: bucket 0 is under 1 microsecond, bucket i
 * (i >= 1) is [2^(i-1), 2^i) microseconds, the last bucket is open. */
#define CL_LAG_BUCKETS 28

typedef struct {
    uint64_t iterations;
    uint64_t callbacks_run; /* ready entries run (handles and tasks) */
    uint64_t tasks_stepped; /* Task steps (task.c) */
    uint64_t timers_scheduled;
    uint64_t timers_cancelled;
    uint64_t timers_fired;
    uint64_t io_events;
    double poll_time;        /* seconds blocked in epoll_wait */
    double run_time;         /* seconds inside run_forever, finished runs */
    double run_started;      /* monotonic time the current run began, or 0 */
    double longest_callback; /* seconds, debug mode only (else 0) */
    double longest_busy;     /* seconds between two blocking polls */
    double last_wait_end;    /* when the loop last stopped waiting */
    double max_lag;          /* seconds, latest timer */
    uint64_t lag[CL_LAG_BUCKETS];
} cl_stats;

#ifdef CLOOP_NO_STATS
#define CL_STAT_INC(st, field) ((void)0)
#define CL_STAT_ADD(st, field, n) ((void)0)
#define CL_STATS_ENABLED 0
#else
#define CL_STAT_INC(st, field) ((st)->field++)
#define CL_STAT_ADD(st, field, n) ((st)->field += (n))
#define CL_STATS_ENABLED 1
#endif

static inline void
cl_stats_callback_done(cl_stats *s)
{
#if CL_STATS_ENABLED
    s->callbacks_run++;
#endif
}

/* Debug mode: the run time of one callback, measured by the loop. */
static inline void
cl_stats_callback_took(cl_stats *s, double seconds)
{
#if CL_STATS_ENABLED
    if (seconds > s->longest_callback) {
        s->longest_callback = seconds;
    }
#endif
}

/* The loop is about to wait (blocking poll, or the end of a run) at `now`:
 * the stretch since it last stopped waiting was busy. */
static inline void
cl_stats_busy_until(cl_stats *s, double now)
{
#if CL_STATS_ENABLED
    if (s->last_wait_end > 0 && now - s->last_wait_end > s->longest_busy) {
        s->longest_busy = now - s->last_wait_end;
    }
#endif
}

/* Records how late a timer ran (seconds, may be <= 0). */
void cl_stats_timer_lag(cl_stats *s, double lag);

/* Run time so far, including the current run if one is under way. */
double cl_stats_run_time(const cl_stats *s, double now);

/* A dict snapshot of s (plus the gauges given), then zeroes the counters if
 * reset is true; the current run's start moves to now so no time is lost
 * or counted twice. New reference. */
PyObject *cl_stats_snapshot(cl_stats *s, int reset, Py_ssize_t ready,
                            Py_ssize_t timers, Py_ssize_t fds);

#endif /* CLOOP_STATS_H */
