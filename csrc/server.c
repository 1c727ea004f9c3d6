/* server.c: accepting connections on a listening socket, in C.
 *
 * An Acceptor is the C watcher of a listening fd: on each readable event
 * it accepts up to `backlog` connections (asyncio's _accept_connection)
 * and, for each, makes the socket object, calls the protocol factory and
 * creates the stream transport, with no Task and no waiter. TLS servers
 * and unusual address families keep asyncio's Python path (cloop/_net.py),
 * which also handles running out of descriptors (EMFILE and co.: the
 * acceptor hands those to loop._accept_resource_error).
 *
 * Ownership: an Acceptor owns its loop, protocol factory, listening socket,
 * server and the server's context (its Server's from 3.15, else the one
 * captured when serving started); the loop's
 * watcher table owns the Acceptor while it listens.
 */
#include "common.h"
#include "errors.h" /* first: Python.h defines _GNU_SOURCE (accept4) */

#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <unistd.h>

#include "loop_io.h"
#include "net.h"
#include "server.h"
#include "sockaddr.h"
#include "stream.h"

typedef struct {
    PyObject_HEAD
    LoopObject *loop;           /* owned */
    PyObject *protocol_factory; /* owned */
    PyObject *sock;             /* owned: the listening socket */
    PyObject *server;           /* owned: asyncio Server or None */
    PyObject *context;          /* owned */
    Py_ssize_t backlog;
    int fd;
    int family;
    int type;
    int proto;
} AcceptorObject;

/* In debug mode, asyncio reports a connection it could not set up. 0, or
 * -1 for an exception that must stop the loop. */
static int
report_setup_error(AcceptorObject *a, PyObject *protocol, PyObject *exc)
{
    if (!a->loop->debug) {
        return 0;
    }
    PyObject *ctx = cl_err_context(
        PyUnicode_FromString(
            "Error on transport creation for incoming connection"),
        "exception", exc, "protocol", protocol, NULL);
    return cl_err_call_handler((PyObject *)a->loop, ctx, a->server);
}

static void
close_conn(PyObject *conn)
{
    PyObject *res = PyObject_CallMethod(conn, "close", NULL);
    if (res == NULL) {
        PyErr_WriteUnraisable(conn);
    }
    Py_XDECREF(res);
}

/* asyncio's base_events._set_nodelay for an accepted socket. */
static void
set_nodelay(AcceptorObject *a, int fd)
{
    if ((a->family == AF_INET || a->family == AF_INET6)
        && a->type == SOCK_STREAM && a->proto == IPPROTO_TCP) {
        int one = 1;
        (void)setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
    }
}

/* A connection was accepted: its socket object, protocol and transport,
 * made inside context, the connection's own (entered by the caller), in
 * which the transport will run the protocol. Steals conn_fd. 0, or -1 for
 * an exception that must stop the loop or an unexpected failure (reported
 * by the caller). */
static int
setup_connection(AcceptorObject *a, int conn_fd, struct sockaddr_storage *ss,
                 socklen_t len, PyObject *context)
{
    cl_state *st = a->loop->state;
    PyObject *addr = NULL, *conn = NULL, *protocol = NULL, *extra = NULL;
    PyObject *transport = NULL, *res;
    addr = cl_sockaddr_to_object((struct sockaddr *)ss, len);
    if (addr == NULL) {
        close(conn_fd);
        return -1;
    }
    conn = PyObject_CallFunction(st->socket_type, "iiii", a->family, a->type,
                                 a->proto, conn_fd);
    if (conn == NULL) {
        close(conn_fd);
        Py_DECREF(addr);
        return -1;
    }
    res = PyObject_CallMethodOneArg(conn, st->str_setblocking, Py_False);
    if (res == NULL) {
        goto failed;
    }
    Py_DECREF(res);
    if (a->loop->debug) {
        res = PyObject_CallMethod(st->logger, "debug", "sOOO",
                                  "%r got a new connection from %r: %r",
                                  a->server, addr, conn);
        if (res == NULL) {
            goto failed;
        }
        Py_DECREF(res);
    }
    set_nodelay(a, conn_fd);
    protocol = PyObject_CallNoArgs(a->protocol_factory);
    if (protocol == NULL) {
        goto failed;
    }
    extra = PyDict_New();
    if (extra == NULL || PyDict_SetItem(extra, st->str_peername, addr) < 0) {
        goto failed;
    }
    transport = cl_stream_create(a->loop, conn, protocol, Py_None, extra,
                                 a->server, context);
    if (transport == NULL) {
        goto failed;
    }
    Py_DECREF(transport);
    Py_DECREF(extra);
    Py_DECREF(protocol);
    Py_DECREF(conn);
    Py_DECREF(addr);
    return 0;

failed:
    /* asyncio's _accept_connection2: the connection is dropped, and the
     * error shown in debug mode only. */
    if (cl_err_is_fatal()) {
        PyObject *exc = PyErr_GetRaisedException();
        close_conn(conn);
        PyErr_SetRaisedException(exc);
        res = NULL;
    }
    else {
        PyObject *exc = PyErr_GetRaisedException();
        close_conn(conn);
        int rc = report_setup_error(a, protocol, exc);
        Py_DECREF(exc);
        res = rc < 0 ? NULL : Py_None;
    }
    Py_XDECREF(extra);
    Py_XDECREF(protocol);
    Py_DECREF(conn);
    Py_DECREF(addr);
    return res == NULL ? -1 : 0;
}

/* accept() failed with errno: 1 to stop accepting for now (quietly or
 * after handing an out-of-resources error to Python), -1 with an
 * exception. */
static int
accept_failed(AcceptorObject *a)
{
    int err = errno;
    if (err == EAGAIN || err == EWOULDBLOCK || err == EINTR
        || err == ECONNABORTED) {
        return 1;
    }
    PyErr_SetFromErrno(PyExc_OSError);
    if (err != EMFILE && err != ENFILE && err != ENOBUFS && err != ENOMEM) {
        return -1; /* the loop reports it, as asyncio's handle would */
    }
    PyObject *exc = PyErr_GetRaisedException();
    PyObject *backlog = PyLong_FromSsize_t(a->backlog);
    PyObject *res =
        backlog == NULL
            ? NULL
            : PyObject_CallMethod(
                (PyObject *)a->loop, "_accept_resource_error", "OOOOO", exc,
                a->protocol_factory, a->sock, a->server, backlog);
    Py_XDECREF(backlog);
    Py_DECREF(exc);
    if (res == NULL) {
        return -1;
    }
    Py_DECREF(res);
    return 1;
}

/* Each connection gets a copy of the server's context, entered while its
 * protocol factory runs and kept by its transport, as asyncio's
 * _accept_connection does (3.15; before, the copy comes from the Task and
 * the Handles asyncio makes per connection): what one connection's
 * callbacks set is not seen by the others, nor by the server. */
static int
accept_in_own_context(AcceptorObject *a, int fd, struct sockaddr_storage *ss,
                      socklen_t len)
{
    PyObject *context = PyContext_Copy(a->context);
    if (context == NULL) {
        close(fd);
        return -1;
    }
    if (PyContext_Enter(context) < 0) {
        close(fd);
        Py_DECREF(context);
        return -1;
    }
    int rc = setup_connection(a, fd, ss, len, context);
    if (PyContext_Exit(context) < 0) {
        rc = -1;
    }
    Py_DECREF(context);
    return rc;
}

static int
accept_some(AcceptorObject *a)
{
    for (Py_ssize_t i = 0; i < a->backlog; i++) {
        struct sockaddr_storage ss;
        socklen_t len = sizeof(ss);
        memset(&ss, 0, sizeof(ss));
        int fd = accept4(a->fd, (struct sockaddr *)&ss, &len,
                         SOCK_NONBLOCK | SOCK_CLOEXEC);
        if (fd < 0) {
            int rc = accept_failed(a);
            return rc < 0 ? -1 : 0;
        }
        if (accept_in_own_context(a, fd, &ss, len) < 0) {
            return -1;
        }
        if (!cl_loop_io_is_watching(a->loop, a->fd, CL_POLL_READ,
                                    (PyObject *)a)) {
            return 0; /* the server was closed by a protocol factory */
        }
    }
    return 0;
}

static int
Acceptor_ready(LoopObject *loop, PyObject *obj, PyObject *unused)
{
    AcceptorObject *a = (AcceptorObject *)obj;
    if (!cl_loop_io_is_watching(loop, a->fd, CL_POLL_READ, obj)) {
        return 0;
    }
    if (PyContext_Enter(a->context) < 0) {
        return cl_err_report((PyObject *)loop, "_accept_connection()", NULL,
                             NULL);
    }
    Py_INCREF(a);
    int rc = accept_some(a);
    if (PyContext_Exit(a->context) < 0) {
        rc = -1;
    }
    if (rc < 0) {
        rc = cl_err_report((PyObject *)loop, "_accept_connection()", NULL,
                           NULL);
    }
    Py_DECREF(a);
    return rc;
}

static int
Acceptor_traverse(AcceptorObject *a, visitproc visit, void *arg)
{
    Py_VISIT(Py_TYPE(a));
    Py_VISIT(a->loop);
    Py_VISIT(a->protocol_factory);
    Py_VISIT(a->sock);
    Py_VISIT(a->server);
    Py_VISIT(a->context);
    return 0;
}

static int
Acceptor_clear(AcceptorObject *a)
{
    Py_CLEAR(a->loop);
    Py_CLEAR(a->protocol_factory);
    Py_CLEAR(a->sock);
    Py_CLEAR(a->server);
    Py_CLEAR(a->context);
    return 0;
}

static void
Acceptor_dealloc(AcceptorObject *a)
{
    PyTypeObject *tp = Py_TYPE(a);
    PyObject_GC_UnTrack(a);
    (void)Acceptor_clear(a);
    tp->tp_free(a);
    Py_DECREF(tp);
}

static PyObject *
Acceptor_repr(AcceptorObject *a)
{
    return PyUnicode_FromFormat("<Acceptor fd=%d server=%R>", a->fd,
                                a->server ? a->server : Py_None);
}

static PyType_Slot Acceptor_slots[] = {{Py_tp_dealloc, Acceptor_dealloc},
                                       {Py_tp_traverse, Acceptor_traverse},
                                       {Py_tp_clear, Acceptor_clear},
                                       {Py_tp_repr, Acceptor_repr},
                                       {0, NULL}};

static PyType_Spec Acceptor_spec = {
    .name = "cloop._cloop.Acceptor",
    .basicsize = sizeof(AcceptorObject),
    .flags = Py_TPFLAGS_DEFAULT | Py_TPFLAGS_HAVE_GC | Py_TPFLAGS_IMMUTABLETYPE
             | Py_TPFLAGS_DISALLOW_INSTANTIATION,
    .slots = Acceptor_slots,
};

static int
int_arg(PyObject *obj, int *out)
{
    long v = PyLong_AsLong(obj);
    if (v == -1 && PyErr_Occurred()) {
        return -1;
    }
    *out = (int)v;
    return 0;
}

PyObject *
Loop__start_serving_c(LoopObject *self, PyObject *const *args,
                      Py_ssize_t nargs)
{
    if (nargs != 8) {
        PyErr_SetString(PyExc_TypeError,
                        "_start_serving_c() takes 8 arguments");
        return NULL;
    }
    cl_state *st = self->state;
    AcceptorObject *a = NULL;
    int fd = PyObject_AsFileDescriptor(args[1]);
    if (fd < 0 || cl_loop_check_closed(self) < 0) {
        return NULL;
    }
    a = PyObject_GC_New(AcceptorObject, st->AcceptorType);
    if (a == NULL) {
        return NULL;
    }
    a->loop = (LoopObject *)Py_NewRef(self);
    a->protocol_factory = Py_NewRef(args[0]);
    a->sock = Py_NewRef(args[1]);
    a->server = Py_NewRef(args[2]);
    a->context =
        args[7] == Py_None ? PyContext_CopyCurrent() : Py_NewRef(args[7]);
    a->fd = fd;
    PyObject_GC_Track(a);
    a->backlog = PyNumber_AsSsize_t(args[3], PyExc_OverflowError);
    if (a->context == NULL || (a->backlog == -1 && PyErr_Occurred())
        || int_arg(args[4], &a->family) < 0 || int_arg(args[5], &a->type) < 0
        || int_arg(args[6], &a->proto) < 0
        || cl_loop_io_watch(self, fd, CL_POLL_READ, Acceptor_ready,
                            (PyObject *)a)
               < 0) {
        Py_DECREF(a);
        return NULL;
    }
    Py_DECREF(a);
    Py_RETURN_NONE;
}

int
cl_server_init_state(PyObject *module, cl_state *st)
{
    st->AcceptorType =
        (PyTypeObject *)PyType_FromModuleAndSpec(module, &Acceptor_spec, NULL);
    return st->AcceptorType ? 0 : -1;
}
