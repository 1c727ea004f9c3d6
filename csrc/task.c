/* task.c: the cloop.Task type: creation (eager start included), the
 * loop's create_task, the Python API, destruction.
 *
 * Owns: the Task's coroutine, context, name and the future it waits for
 * (fut_waiter); everything a Future owns through its FutureObject base.
 * Stepping, waking up and cancelling are in taskstep.c.
 */
#include "common.h"
#include "errors.h"
#include "future_attrs.h"
#include "futureiter.h"
#include "task.h"
#include "taskreg.h"
#include "taskstep.h"

/* ------------------------------------------------------------------ */
/* Creation                                                            */

/* A Task's coroutine and name live in cloop's data and, for asyncio's
 * debuggers, also in asyncio's part of the object (3.14+, asyncio_base.h).
 * Each steals its value (NULL clears). */
static void
store_coro(TaskObject *task, PyObject *coro)
{
    cl_taskdata *td = CL_TASK(task);
    cl_asyncio_base_set_task_coro(td->fut.state, (PyObject *)task, coro);
    Py_XSETREF(td->coro, coro);
}

static void
store_name(TaskObject *task, PyObject *name)
{
    cl_taskdata *td = CL_TASK(task);
    cl_asyncio_base_set_task_name(td->fut.state, (PyObject *)task, name);
    Py_XSETREF(td->name, name);
}

static int
is_coroutine(cl_state *st, PyObject *coro)
{
    if (CL_LIKELY(PyCoro_CheckExact(coro))) {
        return 1;
    }
#if CL_GENERATORS_ARE_COROUTINES
    if (PyGen_CheckExact(coro)) {
        return 1;
    }
#endif
    PyObject *res = PyObject_CallOneArg(st->iscoroutine, coro);
    if (res == NULL) {
        return -1;
    }
    int r = PyObject_IsTrue(res);
    Py_DECREF(res);
    return r;
}

static int
loop_is_running(FutureObject *fut)
{
    cl_futdata *fd = CL_FUT(fut);
    if (fd->cloop_loop) {
        return ((LoopObject *)fd->loop)->running;
    }
    PyObject *res =
        PyObject_CallMethodNoArgs(fd->loop, fd->state->str_is_running);
    if (res == NULL) {
        return -1;
    }
    int r = PyObject_IsTrue(res);
    Py_DECREF(res);
    return r;
}

#if CL_HAS_EAGER_TASKS
/* A failed eager start puts back what it had changed, keeping the pending
 * exception: the previous current task (if prev is not NULL) and the
 * context (entered). */
static void
undo_eager_setup(cl_state *st, PyObject *loop, PyObject *prev, PyObject *ctx)
{
    PyObject *err = PyErr_GetRaisedException();
    if (prev != NULL) {
        Py_XDECREF(cl_taskreg_swap(st, loop, prev));
    }
    (void)PyContext_Exit(ctx);
    PyErr_Clear(); /* the original failure is the one to report */
    PyErr_SetRaisedException(err);
}

/* Runs the first step at once, in the task's context, with the task as
 * its loop's current task (asyncio's __eager_start). If the start itself
 * fails (the context is already entered, the loop is not the running
 * one), nothing is left changed: no current task, no registration, and
 * the task, which never ran, is not reported as destroyed while pending.
 * That is 3.15's behaviour (gh-157301); 3.12 to 3.14 leave the failed task
 * current, after which the loop cannot step any other task, and cloop does
 * not reproduce that on any version. */
static int
task_eager_start(TaskObject *task)
{
    cl_taskdata *td = CL_TASK(task);
    cl_state *st = td->fut.state;
    PyObject *loop = Py_NewRef(td->fut.loop);
    PyObject *ctx = Py_NewRef(td->context);
    PyObject *prev = NULL;
    int rc = -1;
    if (PyContext_Enter(ctx) < 0) {
        goto failed_start;
    }
    prev = cl_taskreg_swap(st, loop, (PyObject *)task);
    if (prev == NULL) {
        undo_eager_setup(st, loop, NULL, ctx);
        goto failed_start;
    }
    if (cl_taskreg_register_eager(st, (PyObject *)task) < 0) {
        undo_eager_setup(st, loop, prev, ctx);
        Py_DECREF(prev);
        goto failed_start;
    }
    rc = cl_taskstep_run_unentered(task, NULL);
    PyObject *err = rc < 0 ? PyErr_GetRaisedException() : NULL;
    PyObject *cur = cl_taskreg_swap(st, loop, prev);
    Py_DECREF(prev);
    Py_XDECREF(cur);
    if (cur == NULL || cl_taskreg_unregister_eager(st, (PyObject *)task) < 0) {
        rc = -1;
    }
    if (PyContext_Exit(ctx) < 0) {
        rc = -1;
    }
    cl_err_chain(err);
    if (td->fut.fut_state == CL_FUT_PENDING) {
        err = rc < 0 ? PyErr_GetRaisedException() : NULL;
        if (cl_taskreg_register(st, (PyObject *)task) < 0) {
            rc = -1;
        }
        cl_err_chain(err);
    }
    else {
        store_coro(task, NULL);
    }
    goto done;
failed_start:
    td->log_destroy_pending = 0;
done:
    Py_DECREF(ctx);
    Py_DECREF(loop);
    return rc;
}
#endif

/* The default name: the next number of asyncio's own counter, formatted
 * on first use (get_name). */
static int
set_name(TaskObject *task, PyObject *name)
{
    cl_state *st = CL_FUT(task)->state;
    if (name == NULL || name == Py_None) {
        name = PyObject_CallNoArgs(st->task_name_counter);
    }
    else if (!PyUnicode_CheckExact(name)) {
        name = PyObject_Str(name);
    }
    else {
        Py_INCREF(name);
    }
    if (name == NULL) {
        return -1;
    }
    store_name(task, name);
    return 0;
}

static int
task_init(TaskObject *task, PyObject *coro, PyObject *loop, PyObject *name,
          PyObject *context, int eager_start)
{
    cl_state *st = CL_FUT(task)->state;
    if (cl_future_init((FutureObject *)task, loop) < 0) {
        return -1;
    }
    int r = is_coroutine(st, coro);
    if (r <= 0) {
        CL_TASK(task)->log_destroy_pending = 0;
        if (r == 0) {
            PyErr_Format(PyExc_TypeError, "a coroutine was expected, got %R",
                         coro);
        }
        return -1;
    }
    if (CL_TASK_CONTEXT_CHECKED && context != NULL && context != Py_None
        && !PyContext_CheckExact(context)) {
        CL_TASK(task)->log_destroy_pending = 0;
        PyObject *tname = PyType_GetName(Py_TYPE(context));
        if (tname != NULL) {
            PyErr_Format(PyExc_TypeError,
                         "a contextvars.Context was expected, got %U", tname);
            Py_DECREF(tname);
        }
        return -1;
    }
    context = (context == NULL || context == Py_None) ? PyContext_CopyCurrent()
                                                      : Py_NewRef(context);
    if (context == NULL) {
        return -1;
    }
    Py_XSETREF(CL_TASK(task)->context, context);
    Py_CLEAR(CL_TASK(task)->fut_waiter);
    CL_TASK(task)->must_cancel = 0;
    CL_TASK(task)->log_destroy_pending = 1;
    CL_TASK(task)->num_cancels_requested = 0;
    store_coro(task, Py_NewRef(coro));
    cl_asyncio_base_mark_task(st, (PyObject *)task);
    if (set_name(task, name) < 0) {
        return -1;
    }
#if CL_HAS_EAGER_TASKS
    if (eager_start) {
        int running = loop_is_running((FutureObject *)task);
        if (running < 0) {
            return -1;
        }
        if (running) {
            return task_eager_start(task);
        }
    }
#else
    (void)eager_start;
    (void)loop_is_running;
#endif
    if (cl_taskstep_schedule(task, NULL) < 0) {
        return -1;
    }
    return cl_taskreg_register(st, (PyObject *)task);
}

/* Task(coro, *, loop=None, name=None, context=None[, eager_start=False]):
 * the arguments, once parsed. */
typedef struct {
    PyObject *loop, *name, *context, *eager_start; /* borrowed; eager_start
                                                      NULL when not given */
} task_kwargs;

/* Stores keyword `key` in a: 0, or -1 (no error set) for a keyword that
 * is not Task's. Keywords are almost always interned, as cloop's names
 * are: compared by identity first. */
static int
set_task_keyword(cl_state *st, task_kwargs *a, PyObject *key, PyObject *value)
{
    PyObject *const keys[] = {
        st->str_loop,
        st->str_name,
        st->str_context,
#if CL_HAS_EAGER_TASKS
        st->str_eager_start
#endif
    };
    PyObject **const slots[] = {&a->loop, &a->name, &a->context,
                                &a->eager_start};
    Py_ssize_t n = Py_ARRAY_LENGTH(keys);
    for (Py_ssize_t k = 0; k < n; k++) {
        if (key == keys[k]) {
            *slots[k] = value;
            return 0;
        }
    }
    for (Py_ssize_t k = 0; PyUnicode_Check(key) && k < n; k++) {
        if (PyUnicode_Compare(key, keys[k]) == 0) { /* two str: no error */
            *slots[k] = value;
            return 0;
        }
    }
    return -1;
}

/* task_init with the parsed arguments. */
static int
init_parsed(TaskObject *task, PyObject *coro, task_kwargs *a)
{
    int eager = a->eager_start ? PyObject_IsTrue(a->eager_start) : 0;
    if (eager < 0) {
        return -1;
    }
    return task_init(task, coro, a->loop, a->name, a->context, eager);
}

/* A new task of type tp, initialised with the parsed arguments. */
static PyObject *
make_task(cl_state *st, PyTypeObject *tp, PyObject *coro, task_kwargs *a)
{
    TaskObject *task = (TaskObject *)tp->tp_alloc(tp, 0);
    if (task == NULL) {
        return NULL;
    }
    CL_FUT(task)->state = st;
    if (init_parsed(task, coro, a) < 0) {
        Py_DECREF(task);
        return NULL;
    }
    return (PyObject *)task;
}

/* What PyArg_ParseTupleAndKeywords makes of any call: its errors for the
 * calls the fast paths do not parse. */
static int
init_slow(TaskObject *task, PyObject *args, PyObject *kwds)
{
    PyObject *coro;
    task_kwargs a = {Py_None, Py_None, Py_None, NULL};
    int eager_start = 0;
#if CL_HAS_EAGER_TASKS
    static char *kwlist[] = {"coro",    "loop",        "name",
                             "context", "eager_start", NULL};
    if (!PyArg_ParseTupleAndKeywords(args, kwds, "O|$OOOp:Task", kwlist, &coro,
                                     &a.loop, &a.name, &a.context,
                                     &eager_start)) {
        return -1;
    }
#else
    static char *kwlist[] = {"coro", "loop", "name", "context", NULL};
    if (!PyArg_ParseTupleAndKeywords(args, kwds, "O|$OOO:Task", kwlist, &coro,
                                     &a.loop, &a.name, &a.context)) {
        return -1;
    }
#endif
    return task_init(task, coro, a.loop, a.name, a.context, eager_start);
}

/* Task(coro, **kwargs) called with an argument tuple and a keyword dict
 * (type_call; PyObject_Call with a dict, which 3.14's
 * create_eager_task_factory(cls) makes for every task): the dict is read
 * directly. */
static int
Task_init(TaskObject *task, PyObject *args, PyObject *kwds)
{
    if (PyTuple_GET_SIZE(args) != 1
        || (kwds != NULL && !PyDict_CheckExact(kwds))) {
        return init_slow(task, args, kwds);
    }
    task_kwargs a = {Py_None, Py_None, Py_None, NULL};
    Py_ssize_t pos = 0;
    PyObject *key, *value;
    while (kwds != NULL && PyDict_Next(kwds, &pos, &key, &value)) {
        if (set_task_keyword(CL_FUT(task)->state, &a, key, value) < 0) {
            return init_slow(task, args, kwds);
        }
    }
    return init_parsed(task, PyTuple_GET_ITEM(args, 0), &a);
}

/* Calls type(*args, **kwargs) as type_call does (tp_new, then tp_init),
 * from a vectorcall's arguments. */
static PyObject *
call_through_init(PyObject *type, PyObject *const *args, Py_ssize_t nargs,
                  PyObject *kwnames)
{
    Py_ssize_t nkw = kwnames ? PyTuple_GET_SIZE(kwnames) : 0;
    PyObject *tuple = PyTuple_New(nargs);
    PyObject *dict = nkw ? PyDict_New() : NULL;
    PyObject *res = NULL;
    if (tuple == NULL || (nkw && dict == NULL)) {
        goto done;
    }
    for (Py_ssize_t i = 0; i < nargs; i++) {
        PyTuple_SET_ITEM(tuple, i, Py_NewRef(args[i]));
    }
    for (Py_ssize_t i = 0; i < nkw; i++) {
        if (PyDict_SetItem(dict, PyTuple_GET_ITEM(kwnames, i), args[nargs + i])
            < 0) {
            goto done;
        }
    }
    res = PyType_Type.tp_call(type, tuple, dict);
done:
    Py_XDECREF(tuple);
    Py_XDECREF(dict);
    return res;
}

/* cloop.Task(coro, *, loop=None, name=None, context=None[,
 * eager_start=False]) without an argument tuple and a keyword dict: a task
 * factory such as create_eager_task_factory(cloop.Task) constructs every
 * task this way. Any call it does not parse itself (a wrong count, an
 * unknown keyword) goes through tp_new and tp_init for their errors.
 * The type is immutable, so neither can be replaced; CPython never
 * inherits a type's vectorcall, so subclasses are called through them. */
static PyObject *
Task_vectorcall(PyObject *type, PyObject *const *args, size_t nargsf,
                PyObject *kwnames)
{
    Py_ssize_t nargs = PyVectorcall_NARGS(nargsf);
    Py_ssize_t nkw = kwnames ? PyTuple_GET_SIZE(kwnames) : 0;
    if (nargs != 1) {
        return call_through_init(type, args, nargs, kwnames);
    }
    cl_state *st = cl_state_from_type((PyTypeObject *)type);
    if (st == NULL) {
        return NULL;
    }
    task_kwargs a = {Py_None, Py_None, Py_None, NULL};
    for (Py_ssize_t i = 0; i < nkw; i++) {
        if (set_task_keyword(st, &a, PyTuple_GET_ITEM(kwnames, i),
                             args[nargs + i])
            < 0) {
            return call_through_init(type, args, nargs, kwnames);
        }
    }
    return make_task(st, (PyTypeObject *)type, args[0], &a);
}

/* ------------------------------------------------------------------ */
/* The loop's create_task                                              */

typedef struct {
    PyObject *coro;
    PyObject *name;
    PyObject *context;
    PyObject *eager_start;
} create_args;

static int
parse_create_task(PyObject *const *args, Py_ssize_t nargs, PyObject *kwnames,
                  create_args *a)
{
    a->name = a->context = a->eager_start = Py_None;
    if (nargs != 1) {
        PyErr_Format(PyExc_TypeError,
                     "create_task() takes 1 positional argument but %zd were "
                     "given",
                     nargs);
        return -1;
    }
    a->coro = args[0];
    Py_ssize_t nkw = kwnames ? PyTuple_GET_SIZE(kwnames) : 0;
    for (Py_ssize_t i = 0; i < nkw; i++) {
        PyObject *key = PyTuple_GET_ITEM(kwnames, i);
        if (PyUnicode_CompareWithASCIIString(key, "name") == 0) {
            a->name = args[nargs + i];
        }
        else if (PyUnicode_CompareWithASCIIString(key, "context") == 0) {
            a->context = args[nargs + i];
        }
#if CL_HAS_EAGER_TASKS
        else if (PyUnicode_CompareWithASCIIString(key, "eager_start") == 0) {
            a->eager_start = args[nargs + i];
        }
#endif
        else {
            PyErr_Format(PyExc_TypeError,
                         "create_task() got an unexpected keyword argument "
                         "'%S'",
                         key);
            return -1;
        }
    }
    return 0;
}

/* create_task's eager_start=None (not given) is false, as Task's. */
static PyObject *
new_task(cl_state *st, PyObject *loop, create_args *a)
{
    task_kwargs k = {loop, a->name, a->context, a->eager_start};
    return make_task(st, st->TaskType, a->coro, &k);
}

#if CL_TASK_FACTORY_GETS_KWARGS
/* factory(loop, coro, **kwargs) with exactly the keywords create_task was
 * given, as 3.14's create_task calls it. */
static PyObject *
call_task_factory(PyObject *factory, PyObject *loop, PyObject *const *args,
                  Py_ssize_t nargs, PyObject *kwnames)
{
    Py_ssize_t nkw = kwnames ? PyTuple_GET_SIZE(kwnames) : 0;
    PyObject *small[8];
    PyObject **stack = small;
    if (nkw + 2 > (Py_ssize_t)(sizeof(small) / sizeof(small[0]))) {
        stack = PyMem_Malloc((size_t)(nkw + 2) * sizeof(PyObject *));
        if (stack == NULL) {
            return PyErr_NoMemory();
        }
    }
    stack[0] = loop;
    for (Py_ssize_t i = 0; i < nargs + nkw; i++) {
        stack[i + 1] = args[i];
    }
    PyObject *res = PyObject_Vectorcall(factory, stack, 2, kwnames);
    if (stack != small) {
        PyMem_Free(stack);
    }
    return res;
}
#endif

#if !CL_TASK_FACTORY_GETS_KWARGS
/* BaseEventLoop.create_task's task-factory branch, 3.11 to 3.13:
 * factory(loop, coro), with context= and (3.12+) eager_start= only when
 * given (asyncio's create_task takes no eager_start before 3.14: cloop
 * passes it on), then the name: 3.13 calls task.set_name(name) whatever
 * the name, 3.11 and 3.12 tasks._set_task_name(task, name), which names
 * the task only for a name. */
static PyObject *
run_task_factory(cl_state *st, PyObject *loop, PyObject *factory,
                 create_args *a)
{
    PyObject *stack[4] = {loop, a->coro};
    PyObject *names[2];
    Py_ssize_t nkw = 0;
    if (a->context != Py_None) {
        stack[2 + nkw] = a->context;
        names[nkw++] = st->str_context;
    }
    if (a->eager_start != Py_None) {
        stack[2 + nkw] = a->eager_start;
        names[nkw++] = st->str_eager_start;
    }
    PyObject *kwnames = NULL;
    if (nkw == 2) {
        kwnames = PyTuple_Pack(2, names[0], names[1]);
    }
    else if (nkw == 1) {
        kwnames = PyTuple_Pack(1, names[0]);
    }
    if (nkw > 0 && kwnames == NULL) {
        return NULL;
    }
    PyObject *task = PyObject_Vectorcall(factory, stack, 2, kwnames);
    Py_XDECREF(kwnames);
    if (task == NULL) {
        return NULL;
    }
    PyObject *res;
#if CL_FACTORY_TASK_NAMED_IF_GIVEN
    if (a->name == Py_None) {
        return task;
    }
    PyObject *nargs[2] = {task, a->name};
    res = PyObject_Vectorcall(st->set_task_name, nargs, 2, NULL);
#else
    res = PyObject_CallMethodOneArg(task, st->str_set_name, a->name);
#endif
    if (res == NULL) {
        Py_DECREF(task);
        return NULL;
    }
    Py_DECREF(res);
    return task;
}
#endif

#if CL_TASK_FACTORY_GETS_KWARGS
/* Was keyword `name` among those create_task was given? */
static int
kw_given(PyObject *kwnames, const char *name)
{
    Py_ssize_t nkw = kwnames ? PyTuple_GET_SIZE(kwnames) : 0;
    for (Py_ssize_t i = 0; i < nkw; i++) {
        if (PyUnicode_CompareWithASCIIString(PyTuple_GET_ITEM(kwnames, i),
                                             name)
            == 0) {
            return 1;
        }
    }
    return 0;
}
#endif

#if CL_HAS_EAGER_TASKS
/* create_task() with asyncio.eager_task_factory as the task factory: a
 * cloop.Task started eagerly, made as the factory would make asyncio's
 * Task, without a Python call. 3.14's factory is Task(coro, loop=loop,
 * eager_start=True, **kwargs); 3.12's and 3.13's is Task(coro, loop=loop,
 * context=context, eager_start=True), the task named after it ran its
 * first step. NULL with no exception (*handled 0) when the call is one the
 * factory itself must refuse (bad arguments, eager_start= before 3.14): the
 * caller calls it then, for its exact error. */
static PyObject *
create_eager_task(cl_state *st, PyObject *loop, PyObject *const *args,
                  Py_ssize_t nargs, PyObject *kwnames, int *handled)
{
    create_args a;
    *handled = 0;
    if (parse_create_task(args, nargs, kwnames, &a) < 0) {
        PyErr_Clear();
        return NULL;
    }
#if CL_TASK_FACTORY_GETS_KWARGS
    if (!kw_given(kwnames, "eager_start")) {
        a.eager_start = Py_True;
    }
    *handled = 1;
    return new_task(st, loop, &a);
#else
    if (a.eager_start != Py_None) {
        return NULL;
    }
    PyObject *name = a.name;
    a.name = Py_None;
    a.eager_start = Py_True;
    *handled = 1;
    PyObject *task = new_task(st, loop, &a);
    if (task != NULL && (CL_FACTORY_TASK_NAMED_EVEN_NONE || name != Py_None)) {
        PyObject *res =
            PyObject_CallMethodOneArg(task, st->str_set_name, name);
        if (res == NULL) {
            Py_CLEAR(task);
        }
        Py_XDECREF(res);
    }
    return task;
#endif
}
#endif

/* create_task(coro, *, name=None, context=None[, eager_start=None]):
 * a cloop.Task, or, when a task factory is set, what the factory makes of
 * it: from 3.14 the factory gets create_task's keywords as they were given;
 * before, run_task_factory() calls it as each version's create_task
 * does. */
PyObject *
Loop_create_task(PyObject *loop, PyObject *const *args, Py_ssize_t nargs,
                 PyObject *kwnames)
{
    cl_state *st = ((LoopObject *)loop)->state;
    if (cl_loop_check_closed((LoopObject *)loop) < 0) {
        return NULL;
    }
    PyObject *factory = PyObject_GetAttr(loop, st->str_task_factory);
    if (factory == NULL) {
        return NULL;
    }
    create_args a;
    PyObject *res = NULL;
#if CL_HAS_EAGER_TASKS
    if (factory == st->eager_task_factory) {
        int handled;
        res = create_eager_task(st, loop, args, nargs, kwnames, &handled);
        if (handled) {
            Py_DECREF(factory);
            return res;
        }
    }
#endif
#if CL_TASK_FACTORY_GETS_KWARGS
    if (factory != Py_None && nargs == 1) {
        res = call_task_factory(factory, loop, args, nargs, kwnames);
        Py_DECREF(factory);
        return res;
    }
#endif
    if (parse_create_task(args, nargs, kwnames, &a) == 0) {
        if (factory == Py_None) {
            res = new_task(st, loop, &a);
        }
#if !CL_TASK_FACTORY_GETS_KWARGS
        else {
            res = run_task_factory(st, loop, factory, &a);
        }
#endif
    }
    Py_DECREF(factory);
    return res;
}

/* ------------------------------------------------------------------ */
/* Destruction                                                         */

static void Task_dealloc(PyObject *self); /* marks cloop's Task type */

static int
Task_traverse(TaskObject *task, visitproc visit, void *arg)
{
    cl_taskdata *td = CL_TASK(task);
    Py_VISIT(td->coro);
    Py_VISIT(td->context);
    Py_VISIT(td->name);
    Py_VISIT(td->fut_waiter);
    int rc = cl_future_traverse_data((FutureObject *)task, visit, arg);
    if (rc != 0) {
        return rc;
    }
    return cl_asyncio_base_traverse(
        cl_asyncio_base_of((PyObject *)task, Task_dealloc), (PyObject *)task,
        visit, arg);
}

/* cloop's part of a Task (asyncio's is its own slots' business). */
static void
clear_task_data(FutureObject *task)
{
    cl_taskdata *td = CL_TASK(task);
    Py_CLEAR(td->coro);
    Py_CLEAR(td->context);
    Py_CLEAR(td->name);
    Py_CLEAR(td->fut_waiter);
    cl_future_clear_data((FutureObject *)task);
}

static int
Task_clear(TaskObject *task)
{
    clear_task_data((FutureObject *)task);
    cl_asyncio_base_clear(cl_asyncio_base_of((PyObject *)task, Task_dealloc),
                          (PyObject *)task);
    return 0;
}

static void
Task_dealloc(PyObject *self)
{
    cl_future_dealloc_on(cl_asyncio_base_of(self, Task_dealloc), self,
                         clear_task_data);
}

static PyObject *
destroyed_pending_context(TaskObject *task)
{
    return cl_err_context(
        PyUnicode_FromString("Task was destroyed but it is pending!"), "task",
        (PyObject *)task, "source_traceback", CL_TASK(task)->fut.source_tb,
        NULL);
}

static void
Task_finalize(TaskObject *task)
{
    cl_taskdata *td = CL_TASK(task);
    if (td->fut.loop != NULL && td->fut.fut_state == CL_FUT_PENDING
        && td->log_destroy_pending) {
        PyObject *saved = PyErr_GetRaisedException();
        /* As in cl_future_finalize: nothing escapes a finalizer. */
        if (cl_err_call_handler(td->fut.loop, destroyed_pending_context(task),
                                (PyObject *)task)
            < 0) {
            PyErr_WriteUnraisable((PyObject *)task);
        }
        PyErr_SetRaisedException(saved);
    }
    cl_future_finalize((FutureObject *)task);
}

static PyObject *
Task_repr(TaskObject *task)
{
    return PyObject_CallOneArg(CL_FUT(task)->state->task_repr,
                               (PyObject *)task);
}

/* ------------------------------------------------------------------ */
/* Python API                                                          */

static PyObject *
Task_cancel(TaskObject *task, PyObject *args, PyObject *kwds)
{
    static char *kwlist[] = {"msg", NULL};
    PyObject *msg = Py_None;
    if (!PyArg_ParseTupleAndKeywords(args, kwds, "|O:cancel", kwlist, &msg)
        || cl_future_check_alive((FutureObject *)task) < 0) {
        return NULL;
    }
    int rc = cl_taskstep_cancel(task, msg);
    return rc < 0 ? NULL : PyBool_FromLong(rc);
}

static PyObject *
Task_cancelling(TaskObject *task, PyObject *unused)
{
    return PyLong_FromSsize_t(CL_TASK(task)->num_cancels_requested);
}

static PyObject *
Task_uncancel(TaskObject *task, PyObject *unused)
{
    cl_taskdata *td = CL_TASK(task);
    if (td->num_cancels_requested > 0) {
        td->num_cancels_requested--;
#if CL_UNCANCEL_CLEARS_MUST_CANCEL
        if (td->num_cancels_requested == 0) {
            td->must_cancel = 0;
        }
#endif
    }
    return PyLong_FromSsize_t(td->num_cancels_requested);
}

static PyObject *
or_none(PyObject *o)
{
    return Py_NewRef(o ? o : Py_None);
}

static PyObject *
Task_get_coro(TaskObject *task, PyObject *unused)
{
    return or_none(CL_TASK(task)->coro);
}

#if CL_HAS_TASK_GET_CONTEXT
static PyObject *
Task_get_context(TaskObject *task, PyObject *unused)
{
    return or_none(CL_TASK(task)->context);
}
#endif

static PyObject *
Task_get_name(TaskObject *task, PyObject *unused)
{
    cl_taskdata *td = CL_TASK(task);
    if (td->name != NULL && PyLong_CheckExact(td->name)) {
        PyObject *s = PyUnicode_FromFormat("Task-%S", td->name);
        if (s == NULL) {
            return NULL;
        }
        Py_SETREF(td->name, s);
    }
    return or_none(td->name);
}

static PyObject *
Task_set_name(TaskObject *task, PyObject *value)
{
    PyObject *name =
        PyUnicode_CheckExact(value) ? Py_NewRef(value) : PyObject_Str(value);
    if (name == NULL) {
        return NULL;
    }
    store_name(task, name);
    Py_RETURN_NONE;
}

static PyObject *
Task_set_result(TaskObject *task, PyObject *unused)
{
    PyErr_SetString(PyExc_RuntimeError,
                    "Task does not support set_result operation");
    return NULL;
}

static PyObject *
Task_set_exception(TaskObject *task, PyObject *unused)
{
    PyErr_SetString(PyExc_RuntimeError,
                    "Task does not support set_exception operation");
    return NULL;
}

static PyObject *
Task_get_stack(TaskObject *task, PyObject *args, PyObject *kwds)
{
    static char *kwlist[] = {"limit", NULL};
    PyObject *limit = Py_None;
    if (!PyArg_ParseTupleAndKeywords(args, kwds, "|$O:get_stack", kwlist,
                                     &limit)) {
        return NULL;
    }
    return PyObject_CallFunctionObjArgs(CL_FUT(task)->state->task_get_stack,
                                        (PyObject *)task, limit, NULL);
}

static PyObject *
Task_print_stack(TaskObject *task, PyObject *args, PyObject *kwds)
{
    static char *kwlist[] = {"limit", "file", NULL};
    PyObject *limit = Py_None, *file = Py_None;
    if (!PyArg_ParseTupleAndKeywords(args, kwds, "|$OO:print_stack", kwlist,
                                     &limit, &file)) {
        return NULL;
    }
    return PyObject_CallFunctionObjArgs(CL_FUT(task)->state->task_print_stack,
                                        (PyObject *)task, limit, file, NULL);
}

/* __step(exc=None), the callable a foreign loop's call_soon runs. */
static PyObject *
Task_step_meth(TaskObject *task, PyObject *const *args, Py_ssize_t nargs)
{
    if (nargs > 1) {
        PyErr_Format(PyExc_TypeError,
                     "_Task__step() takes at most 1 argument (%zd given)",
                     nargs);
        return NULL;
    }
    PyObject *exc = nargs == 1 && args[0] != Py_None ? args[0] : NULL;
    if (cl_taskstep_run(task, exc) < 0) {
        return NULL;
    }
    Py_RETURN_NONE;
}

/* __wakeup(future), the done-callback a foreign future runs. */
static PyObject *
Task_wakeup_meth(TaskObject *task, PyObject *fut)
{
    if (cl_taskstep_wakeup(task, fut) < 0) {
        return NULL;
    }
    Py_RETURN_NONE;
}

static PyObject *
Task_get_log_destroy_pending(TaskObject *task, void *c)
{
    return PyBool_FromLong(CL_TASK(task)->log_destroy_pending);
}

static int
Task_set_log_destroy_pending(TaskObject *task, PyObject *value, void *c)
{
    return cl_attr_set_flag(value, &CL_TASK(task)->log_destroy_pending);
}

static PyObject *
Task_get_must_cancel(TaskObject *task, void *c)
{
    return PyBool_FromLong(CL_TASK(task)->must_cancel);
}

static PyObject *
Task_get_coro_attr(TaskObject *task, void *c)
{
    return or_none(CL_TASK(task)->coro);
}

static PyObject *
Task_get_fut_waiter(TaskObject *task, void *c)
{
    return or_none(CL_TASK(task)->fut_waiter);
}

static PyGetSetDef Task_getset[] = {
    {"_log_destroy_pending", (getter)Task_get_log_destroy_pending,
     (setter)Task_set_log_destroy_pending, NULL},
    {"_must_cancel", (getter)Task_get_must_cancel, NULL, NULL},
    {"_coro", (getter)Task_get_coro_attr, NULL, NULL},
    {"_fut_waiter", (getter)Task_get_fut_waiter, NULL, NULL},
    {NULL}};

#define KW_METH(f)                                                            \
    (PyCFunction)(void (*)(void))(f), METH_VARARGS | METH_KEYWORDS

static PyMethodDef Task_methods[] = {
    {"cancel", KW_METH(Task_cancel),
     "cancel($self, /, msg=None)\n--\n\nRequest that this task cancel "
     "itself."},
    {"cancelling", (PyCFunction)Task_cancelling, METH_NOARGS,
     "cancelling($self, /)\n--\n\nReturn the count of the task's "
     "cancellation requests."},
    {"uncancel", (PyCFunction)Task_uncancel, METH_NOARGS,
     "uncancel($self, /)\n--\n\nDecrement the task's count of cancellation "
     "requests."},
    {"get_coro", (PyCFunction)Task_get_coro, METH_NOARGS,
     "get_coro($self, /)\n--\n\n"},
#if CL_HAS_TASK_GET_CONTEXT
    {"get_context", (PyCFunction)Task_get_context, METH_NOARGS,
     "get_context($self, /)\n--\n\n"},
#endif
    {"get_name", (PyCFunction)Task_get_name, METH_NOARGS,
     "get_name($self, /)\n--\n\n"},
    {"set_name", (PyCFunction)Task_set_name, METH_O,
     "set_name($self, value, /)\n--\n\n"},
    {"set_result", (PyCFunction)Task_set_result, METH_O,
     "set_result($self, result, /)\n--\n\n"},
    {"set_exception", (PyCFunction)Task_set_exception, METH_O,
     "set_exception($self, exception, /)\n--\n\n"},
    {"get_stack", KW_METH(Task_get_stack),
     "get_stack($self, /, *, limit=None)\n--\n\nReturn the list of stack "
     "frames for this task's coroutine."},
    {"print_stack", KW_METH(Task_print_stack),
     "print_stack($self, /, *, limit=None, file=None)\n--\n\nPrint the stack "
     "or traceback for this task's coroutine."},
    {"_Task__step", (PyCFunction)(void (*)(void))Task_step_meth, METH_FASTCALL,
     NULL},
    {"_Task__wakeup", (PyCFunction)Task_wakeup_meth, METH_O, NULL},
    {NULL}};

static PyType_Slot Task_slots[] = {
    {Py_tp_new, cl_future_new},
    {Py_tp_init, Task_init},
    {Py_tp_dealloc, Task_dealloc},
    {Py_tp_finalize, Task_finalize},
    {Py_tp_traverse, Task_traverse},
    {Py_tp_clear, Task_clear},
    {Py_tp_repr, Task_repr},
    {Py_tp_iter, cl_futureiter_new},
    {Py_am_await, cl_futureiter_new},
    {Py_tp_methods, Task_methods},
    {Py_tp_getset, Task_getset},
    {Py_tp_doc, "Task(coro, *, loop=None, name=None, context=None, "
                "eager_start=False)\n--\n\nasyncio's Task, in C: a coroutine "
                "wrapped in a Future."},
    {0, NULL}};

/* basicsize: set when the type is made (cl_asyncio_base_make_type). */
static PyType_Spec Task_spec = {
    .name = "cloop._cloop.Task",
    .flags = Py_TPFLAGS_DEFAULT | Py_TPFLAGS_HAVE_GC | Py_TPFLAGS_BASETYPE
             | Py_TPFLAGS_IMMUTABLETYPE,
    .slots = Task_slots,
};

/* ------------------------------------------------------------------ */
/* Set-up                                                              */

static int
import_attr(const char *module, const char *name, PyObject **out)
{
    PyObject *mod = PyImport_ImportModule(module);
    if (mod == NULL) {
        return -1;
    }
    *out = PyObject_GetAttrString(mod, name);
    Py_DECREF(mod);
    return *out ? 0 : -1;
}

static int
import_asyncio(cl_state *st)
{
    if (import_attr("asyncio.exceptions", "CancelledError",
                    &st->CancelledError)
            < 0
        || import_attr("asyncio.exceptions", "InvalidStateError",
                       &st->InvalidStateError)
               < 0
        || import_attr("asyncio.events", CL_GET_EVENT_LOOP_NAME,
                       &st->get_event_loop)
               < 0
        || import_attr("asyncio.base_futures", "_future_repr",
                       &st->future_repr)
               < 0
        || import_attr("asyncio.base_tasks", "_task_repr", &st->task_repr) < 0
        || import_attr("asyncio.base_tasks", "_task_get_stack",
                       &st->task_get_stack)
               < 0
        || import_attr("asyncio.base_tasks", "_task_print_stack",
                       &st->task_print_stack)
               < 0
        || import_attr("asyncio.coroutines", "iscoroutine", &st->iscoroutine)
               < 0) {
        return -1;
    }
#if CL_HAS_EAGER_TASKS
    if (import_attr("asyncio.tasks", "eager_task_factory",
                    &st->eager_task_factory)
        < 0) {
        return -1;
    }
#endif
    return 0;
}

int
cl_task_init_state(PyObject *module, cl_state *st)
{
    /* The kwnames of call_soon(fn, arg, context=ctx) (readycall.c). */
    st->kwnames_context = Py_BuildValue("(s)", "context");
    if (st->kwnames_context == NULL || import_asyncio(st) < 0
        || cl_asyncio_base_init(st) < 0
        || cl_taskreg_init_state(module, st) < 0
        || cl_future_init_state(module, st) < 0) {
        return -1;
    }
    st->TaskType = cl_asyncio_base_make_type(
        module, &Task_spec, st->AsyncioTaskType, sizeof(cl_taskdata));
    if (st->TaskType == NULL || cl_future_add_api(st->TaskType) < 0
        || PyModule_AddType(module, st->TaskType) < 0) {
        return -1;
    }
    st->TaskType->tp_vectorcall = Task_vectorcall;
    return 0;
}

void
cl_task_clear_state(cl_state *st)
{
    cl_futureiter_clear_freelist(st);
}
