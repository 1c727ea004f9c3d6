/* future_attrs.c: cloop.Future's attributes (the getset table).
 *
 * asyncio's private attributes that libraries, debuggers and the course
 * read or set on a Future: _state, _asyncio_future_blocking,
 * _log_traceback, _loop, _callbacks, _result, _exception,
 * _source_traceback, _cancel_message. Each reads the C fields future.c
 * owns; none changes a future's state except the setters asyncio allows.
 */
#include "common.h"
#include "future.h"
#include "future_attrs.h"
#include "task.h"

static PyObject *
Future_get_state(FutureObject *fut, void *c)
{
    if (cl_future_check_alive(fut) < 0) {
        return NULL;
    }
    switch (CL_FUT(fut)->fut_state) {
        case CL_FUT_CANCELLED:
            return PyUnicode_FromString("CANCELLED");
        case CL_FUT_FINISHED:
            return PyUnicode_FromString("FINISHED");
        default:
            return PyUnicode_FromString("PENDING");
    }
}

static PyObject *
Future_get_blocking(FutureObject *fut, void *c)
{
    return PyBool_FromLong(CL_FUT(fut)->blocking);
}

int
cl_attr_set_flag(PyObject *value, char *flag)
{
    if (value == NULL) {
        PyErr_SetString(PyExc_AttributeError, "cannot delete attribute");
        return -1;
    }
    int b = PyObject_IsTrue(value);
    if (b < 0) {
        return -1;
    }
    *flag = (char)b;
    return 0;
}

static int
Future_set_blocking(FutureObject *fut, PyObject *value, void *c)
{
    if (cl_future_check_alive(fut) < 0) {
        return -1;
    }
    return cl_attr_set_flag(value, &CL_FUT(fut)->blocking);
}

static PyObject *
Future_get_log_traceback(FutureObject *fut, void *c)
{
    if (cl_future_check_alive(fut) < 0) {
        return NULL;
    }
    return PyBool_FromLong(CL_FUT(fut)->log_tb);
}

static int
Future_set_log_traceback(FutureObject *fut, PyObject *value, void *c)
{
    char flag;
    if (cl_attr_set_flag(value, &flag) < 0) {
        return -1;
    }
    if (flag) {
        PyErr_SetString(PyExc_ValueError,
                        "_log_traceback can only be set to False");
        return -1;
    }
    CL_FUT(fut)->log_tb = 0;
    return 0;
}

static PyObject *
or_none(PyObject *o)
{
    return Py_NewRef(o ? o : Py_None);
}

static PyObject *
Future_get_loop_attr(FutureObject *fut, void *c)
{
    return or_none(CL_FUT(fut)->loop);
}

/* An entry as asyncio shows it in _callbacks: (fn, context). */
static PyObject *
entry_as_pair(FutureObject *fut, PyObject *entry)
{
    if (PyTuple_CheckExact(entry)) {
        return Py_NewRef(entry);
    }
    PyObject *fn =
        PyObject_GetAttr(entry, CL_FUT(fut)->state->str_task_wakeup);
    if (fn == NULL) {
        return NULL;
    }
    PyObject *ctx = CL_TASK(entry)->context;
    PyObject *pair = PyTuple_Pack(2, fn, ctx ? ctx : Py_None);
    Py_DECREF(fn);
    return pair;
}

static int
append_pair(FutureObject *fut, PyObject *list, PyObject *entry)
{
    PyObject *pair = entry_as_pair(fut, entry);
    if (pair == NULL) {
        return -1;
    }
    int rc = PyList_Append(list, pair);
    Py_DECREF(pair);
    return rc;
}

/* None when there are no callbacks, as asyncio's C Future. */
static PyObject *
Future_get_callbacks(FutureObject *fut, void *c)
{
    cl_futdata *fd = CL_FUT(fut);
    if (cl_future_check_alive(fut) < 0) {
        return NULL;
    }
    Py_ssize_t n = fd->callbacks ? PyList_GET_SIZE(fd->callbacks) : 0;
    if (fd->cb0 == NULL && n == 0) {
        Py_RETURN_NONE;
    }
    PyObject *list = PyList_New(0);
    if (list == NULL) {
        goto error;
    }
    if (fd->cb0 != NULL && fd->cb0_ctx != NULL) {
        PyObject *pair = PyTuple_Pack(2, fd->cb0, fd->cb0_ctx);
        int rc = pair ? PyList_Append(list, pair) : -1;
        Py_XDECREF(pair);
        if (rc < 0) {
            goto error;
        }
    }
    else if (fd->cb0 != NULL && append_pair(fut, list, fd->cb0) < 0) {
        goto error;
    }
    for (Py_ssize_t i = 0; fd->callbacks && i < PyList_GET_SIZE(fd->callbacks);
         i++) {
        if (append_pair(fut, list, PyList_GET_ITEM(fd->callbacks, i)) < 0) {
            goto error;
        }
    }
    return list;
error:
    Py_XDECREF(list);
    return NULL;
}

static PyObject *
Future_get_result_attr(FutureObject *fut, void *c)
{
    if (cl_future_check_alive(fut) < 0) {
        return NULL;
    }
    return or_none(CL_FUT(fut)->result);
}

static PyObject *
Future_get_exception_attr(FutureObject *fut, void *c)
{
    if (cl_future_check_alive(fut) < 0) {
        return NULL;
    }
    return or_none(CL_FUT(fut)->exception);
}

static PyObject *
Future_get_source_traceback(FutureObject *fut, void *c)
{
    return or_none(CL_FUT(fut)->source_tb);
}

static PyObject *
Future_get_cancel_message(FutureObject *fut, void *c)
{
    return or_none(CL_FUT(fut)->cancel_msg);
}

static int
Future_set_cancel_message(FutureObject *fut, PyObject *value, void *c)
{
    if (value == NULL) {
        PyErr_SetString(PyExc_AttributeError, "cannot delete attribute");
        return -1;
    }
    Py_XSETREF(CL_FUT(fut)->cancel_msg, Py_NewRef(value));
    return 0;
}

PyGetSetDef cl_future_getset[] = {
    {"_state", (getter)Future_get_state, NULL, NULL},
    {"_asyncio_future_blocking", (getter)Future_get_blocking,
     (setter)Future_set_blocking, NULL},
    {"_log_traceback", (getter)Future_get_log_traceback,
     (setter)Future_set_log_traceback, NULL},
    {"_loop", (getter)Future_get_loop_attr, NULL, NULL},
    {"_callbacks", (getter)Future_get_callbacks, NULL, NULL},
    {"_result", (getter)Future_get_result_attr, NULL, NULL},
    {"_exception", (getter)Future_get_exception_attr, NULL, NULL},
    {"_source_traceback", (getter)Future_get_source_traceback, NULL, NULL},
    {"_cancel_message", (getter)Future_get_cancel_message,
     (setter)Future_set_cancel_message, NULL},
    {NULL}};
