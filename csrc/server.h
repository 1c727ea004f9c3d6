/* server.h: the accept loop of listening sockets (loop._start_serving). */
#ifndef CLOOP_SERVER_H
#define CLOOP_SERVER_H

#include "loop.h"

int cl_server_init_state(PyObject *module, cl_state *st);

PyObject *Loop__start_serving_c(LoopObject *, PyObject *const *, Py_ssize_t);

/* clang-format off */
#define CL_SERVER_METHODS                                                   \
    {"_start_serving_c", (PyCFunction)(void (*)(void))Loop__start_serving_c,\
     METH_FASTCALL,                                                         \
     "_start_serving_c(protocol_factory, sock, server, backlog, family, "   \
     "type, proto, context): accept plain connections in C"},
/* clang-format on */

#endif /* CLOOP_SERVER_H */
