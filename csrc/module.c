/* module.c: cloop._cloop, multi-phase init and the module state.
 *
 * Owns the module state (state.h): each file's types and cached objects are
 * created by its cl_<file>_init_state function from module_exec, and
 * released here in traverse/clear.
 */
#include "common.h"
#include "asyncio_base.h"
#include "debugcount.h"
#include "handle.h"
#include "loop.h"
#include "task.h"
#include "net.h"
#include "state.h"

static struct PyModuleDef cloop_module;

cl_state *
cl_state_from_type(PyTypeObject *tp)
{
    PyObject *mod = PyType_GetModuleByDef(tp, &cloop_module);
    if (mod == NULL) {
        return NULL;
    }
    return (cl_state *)PyModule_GetState(mod);
}

static cl_state *
get_state(PyObject *module)
{
    return (cl_state *)PyModule_GetState(module);
}

static int
import_asyncio_helpers(cl_state *st)
{
    PyObject *fh = PyImport_ImportModule("asyncio.format_helpers");
    if (fh == NULL) {
        return -1;
    }
    st->format_callback_source =
        PyObject_GetAttrString(fh, "_format_callback_source");
    st->extract_stack = PyObject_GetAttrString(fh, "extract_stack");
    Py_DECREF(fh);
    if (st->format_callback_source == NULL || st->extract_stack == NULL) {
        return -1;
    }
#if CL_THREADSAFE_HANDLE
    PyObject *events = PyImport_ImportModule("asyncio.events");
    if (events == NULL) {
        return -1;
    }
    st->ThreadSafeHandle = PyObject_GetAttrString(events, "_ThreadSafeHandle");
    Py_DECREF(events);
    if (st->ThreadSafeHandle == NULL) {
        return -1;
    }
#endif
    return 0;
}

static int
intern_strings(cl_state *st)
{
#define INTERN(field, text)                                                   \
    if ((st->field = PyUnicode_InternFromString(text)) == NULL) {             \
        return -1;                                                            \
    }
    CL_STRINGS(INTERN)
#undef INTERN
    return 0;
}

static int
module_exec(PyObject *module)
{
    cl_state *st = get_state(module);
    if (intern_strings(st) < 0 || import_asyncio_helpers(st) < 0
        || cl_handle_init_state(module, st) < 0
        || cl_loop_init_state(module, st) < 0
        || cl_task_init_state(module, st) < 0
        || cl_net_init_state(module, st) < 0) {
        return -1;
    }
    return 0;
}

static int
module_traverse(PyObject *module, visitproc visit, void *arg)
{
    cl_state *st = get_state(module);
#define VISIT(f) Py_VISIT(st->f);
#define VISIT_STRING(f, text) Py_VISIT(st->f);
    CL_STATE_OBJECTS(VISIT)
    CL_STRINGS(VISIT_STRING)
#undef VISIT_STRING
#undef VISIT
    return 0;
}

static int
module_clear(PyObject *module)
{
    cl_state *st = get_state(module);
#define CLEAR(f) Py_CLEAR(st->f);
#define CLEAR_STRING(f, text) Py_CLEAR(st->f);
    CL_STATE_OBJECTS(CLEAR)
    CL_STRINGS(CLEAR_STRING)
#undef CLEAR_STRING
#undef CLEAR
    cl_task_clear_state(st);
    return 0;
}

static void
module_free(void *module)
{
    (void)module_clear((PyObject *)module);
}

static PyMethodDef module_methods[] = {
    CL_DEBUGCOUNT_METHODS{
        "_asyncio_debug_offsets", cl_asyncio_base_debug_info, METH_NOARGS,
        "Where cloop's data and, on 3.14+, the debugger-read fields of "
        "asyncio's Task are (-1: not found)."},
    {NULL, NULL, 0, NULL}};

static PyModuleDef_Slot module_slots[] = {
    {Py_mod_exec, module_exec},
#if CL_PY312
    {Py_mod_multiple_interpreters, Py_MOD_PER_INTERPRETER_GIL_SUPPORTED},
#endif
    {0, NULL}};

static struct PyModuleDef cloop_module = {
    PyModuleDef_HEAD_INIT,
    .m_name = "cloop._cloop",
    .m_doc = "The C core of cloop: event loop, handles, Task and Future.",
    .m_size = sizeof(cl_state),
    .m_methods = module_methods,
    .m_slots = module_slots,
    .m_traverse = module_traverse,
    .m_clear = module_clear,
    .m_free = module_free,
};

PyMODINIT_FUNC
PyInit__cloop(void)
{
    return PyModuleDef_Init(&cloop_module);
}
