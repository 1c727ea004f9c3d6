/* debugcount.h: live-object counters of CLOOP_DEBUG builds.
 *
 * A debug build (CLOOP_DEBUG=1, which the sanitizer build implies) counts
 * the C objects whose leaks would go unnoticed otherwise: Handles and
 * TimerHandles, transports, and entries of the loops' watcher tables. The
 * test suite reads them with _cloop._debug_counts() before and after each
 * test and fails a test after which they do not come back to where they
 * were. In other builds the macro compiles to nothing and _debug_counts()
 * returns None.
 *
 * The counters are process-wide, not in the module state: objects are
 * released at interpreter exit after the module and its state are gone (a
 * garbage cycle holding a loop, its type and the module is cleared in any
 * order), and a release site must not read freed memory. A debug aid only:
 * interpreters of one process share the counts.
 */
#ifndef CLOOP_DEBUGCOUNT_H
#define CLOOP_DEBUGCOUNT_H

#include "compat.h"

typedef struct {
    Py_ssize_t handles;    /* Handle and TimerHandle objects alive */
    Py_ssize_t transports; /* stream and datagram transports alive */
    Py_ssize_t watchers;   /* readers + writers in every loop's table */
} cl_debug_counts;

#ifdef CLOOP_DEBUG
extern cl_debug_counts cl_debug_live;
#define CL_DEBUG_COUNT(field, delta) (cl_debug_live.field += (delta))
#else
#define CL_DEBUG_COUNT(field, delta) ((void)0)
#endif

/* _cloop._debug_counts(): a dict of the counters, or None. */
PyObject *cl_debug_counts_get(PyObject *module, PyObject *unused);

/* clang-format off */
#define CL_DEBUGCOUNT_METHODS                                               \
    {"_debug_counts", cl_debug_counts_get, METH_NOARGS,                     \
     "Live handles, transports and watchers (CLOOP_DEBUG builds), or None."},
/* clang-format on */

#endif /* CLOOP_DEBUGCOUNT_H */
