/* net.c: the networking fields of the module state (state.h) and small
 * shared helpers.
 *
 * Fills in the socket/asyncio objects the networking files use and has
 * sock.c, stream.c, datagram.c and server.c create their types; module.c
 * owns and clears them with the rest of the state.
 */
#include "common.h"
#include "datagram.h"
#include "net.h"
#include "server.h"
#include "sock.h"
#include "stream.h"

static int
import_attr(PyObject **dst, const char *module, const char *name)
{
    PyObject *mod = PyImport_ImportModule(module);
    if (mod == NULL) {
        return -1;
    }
    *dst = PyObject_GetAttrString(mod, name);
    Py_DECREF(mod);
    return *dst ? 0 : -1;
}

static int
import_ssl_socket(cl_state *st)
{
    PyObject *mod = PyImport_ImportModule("ssl");
    if (mod == NULL) {
        if (!PyErr_ExceptionMatches(PyExc_ImportError)) {
            return -1;
        }
        PyErr_Clear();
        st->ssl_socket_type = Py_NewRef(Py_None);
        return 0;
    }
    st->ssl_socket_type = PyObject_GetAttrString(mod, "SSLSocket");
    Py_DECREF(mod);
    return st->ssl_socket_type ? 0 : -1;
}

int
cl_net_init_state(PyObject *module, cl_state *st)
{
    if (import_attr(&st->socket_type, "socket", "socket") < 0
        || import_ssl_socket(st) < 0
        || import_attr(&st->TransportSocket, "asyncio.trsock",
                       "TransportSocket")
               < 0
        || import_attr(&st->BufferedProtocol, "asyncio.protocols",
                       "BufferedProtocol")
               < 0
        || import_attr(&st->logger, "asyncio.log", "logger") < 0
        || cl_sock_init_state(module, st) < 0
        || cl_stream_init_state(module, st) < 0
        || cl_datagram_init_state(module, st) < 0
        || cl_server_init_state(module, st) < 0) {
        return -1;
    }
    return 0;
}

/* ------------------------------------------------------------------ */
/* Helpers                                                             */

int
cl_net_clear_would_block(void)
{
    if (PyErr_ExceptionMatches(PyExc_BlockingIOError)
        || PyErr_ExceptionMatches(PyExc_InterruptedError)) {
        PyErr_Clear();
        return 1;
    }
    return 0;
}

void
cl_net_log(LoopObject *loop, PyObject *level, const char *fmt, PyObject *arg)
{
    cl_state *st = loop->state;
    PyObject *meth = PyObject_GetAttr(st->logger, level);
    PyObject *res = meth ? PyObject_CallFunction(meth, "sO", fmt, arg) : NULL;
    Py_XDECREF(meth);
    if (res == NULL) {
        PyErr_WriteUnraisable(arg);
        return;
    }
    Py_DECREF(res);
}

int
cl_net_future_set(cl_state *st, PyObject *fut, PyObject *value,
                  int is_exception)
{
    PyObject *res = PyObject_CallMethodOneArg(
        fut, is_exception ? st->str_set_exception : st->str_set_result, value);
    if (res == NULL) {
        return -1;
    }
    Py_DECREF(res);
    return 0;
}

int
cl_net_future_done(cl_state *st, PyObject *fut)
{
    PyObject *res = PyObject_CallMethodNoArgs(fut, st->str_done);
    if (res == NULL) {
        return -1;
    }
    int b = PyObject_IsTrue(res);
    Py_DECREF(res);
    return b;
}
