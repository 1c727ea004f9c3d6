/* asyncio_base.c: asyncio's C Future and Task as the bases of cloop's
 * (layout and rules in asyncio_base.h).
 *
 * Owns: the state's references to _asyncio.Future, _asyncio.Task and
 * (3.14+) its awaited-by functions; cl_data_offset; the debugger offsets
 * of a Task read from _asyncio's .AsyncioDebug section (3.14+).
 */
#include "common.h"
#include "asyncio_base.h"
#include "elfsection.h"

Py_ssize_t cl_data_offset = 0;

/* ------------------------------------------------------------------ */
/* Set-up                                                              */

static int
get_type(PyObject *mod, const char *name, PyTypeObject **out)
{
    PyObject *obj = PyObject_GetAttrString(mod, name);
    if (obj == NULL) {
        return -1;
    }
    if (!PyType_Check(obj)) {
        Py_DECREF(obj);
        PyErr_Format(PyExc_ImportError, "cloop: _asyncio.%s is not a type",
                     name);
        return -1;
    }
    *out = (PyTypeObject *)obj;
    return 0;
}

/* cloop's data goes after asyncio's Task, the larger of the two, so that
 * it sits at the same offset in a cloop Future and a cloop Task. */
static int
set_data_offset(cl_state *st)
{
    Py_ssize_t fsize = st->AsyncioFutureType->tp_basicsize;
    Py_ssize_t tsize = st->AsyncioTaskType->tp_basicsize;
    if (!PyType_IsSubtype(st->AsyncioTaskType, st->AsyncioFutureType)
        || tsize < fsize) {
        PyErr_SetString(PyExc_ImportError,
                        "cloop: _asyncio.Task is not an _asyncio.Future");
        return -1;
    }
    Py_ssize_t align = (Py_ssize_t)sizeof(void *);
    Py_ssize_t offset = (tsize + align - 1) / align * align;
    if (cl_data_offset != 0 && cl_data_offset != offset) {
        PyErr_Format(PyExc_ImportError,
                     "cloop: _asyncio.Task is %zd bytes in this interpreter "
                     "and %zd in another of this process",
                     tsize, cl_data_offset);
        return -1;
    }
    cl_data_offset = offset;
    return 0;
}

#if CL_AWAITED_BY
/* The first block of _asyncio's published offsets (Py_AsyncioModuleDebug-
 * Offsets in CPython's Modules/_asynciomodule.c, 3.14): what debuggers read
 * of a Task, each a uint64_t. */
enum {
    DBG_TASK_SIZE,
    DBG_TASK_NAME,
    DBG_TASK_AWAITED_BY,
    DBG_TASK_IS_TASK,
    DBG_TASK_AWAITED_BY_IS_SET,
    DBG_TASK_CORO,
    DBG_TASK_NODE,
    DBG_TASK_FIELDS
};

/* An object offset of the table that a pointer (or, for is_task, a byte)
 * can live at inside a Task of tsize bytes, or -1. */
static Py_ssize_t
checked_offset(uint64_t off, Py_ssize_t tsize, size_t width)
{
    if (off < sizeof(PyObject) || off + width > (uint64_t)tsize
        || off % width != 0) {
        return -1;
    }
    return (Py_ssize_t)off;
}

/* Finds the offsets; leaves them at -1 (and the debuggers blind to cloop's
 * tasks) if the section is missing or does not describe this _asyncio. */
static void
find_debug_offsets(cl_state *st, PyObject *mod)
{
    st->dbg_task_name = st->dbg_task_coro = st->dbg_task_is_task = -1;
    PyModuleDef *def = PyModule_GetDef(mod); /* lives in _asyncio's object */
    if (def == NULL) {
        PyErr_Clear();
        return;
    }
    const void *start;
    size_t size;
    if (cl_elfsection_find(def, ".AsyncioDebug", &start, &size) < 0
        || size < DBG_TASK_FIELDS * sizeof(uint64_t)) {
        return;
    }
    uint64_t dbg[DBG_TASK_FIELDS];
    memcpy(dbg, start, sizeof(dbg));
    Py_ssize_t tsize = st->AsyncioTaskType->tp_basicsize;
    if (dbg[DBG_TASK_SIZE] != (uint64_t)tsize) {
        return;
    }
    Py_ssize_t name =
        checked_offset(dbg[DBG_TASK_NAME], tsize, sizeof(PyObject *));
    Py_ssize_t coro =
        checked_offset(dbg[DBG_TASK_CORO], tsize, sizeof(PyObject *));
    Py_ssize_t is_task = checked_offset(dbg[DBG_TASK_IS_TASK], tsize, 1);
    if (name >= 0 && coro >= 0 && is_task >= 0) {
        st->dbg_task_name = name;
        st->dbg_task_coro = coro;
        st->dbg_task_is_task = is_task;
    }
}

/* A builtin function's C entry point if it is a plain METH_FASTCALL one
 * (argument clinic's positional-only functions are), else NULL. */
static PyObject *(*fastcall_entry(PyObject *func))(PyObject *,
                                                   PyObject *const *,
                                                   Py_ssize_t)
{
    if (!PyCFunction_Check(func)
        || PyCFunction_GetFlags(func) != METH_FASTCALL) {
        return NULL;
    }
    return (PyObject * (*)(PyObject *, PyObject *const *, Py_ssize_t))(
        void (*)(void))PyCFunction_GetFunction(func);
}

static int
import_call_graph(cl_state *st, PyObject *mod)
{
    st->awaited_by_add =
        PyObject_GetAttrString(mod, "future_add_to_awaited_by");
    st->awaited_by_discard =
        PyObject_GetAttrString(mod, "future_discard_from_awaited_by");
    if (st->awaited_by_add == NULL || st->awaited_by_discard == NULL) {
        return -1;
    }
    st->awaited_by_add_fn = fastcall_entry(st->awaited_by_add);
    st->awaited_by_discard_fn = fastcall_entry(st->awaited_by_discard);
    if (st->awaited_by_add_fn != NULL && st->awaited_by_discard_fn != NULL) {
        st->awaited_by_self = PyCFunction_GetSelf(st->awaited_by_add);
    }
    else {
        st->awaited_by_add_fn = st->awaited_by_discard_fn = NULL;
    }
    find_debug_offsets(st, mod);
    return 0;
}
#endif

int
cl_asyncio_base_init(cl_state *st)
{
    PyObject *mod = PyImport_ImportModule("_asyncio");
    if (mod == NULL) {
        return -1;
    }
    int rc = -1;
    if (get_type(mod, "Future", &st->AsyncioFutureType) < 0
        || get_type(mod, "Task", &st->AsyncioTaskType) < 0
        || set_data_offset(st) < 0) {
        goto done;
    }
#if CL_AWAITED_BY
    if (import_call_graph(st, mod) < 0) {
        goto done;
    }
#endif
    rc = 0;
done:
    Py_DECREF(mod);
    return rc;
}

PyTypeObject *
cl_asyncio_base_make_type(PyObject *module, const PyType_Spec *spec,
                          PyTypeObject *base, size_t data_size)
{
    PyType_Spec s = *spec; /* the type keeps nothing of the spec itself */
    s.basicsize = (int)(cl_data_offset + (Py_ssize_t)data_size);
    return (PyTypeObject *)PyType_FromModuleAndSpec(module, &s,
                                                    (PyObject *)base);
}

/* ------------------------------------------------------------------ */
/* asyncio's slots                                                     */

PyTypeObject *
cl_asyncio_base_of(PyObject *self, destructor own_dealloc)
{
    PyTypeObject *tp = Py_TYPE(self);
    while (tp->tp_dealloc != own_dealloc) {
        tp = tp->tp_base;
    }
    return tp->tp_base;
}

int
cl_asyncio_base_traverse(PyTypeObject *base, PyObject *self, visitproc visit,
                         void *arg)
{
#if !CL_ASYNCIO_HEAP_TYPES
    /* 3.11's static base leaves the type of a heap subclass to it. */
    Py_VISIT(Py_TYPE(self));
#endif
    return base->tp_traverse(self, visit, arg);
}

void
cl_asyncio_base_clear(PyTypeObject *base, PyObject *self)
{
    (void)base->tp_clear(self);
}

void
cl_asyncio_base_dealloc(PyTypeObject *base, PyObject *self)
{
    /* asyncio's dealloc expects a tracked object, as subtype_dealloc hands
     * its base (debug builds assert it). */
    PyObject_GC_Track(self);
#if CL_ASYNCIO_HEAP_TYPES
    base->tp_dealloc(self); /* frees self and drops its type's reference */
#else
    PyTypeObject *tp = Py_TYPE(self);
    base->tp_dealloc(self);
    Py_DECREF(tp);
#endif
}

/* ------------------------------------------------------------------ */
/* What debuggers read (3.14+)                                         */

#if CL_AWAITED_BY
static inline PyObject **
field_at(PyObject *task, Py_ssize_t offset)
{
    return (PyObject **)((char *)task + offset);
}
#endif

void
cl_asyncio_base_set_task_name(cl_state *st, PyObject *task, PyObject *name)
{
#if CL_AWAITED_BY
    if (st->dbg_task_name >= 0) {
        Py_XSETREF(*field_at(task, st->dbg_task_name), Py_XNewRef(name));
    }
#else
    (void)st, (void)task, (void)name;
#endif
}

void
cl_asyncio_base_set_task_coro(cl_state *st, PyObject *task, PyObject *coro)
{
#if CL_AWAITED_BY
    if (st->dbg_task_coro >= 0) {
        Py_XSETREF(*field_at(task, st->dbg_task_coro), Py_XNewRef(coro));
    }
#else
    (void)st, (void)task, (void)coro;
#endif
}

void
cl_asyncio_base_mark_task(cl_state *st, PyObject *task)
{
#if CL_AWAITED_BY
    if (st->dbg_task_is_task >= 0) {
        *((char *)task + st->dbg_task_is_task) = 1;
    }
#else
    (void)st, (void)task;
#endif
}

PyObject *
cl_asyncio_base_debug_info(PyObject *module, PyObject *unused)
{
    cl_state *st = PyModule_GetState(module);
#if CL_AWAITED_BY
    return Py_BuildValue("{snsnsnsn}", "data_offset", cl_data_offset,
                         "task_name", st->dbg_task_name, "task_coro",
                         st->dbg_task_coro, "task_is_task",
                         st->dbg_task_is_task);
#else
    (void)st;
    return Py_BuildValue("{sn}", "data_offset", cl_data_offset);
#endif
}
