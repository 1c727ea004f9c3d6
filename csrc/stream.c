/* stream.c: the stream socket transport (asyncio's _SelectorSocketTransport).
 *
 * Reading: when the fd is readable the loop runs stream_read_ready, which
 * recv()s into the loop's one read buffer and hands the protocol an
 * exact-size bytes object (data_received), or recv()s straight into the
 * protocol's buffer (BufferedProtocol: get_buffer/buffer_updated).
 * Writing: write() sends at once and queues only what the kernel refused;
 * queued data is sent with one sendmsg() (a writev) per writable event,
 * and writelines() sends all its buffers with one sendmsg().
 *
 * Ownership: as transport.h. Queued data is a bytes object: bytes are
 * queued by reference, other buffers are copied when they must wait.
 */
#include <errno.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/uio.h>

#include "common.h"
#include "errors.h"
#include "sockcall.h"
#include "loop_io.h"
#include "stream.h"
#include "transport.h"

/* iovecs per sendmsg (Linux allows 1024). */
#define CL_IOV_MAX 256

#if CL_HAS_OWN_WRITELINES
#define MSG_WRITELINES_EOF "Cannot call writelines() after write_eof()"
#define MSG_WRITELINES_SENDFILE "unable to writelines; sendfile is in progress"
#else
/* 3.11's writelines is write(b''.join(...)). */
#define MSG_WRITELINES_EOF "Cannot call write() after write_eof()"
#define MSG_WRITELINES_SENDFILE "unable to write; sendfile is in progress"
#endif

/* ------------------------------------------------------------------ */
/* Reading                                                             */

static int
on_eof(TransportObject *t)
{
    if (t->loop != NULL && t->loop->debug) {
        cl_net_log(t->loop, t->state->str_debug, "%r received EOF",
                   (PyObject *)t);
    }
    PyObject *proto = Py_NewRef(t->protocol);
    PyObject *res =
        PyObject_CallMethodNoArgs(proto, t->state->str_eof_received);
    Py_DECREF(proto);
    if (res == NULL) {
        return cl_transport_fatal_error(
            t, "Fatal error: protocol.eof_received() call failed.");
    }
    int keep_open = PyObject_IsTrue(res);
    Py_DECREF(res);
    if (keep_open < 0) {
        return -1;
    }
    if (keep_open) {
        /* The protocol may still write; nothing more can be read. */
        cl_transport_stop_reading(t);
        return 0;
    }
    return cl_transport_close(t);
}

/* A recv()/send() result: the count, -2 when the socket would block, or
 * -1 with OSError. */
static ssize_t
io_result(ssize_t n)
{
    if (n >= 0) {
        return n;
    }
    if (errno == EAGAIN || errno == EWOULDBLOCK) {
        return -2;
    }
    PyErr_SetFromErrno(PyExc_OSError);
    return -1;
}

/* recv() with EINTR retried: the byte count, 0 at EOF, -2 when it would
 * block, -1 with OSError. */
static ssize_t
recv_some(int fd, void *buf, size_t len)
{
    ssize_t n;
    while ((n = recv(fd, buf, len, 0)) < 0 && errno == EINTR) {
        if (PyErr_CheckSignals() < 0) {
            return -1;
        }
    }
    return io_result(n);
}

/* Reads of at least CL_DIRECT_READ_MIN bytes switch a transport to direct
 * reads for its next CL_DIRECT_READ_SPAN reads: recv() straight into a
 * bytes object sized with FIONREAD, one ioctl instead of copying a big
 * chunk out of the shared buffer. A span rather than a flag because a big
 * message often arrives as a full segment and a short tail. */
#define CL_DIRECT_READ_SPAN 8

/* recv()s straight into a new bytes object of the size FIONREAD reports.
 * The byte count with *data set, -2 would block, -1 with an exception; 0
 * when nothing is pending (EOF or an error to come): the caller then reads
 * through the shared buffer, which reports those. */
static ssize_t
recv_direct(TransportObject *t, PyObject **data)
{
    int avail = 0;
    if (ioctl(t->fd, FIONREAD, &avail) < 0 || avail <= 0) {
        return 0;
    }
    size_t len = avail < CL_READ_BUFSIZE ? (size_t)avail : CL_READ_BUFSIZE;
    PyObject *bytes = PyBytes_FromStringAndSize(NULL, (Py_ssize_t)len);
    if (bytes == NULL) {
        return -1;
    }
    ssize_t n = recv_some(t->fd, PyBytes_AS_STRING(bytes), len);
    if (n <= 0) {
        Py_DECREF(bytes);
        return n;
    }
    if ((size_t)n < len && _PyBytes_Resize(&bytes, n) < 0) {
        return -1;
    }
    *data = bytes;
    return n;
}

/* One read as a new bytes object: the byte count with *data set, 0 at EOF,
 * -2 would block, -1 with an exception. */
static ssize_t
recv_bytes(TransportObject *t, LoopObject *loop, PyObject **data)
{
    *data = NULL;
    if (t->sock_calls) {
        return cl_sockcall_recv(t->state, t->sock, CL_READ_BUFSIZE, data);
    }
    if (t->direct_reads > 0) {
        t->direct_reads--;
        ssize_t n = recv_direct(t, data);
        if (n != 0) {
            if (n >= CL_DIRECT_READ_MIN) {
                t->direct_reads = CL_DIRECT_READ_SPAN;
            }
            return n;
        }
    }
    char *buf = cl_loop_io_readbuf(loop);
    if (buf == NULL) {
        return -1;
    }
    ssize_t n = recv_some(t->fd, buf, CL_READ_BUFSIZE);
    if (n > 0) {
        *data = PyBytes_FromStringAndSize(buf, n);
        if (*data == NULL) {
            return -1;
        }
        if (n >= CL_DIRECT_READ_MIN) {
            t->direct_reads = CL_DIRECT_READ_SPAN;
        }
    }
    return n;
}

static int
read_data(TransportObject *t, LoopObject *loop)
{
    PyObject *data;
    ssize_t n = recv_bytes(t, loop, &data);
    if (n == -2) {
        return 0;
    }
    if (n == -1) {
        if (PyErr_Occurred() && cl_err_is_fatal()) {
            return -1;
        }
        return cl_transport_fatal_error(
            t, "Fatal read error on socket transport");
    }
    if (n == 0) {
        return on_eof(t);
    }
    PyObject *proto = Py_NewRef(t->protocol);
    PyObject *res =
        PyObject_CallMethodOneArg(proto, t->state->str_data_received, data);
    Py_DECREF(proto);
    Py_DECREF(data);
    if (res == NULL) {
        return cl_transport_fatal_error(
            t, "Fatal error: protocol.data_received() call failed.");
    }
    Py_DECREF(res);
    return 0;
}

/* get_buffer(-1) as a writable view; 0, or -1 after the fatal error (or
 * with an exception that stops the loop). *ok tells whether view is set. */
static int
get_protocol_buffer(TransportObject *t, PyObject *proto, Py_buffer *view,
                    int *ok)
{
    static const char get_msg[] =
        "Fatal error: protocol.get_buffer() call failed.";
    *ok = 0;
    PyObject *size_hint = PyLong_FromLong(-1); /* a cached small int */
    PyObject *buf = size_hint == NULL
                        ? NULL
                        : PyObject_CallMethodOneArg(
                            proto, t->state->str_get_buffer, size_hint);
    Py_XDECREF(size_hint);
    if (buf == NULL) {
        return cl_transport_fatal_error(t, get_msg);
    }
    Py_ssize_t len = PyObject_Length(buf);
    if (len == 0) {
        PyErr_SetString(PyExc_RuntimeError,
                        "get_buffer() returned an empty buffer");
    }
    if (len <= 0) {
        Py_DECREF(buf);
        return cl_transport_fatal_error(t, get_msg);
    }
    int rc = PyObject_GetBuffer(buf, view, PyBUF_WRITABLE);
    if (rc < 0
        && (PyErr_ExceptionMatches(PyExc_BufferError)
            || PyErr_ExceptionMatches(PyExc_TypeError))) {
        /* What asyncio's sock.recv_into(buf) says of it. */
        PyErr_Format(PyExc_TypeError,
                     "recv_into() argument 1 must be read-write bytes-like "
                     "object, not %.200s",
                     Py_TYPE(buf)->tp_name);
    }
    Py_DECREF(buf);
    if (rc < 0) {
        return cl_transport_fatal_error(
            t, "Fatal read error on socket transport");
    }
    *ok = 1;
    return 0;
}

static int
read_buffered(TransportObject *t, LoopObject *loop)
{
    PyObject *proto = Py_NewRef(t->protocol);
    Py_buffer view;
    int ok, rc;
    rc = get_protocol_buffer(t, proto, &view, &ok);
    if (!ok) {
        Py_DECREF(proto);
        return rc;
    }
    ssize_t n = t->sock_calls
                    ? cl_sockcall_recv_into(t->state, t->sock, view.obj)
                    : recv_some(t->fd, view.buf, (size_t)view.len);
    PyBuffer_Release(&view);
    if (n == -2) {
        rc = 0;
    }
    else if (n == -1) {
        rc = (PyErr_Occurred() && cl_err_is_fatal())
                 ? -1
                 : cl_transport_fatal_error(
                     t, "Fatal read error on socket transport");
    }
    else if (n == 0) {
        rc = on_eof(t);
    }
    else {
        PyObject *nbytes = PyLong_FromSsize_t((Py_ssize_t)n);
        PyObject *res = nbytes == NULL
                            ? NULL
                            : PyObject_CallMethodOneArg(
                                proto, t->state->str_buffer_updated, nbytes);
        Py_XDECREF(nbytes);
        if (res == NULL) {
            rc = cl_transport_fatal_error(
                t, "Fatal error: protocol.buffer_updated() call failed.");
        }
        Py_XDECREF(res);
    }
    Py_DECREF(proto);
    return rc;
}

/* The ready-ring function of a readable fd. */
static int
stream_read_ready(LoopObject *loop, PyObject *obj, PyObject *unused)
{
    TransportObject *t = (TransportObject *)obj;
    if (t->conn_lost || !cl_transport_is_watching(t, CL_POLL_READ)) {
        return 0; /* paused or closed after the event was queued */
    }
    return cl_transport_run(t, loop, t->buffered ? read_buffered : read_data,
                            "_read_ready()");
}

/* ------------------------------------------------------------------ */
/* Writing                                                             */

static void
consume(TransportObject *t, Py_ssize_t n)
{
    t->wq.size -= n;
    while (n > 0 && t->wq.len > 0) {
        cl_wentry *e = cl_wqueue_at(&t->wq, 0);
        Py_ssize_t rest = PyBytes_GET_SIZE(e->data) - e->off;
        if (rest <= n) {
            n -= rest;
            cl_wqueue_popleft(&t->wq);
        }
        else {
            e->off += n;
            n = 0;
        }
    }
}

/* send() or sendmsg() with EINTR retried: bytes sent, -2 would block, -1
 * OSError. */
static ssize_t
send_iov_fd(int fd, struct iovec *iov, int cnt)
{
    struct msghdr msg = {0};
    msg.msg_iov = iov;
    msg.msg_iovlen = (size_t)cnt;
    ssize_t n;
    /* One buffer (every write()): send() skips sendmsg's copying in of the
     * message header and iovec. */
    while ((n = cnt == 1
                    ? send(fd, iov[0].iov_base, iov[0].iov_len, MSG_NOSIGNAL)
                    : sendmsg(fd, &msg, MSG_NOSIGNAL))
               < 0
           && errno == EINTR) {
        if (PyErr_CheckSignals() < 0) {
            return -1;
        }
    }
    return io_result(n);
}

/* What the transport sends with: its fd, or its socket's own send() or
 * sendmsg() (use_sendmsg: the one asyncio's method calls). */
static ssize_t
send_iov(TransportObject *t, struct iovec *iov, int cnt, int use_sendmsg)
{
    if (t->sock_calls) {
        return cl_sockcall_send(t->state, t->sock, iov, cnt, use_sendmsg);
    }
    return send_iov_fd(t->fd, iov, cnt);
}

/* Sends what the queue holds: 1 all sent, 0 some left, -1 error. */
static int
flush(TransportObject *t)
{
    struct iovec iov[CL_IOV_MAX];
    int cnt = 0;
    for (Py_ssize_t i = 0; i < t->wq.len && cnt < CL_IOV_MAX; i++) {
        cl_wentry *e = cl_wqueue_at(&t->wq, i);
        iov[cnt].iov_base = PyBytes_AS_STRING(e->data) + e->off;
        iov[cnt].iov_len = (size_t)(PyBytes_GET_SIZE(e->data) - e->off);
        cnt++;
    }
    /* asyncio's _write_ready: sendmsg() of the buffer (3.12), send() of
     * its bytearray (3.11). */
    ssize_t n = send_iov(t, iov, cnt, CL_STREAM_BUFFERS_VIEWS);
    if (n == -1) {
        return -1;
    }
    if (n == -2) {
        return 0;
    }
    consume(t, n);
    return t->wq.len == 0;
}

static int
shutdown_write(TransportObject *t)
{
    if (shutdown(t->fd, SHUT_WR) < 0) {
        PyErr_SetFromErrno(PyExc_OSError);
        return -1;
    }
    return 0;
}

static int
write_ready(TransportObject *t, LoopObject *unused)
{
    if (t->conn_lost) {
        return 0;
    }
    int r = flush(t);
    if (r < 0) {
        if (cl_err_is_fatal()) {
            return -1;
        }
        PyObject *exc = PyErr_GetRaisedException();
        cl_transport_stop_writing(t);
        cl_wqueue_clear(&t->wq);
        int rc = cl_transport_fatal_error_exc(
            t, exc, "Fatal write error on socket transport");
        if (rc == 0 && t->empty_waiter != NULL) {
            rc = cl_net_future_set(t->state, t->empty_waiter, exc, 1);
        }
        Py_DECREF(exc);
        return rc;
    }
    if (cl_transport_maybe_resume_protocol(t) < 0) {
        return -1;
    }
    if (t->wq.len > 0) {
        return 0;
    }
    cl_transport_stop_writing(t);
    if (t->empty_waiter != NULL
        && cl_net_future_set(t->state, t->empty_waiter, Py_None, 0) < 0) {
        return -1;
    }
    if (t->closing) {
        /* Drained after close(): connection_lost now, and only once
         * (a later abort() finds conn_lost set). */
        t->conn_lost++;
        return cl_transport_call_connection_lost(t, NULL);
    }
    if (t->eof) {
        return shutdown_write(t);
    }
    return 0;
}

/* The ready-ring function of a writable fd. */
static int
stream_write_ready(LoopObject *loop, PyObject *obj, PyObject *unused)
{
    TransportObject *t = (TransportObject *)obj;
    if (!cl_transport_is_watching(t, CL_POLL_WRITE)) {
        return 0;
    }
    return cl_transport_run(t, loop, write_ready, "_write_ready()");
}

/* Queues view[off:] of data. */
static int
queue_rest(TransportObject *t, PyObject *data, Py_buffer *view, Py_ssize_t off)
{
    PyObject *b;
    Py_ssize_t rest = view->len - off;
    if (PyBytes_CheckExact(data)) {
        b = Py_NewRef(data);
    }
    else {
        b = PyBytes_FromStringAndSize((char *)view->buf + off,
                                      view->len - off);
        if (b == NULL) {
            return -1;
        }
        off = 0;
    }
    if (cl_wqueue_push(&t->wq, b, off, NULL) < 0) {
        return -1;
    }
    t->wq.size += rest;
    return 0;
}

static int
check_writable(TransportObject *t, const char *eof_msg,
               const char *sendfile_msg)
{
    if (t->eof) {
        PyErr_SetString(PyExc_RuntimeError, eof_msg);
        return -1;
    }
    if (t->empty_waiter != NULL) {
        PyErr_SetString(PyExc_RuntimeError, sendfile_msg);
        return -1;
    }
    return 0;
}

static PyObject *
Stream_write(TransportObject *t, PyObject *data)
{
    if (!PyBytes_Check(data) && !PyByteArray_Check(data)
        && !PyMemoryView_Check(data)) {
        PyObject *name = PyType_GetName(Py_TYPE(data));
        if (name != NULL) {
            PyErr_Format(PyExc_TypeError, CL_STREAM_WRITE_TYPE_MSG, name);
            Py_DECREF(name);
        }
        return NULL;
    }
    if (check_writable(t, "Cannot call write() after write_eof()",
                       "unable to write; sendfile is in progress")
        < 0) {
        return NULL;
    }
    Py_buffer view;
    PyObject *copy, *unviewable;
    if (cl_transport_get_view(data, &view, &copy, &unviewable) < 0) {
        return NULL;
    }
    PyObject *given = data;
    if (copy != NULL) {
        data = copy;
    }
    int rc = 0;
    if (view.len == 0) {
        goto done;
    }
    if (t->conn_lost) {
        cl_transport_write_after_lost(t);
        goto done;
    }
    if (unviewable != NULL && t->wq.len > 0 && !CL_STREAM_BUFFERS_VIEWS) {
        /* 3.11 extends its bytearray buffer with it, which refuses it. */
        PyErr_Format(PyExc_TypeError, "can't set bytearray slice from %.100s",
                     Py_TYPE(given)->tp_name);
        rc = -1;
        goto done;
    }
    if (unviewable != NULL) {
        /* asyncio's send() of it fails: now, or when its turn comes. */
        rc = cl_transport_fatal_error_exc(
            t, unviewable, "Fatal write error on socket transport");
        goto done;
    }
    Py_ssize_t sent = 0;
    if (t->wq.len == 0) {
        struct iovec iov = {view.buf, (size_t)view.len};
        ssize_t n = send_iov(t, &iov, 1, 0);
        if (n == -1) {
            if (cl_err_is_fatal()
                || cl_transport_fatal_error(
                       t, "Fatal write error on socket transport")
                       < 0) {
                rc = -1;
            }
            goto done;
        }
        sent = n < 0 ? 0 : n;
        if (sent == view.len) {
            goto done;
        }
        /* Not all was written: watch for writability. */
        if (cl_transport_start_writing(t) < 0) {
            rc = -1;
            goto done;
        }
    }
    if (queue_rest(t, data, &view, sent) < 0) {
        rc = -1;
        goto done;
    }
    /* Released first: pause_writing() may resize the caller's bytearray. */
    PyBuffer_Release(&view);
    Py_XDECREF(copy);
    Py_XDECREF(unviewable);
    if (cl_transport_maybe_pause_protocol(t) < 0) {
        return NULL;
    }
    Py_RETURN_NONE;
done:
    PyBuffer_Release(&view);
    Py_XDECREF(copy);
    Py_XDECREF(unviewable);
    if (rc < 0) {
        return NULL;
    }
    Py_RETURN_NONE;
}

/* Buffers of the items of a sequence. */
typedef struct {
    PyObject *seq; /* owned PySequence_Fast result */
    Py_buffer *views;
    Py_ssize_t n; /* views acquired */
    Py_ssize_t total;
} buffer_list;

static void
buffer_list_release(buffer_list *bl)
{
    for (Py_ssize_t i = 0; i < bl->n; i++) {
        PyBuffer_Release(&bl->views[i]);
    }
    PyMem_Free(bl->views);
    Py_XDECREF(bl->seq);
}

/* The sequence of writelines(), with asyncio's error: 3.11 joins it
 * (b''.join), 3.12+ makes a list of memoryviews of it. New reference. */
static PyObject *
writelines_items(PyObject *iterable)
{
#if CL_HAS_OWN_WRITELINES
    return PyList_Check(iterable) || PyTuple_Check(iterable)
               ? Py_NewRef(iterable)
               : PySequence_List(iterable);
#else
    return PySequence_Fast(iterable, "can only join an iterable");
#endif
}

/* An item that has no bytes-like view: the error asyncio's b''.join (3.11)
 * or memoryview() (3.12+) raises for it. 1 when asyncio takes it and its
 * send fails later (a strided memoryview, 3.12+): the BufferError is left
 * set. Otherwise -1. */
static int
writelines_bad_item(PyObject *item, Py_ssize_t i)
{
#if CL_HAS_OWN_WRITELINES
    if (PyErr_ExceptionMatches(PyExc_BufferError)) {
        return 1;
    }
    if (PyErr_ExceptionMatches(PyExc_TypeError)) {
        PyErr_Format(
            PyExc_TypeError,
            "memoryview: a bytes-like object is required, not '%.200s'",
            Py_TYPE(item)->tp_name);
    }
#else
    if (PyErr_ExceptionMatches(PyExc_BufferError)
        || PyErr_ExceptionMatches(PyExc_TypeError)) {
        PyErr_Format(PyExc_TypeError,
                     "sequence item %zd: expected a bytes-like object, "
                     "%.80s found",
                     i, Py_TYPE(item)->tp_name);
    }
#endif
    return -1;
}

/* 0 with bl filled, -1 with an exception, or 1 with the BufferError of an
 * item whose send fails in asyncio (see writelines_bad_item). */
static int
buffer_list_get(buffer_list *bl, PyObject *iterable)
{
    memset(bl, 0, sizeof(*bl));
    bl->seq = writelines_items(iterable);
    if (bl->seq == NULL) {
        return -1;
    }
    Py_ssize_t size = PySequence_Fast_GET_SIZE(bl->seq);
    bl->views = PyMem_Calloc(size ? (size_t)size : 1, sizeof(Py_buffer));
    if (bl->views == NULL) {
        PyErr_NoMemory();
        return -1;
    }
    PyObject **items = PySequence_Fast_ITEMS(bl->seq);
    for (Py_ssize_t i = 0; i < size; i++) {
        if (PyObject_GetBuffer(items[i], &bl->views[i], PyBUF_SIMPLE) < 0) {
            return writelines_bad_item(items[i], i);
        }
        bl->n++;
        bl->total += bl->views[i].len;
    }
    return 0;
}

/* Sends what it can of bl with one sendmsg(); *idx and *off tell where the
 * unsent part starts. 0, or -1 with OSError. */
static int
send_list(TransportObject *t, buffer_list *bl, Py_ssize_t *idx,
          Py_ssize_t *off)
{
    struct iovec iov[CL_IOV_MAX];
    int cnt = 0;
    for (Py_ssize_t i = 0; i < bl->n && cnt < CL_IOV_MAX; i++) {
        if (bl->views[i].len > 0) {
            iov[cnt].iov_base = bl->views[i].buf;
            iov[cnt].iov_len = (size_t)bl->views[i].len;
            cnt++;
        }
    }
    *idx = 0;
    *off = 0;
    /* 3.12's writelines goes through _write_ready (sendmsg), 3.11's is a
     * write() of the joined data (send). */
    ssize_t n = cnt ? send_iov(t, iov, cnt, CL_HAS_OWN_WRITELINES) : 0;
    if (n == -1) {
        return -1;
    }
    if (n < 0) {
        n = 0;
    }
    while (*idx < bl->n && n >= bl->views[*idx].len) {
        n -= bl->views[*idx].len;
        (*idx)++;
    }
    *off = n;
    return 0;
}

static PyObject *
Stream_writelines(TransportObject *t, PyObject *list_of_data)
{
    if (check_writable(t, MSG_WRITELINES_EOF, MSG_WRITELINES_SENDFILE) < 0) {
        return NULL;
    }
#if CL_HAS_OWN_WRITELINES
    int given = PyObject_IsTrue(list_of_data); /* asyncio: not list_of_data */
    if (given <= 0) {
        return given < 0 ? NULL : Py_NewRef(Py_None);
    }
#endif
    buffer_list bl;
    int got = buffer_list_get(&bl, list_of_data);
    if (got < 0) {
        buffer_list_release(&bl);
        return NULL;
    }
    PyObject *res = NULL;
    if (got == 0 && bl.total == 0) {
        goto ok;
    }
    if (t->conn_lost) {
        PyErr_Clear(); /* got == 1: asyncio sends nothing after the loss */
        cl_transport_write_after_lost(t);
        goto ok;
    }
    if (got == 1) {
        /* asyncio's sendmsg() of it fails: now, or when its turn comes. */
        if (cl_transport_fatal_error(t,
                                     "Fatal write error on socket transport")
            < 0) {
            goto done;
        }
        goto ok;
    }
    Py_ssize_t idx = 0, off = 0;
    if (t->wq.len == 0) {
        if (send_list(t, &bl, &idx, &off) < 0) {
            if (cl_err_is_fatal()
                || cl_transport_fatal_error(
                       t, "Fatal write error on socket transport")
                       < 0) {
                goto done;
            }
            goto ok;
        }
        if (idx == bl.n) {
            goto ok;
        }
        if (cl_transport_start_writing(t) < 0) {
            goto done;
        }
    }
    PyObject **items = PySequence_Fast_ITEMS(bl.seq);
    for (; idx < bl.n; idx++, off = 0) {
        if (bl.views[idx].len > off
            && queue_rest(t, items[idx], &bl.views[idx], off) < 0) {
            goto done;
        }
    }
    buffer_list_release(&bl);
    if (cl_transport_maybe_pause_protocol(t) < 0) {
        return NULL;
    }
    Py_RETURN_NONE;
ok:
    res = Py_NewRef(Py_None);
done:
    buffer_list_release(&bl);
    return res;
}

static PyObject *
Stream_write_eof(TransportObject *t, PyObject *unused)
{
    if (t->closing || t->eof) {
        Py_RETURN_NONE;
    }
    t->eof = 1;
    if (t->wq.len == 0 && shutdown_write(t) < 0) {
        return NULL;
    }
    Py_RETURN_NONE;
}

static PyObject *
Stream_can_write_eof(TransportObject *t, PyObject *unused)
{
    Py_RETURN_TRUE;
}

static int
set_protocol(TransportObject *t, PyObject *protocol)
{
    int b = PyObject_IsInstance(protocol, t->state->BufferedProtocol);
    if (b < 0) {
        return -1;
    }
    t->buffered = (char)b;
    Py_XSETREF(t->protocol, Py_NewRef(protocol));
    t->protocol_connected = 1;
    return 0;
}

static PyObject *
Stream_set_protocol(TransportObject *t, PyObject *protocol)
{
    if (set_protocol(t, protocol) < 0) {
        return NULL;
    }
    Py_RETURN_NONE;
}

static PyObject *
Stream__make_empty_waiter(TransportObject *t, PyObject *unused)
{
    if (t->empty_waiter != NULL) {
        PyErr_SetString(PyExc_RuntimeError, "Empty waiter is already set");
        return NULL;
    }
    if (t->loop == NULL) {
        PyErr_SetString(PyExc_RuntimeError, "the transport is closed");
        return NULL;
    }
    PyObject *fut = PyObject_CallMethodNoArgs((PyObject *)t->loop,
                                              t->state->str_create_future);
    if (fut == NULL) {
        return NULL;
    }
    if (t->wq.len == 0 && cl_net_future_set(t->state, fut, Py_None, 0) < 0) {
        Py_DECREF(fut);
        return NULL;
    }
    t->empty_waiter = Py_NewRef(fut);
    return fut;
}

static PyObject *
Stream__reset_empty_waiter(TransportObject *t, PyObject *unused)
{
    Py_CLEAR(t->empty_waiter);
    Py_RETURN_NONE;
}

PyObject *
cl_stream_create(LoopObject *loop, PyObject *sock, PyObject *protocol,
                 PyObject *waiter, PyObject *extra, PyObject *server,
                 PyObject *context)
{
    TransportObject *t = cl_transport_alloc(loop->state->SocketTransportType);
    if (t == NULL) {
        return NULL;
    }
    t->read_fn = stream_read_ready;
    t->write_fn = stream_write_ready;
    int overrides = cl_sockcall_overrides(loop->state, sock);
    t->sock_calls = overrides > 0;
    if (overrides < 0
        || cl_transport_setup(t, loop, sock, protocol, extra, server, context)
               < 0
        || set_protocol(t, protocol) < 0
        || cl_transport_start(t, waiter) < 0) {
        /* The caller still owns the socket: no unclosed-transport warning. */
        Py_CLEAR(t->sock);
        (void)cl_transport_clear(t);
        Py_DECREF(t);
        return NULL;
    }
    return (PyObject *)t;
}

/* SocketTransport._create(loop, sock, protocol, waiter=None, extra=None,
 * server=None, context=None): what asyncio's _SelectorSocketTransport(...)
 * does. */
static PyObject *
Stream__create(PyObject *type, PyObject *const *args, Py_ssize_t nargs)
{
    if (nargs < 3 || nargs > 7) {
        PyErr_SetString(PyExc_TypeError,
                        "_create(loop, sock, protocol, waiter=None, "
                        "extra=None, server=None, context=None)");
        return NULL;
    }
    PyObject *context = nargs > 6 ? args[6] : Py_None;
    if (context != Py_None && !PyContext_CheckExact(context)) {
        PyErr_Format(PyExc_TypeError,
                     "context must be a contextvars.Context, not %.200s",
                     Py_TYPE(context)->tp_name);
        return NULL;
    }
    LoopObject *loop = cl_transport_loop_arg(args[0]);
    if (loop == NULL || cl_loop_check_closed(loop) < 0) {
        return NULL;
    }
    return cl_stream_create(
        loop, args[1], args[2], nargs > 3 ? args[3] : Py_None,
        nargs > 4 ? args[4] : Py_None, nargs > 5 ? args[5] : Py_None, context);
}

static PyMethodDef Stream_methods[] = {
    CL_TRANSPORT_METHODS{"write", (PyCFunction)Stream_write, METH_O, NULL},
    {"writelines", (PyCFunction)Stream_writelines, METH_O, NULL},
    {"write_eof", (PyCFunction)Stream_write_eof, METH_NOARGS, NULL},
    {"can_write_eof", (PyCFunction)Stream_can_write_eof, METH_NOARGS, NULL},
    {"set_protocol", (PyCFunction)Stream_set_protocol, METH_O, NULL},
    {"_make_empty_waiter", (PyCFunction)Stream__make_empty_waiter, METH_NOARGS,
     NULL},
    {"_reset_empty_waiter", (PyCFunction)Stream__reset_empty_waiter,
     METH_NOARGS, NULL},
    {"_create", (PyCFunction)(void (*)(void))Stream__create,
     METH_FASTCALL | METH_STATIC, NULL},
    {NULL}};

static PyObject *
Stream_get_eof(TransportObject *t, void *c)
{
    return PyBool_FromLong(t->eof);
}

static PyObject *
Stream_get_empty_waiter(TransportObject *t, void *c)
{
    return Py_NewRef(t->empty_waiter ? t->empty_waiter : Py_None);
}

static PyGetSetDef Stream_getset[] = {
    CL_TRANSPORT_GETSET{"_eof", (getter)Stream_get_eof, NULL, NULL},
    {"_empty_waiter", (getter)Stream_get_empty_waiter, NULL, NULL},
    {NULL}};

static PyMemberDef Stream_members[] = {CL_TRANSPORT_MEMBERS{NULL}};

static PyType_Slot Stream_slots[] = {
    {Py_tp_dealloc, cl_transport_dealloc},
    {Py_tp_traverse, cl_transport_traverse},
    {Py_tp_clear, cl_transport_clear},
    {Py_tp_finalize, cl_transport_finalize},
    {Py_tp_repr, cl_transport_repr},
    {Py_tp_methods, Stream_methods},
    {Py_tp_getset, Stream_getset},
    {Py_tp_members, Stream_members},
    {Py_tp_doc, "A TCP or Unix stream socket transport (asyncio's "
                "_SelectorSocketTransport, in C)."},
    {0, NULL}};

static PyType_Spec Stream_spec = {
    .name = "cloop._cloop.SocketTransport",
    .basicsize = sizeof(TransportObject),
    .flags = Py_TPFLAGS_DEFAULT | Py_TPFLAGS_HAVE_GC
             | Py_TPFLAGS_DISALLOW_INSTANTIATION,
    .slots = Stream_slots,
};

int
cl_stream_init_state(PyObject *module, cl_state *st)
{
    if (cl_transport_make_type(module, &Stream_spec, "Transport",
                               &st->SocketTransportType)
        < 0) {
        return -1;
    }
    PyObject *tp = (PyObject *)st->SocketTransportType;
    PyObject *consts = PyImport_ImportModule("asyncio.constants");
    if (consts == NULL) {
        return -1;
    }
    PyObject *mode = PyObject_GetAttrString(consts, "_SendfileMode");
    PyObject *native =
        mode ? PyObject_GetAttrString(mode, "TRY_NATIVE") : NULL;
    Py_DECREF(consts);
    Py_XDECREF(mode);
    int rc = -1;
    if (native != NULL
        && PyObject_SetAttrString(tp, "_sendfile_compatible", native) == 0
        && PyObject_SetAttrString(tp, "_start_tls_compatible", Py_True) == 0) {
        PyObject *max = PyLong_FromLong(CL_READ_BUFSIZE);
        rc =
            (max && PyObject_SetAttrString(tp, "max_size", max) == 0) ? 0 : -1;
        Py_XDECREF(max);
    }
    Py_XDECREF(native);
    return rc;
}
