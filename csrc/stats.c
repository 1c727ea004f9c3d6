/* stats.c: histogram, snapshot and reset of the loop's counters.
 *
 * Owns nothing but the cl_stats struct embedded in each loop. */
#include <math.h>
#include <string.h>

#include "clock.h"
#include "stats.h"

void
cl_stats_timer_lag(cl_stats *s, double lag)
{
#if CL_STATS_ENABLED
    if (lag > s->max_lag) {
        s->max_lag = lag;
    }
    uint64_t us = lag > 0 ? (uint64_t)(lag * 1e6) : 0;
    int bucket = us ? 64 - __builtin_clzll(us) : 0;
    if (bucket >= CL_LAG_BUCKETS) {
        bucket = CL_LAG_BUCKETS - 1;
    }
    s->lag[bucket]++;
#endif
}

double
cl_stats_run_time(const cl_stats *s, double now)
{
    return s->run_time + (s->run_started > 0 ? now - s->run_started : 0.0);
}

static int
set_u64(PyObject *d, const char *key, uint64_t v)
{
    PyObject *o = PyLong_FromUnsignedLongLong(v);
    int rc = o ? PyDict_SetItemString(d, key, o) : -1;
    Py_XDECREF(o);
    return rc;
}

static int
set_double(PyObject *d, const char *key, double v)
{
    PyObject *o = PyFloat_FromDouble(v);
    int rc = o ? PyDict_SetItemString(d, key, o) : -1;
    Py_XDECREF(o);
    return rc;
}

static PyObject *
lag_tuple(const cl_stats *s)
{
    PyObject *t = PyTuple_New(CL_LAG_BUCKETS);
    for (int i = 0; t != NULL && i < CL_LAG_BUCKETS; i++) {
        PyObject *n = PyLong_FromUnsignedLongLong(s->lag[i]);
        if (n == NULL) {
            Py_CLEAR(t);
            break;
        }
        PyTuple_SET_ITEM(t, i, n);
    }
    return t;
}

/* Includes the stretch under way when the loop is busy right now. */
static double
longest_busy(const cl_stats *s, double now)
{
    double current = s->last_wait_end > 0 ? now - s->last_wait_end : 0.0;
    return current > s->longest_busy ? current : s->longest_busy;
}

static void
reset(cl_stats *s, double now)
{
    int running = s->run_started > 0;
    memset(s, 0, sizeof(*s));
    if (running) {
        s->run_started = now;
        s->last_wait_end = now;
    }
}

PyObject *
cl_stats_snapshot(cl_stats *s, int do_reset, Py_ssize_t ready,
                  Py_ssize_t timers, Py_ssize_t fds)
{
    double now = cl_clock_now();
    PyObject *d = PyDict_New();
    PyObject *lag = lag_tuple(s);
    if (d == NULL || lag == NULL
        || PyDict_SetItemString(d, "lag_histogram", lag) < 0
        || set_u64(d, "iterations", s->iterations) < 0
        || set_u64(d, "callbacks_run", s->callbacks_run) < 0
        || set_u64(d, "tasks_stepped", s->tasks_stepped) < 0
        || set_u64(d, "timers_scheduled", s->timers_scheduled) < 0
        || set_u64(d, "timers_cancelled", s->timers_cancelled) < 0
        || set_u64(d, "timers_fired", s->timers_fired) < 0
        || set_u64(d, "io_events", s->io_events) < 0
        || set_u64(d, "ready", (uint64_t)ready) < 0
        || set_u64(d, "timers", (uint64_t)timers) < 0
        || set_u64(d, "fds_watched", (uint64_t)fds) < 0
        || set_double(d, "poll_time", s->poll_time) < 0
        || set_double(d, "run_time", cl_stats_run_time(s, now)) < 0
        || set_double(d, "longest_callback", s->longest_callback) < 0
        || set_double(d, "longest_busy", longest_busy(s, now)) < 0
        || set_double(d, "max_lag", s->max_lag) < 0
        || PyDict_SetItemString(d, "enabled",
                                CL_STATS_ENABLED ? Py_True : Py_False)
               < 0) {
        Py_XDECREF(d);
        Py_XDECREF(lag);
        return NULL;
    }
    Py_DECREF(lag);
    if (do_reset) {
        reset(s, now);
    }
    return d;
}
