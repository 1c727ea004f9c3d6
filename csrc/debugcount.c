/* debugcount.c: _cloop._debug_counts(), the reader of the CLOOP_DEBUG
 * live-object counters (see debugcount.h). The counting itself is the
 * CL_DEBUG_COUNT macro at the allocation and release sites. */
#include "debugcount.h"

#ifdef CLOOP_DEBUG
cl_debug_counts cl_debug_live;
#endif

PyObject *
cl_debug_counts_get(PyObject *module, PyObject *unused)
{
#ifdef CLOOP_DEBUG
    return Py_BuildValue("{snsnsn}", "handles", cl_debug_live.handles,
                         "transports", cl_debug_live.transports, "watchers",
                         cl_debug_live.watchers);
#else
    Py_RETURN_NONE;
#endif
}
