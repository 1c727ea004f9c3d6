/* net.h: setting up the networking part of the module state, and helpers
 * shared by the networking files (sock.c, transport.c, stream.c,
 * datagram.c, server.c).
 */
#ifndef CLOOP_NET_H
#define CLOOP_NET_H

#include "loop.h"

/* The networking types and objects (state.h) are filled in by net.c and
 * the files it calls (module.c calls it). */
int cl_net_init_state(PyObject *module, cl_state *st);

/* Is the pending exception BlockingIOError or InterruptedError, which
 * asyncio's socket paths take as "try again when the socket is ready"? If
 * so it is cleared and 1 returned; else it stays pending and 0. */
int cl_net_clear_would_block(void);

/* Calls asyncio's logger method (debug/warning) with a format string and
 * one object argument, e.g. ("%r pauses reading", transport). Logging
 * errors are written as unraisable. */
void cl_net_log(LoopObject *loop, PyObject *level, const char *fmt,
                PyObject *arg);

/* fut.set_result(value) / fut.set_exception(exc). 0 or -1. */
int cl_net_future_set(cl_state *st, PyObject *fut, PyObject *value,
                      int is_exception);

/* Is fut done? 1/0/-1. */
int cl_net_future_done(cl_state *st, PyObject *fut);

#endif /* CLOOP_NET_H */
