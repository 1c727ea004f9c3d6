/* loop_attrs.c: the Loop's attributes (_debug, _thread_id, ...).
 *
 * cloop.Loop runs methods borrowed from asyncio.BaseEventLoop; they read and
 * write these attributes, which here are views of the C loop's fields.
 * Owns nothing.
 */
#include "common.h"
#include "loop.h"
#include "loop_attrs.h"

static PyObject *
Loop_get_debug_attr(LoopObject *self, void *c)
{
    return PyBool_FromLong(self->debug);
}

static int
Loop_set_debug_attr(LoopObject *self, PyObject *value, void *c)
{
    int b = value ? PyObject_IsTrue(value) : 0;
    if (b < 0) {
        return -1;
    }
    self->debug = (char)b;
    return 0;
}

static PyObject *
Loop_get_stopping(LoopObject *self, void *c)
{
    return PyBool_FromLong(self->stopping);
}

static int
Loop_set_stopping(LoopObject *self, PyObject *value, void *c)
{
    int b = value ? PyObject_IsTrue(value) : 0;
    if (b < 0) {
        return -1;
    }
    self->stopping = (char)b;
    return 0;
}

static PyObject *
Loop_get_closed(LoopObject *self, void *c)
{
    return PyBool_FromLong(self->closed);
}

static PyObject *
Loop_get_thread_id(LoopObject *self, void *c)
{
    if (!self->running) {
        Py_RETURN_NONE;
    }
    return PyLong_FromUnsignedLong(self->thread_id);
}

/* None: not running; an int: running in that thread (threading.get_ident). */
static int
Loop_set_thread_id(LoopObject *self, PyObject *value, void *c)
{
    if (value == NULL || value == Py_None) {
        self->running = 0;
        self->thread_id = 0;
        return 0;
    }
    unsigned long ident = PyLong_AsUnsignedLong(value);
    if (ident == (unsigned long)-1 && PyErr_Occurred()) {
        return -1;
    }
    self->thread_id = ident;
    self->running = 1;
    return 0;
}

static PyObject *
Loop_get_current_handle(LoopObject *self, void *c)
{
    return Py_NewRef(self->current_handle ? self->current_handle : Py_None);
}

static PyObject *
Loop_get_clock_resolution(LoopObject *self, void *c)
{
    return PyFloat_FromDouble(self->clock_resolution);
}

static PyObject *
Loop_get_slow_callback_duration(LoopObject *self, void *c)
{
    return PyFloat_FromDouble(self->slow_callback_duration);
}

static int
Loop_set_slow_callback_duration(LoopObject *self, PyObject *value, void *c)
{
    if (value == NULL) {
        PyErr_SetString(PyExc_AttributeError, "cannot delete attribute");
        return -1;
    }
    double d = PyFloat_AsDouble(value);
    if (d == -1.0 && PyErr_Occurred()) {
        return -1;
    }
    self->slow_callback_duration = d;
    return 0;
}

static PyObject *
Loop_get_timer_cancelled_count(LoopObject *self, void *c)
{
    return PyLong_FromSsize_t(self->timer_cancelled_count);
}

static PyObject *
Loop_get_ready_count(LoopObject *self, void *c)
{
    return PyLong_FromSize_t(self->ready.len);
}

static PyObject *
Loop_get_timer_count(LoopObject *self, void *c)
{
    return PyLong_FromSize_t(self->timers.len);
}

PyGetSetDef cl_loop_getset[] = {
    {"_debug", (getter)Loop_get_debug_attr, (setter)Loop_set_debug_attr, NULL},
    {"_stopping", (getter)Loop_get_stopping, (setter)Loop_set_stopping, NULL},
    {"_closed", (getter)Loop_get_closed, NULL, NULL},
    {"_thread_id", (getter)Loop_get_thread_id, (setter)Loop_set_thread_id,
     NULL},
    {"_current_handle", (getter)Loop_get_current_handle, NULL, NULL},
    {"_clock_resolution", (getter)Loop_get_clock_resolution, NULL, NULL},
    {"slow_callback_duration", (getter)Loop_get_slow_callback_duration,
     (setter)Loop_set_slow_callback_duration, NULL},
    {"_timer_cancelled_count", (getter)Loop_get_timer_cancelled_count, NULL,
     NULL},
    {"_ready_count", (getter)Loop_get_ready_count, NULL, NULL},
    {"_timer_count", (getter)Loop_get_timer_count, NULL, NULL},
    {NULL}};
