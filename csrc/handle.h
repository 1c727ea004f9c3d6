/* handle.h: Handle and TimerHandle, the objects call_soon/call_at return. */
#ifndef CLOOP_HANDLE_H
#define CLOOP_HANDLE_H

#include "loop.h"

/* One struct for both types: TimerHandle subclasses Handle as in asyncio.
 * The callback's arguments are stored inline (ob_size of them) rather than
 * in a tuple: one allocation, and one object less for the cyclic GC to
 * count and traverse, per call_soon. */
typedef struct {
    PyObject_VAR_HEAD
    PyObject *callback;         /* owned; NULL once cancelled */
    PyObject *context;          /* owned contextvars.Context */
    LoopObject *loop;           /* owned */
    PyObject *source_traceback; /* owned; NULL unless created in debug mode */
    PyObject *repr;             /* owned; set when cancelled in debug mode */
    PyObject *weakreflist;
    double when;          /* TimerHandle: the deadline */
    PyObject *when_given; /* owned; TimerHandle: the deadline as given
                           * when it is not an exact float (an int to
                           * call_at), which when() reports as asyncio's
                           * does; NULL: the float of `when` */
    char cancelled;
    char scheduled;    /* TimerHandle: still in the loop's heap */
    char own_context;  /* context is the copy made for this handle */
    PyObject *args[1]; /* ob_size owned arguments; NULL once cancelled */
} HandleObject;

int cl_handle_init_state(PyObject *module, cl_state *st);

/* A new Handle (tp = HandleType) or TimerHandle (tp = TimerHandleType).
 * context NULL or None means a copy of the current context. args[0..nargs)
 * are the callback's arguments. New reference. */
HandleObject *cl_handle_new(PyTypeObject *tp, LoopObject *loop,
                            PyObject *callback, PyObject *const *args,
                            Py_ssize_t nargs, PyObject *context);

/* The loop keeps the handles it queues for call_soon and call_later/at
 * out of the cyclic GC while they wait: with many callbacks pending, every
 * collection would walk all of them (measured: half the time of a burst of
 * 300k call_soon went to the collector). The loop reports what such a
 * handle holds as its own references instead (cl_handle_traverse_queued),
 * which is exact while it holds the handle; when it lets go of a handle
 * that someone else still holds, the handle is tracked again
 * (cl_handle_release), so cycles through it stay collectable. The context
 * copy made for the handle goes with it: untracked while the handle is,
 * and tracked again before the handle is or before it is released. */
void cl_handle_hide_from_gc(HandleObject *h);
/* Visits a queued handle: itself if tracked, else what it holds. */
int cl_handle_traverse_queued(PyObject *handle, visitproc visit, void *arg);
/* Drops the loop's reference to a queued handle (see above). */
void cl_handle_release(PyObject *handle);

/* The ready-ring function for a Handle (see cl_ready_fn). */
int cl_handle_run(LoopObject *loop, PyObject *handle, PyObject *unused);

/* The ready-ring function for one of asyncio's own Handle objects (3.14's
 * events._ThreadSafeHandle from call_soon_threadsafe): handle._run(), which
 * checks for cancellation under the handle's lock and reports a failing
 * callback to the loop's exception handler itself. */
int cl_handle_run_asyncio(LoopObject *loop, PyObject *handle,
                          PyObject *unused);

/* Marks the handle cancelled and releases its callback and arguments. */
void cl_handle_cancel(HandleObject *h);

#endif /* CLOOP_HANDLE_H */
