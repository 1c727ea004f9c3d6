/* sockcall.h: a stream transport's socket I/O through the socket object's
 * own methods.
 *
 * asyncio's transports call self._sock.recv(), recv_into(), send() and
 * sendmsg(); cloop's go to the fd. The two agree for socket.socket, and for
 * a subclass that leaves those methods alone. A subclass that overrides one
 * (websockets' tests count the calls; a wrapper may meter or log traffic)
 * gets its methods called, as on asyncio. Each function here returns what
 * the fd-level call in stream.c would: a byte count (0 at EOF), -2 when the
 * call would block (BlockingIOError, InterruptedError), or -1 with the
 * exception the method raised.
 */
#ifndef CLOOP_SOCKCALL_H
#define CLOOP_SOCKCALL_H

#include <sys/uio.h>

#include "net.h"

/* 1 if sock's class is a subclass of socket.socket that overrides recv,
 * recv_into, send or sendmsg, 0 if not (socket.socket itself, and objects
 * of other classes), -1 on error. */
int cl_sockcall_overrides(cl_state *st, PyObject *sock);

/* sock.recv(size), into *data (a new bytes, when the count is > 0). */
Py_ssize_t cl_sockcall_recv(cl_state *st, PyObject *sock, Py_ssize_t size,
                            PyObject **data);

/* sock.recv_into(buf): buf is the protocol's get_buffer() result. */
Py_ssize_t cl_sockcall_recv_into(cl_state *st, PyObject *sock, PyObject *buf);

/* sock.send(bytes) of iov[0], or sock.sendmsg([bytes, ...]) of all cnt
 * when use_sendmsg, as the asyncio method being matched does. */
Py_ssize_t cl_sockcall_send(cl_state *st, PyObject *sock, struct iovec *iov,
                            int cnt, int use_sendmsg);

#endif /* CLOOP_SOCKCALL_H */
