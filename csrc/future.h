/* future.h: cloop.Future, its iterator, and what task.c uses of them.
 *
 * A Future's done-callbacks are of two kinds: a callable and its context,
 * added by add_done_callback(); or a cloop Task awaiting this future,
 * woken through task.c without a bound method or a Handle. The first is
 * kept unpacked, as asyncio's C Future keeps fut_callback0/fut_context0:
 * cb0 the callable and cb0_ctx its context, or cb0 the Task and cb0_ctx
 * NULL; most futures have one callback and so never allocate an entry.
 * The others are entries of the list `callbacks`, in the order they were
 * added: a (fn, context) tuple or a Task. When the future completes, every
 * callback is scheduled on its loop: straight onto the ready ring when the
 * loop is a cloop Loop, through loop.call_soon(..., context=) otherwise.
 * A ring entry holds two objects, the future and the callable: the first
 * callback's context waits in ring_ctx until its entry runs (a second one
 * scheduled meanwhile, after a re-initialised future completed again, goes
 * as a tuple).
 */
#ifndef CLOOP_FUTURE_H
#define CLOOP_FUTURE_H

#include "asyncio_base.h"
#include "loop.h"
#include "state.h"

enum { CL_FUT_PENDING = 0, CL_FUT_CANCELLED = 1, CL_FUT_FINISHED = 2 };

/* A cloop Future or Task object: asyncio's C Future or Task first, whose
 * layout is the running Python's; cloop's data, below, at cl_data_offset
 * (asyncio_base.h). Only the object header is visible to C. */
typedef struct FutureObject {
    PyObject ob_base;
} FutureObject;

/* cloop's data of a Future (and the first part of a Task's). */
typedef struct cl_futdata {
    cl_state *state;         /* borrowed: kept alive by the type */
    PyObject *loop;          /* owned; NULL until __init__ ran */
    PyObject *cb0;           /* owned first callable or Task, or NULL */
    PyObject *cb0_ctx;       /* owned context of a cb0 callable, or NULL */
    PyObject *callbacks;     /* owned list of further entries, or NULL */
    PyObject *ring_ctx;      /* owned context of the first callback while
                                its ring entry waits, or NULL */
    PyObject *result;        /* owned, or NULL */
    PyObject *exception;     /* owned, or NULL */
    PyObject *exception_tb;  /* owned, or NULL */
    PyObject *source_tb;     /* owned list (debug mode), or NULL */
    PyObject *cancel_msg;    /* owned, or NULL */
    PyObject *cancelled_exc; /* owned CancelledError to re-raise, or NULL */
    unsigned char fut_state; /* CL_FUT_* */
    char log_tb;             /* an exception nobody retrieved yet */
    char blocking;           /* _asyncio_future_blocking */
    char cloop_loop;         /* loop is a cloop Loop: use the ready ring */
} cl_futdata;

/* cloop's data of a cloop Future or Task object. */
#define CL_FUT(obj) ((cl_futdata *)((char *)(obj) + cl_data_offset))

/* Creates the Future and FutureIter types (state->FutureType ...) and the
 * loop's create_future method descriptor. 0 or -1. */
int cl_future_init_state(PyObject *module, cl_state *st);

/* The loop's create_future(): a cloop.Future attached to it. A method of
 * Loop (loop.c puts CL_FUTURE_LOOP_METHODS in its table). */
PyObject *Loop_create_future(PyObject *loop, PyObject *unused);
/* clang-format off */
#define CL_FUTURE_LOOP_METHODS                                              \
    {"create_future", (PyCFunction)Loop_create_future, METH_NOARGS,         \
     "Create a cloop.Future attached to the loop."},
/* clang-format on */

/* Is obj exactly a cloop Future or Task (not a subclass)? */
static inline int
cl_future_check_exact(cl_state *st, PyObject *obj)
{
    return Py_IS_TYPE(obj, st->FutureType) || Py_IS_TYPE(obj, st->TaskType);
}

/* (Re)initialises fut for loop (NULL or None: asyncio's get_event_loop()),
 * capturing the source traceback in debug mode. 0 or -1. */
int cl_future_init(FutureObject *fut, PyObject *loop);

/* RuntimeError('Future object is not initialized.') and -1 if fut has no
 * loop yet. */
int cl_future_check_alive(FutureObject *fut);

/* The CancelledError to raise for a cancelled future; consumes the saved
 * one if any. New reference. */
PyObject *cl_future_make_cancelled_error(FutureObject *fut);

/* Future.cancel(msg) without Task's override: 1 if the state changed, 0 if
 * already done, -1 on error. msg may be NULL. */
int cl_future_cancel(FutureObject *fut, PyObject *msg);

/* Future.set_result/set_exception without Task's override. 0 or -1. */
int cl_future_set_result(FutureObject *fut, PyObject *result);
int cl_future_set_exception(FutureObject *fut, PyObject *exc);

/* result() for C callers: a new reference to the result, or NULL with
 * the exception (or InvalidStateError) raised. */
PyObject *cl_future_result(FutureObject *fut);

/* For a done future: 0 with a new reference to the result in *out, or 1
 * with a new reference to the exception to raise (the set exception, or
 * the CancelledError) in *out. Marks the exception retrieved. -1 on error. */
int cl_future_get_outcome(FutureObject *fut, PyObject **out);

/* Adds `task` (a cloop Task) as a wake-up entry: when fut completes,
 * taskstep.c's wake-up runs for (task, fut). Scheduled at once if fut is
 * already done. 0 or -1. */
int cl_future_add_wakeup(FutureObject *fut, PyObject *task);

/* tp_new of Future and Task: the object, with its state pointer set. */
PyObject *cl_future_new(PyTypeObject *tp, PyObject *args, PyObject *kwds);

/* cloop's Task is an asyncio Task, not a cloop Future: it gets the
 * Future's methods and attributes it does not define itself from here,
 * into its own dict, ahead of asyncio's (which would read asyncio's part
 * of the object). 0 or -1. */
int cl_future_add_api(PyTypeObject *tp);

/* What Task's slots reuse: visiting and clearing cloop's Future data (not
 * asyncio's part), the never-retrieved report, and the dealloc of cloop's
 * Future data followed by asyncio's (base: the asyncio type built on). */
int cl_future_traverse_data(FutureObject *fut, visitproc visit, void *arg);
void cl_future_clear_data(FutureObject *fut);
void cl_future_finalize(FutureObject *fut);
void cl_future_dealloc_on(PyTypeObject *base, PyObject *self,
                          void (*clear_data)(FutureObject *));

#endif /* CLOOP_FUTURE_H */
