/* sock.c: the loop's sock_* methods.
 *
 * Each method first tries the operation at once. Only when it would block
 * does it create a Future and a SockOp, a C watcher that the loop's
 * watcher table holds (loop_io.c) and runs when the fd is ready: it retries
 * the operation and completes the Future. The SockOp is also the Future's
 * done callback, so a cancelled Future leaves no watcher behind, as
 * asyncio's _sock_read_done/_sock_write_done do. The watch is one-shot
 * (CL_POLL_ONCE): a socket read or written in a loop costs one epoll_ctl
 * per wait, not two.
 *
 * An exact socket.socket is driven with system calls (recv into the loop's
 * read buffer, send from a held buffer view); any other socket-like object
 * (a subclass, a duck type) through its own methods, which is what asyncio
 * calls. Ownership: a SockOp owns its loop, Future, socket and arguments
 * and, for sock_sendall, the buffer view of the data until it is done.
 */
#include <errno.h>
#include <sys/socket.h>

#include "common.h"
#include "errors.h"
#include "loop_io.h"
#include "net.h"
#include "sock.h"

enum {
    OP_RECV,
    OP_RECV_INTO,
    OP_RECVFROM,
    OP_RECVFROM_INTO,
    OP_SENDALL,
    OP_SENDTO,
    OP_CONNECT,
    OP_ACCEPT,
};

static const char *const op_names[] = {
    "sock_recv",    "sock_recv_into", "sock_recvfrom", "sock_recvfrom_into",
    "sock_sendall", "sock_sendto",    "sock_connect",  "sock_accept",
};

/* One operation's arguments. On the stack (first try) the objects are
 * borrowed; inside a SockOp they are owned. */
typedef struct {
    int op;
    int fd;        /* -1 until known */
    char raw;      /* use system calls (exact socket.socket) */
    char has_view; /* view holds a buffer (sendall, raw) */
    PyObject *sock;
    PyObject *arg;  /* buffer (recv_into), data (sendto), memoryview
                       (sendall, not raw), address (connect) */
    PyObject *arg2; /* address (sendto) */
    Py_ssize_t n;   /* recv size, recvfrom_into nbytes */
    Py_ssize_t pos; /* sendall: bytes sent so far */
    Py_buffer view; /* sendall: the data (raw) */
} sock_call;

typedef struct {
    PyObject_HEAD
    LoopObject *loop; /* owned */
    PyObject *fut;    /* owned */
    sock_call c;      /* owns sock, arg, arg2 and the view */
} SockOpObject;

static int
op_writes(int op)
{
    return op == OP_SENDALL || op == OP_SENDTO || op == OP_CONNECT;
}

/* ------------------------------------------------------------------ */
/* Trying an operation                                                 */

/* A system call's failure: 0 when it would block, -1 with OSError. EINTR
 * was retried by the caller. */
static int
errno_result(void)
{
    if (errno == EAGAIN || errno == EWOULDBLOCK) {
        return 0;
    }
    PyErr_SetFromErrno(PyExc_OSError);
    return -1;
}

/* A method call's result: BlockingIOError and InterruptedError mean "try
 * again when ready", as asyncio treats them. */
static int
method_result(PyObject *r, PyObject **res)
{
    if (r != NULL) {
        *res = r;
        return 1;
    }
    return cl_net_clear_would_block() ? 0 : -1;
}

static int
recv_raw(LoopObject *loop, sock_call *c, PyObject **res)
{
    if (c->n < 0) {
        PyErr_SetString(PyExc_ValueError, "negative buffersize in recv");
        return -1;
    }
    PyObject *bytes = NULL;
    char *buf;
    int direct = c->n > CL_READ_BUFSIZE
                 || (c->n >= CL_DIRECT_READ_MIN && c->n <= CL_DIRECT_RECV_MAX);
    if (!direct) {
        buf = cl_loop_io_readbuf(loop);
        if (buf == NULL) {
            return -1;
        }
    }
    else {
        bytes = PyBytes_FromStringAndSize(NULL, c->n);
        if (bytes == NULL) {
            return -1;
        }
        buf = PyBytes_AS_STRING(bytes);
    }
    ssize_t n;
    while ((n = recv(c->fd, buf, (size_t)c->n, 0)) < 0 && errno == EINTR) {
        if (PyErr_CheckSignals() < 0) {
            Py_XDECREF(bytes);
            return -1;
        }
    }
    if (n < 0) {
        Py_XDECREF(bytes);
        return errno_result();
    }
    if (bytes == NULL) {
        *res = PyBytes_FromStringAndSize(buf, n);
    }
    else {
        *res = (_PyBytes_Resize(&bytes, n) < 0) ? NULL : bytes;
    }
    return *res ? 1 : -1;
}

static int
recv_into_raw(sock_call *c, PyObject **res)
{
    Py_buffer view;
    if (PyObject_GetBuffer(c->arg, &view, PyBUF_WRITABLE) < 0) {
        return -1;
    }
    ssize_t n;
    while ((n = recv(c->fd, view.buf, (size_t)view.len, 0)) < 0
           && errno == EINTR) {
        if (PyErr_CheckSignals() < 0) {
            PyBuffer_Release(&view);
            return -1;
        }
    }
    PyBuffer_Release(&view);
    if (n < 0) {
        return errno_result();
    }
    *res = PyLong_FromSsize_t(n);
    return *res ? 1 : -1;
}

static int
sendall_raw(sock_call *c, PyObject **res)
{
    while (c->pos < c->view.len) {
        ssize_t n = send(c->fd, (char *)c->view.buf + c->pos,
                         (size_t)(c->view.len - c->pos), MSG_NOSIGNAL);
        if (n < 0) {
            if (errno == EINTR) {
                if (PyErr_CheckSignals() < 0) {
                    return -1;
                }
                continue;
            }
            return errno_result();
        }
        c->pos += n;
    }
    *res = Py_NewRef(Py_None);
    return 1;
}

static int
sendall_method(cl_state *st, sock_call *c, PyObject **res)
{
    Py_ssize_t len = PyObject_Length(c->arg);
    if (len < 0) {
        return -1;
    }
    while (c->pos < len) {
        PyObject *rest = PySequence_GetSlice(c->arg, c->pos, len);
        if (rest == NULL) {
            return -1;
        }
        PyObject *r = PyObject_CallMethodOneArg(c->sock, st->str_send, rest);
        Py_DECREF(rest);
        PyObject *nobj;
        int rc = method_result(r, &nobj);
        if (rc <= 0) {
            return rc;
        }
        Py_ssize_t n = PyLong_AsSsize_t(nobj);
        Py_DECREF(nobj);
        if (n < 0) {
            return PyErr_Occurred() ? -1 : 0;
        }
        c->pos += n;
        if (n == 0) {
            return 0;
        }
    }
    *res = Py_NewRef(Py_None);
    return 1;
}

/* The outcome of a non-blocking connect, once the socket is writable. */
static int
connect_check(sock_call *c, PyObject **res)
{
    int err = 0;
    socklen_t len = sizeof(err);
    if (getsockopt(c->fd, SOL_SOCKET, SO_ERROR, &err, &len) < 0) {
        return errno_result();
    }
    if (err == 0) {
        *res = Py_NewRef(Py_None);
        return 1;
    }
    PyObject *msg = PyUnicode_FromFormat("Connect call failed %S", c->arg);
    if (msg == NULL) {
        return -1;
    }
    PyObject *exc = PyObject_CallFunction(PyExc_OSError, "iO", err, msg);
    Py_DECREF(msg);
    if (exc == NULL) {
        return -1;
    }
    if (PyErr_GivenExceptionMatches(exc, PyExc_BlockingIOError)
        || PyErr_GivenExceptionMatches(exc, PyExc_InterruptedError)) {
        Py_DECREF(exc);
        return 0;
    }
    PyErr_SetObject((PyObject *)Py_TYPE(exc), exc);
    Py_DECREF(exc);
    return -1;
}

static int
accept_method(cl_state *st, sock_call *c, PyObject **res)
{
    PyObject *r = PyObject_CallMethodNoArgs(c->sock, st->str_accept);
    int rc = method_result(r, res);
    if (rc <= 0) {
        return rc;
    }
    if (!PyTuple_Check(*res) || PyTuple_GET_SIZE(*res) < 1) {
        return 1;
    }
    PyObject *ok = PyObject_CallMethodOneArg(PyTuple_GET_ITEM(*res, 0),
                                             st->str_setblocking, Py_False);
    if (ok == NULL) {
        Py_CLEAR(*res);
        return -1;
    }
    Py_DECREF(ok);
    return 1;
}

/* Tries the operation once: 1 done (*res is a new reference), 0 it would
 * block, -1 failed (exception set). `retry` is 0 for the first try. */
static int
attempt(LoopObject *loop, sock_call *c, int retry, PyObject **res)
{
    cl_state *st = loop->state;
    PyObject *r;
    switch (c->op) {
        case OP_RECV:
            if (c->raw) {
                return recv_raw(loop, c, res);
            }
            r = PyObject_CallMethod(c->sock, "recv", "n", c->n);
            return method_result(r, res);
        case OP_RECV_INTO:
            if (c->raw) {
                return recv_into_raw(c, res);
            }
            r = PyObject_CallMethodOneArg(c->sock, st->str_recv_into, c->arg);
            return method_result(r, res);
        case OP_RECVFROM:
            r = PyObject_CallMethod(c->sock, "recvfrom", "n", c->n);
            return method_result(r, res);
        case OP_RECVFROM_INTO:
            r = PyObject_CallMethod(c->sock, "recvfrom_into", "On", c->arg,
                                    c->n);
            return method_result(r, res);
        case OP_SENDALL:
            return c->raw ? sendall_raw(c, res) : sendall_method(st, c, res);
        case OP_SENDTO:
            r = PyObject_CallMethodObjArgs(c->sock, st->str_sendto, c->arg,
                                           c->arg2, NULL);
            return method_result(r, res);
        case OP_CONNECT:
            if (retry) {
                return connect_check(c, res);
            }
            r = PyObject_CallMethodOneArg(c->sock, st->str_connect, c->arg);
            return method_result(r, res);
        case OP_ACCEPT:
            return accept_method(st, c, res);
    }
    PyErr_SetString(PyExc_SystemError, "unknown socket operation");
    return -1;
}

/* ------------------------------------------------------------------ */
/* SockOp: a pending operation                                         */

/* Releases the held buffer; keeps a pending exception pending (releasing
 * may run the exporter's code). */
static void
release_view(sock_call *c)
{
    if (c->has_view) {
        c->has_view = 0;
        PyObject *exc = PyErr_GetRaisedException();
        PyBuffer_Release(&c->view);
        PyErr_SetRaisedException(exc);
    }
}

static unsigned
op_event(int op)
{
    return op_writes(op) ? CL_POLL_WRITE : CL_POLL_READ;
}

/* The ready-ring function: the fd is ready, try again. */
static int
SockOp_ready(LoopObject *loop, PyObject *obj, PyObject *unused)
{
    SockOpObject *self = (SockOpObject *)obj;
    cl_state *st = loop->state;
    const char *what = op_names[self->c.op];
    unsigned ev = op_event(self->c.op);
    if (!cl_loop_io_is_watching(loop, self->c.fd, ev, obj)) {
        return 0; /* removed after the event was queued */
    }
    int done = cl_net_future_done(st, self->fut);
    if (done != 0) {
        (void)cl_loop_io_unwatch(loop, self->c.fd, ev, obj);
        return done < 0 ? cl_err_report((PyObject *)loop, what, NULL, NULL)
                        : 0;
    }
    PyObject *res = NULL;
    int rc = attempt(loop, &self->c, 1, &res);
    if (rc == 0) {
        return 0;
    }
    if (rc < 0 && cl_err_is_fatal()) {
        return -1;
    }
    (void)cl_loop_io_unwatch(loop, self->c.fd, ev, obj);
    release_view(&self->c);
    PyObject *fut = Py_NewRef(self->fut);
    int is_exc = rc < 0;
    if (is_exc) {
        res = PyErr_GetRaisedException();
    }
    rc = cl_net_future_set(st, fut, res, is_exc);
    Py_DECREF(res);
    Py_DECREF(fut);
    return rc < 0 ? cl_err_report((PyObject *)loop, what, NULL, NULL) : 0;
}

/* The Future's done callback: a cancelled (or otherwise finished)
 * operation stops watching its fd. */
static PyObject *
SockOp_call(SockOpObject *self, PyObject *args, PyObject *kwds)
{
    (void)cl_loop_io_unwatch(self->loop, self->c.fd, op_event(self->c.op),
                             (PyObject *)self);
    release_view(&self->c);
    Py_RETURN_NONE;
}

static int
SockOp_traverse(SockOpObject *self, visitproc visit, void *arg)
{
    Py_VISIT(Py_TYPE(self));
    Py_VISIT(self->loop);
    Py_VISIT(self->fut);
    Py_VISIT(self->c.sock);
    Py_VISIT(self->c.arg);
    Py_VISIT(self->c.arg2);
    return 0;
}

static int
SockOp_clear(SockOpObject *self)
{
    release_view(&self->c);
    Py_CLEAR(self->loop);
    Py_CLEAR(self->fut);
    Py_CLEAR(self->c.sock);
    Py_CLEAR(self->c.arg);
    Py_CLEAR(self->c.arg2);
    return 0;
}

static void
SockOp_dealloc(SockOpObject *self)
{
    PyTypeObject *tp = Py_TYPE(self);
    PyObject_GC_UnTrack(self);
    (void)SockOp_clear(self);
    tp->tp_free(self);
    Py_DECREF(tp);
}

static PyObject *
SockOp_repr(SockOpObject *self)
{
    return PyUnicode_FromFormat("<%s fd=%d>", op_names[self->c.op],
                                self->c.fd);
}

static PyType_Slot SockOp_slots[] = {
    {Py_tp_dealloc, SockOp_dealloc}, {Py_tp_traverse, SockOp_traverse},
    {Py_tp_clear, SockOp_clear},     {Py_tp_call, SockOp_call},
    {Py_tp_repr, SockOp_repr},       {0, NULL}};

static PyType_Spec SockOp_spec = {
    .name = "cloop._cloop.SockOp",
    .basicsize = sizeof(SockOpObject),
    .flags = Py_TPFLAGS_DEFAULT | Py_TPFLAGS_HAVE_GC | Py_TPFLAGS_IMMUTABLETYPE
             | Py_TPFLAGS_DISALLOW_INSTANTIATION,
    .slots = SockOp_slots,
};

/* The operation would block: returns a Future that a new SockOp completes
 * when the fd is ready. Takes over c's buffer view. */
static PyObject *
wait_op(LoopObject *loop, sock_call *c)
{
    cl_state *st = loop->state;
    PyObject *fut = NULL, *fdobj = NULL, *res;
    SockOpObject *op = NULL;
    if (c->fd < 0 && (c->fd = PyObject_AsFileDescriptor(c->sock)) < 0) {
        goto error;
    }
    fut = PyObject_CallMethodNoArgs((PyObject *)loop, st->str_create_future);
    if (fut == NULL || (fdobj = PyLong_FromLong(c->fd)) == NULL
        || cl_loop_io_ensure_no_transport(loop, fdobj) < 0) {
        goto error;
    }
    op = PyObject_GC_New(SockOpObject, st->SockOpType);
    if (op == NULL) {
        goto error;
    }
    op->loop = (LoopObject *)Py_NewRef(loop);
    op->fut = Py_NewRef(fut);
    op->c = *c;
    c->has_view = 0; /* the SockOp releases it now */
    Py_XINCREF(op->c.sock);
    Py_XINCREF(op->c.arg);
    Py_XINCREF(op->c.arg2);
    PyObject_GC_Track(op);
    /* One-shot: the operation usually completes at its first event. */
    if (cl_loop_io_watch(loop, c->fd, op_event(c->op) | CL_POLL_ONCE,
                         SockOp_ready, (PyObject *)op)
        < 0) {
        goto error;
    }
    res = PyObject_CallMethodOneArg(fut, st->str_add_done_callback,
                                    (PyObject *)op);
    if (res == NULL) {
        (void)cl_loop_io_unwatch(loop, c->fd, op_event(c->op), (PyObject *)op);
        goto error;
    }
    Py_DECREF(res);
    Py_DECREF(op);
    Py_DECREF(fdobj);
    return fut;

error:
    release_view(c);
    Py_XDECREF(op);
    Py_XDECREF(fdobj);
    Py_XDECREF(fut);
    return NULL;
}

/* Tries c, and waits for its fd when it would block. */
static PyObject *
run_op(LoopObject *loop, sock_call *c)
{
    PyObject *res = NULL;
    int rc = attempt(loop, c, 0, &res);
    if (rc != 0) {
        release_view(c);
        return rc > 0 ? res : NULL;
    }
    return wait_op(loop, c);
}

/* ------------------------------------------------------------------ */
/* Loop methods                                                        */

/* asyncio's checks: no SSLSocket (base_events._check_ssl_socket), and in
 * debug mode no blocking socket. */
static int
check_sock(LoopObject *loop, PyObject *sock)
{
    cl_state *st = loop->state;
    if (Py_TYPE(sock) != (PyTypeObject *)st->socket_type
        && st->ssl_socket_type != Py_None) {
        int r = PyObject_IsInstance(sock, st->ssl_socket_type);
        if (r < 0) {
            return -1;
        }
        if (r) {
            PyErr_SetString(PyExc_TypeError,
                            "Socket cannot be of type SSLSocket");
            return -1;
        }
    }
    if (loop->debug) {
        PyObject *t = PyObject_CallMethodNoArgs(sock, st->str_gettimeout);
        if (t == NULL) {
            return -1;
        }
        PyObject *zero = PyLong_FromLong(0);
        int ne = zero ? PyObject_RichCompareBool(t, zero, Py_NE) : -1;
        Py_XDECREF(zero);
        Py_DECREF(t);
        if (ne < 0) {
            return -1;
        }
        if (ne) {
            PyErr_SetString(PyExc_ValueError,
                            "the socket must be non-blocking");
            return -1;
        }
    }
    return 0;
}

/* Prepares c for sock: checks it and decides raw or method calls. */
static int
init_call(LoopObject *loop, sock_call *c, int op, PyObject *sock)
{
    memset(c, 0, sizeof(*c));
    c->op = op;
    c->fd = -1;
    c->sock = sock;
    if (check_sock(loop, sock) < 0) {
        return -1;
    }
    if (Py_TYPE(sock) == (PyTypeObject *)loop->state->socket_type) {
        c->raw = 1;
        c->fd = PyObject_AsFileDescriptor(sock);
        if (c->fd < 0) {
            /* A closed socket: let the system call fail as Python's would. */
            if (!PyErr_ExceptionMatches(PyExc_ValueError)) {
                return -1;
            }
            PyErr_Clear();
            c->fd = -1;
        }
    }
    return 0;
}

static int
nargs_check(const char *name, Py_ssize_t nargs, Py_ssize_t min, Py_ssize_t max)
{
    if (nargs < min || nargs > max) {
        PyErr_Format(PyExc_TypeError,
                     "%s() takes from %zd to %zd arguments "
                     "(%zd given)",
                     name, min, max, nargs);
        return -1;
    }
    return 0;
}

static int
size_arg(PyObject *obj, Py_ssize_t *n)
{
    *n = PyNumber_AsSsize_t(obj, PyExc_OverflowError);
    return (*n == -1 && PyErr_Occurred()) ? -1 : 0;
}

PyObject *
Loop__sock_check(LoopObject *self, PyObject *sock)
{
    if (check_sock(self, sock) < 0) {
        return NULL;
    }
    Py_RETURN_NONE;
}

PyObject *
Loop__sock_recv(LoopObject *self, PyObject *const *args, Py_ssize_t nargs)
{
    sock_call c;
    if (nargs_check("_sock_recv", nargs, 2, 2) < 0
        || init_call(self, &c, OP_RECV, args[0]) < 0
        || size_arg(args[1], &c.n) < 0) {
        return NULL;
    }
    return run_op(self, &c);
}

PyObject *
Loop__sock_recv_into(LoopObject *self, PyObject *const *args, Py_ssize_t nargs)
{
    sock_call c;
    if (nargs_check("_sock_recv_into", nargs, 2, 2) < 0
        || init_call(self, &c, OP_RECV_INTO, args[0]) < 0) {
        return NULL;
    }
    c.arg = args[1];
    return run_op(self, &c);
}

PyObject *
Loop__sock_recvfrom(LoopObject *self, PyObject *const *args, Py_ssize_t nargs)
{
    sock_call c;
    if (nargs_check("_sock_recvfrom", nargs, 2, 2) < 0
        || init_call(self, &c, OP_RECVFROM, args[0]) < 0
        || size_arg(args[1], &c.n) < 0) {
        return NULL;
    }
    return run_op(self, &c);
}

PyObject *
Loop__sock_recvfrom_into(LoopObject *self, PyObject *const *args,
                         Py_ssize_t nargs)
{
    sock_call c;
    if (nargs_check("_sock_recvfrom_into", nargs, 3, 3) < 0
        || init_call(self, &c, OP_RECVFROM_INTO, args[0]) < 0
        || size_arg(args[2], &c.n) < 0) {
        return NULL;
    }
    c.arg = args[1];
    if (c.n == 0) {
        /* asyncio: nbytes=0 means the whole buffer. */
        c.n = PyObject_Length(c.arg);
        if (c.n < 0) {
            return NULL;
        }
    }
    return run_op(self, &c);
}

PyObject *
Loop__sock_sendall(LoopObject *self, PyObject *const *args, Py_ssize_t nargs)
{
    sock_call c;
    if (nargs_check("_sock_sendall", nargs, 2, 2) < 0
        || init_call(self, &c, OP_SENDALL, args[0]) < 0) {
        return NULL;
    }
    if (c.raw) {
        if (PyObject_GetBuffer(args[1], &c.view, PyBUF_SIMPLE) < 0) {
            return NULL;
        }
        c.has_view = 1;
        c.arg = args[1];
        return run_op(self, &c);
    }
    c.arg = PyMemoryView_FromObject(args[1]);
    if (c.arg == NULL) {
        return NULL;
    }
    PyObject *res = run_op(self, &c);
    Py_DECREF(c.arg);
    return res;
}

PyObject *
Loop__sock_sendto(LoopObject *self, PyObject *const *args, Py_ssize_t nargs)
{
    sock_call c;
    if (nargs_check("_sock_sendto", nargs, 3, 3) < 0
        || init_call(self, &c, OP_SENDTO, args[0]) < 0) {
        return NULL;
    }
    c.arg = args[1];
    c.arg2 = args[2];
    return run_op(self, &c);
}

/* The address is already resolved (cloop/_net.py) and the socket checked. */
PyObject *
Loop__sock_connect(LoopObject *self, PyObject *const *args, Py_ssize_t nargs)
{
    sock_call c;
    if (nargs_check("_sock_connect", nargs, 2, 2) < 0) {
        return NULL;
    }
    memset(&c, 0, sizeof(c));
    c.op = OP_CONNECT;
    c.fd = -1;
    c.sock = args[0];
    c.arg = args[1];
    if ((c.fd = PyObject_AsFileDescriptor(c.sock)) < 0) {
        return NULL;
    }
    return run_op(self, &c);
}

PyObject *
Loop__sock_accept(LoopObject *self, PyObject *sock)
{
    sock_call c;
    if (init_call(self, &c, OP_ACCEPT, sock) < 0) {
        return NULL;
    }
    return run_op(self, &c);
}

int
cl_sock_init_state(PyObject *module, cl_state *st)
{
    st->SockOpType =
        (PyTypeObject *)PyType_FromModuleAndSpec(module, &SockOp_spec, NULL);
    return st->SockOpType ? 0 : -1;
}
