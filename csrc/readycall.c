/* readycall.c: calling Python from C entries of the ready ring.
 *
 * A Task step, a Task wake-up and a Future's done-callback run on a cloop
 * loop as C ready entries instead of Handles. This file holds what they
 * share with asyncio's Handle: running a callable in its context, sending
 * a failure to the loop's exception handler as Handle._run would, the
 * debug-mode thread check of call_soon, and, for loops that are not
 * cloop's, loop.call_soon(fn, arg, context=ctx) itself.
 *
 * Owns nothing: every function borrows its arguments.
 */
#include "common.h"
#include "errors.h"
#include "handle.h"
#include "readycall.h"

int
cl_readycall_check_thread(LoopObject *loop)
{
    if (loop->running && PyThread_get_thread_ident() != loop->thread_id) {
        PyErr_SetString(PyExc_RuntimeError,
                        "Non-thread-safe operation invoked on an event loop "
                        "other than the current one");
        return -1;
    }
    return 0;
}

int
cl_readycall_call_soon(cl_state *st, PyObject *loop, PyObject *fn,
                       PyObject *arg, PyObject *ctx)
{
    PyObject *stack[4] = {loop, fn, arg, ctx};
    size_t nargs = 3;
    if (arg == NULL) {
        stack[2] = ctx;
        nargs = 2;
    }
    PyObject *res = PyObject_VectorcallMethod(st->str_call_soon, stack, nargs,
                                              st->kwnames_context);
    if (res == NULL) {
        return -1;
    }
    Py_DECREF(res);
    return 0;
}

int
cl_readycall_report_error(LoopObject *loop, PyObject *fn,
                          PyObject *const *args, Py_ssize_t nargs,
                          PyObject *context)
{
    if (cl_err_is_fatal()) {
        return -1;
    }
    /* The Handle exists only for the report: custom exception handlers
     * expect one under 'handle' (and 3.12 runs them in its context). Made
     * now, its source traceback (debug mode) would show this report, not
     * where the entry was scheduled: the report leaves it out. */
    PyObject *exc = PyErr_GetRaisedException();
    HandleObject *h =
        cl_handle_new(loop->state->HandleType, loop, fn, args, nargs, context);
    if (h == NULL) {
        Py_DECREF(exc);
        return cl_err_unraisable(fn);
    }
    PyErr_SetRaisedException(exc);
    int rc = cl_err_report_callback((PyObject *)loop,
                                    loop->state->format_callback_source,
                                    (PyObject *)h, fn, args, nargs, NULL);
    Py_DECREF(h);
    return rc;
}

int
cl_readycall_run_pair(LoopObject *loop, PyObject *fut, PyObject *entry)
{
    return cl_readycall_run_in_context(loop, PyTuple_GET_ITEM(entry, 0), fut,
                                       PyTuple_GET_ITEM(entry, 1));
}

int
cl_readycall_run_in_context(LoopObject *loop, PyObject *fn, PyObject *fut,
                            PyObject *ctx)
{
    if (PyContext_Enter(ctx) < 0) {
        return cl_readycall_report_error(loop, fn, &fut, 1, NULL);
    }
    PyObject *res = PyObject_CallOneArg(fn, fut);
    if (PyContext_Exit(ctx) < 0) {
        Py_XDECREF(res);
        res = NULL;
    }
    if (res == NULL) {
        return cl_readycall_report_error(loop, fn, &fut, 1, ctx);
    }
    Py_DECREF(res);
    return 0;
}
