/* future.c: cloop.Future.
 *
 * Owns: a future's loop reference, outcome (result or exception and its
 * traceback), cancellation message, saved CancelledError, source
 * traceback and callback entries (see future.h for the two kinds). Does
 * not own: the loop's ready ring; an entry handed to the ring belongs to
 * the loop until it has run.
 *
 * Semantics are asyncio's C Future (Modules/_asynciomodule.c) of the
 * running Python: messages, the order callbacks run in, when the exception
 * counts as retrieved, the 'exception was never retrieved' report. The
 * difference is only in how callbacks are scheduled on a cloop loop: as
 * C entries on the ready ring instead of Handles made by call_soon.
 *
 * Its iterator is in futureiter.c, its Python attributes (the getset
 * table) in future_attrs.c; running a callback entry on the ready ring in
 * readycall.c.
 */
#include "common.h"
#include "errors.h"
#include "future.h"
#include "future_attrs.h"
#include "futureiter.h"
#include "readycall.h"
#include "task.h"
#include "taskstep.h"

/* ------------------------------------------------------------------ */
/* Scheduling callbacks                                                */

/* What call_soon checks before it schedules: 0, or -1 with its error. */
static int
check_ring(LoopObject *loop)
{
    if (cl_loop_check_closed(loop) < 0
        || (loop->debug && cl_readycall_check_thread(loop) < 0)) {
        return -1;
    }
    return 0;
}

/* Schedules one list entry of fut; steals the reference to entry. */
static int
schedule_entry(FutureObject *fut, PyObject *entry)
{
    cl_futdata *fd = CL_FUT(fut);
    cl_state *st = fd->state;
    if (fd->cloop_loop) {
        LoopObject *loop = (LoopObject *)fd->loop;
        if (check_ring(loop) < 0) {
            Py_DECREF(entry);
            return -1;
        }
        if (PyTuple_CheckExact(entry)) {
            return cl_loop_push_ready(loop, cl_readycall_run_pair,
                                      Py_NewRef((PyObject *)fut), entry);
        }
        return cl_loop_push_ready(loop, cl_taskstep_wakeup_entry, entry,
                                  Py_NewRef((PyObject *)fut));
    }
    int rc;
    if (PyTuple_CheckExact(entry)) {
        rc = cl_readycall_call_soon(st, fd->loop, PyTuple_GET_ITEM(entry, 0),
                                    (PyObject *)fut,
                                    PyTuple_GET_ITEM(entry, 1));
    }
    else {
        PyObject *fn = PyObject_GetAttr(entry, st->str_task_wakeup);
        rc = fn ? cl_readycall_call_soon(st, fd->loop, fn, (PyObject *)fut,
                                         CL_TASK(entry)->context)
                : -1;
        Py_XDECREF(fn);
    }
    Py_DECREF(entry);
    return rc;
}

/* A (fn, context) list entry; steals both. */
static PyObject *
pack_entry(PyObject *fn, PyObject *ctx)
{
    PyObject *entry = PyTuple_New(2);
    if (entry == NULL) {
        Py_DECREF(fn);
        Py_DECREF(ctx);
        return NULL;
    }
    PyTuple_SET_ITEM(entry, 0, fn);
    PyTuple_SET_ITEM(entry, 1, ctx);
    return entry;
}

/* The ready-ring function of a future's first callback: fn(fut) in the
 * context that waited in ring_ctx. */
static int
run_first_callback(LoopObject *loop, PyObject *fut, PyObject *fn)
{
    cl_futdata *fd = CL_FUT(fut);
    PyObject *ctx = fd->ring_ctx;
    fd->ring_ctx = NULL;
    if (ctx == NULL) { /* only a garbage collector's clear gets here */
        PyErr_SetString(PyExc_RuntimeError,
                        "the future's callback lost its context");
        return cl_readycall_report_error(loop, fn, &fut, 1, NULL);
    }
    int rc = cl_readycall_run_in_context(loop, fn, fut, ctx);
    Py_DECREF(ctx);
    return rc;
}

/* Schedules fn(fut) in ctx; steals fn and ctx. */
static int
schedule_callback(FutureObject *fut, PyObject *fn, PyObject *ctx)
{
    cl_futdata *fd = CL_FUT(fut);
    if (!fd->cloop_loop) {
        int rc = cl_readycall_call_soon(fd->state, fd->loop, fn,
                                        (PyObject *)fut, ctx);
        Py_DECREF(fn);
        Py_DECREF(ctx);
        return rc;
    }
    if (fd->ring_ctx != NULL) {
        PyObject *entry = pack_entry(fn, ctx);
        return entry ? schedule_entry(fut, entry) : -1;
    }
    LoopObject *loop = (LoopObject *)fd->loop;
    if (check_ring(loop) < 0) {
        Py_DECREF(fn);
        Py_DECREF(ctx);
        return -1;
    }
    fd->ring_ctx = ctx;
    if (cl_loop_push_ready(loop, run_first_callback,
                           Py_NewRef((PyObject *)fut), fn)
        < 0) {
        Py_CLEAR(fd->ring_ctx);
        return -1;
    }
    return 0;
}

/* Schedules a callable in its context, or (ctx NULL) a Task's wake-up;
 * steals both. */
static int
schedule_done(FutureObject *fut, PyObject *obj, PyObject *ctx)
{
    return ctx ? schedule_callback(fut, obj, ctx) : schedule_entry(fut, obj);
}

/* Schedules every callback and empties the lists (asyncio's
 * __schedule_callbacks). The lists are detached first: scheduling on a
 * foreign loop runs Python code that may add callbacks again. */
static int
schedule_callbacks(FutureObject *fut)
{
    cl_futdata *fd = CL_FUT(fut);
    PyObject *cb0 = fd->cb0;
    PyObject *cb0_ctx = fd->cb0_ctx;
    PyObject *list = fd->callbacks;
    fd->cb0 = NULL;
    fd->cb0_ctx = NULL;
    fd->callbacks = NULL;
    int rc = 0;
    if (cb0 != NULL) {
        rc = schedule_done(fut, cb0, cb0_ctx);
    }
    if (list != NULL) {
        for (Py_ssize_t i = 0; rc == 0 && i < PyList_GET_SIZE(list); i++) {
            rc = schedule_entry(fut, Py_NewRef(PyList_GET_ITEM(list, i)));
        }
        Py_DECREF(list);
    }
    return rc;
}

/* 1 when the next callback goes into cb0: keeps the order of addition
 * after remove_done_callback emptied cb0 but not the list. */
static int
first_slot_free(cl_futdata *fd)
{
    return fd->cb0 == NULL
           && (fd->callbacks == NULL || PyList_GET_SIZE(fd->callbacks) == 0);
}

/* Appends a list entry; steals it. */
static int
append_entry(FutureObject *fut, PyObject *entry)
{
    cl_futdata *fd = CL_FUT(fut);
    if (fd->callbacks == NULL && (fd->callbacks = PyList_New(0)) == NULL) {
        Py_DECREF(entry);
        return -1;
    }
    int rc = PyList_Append(fd->callbacks, entry);
    Py_DECREF(entry);
    return rc;
}

/* Adds a callable in its context, or (ctx NULL) a Task to wake, or
 * schedules it at once when fut is done; steals both. */
static int
add_done(FutureObject *fut, PyObject *obj, PyObject *ctx)
{
    cl_futdata *fd = CL_FUT(fut);
    if (fd->fut_state != CL_FUT_PENDING) {
        return schedule_done(fut, obj, ctx);
    }
    if (first_slot_free(fd)) {
        fd->cb0 = obj;
        fd->cb0_ctx = ctx;
        return 0;
    }
    PyObject *entry = ctx ? pack_entry(obj, ctx) : obj;
    return entry ? append_entry(fut, entry) : -1;
}

int
cl_future_add_wakeup(FutureObject *fut, PyObject *task)
{
    return add_done(fut, Py_NewRef(task), NULL);
}

/* ------------------------------------------------------------------ */
/* State transitions                                                   */

int
cl_future_check_alive(FutureObject *fut)
{
    if (CL_UNLIKELY(CL_FUT(fut)->loop == NULL)) {
        PyErr_SetString(PyExc_RuntimeError,
                        "Future object is not initialized.");
        return -1;
    }
    return 0;
}

static int
invalid_state(FutureObject *fut)
{
    PyErr_SetString(CL_FUT(fut)->state->InvalidStateError, "invalid state");
    return -1;
}

int
cl_future_set_result(FutureObject *fut, PyObject *result)
{
    cl_futdata *fd = CL_FUT(fut);
    if (cl_future_check_alive(fut) < 0) {
        return -1;
    }
    if (fd->fut_state != CL_FUT_PENDING) {
        return invalid_state(fut);
    }
    Py_XSETREF(fd->result, Py_NewRef(result));
    fd->fut_state = CL_FUT_FINISHED;
    return schedule_callbacks(fut);
}

/* The exception object set_exception() stores for exc (a class is
 * instantiated); new reference, or NULL. */
static PyObject *
exception_instance(FutureObject *fut, PyObject *exc)
{
    PyObject *val;
    if (PyExceptionClass_Check(exc)) {
        val = PyObject_CallNoArgs(exc);
        if (val == NULL) {
            return NULL;
        }
        if (CL_FUT(fut)->fut_state != CL_FUT_PENDING) {
            Py_DECREF(val);
            invalid_state(fut);
            return NULL;
        }
    }
    else {
        val = Py_NewRef(exc);
    }
    if (!PyExceptionInstance_Check(val)) {
        Py_DECREF(val);
        PyErr_SetString(PyExc_TypeError, "invalid exception object");
        return NULL;
    }
#if CL_SET_EXCEPTION_WRAPS_STOPITERATION
    if (PyErr_GivenExceptionMatches(val, PyExc_StopIteration)) {
        PyObject *err = PyObject_CallFunction(
            PyExc_RuntimeError, "s",
            "StopIteration interacts badly with generators and cannot be "
            "raised into a Future");
        if (err == NULL) {
            Py_DECREF(val);
            return NULL;
        }
        PyException_SetCause(err, Py_NewRef(val));
        PyException_SetContext(err, val);
        return err;
    }
#else
    if (Py_IS_TYPE(val, (PyTypeObject *)PyExc_StopIteration)) {
        Py_DECREF(val);
        PyErr_SetString(PyExc_TypeError,
                        "StopIteration interacts badly with generators and "
                        "cannot be raised into a Future");
        return NULL;
    }
#endif
    return val;
}

int
cl_future_set_exception(FutureObject *fut, PyObject *exc)
{
    cl_futdata *fd = CL_FUT(fut);
    if (cl_future_check_alive(fut) < 0) {
        return -1;
    }
    if (fd->fut_state != CL_FUT_PENDING) {
        return invalid_state(fut);
    }
    PyObject *val = exception_instance(fut, exc);
    if (val == NULL) {
        return -1;
    }
    Py_XSETREF(fd->exception, val);
    Py_XSETREF(fd->exception_tb, PyException_GetTraceback(val));
    fd->fut_state = CL_FUT_FINISHED;
    if (schedule_callbacks(fut) < 0) {
        return -1;
    }
    fd->log_tb = 1;
    return 0;
}

int
cl_future_cancel(FutureObject *fut, PyObject *msg)
{
    cl_futdata *fd = CL_FUT(fut);
    fd->log_tb = 0;
    if (fd->fut_state != CL_FUT_PENDING) {
        return 0;
    }
    fd->fut_state = CL_FUT_CANCELLED;
    Py_XSETREF(fd->cancel_msg, Py_XNewRef(msg));
    return schedule_callbacks(fut) < 0 ? -1 : 1;
}

PyObject *
cl_future_make_cancelled_error(FutureObject *fut)
{
    cl_futdata *fd = CL_FUT(fut);
    if (fd->cancelled_exc != NULL) {
        PyObject *exc = fd->cancelled_exc;
        fd->cancelled_exc = NULL;
        return exc;
    }
    PyObject *msg = fd->cancel_msg;
    if (msg == NULL || msg == Py_None) {
        return PyObject_CallNoArgs(fd->state->CancelledError);
    }
    return PyObject_CallOneArg(fd->state->CancelledError, msg);
}

int
cl_future_get_outcome(FutureObject *fut, PyObject **out)
{
    cl_futdata *fd = CL_FUT(fut);
    *out = NULL;
    if (fd->fut_state == CL_FUT_CANCELLED) {
        *out = cl_future_make_cancelled_error(fut);
        return *out ? 1 : -1;
    }
    if (fd->fut_state != CL_FUT_FINISHED) {
        PyErr_SetString(fd->state->InvalidStateError, "Result is not set.");
        return -1;
    }
    fd->log_tb = 0;
    if (fd->exception != NULL) {
        /* The first time with the traceback it had when it was set, later
         * with none: the traceback of a re-raised exception would keep
         * growing. */
        PyObject *tb = fd->exception_tb ? fd->exception_tb : Py_None;
        if (PyException_SetTraceback(fd->exception, tb) < 0) {
            return -1;
        }
        Py_CLEAR(fd->exception_tb);
        *out = Py_NewRef(fd->exception);
        return 1;
    }
    *out = Py_NewRef(fd->result ? fd->result : Py_None);
    return 0;
}

PyObject *
cl_future_result(FutureObject *fut)
{
    PyObject *out;
    int rc = cl_future_get_outcome(fut, &out);
    if (rc == 1) {
        PyErr_SetRaisedException(out);
        return NULL;
    }
    return rc == 0 ? out : NULL;
}

/* ------------------------------------------------------------------ */
/* Creation and destruction                                            */

static void
clear_outcome(FutureObject *fut)
{
    cl_futdata *fd = CL_FUT(fut);
    Py_CLEAR(fd->loop);
    Py_CLEAR(fd->cb0);
    Py_CLEAR(fd->cb0_ctx);
    Py_CLEAR(fd->callbacks);
    Py_CLEAR(fd->result);
    Py_CLEAR(fd->exception);
    Py_CLEAR(fd->exception_tb);
    Py_CLEAR(fd->source_tb);
    Py_CLEAR(fd->cancel_msg);
    Py_CLEAR(fd->cancelled_exc);
}

static int
loop_debug(FutureObject *fut)
{
    cl_futdata *fd = CL_FUT(fut);
    if (fd->cloop_loop) {
        return ((LoopObject *)fd->loop)->debug;
    }
    PyObject *res =
        PyObject_CallMethodNoArgs(fd->loop, fd->state->str_get_debug);
    if (res == NULL) {
        return -1;
    }
    int debug = PyObject_IsTrue(res);
    Py_DECREF(res);
    return debug;
}

int
cl_future_init(FutureObject *fut, PyObject *loop)
{
    cl_futdata *fd = CL_FUT(fut);
    cl_state *st = fd->state;
#if CL_FUTURE_INIT_ONCE
    if (fd->loop != NULL) {
        PyErr_Format(PyExc_RuntimeError, "%s object is already initialized",
                     Py_TYPE(fut)->tp_name);
        return -1;
    }
#endif
    clear_outcome(fut);
    fd->fut_state = CL_FUT_PENDING;
    fd->log_tb = 0;
    fd->blocking = 0;
    if (loop == NULL || loop == Py_None) {
        loop = PyObject_CallNoArgs(st->get_event_loop);
        if (loop == NULL) {
            return -1;
        }
    }
    else {
        Py_INCREF(loop);
    }
    fd->loop = loop;
    fd->cloop_loop = (char)cl_loop_check(st, loop);
    int debug = loop_debug(fut);
    if (debug <= 0) {
        return debug;
    }
    PyObject *frame = (PyObject *)PyEval_GetFrame(); /* borrowed */
    if (frame != NULL) {
        fd->source_tb = PyObject_CallOneArg(st->extract_stack, frame);
        if (fd->source_tb == NULL) {
            return -1;
        }
    }
    return 0;
}

PyObject *
cl_future_new(PyTypeObject *tp, PyObject *args, PyObject *kwds)
{
    cl_state *st = cl_state_from_type(tp);
    if (st == NULL) {
        return NULL;
    }
    FutureObject *fut = (FutureObject *)tp->tp_alloc(tp, 0);
    if (fut != NULL) {
        CL_FUT(fut)->state = st;
    }
    return (PyObject *)fut;
}

static int
Future_init(FutureObject *fut, PyObject *args, PyObject *kwds)
{
    static char *kwlist[] = {"loop", NULL};
    PyObject *loop = Py_None;
    if (!PyArg_ParseTupleAndKeywords(args, kwds, "|$O:Future", kwlist,
                                     &loop)) {
        return -1;
    }
    return cl_future_init(fut, loop);
}

int
cl_future_traverse_data(FutureObject *fut, visitproc visit, void *arg)
{
    cl_futdata *fd = CL_FUT(fut);
    Py_VISIT(fd->loop);
    Py_VISIT(fd->cb0);
    Py_VISIT(fd->cb0_ctx);
    Py_VISIT(fd->callbacks);
    Py_VISIT(fd->ring_ctx);
    Py_VISIT(fd->result);
    Py_VISIT(fd->exception);
    Py_VISIT(fd->exception_tb);
    Py_VISIT(fd->source_tb);
    Py_VISIT(fd->cancel_msg);
    Py_VISIT(fd->cancelled_exc);
    return 0;
}

void
cl_future_clear_data(FutureObject *fut)
{
    clear_outcome(fut);
    Py_CLEAR(CL_FUT(fut)->ring_ctx);
}

static void Future_dealloc(PyObject *self); /* marks cloop's Future type */

static int
Future_traverse(FutureObject *fut, visitproc visit, void *arg)
{
    int rc = cl_future_traverse_data(fut, visit, arg);
    if (rc != 0) {
        return rc;
    }
    return cl_asyncio_base_traverse(
        cl_asyncio_base_of((PyObject *)fut, Future_dealloc), (PyObject *)fut,
        visit, arg);
}

static int
Future_clear(FutureObject *fut)
{
    cl_future_clear_data(fut);
    cl_asyncio_base_clear(cl_asyncio_base_of((PyObject *)fut, Future_dealloc),
                          (PyObject *)fut);
    return 0;
}

static PyObject *
never_retrieved_context(FutureObject *fut)
{
    cl_futdata *fd = CL_FUT(fut);
    return cl_err_context(
        PyUnicode_FromFormat("%s exception was never retrieved",
                             _PyType_Name(Py_TYPE(fut))),
        "exception", fd->exception, "future", (PyObject *)fut,
        "source_traceback", fd->source_tb, NULL);
}

/* tp_finalize: report an exception nobody retrieved, as asyncio does.
 * A finalizer may run after the module (and the state) is gone, at
 * interpreter exit: it names what it needs instead of reading the state. */
void
cl_future_finalize(FutureObject *fut)
{
    cl_futdata *fd = CL_FUT(fut);
    if (!fd->log_tb || fd->loop == NULL || fd->exception == NULL) {
        return;
    }
    fd->log_tb = 0;
    PyObject *saved = PyErr_GetRaisedException();
    /* A finalizer cannot stop the loop: even KeyboardInterrupt is
     * unraisable here, as in asyncio's __del__. */
    if (cl_err_call_handler(fd->loop, never_retrieved_context(fut),
                            (PyObject *)fut)
        < 0) {
        PyErr_WriteUnraisable((PyObject *)fut);
    }
    PyErr_SetRaisedException(saved);
}

/* cloop's part first (tp_clear is not used: a Python subclass's slot
 * would clear its own part again), then asyncio's, whose dealloc frees the
 * object. The finalizer has run by then; asyncio's dealloc finds it done. */
void
cl_future_dealloc_on(PyTypeObject *base, PyObject *self,
                     void (*clear_data)(FutureObject *))
{
    if (PyObject_CallFinalizerFromDealloc(self) < 0) {
        return; /* resurrected */
    }
    PyObject_GC_UnTrack(self);
    clear_data((FutureObject *)self);
    cl_asyncio_base_dealloc(base, self);
}

static void
Future_dealloc(PyObject *self)
{
    cl_future_dealloc_on(cl_asyncio_base_of(self, Future_dealloc), self,
                         cl_future_clear_data);
}

static PyObject *
Future_repr(FutureObject *fut)
{
    return PyObject_CallOneArg(CL_FUT(fut)->state->future_repr,
                               (PyObject *)fut);
}

/* ------------------------------------------------------------------ */
/* Python API: methods                                                 */

static PyObject *
Future_result(FutureObject *fut, PyObject *unused)
{
    cl_futdata *fd = CL_FUT(fut);
    if (fd->loop == NULL) {
        /* asyncio's C Future says it with InvalidStateError here. */
        PyErr_SetString(fd->state->InvalidStateError,
                        "Future object is not initialized.");
        return NULL;
    }
    return cl_future_result(fut);
}

static PyObject *
Future_exception(FutureObject *fut, PyObject *unused)
{
    cl_futdata *fd = CL_FUT(fut);
    if (fd->loop == NULL) {
        PyErr_SetString(fd->state->InvalidStateError,
                        "Future object is not initialized.");
        return NULL;
    }
    if (fd->fut_state == CL_FUT_CANCELLED) {
        PyObject *exc = cl_future_make_cancelled_error(fut);
        if (exc != NULL) {
            PyErr_SetRaisedException(exc);
        }
        return NULL;
    }
    if (fd->fut_state != CL_FUT_FINISHED) {
        PyErr_SetString(fd->state->InvalidStateError, "Exception is not set.");
        return NULL;
    }
    fd->log_tb = 0;
    return Py_NewRef(fd->exception ? fd->exception : Py_None);
}

static PyObject *
Future_set_result(FutureObject *fut, PyObject *result)
{
    if (cl_future_set_result(fut, result) < 0) {
        return NULL;
    }
    Py_RETURN_NONE;
}

static PyObject *
Future_set_exception(FutureObject *fut, PyObject *exc)
{
    if (cl_future_set_exception(fut, exc) < 0) {
        return NULL;
    }
    Py_RETURN_NONE;
}

/* add_done_callback(fn, /, *, context=None) */
static PyObject *
Future_add_done_callback(FutureObject *fut, PyObject *const *args,
                         Py_ssize_t nargs, PyObject *kwnames)
{
    PyObject *ctx = Py_None;
    Py_ssize_t nkw = kwnames ? PyTuple_GET_SIZE(kwnames) : 0;
    if (nargs != 1) {
        PyErr_Format(PyExc_TypeError,
                     "add_done_callback() takes exactly 1 positional "
                     "argument (%zd given)",
                     nargs);
        return NULL;
    }
    for (Py_ssize_t i = 0; i < nkw; i++) {
        PyObject *key = PyTuple_GET_ITEM(kwnames, i);
        if (PyUnicode_CompareWithASCIIString(key, "context") != 0) {
            PyErr_Format(PyExc_TypeError,
                         "add_done_callback() got an unexpected keyword "
                         "argument '%S'",
                         key);
            return NULL;
        }
        ctx = args[nargs + i];
    }
    if (CL_FUT(fut)->loop == NULL) {
        PyErr_SetString(PyExc_RuntimeError, "uninitialized Future object");
        return NULL;
    }
    ctx = ctx == Py_None ? PyContext_CopyCurrent() : Py_NewRef(ctx);
    if (ctx == NULL || add_done(fut, Py_NewRef(args[0]), ctx) < 0) {
        return NULL;
    }
    Py_RETURN_NONE;
}

/* 1 if entry is a (fn, context) entry whose fn == fn, 0 if not, -1. */
static int
entry_matches(PyObject *entry, PyObject *fn)
{
    if (!PyTuple_CheckExact(entry)) {
        return 0;
    }
    return PyObject_RichCompareBool(PyTuple_GET_ITEM(entry, 0), fn, Py_EQ);
}

/* Comparing runs Python code that may change the callbacks under us: each
 * entry is held while compared, and a list that was replaced meanwhile is
 * left alone. */
static Py_ssize_t
remove_from_list(FutureObject *fut, PyObject *fn)
{
    cl_futdata *fd = CL_FUT(fut);
    PyObject *list = Py_NewRef(fd->callbacks);
    PyObject *kept = PyList_New(0);
    Py_ssize_t removed = 0;
    if (kept == NULL) {
        goto error;
    }
    for (Py_ssize_t i = 0; i < PyList_GET_SIZE(list); i++) {
        PyObject *entry = Py_NewRef(PyList_GET_ITEM(list, i));
        int eq = entry_matches(entry, fn);
        if (eq == 0 && PyList_Append(kept, entry) < 0) {
            eq = -1;
        }
        Py_DECREF(entry);
        if (eq < 0) {
            goto error;
        }
        removed += eq;
    }
    if (removed > 0 && fd->callbacks == list) {
        Py_SETREF(fd->callbacks, kept);
        kept = NULL;
    }
    Py_XDECREF(kept);
    Py_DECREF(list);
    return removed;
error:
    Py_XDECREF(kept);
    Py_DECREF(list);
    return -1;
}

static PyObject *
Future_remove_done_callback(FutureObject *fut, PyObject *fn)
{
    cl_futdata *fd = CL_FUT(fut);
    if (cl_future_check_alive(fut) < 0) {
        return NULL;
    }
    Py_ssize_t removed = 0;
    if (fd->cb0 != NULL && fd->cb0_ctx != NULL) { /* not a Task to wake */
        PyObject *cb0 = Py_NewRef(fd->cb0);
        int eq = PyObject_RichCompareBool(cb0, fn, Py_EQ);
        if (eq > 0 && fd->cb0 == cb0) {
            Py_CLEAR(fd->cb0);
            Py_CLEAR(fd->cb0_ctx);
            removed++;
        }
        Py_DECREF(cb0);
        if (eq < 0) {
            return NULL;
        }
    }
    if (fd->callbacks != NULL) {
        Py_ssize_t n = remove_from_list(fut, fn);
        if (n < 0) {
            return NULL;
        }
        removed += n;
    }
    return PyLong_FromSsize_t(removed);
}

/* cancel(msg=None): positional or keyword, as asyncio's. */
static PyObject *
Future_cancel(FutureObject *fut, PyObject *args, PyObject *kwds)
{
    static char *kwlist[] = {"msg", NULL};
    PyObject *msg = Py_None;
    if (!PyArg_ParseTupleAndKeywords(args, kwds, "|O:cancel", kwlist, &msg)
        || cl_future_check_alive(fut) < 0) {
        return NULL;
    }
    int rc = cl_future_cancel(fut, msg);
    return rc < 0 ? NULL : PyBool_FromLong(rc);
}

static PyObject *
Future_cancelled(FutureObject *fut, PyObject *unused)
{
    cl_futdata *fd = CL_FUT(fut);
    return PyBool_FromLong(fd->loop != NULL
                           && fd->fut_state == CL_FUT_CANCELLED);
}

static PyObject *
Future_done(FutureObject *fut, PyObject *unused)
{
    cl_futdata *fd = CL_FUT(fut);
    return PyBool_FromLong(fd->loop != NULL
                           && fd->fut_state != CL_FUT_PENDING);
}

static PyObject *
Future_get_loop(FutureObject *fut, PyObject *unused)
{
    if (cl_future_check_alive(fut) < 0) {
        return NULL;
    }
    return Py_NewRef(CL_FUT(fut)->loop);
}

static PyObject *
Future_make_cancelled_error(FutureObject *fut, PyObject *unused)
{
    return cl_future_make_cancelled_error(fut);
}

PyObject *
Loop_create_future(PyObject *loop, PyObject *unused)
{
    cl_state *st = ((LoopObject *)loop)->state;
    FutureObject *fut =
        (FutureObject *)st->FutureType->tp_alloc(st->FutureType, 0);
    if (fut == NULL) {
        return NULL;
    }
    CL_FUT(fut)->state = st;
    if (cl_future_init(fut, loop) < 0) {
        Py_DECREF(fut);
        return NULL;
    }
    return (PyObject *)fut;
}

static PyMethodDef Future_methods[] = {
    {"result", (PyCFunction)Future_result, METH_NOARGS,
     "result($self, /)\n--\n\nReturn the result this future represents."},
    {"exception", (PyCFunction)Future_exception, METH_NOARGS,
     "exception($self, /)\n--\n\nReturn the exception set on this future."},
    {"set_result", (PyCFunction)Future_set_result, METH_O,
     "set_result($self, result, /)\n--\n\nMark the future done and set its "
     "result."},
    {"set_exception", (PyCFunction)Future_set_exception, METH_O,
     "set_exception($self, exception, /)\n--\n\nMark the future done and "
     "set an exception."},
    {"add_done_callback",
     (PyCFunction)(void (*)(void))Future_add_done_callback,
     METH_FASTCALL | METH_KEYWORDS,
     "add_done_callback($self, fn, /, *, context=None)\n--\n\nAdd a "
     "callback to be run when the future becomes done."},
    {"remove_done_callback", (PyCFunction)Future_remove_done_callback, METH_O,
     "remove_done_callback($self, fn, /)\n--\n\nRemove all instances of a "
     "callback; return the number removed."},
    {"cancel", (PyCFunction)(void (*)(void))Future_cancel,
     METH_VARARGS | METH_KEYWORDS,
     "cancel($self, /, msg=None)\n--\n\nCancel the future and schedule "
     "callbacks."},
    {"cancelled", (PyCFunction)Future_cancelled, METH_NOARGS,
     "cancelled($self, /)\n--\n\nReturn True if the future was cancelled."},
    {"done", (PyCFunction)Future_done, METH_NOARGS,
     "done($self, /)\n--\n\nReturn True if the future is done."},
    {"get_loop", (PyCFunction)Future_get_loop, METH_NOARGS,
     "get_loop($self, /)\n--\n\nReturn the event loop the Future is bound "
     "to."},
    {"_make_cancelled_error", (PyCFunction)Future_make_cancelled_error,
     METH_NOARGS, NULL},
    {"__class_getitem__", Py_GenericAlias, METH_O | METH_CLASS, "See PEP 585"},
    {NULL}};

static PyType_Slot Future_slots[] = {
    {Py_tp_new, cl_future_new},
    {Py_tp_init, Future_init},
    {Py_tp_dealloc, Future_dealloc},
    {Py_tp_finalize, cl_future_finalize},
    {Py_tp_traverse, Future_traverse},
    {Py_tp_clear, Future_clear},
    {Py_tp_repr, Future_repr},
    {Py_tp_iter, cl_futureiter_new},
    {Py_am_await, cl_futureiter_new},
    {Py_tp_methods, Future_methods},
    {Py_tp_getset, cl_future_getset},
    {Py_tp_doc, "Future(*, loop=None)\n--\n\nasyncio's Future, in C: the "
                "result of an operation that completes later."},
    {0, NULL}};

/* basicsize: set when the type is made (cl_asyncio_base_make_type). */
static PyType_Spec Future_spec = {
    .name = "cloop._cloop.Future",
    .flags = Py_TPFLAGS_DEFAULT | Py_TPFLAGS_HAVE_GC | Py_TPFLAGS_BASETYPE
             | Py_TPFLAGS_IMMUTABLETYPE,
    .slots = Future_slots,
};

/* Adds descr to tp's own dict unless tp defines the name itself. */
static int
add_descriptor(PyTypeObject *tp, const char *name, PyObject *descr)
{
    if (descr == NULL) {
        return -1;
    }
    PyObject *dict = tp->tp_dict;
    int has = PyDict_GetItemString(dict, name) != NULL;
    int rc = has ? 0 : PyDict_SetItemString(dict, name, descr);
    Py_DECREF(descr);
    return rc;
}

int
cl_future_add_api(PyTypeObject *tp)
{
    for (PyMethodDef *m = Future_methods; m->ml_name != NULL; m++) {
        PyObject *descr = (m->ml_flags & METH_CLASS)
                              ? PyDescr_NewClassMethod(tp, m)
                              : PyDescr_NewMethod(tp, m);
        if (add_descriptor(tp, m->ml_name, descr) < 0) {
            return -1;
        }
    }
    for (PyGetSetDef *g = cl_future_getset; g->name != NULL; g++) {
        if (add_descriptor(tp, g->name, PyDescr_NewGetSet(tp, g)) < 0) {
            return -1;
        }
    }
    PyType_Modified(tp);
    return 0;
}

int
cl_future_init_state(PyObject *module, cl_state *st)
{
    st->FutureType = cl_asyncio_base_make_type(
        module, &Future_spec, st->AsyncioFutureType, sizeof(cl_futdata));
    if (st->FutureType == NULL
        || PyModule_AddType(module, st->FutureType) < 0) {
        return -1;
    }
    return cl_futureiter_init_state(module, st);
}
