/* transport_methods.c: the Python face both socket transports share:
 * get_extra_info, close/abort, reading on/off, write buffer limits, the
 * attributes asyncio code reads (_sock, _loop, _protocol_paused ...), repr,
 * and making a transport type whose bases are asyncio's (transport.h).
 *
 * Owns no state of its own: every method works on the TransportObject and
 * the lifecycle functions of transport.c.
 */
#include <string.h>

#include "common.h"
#include "debugcount.h"
#include "loop_io.h"
#include "transport.h"

/* ------------------------------------------------------------------ */
/* Methods                                                             */

PyObject *
Transport_get_extra_info(TransportObject *t, PyObject *const *args,
                         Py_ssize_t nargs, PyObject *kwnames)
{
    static const char *const kwlist[] = {"name", "default", NULL};
    PyObject *name = NULL, *dflt = Py_None;
    Py_ssize_t nkw = kwnames ? PyTuple_GET_SIZE(kwnames) : 0;
    if (nargs + nkw < 1 || nargs + nkw > 2 || nargs > 2) {
        PyErr_SetString(PyExc_TypeError,
                        "get_extra_info() takes 1 or 2 arguments");
        return NULL;
    }
    if (nargs >= 1) {
        name = args[0];
    }
    if (nargs == 2) {
        dflt = args[1];
    }
    for (Py_ssize_t i = 0; i < nkw; i++) {
        PyObject *k = PyTuple_GET_ITEM(kwnames, i);
        if (PyUnicode_CompareWithASCIIString(k, kwlist[0]) == 0 && !name) {
            name = args[nargs + i];
        }
        else if (PyUnicode_CompareWithASCIIString(k, kwlist[1]) == 0) {
            dflt = args[nargs + i];
        }
        else {
            PyErr_Format(PyExc_TypeError,
                         "get_extra_info() got an unexpected keyword "
                         "argument '%S'",
                         k);
            return NULL;
        }
    }
    if (name == NULL) {
        PyErr_SetString(PyExc_TypeError,
                        "get_extra_info() missing required argument 'name'");
        return NULL;
    }
    PyObject *v = PyDict_GetItemWithError(t->extra, name);
    if (v == NULL && PyErr_Occurred()) {
        return NULL;
    }
    return Py_NewRef(v ? v : dflt);
}

PyObject *
Transport_is_closing(TransportObject *t, PyObject *unused)
{
    return PyBool_FromLong(t->closing);
}

PyObject *
Transport_close(TransportObject *t, PyObject *unused)
{
    if (cl_transport_close(t) < 0) {
        return NULL;
    }
    Py_RETURN_NONE;
}

PyObject *
Transport_abort(TransportObject *t, PyObject *unused)
{
    if (cl_transport_force_close(t, NULL) < 0) {
        return NULL;
    }
    Py_RETURN_NONE;
}

PyObject *
Transport__force_close(TransportObject *t, PyObject *exc)
{
    if (cl_transport_force_close(t, exc == Py_None ? NULL : exc) < 0) {
        return NULL;
    }
    Py_RETURN_NONE;
}

PyObject *
Transport_get_protocol(TransportObject *t, PyObject *unused)
{
    return Py_NewRef(t->protocol ? t->protocol : Py_None);
}

PyObject *
Transport_is_reading(TransportObject *t, PyObject *unused)
{
    return PyBool_FromLong(!t->closing && !t->paused);
}

PyObject *
Transport_pause_reading(TransportObject *t, PyObject *unused)
{
    if (t->closing || t->paused) {
        Py_RETURN_NONE;
    }
    t->paused = 1;
    cl_transport_stop_reading(t);
    if (t->loop != NULL && t->loop->debug) {
        cl_net_log(t->loop, t->state->str_debug, "%r pauses reading",
                   (PyObject *)t);
    }
    Py_RETURN_NONE;
}

PyObject *
Transport_resume_reading(TransportObject *t, PyObject *unused)
{
    if (t->closing || !t->paused) {
        Py_RETURN_NONE;
    }
    t->paused = 0;
    if (cl_transport_start_reading(t) < 0) {
        return NULL;
    }
    if (t->loop != NULL && t->loop->debug) {
        cl_net_log(t->loop, t->state->str_debug, "%r resumes reading",
                   (PyObject *)t);
    }
    Py_RETURN_NONE;
}

PyObject *
Transport_get_write_buffer_size(TransportObject *t, PyObject *unused)
{
    return PyLong_FromSsize_t(t->wq.size);
}

/* A limit as asyncio reports it: the object it was given, or the default. */
static PyObject *
limit_obj(PyObject *given, Py_ssize_t value)
{
    return given != NULL ? Py_NewRef(given) : PyLong_FromSsize_t(value);
}

PyObject *
Transport_get_write_buffer_limits(TransportObject *t, PyObject *unused)
{
    PyObject *low = limit_obj(t->low_obj, t->low_water);
    PyObject *high = low ? limit_obj(t->high_obj, t->high_water) : NULL;
    PyObject *res = high ? PyTuple_Pack(2, low, high) : NULL;
    Py_XDECREF(low);
    Py_XDECREF(high);
    return res;
}

/* A limit (a number >= 0, checked) as the integer buffer size compares to
 * it: size > 1.5 is size > 1, and a limit past the largest size is that
 * size. 0, or -1 with an exception. */
static int
limit_as_size(PyObject *limit, Py_ssize_t *out)
{
    PyObject *n = PyNumber_Long(limit); /* truncates: floors, as limit >= 0 */
    if (n == NULL) {
        if (!PyErr_ExceptionMatches(PyExc_OverflowError)) {
            return -1;
        }
        PyErr_Clear(); /* infinity */
        *out = PY_SSIZE_T_MAX;
        return 0;
    }
    *out = PyLong_AsSsize_t(n);
    Py_DECREF(n);
    if (*out == -1 && PyErr_Occurred()) {
        if (!PyErr_ExceptionMatches(PyExc_OverflowError)) {
            return -1;
        }
        PyErr_Clear();
        *out = PY_SSIZE_T_MAX;
    }
    return 0;
}

/* asyncio's _set_write_buffer_limits, in Python's arithmetic: any numbers
 * (huge ints, floats), with its defaults and its ValueError. Into *high and
 * *low (new references). 0 or -1. */
static int
compute_limits(PyObject *high_arg, PyObject *low_arg, PyObject **high,
               PyObject **low)
{
    *high = *low = NULL;
    if (high_arg != Py_None) {
        *high = Py_NewRef(high_arg);
    }
    else if (low_arg == Py_None) {
        *high = PyLong_FromLong(CL_DEFAULT_HIGH_WATER);
    }
    else {
        PyObject *four = PyLong_FromLong(4);
        *high = four ? PyNumber_Multiply(four, low_arg) : NULL;
        Py_XDECREF(four);
    }
    if (*high == NULL) {
        return -1;
    }
    if (low_arg != Py_None) {
        *low = Py_NewRef(low_arg);
    }
    else {
        PyObject *four = PyLong_FromLong(4);
        *low = four ? PyNumber_FloorDivide(*high, four) : NULL;
        Py_XDECREF(four);
    }
    if (*low == NULL) {
        Py_CLEAR(*high);
        return -1;
    }
    PyObject *zero = PyLong_FromLong(0);
    int ok = zero ? PyObject_RichCompareBool(*high, *low, Py_GE) : -1;
    if (ok > 0) {
        ok = PyObject_RichCompareBool(*low, zero, Py_GE);
    }
    Py_XDECREF(zero);
    if (ok == 0) {
        PyErr_Format(PyExc_ValueError,
                     "high (%R) must be >= low (%R) must be >= 0", *high,
                     *low);
    }
    if (ok <= 0) {
        Py_CLEAR(*high);
        Py_CLEAR(*low);
        return -1;
    }
    return 0;
}

PyObject *
Transport_set_write_buffer_limits(TransportObject *t, PyObject *const *args,
                                  Py_ssize_t nargs, PyObject *kwnames)
{
    PyObject *high = Py_None, *low = Py_None;
    Py_ssize_t nkw = kwnames ? PyTuple_GET_SIZE(kwnames) : 0;
    if (nargs > 2) {
        PyErr_SetString(PyExc_TypeError,
                        "set_write_buffer_limits() takes at most 2 arguments");
        return NULL;
    }
    if (nargs >= 1) {
        high = args[0];
    }
    if (nargs >= 2) {
        low = args[1];
    }
    for (Py_ssize_t i = 0; i < nkw; i++) {
        PyObject *k = PyTuple_GET_ITEM(kwnames, i);
        if (PyUnicode_CompareWithASCIIString(k, "high") == 0) {
            high = args[nargs + i];
        }
        else if (PyUnicode_CompareWithASCIIString(k, "low") == 0) {
            low = args[nargs + i];
        }
        else {
            PyErr_Format(PyExc_TypeError,
                         "set_write_buffer_limits() got an unexpected "
                         "keyword argument '%S'",
                         k);
            return NULL;
        }
    }
    PyObject *h, *l;
    Py_ssize_t hs, ls;
    if (compute_limits(high, low, &h, &l) < 0) {
        return NULL;
    }
    if (limit_as_size(h, &hs) < 0 || limit_as_size(l, &ls) < 0) {
        Py_DECREF(h);
        Py_DECREF(l);
        return NULL;
    }
    t->high_water = hs;
    t->low_water = ls;
    Py_XSETREF(t->high_obj, h);
    Py_XSETREF(t->low_obj, l);
    if (cl_transport_maybe_pause_protocol(t) < 0) {
        return NULL;
    }
    Py_RETURN_NONE;
}

/* sendfile on a transport hands its socket to sock_sendfile for a while:
 * asyncio takes the transport out of loop._transports meanwhile. */
PyObject *
Transport__set_fd_owner(TransportObject *t, PyObject *flag)
{
    int b = PyObject_IsTrue(flag);
    if (b < 0) {
        return NULL;
    }
    if (!b) {
        cl_transport_forget_fd_owner(t);
    }
    else if (!t->owns_fd && t->loop != NULL && t->sock != NULL) {
        if (cl_loop_io_set_owner(t->loop, t->fd, (PyObject *)t) < 0) {
            return NULL;
        }
        t->owns_fd = 1;
    }
    Py_RETURN_NONE;
}

/* ------------------------------------------------------------------ */
/* Attributes                                                          */

static PyObject *
or_none(PyObject *obj)
{
    return Py_NewRef(obj ? obj : Py_None);
}

PyObject *
Transport_get_sock(TransportObject *t, void *c)
{
    return or_none(t->sock);
}

PyObject *
Transport_get_sock_fd(TransportObject *t, void *c)
{
    return PyLong_FromLong(t->fd);
}

PyObject *
Transport_get_loop(TransportObject *t, void *c)
{
    return or_none((PyObject *)t->loop);
}

PyObject *
Transport_get_protocol_attr(TransportObject *t, void *c)
{
    return or_none(t->protocol);
}

PyObject *
Transport_get_protocol_paused(TransportObject *t, void *c)
{
    return PyBool_FromLong(t->protocol_paused);
}

int
Transport_set_protocol_paused(TransportObject *t, PyObject *v, void *c)
{
    int b = v ? PyObject_IsTrue(v) : 0;
    if (b < 0) {
        return -1;
    }
    t->protocol_paused = (char)b;
    return 0;
}

PyObject *
Transport_get_closing(TransportObject *t, void *c)
{
    return PyBool_FromLong(t->closing);
}

PyObject *
Transport_get_conn_lost(TransportObject *t, void *c)
{
    return PyLong_FromSsize_t(t->conn_lost);
}

PyObject *
Transport_get_paused(TransportObject *t, void *c)
{
    return PyBool_FromLong(t->paused);
}

PyObject *
Transport_get_server(TransportObject *t, void *c)
{
    return or_none(t->server);
}

PyObject *
Transport_get_extra(TransportObject *t, void *c)
{
    return or_none(t->extra);
}

PyObject *
Transport_get_high_water(TransportObject *t, void *c)
{
    return limit_obj(t->high_obj, t->high_water);
}

PyObject *
Transport_get_low_water(TransportObject *t, void *c)
{
    return limit_obj(t->low_obj, t->low_water);
}

/* ------------------------------------------------------------------ */
/* Type plumbing                                                       */

PyObject *
cl_transport_repr(TransportObject *t)
{
    const char *name = Py_TYPE(t)->tp_name;
    const char *dot = strrchr(name, '.');
    if (dot != NULL) {
        name = dot + 1;
    }
    const char *state = t->sock == NULL ? " closed"
                        : t->closing    ? " closing"
                                        : "";
    if (t->loop == NULL || t->loop->closed) {
        return PyUnicode_FromFormat("<%s%s fd=%d>", name, state, t->fd);
    }
    return PyUnicode_FromFormat(
        "<%s%s fd=%d read=%s write=<%s, bufsize=%zd>>", name, state, t->fd,
        cl_transport_is_watching(t, CL_POLL_READ) ? "polling" : "idle",
        cl_transport_is_watching(t, CL_POLL_WRITE) ? "polling" : "idle",
        t->wq.size);
}

TransportObject *
cl_transport_alloc(PyTypeObject *tp)
{
    TransportObject *t = (TransportObject *)tp->tp_alloc(tp, 0);
    if (t != NULL) {
        CL_DEBUG_COUNT(transports, 1);
    }
    return t;
}

int
cl_transport_make_type(PyObject *module, PyType_Spec *spec,
                       const char *asyncio_base, PyTypeObject **out)
{
    PyObject *mod = PyImport_ImportModule("asyncio.transports");
    if (mod == NULL) {
        return -1;
    }
    PyObject *mixin = PyObject_GetAttrString(mod, "_FlowControlMixin");
    PyObject *base = PyObject_GetAttrString(mod, asyncio_base);
    Py_DECREF(mod);
    PyObject *bases = (mixin && base) ? PyTuple_Pack(2, mixin, base) : NULL;
    int rc = -1;
    if (bases == NULL) {
        goto done;
    }
    /* The C struct reserves room for the bases' __slots__ (transport.h). */
    Py_ssize_t expect = (Py_ssize_t)offsetof(TransportObject, state);
    if (((PyTypeObject *)mixin)->tp_basicsize != expect) {
        PyErr_Format(PyExc_ImportError,
                     "cloop: asyncio's _FlowControlMixin has an unexpected "
                     "layout (%zd bytes, expected %zd)",
                     ((PyTypeObject *)mixin)->tp_basicsize, expect);
        goto done;
    }
    *out = (PyTypeObject *)PyType_FromModuleAndSpec(module, spec, bases);
    if (*out == NULL) {
        goto done;
    }
    rc = PyModule_AddType(module, *out);
done:
    Py_XDECREF(bases);
    Py_XDECREF(mixin);
    Py_XDECREF(base);
    return rc;
}
