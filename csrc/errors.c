/* errors.c: reporting exceptions nobody can raise (see errors.h).
 *
 * Called from error paths only, and from finalizers that may run after the
 * module state is gone at interpreter exit: nothing here reads the module
 * state, names are made when needed.
 *
 * Owns nothing: every function borrows its arguments except where its
 * comment in errors.h says it steals one.
 */
#include <stdarg.h>

#include "errors.h"

int
cl_err_is_fatal(void)
{
    return PyErr_ExceptionMatches(PyExc_KeyboardInterrupt)
           || PyErr_ExceptionMatches(PyExc_SystemExit);
}

void
cl_err_chain(PyObject *prev)
{
    if (prev == NULL) {
        return;
    }
    if (!PyErr_Occurred()) {
        PyErr_SetRaisedException(prev);
        return;
    }
    PyObject *cur = PyErr_GetRaisedException();
    if (cur != prev) {
        PyException_SetContext(cur, prev);
    }
    else {
        Py_DECREF(prev);
    }
    PyErr_SetRaisedException(cur);
}

PyObject *
cl_err_context(PyObject *message, ...)
{
    if (message == NULL) {
        return NULL;
    }
    PyObject *ctx = PyDict_New();
    if (ctx == NULL || PyDict_SetItemString(ctx, "message", message) < 0) {
        goto error;
    }
    va_list pairs;
    va_start(pairs, message);
    const char *key;
    int rc = 0;
    while (rc == 0 && (key = va_arg(pairs, const char *)) != NULL) {
        PyObject *value = va_arg(pairs, PyObject *);
        if (value != NULL) {
            rc = PyDict_SetItemString(ctx, key, value);
        }
    }
    va_end(pairs);
    if (rc < 0) {
        goto error;
    }
    Py_DECREF(message);
    return ctx;

error:
    Py_DECREF(message);
    Py_XDECREF(ctx);
    return NULL;
}

int
cl_err_unraisable(PyObject *culprit)
{
    if (cl_err_is_fatal()) {
        return -1;
    }
    PyErr_WriteUnraisable(culprit);
    return 0;
}

int
cl_err_call_handler(PyObject *loop, PyObject *ctx, PyObject *culprit)
{
    PyObject *res = NULL;
    if (ctx != NULL) {
        res = PyObject_CallMethod(loop, "call_exception_handler", "O", ctx);
        Py_DECREF(ctx);
    }
    if (res != NULL) {
        Py_DECREF(res);
        return 0;
    }
    /* asyncio's call_exception_handler lets only KeyboardInterrupt and
     * SystemExit out; anything else is a bug in a handler, worth seeing. */
    return cl_err_unraisable(culprit);
}

/* asyncio's message for a failed callback: 'Exception in callback
 * <callback source>'. */
static PyObject *
callback_message(PyObject *format_source, PyObject *fn, PyObject *const *args,
                 Py_ssize_t nargs)
{
    PyObject *targs = PyTuple_New(nargs);
    if (targs == NULL) {
        return NULL;
    }
    for (Py_ssize_t i = 0; i < nargs; i++) {
        PyTuple_SET_ITEM(targs, i, Py_NewRef(args[i]));
    }
    PyObject *src =
        PyObject_CallFunctionObjArgs(format_source, fn, targs, NULL);
    Py_DECREF(targs);
    if (src == NULL) {
        return NULL;
    }
    PyObject *msg = PyUnicode_FromFormat("Exception in callback %U", src);
    Py_DECREF(src);
    return msg;
}

int
cl_err_report_callback(PyObject *loop, PyObject *format_source,
                       PyObject *handle, PyObject *fn, PyObject *const *args,
                       Py_ssize_t nargs, PyObject *source_tb)
{
    if (cl_err_is_fatal()) {
        return -1;
    }
    PyObject *exc = PyErr_GetRaisedException();
    /* Handle._run adds the traceback only when it is not empty. */
    int has_tb = source_tb != NULL ? PyObject_IsTrue(source_tb) : 0;
    PyObject *ctx = NULL;
    if (has_tb >= 0) {
        ctx = cl_err_context(callback_message(format_source, fn, args, nargs),
                             "exception", exc, "handle", handle,
                             "source_traceback", has_tb ? source_tb : NULL,
                             NULL);
    }
    Py_DECREF(exc);
    return cl_err_call_handler(loop, ctx, handle);
}

int
cl_err_report(PyObject *loop, const char *what, const char *key, PyObject *obj)
{
    if (cl_err_is_fatal()) {
        return -1;
    }
    PyObject *exc = PyErr_GetRaisedException();
    PyObject *ctx =
        cl_err_context(PyUnicode_FromFormat("Exception in callback %s", what),
                       "exception", exc, obj != NULL ? key : NULL, obj, NULL);
    Py_DECREF(exc);
    return cl_err_call_handler(loop, ctx, obj != NULL ? obj : loop);
}
