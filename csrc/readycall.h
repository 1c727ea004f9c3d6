/* readycall.h: calling Python from C entries of the ready ring. */
#ifndef CLOOP_READYCALL_H
#define CLOOP_READYCALL_H

#include "loop.h"

/* The debug-mode thread check asyncio's call_soon makes: RuntimeError and
 * -1 when the loop runs in another thread, else 0. */
int cl_readycall_check_thread(LoopObject *loop);

/* loop.call_soon(fn, arg, context=ctx) through vectorcall (arg may be
 * NULL: call_soon(fn, context=ctx)), for loops that are not cloop's.
 * Borrows everything. 0 or -1. */
int cl_readycall_call_soon(cl_state *st, PyObject *loop, PyObject *fn,
                           PyObject *arg, PyObject *ctx);

/* For a C ready entry that failed with the pending exception: sends it to
 * the loop's exception handler as asyncio's Handle would for the call
 * fn(*args) in ctx ('Exception in callback ...', with a Handle under
 * 'handle'; ctx NULL means the current context). Returns -1 (exception
 * kept) only for KeyboardInterrupt and SystemExit, else 0. */
int cl_readycall_report_error(LoopObject *loop, PyObject *fn,
                              PyObject *const *args, Py_ssize_t nargs,
                              PyObject *ctx);

/* The ready-ring function (cl_ready_fn) of a done-callback: `pair` is a
 * (fn, context) tuple; runs fn(obj) inside context. */
int cl_readycall_run_pair(LoopObject *loop, PyObject *obj, PyObject *pair);

/* Runs fn(fut) inside ctx as a ready entry: a failure goes to the loop's
 * exception handler. Borrows everything; 0, or -1 only for
 * KeyboardInterrupt and SystemExit. */
int cl_readycall_run_in_context(LoopObject *loop, PyObject *fn, PyObject *fut,
                                PyObject *ctx);

#endif /* CLOOP_READYCALL_H */
