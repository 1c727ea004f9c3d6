/* sock.h: the loop's sock_* methods (sock_recv, sock_sendall, ...).
 *
 * Each tries the system call at once and waits on epoll only when it would
 * block; the Python coroutines in cloop/_net.py await the Future these
 * return in that case.
 */
#ifndef CLOOP_SOCK_H
#define CLOOP_SOCK_H

#include "loop.h"

int cl_sock_init_state(PyObject *module, cl_state *st);

PyObject *Loop__sock_check(LoopObject *, PyObject *);
PyObject *Loop__sock_recv(LoopObject *, PyObject *const *, Py_ssize_t);
PyObject *Loop__sock_recv_into(LoopObject *, PyObject *const *, Py_ssize_t);
PyObject *Loop__sock_recvfrom(LoopObject *, PyObject *const *, Py_ssize_t);
PyObject *Loop__sock_recvfrom_into(LoopObject *, PyObject *const *,
                                   Py_ssize_t);
PyObject *Loop__sock_sendall(LoopObject *, PyObject *const *, Py_ssize_t);
PyObject *Loop__sock_sendto(LoopObject *, PyObject *const *, Py_ssize_t);
PyObject *Loop__sock_connect(LoopObject *, PyObject *const *, Py_ssize_t);
PyObject *Loop__sock_accept(LoopObject *, PyObject *);

#define CL_SOCK_FASTCALL(name, fn, doc)                                       \
    {name, (PyCFunction)(void (*)(void))fn, METH_FASTCALL, doc},

/* Each returns the result when the call did not block, else a Future. */
/* clang-format off */
#define CL_SOCK_METHODS                                                     \
    {"_sock_check", (PyCFunction)Loop__sock_check, METH_O,                  \
     "asyncio's checks of a socket passed to sock_*()"},                    \
    CL_SOCK_FASTCALL("_sock_recv", Loop__sock_recv, NULL)                   \
    CL_SOCK_FASTCALL("_sock_recv_into", Loop__sock_recv_into, NULL)         \
    CL_SOCK_FASTCALL("_sock_recvfrom", Loop__sock_recvfrom, NULL)           \
    CL_SOCK_FASTCALL("_sock_recvfrom_into", Loop__sock_recvfrom_into, NULL) \
    CL_SOCK_FASTCALL("_sock_sendall", Loop__sock_sendall, NULL)             \
    CL_SOCK_FASTCALL("_sock_sendto", Loop__sock_sendto, NULL)               \
    CL_SOCK_FASTCALL("_sock_connect", Loop__sock_connect, NULL)             \
    {"_sock_accept", (PyCFunction)Loop__sock_accept, METH_O, NULL},
/* clang-format on */

#endif /* CLOOP_SOCK_H */
