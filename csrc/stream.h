/* stream.h: the TCP/Unix stream transport (cloop._cloop.SocketTransport). */
#ifndef CLOOP_STREAM_H
#define CLOOP_STREAM_H

#include "loop.h"

int cl_stream_init_state(PyObject *module, cl_state *st);

/* A new stream transport on sock (asyncio's _SelectorSocketTransport(loop,
 * sock, protocol, waiter, extra, server, context)): connection_made,
 * reading and the waiter follow with the loop's next iteration, all in
 * context (borrowed Context; NULL or None: a copy of the current one). The
 * loop must not be closed. New reference, or NULL (the caller still owns
 * sock). */
PyObject *cl_stream_create(LoopObject *loop, PyObject *sock,
                           PyObject *protocol, PyObject *waiter,
                           PyObject *extra, PyObject *server,
                           PyObject *context);

#endif /* CLOOP_STREAM_H */
