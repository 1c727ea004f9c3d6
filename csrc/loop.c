/* loop.c: the Loop type: scheduling methods and the run loop.
 *
 * Owns: the ready ring (each entry's obj/arg references), the timer heap
 * (one reference per timer), the poller and, through loop_io.c, the watcher
 * table. Does not own: anything asyncio-level that is orchestration rather
 * than a hot path (run_until_complete, executors, exception handler, async
 * generator hooks); those live in cloop/_loop.py.
 *
 * One iteration (run_once) is a list of phases, as in asyncio's _run_once:
 * drop cancelled timers, compute the poll timeout, poll and queue the I/O
 * callbacks, queue the expired timers, then run exactly the entries that
 * were ready when the run phase began.
 */
#include <errno.h>
#include <math.h>

#include "clock.h"
#include "common.h"
#include "errors.h"
#include "future.h"
#include "handle.h"
#include "loop.h"
#include "loop_attrs.h"
#include "loop_io.h"
#include "readycall.h"
#include "server.h"
#include "sock.h"
#include "task.h"

/* ------------------------------------------------------------------ */
/* Small helpers                                                       */

int
cl_loop_check(cl_state *st, PyObject *obj)
{
    return PyObject_TypeCheck(obj, st->LoopType);
}

int
cl_loop_check_closed(LoopObject *loop)
{
    if (CL_UNLIKELY(loop->closed)) {
        PyErr_SetString(PyExc_RuntimeError, "Event loop is closed");
        return -1;
    }
    return 0;
}

int
cl_loop_push_ready(LoopObject *loop, cl_ready_fn run, PyObject *obj,
                   PyObject *arg)
{
    if (CL_UNLIKELY(cl_ringbuf_push(&loop->ready, run, obj, arg) < 0)) {
        Py_DECREF(obj);
        Py_XDECREF(arg);
        PyErr_NoMemory();
        return -1;
    }
    return 0;
}

/* asyncio's _check_callback (borrowed from BaseEventLoop by cloop.Loop),
 * for debug mode only: it refuses coroutines and non-callables. */
static int
check_callback(LoopObject *self, PyObject *callback, const char *method)
{
    PyObject *name = PyUnicode_FromString(method);
    if (name == NULL) {
        return -1;
    }
    PyObject *res = PyObject_CallMethodObjArgs((PyObject *)self,
                                               self->state->str_check_callback,
                                               callback, name, NULL);
    Py_DECREF(name);
    if (res == NULL) {
        return -1;
    }
    Py_DECREF(res);
    return 0;
}

static int
debug_checks(LoopObject *self, PyObject *callback, const char *method,
             int thread)
{
    if ((thread && cl_readycall_check_thread(self) < 0)
        || check_callback(self, callback, method) < 0) {
        return -1;
    }
    return 0;
}

/* Splits a vectorcall into the callback, its arguments and context=. */
typedef struct {
    PyObject *callback;
    PyObject *const *args;
    Py_ssize_t nargs;
    PyObject *context; /* borrowed, NULL if not given */
} call_spec;

static int
parse_call(const char *fname, Py_ssize_t first, PyObject *const *args,
           Py_ssize_t nargs, PyObject *kwnames, call_spec *spec)
{
    if (nargs <= first) {
        PyErr_Format(PyExc_TypeError,
                     "%s() missing required positional argument: '%s'", fname,
                     "callback");
        return -1;
    }
    spec->callback = args[first];
    spec->args = args + first + 1;
    spec->nargs = nargs - first - 1;
    spec->context = NULL;
    Py_ssize_t nkw = kwnames ? PyTuple_GET_SIZE(kwnames) : 0;
    for (Py_ssize_t i = 0; i < nkw; i++) {
        PyObject *key = PyTuple_GET_ITEM(kwnames, i);
        if (!PyUnicode_Check(key)
            || PyUnicode_CompareWithASCIIString(key, "context") != 0) {
            PyErr_Format(PyExc_TypeError,
                         "%s() got an unexpected keyword argument '%S'", fname,
                         key);
            return -1;
        }
        spec->context = args[nargs + i];
    }
    return 0;
}

/* ------------------------------------------------------------------ */
/* Scheduling                                                          */

static PyObject *
Loop_time(LoopObject *self, PyObject *unused)
{
    return PyFloat_FromDouble(cl_clock_now());
}

/* Recomputes time_hooked: is the time() the loop's class has not this
 * type's own method, or is one set on the instance? Test suites replace
 * loop.time to move the loop's timers (aiohttp's mock.patch.object(loop,
 * "time")), which works on asyncio because its run loop asks self.time().
 * The instance is watched by Loop_setattro; classes are looked at when the
 * loop is made and each time it starts running. 0 or -1. */
static int
refresh_time_hook(LoopObject *self)
{
    PyObject *name = self->state->str_time;
    PyObject *theirs = PyObject_GetAttr((PyObject *)Py_TYPE(self), name);
    if (theirs == NULL) {
        return -1;
    }
    PyObject *ours = PyObject_GetAttr((PyObject *)self->state->LoopType, name);
    if (ours == NULL) {
        Py_DECREF(theirs);
        return -1;
    }
    self->time_hooked = self->time_in_dict || theirs != ours;
    Py_DECREF(theirs);
    Py_DECREF(ours);
    return 0;
}

static int
Loop_setattro(LoopObject *self, PyObject *name, PyObject *value)
{
    if (PyObject_GenericSetAttr((PyObject *)self, name, value) < 0) {
        return -1;
    }
    if (PyUnicode_Check(name)
        && PyUnicode_Compare(name, self->state->str_time) == 0) {
        self->time_in_dict = value != NULL;
        return refresh_time_hook(self);
    }
    return 0;
}

/* The loop's time into *now: the clock, or self.time() where that is
 * replaced. 0, or -1 with an exception. */
static int
loop_now(LoopObject *self, double *now)
{
    if (!self->time_hooked) {
        *now = cl_clock_now();
        return 0;
    }
    PyObject *t =
        PyObject_CallMethodNoArgs((PyObject *)self, self->state->str_time);
    if (t == NULL) {
        return -1;
    }
    *now = PyFloat_AsDouble(t);
    Py_DECREF(t);
    return (*now == -1.0 && PyErr_Occurred()) ? -1 : 0;
}

/* Queues a Handle for spec; returns a new reference to it. */
static PyObject *
queue_handle(LoopObject *self, call_spec *spec)
{
    HandleObject *h =
        cl_handle_new(self->state->HandleType, self, spec->callback,
                      spec->args, spec->nargs, spec->context);
    if (h == NULL) {
        return NULL;
    }
    cl_handle_hide_from_gc(h);
    if (cl_loop_push_ready(self, cl_handle_run, Py_NewRef((PyObject *)h), NULL)
        < 0) {
        Py_DECREF(h);
        return NULL;
    }
    return (PyObject *)h;
}

static PyObject *
Loop_call_soon(LoopObject *self, PyObject *const *args, Py_ssize_t nargs,
               PyObject *kwnames)
{
    call_spec spec;
    if (parse_call("call_soon", 0, args, nargs, kwnames, &spec) < 0
        || cl_loop_check_closed(self) < 0
        || (self->debug
            && debug_checks(self, spec.callback, "call_soon", 1) < 0)) {
        return NULL;
    }
    return queue_handle(self, &spec);
}

#if CL_THREADSAFE_HANDLE
/* The handle's source traceback ends in _ThreadSafeHandle.__init__, which
 * asyncio's call_soon_threadsafe also removes: it then ends at the caller. */
static int
drop_own_frame(LoopObject *self, PyObject *h)
{
    PyObject *tb = PyObject_GetAttr(h, self->state->str_source_traceback_attr);
    if (tb == NULL) {
        return -1;
    }
    int rc = 0;
    if (PyList_Check(tb) && PyList_GET_SIZE(tb) > 0) {
        rc = PySequence_DelItem(tb, -1);
    }
    Py_DECREF(tb);
    return rc;
}

/* Queues asyncio's own events._ThreadSafeHandle for spec, as 3.14's
 * call_soon_threadsafe does (its cancel() waits while the callback runs,
 * under a lock of the handle's). New reference. */
static PyObject *
queue_threadsafe_handle(LoopObject *self, call_spec *spec)
{
    PyObject *args = PyTuple_New(spec->nargs);
    if (args == NULL) {
        return NULL;
    }
    for (Py_ssize_t i = 0; i < spec->nargs; i++) {
        PyTuple_SET_ITEM(args, i, Py_NewRef(spec->args[i]));
    }
    PyObject *ctx = spec->context ? spec->context : Py_None;
    PyObject *h = PyObject_CallFunctionObjArgs(self->state->ThreadSafeHandle,
                                               spec->callback, args,
                                               (PyObject *)self, ctx, NULL);
    Py_DECREF(args);
    if (h == NULL || (self->debug && drop_own_frame(self, h) < 0)) {
        Py_XDECREF(h);
        return NULL;
    }
    if (cl_loop_push_ready(self, cl_handle_run_asyncio, Py_NewRef(h), NULL)
        < 0) {
        Py_DECREF(h);
        return NULL;
    }
    return h;
}
#endif

static PyObject *
Loop_call_soon_threadsafe(LoopObject *self, PyObject *const *args,
                          Py_ssize_t nargs, PyObject *kwnames)
{
    call_spec spec;
    if (parse_call("call_soon_threadsafe", 0, args, nargs, kwnames, &spec) < 0
        || cl_loop_check_closed(self) < 0
        || (self->debug
            && debug_checks(self, spec.callback, "call_soon_threadsafe", 0)
                   < 0)) {
        return NULL;
    }
#if CL_THREADSAFE_HANDLE
    PyObject *h = queue_threadsafe_handle(self, &spec);
#else
    PyObject *h = queue_handle(self, &spec);
#endif
    /* The loop thread only blocks with `polling` set and the GIL released;
     * otherwise it will see the new entry before it next blocks. */
    if (h != NULL && self->polling && cl_poller_wake(&self->poller) < 0) {
        Py_DECREF(h);
        return PyErr_SetFromErrno(PyExc_OSError);
    }
    return h;
}

/* A timer due at `when`; `given` (borrowed, may be NULL) is the deadline
 * object to report from when() when it is not an exact float. */
static PyObject *
schedule_timer(LoopObject *self, double when, PyObject *given, call_spec *spec)
{
    HandleObject *t =
        cl_handle_new(self->state->TimerHandleType, self, spec->callback,
                      spec->args, spec->nargs, spec->context);
    if (t == NULL) {
        return NULL;
    }
    t->when = when;
    t->when_given = Py_XNewRef(given);
    cl_handle_hide_from_gc(t);
    /* A NaN deadline (when() still reports it) goes first: it compares
     * false with everything, and asyncio acts on it once it is the earliest
     * timer it looks at (3.11, 3.12: due at once; 3.13+: its selector
     * raises ValueError, see poll_timeout_ns). In the heap it would break
     * the order and, at the top, make the wait endless. */
    double key = isnan(when) ? -INFINITY : when;
    if (cl_timerheap_push(&self->timers, key, self->timer_seq++,
                          Py_NewRef((PyObject *)t))
        < 0) {
        Py_DECREF(t); /* the reference meant for the heap */
        Py_DECREF(t);
        return PyErr_NoMemory();
    }
    t->scheduled = 1;
    CL_STAT_INC(&self->stats, timers_scheduled);
    return (PyObject *)t;
}

static PyObject *
call_at_impl(LoopObject *self, double when, PyObject *given, call_spec *spec)
{
    if (cl_loop_check_closed(self) < 0
        || (self->debug
            && debug_checks(self, spec->callback, "call_at", 1) < 0)) {
        return NULL;
    }
    return schedule_timer(self, when, given, spec);
}

static PyObject *
Loop_call_at(LoopObject *self, PyObject *const *args, Py_ssize_t nargs,
             PyObject *kwnames)
{
    call_spec spec;
    if (nargs >= 1 && args[0] == Py_None) {
        PyErr_SetString(PyExc_TypeError, "when cannot be None");
        return NULL;
    }
    if (nargs < 1) {
        PyErr_SetString(
            PyExc_TypeError,
            "call_at() missing required positional argument: 'when'");
        return NULL;
    }
    if (parse_call("call_at", 1, args, nargs, kwnames, &spec) < 0) {
        return NULL;
    }
    double when = PyFloat_AsDouble(args[0]);
    if (when == -1.0 && PyErr_Occurred()) {
        return NULL;
    }
    return call_at_impl(self, when,
                        PyFloat_CheckExact(args[0]) ? NULL : args[0], &spec);
}

/* The loop's time() as an object: a float of the clock unless time() is
 * replaced, then whatever it returns. New reference. */
static PyObject *
loop_now_object(LoopObject *self)
{
    if (!self->time_hooked) {
        return PyFloat_FromDouble(cl_clock_now());
    }
    return PyObject_CallMethodNoArgs((PyObject *)self, self->state->str_time);
}

/* time() + delay with Python's semantics (and its error for a bad delay),
 * as asyncio's call_later computes it. *given is set to a new reference to
 * the sum when it is not an exact float (a replaced time() returning an
 * int), else to NULL. */
static int
deadline_after(LoopObject *self, PyObject *delay, double *when,
               PyObject **given)
{
    *given = NULL;
    if (!self->time_hooked && PyFloat_CheckExact(delay)) {
        *when = cl_clock_now() + PyFloat_AS_DOUBLE(delay);
        return 0;
    }
    PyObject *now = loop_now_object(self);
    if (now == NULL) {
        return -1;
    }
    PyObject *sum = PyNumber_Add(now, delay);
    Py_DECREF(now);
    if (sum == NULL) {
        return -1;
    }
    *when = PyFloat_AsDouble(sum);
    if (*when == -1.0 && PyErr_Occurred()) {
        Py_DECREF(sum);
        return -1;
    }
    if (PyFloat_CheckExact(sum)) {
        Py_DECREF(sum);
    }
    else {
        *given = sum;
    }
    return 0;
}

static PyObject *
Loop_call_later(LoopObject *self, PyObject *const *args, Py_ssize_t nargs,
                PyObject *kwnames)
{
    call_spec spec;
    if (nargs < 1) {
        PyErr_SetString(
            PyExc_TypeError,
            "call_later() missing required positional argument: 'delay'");
        return NULL;
    }
    if (args[0] == Py_None) {
        PyErr_SetString(PyExc_TypeError, "delay must not be None");
        return NULL;
    }
    double when;
    PyObject *given;
    if (parse_call("call_later", 1, args, nargs, kwnames, &spec) < 0
        || deadline_after(self, args[0], &when, &given) < 0) {
        return NULL;
    }
    PyObject *timer = call_at_impl(self, when, given, &spec);
    Py_XDECREF(given);
    return timer;
}

/* ------------------------------------------------------------------ */
/* One iteration, phase by phase                                       */

static inline HandleObject *
timer_of(cl_timer_entry *e)
{
    return (HandleObject *)e->timer;
}

/* Rebuilds the heap without its cancelled timers (asyncio's rule: more
 * than 100 timers and more than half of them cancelled). The removed
 * timers are released only once the heap is consistent again, because
 * releasing one may run code that schedules timers. */
static int
compact_timers(LoopObject *self)
{
    cl_timerheap *heap = &self->timers;
    PyObject **dropped = PyMem_Malloc(heap->len * sizeof(PyObject *));
    if (dropped == NULL) {
        PyErr_NoMemory();
        return -1;
    }
    size_t kept = 0, ndropped = 0;
    for (size_t i = 0; i < heap->len; i++) {
        HandleObject *t = timer_of(&heap->items[i]);
        if (t->cancelled) {
            t->scheduled = 0;
            dropped[ndropped++] = (PyObject *)t;
        }
        else {
            heap->items[kept++] = heap->items[i];
        }
    }
    heap->len = kept;
    cl_timerheap_heapify(heap);
    self->timer_cancelled_count = 0;
    for (size_t i = 0; i < ndropped; i++) {
        cl_handle_release(dropped[i]);
    }
    PyMem_Free(dropped);
    return 0;
}

static int
purge_cancelled_timers(LoopObject *self)
{
    size_t n = self->timers.len;
    if (n > CL_MIN_SCHEDULED_TIMERS_TO_COMPACT
        && (double)self->timer_cancelled_count / (double)n
               > CL_MAX_CANCELLED_TIMER_FRACTION) {
        return compact_timers(self);
    }
    cl_timer_entry *top;
    while ((top = cl_timerheap_top(&self->timers)) != NULL
           && timer_of(top)->cancelled) {
        cl_timer_entry e;
        cl_timerheap_pop(&self->timers, &e);
        self->timer_cancelled_count--;
        timer_of(&e)->scheduled = 0;
        cl_handle_release(e.timer);
    }
    return 0;
}

/* Into *timeout_ns: 0 when work is ready, the wait until the first timer
 * (rounded up to the nanosecond, so the loop does not wake before it is
 * due), or -1 to block until I/O arrives. 0, or -1 with an exception. */
static int
poll_timeout_ns(LoopObject *self, int64_t *timeout_ns)
{
    *timeout_ns = 0;
    if (self->ready.len > 0 || self->stopping) {
        return 0;
    }
    cl_timer_entry *top = cl_timerheap_top(&self->timers);
    if (top == NULL) {
        *timeout_ns = -1;
        return 0;
    }
#if CL_NAN_DEADLINE_RAISES
    if (isnan(timer_of(top)->when)) {
        /* What asyncio's selector says when its wait comes out NaN. */
        PyErr_SetString(PyExc_ValueError,
                        "cannot convert float NaN to integer");
        return -1;
    }
#endif
    double now;
    if (loop_now(self, &now) < 0) {
        return -1;
    }
    double delay = top->when - now;
    if (!(delay > 0)) {
        return 0;
    }
    if (delay > CL_MAX_POLL_SECONDS) {
        delay = CL_MAX_POLL_SECONDS;
    }
    *timeout_ns = (int64_t)ceil(delay * 1e9);
    return 0;
}

static int
poll_io(LoopObject *self, int64_t timeout_ns)
{
    int n;
    if (timeout_ns == 0) {
        /* Nothing to wait for: no need to release the GIL, and no need to
         * ask the kernel at all when no fd is watched. */
        if (self->poller.nwatched == 0) {
            return 0;
        }
        n = cl_poller_wait(&self->poller, 0);
    }
    else {
        /* A blocking poll costs a syscall anyway: timing it is free. */
#if CL_STATS_ENABLED
        double t0 = cl_clock_now();
        cl_stats_busy_until(&self->stats, t0);
#endif
        self->polling = 1;
        Py_BEGIN_ALLOW_THREADS
        n = cl_poller_wait(&self->poller, timeout_ns);
        Py_END_ALLOW_THREADS
        self->polling = 0;
#if CL_STATS_ENABLED
        self->stats.last_wait_end = cl_clock_now();
        self->stats.poll_time += self->stats.last_wait_end - t0;
#endif
    }
    if (n < 0) {
        if (errno == EINTR) {
            /* Run Python signal handlers now (Ctrl-C raises here). */
            return PyErr_CheckSignals();
        }
        PyErr_SetFromErrno(PyExc_OSError);
        return -1;
    }
    CL_STAT_ADD(&self->stats, io_events, (uint64_t)n);
    if (self->poller.signalled && PyErr_CheckSignals() < 0) {
        return -1; /* a signal woke us: run its Python handler now */
    }
    return cl_loop_io_dispatch(self, n);
}

static int
queue_expired_timers(LoopObject *self)
{
    if (self->timers.len == 0) {
        return 0; /* spare the clock read */
    }
    double now;
    if (loop_now(self, &now) < 0) {
        return -1;
    }
    double end = now + self->clock_resolution;
    cl_timer_entry *top;
    while ((top = cl_timerheap_top(&self->timers)) != NULL
           && top->when < end) {
        cl_timer_entry e;
        cl_timerheap_pop(&self->timers, &e);
        timer_of(&e)->scheduled = 0;
        CL_STAT_INC(&self->stats, timers_fired);
        if (isfinite(e.when)) {
            cl_stats_timer_lag(&self->stats, now - e.when);
        }
        /* The heap's reference moves to the ready ring. */
        if (cl_loop_push_ready(self, cl_handle_run, e.timer, NULL) < 0) {
            return -1;
        }
    }
    return 0;
}

static int
log_slow_callback(LoopObject *self, PyObject *obj, double dt)
{
    PyObject *pdt = PyFloat_FromDouble(dt);
    if (pdt == NULL) {
        return -1;
    }
    PyObject *res = PyObject_CallMethodObjArgs(
        (PyObject *)self, self->state->str_log_slow_callback, obj, pdt, NULL);
    Py_DECREF(pdt);
    if (res == NULL) {
        return cl_err_unraisable(obj);
    }
    Py_DECREF(res);
    return 0;
}

/* Debug mode: keep _current_handle and warn about slow callbacks. */
static int
run_entry_debug(LoopObject *self, cl_ready_entry *e)
{
    Py_XSETREF(self->current_handle, Py_NewRef(e->obj));
    double t0 = cl_clock_now();
    int rc = e->run(self, e->obj, e->arg);
    double dt = cl_clock_now() - t0;
    Py_CLEAR(self->current_handle);
    cl_stats_callback_took(&self->stats, dt);
    if (rc == 0 && dt >= self->slow_callback_duration) {
        rc = log_slow_callback(self, e->obj, dt);
    }
    return rc;
}

/* Drops the ring's references of an entry that ran or was discarded. */
static inline void
release_entry(cl_ready_entry *e)
{
    if (e->run == cl_handle_run) {
        cl_handle_release(e->obj);
    }
    else {
        Py_DECREF(e->obj);
    }
    Py_XDECREF(e->arg);
}

/* Runs the entries that were ready when this phase began; entries they
 * queue wait for the next iteration (asyncio's ordering guarantee). */
static int
run_ready(LoopObject *self)
{
    size_t ntodo = self->ready.len;
    for (size_t i = 0; i < ntodo && self->ready.len > 0; i++) {
        cl_ready_entry e;
        cl_ringbuf_pop(&self->ready, &e);
        self->current_entry = e.obj;
        self->entry_seq++;
        int rc = self->debug ? run_entry_debug(self, &e)
                             : e.run(self, e.obj, e.arg);
        self->current_entry = NULL;
        cl_stats_callback_done(&self->stats);
        release_entry(&e);
        if (CL_UNLIKELY(rc < 0)) {
            return -1;
        }
    }
    return 0;
}

static int
run_once(LoopObject *self)
{
    CL_STAT_INC(&self->stats, iterations);
    int64_t timeout_ns;
    if (purge_cancelled_timers(self) < 0
        || poll_timeout_ns(self, &timeout_ns) < 0
        || poll_io(self, timeout_ns) < 0 || queue_expired_timers(self) < 0) {
        return -1;
    }
    return run_ready(self);
}

static PyObject *
Loop_run_once(LoopObject *self, PyObject *unused)
{
    if (cl_loop_check_closed(self) < 0 || run_once(self) < 0) {
        return NULL;
    }
    Py_RETURN_NONE;
}

/* The body of run_forever; cloop/_loop.py does the set-up and clean-up. */
static PyObject *
Loop_run(LoopObject *self, PyObject *unused)
{
    if (refresh_time_hook(self) < 0) {
        return NULL;
    }
    int rc;
    Py_INCREF(self);
    self->stats.run_started = self->stats.last_wait_end = cl_clock_now();
    do {
        rc = run_once(self);
    } while (rc == 0 && !self->stopping && !self->closed);
    self->stopping = 0;
    double now = cl_clock_now();
    cl_stats_busy_until(&self->stats, now);
    self->stats.run_time = cl_stats_run_time(&self->stats, now);
    self->stats.run_started = self->stats.last_wait_end = 0.0;
    Py_DECREF(self);
    if (rc < 0) {
        return NULL;
    }
    Py_RETURN_NONE;
}

/* The raw counters as a dict (cloop/_stats.py builds the snapshot). */
static PyObject *
Loop_stats_raw(LoopObject *self, PyObject *const *args, Py_ssize_t nargs)
{
    int reset = nargs > 0 ? PyObject_IsTrue(args[0]) : 0;
    if (reset < 0) {
        return NULL;
    }
    return cl_stats_snapshot(&self->stats, reset, (Py_ssize_t)self->ready.len,
                             (Py_ssize_t)self->timers.len,
                             self->poller.nwatched);
}

/* (read end, write end) of the loop's signal pipe, opened on first use:
 * cloop/_signals.py gives the write end to signal.set_wakeup_fd and, while
 * the loop has signal handlers, reads the signal numbers from the read end
 * as a reader (poller.h says how the pipe is shared with the wake-up). */
static PyObject *
Loop_signal_pipe(LoopObject *self, PyObject *unused)
{
    if (cl_loop_check_closed(self) < 0) {
        return NULL;
    }
    int wfd = cl_poller_signal_fd(&self->poller);
    if (wfd < 0) {
        return PyErr_SetFromErrno(PyExc_OSError);
    }
    return Py_BuildValue("(ii)", self->poller.sigfd[0], wfd);
}

/* (entries started, entry being run or None) for the blocking watchdog;
 * read with the GIL held, so the pair is consistent. */
static PyObject *
Loop_blocking_probe(LoopObject *self, PyObject *unused)
{
    return Py_BuildValue("(KO)", (unsigned long long)self->entry_seq,
                         self->current_entry ? self->current_entry : Py_None);
}

static PyObject *
Loop_stop(LoopObject *self, PyObject *unused)
{
    self->stopping = 1;
    Py_RETURN_NONE;
}

static PyObject *
Loop_is_running(LoopObject *self, PyObject *unused)
{
    return PyBool_FromLong(self->running);
}

static PyObject *
Loop_is_closed(LoopObject *self, PyObject *unused)
{
    return PyBool_FromLong(self->closed);
}

static PyObject *
Loop_get_debug(LoopObject *self, PyObject *unused)
{
    return PyBool_FromLong(self->debug);
}

static PyObject *
Loop_check_closed(LoopObject *self, PyObject *unused)
{
    if (cl_loop_check_closed(self) < 0) {
        return NULL;
    }
    Py_RETURN_NONE;
}

/* ------------------------------------------------------------------ */
/* Clearing and closing                                                */

/* Empties the ready ring one entry at a time: releasing an entry may run
 * code that queues more. */
static void
clear_ready(LoopObject *self)
{
    while (self->ready.items != NULL && self->ready.len > 0) {
        cl_ready_entry e;
        cl_ringbuf_pop(&self->ready, &e);
        release_entry(&e);
    }
}

static void
clear_timers(LoopObject *self)
{
    while (self->timers.len > 0) {
        cl_timer_entry e;
        cl_timerheap_pop(&self->timers, &e);
        timer_of(&e)->scheduled = 0;
        cl_handle_release(e.timer);
    }
    self->timer_cancelled_count = 0;
}

/* The C half of close(): drops every queued callback, timer and watcher
 * and closes the epoll and eventfd descriptors. */
static PyObject *
Loop_close_core(LoopObject *self, PyObject *unused)
{
    self->closed = 1;
    /* The epoll fd is closed before the watchers are dropped, so no
     * EPOLL_CTL_DEL is issued: in a forked child that closes an inherited
     * loop, a DEL would unregister the fds from the epoll instance the
     * parent's loop still uses. */
    cl_poller_close(&self->poller);
    clear_ready(self);
    clear_timers(self);
    cl_loop_io_clear(self);
    Py_CLEAR(self->current_handle);
    Py_RETURN_NONE;
}

static PyObject *
Loop_new(PyTypeObject *tp, PyObject *args, PyObject *kwds)
{
    LoopObject *self = (LoopObject *)tp->tp_alloc(tp, 0);
    if (self == NULL) {
        return NULL;
    }
    self->state = cl_state_from_type(tp);
    cl_timerheap_init(&self->timers);
    self->poller.epfd = self->poller.wakefd = -1;
    self->poller.sigfd[0] = self->poller.sigfd[1] = -1;
    self->clock_resolution = cl_clock_resolution();
    self->slow_callback_duration = 0.1;
    if (self->state == NULL) {
        goto error;
    }
    if (cl_ringbuf_init(&self->ready, 64) < 0
        || cl_poller_init(&self->poller) < 0) {
        PyErr_SetFromErrno(PyExc_OSError);
        goto error;
    }
    if (refresh_time_hook(self) < 0) {
        goto error;
    }
    cl_loop_io_tune_malloc();
    return (PyObject *)self;
error:
    Py_DECREF(self);
    return NULL;
}

static int
Loop_traverse(LoopObject *self, visitproc visit, void *arg)
{
    Py_VISIT(Py_TYPE(self));
    for (size_t i = 0; i < self->ready.len; i++) {
        cl_ready_entry *e = cl_ringbuf_at(&self->ready, i);
        int rc = e->run == cl_handle_run
                     ? cl_handle_traverse_queued(e->obj, visit, arg)
                     : visit(e->obj, arg);
        if (rc != 0) {
            return rc;
        }
        Py_VISIT(e->arg);
    }
    for (size_t i = 0; i < self->timers.len; i++) {
        int rc =
            cl_handle_traverse_queued(self->timers.items[i].timer, visit, arg);
        if (rc != 0) {
            return rc;
        }
    }
    Py_VISIT(self->current_handle);
    return cl_loop_io_traverse(self, visit, arg);
}

static int
Loop_clear(LoopObject *self)
{
    /* As in close: no EPOLL_CTL_DEL on an epoll fd that may be shared with
     * a forked parent. An unreachable loop will never poll again. */
    cl_poller_close(&self->poller);
    clear_ready(self);
    clear_timers(self);
    cl_loop_io_clear(self);
    Py_CLEAR(self->current_handle);
    return 0;
}

static void
Loop_dealloc(LoopObject *self)
{
    PyTypeObject *tp = Py_TYPE(self);
    /* The finalizer runs on a tracked object (debug builds assert it). */
    if (PyObject_CallFinalizerFromDealloc((PyObject *)self) < 0) {
        return; /* resurrected by __del__ */
    }
    PyObject_GC_UnTrack(self);
    (void)Loop_clear(self);
    cl_ringbuf_free(&self->ready);
    cl_timerheap_free(&self->timers);
    cl_loop_io_free(self);
    tp->tp_free(self);
    Py_DECREF(tp);
}

#define FASTCALL_KW(f)                                                        \
    (PyCFunction)(void (*)(void))(f), METH_FASTCALL | METH_KEYWORDS

static PyMethodDef Loop_methods[] = {
    {"time", (PyCFunction)Loop_time, METH_NOARGS,
     "Return the loop's time (time.monotonic())."},
    {"call_soon", FASTCALL_KW(Loop_call_soon),
     "call_soon(callback, *args, context=None) -> Handle"},
    {"call_soon_threadsafe", FASTCALL_KW(Loop_call_soon_threadsafe),
     "Like call_soon(), but safe to call from another thread."},
    {"call_later", FASTCALL_KW(Loop_call_later),
     "call_later(delay, callback, *args, context=None) -> TimerHandle"},
    {"call_at", FASTCALL_KW(Loop_call_at),
     "call_at(when, callback, *args, context=None) -> TimerHandle"},
    {"stop", (PyCFunction)Loop_stop, METH_NOARGS,
     "Stop running the loop after the current iteration."},
    {"is_running", (PyCFunction)Loop_is_running, METH_NOARGS, NULL},
    {"is_closed", (PyCFunction)Loop_is_closed, METH_NOARGS, NULL},
    {"get_debug", (PyCFunction)Loop_get_debug, METH_NOARGS, NULL},
    {"_check_closed", (PyCFunction)Loop_check_closed, METH_NOARGS, NULL},
    {"_run_once", (PyCFunction)Loop_run_once, METH_NOARGS,
     "Run one iteration of the loop."},
    {"_run", (PyCFunction)Loop_run, METH_NOARGS,
     "Run iterations until stop() is called."},
    {"_close_core", (PyCFunction)Loop_close_core, METH_NOARGS, NULL},
    {"_stats_raw", (PyCFunction)(void (*)(void))Loop_stats_raw, METH_FASTCALL,
     "_stats_raw(reset=False) -> dict of the loop's counters"},
    {"_blocking_probe", (PyCFunction)Loop_blocking_probe, METH_NOARGS, NULL},
    {"_signal_pipe", (PyCFunction)Loop_signal_pipe, METH_NOARGS, NULL},
    /* The methods other files define, each file's fragment. */
    /* clang-format off */
    CL_LOOP_IO_METHODS
    CL_SOCK_METHODS
    CL_SERVER_METHODS
    CL_FUTURE_LOOP_METHODS
    CL_TASK_LOOP_METHODS
    /* clang-format on */
    {NULL}};

static PyType_Slot Loop_slots[] = {
    {Py_tp_new, Loop_new},
    {Py_tp_dealloc, Loop_dealloc},
    {Py_tp_traverse, Loop_traverse},
    {Py_tp_clear, Loop_clear},
    {Py_tp_setattro, Loop_setattro},
    {Py_tp_methods, Loop_methods},
    {Py_tp_getset, cl_loop_getset},
    {Py_tp_doc, "The C core of cloop's event loop (see cloop.Loop)."},
    {0, NULL}};

static PyType_Spec Loop_spec = {
    .name = "cloop._cloop.Loop",
    .basicsize = sizeof(LoopObject),
    .flags = Py_TPFLAGS_DEFAULT | Py_TPFLAGS_HAVE_GC | Py_TPFLAGS_BASETYPE
             | Py_TPFLAGS_IMMUTABLETYPE,
    .slots = Loop_slots,
};

/* _poller_fine_waits([enable]): are the loops' waits finer than a
 * millisecond (epoll_pwait2)? With an argument, switch them (for the
 * tests of the millisecond fallback). */
static PyObject *
poller_fine_waits(PyObject *module, PyObject *const *args, Py_ssize_t nargs)
{
    if (nargs > 1) {
        PyErr_SetString(PyExc_TypeError,
                        "_poller_fine_waits() takes 0 or 1 arguments");
        return NULL;
    }
    int enable = -1;
    if (nargs == 1 && (enable = PyObject_IsTrue(args[0])) < 0) {
        return NULL;
    }
    return PyBool_FromLong(cl_poller_fine_waits(enable));
}

static PyMethodDef loop_functions[] = {
    {"_poller_fine_waits", (PyCFunction)(void (*)(void))poller_fine_waits,
     METH_FASTCALL, "_poller_fine_waits([enable]) -> bool (tests only)."},
    {NULL}};

int
cl_loop_init_state(PyObject *module, cl_state *st)
{
    st->LoopType =
        (PyTypeObject *)PyType_FromModuleAndSpec(module, &Loop_spec, NULL);
    if (st->LoopType == NULL || PyModule_AddType(module, st->LoopType) < 0
        || PyModule_AddFunctions(module, loop_functions) < 0) {
        return -1;
    }
    return 0;
}
