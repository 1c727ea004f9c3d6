/* transport.c: what asyncio's _SelectorTransport does, for both of cloop's
 * socket transports (see transport.h for the layout and ownership rules).
 *
 * Owns: the lifecycle (setup, start, close, abort, fatal errors,
 * connection_lost exactly once, the unclosed-transport ResourceWarning),
 * flow control (high/low water marks, pause_writing/resume_writing),
 * reading on/off and the write queue. The Python methods and attributes
 * both types share are in transport_methods.c; reading and writing bytes
 * are the concrete types' business (stream.c, datagram.c).
 */
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "common.h"
#include "debugcount.h"
#include "errors.h"
#include "handle.h"
#include "loop_io.h"
#include "transport.h"

/* asyncio's constants.LOG_THRESHOLD_FOR_CONNLOST_WRITES. */
#define CL_LOG_THRESHOLD_FOR_CONNLOST_WRITES 5

/* ------------------------------------------------------------------ */
/* The write queue                                                     */

int
cl_wqueue_push(cl_wqueue *q, PyObject *data, Py_ssize_t off, PyObject *addr)
{
    if (q->head + q->len == q->cap) {
        if (q->head > 0 && q->head >= q->len) {
            memmove(q->items, q->items + q->head, q->len * sizeof(cl_wentry));
            q->head = 0;
        }
        else {
            Py_ssize_t cap = q->cap ? q->cap * 2 : 8;
            cl_wentry *items =
                PyMem_Realloc(q->items, (size_t)cap * sizeof(cl_wentry));
            if (items == NULL) {
                Py_DECREF(data);
                Py_XDECREF(addr);
                PyErr_NoMemory();
                return -1;
            }
            q->items = items;
            q->cap = cap;
        }
    }
    cl_wentry *e = &q->items[q->head + q->len++];
    e->data = data;
    e->off = off;
    e->addr = addr;
    return 0;
}

void
cl_wqueue_popleft(cl_wqueue *q)
{
    cl_wentry e = q->items[q->head];
    q->head++;
    q->len--;
    if (q->len == 0) {
        q->head = 0;
    }
    Py_DECREF(e.data);
    Py_XDECREF(e.addr);
}

/* Releases every entry one at a time (a release may run code that queues
 * more; the loop ends when the queue is really empty). */
void
cl_wqueue_clear(cl_wqueue *q)
{
    while (q->len > 0) {
        cl_wqueue_popleft(q);
    }
    q->size = 0;
}

/* ------------------------------------------------------------------ */
/* Watching the fd                                                     */

int
cl_transport_is_watching(TransportObject *t, unsigned which)
{
    return t->loop != NULL
           && cl_loop_io_is_watching(t->loop, t->fd, which, (PyObject *)t);
}

int
cl_transport_start_reading(TransportObject *t)
{
    if (t->loop == NULL || cl_transport_is_watching(t, CL_POLL_READ)) {
        return 0;
    }
    return cl_loop_io_watch(t->loop, t->fd, CL_POLL_READ, t->read_fn,
                            (PyObject *)t);
}

void
cl_transport_stop_reading(TransportObject *t)
{
    if (t->loop != NULL) {
        (void)cl_loop_io_unwatch(t->loop, t->fd, CL_POLL_READ, (PyObject *)t);
    }
}

int
cl_transport_start_writing(TransportObject *t)
{
    if (t->loop == NULL || cl_transport_is_watching(t, CL_POLL_WRITE)) {
        return 0;
    }
    return cl_loop_io_watch(t->loop, t->fd, CL_POLL_WRITE, t->write_fn,
                            (PyObject *)t);
}

void
cl_transport_stop_writing(TransportObject *t)
{
    if (t->loop != NULL) {
        (void)cl_loop_io_unwatch(t->loop, t->fd, CL_POLL_WRITE, (PyObject *)t);
    }
}

void
cl_transport_forget_fd_owner(TransportObject *t)
{
    if (t->owns_fd && t->loop != NULL) {
        cl_loop_io_clear_owner(t->loop, t->fd, (PyObject *)t);
    }
    t->owns_fd = 0;
}

/* ------------------------------------------------------------------ */
/* Contexts and error reports                                          */

/* Enter/exit the transport's context around loop-driven callbacks. */
static int
transport_enter(TransportObject *t)
{
    return PyContext_Enter(t->context);
}

static int
transport_exit(TransportObject *t)
{
    return PyContext_Exit(t->context);
}

/* Reports the pending exception of a loop-driven callback (what: e.g.
 * "SocketTransport._read_ready()"). -1 only for exceptions that stop the
 * loop. */
static int
transport_report(TransportObject *t, const char *what)
{
    if (cl_err_is_fatal()) {
        return -1;
    }
    char buf[160];
    PyOS_snprintf(buf, sizeof(buf), "%s.%s", Py_TYPE(t)->tp_name, what);
    const char *dot = strrchr(Py_TYPE(t)->tp_name, '.');
    if (dot != NULL) {
        PyOS_snprintf(buf, sizeof(buf), "%s.%s", dot + 1, what);
    }
    if (t->loop == NULL) {
        return cl_err_unraisable((PyObject *)t);
    }
    PyObject *loop = Py_NewRef((PyObject *)t->loop);
    int rc = cl_err_report(loop, buf, "transport", (PyObject *)t);
    Py_DECREF(loop);
    return rc;
}

/* loop.call_exception_handler({'message', 'exception', 'transport',
 * 'protocol'}). Failures of the handler are written as unraisable, except
 * those that stop the loop (then -1). */
static int
call_exception_handler(TransportObject *t, const char *message, PyObject *exc)
{
    if (t->loop == NULL) {
        return 0;
    }
    PyObject *ctx = cl_err_context(PyUnicode_FromString(message), "exception",
                                   exc, "transport", (PyObject *)t, "protocol",
                                   t->protocol ? t->protocol : Py_None, NULL);
    return cl_err_call_handler((PyObject *)t->loop, ctx, (PyObject *)t);
}

/* logger.debug("%r: %s", transport, message, exc_info=exc) */
static void
log_debug_exc(TransportObject *t, const char *message, PyObject *exc)
{
    PyObject *meth = PyObject_GetAttr(t->state->logger, t->state->str_debug);
    PyObject *args =
        meth ? Py_BuildValue("(sOs)", "%r: %s", (PyObject *)t, message) : NULL;
    PyObject *kw = args ? Py_BuildValue("{sO}", "exc_info", exc) : NULL;
    PyObject *res = kw ? PyObject_Call(meth, args, kw) : NULL;
    if (res == NULL) {
        PyErr_WriteUnraisable((PyObject *)t);
    }
    Py_XDECREF(res);
    Py_XDECREF(kw);
    Py_XDECREF(args);
    Py_XDECREF(meth);
}

int
cl_transport_fatal_error_exc(TransportObject *t, PyObject *exc,
                             const char *message)
{
    if (PyErr_GivenExceptionMatches(exc, PyExc_OSError)) {
        if (t->loop != NULL && t->loop->debug) {
            log_debug_exc(t, message, exc);
        }
    }
    else if (call_exception_handler(t, message, exc) < 0) {
        return -1;
    }
    return cl_transport_force_close(t, exc);
}

int
cl_transport_fatal_error(TransportObject *t, const char *message)
{
    if (cl_err_is_fatal()) {
        return -1;
    }
    PyObject *exc = PyErr_GetRaisedException();
    Py_INCREF(t);
    int rc = cl_transport_fatal_error_exc(t, exc, message);
    Py_DECREF(t);
    Py_DECREF(exc);
    return rc;
}

int
cl_transport_get_view(PyObject *data, Py_buffer *view, PyObject **copy,
                      PyObject **unviewable)
{
    *copy = *unviewable = NULL;
    if (PyObject_GetBuffer(data, view, PyBUF_SIMPLE) == 0) {
        return 0;
    }
    if (!PyErr_ExceptionMatches(PyExc_BufferError)) {
        return -1;
    }
    *unviewable = PyErr_GetRaisedException();
    *copy = PyBytes_FromObject(data);
    if (*copy == NULL || PyObject_GetBuffer(*copy, view, PyBUF_SIMPLE) < 0) {
        Py_CLEAR(*copy);
        Py_CLEAR(*unviewable);
        return -1;
    }
    return 0;
}

/* ------------------------------------------------------------------ */
/* Closing                                                             */

int
cl_transport_run(TransportObject *t, LoopObject *loop, cl_transport_fn fn,
                 const char *what)
{
    if (transport_enter(t) < 0) {
        return transport_report(t, what);
    }
    Py_INCREF(t);
    int rc = fn(t, loop);
    if (transport_exit(t) < 0) {
        rc = -1;
    }
    rc = rc < 0 ? transport_report(t, what) : 0;
    Py_DECREF(t);
    return rc;
}

static int
conn_lost_entry(LoopObject *loop, PyObject *obj, PyObject *exc)
{
    TransportObject *t = (TransportObject *)obj;
    if (transport_enter(t) < 0) {
        return transport_report(t, "_call_connection_lost()");
    }
    int rc = cl_transport_call_connection_lost(t, exc);
    if (transport_exit(t) < 0) {
        rc = -1;
    }
    return rc < 0 ? transport_report(t, "_call_connection_lost()") : 0;
}

/* asyncio's call_soon(self._call_connection_lost, exc). */
static int
schedule_connection_lost(TransportObject *t, PyObject *exc)
{
    if (t->loop == NULL || cl_loop_check_closed(t->loop) < 0) {
        if (t->loop == NULL) {
            PyErr_SetString(PyExc_RuntimeError, "Event loop is closed");
        }
        return -1;
    }
    return cl_loop_push_ready(t->loop, conn_lost_entry,
                              Py_NewRef((PyObject *)t),
                              exc == Py_None ? NULL : Py_XNewRef(exc));
}

int
cl_transport_close(TransportObject *t)
{
    if (t->closing) {
        return 0;
    }
    t->closing = 1;
    cl_transport_stop_reading(t);
    if (t->wq.len == 0) {
        t->conn_lost++;
        cl_transport_stop_writing(t);
        return schedule_connection_lost(t, NULL);
    }
    return 0;
}

int
cl_transport_force_close(TransportObject *t, PyObject *exc)
{
    if (t->conn_lost) {
        return 0;
    }
    if (t->wq.len > 0) {
        cl_wqueue_clear(&t->wq);
        cl_transport_stop_writing(t);
    }
    if (!t->closing) {
        t->closing = 1;
        cl_transport_stop_reading(t);
    }
    t->conn_lost++;
    return schedule_connection_lost(t, exc);
}

static int
server_call(TransportObject *t, PyObject *server, PyObject *name)
{
#if CL_SERVER_ATTACH_TAKES_TRANSPORT
    PyObject *res = PyObject_CallMethodOneArg(server, name, (PyObject *)t);
#else
    PyObject *res = PyObject_CallMethodNoArgs(server, name);
#endif
    if (res == NULL) {
        return -1;
    }
    Py_DECREF(res);
    return 0;
}

/* Keeps the first of several errors in *err (an exception object). */
static void
keep_error(PyObject **err)
{
    PyObject *exc = PyErr_GetRaisedException();
    if (*err == NULL) {
        *err = exc;
    }
    else {
        Py_XDECREF(exc);
    }
}

static int
close_socket(TransportObject *t)
{
    cl_transport_forget_fd_owner(t);
    PyObject *sock = t->sock;
    t->sock = NULL;
    if (sock == NULL) {
        return 0;
    }
    PyObject *res = PyObject_CallMethodNoArgs(sock, t->state->str_close);
    Py_DECREF(sock);
    if (res == NULL) {
        return -1;
    }
    Py_DECREF(res);
    return 0;
}

int
cl_transport_call_connection_lost(TransportObject *t, PyObject *exc)
{
    PyObject *err = NULL;
    Py_INCREF(t);
    if (t->protocol_connected && t->protocol != NULL) {
        PyObject *proto = Py_NewRef(t->protocol);
        PyObject *res = PyObject_CallMethodOneArg(
            proto, t->state->str_connection_lost, exc ? exc : Py_None);
        Py_DECREF(proto);
        if (res == NULL) {
            keep_error(&err);
        }
        Py_XDECREF(res);
    }
    /* asyncio's finally: the socket, protocol and loop go, the server is
     * told. */
    if (close_socket(t) < 0) {
        keep_error(&err);
    }
    Py_CLEAR(t->protocol);
    Py_CLEAR(t->loop);
    PyObject *server = t->server;
    t->server = NULL;
    if (server != NULL) {
        if (server_call(t, server, t->state->str__detach) < 0) {
            keep_error(&err);
        }
        Py_DECREF(server);
    }
    if (err == NULL && t->empty_waiter != NULL) {
        PyObject *fut = t->empty_waiter;
        t->empty_waiter = NULL;
        PyObject *cexc = PyObject_CallFunction(PyExc_ConnectionError, "s",
                                               "Connection is closed by peer");
        if (cexc == NULL || cl_net_future_set(t->state, fut, cexc, 1) < 0) {
            keep_error(&err);
        }
        Py_XDECREF(cexc);
        /* asyncio keeps the waiter until _reset_empty_waiter(). */
        t->empty_waiter = fut;
    }
    Py_DECREF(t);
    if (err != NULL) {
        PyErr_SetRaisedException(err);
        return -1;
    }
    return 0;
}

void
cl_transport_write_after_lost(TransportObject *t)
{
    if (t->conn_lost >= CL_LOG_THRESHOLD_FOR_CONNLOST_WRITES) {
        PyObject *res = PyObject_CallMethod(t->state->logger, "warning", "s",
                                            "socket.send() raised exception.");
        if (res == NULL) {
            PyErr_WriteUnraisable((PyObject *)t);
        }
        Py_XDECREF(res);
    }
    t->conn_lost++;
}

LoopObject *
cl_transport_loop_arg(PyObject *loop)
{
    cl_state *st = cl_state_from_type(Py_TYPE(loop));
    if (st == NULL || !cl_loop_check(st, loop)) {
        PyErr_Clear();
        PyErr_Format(PyExc_TypeError, "a cloop event loop is required, not %R",
                     loop);
        return NULL;
    }
    return (LoopObject *)loop;
}

/* ------------------------------------------------------------------ */
/* Flow control                                                        */

static int
call_protocol_flow(TransportObject *t, PyObject *name, const char *message)
{
    PyObject *proto = Py_NewRef(t->protocol ? t->protocol : Py_None);
    PyObject *res = PyObject_CallMethodNoArgs(proto, name);
    Py_DECREF(proto);
    if (res != NULL) {
        Py_DECREF(res);
        return 0;
    }
    if (cl_err_is_fatal()) {
        return -1;
    }
    PyObject *exc = PyErr_GetRaisedException();
    int rc = call_exception_handler(t, message, exc);
    Py_DECREF(exc);
    return rc;
}

int
cl_transport_maybe_pause_protocol(TransportObject *t)
{
    if (t->wq.size <= t->high_water || t->protocol_paused) {
        return 0;
    }
    t->protocol_paused = 1;
    return call_protocol_flow(t, t->state->str_pause_writing,
                              "protocol.pause_writing() failed");
}

int
cl_transport_maybe_resume_protocol(TransportObject *t)
{
    if (!t->protocol_paused || t->wq.size > t->low_water) {
        return 0;
    }
    t->protocol_paused = 0;
    return call_protocol_flow(t, t->state->str_resume_writing,
                              "protocol.resume_writing() failed");
}

/* ------------------------------------------------------------------ */
/* Setting up and starting                                             */

static PyObject *
sock_info(TransportObject *t, PyObject *sock, PyObject *name)
{
    PyObject *res = PyObject_CallMethodNoArgs(sock, name);
    if (res == NULL && PyErr_ExceptionMatches(PyExc_OSError)) {
        PyErr_Clear();
        res = Py_NewRef(Py_None);
    }
    return res;
}

static int
set_extra(TransportObject *t, PyObject *sock)
{
    cl_state *st = t->state;
    PyObject *v = PyObject_CallOneArg(st->TransportSocket, sock);
    if (v == NULL || PyDict_SetItem(t->extra, st->str_socket, v) < 0) {
        Py_XDECREF(v);
        return -1;
    }
    Py_DECREF(v);
    v = sock_info(t, sock, st->str_getsockname);
    if (v == NULL || PyDict_SetItem(t->extra, st->str_sockname, v) < 0) {
        Py_XDECREF(v);
        return -1;
    }
    Py_DECREF(v);
    int has = PyDict_Contains(t->extra, st->str_peername);
    if (has < 0) {
        return -1;
    }
    if (!has) {
        v = sock_info(t, sock, st->str_getpeername);
        if (v == NULL || PyDict_SetItem(t->extra, st->str_peername, v) < 0) {
            Py_XDECREF(v);
            return -1;
        }
        Py_DECREF(v);
    }
    return 0;
}

int
cl_transport_setup(TransportObject *t, LoopObject *loop, PyObject *sock,
                   PyObject *protocol, PyObject *extra, PyObject *server,
                   PyObject *context)
{
    t->state = loop->state;
    t->loop = (LoopObject *)Py_NewRef(loop);
    t->high_water = CL_DEFAULT_HIGH_WATER;
    t->low_water = CL_DEFAULT_HIGH_WATER / 4;
    t->fd = -1;
    if (extra == NULL || extra == Py_None) {
        t->extra = PyDict_New();
    }
    else {
        t->extra = PyDict_Copy(extra);
    }
    if (t->extra == NULL || set_extra(t, sock) < 0) {
        return -1;
    }
    t->fd = PyObject_AsFileDescriptor(sock);
    if (t->fd < 0) {
        return -1;
    }
    t->sock = Py_NewRef(sock);
    t->context = (context == NULL || context == Py_None)
                     ? PyContext_CopyCurrent()
                     : Py_NewRef(context);
    if (t->context == NULL) {
        return -1;
    }
    t->protocol = Py_NewRef(protocol);
    t->protocol_connected = 1;
    if (server != NULL && server != Py_None) {
        t->server = Py_NewRef(server);
        if (server_call(t, server, t->state->str__attach) < 0) {
            return -1;
        }
    }
    if (cl_loop_io_set_owner(loop, t->fd, (PyObject *)t) < 0) {
        return -1;
    }
    t->owns_fd = 1;
    return 0;
}

/* The second and third of the constructor's call_soon: start reading
 * (unless paused or closed meanwhile) and wake the waiter. */
static int
start_entry(LoopObject *loop, PyObject *obj, PyObject *waiter)
{
    TransportObject *t = (TransportObject *)obj;
    if (!t->closing && !t->paused && cl_transport_start_reading(t) < 0
        && transport_report(t, "_add_reader()") < 0) {
        return -1;
    }
    if (waiter == NULL) {
        return 0;
    }
    /* futures._set_result_unless_cancelled(waiter, None) */
    PyObject *c = PyObject_CallMethodNoArgs(waiter, t->state->str_cancelled);
    int cancelled = c ? PyObject_IsTrue(c) : -1;
    Py_XDECREF(c);
    if (cancelled == 0
        && cl_net_future_set(t->state, waiter, Py_None, 0) == 0) {
        return 0;
    }
    if (cancelled == 1) {
        return 0;
    }
    return cl_err_report((PyObject *)loop, "_set_result_unless_cancelled()",
                         "transport", obj);
}

int
cl_transport_start(TransportObject *t, PyObject *waiter)
{
    LoopObject *loop = t->loop;
    if (cl_loop_check_closed(loop) < 0) {
        return -1;
    }
    PyObject *meth =
        PyObject_GetAttr(t->protocol, t->state->str_connection_made);
    if (meth == NULL) {
        return -1;
    }
    PyObject *self = (PyObject *)t;
    HandleObject *h = cl_handle_new(loop->state->HandleType, loop, meth, &self,
                                    1, t->context);
    Py_DECREF(meth);
    if (h == NULL
        || cl_loop_push_ready(loop, cl_handle_run, (PyObject *)h, NULL) < 0) {
        return -1;
    }
    if (waiter == Py_None) {
        waiter = NULL;
    }
    return cl_loop_push_ready(loop, start_entry, Py_NewRef(self),
                              Py_XNewRef(waiter));
}

/* ------------------------------------------------------------------ */
/* Lifetime                                                            */

int
cl_transport_traverse(TransportObject *t, visitproc visit, void *arg)
{
    Py_VISIT(Py_TYPE(t));
    Py_VISIT(t->loop);
    Py_VISIT(t->sock);
    Py_VISIT(t->protocol);
    Py_VISIT(t->extra);
    Py_VISIT(t->server);
    Py_VISIT(t->context);
    Py_VISIT(t->empty_waiter);
    Py_VISIT(t->address);
    Py_VISIT(t->dict);
    Py_VISIT(t->high_obj);
    Py_VISIT(t->low_obj);
    for (Py_ssize_t i = 0; i < t->wq.len; i++) {
        Py_VISIT(cl_wqueue_at(&t->wq, i)->data);
        Py_VISIT(cl_wqueue_at(&t->wq, i)->addr);
    }
    return 0;
}

int
cl_transport_clear(TransportObject *t)
{
    cl_transport_forget_fd_owner(t);
    cl_wqueue_clear(&t->wq);
    Py_CLEAR(t->loop);
    Py_CLEAR(t->sock);
    Py_CLEAR(t->protocol);
    Py_CLEAR(t->extra);
    Py_CLEAR(t->server);
    Py_CLEAR(t->context);
    Py_CLEAR(t->empty_waiter);
    Py_CLEAR(t->address);
    Py_CLEAR(t->dict);
    Py_CLEAR(t->high_obj);
    Py_CLEAR(t->low_obj);
    return 0;
}

/* asyncio's __del__: an unclosed transport warns and closes its socket. */
void
cl_transport_finalize(TransportObject *t)
{
    if (t->sock == NULL) {
        return;
    }
    PyObject *saved = PyErr_GetRaisedException();
    if (PyErr_ResourceWarning((PyObject *)t, 1, "unclosed transport %R",
                              (PyObject *)t)
        < 0) {
        PyErr_WriteUnraisable((PyObject *)t);
    }
    if (close_socket(t) < 0) {
        PyErr_WriteUnraisable((PyObject *)t);
    }
#if CL_SERVER_ATTACH_TAKES_TRANSPORT
    if (t->server != NULL
        && server_call(t, t->server, t->state->str__detach) < 0) {
        PyErr_WriteUnraisable((PyObject *)t);
    }
#endif
    PyErr_SetRaisedException(saved);
}

void
cl_transport_dealloc(TransportObject *t)
{
    PyTypeObject *tp = Py_TYPE(t);
    /* The finalizer runs on a tracked object (debug builds assert it). */
    if (PyObject_CallFinalizerFromDealloc((PyObject *)t) < 0) {
        return; /* resurrected */
    }
    PyObject_GC_UnTrack(t);
    if (t->weakreflist != NULL) {
        PyObject_ClearWeakRefs((PyObject *)t);
    }
    (void)cl_transport_clear(t);
    PyMem_Free(t->wq.items);
    t->wq.items = NULL;
    CL_DEBUG_COUNT(transports, -1);
    tp->tp_free(t);
    Py_DECREF(tp);
}
