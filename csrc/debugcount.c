/* debugcount.c: _cloop._debug_counts(), the reader of the CLOOP_DEBUG
 * live-object counters (see debugcount.h). The counting itself is the
 * CL_DEBUG_COUNT macro at the allocation and release sites. */
#include "debugcount.h"
#include "state.h"

PyObject *
cl_debug_counts_get(PyObject *module, PyObject *unused)
{
#ifdef CLOOP_DEBUG
    cl_state *st = (cl_state *)PyModule_GetState(module);
    return Py_BuildValue("{snsnsn}", "handles", st->debug.handles,
                         "transports", st->debug.transports, "watchers",
                         st->debug.watchers);
#else
    Py_RETURN_NONE;
#endif
}
