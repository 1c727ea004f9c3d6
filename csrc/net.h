/* net.h: the networking part of the module state, and helpers shared by
 * the networking files (sock.c, transport.c, stream.c, datagram.c).
 *
 * The networking types and the asyncio/socket objects they use live in one
 * struct that cl_state points to (state.h: `net`), so that the networking
 * files add a single field to the shared state.
 */
#ifndef CLOOP_NET_H
#define CLOOP_NET_H

#include "loop.h"

/* Interned names the networking code calls or looks up. */
/* An X-macro list, laid out by hand. */
/* clang-format off */
#define CL_NET_STRINGS(X)                                                   \
    X(create_future) X(set_result) X(set_exception) X(done) X(cancelled)    \
    X(add_done_callback) X(fileno) X(gettimeout) X(accept) X(setblocking)   \
    X(connect) X(recv) X(recv_into) X(recvfrom) X(recvfrom_into) X(send)    \
    X(sendto) X(close) X(shutdown) X(getsockname) X(getpeername)            \
    X(connection_made) X(connection_lost) X(data_received)                  \
    X(eof_received) X(get_buffer) X(buffer_updated) X(pause_writing)        \
    X(resume_writing) X(datagram_received) X(error_received) X(debug)       \
    X(warning) X(_attach) X(_detach) X(transport) X(protocol) X(socket)     \
    X(sockname) X(peername) X(is_closing) X(sendmsg)
/* clang-format on */

typedef struct cl_net_state {
    PyTypeObject *SockOpType;
    PyTypeObject *SocketTransportType;
    PyTypeObject *DatagramTransportType;
    PyTypeObject *AcceptorType;
    PyObject *socket_type;      /* socket.socket */
    PyObject *ssl_socket_type;  /* ssl.SSLSocket, or None without ssl */
    PyObject *TransportSocket;  /* asyncio.trsock.TransportSocket */
    PyObject *BufferedProtocol; /* asyncio.BufferedProtocol */
    PyObject *logger;           /* asyncio.log.logger */
#define CL_NET_STR_FIELD(name) PyObject *str_##name;
    CL_NET_STRINGS(CL_NET_STR_FIELD)
#undef CL_NET_STR_FIELD
} cl_net_state;

/* Module-state hooks (module.c). */
int cl_net_init_state(PyObject *module, cl_state *st);
int cl_net_traverse_state(cl_state *st, visitproc visit, void *arg);
void cl_net_clear_state(cl_state *st);

/* The networking state of a loop. Borrowed. */
static inline cl_net_state *
cl_net(LoopObject *loop)
{
    return loop->state->net;
}

/* Calls asyncio's logger method (debug/warning) with a format string and
 * one object argument, e.g. ("%r pauses reading", transport). Logging
 * errors are written as unraisable. */
void cl_net_log(LoopObject *loop, PyObject *level, const char *fmt,
                PyObject *arg);

/* fut.set_result(value) / fut.set_exception(exc). 0 or -1. */
int cl_net_future_set(cl_net_state *ns, PyObject *fut, PyObject *value,
                      int is_exception);

/* Is fut done? 1/0/-1. */
int cl_net_future_done(cl_net_state *ns, PyObject *fut);

#endif /* CLOOP_NET_H */
