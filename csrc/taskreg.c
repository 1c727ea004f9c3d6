/* taskreg.c: registering cloop Tasks with asyncio (see taskreg.h).
 *
 * Owns: nothing but cached references (in the module state) to
 * asyncio.tasks' bookkeeping functions, taken once at import.
 *
 * _enter_task and _leave_task run twice per task step. On 3.11 to 3.13,
 * when asyncio.tasks uses its C implementation, both are a check and a
 * store on one dict, _asyncio._current_tasks ({loop: task}), the very dict
 * asyncio.current_task() reads; cloop does the same check and store on
 * that dict directly instead of calling through Python, with the same
 * errors. Anywhere else (3.14 keeps the current task on the thread state,
 * or a Python-only asyncio) the functions are called.
 *
 * _register_task runs once per task. On 3.11 to 3.13 it is WeakSet.add on
 * asyncio's set of tasks, Python code that makes a weak reference whose
 * callback, WeakSet's Python _remove, runs again when the task dies. When
 * _register_task is _asyncio's and the set is a plain weakref.WeakSet,
 * cloop does both in C on the WeakSet's own containers, exactly as
 * WeakSet.add and _remove do them (pending removals committed first; a
 * removal while the set is iterated waits in _pending_removals): the same
 * weak references in the same set, so all_tasks() and the set's users see
 * no difference. Anywhere else _register_task is called.
 */
#include "common.h"
#include "taskreg.h"

static PyObject *
call1(PyObject *fn, PyObject *a)
{
    return PyObject_Vectorcall(fn, &a, 1, NULL);
}

static int
call_status(PyObject *res)
{
    if (res == NULL) {
        return -1;
    }
    Py_DECREF(res);
    return 0;
}

#if CL_TASKS_IN_WEAKSET
/* WeakSet's _remove as a C function: the callback of each task's weak
 * reference. self is the tuple (data, _iterating, _pending_removals), so
 * that it owns what it needs, whatever has been torn down when a task
 * dies. */
static PyObject *
weakset_remove(PyObject *self, PyObject *ref)
{
    PyObject *data = PyTuple_GET_ITEM(self, 0);
    PyObject *iterating = PyTuple_GET_ITEM(self, 1);
    PyObject *pending = PyTuple_GET_ITEM(self, 2);
    int rc = PySet_GET_SIZE(iterating) > 0 ? PyList_Append(pending, ref)
                                           : PySet_Discard(data, ref);
    if (rc < 0) {
        return NULL;
    }
    Py_RETURN_NONE;
}

static PyMethodDef weakset_remove_def = {
    "_remove", weakset_remove, METH_O,
    "Forget a dead task's weak reference (WeakSet._remove, in C)."};

/* WeakSet.add(task), in C. */
static int
weakset_add(cl_state *st, PyObject *task)
{
    if (PyList_GET_SIZE(st->reg_ws_pending) > 0
        && call_status(PyObject_CallNoArgs(st->reg_ws_commit)) < 0) {
        return -1;
    }
    PyObject *ref = PyWeakref_NewRef(task, st->reg_ws_remove);
    if (ref == NULL) {
        return -1;
    }
    int rc = PySet_Add(st->reg_ws_data, ref);
    Py_DECREF(ref);
    return rc;
}
#endif

int
cl_taskreg_register(cl_state *st, PyObject *task)
{
#if CL_TASKS_IN_WEAKSET
    if (st->reg_ws_data != NULL) {
        return weakset_add(st, task);
    }
#endif
    return call_status(call1(st->reg_register, task));
}

int
cl_taskreg_enter(cl_state *st, PyObject *loop, PyObject *task)
{
    if (st->reg_use_dict) {
        PyObject *cur = PyDict_GetItemWithError(st->reg_current_tasks, loop);
        if (cur != NULL) {
            Py_INCREF(cur); /* formatting runs Python code */
            PyErr_Format(PyExc_RuntimeError,
                         "Cannot enter into task %R while another task %R "
                         "is being executed.",
                         task, cur);
            Py_DECREF(cur);
            return -1;
        }
        if (PyErr_Occurred()) {
            return -1;
        }
        return PyDict_SetItem(st->reg_current_tasks, loop, task);
    }
    PyObject *args[2] = {loop, task};
    return call_status(PyObject_Vectorcall(st->reg_enter, args, 2, NULL));
}

int
cl_taskreg_leave(cl_state *st, PyObject *loop, PyObject *task)
{
    if (st->reg_use_dict) {
        PyObject *cur = PyDict_GetItemWithError(st->reg_current_tasks, loop);
        if (cur == task) {
            return PyDict_DelItem(st->reg_current_tasks, loop);
        }
        if (cur == NULL && PyErr_Occurred()) {
            return -1;
        }
        cur = Py_NewRef(cur ? cur : Py_None);
        PyErr_Format(PyExc_RuntimeError,
                     "Leaving task %R does not match the current task %R.",
                     task, cur);
        Py_DECREF(cur);
        return -1;
    }
    PyObject *args[2] = {loop, task};
    return call_status(PyObject_Vectorcall(st->reg_leave, args, 2, NULL));
}

int
cl_taskreg_unregister(cl_state *st, PyObject *task)
{
    return call_status(call1(st->reg_unregister, task));
}

#if CL_HAS_EAGER_TASKS
PyObject *
cl_taskreg_swap(cl_state *st, PyObject *loop, PyObject *task)
{
    PyObject *args[2] = {loop, task};
    return PyObject_Vectorcall(st->reg_swap, args, 2, NULL);
}

int
cl_taskreg_register_eager(cl_state *st, PyObject *task)
{
    return call_status(call1(st->reg_register_eager, task));
}

int
cl_taskreg_unregister_eager(cl_state *st, PyObject *task)
{
    return call_status(call1(st->reg_unregister_eager, task));
}
#endif

/* ------------------------------------------------------------------ */
/* Set-up                                                              */

static int
get_function(PyObject *mod, const char *name, PyObject **out)
{
    *out = PyObject_GetAttrString(mod, name);
    return *out ? 0 : -1;
}

/* The dict behind _enter_task, when asyncio.tasks uses _asyncio's C
 * functions and _asyncio exports it; else NULL (not an error). */
static int
find_current_tasks(cl_state *st, PyObject *tasks, PyObject *c)
{
#if CL_HAS_CURRENT_TASKS_DICT
    if (c == NULL) {
        return 0;
    }
    PyObject *c_enter = NULL, *c_leave = NULL, *dict = NULL, *py_dict = NULL;
    int rc = -1;
    if (cl_getattr_optional(c, st->str_enter_task, &c_enter) < 0
        || cl_getattr_optional(c, st->str_leave_task, &c_leave) < 0
        || cl_getattr_optional(c, st->str_current_tasks, &dict) < 0
        || cl_getattr_optional(tasks, st->str_current_tasks, &py_dict) < 0) {
        goto done;
    }
    if (c_enter == st->reg_enter && c_leave == st->reg_leave && dict != NULL
        && dict == py_dict && PyDict_CheckExact(dict)) {
        st->reg_current_tasks = Py_NewRef(dict);
        st->reg_use_dict = 1;
    }
    rc = 0;
done:
    Py_XDECREF(c_enter);
    Py_XDECREF(c_leave);
    Py_XDECREF(dict);
    Py_XDECREF(py_dict);
    return rc;
#else
    (void)st, (void)tasks, (void)c;
    return 0;
#endif
}

#if CL_TASKS_IN_WEAKSET
/* The containers of ws when it is exactly a weakref.WeakSet with the
 * attributes of the one in Lib/_weakrefset.py; else leaves the state
 * alone (not an error). */
static int
take_weakset(cl_state *st, PyObject *ws)
{
    PyObject *weakref = PyImport_ImportModule("weakref");
    if (weakref == NULL) {
        return -1;
    }
    PyObject *ws_type = PyObject_GetAttrString(weakref, "WeakSet");
    Py_DECREF(weakref);
    if (ws_type == NULL) {
        return -1;
    }
    int exact = Py_IS_TYPE(ws, (PyTypeObject *)ws_type);
    Py_DECREF(ws_type);
    if (!exact) {
        return 0;
    }
    PyObject *data = NULL, *iterating = NULL, *pending = NULL, *commit = NULL;
    int rc = -1;
    if ((data = PyObject_GetAttrString(ws, "data")) == NULL
        || (iterating = PyObject_GetAttrString(ws, "_iterating")) == NULL
        || (pending = PyObject_GetAttrString(ws, "_pending_removals")) == NULL
        || (commit = PyObject_GetAttrString(ws, "_commit_removals")) == NULL) {
        goto done;
    }
    rc = 0;
    if (PySet_CheckExact(data) && PySet_CheckExact(iterating)
        && PyList_CheckExact(pending)) {
        PyObject *self = PyTuple_Pack(3, data, iterating, pending);
        PyObject *remove =
            self ? PyCFunction_New(&weakset_remove_def, self) : NULL;
        Py_XDECREF(self);
        if (remove == NULL) {
            rc = -1;
            goto done;
        }
        st->reg_ws_remove = remove;
        st->reg_ws_data = Py_NewRef(data);
        st->reg_ws_pending = Py_NewRef(pending);
        st->reg_ws_commit = Py_NewRef(commit);
    }
done:
    Py_XDECREF(data);
    Py_XDECREF(iterating);
    Py_XDECREF(pending);
    Py_XDECREF(commit);
    return rc;
}

/* The WeakSet behind _register_task, when asyncio.tasks uses _asyncio's
 * C function and both name the same set; else nothing (not an error). */
static int
find_weakset(cl_state *st, PyObject *tasks, PyObject *c)
{
    if (c == NULL) {
        return 0;
    }
    PyObject *c_register = NULL, *ws = NULL, *py_ws = NULL;
    int rc = -1;
    if (cl_getattr_optional(c, st->str_register_task, &c_register) < 0
        || cl_getattr_optional(c, st->str_tasks_weakset, &ws) < 0
        || cl_getattr_optional(tasks, st->str_tasks_weakset, &py_ws) < 0) {
        goto done;
    }
    rc = 0;
    if (c_register == st->reg_register && ws != NULL && ws == py_ws) {
        rc = take_weakset(st, ws);
    }
done:
    Py_XDECREF(c_register);
    Py_XDECREF(ws);
    Py_XDECREF(py_ws);
    return rc;
}
#endif

/* _taskreg_mode([mode]): 'dict' or 'call', the way _enter_task and
 * _leave_task are done; with an argument, switch (for the tests). */
static PyObject *
taskreg_mode(PyObject *module, PyObject *const *args, Py_ssize_t nargs)
{
    cl_state *st = (cl_state *)PyModule_GetState(module);
    if (nargs > 1) {
        PyErr_SetString(PyExc_TypeError,
                        "_taskreg_mode() takes 0 or 1 arguments");
        return NULL;
    }
    if (nargs == 1) {
        if (PyUnicode_Check(args[0])
            && PyUnicode_CompareWithASCIIString(args[0], "call") == 0) {
            st->reg_use_dict = 0;
        }
        else if (PyUnicode_Check(args[0])
                 && PyUnicode_CompareWithASCIIString(args[0], "dict") == 0
                 && st->reg_current_tasks != NULL) {
            st->reg_use_dict = 1;
        }
        else {
            PyErr_Format(PyExc_ValueError, "unavailable mode %R", args[0]);
            return NULL;
        }
    }
    return PyUnicode_FromString(st->reg_use_dict ? "dict" : "call");
}

static PyMethodDef taskreg_functions[] = {
    {"_taskreg_mode", (PyCFunction)(void (*)(void))taskreg_mode, METH_FASTCALL,
     "_taskreg_mode([mode]) -> 'dict' or 'call' (tests only)."},
    {NULL}};

int
cl_taskreg_init_state(PyObject *module, cl_state *st)
{
    PyObject *tasks = PyImport_ImportModule("asyncio.tasks");
    if (tasks == NULL) {
        return -1;
    }
    /* asyncio's C registry; NULL for a pure-Python asyncio, whose
     * functions are then called. */
    PyObject *c = PyImport_ImportModule("_asyncio");
    if (c == NULL) {
        PyErr_Clear();
    }
    int rc = -1;
    if (get_function(tasks, "_register_task", &st->reg_register) < 0
        || get_function(tasks, "_unregister_task", &st->reg_unregister) < 0
        || get_function(tasks, "_enter_task", &st->reg_enter) < 0
        || get_function(tasks, "_leave_task", &st->reg_leave) < 0
        || get_function(tasks, "_task_name_counter", &st->task_name_counter)
               < 0
#if CL_FACTORY_TASK_NAMED_IF_GIVEN
        || get_function(tasks, "_set_task_name", &st->set_task_name) < 0
#endif
#if CL_HAS_EAGER_TASKS
        || get_function(tasks, "_swap_current_task", &st->reg_swap) < 0
        || get_function(tasks, "_register_eager_task", &st->reg_register_eager)
               < 0
        || get_function(tasks, "_unregister_eager_task",
                        &st->reg_unregister_eager)
               < 0
#endif
        || find_current_tasks(st, tasks, c) < 0
#if CL_TASKS_IN_WEAKSET
        || find_weakset(st, tasks, c) < 0
#endif
        || PyModule_AddFunctions(module, taskreg_functions) < 0) {
        goto done;
    }
    rc = 0;
done:
    Py_XDECREF(c);
    Py_DECREF(tasks);
    return rc;
}
