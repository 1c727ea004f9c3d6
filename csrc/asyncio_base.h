/* asyncio_base.h: asyncio's C Future and Task, the bases of cloop's.
 *
 * cloop.Future subclasses _asyncio.Future and cloop.Task subclasses
 * _asyncio.Task, so that isinstance(x, asyncio.Future / asyncio.Task)
 * holds and asyncio's own C code takes them for its kind: 3.14's
 * per-thread task list (fast all_tasks), its awaited-by call graph, and
 * the task list `python -m asyncio ps PID` reads out of the process.
 *
 * Layout of a cloop Future or Task object:
 *
 *   [ asyncio's object: only the running Python knows its size ]
 *   [ cloop's data, at cl_data_offset (the same for both types) ]
 *
 * cl_data_offset is the size of asyncio's Task (which begins with its
 * Future), rounded up to a pointer: so a cloop Task and a cloop Future keep
 * cloop's data at the same place (future.h), and a Future carries the few
 * bytes by which asyncio's Task is larger than its Future, unused.
 *
 * cloop never reads or writes asyncio's part by itself, with three
 * exceptions, each through something CPython publishes: the instance dict
 * and weakref slots (inherited as they are); the awaited-by set (through
 * asyncio's own future_add_to_awaited_by / future_discard_from_awaited_by,
 * 3.14+); and, on 3.14+, a Task's name, coroutine and is-task flag, at the
 * offsets _asyncio publishes for out-of-process debuggers (the
 * .AsyncioDebug section), so that those debuggers show cloop's tasks as
 * asyncio's. Everything else of asyncio's part stays as allocated (zero):
 * its methods and attributes are all overridden by cloop's, and asyncio's
 * own slots (traverse, clear, dealloc) run after cloop's and release what
 * asyncio's part holds.
 */
#ifndef CLOOP_ASYNCIO_BASE_H
#define CLOOP_ASYNCIO_BASE_H

#include "state.h"

/* Where cloop's data starts in a cloop Future or Task object. Set once,
 * by the first module initialisation: it is a property of the _asyncio
 * this process runs, the same for every interpreter (checked). */
extern Py_ssize_t cl_data_offset;

/* Imports _asyncio's Future and Task into the state, sets cl_data_offset
 * and, on 3.14+, finds the awaited-by functions and the debugger offsets.
 * 0 or -1. */
int cl_asyncio_base_init(cl_state *st);

/* The type's spec with its basicsize set for a cloop type built on base
 * (asyncio's Future or Task) that puts data_size bytes of cloop's data at
 * cl_data_offset; then PyType_FromModuleAndSpec. New reference. */
PyTypeObject *cl_asyncio_base_make_type(PyObject *module,
                                        const PyType_Spec *spec,
                                        PyTypeObject *base, size_t data_size);

/* The asyncio type under self's cloop type: the base of the type in
 * self's type's chain whose tp_dealloc is own_dealloc (cloop's Future or
 * Task dealloc; a Python subclass has another). Read from the types, never
 * from the module state: at interpreter exit the module and its state can
 * be gone while a Future or Task still lives (it keeps its type, and the
 * type its base, alive; nothing keeps the state). */
PyTypeObject *cl_asyncio_base_of(PyObject *self, destructor own_dealloc);

/* tp_traverse / tp_clear / tp_dealloc of asyncio's part, for cloop's
 * slots to call after their own. base is the asyncio type the cloop type
 * was built on (cl_asyncio_base_of). */
int cl_asyncio_base_traverse(PyTypeObject *base, PyObject *self,
                             visitproc visit, void *arg);
void cl_asyncio_base_clear(PyTypeObject *base, PyObject *self);
/* Frees self: asyncio's dealloc, which also clears weakrefs and the
 * instance dict, and the type's reference. Call with self untracked and
 * cloop's part cleared; it is tracked again for asyncio's dealloc, as
 * subtype_dealloc does for a base's. */
void cl_asyncio_base_dealloc(PyTypeObject *base, PyObject *self);

/* 3.14+: what asyncio's debuggers read of a Task (no-ops before, and where
 * the offsets could not be found). The name and coroutine are borrowed
 * (NULL clears); asyncio's part holds its own reference. */
void cl_asyncio_base_set_task_name(cl_state *st, PyObject *task,
                                   PyObject *name);
void cl_asyncio_base_set_task_coro(cl_state *st, PyObject *task,
                                   PyObject *coro);
void cl_asyncio_base_mark_task(cl_state *st, PyObject *task);

/* Does this Python publish the debugger offsets, and did cloop find them?
 * (the module's _asyncio_debug_offsets() reports it, for the tests). */
PyObject *cl_asyncio_base_debug_info(PyObject *module, PyObject *unused);

#if CL_AWAITED_BY
/* futures.future_add_to_awaited_by(fut, waiter) / _discard_, 3.14's call
 * graph bookkeeping, for a waiter awaiting fut: only for asyncio Futures
 * (cloop's included), as asyncio does. 0 or -1. */
static inline int
cl_asyncio_base_awaited_by(cl_state *st, PyObject *fut, PyObject *waiter,
                           int add)
{
    if (!PyObject_TypeCheck(fut, st->AsyncioFutureType)) {
        return 0;
    }
    PyObject *args[2] = {fut, waiter};
    PyObject *(*fn)(PyObject *, PyObject *const *, Py_ssize_t) =
        add ? st->awaited_by_add_fn : st->awaited_by_discard_fn;
    PyObject *res = fn != NULL
                        ? fn(st->awaited_by_self, args, 2)
                        : PyObject_Vectorcall(add ? st->awaited_by_add
                                                  : st->awaited_by_discard,
                                              args, 2, NULL);
    if (res == NULL) {
        return -1;
    }
    Py_DECREF(res);
    return 0;
}
#endif

#endif /* CLOOP_ASYNCIO_BASE_H */
