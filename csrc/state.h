/* state.h: the one module-state struct of cloop._cloop.
 *
 * Everything the C core caches lives here: its heap types, the asyncio
 * functions it calls, and interned attribute names. Objects that need the
 * state keep a borrowed pointer to it (the loop keeps the module alive
 * through its type). Each file adds the fields it needs and fills them in
 * its cl_<file>_init_state function, called from module.c.
 */
#ifndef CLOOP_STATE_H
#define CLOOP_STATE_H

#include "compat.h"

typedef struct cl_state {
    /* Heap types, owned. */
    PyTypeObject *LoopType;
    PyTypeObject *HandleType;
    PyTypeObject *TimerHandleType;
    struct cl_net_state *net;  /* owned by net.c: the networking part */

    /* asyncio pieces, owned. */
    PyObject *format_callback_source; /* format_helpers._format_callback_source */
    PyObject *extract_stack;          /* format_helpers.extract_stack */

    /* Interned names, owned. */
    PyObject *str_call_exception_handler;
    PyObject *str_check_callback;
    PyObject *str_log_slow_callback;
    PyObject *str_message;
    PyObject *str_exception;
    PyObject *str_handle;
    PyObject *str_source_traceback;
    PyObject *str_fileno;
} cl_state;

/* The state of the module that defined the type of obj (for objects whose
 * type comes from this module or a subclass of one). Borrowed. */
cl_state *cl_state_from_type(PyTypeObject *tp);

#endif /* CLOOP_STATE_H */
