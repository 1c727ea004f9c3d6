/* datagram.c: the datagram socket transport (asyncio's
 * _SelectorDatagramTransport).
 *
 * A readable fd gives up to CL_DGRAM_BATCH datagrams per event, each
 * recvfrom() into the loop's read buffer, an exact-size bytes object and
 * the sender's address (sockaddr.c) to protocol.datagram_received.
 * sendto() sends at once and queues (bytes, address) pairs only when the
 * kernel refuses; OSErrors go to protocol.error_received, as in asyncio.
 *
 * Ownership: as transport.h; each queued entry owns its bytes and address.
 */
#include <errno.h>
#include <string.h>
#include <sys/socket.h>

#include "common.h"
#include "datagram.h"
#include "errors.h"
#include "loop_io.h"
#include "net.h"
#include "sockaddr.h"
#include "transport.h"

#define DGRAM_HEADER CL_DGRAM_HEADER_SIZE

/* ------------------------------------------------------------------ */
/* Reading                                                             */

static int
call_error_received(TransportObject *t, PyObject *exc)
{
    PyObject *proto = Py_NewRef(t->protocol);
    PyObject *res =
        PyObject_CallMethodOneArg(proto, t->state->str_error_received, exc);
    Py_DECREF(proto);
    if (res == NULL) {
        return -1;
    }
    Py_DECREF(res);
    return 0;
}

/* The pending OSError goes to error_received; anything else is fatal. */
static int
send_or_recv_failed(TransportObject *t, const char *fatal_message)
{
    if (cl_err_is_fatal()) {
        return -1;
    }
    if (!PyErr_ExceptionMatches(PyExc_OSError)) {
        return cl_transport_fatal_error(t, fatal_message);
    }
    PyObject *exc = PyErr_GetRaisedException();
    int rc = call_error_received(t, exc);
    Py_DECREF(exc);
    return rc;
}

/* One datagram as (data, addr): 1, 0 when it would block, -1 error. */
static int
recv_datagram(TransportObject *t, LoopObject *loop, PyObject **data,
              PyObject **addr)
{
    if (!cl_sockaddr_supported(t->family)) {
        PyObject *r =
            PyObject_CallMethod(t->sock, "recvfrom", "i", CL_READ_BUFSIZE);
        if (r == NULL) {
            return cl_net_clear_would_block() ? 0 : -1;
        }
        int ok = PyArg_ParseTuple(r, "OO", data, addr);
        Py_XINCREF(*data);
        Py_XINCREF(*addr);
        Py_DECREF(r);
        return ok ? 1 : -1;
    }
    char *buf = cl_loop_io_readbuf(loop);
    if (buf == NULL) {
        return -1;
    }
    struct sockaddr_storage ss;
    socklen_t len = sizeof(ss);
    memset(&ss, 0, sizeof(ss));
    ssize_t n;
    while ((n = recvfrom(t->fd, buf, CL_READ_BUFSIZE, 0,
                         (struct sockaddr *)&ss, &len))
               < 0
           && errno == EINTR) {
        if (PyErr_CheckSignals() < 0) {
            return -1;
        }
    }
    if (n < 0) {
        if (errno == EAGAIN || errno == EWOULDBLOCK) {
            return 0;
        }
        PyErr_SetFromErrno(PyExc_OSError);
        return -1;
    }
    *addr = cl_sockaddr_to_object((struct sockaddr *)&ss, len);
    if (*addr == NULL) {
        return -1;
    }
    *data = PyBytes_FromStringAndSize(buf, n);
    if (*data == NULL) {
        Py_CLEAR(*addr);
        return -1;
    }
    return 1;
}

/* Reads one datagram and hands it to the protocol: 1 delivered, 0 none
 * was there (or an OSError went to error_received), -1 error. */
static int
read_one(TransportObject *t, LoopObject *loop)
{
    PyObject *data = NULL, *addr = NULL;
    int r = recv_datagram(t, loop, &data, &addr);
    if (r == 0) {
        return 0;
    }
    if (r < 0) {
        return send_or_recv_failed(t,
                                   "Fatal read error on datagram transport");
    }
    PyObject *proto = Py_NewRef(t->protocol);
    PyObject *res = PyObject_CallMethodObjArgs(
        proto, t->state->str_datagram_received, data, addr, NULL);
    Py_DECREF(proto);
    Py_DECREF(data);
    Py_DECREF(addr);
    if (res == NULL) {
        return -1; /* reported as an exception in the callback */
    }
    Py_DECREF(res);
    return 1;
}

/* Datagrams read per readable event, as libuv (so uvloop) reads them: with
 * many peers sending, one poll per datagram costs more than the datagram.
 * The transport is checked between datagrams, so pause_reading() or
 * close() in datagram_received stops the batch as it stops asyncio's next
 * read. */
#define CL_DGRAM_BATCH 32

static int
read_batch(TransportObject *t, LoopObject *loop)
{
    for (int i = 0; i < CL_DGRAM_BATCH; i++) {
        int r = read_one(t, loop);
        if (r <= 0) {
            return r;
        }
        if (t->conn_lost || t->closing
            || !cl_transport_is_watching(t, CL_POLL_READ)) {
            break;
        }
    }
    return 0;
}

static int
dgram_read_ready(LoopObject *loop, PyObject *obj, PyObject *unused)
{
    TransportObject *t = (TransportObject *)obj;
    if (t->conn_lost || !cl_transport_is_watching(t, CL_POLL_READ)) {
        return 0;
    }
    return cl_transport_run(t, loop, read_batch, "_read_ready()");
}

/* ------------------------------------------------------------------ */
/* Writing                                                             */

/* Sends one datagram: 1 sent, 0 it would block, -1 error (exception). */
static int
send_one(TransportObject *t, PyObject *data, const char *buf, Py_ssize_t len,
         PyObject *addr)
{
    struct sockaddr_storage ss;
    socklen_t sslen = 0;
    ssize_t n;
    if (!t->connected
        && !cl_sockaddr_from_object(t->family, addr, &ss, &sslen)) {
        /* Let the socket module parse (or refuse) the address. */
        PyObject *r = PyObject_CallMethodObjArgs(
            t->sock, t->state->str_sendto, data, addr ? addr : Py_None, NULL);
        if (r != NULL) {
            Py_DECREF(r);
            return 1;
        }
        return cl_net_clear_would_block() ? 0 : -1;
    }
    do {
        if (t->connected) {
            n = send(t->fd, buf, (size_t)len, 0);
        }
        else {
            n = sendto(t->fd, buf, (size_t)len, 0, (struct sockaddr *)&ss,
                       sslen);
        }
    } while (n < 0 && errno == EINTR && PyErr_CheckSignals() == 0);
    if (n >= 0) {
        return 1;
    }
    if (PyErr_Occurred()) {
        return -1;
    }
    if (errno == EAGAIN || errno == EWOULDBLOCK) {
        return 0;
    }
    PyErr_SetFromErrno(PyExc_OSError);
    return -1;
}

static int
sendto_ready(TransportObject *t, LoopObject *unused)
{
    while (t->wq.len > 0) {
        cl_wentry *e = cl_wqueue_at(&t->wq, 0);
        PyObject *data = Py_NewRef(e->data);
        PyObject *addr = Py_XNewRef(e->addr);
        int r = send_one(t, data, PyBytes_AS_STRING(data),
                         PyBytes_GET_SIZE(data), addr);
        if (r != 0) {
            t->wq.size -= PyBytes_GET_SIZE(data) + DGRAM_HEADER;
            cl_wqueue_popleft(&t->wq);
        }
        Py_DECREF(data);
        Py_XDECREF(addr);
        if (r == 0) {
            break; /* try again later */
        }
        if (r < 0) {
            return send_or_recv_failed(
                t, "Fatal write error on datagram transport");
        }
    }
    if (cl_transport_maybe_resume_protocol(t) < 0) {
        return -1;
    }
    if (t->wq.len == 0) {
        cl_transport_stop_writing(t);
        if (t->closing) {
            /* Drained after close(): connection_lost now, and only once
             * (a later abort() finds conn_lost set). */
            t->conn_lost++;
            return cl_transport_call_connection_lost(t, NULL);
        }
    }
    return 0;
}

static int
dgram_write_ready(LoopObject *loop, PyObject *obj, PyObject *unused)
{
    TransportObject *t = (TransportObject *)obj;
    if (!cl_transport_is_watching(t, CL_POLL_WRITE)) {
        return 0;
    }
    return cl_transport_run(t, loop, sendto_ready, "_sendto_ready()");
}

static PyObject *
Dgram_sendto(TransportObject *t, PyObject *const *args, Py_ssize_t nargs,
             PyObject *kwnames)
{
    static const char *const kwlist[] = {"data", "addr", NULL};
    PyObject *data = NULL, *addr = Py_None;
    Py_ssize_t nkw = kwnames ? PyTuple_GET_SIZE(kwnames) : 0;
    if (nargs > 2 || nargs + nkw < 1) {
        PyErr_SetString(PyExc_TypeError, "sendto(data, addr=None)");
        return NULL;
    }
    if (nargs >= 1) {
        data = args[0];
    }
    if (nargs == 2) {
        addr = args[1];
    }
    for (Py_ssize_t i = 0; i < nkw; i++) {
        PyObject *k = PyTuple_GET_ITEM(kwnames, i);
        if (PyUnicode_CompareWithASCIIString(k, kwlist[0]) == 0) {
            data = args[nargs + i];
        }
        else if (PyUnicode_CompareWithASCIIString(k, kwlist[1]) == 0) {
            addr = args[nargs + i];
        }
        else {
            PyErr_Format(PyExc_TypeError,
                         "sendto() got an unexpected keyword argument '%S'",
                         k);
            return NULL;
        }
    }
    if (data == NULL
        || (!PyBytes_Check(data) && !PyByteArray_Check(data)
            && !PyMemoryView_Check(data))) {
        PyObject *name = PyType_GetName(Py_TYPE(data ? data : Py_None));
        if (name != NULL) {
            PyErr_Format(PyExc_TypeError,
                         "data argument must be a bytes-like object, not %R",
                         name);
            Py_DECREF(name);
        }
        return NULL;
    }
    Py_buffer view;
    PyObject *copy, *unviewable;
    if (cl_transport_get_view(data, &view, &copy, &unviewable) < 0) {
        return NULL;
    }
    if (copy != NULL) {
        data = copy;
    }
#if !CL_DGRAM_SENDS_EMPTY
    if (view.len == 0) {
        PyBuffer_Release(&view);
        Py_XDECREF(copy);
        Py_XDECREF(unviewable);
        Py_RETURN_NONE;
    }
#endif
    PyObject *res = NULL;
    PyObject *bytes = NULL;
    if (t->address != NULL) {
        if (addr != Py_None) {
            int eq = PyObject_RichCompareBool(addr, t->address, Py_EQ);
            if (eq < 0) {
                goto done;
            }
            if (!eq) {
                PyErr_Format(PyExc_ValueError,
                             "Invalid address: must be None or %S",
                             t->address);
                goto done;
            }
        }
        addr = t->address;
    }
    if (t->conn_lost && (t->address != NULL || t->sock == NULL)) {
        cl_transport_write_after_lost(t);
        res = Py_NewRef(Py_None);
        goto done;
    }
    if (t->wq.len == 0 && unviewable != NULL) {
        /* asyncio's sendto() of it fails (queued, it would be copied). */
        if (cl_transport_fatal_error_exc(
                t, unviewable, "Fatal write error on datagram transport")
            == 0) {
            res = Py_NewRef(Py_None);
        }
        goto done;
    }
    if (t->wq.len == 0) {
        int r = send_one(t, data, view.buf, view.len, addr);
        if (r > 0) {
            res = Py_NewRef(Py_None);
            goto done;
        }
        if (r < 0) {
            if (send_or_recv_failed(t,
                                    "Fatal write error on datagram transport")
                == 0) {
                res = Py_NewRef(Py_None);
            }
            goto done;
        }
        if (cl_transport_start_writing(t) < 0) {
            goto done;
        }
    }
    /* What waits must not change: keep a bytes copy. */
    bytes = PyBytes_CheckExact(data)
                ? Py_NewRef(data)
                : PyBytes_FromStringAndSize(view.buf, view.len);
    if (bytes == NULL
        || cl_wqueue_push(&t->wq, Py_NewRef(bytes), 0,
                          addr == Py_None ? NULL : Py_NewRef(addr))
               < 0) {
        goto done;
    }
    t->wq.size += view.len + DGRAM_HEADER;
    if (cl_transport_maybe_pause_protocol(t) == 0) {
        res = Py_NewRef(Py_None);
    }
done:
    Py_XDECREF(bytes);
    PyBuffer_Release(&view);
    Py_XDECREF(copy);
    Py_XDECREF(unviewable);
    return res;
}

static PyObject *
Dgram_set_protocol(TransportObject *t, PyObject *protocol)
{
    Py_XSETREF(t->protocol, Py_NewRef(protocol));
    t->protocol_connected = 1;
    Py_RETURN_NONE;
}

static int
sock_family(int fd)
{
    int family = -1;
    socklen_t len = sizeof(family);
    if (getsockopt(fd, SOL_SOCKET, SO_DOMAIN, &family, &len) < 0) {
        return -1;
    }
    return family;
}

/* DatagramTransport._create(loop, sock, protocol, address=None,
 * waiter=None, extra=None). */
static PyObject *
Dgram__create(PyObject *type, PyObject *const *args, Py_ssize_t nargs)
{
    if (nargs < 3 || nargs > 6) {
        PyErr_SetString(PyExc_TypeError,
                        "_create(loop, sock, protocol, address=None, "
                        "waiter=None, extra=None)");
        return NULL;
    }
    LoopObject *loop = cl_transport_loop_arg(args[0]);
    if (loop == NULL || cl_loop_check_closed(loop) < 0) {
        return NULL;
    }
    PyObject *address = nargs > 3 ? args[3] : Py_None;
    PyObject *waiter = nargs > 4 ? args[4] : Py_None;
    PyObject *extra = nargs > 5 ? args[5] : Py_None;
    TransportObject *t =
        cl_transport_alloc(loop->state->DatagramTransportType);
    if (t == NULL) {
        return NULL;
    }
    t->read_fn = dgram_read_ready;
    t->write_fn = dgram_write_ready;
    if (cl_transport_setup(t, loop, args[1], args[2], extra, NULL, NULL) < 0) {
        goto error;
    }
    t->family = sock_family(t->fd);
    if (address != Py_None) {
        t->address = Py_NewRef(address);
    }
    PyObject *peer = PyDict_GetItemWithError(t->extra, t->state->str_peername);
    int connected = peer ? PyObject_IsTrue(peer) : 0;
    if (connected < 0 || PyErr_Occurred()) {
        goto error;
    }
    t->connected = (char)connected;
    if (cl_transport_start(t, waiter) < 0) {
        goto error;
    }
    return (PyObject *)t;
error:
    Py_CLEAR(t->sock);
    (void)cl_transport_clear(t);
    Py_DECREF(t);
    return NULL;
}

static PyMethodDef Dgram_methods[] = {
    CL_TRANSPORT_METHODS{"sendto", (PyCFunction)(void (*)(void))Dgram_sendto,
                         METH_FASTCALL | METH_KEYWORDS, NULL},
    {"set_protocol", (PyCFunction)Dgram_set_protocol, METH_O, NULL},
    {"_create", (PyCFunction)(void (*)(void))Dgram__create,
     METH_FASTCALL | METH_STATIC, NULL},
    {NULL}};

static PyObject *
Dgram_get_address(TransportObject *t, void *c)
{
    return Py_NewRef(t->address ? t->address : Py_None);
}

static PyGetSetDef Dgram_getset[] = {
    CL_TRANSPORT_GETSET{"_address", (getter)Dgram_get_address, NULL, NULL},
    {NULL}};

static PyMemberDef Dgram_members[] = {CL_TRANSPORT_MEMBERS{NULL}};

static PyType_Slot Dgram_slots[] = {
    {Py_tp_dealloc, cl_transport_dealloc},
    {Py_tp_traverse, cl_transport_traverse},
    {Py_tp_clear, cl_transport_clear},
    {Py_tp_finalize, cl_transport_finalize},
    {Py_tp_repr, cl_transport_repr},
    {Py_tp_methods, Dgram_methods},
    {Py_tp_getset, Dgram_getset},
    {Py_tp_members, Dgram_members},
    {Py_tp_doc, "A UDP or Unix datagram socket transport (asyncio's "
                "_SelectorDatagramTransport, in C)."},
    {0, NULL}};

static PyType_Spec Dgram_spec = {
    .name = "cloop._cloop.DatagramTransport",
    .basicsize = sizeof(TransportObject),
    .flags = Py_TPFLAGS_DEFAULT | Py_TPFLAGS_HAVE_GC
             | Py_TPFLAGS_DISALLOW_INSTANTIATION,
    .slots = Dgram_slots,
};

int
cl_datagram_init_state(PyObject *module, cl_state *st)
{
    if (cl_transport_make_type(module, &Dgram_spec, "DatagramTransport",
                               &st->DatagramTransportType)
        < 0) {
        return -1;
    }
    PyObject *max = PyLong_FromLong(CL_READ_BUFSIZE);
    int rc = max ? PyObject_SetAttrString(
                 (PyObject *)st->DatagramTransportType, "max_size", max)
                 : -1;
    Py_XDECREF(max);
    return rc;
}
