/* handle.c: Handle and TimerHandle.
 *
 * Owns: a handle's callback, arguments, context and a reference to its loop.
 * Does not own: the loop's queues; the loop holds its own reference to each
 * queued handle. Running a handle (cl_handle_run) calls the callback inside
 * its context and sends any exception but KeyboardInterrupt/SystemExit to
 * the loop's exception handler, as asyncio's Handle._run does.
 */
#include "common.h"
#include "debugcount.h"
#include "errors.h"
#include "handle.h"

/* ------------------------------------------------------------------ */
/* Creation and destruction                                            */

static int
capture_source_traceback(HandleObject *h, cl_state *st)
{
    PyObject *frame = (PyObject *)PyEval_GetFrame(); /* borrowed */
    if (frame == NULL) {
        return 0;
    }
    h->source_traceback = PyObject_CallOneArg(st->extract_stack, frame);
    return h->source_traceback ? 0 : -1;
}

HandleObject *
cl_handle_new(PyTypeObject *tp, LoopObject *loop, PyObject *callback,
              PyObject *const *args, Py_ssize_t nargs, PyObject *context)
{
    HandleObject *h = PyObject_GC_NewVar(HandleObject, tp, nargs);
    if (h == NULL) {
        return NULL;
    }
    h->callback = Py_NewRef(callback);
    for (Py_ssize_t i = 0; i < nargs; i++) {
        h->args[i] = Py_NewRef(args[i]);
    }
    h->context = NULL;
    h->loop = (LoopObject *)Py_NewRef((PyObject *)loop);
    h->source_traceback = NULL;
    h->repr = NULL;
    h->weakreflist = NULL;
    h->when = 0.0;
    h->when_given = NULL;
    h->cancelled = 0;
    h->scheduled = 0;
    h->own_context = 0;
    PyObject_GC_Track(h);
    CL_DEBUG_COUNT(handles, 1);

    if (context == NULL || context == Py_None) {
        h->context = PyContext_CopyCurrent();
        if (h->context == NULL) {
            goto error;
        }
        h->own_context = 1;
    }
    else {
        h->context = Py_NewRef(context);
    }
    if (loop->debug && capture_source_traceback(h, loop->state) < 0) {
        goto error;
    }
    return h;

error:
    Py_DECREF(h);
    return NULL;
}

static int
Handle_traverse(HandleObject *h, visitproc visit, void *arg)
{
    Py_VISIT(Py_TYPE(h));
    Py_VISIT(h->callback);
    for (Py_ssize_t i = 0; i < Py_SIZE(h); i++) {
        Py_VISIT(h->args[i]);
    }
    Py_VISIT(h->context);
    Py_VISIT(h->loop);
    Py_VISIT(h->source_traceback);
    Py_VISIT(h->repr);
    Py_VISIT(h->when_given);
    return 0;
}

/* Is h's context the untracked copy made for it? Only then is it ours to
 * track again: CPython never untracks a live context. */
static int
context_hidden(HandleObject *h)
{
    return h->own_context && h->context != NULL
           && !PyObject_GC_IsTracked(h->context);
}

/* Tracks h's context copy again: before h is tracked, and before h lets go
 * of it (a context must be tracked when it is deallocated). */
static void
show_context(HandleObject *h)
{
    if (context_hidden(h)) {
        PyObject_GC_Track(h->context);
    }
}

void
cl_handle_hide_from_gc(HandleObject *h)
{
    PyObject_GC_UnTrack(h);
    if (h->own_context && Py_REFCNT(h->context) == 1) {
        PyObject_GC_UnTrack(h->context);
    }
}

int
cl_handle_traverse_queued(PyObject *handle, visitproc visit, void *arg)
{
    if (PyObject_GC_IsTracked(handle)) {
        Py_VISIT(handle);
        return 0;
    }
    HandleObject *h = (HandleObject *)handle;
    int rc = Handle_traverse(h, visit, arg);
    if (rc == 0 && context_hidden(h)) {
        rc = Py_TYPE(h->context)->tp_traverse(h->context, visit, arg);
    }
    return rc;
}

void
cl_handle_release(PyObject *handle)
{
    if (Py_REFCNT(handle) > 1 && !PyObject_GC_IsTracked(handle)) {
        show_context((HandleObject *)handle);
        PyObject_GC_Track(handle);
    }
    Py_DECREF(handle);
}

static void
clear_args(HandleObject *h)
{
    for (Py_ssize_t i = 0; i < Py_SIZE(h); i++) {
        Py_CLEAR(h->args[i]);
    }
}

static int
Handle_clear(HandleObject *h)
{
    Py_CLEAR(h->callback);
    clear_args(h);
    show_context(h);
    Py_CLEAR(h->context);
    Py_CLEAR(h->loop);
    Py_CLEAR(h->source_traceback);
    Py_CLEAR(h->repr);
    Py_CLEAR(h->when_given);
    return 0;
}

static void
Handle_dealloc(HandleObject *h)
{
    PyTypeObject *tp = Py_TYPE(h);
    PyObject_GC_UnTrack(h);
    if (h->weakreflist != NULL) {
        PyObject_ClearWeakRefs((PyObject *)h);
    }
    (void)Handle_clear(h);
    CL_DEBUG_COUNT(handles, -1);
    tp->tp_free(h);
    Py_DECREF(tp);
}

/* ------------------------------------------------------------------ */
/* Running                                                             */

/* The arguments as a tuple (empty once cancelled). New reference. */
static PyObject *
args_tuple(HandleObject *h)
{
    Py_ssize_t n = h->callback ? Py_SIZE(h) : 0;
    PyObject *t = PyTuple_New(n);
    for (Py_ssize_t i = 0; t != NULL && i < n; i++) {
        PyTuple_SET_ITEM(t, i, Py_NewRef(h->args[i]));
    }
    return t;
}

/* Sends the pending exception of a failed callback to the loop's
 * exception handler. Returns -1 only for exceptions that stop the loop.
 * A handle the callback cancelled has released its arguments: the report
 * shows none, as asyncio's shows the cancelled handle's. */
static int
report_callback_error(HandleObject *h, PyObject *callback)
{
    return cl_err_report_callback(
        (PyObject *)h->loop, h->loop->state->format_callback_source,
        (PyObject *)h, callback, h->args, h->callback ? Py_SIZE(h) : 0,
        h->source_traceback);
}

/* Calls the callback with the handle's arguments inside its context.
 * The callback may cancel its own handle, which releases the arguments, so
 * the call works on its own references to them. */
static PyObject *
call_in_context(HandleObject *h, PyObject *callback)
{
    PyObject *small[8];
    Py_ssize_t n = Py_SIZE(h);
    PyObject **args = n <= 8 ? small : PyMem_Malloc(n * sizeof(PyObject *));
    if (args == NULL) {
        return PyErr_NoMemory();
    }
    for (Py_ssize_t i = 0; i < n; i++) {
        args[i] = Py_NewRef(h->args[i]);
    }
    PyObject *res = NULL;
    PyObject *ctx = Py_NewRef(h->context);
    if (PyContext_Enter(ctx) == 0) {
        res = PyObject_Vectorcall(callback, args, n, NULL);
        if (PyContext_Exit(ctx) < 0) {
            Py_CLEAR(res);
        }
    }
    Py_DECREF(ctx);
    for (Py_ssize_t i = 0; i < n; i++) {
        Py_DECREF(args[i]);
    }
    if (args != small) {
        PyMem_Free(args);
    }
    return res;
}

int
cl_handle_run(LoopObject *loop, PyObject *obj, PyObject *unused)
{
    HandleObject *h = (HandleObject *)obj;
    if (h->cancelled) {
        return 0;
    }
    /* Taken before the call: the error report names the callback and its
     * arguments even if the callback cancelled the handle meanwhile. */
    PyObject *callback = Py_NewRef(h->callback);
    PyObject *res = call_in_context(h, callback);
    int rc = 0;
    if (res == NULL) {
        rc = report_callback_error(h, callback);
    }
    else {
        Py_DECREF(res);
    }
    Py_DECREF(callback);
    return rc;
}

int
cl_handle_run_asyncio(LoopObject *loop, PyObject *handle, PyObject *unused)
{
    PyObject *res = PyObject_CallMethodNoArgs(handle, loop->state->str_run);
    if (res == NULL) {
        /* Handle._run lets only KeyboardInterrupt and SystemExit out. */
        return cl_err_unraisable(handle);
    }
    Py_DECREF(res);
    return 0;
}

/* ------------------------------------------------------------------ */
/* Python API                                                          */

void
cl_handle_cancel(HandleObject *h)
{
    if (h->cancelled) {
        return;
    }
    h->cancelled = 1;
    if (h->scheduled && h->loop != NULL) {
        /* asyncio's _timer_handle_cancelled: counted for compaction. */
        h->loop->timer_cancelled_count++;
        CL_STAT_INC(&h->loop->stats, timers_cancelled);
    }
    if (h->loop != NULL && h->loop->debug && h->repr == NULL) {
        /* Keep the callback's description for slow-callback warnings. */
        h->repr = PyObject_Repr((PyObject *)h);
        if (h->repr == NULL) {
            PyErr_Clear();
        }
    }
    Py_CLEAR(h->callback);
    clear_args(h);
}

static PyObject *
Handle_cancel(HandleObject *h, PyObject *unused)
{
    cl_handle_cancel(h);
    Py_RETURN_NONE;
}

static PyObject *
Handle_cancelled(HandleObject *h, PyObject *unused)
{
    return PyBool_FromLong(h->cancelled);
}

static PyObject *
Handle_get_context(HandleObject *h, PyObject *unused)
{
    return Py_NewRef(h->context ? h->context : Py_None);
}

static PyObject *
Handle_run(HandleObject *h, PyObject *unused)
{
    if (h->loop == NULL) {
        Py_RETURN_NONE;
    }
    if (cl_handle_run(h->loop, (PyObject *)h, NULL) < 0) {
        return NULL;
    }
    Py_RETURN_NONE;
}

/* The deadline as asyncio's TimerHandle keeps it: the object call_at was
 * given. New reference. */
static PyObject *
when_object(HandleObject *h)
{
    return h->when_given ? Py_NewRef(h->when_given)
                         : PyFloat_FromDouble(h->when);
}

static PyObject *
TimerHandle_when(HandleObject *h, PyObject *unused)
{
    return when_object(h);
}

/* The parts of asyncio's Handle._repr_info, joined as '<...>'. */
static int
append_str(PyObject *list, PyObject *s)
{
    if (s == NULL) {
        return -1;
    }
    int rc = PyList_Append(list, s);
    Py_DECREF(s);
    return rc;
}

static int
append_source_location(PyObject *info, PyObject *tb)
{
    if (tb == NULL || !PyList_Check(tb) || PyList_GET_SIZE(tb) == 0) {
        return 0;
    }
    PyObject *frame = PyList_GET_ITEM(tb, PyList_GET_SIZE(tb) - 1);
    PyObject *file = PySequence_GetItem(frame, 0);
    PyObject *line = file ? PySequence_GetItem(frame, 1) : NULL;
    int rc = -1;
    if (line != NULL) {
        rc = append_str(info,
                        PyUnicode_FromFormat("created at %S:%S", file, line));
    }
    Py_XDECREF(file);
    Py_XDECREF(line);
    return rc;
}

static PyObject *
repr_info(HandleObject *h)
{
    PyObject *info = PyList_New(0);
    if (info == NULL) {
        return NULL;
    }
    if (append_str(info, PyUnicode_FromString(_PyType_Name(Py_TYPE(h)))) < 0
        || (h->cancelled
            && append_str(info, PyUnicode_FromString("cancelled")) < 0)) {
        goto error;
    }
    if (h->callback != NULL && h->loop != NULL) {
        PyObject *args = args_tuple(h);
        if (args == NULL) {
            goto error;
        }
        PyObject *src = PyObject_CallFunctionObjArgs(
            h->loop->state->format_callback_source, h->callback, args, NULL);
        Py_DECREF(args);
        if (append_str(info, src) < 0) {
            goto error;
        }
    }
    if (append_source_location(info, h->source_traceback) < 0) {
        goto error;
    }
    return info;
error:
    Py_DECREF(info);
    return NULL;
}

static PyObject *
join_info(PyObject *info)
{
    PyObject *sep = PyUnicode_FromString(" ");
    if (sep == NULL) {
        return NULL;
    }
    PyObject *body = PyUnicode_Join(sep, info);
    Py_DECREF(sep);
    if (body == NULL) {
        return NULL;
    }
    PyObject *res = PyUnicode_FromFormat("<%U>", body);
    Py_DECREF(body);
    return res;
}

static PyObject *
Handle_repr(HandleObject *h)
{
    if (h->repr != NULL) {
        return Py_NewRef(h->repr);
    }
    PyObject *info = repr_info(h);
    if (info == NULL) {
        return NULL;
    }
    PyObject *res = join_info(info);
    Py_DECREF(info);
    return res;
}

static PyObject *
TimerHandle_repr(HandleObject *h)
{
    if (h->repr != NULL) {
        return Py_NewRef(h->repr);
    }
    PyObject *info = repr_info(h);
    if (info == NULL) {
        return NULL;
    }
    PyObject *when = when_object(h);
    PyObject *item = when ? PyUnicode_FromFormat("when=%R", when) : NULL;
    Py_XDECREF(when);
    PyObject *res = NULL;
    if (item != NULL && PyList_Insert(info, h->cancelled ? 2 : 1, item) == 0) {
        res = join_info(info);
    }
    Py_XDECREF(item);
    Py_DECREF(info);
    return res;
}

static PyObject *Handle_get_args(HandleObject *h, void *c);

/* TimerHandles compare by deadline, as asyncio's do (heapq relies on it);
 * equality also compares callback, arguments and cancellation. */
static PyObject *
TimerHandle_richcompare(HandleObject *a, PyObject *other, int op)
{
    if (!PyObject_TypeCheck(other, Py_TYPE(a))
        && !PyObject_TypeCheck((PyObject *)a, Py_TYPE(other))) {
        Py_RETURN_NOTIMPLEMENTED;
    }
    HandleObject *b = (HandleObject *)other;
    if (op == Py_EQ || op == Py_NE) {
        int eq = (PyObject *)a == other;
        if (!eq && a->when == b->when && a->cancelled == b->cancelled) {
            eq = 1;
            int r = PyObject_RichCompareBool(
                a->callback ? a->callback : Py_None,
                b->callback ? b->callback : Py_None, Py_EQ);
            if (r < 0) {
                return NULL;
            }
            eq = r;
            if (eq) {
                PyObject *aa = Handle_get_args(a, NULL);
                PyObject *ba = aa ? Handle_get_args(b, NULL) : NULL;
                r = ba ? PyObject_RichCompareBool(aa, ba, Py_EQ) : -1;
                Py_XDECREF(aa);
                Py_XDECREF(ba);
                if (r < 0) {
                    return NULL;
                }
                eq = r;
            }
        }
        return PyBool_FromLong(op == Py_EQ ? eq : !eq);
    }
    int eq = a->when == b->when;
    switch (op) {
        case Py_LT:
            return PyBool_FromLong(a->when < b->when);
        case Py_GT:
            return PyBool_FromLong(a->when > b->when);
        case Py_LE:
            return PyBool_FromLong(a->when < b->when || eq);
        case Py_GE:
            return PyBool_FromLong(a->when > b->when || eq);
    }
    Py_RETURN_NOTIMPLEMENTED;
}

static Py_hash_t
TimerHandle_hash(HandleObject *h)
{
    PyObject *when = when_object(h);
    if (when == NULL) {
        return -1;
    }
    Py_hash_t hash = PyObject_Hash(when);
    Py_DECREF(when);
    return hash;
}

static PyObject *
get_object_or_none(PyObject *o)
{
    return Py_NewRef(o ? o : Py_None);
}

static PyObject *
Handle_get_callback(HandleObject *h, void *c)
{
    return get_object_or_none(h->callback);
}
static PyObject *
Handle_get_args(HandleObject *h, void *c)
{
    /* asyncio sets _args to None when the handle is cancelled. */
    return h->callback ? args_tuple(h) : Py_NewRef(Py_None);
}
static PyObject *
Handle_get_loop(HandleObject *h, void *c)
{
    return get_object_or_none((PyObject *)h->loop);
}
static PyObject *
Handle_get_source_tb(HandleObject *h, void *c)
{
    return get_object_or_none(h->source_traceback);
}
static PyObject *
Handle_get_repr(HandleObject *h, void *c)
{
    return get_object_or_none(h->repr);
}
static PyObject *
Handle_get_cancelled_attr(HandleObject *h, void *c)
{
    return PyBool_FromLong(h->cancelled);
}
static PyObject *
TimerHandle_get_when(HandleObject *h, void *c)
{
    return when_object(h);
}
static PyObject *
TimerHandle_get_scheduled(HandleObject *h, void *c)
{
    return PyBool_FromLong(h->scheduled);
}

static PyMethodDef Handle_methods[] = {
    {"cancel", (PyCFunction)Handle_cancel, METH_NOARGS, "Cancel the call."},
    {"cancelled", (PyCFunction)Handle_cancelled, METH_NOARGS,
     "Return True if the call was cancelled."},
    {"get_context", (PyCFunction)Handle_get_context, METH_NOARGS,
     "Return the contextvars.Context the callback runs in."},
    {"_run", (PyCFunction)Handle_run, METH_NOARGS, NULL},
    {NULL}};

static PyGetSetDef Handle_getset[] = {
    {"_callback", (getter)Handle_get_callback, NULL, NULL, NULL},
    {"_args", (getter)Handle_get_args, NULL, NULL, NULL},
    {"_loop", (getter)Handle_get_loop, NULL, NULL, NULL},
    {"_context", (getter)Handle_get_context, NULL, NULL, NULL},
    {"_source_traceback", (getter)Handle_get_source_tb, NULL, NULL, NULL},
    {"_repr", (getter)Handle_get_repr, NULL, NULL, NULL},
    {"_cancelled", (getter)Handle_get_cancelled_attr, NULL, NULL, NULL},
    {NULL}};

static PyMemberDef Handle_members[] = {{"__weaklistoffset__", Py_T_PYSSIZET,
                                        offsetof(HandleObject, weakreflist),
                                        Py_READONLY},
                                       {NULL}};

static PyType_Slot Handle_slots[] = {
    {Py_tp_dealloc, Handle_dealloc},
    {Py_tp_traverse, Handle_traverse},
    {Py_tp_clear, Handle_clear},
    {Py_tp_repr, Handle_repr},
    {Py_tp_methods, Handle_methods},
    {Py_tp_getset, Handle_getset},
    {Py_tp_members, Handle_members},
    {Py_tp_doc, "Object returned by callback registration methods."},
    {0, NULL}};

static PyType_Spec Handle_spec = {
    .name = "cloop._cloop.Handle",
    .basicsize = offsetof(HandleObject, args),
    .itemsize = sizeof(PyObject *),
    .flags = Py_TPFLAGS_DEFAULT | Py_TPFLAGS_HAVE_GC | Py_TPFLAGS_BASETYPE
             | Py_TPFLAGS_IMMUTABLETYPE | Py_TPFLAGS_DISALLOW_INSTANTIATION,
    .slots = Handle_slots,
};

static PyMethodDef TimerHandle_methods[] = {
    {"when", (PyCFunction)TimerHandle_when, METH_NOARGS,
     "Return the scheduled time as a float (loop.time() clock)."},
    {NULL}};

static PyGetSetDef TimerHandle_getset[] = {
    {"_when", (getter)TimerHandle_get_when, NULL, NULL, NULL},
    {"_scheduled", (getter)TimerHandle_get_scheduled, NULL, NULL, NULL},
    {NULL}};

static PyType_Slot TimerHandle_slots[] = {
    {Py_tp_dealloc, Handle_dealloc},
    {Py_tp_traverse, Handle_traverse},
    {Py_tp_clear, Handle_clear},
    {Py_tp_repr, TimerHandle_repr},
    {Py_tp_richcompare, TimerHandle_richcompare},
    {Py_tp_hash, TimerHandle_hash},
    {Py_tp_methods, TimerHandle_methods},
    {Py_tp_getset, TimerHandle_getset},
    {Py_tp_doc, "Object returned by timed callback registration methods."},
    {0, NULL}};

static PyType_Spec TimerHandle_spec = {
    .name = "cloop._cloop.TimerHandle",
    .basicsize = offsetof(HandleObject, args),
    .itemsize = sizeof(PyObject *),
    .flags = Py_TPFLAGS_DEFAULT | Py_TPFLAGS_HAVE_GC | Py_TPFLAGS_IMMUTABLETYPE
             | Py_TPFLAGS_DISALLOW_INSTANTIATION,
    .slots = TimerHandle_slots,
};

int
cl_handle_init_state(PyObject *module, cl_state *st)
{
    st->HandleType =
        (PyTypeObject *)PyType_FromModuleAndSpec(module, &Handle_spec, NULL);
    if (st->HandleType == NULL
        || PyModule_AddType(module, st->HandleType) < 0) {
        return -1;
    }
    st->TimerHandleType = (PyTypeObject *)PyType_FromModuleAndSpec(
        module, &TimerHandle_spec, (PyObject *)st->HandleType);
    if (st->TimerHandleType == NULL
        || PyModule_AddType(module, st->TimerHandleType) < 0) {
        return -1;
    }
    return 0;
}
