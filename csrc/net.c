/* net.c: the networking module state (net.h) and small shared helpers.
 *
 * Owns the cl_net_state struct that cl_state.net points to: the networking
 * types (sock.c, stream.c, datagram.c create them from here) and the
 * socket/asyncio objects they use. Freed with the module state.
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
import_ssl_socket(cl_net_state *ns)
{
    PyObject *mod = PyImport_ImportModule("ssl");
    if (mod == NULL) {
        if (!PyErr_ExceptionMatches(PyExc_ImportError)) {
            return -1;
        }
        PyErr_Clear();
        ns->ssl_socket_type = Py_NewRef(Py_None);
        return 0;
    }
    ns->ssl_socket_type = PyObject_GetAttrString(mod, "SSLSocket");
    Py_DECREF(mod);
    return ns->ssl_socket_type ? 0 : -1;
}

int
cl_net_init_state(PyObject *module, cl_state *st)
{
    cl_net_state *ns = PyMem_Calloc(1, sizeof(cl_net_state));
    if (ns == NULL) {
        PyErr_NoMemory();
        return -1;
    }
    st->net = ns;
#define INTERN(name)                                                          \
    if ((ns->str_##name = PyUnicode_InternFromString(#name)) == NULL) {       \
        return -1;                                                            \
    }
    CL_NET_STRINGS(INTERN)
#undef INTERN
    if (import_attr(&ns->socket_type, "socket", "socket") < 0
        || import_ssl_socket(ns) < 0
        || import_attr(&ns->TransportSocket, "asyncio.trsock",
                       "TransportSocket")
               < 0
        || import_attr(&ns->BufferedProtocol, "asyncio.protocols",
                       "BufferedProtocol")
               < 0
        || import_attr(&ns->logger, "asyncio.log", "logger") < 0
        || cl_sock_init_state(module, st) < 0
        || cl_stream_init_state(module, st) < 0
        || cl_datagram_init_state(module, st) < 0
        || cl_server_init_state(module, st) < 0) {
        return -1;
    }
    return 0;
}

/* An X-macro list, laid out by hand. */
/* clang-format off */
#define CL_NET_OBJECTS(X)                                                   \
    X(SockOpType) X(SocketTransportType) X(DatagramTransportType)           \
    X(AcceptorType)                                                         \
    X(socket_type) X(ssl_socket_type) X(TransportSocket)                    \
    X(BufferedProtocol) X(logger)
/* clang-format on */

int
cl_net_traverse_state(cl_state *st, visitproc visit, void *arg)
{
    cl_net_state *ns = st->net;
    if (ns == NULL) {
        return 0;
    }
#define VISIT(f) Py_VISIT(ns->f);
    CL_NET_OBJECTS(VISIT)
#undef VISIT
    return 0;
}

void
cl_net_clear_state(cl_state *st)
{
    cl_net_state *ns = st->net;
    if (ns == NULL) {
        return;
    }
#define CLEAR(f) Py_CLEAR(ns->f);
    CL_NET_OBJECTS(CLEAR)
#undef CLEAR
#define CLEAR_STR(name) Py_CLEAR(ns->str_##name);
    CL_NET_STRINGS(CLEAR_STR)
#undef CLEAR_STR
    st->net = NULL;
    PyMem_Free(ns);
}

/* ------------------------------------------------------------------ */
/* Helpers                                                             */

void
cl_net_log(LoopObject *loop, PyObject *level, const char *fmt, PyObject *arg)
{
    cl_net_state *ns = cl_net(loop);
    PyObject *meth = PyObject_GetAttr(ns->logger, level);
    PyObject *res = meth ? PyObject_CallFunction(meth, "sO", fmt, arg) : NULL;
    Py_XDECREF(meth);
    if (res == NULL) {
        PyErr_WriteUnraisable(arg);
        return;
    }
    Py_DECREF(res);
}

int
cl_net_future_set(cl_net_state *ns, PyObject *fut, PyObject *value,
                  int is_exception)
{
    PyObject *res = PyObject_CallMethodOneArg(
        fut, is_exception ? ns->str_set_exception : ns->str_set_result, value);
    if (res == NULL) {
        return -1;
    }
    Py_DECREF(res);
    return 0;
}

int
cl_net_future_done(cl_net_state *ns, PyObject *fut)
{
    PyObject *res = PyObject_CallMethodNoArgs(fut, ns->str_done);
    if (res == NULL) {
        return -1;
    }
    int b = PyObject_IsTrue(res);
    Py_DECREF(res);
    return b;
}
