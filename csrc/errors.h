/* errors.h: how the C core reports an exception that no caller can take.
 *
 * asyncio's rule, written once: KeyboardInterrupt and SystemExit stop the
 * loop; any other exception from a callback, a transport or a finalizer
 * goes to loop.call_exception_handler(context) as a context dict; if even
 * that fails, it is written as unraisable. Every such report in csrc/ goes
 * through this file.
 */
#ifndef CLOOP_ERRORS_H
#define CLOOP_ERRORS_H

#include "compat.h"

/* Does the pending exception stop the loop (KeyboardInterrupt, SystemExit)?
 * asyncio lets these two escape from callbacks. */
int cl_err_is_fatal(void);

/* Raises the pending exception with prev as its __context__ (as an
 * exception raised in a finally block would be); with no pending exception
 * prev itself is raised again. Steals prev (may be NULL). */
void cl_err_chain(PyObject *prev);

/* asyncio's context dict: {"message": message, key: value, ...} for the
 * (const char *key, PyObject *value) pairs that follow, up to a NULL key; a
 * NULL value leaves its key out. Steals message; NULL message (its
 * building failed) or failure: NULL with an exception set. */
PyObject *cl_err_context(PyObject *message, ...);

/* The pending exception, written as unraisable for culprit: 0; or, for
 * KeyboardInterrupt/SystemExit, left pending: -1. */
int cl_err_unraisable(PyObject *culprit);

/* Hands ctx to loop.call_exception_handler. Steals ctx; NULL means its
 * building failed, with the exception pending. When the handler (or the
 * building) fails, the failure goes to cl_err_unraisable(culprit). */
int cl_err_call_handler(PyObject *loop, PyObject *ctx, PyObject *culprit);

/* The pending exception of callback fn(*args) (nargs of them) that handle
 * ran, reported as asyncio's Handle._run reports it: the message
 * 'Exception in callback <source>' (format_source is asyncio's
 * format_helpers._format_callback_source), the exception, the handle and
 * source_tb, the handle's creation traceback (may be NULL), when it is not
 * empty. -1 for a fatal exception. */
int cl_err_report_callback(PyObject *loop, PyObject *format_source,
                           PyObject *handle, PyObject *fn,
                           PyObject *const *args, Py_ssize_t nargs,
                           PyObject *source_tb);

/* The pending exception of one of the loop's own steps, as asyncio reports
 * it: 'Exception in callback <what>', the exception, and key: obj when obj
 * is not NULL (the transport, say). -1 for a fatal exception. */
int cl_err_report(PyObject *loop, const char *what, const char *key,
                  PyObject *obj);

#endif /* CLOOP_ERRORS_H */
