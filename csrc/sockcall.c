/* sockcall.c: a stream transport's socket I/O through the socket object's
 * own methods (see sockcall.h). */
#include "common.h"
#include "net.h"
#include "sockcall.h"

/* Is name on sock's class the very attribute socket.socket has? 1/0/-1. */
static int
same_as_socket(cl_state *st, PyObject *sock, PyObject *name)
{
    PyObject *theirs = PyObject_GetAttr((PyObject *)Py_TYPE(sock), name);
    if (theirs == NULL) {
        return -1;
    }
    PyObject *ours = PyObject_GetAttr(st->socket_type, name);
    Py_XDECREF(ours);
    Py_DECREF(theirs);
    if (ours == NULL) {
        return -1;
    }
    return theirs == ours;
}

int
cl_sockcall_overrides(cl_state *st, PyObject *sock)
{
    if ((PyObject *)Py_TYPE(sock) == st->socket_type) {
        return 0;
    }
    /* Only socket.socket's subclasses: anything else (a mock, a wrapper)
     * goes by its fileno(), as before. */
    int sub = PyObject_IsSubclass((PyObject *)Py_TYPE(sock), st->socket_type);
    if (sub <= 0) {
        return sub;
    }
    PyObject *names[] = {st->str_recv, st->str_recv_into, st->str_send,
                         st->str_sendmsg};
    for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
        int same = same_as_socket(st, sock, names[i]);
        if (same <= 0) {
            return same < 0 ? -1 : 1;
        }
    }
    return 0;
}

/* The count a method returned (an int, or a bytes' length), or -2 / -1 as
 * sockcall.h says for a call that raised. Consumes res. */
static Py_ssize_t
call_result(PyObject *res)
{
    if (res == NULL) {
        return cl_net_clear_would_block() ? -2 : -1;
    }
    Py_ssize_t n = PyBytes_Check(res)
                       ? PyBytes_GET_SIZE(res)
                       : PyNumber_AsSsize_t(res, PyExc_OverflowError);
    Py_DECREF(res);
    return n;
}

Py_ssize_t
cl_sockcall_recv(cl_state *st, PyObject *sock, Py_ssize_t size,
                 PyObject **data)
{
    *data = NULL;
    PyObject *psize = PyLong_FromSsize_t(size);
    if (psize == NULL) {
        return -1;
    }
    PyObject *res = PyObject_CallMethodOneArg(sock, st->str_recv, psize);
    Py_DECREF(psize);
    if (res != NULL && !PyBytes_Check(res)) {
        PyErr_Format(PyExc_TypeError, "recv() returned %.200s, not bytes",
                     Py_TYPE(res)->tp_name);
        Py_CLEAR(res);
        return -1;
    }
    if (res != NULL && PyBytes_GET_SIZE(res) > 0) {
        *data = Py_NewRef(res);
    }
    return call_result(res);
}

Py_ssize_t
cl_sockcall_recv_into(cl_state *st, PyObject *sock, PyObject *buf)
{
    return call_result(
        PyObject_CallMethodOneArg(sock, st->str_recv_into, buf));
}

Py_ssize_t
cl_sockcall_send(cl_state *st, PyObject *sock, struct iovec *iov, int cnt,
                 int use_sendmsg)
{
    /* Copies, not views of the queue's memory: the method may keep what it
     * is given. This path is for sockets that meter or wrap their I/O. */
    int n = use_sendmsg ? cnt : 1;
    PyObject *bufs = PyList_New(n);
    if (bufs == NULL) {
        return -1;
    }
    for (int i = 0; i < n; i++) {
        PyObject *b = PyBytes_FromStringAndSize(iov[i].iov_base,
                                                (Py_ssize_t)iov[i].iov_len);
        if (b == NULL) {
            Py_DECREF(bufs);
            return -1;
        }
        PyList_SET_ITEM(bufs, i, b);
    }
    PyObject *res =
        use_sendmsg ? PyObject_CallMethodOneArg(sock, st->str_sendmsg, bufs)
                    : PyObject_CallMethodOneArg(sock, st->str_send,
                                                PyList_GET_ITEM(bufs, 0));
    Py_DECREF(bufs);
    return call_result(res);
}
