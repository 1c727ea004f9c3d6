/* stream.h: the TCP/Unix stream transport (cloop._cloop.SocketTransport). */
#ifndef CLOOP_STREAM_H
#define CLOOP_STREAM_H

#include "state.h"

int cl_stream_init_state(PyObject *module, cl_state *st);

#endif /* CLOOP_STREAM_H */
