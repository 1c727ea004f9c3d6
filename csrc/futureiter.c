/* futureiter.c: FutureIter, the iterator of `await fut` and `yield from
 * fut` for cloop's Future and Task.
 *
 * Owns: a reference to its future until exhausted. It yields the future
 * once, flagged _asyncio_future_blocking, for the awaiting Task to wait on,
 * then returns the future's result (or raises its exception); throw()
 * raises what is thrown in, which is how a Task's cancellation reaches
 * the awaiting coroutine.
 *
 * Memory of dead iterators is recycled through a free list in the module
 * state (at most CL_FI_FREELIST_MAX blocks): `await fut` is the hottest
 * allocation of a program that awaits futures. A block on the free list is
 * untracked, holds no references and keeps its GC header; PyObject_Init
 * makes it an object again.
 */
#include "common.h"
#include "futureiter.h"

#define CL_FI_FREELIST_MAX 255

PyObject *
cl_futureiter_new(FutureObject *fut)
{
    if (cl_future_check_alive(fut) < 0) {
        return NULL;
    }
    cl_state *st = CL_FUT(fut)->state;
    FutureIterObject *it = st->fi_freelist;
    if (it != NULL) {
        st->fi_freelist = it->next_free;
        st->fi_freelist_len--;
        (void)PyObject_Init((PyObject *)it, st->FutureIterType);
    }
    else {
        it = PyObject_GC_New(FutureIterObject, st->FutureIterType);
        if (it == NULL) {
            return NULL;
        }
    }
    it->next_free = NULL;
    it->future = (FutureObject *)Py_NewRef((PyObject *)fut);
    PyObject_GC_Track(it);
    return (PyObject *)it;
}

static void
FutureIter_dealloc(FutureIterObject *it)
{
    PyTypeObject *tp = Py_TYPE(it);
    /* The state through the type's own module (FutureIter has no
     * subclasses: no walk up the MRO). Not through the future's cached
     * pointer: at interpreter exit the module, and its state, can be gone
     * while a suspended coroutine still holds the iterator; the type then
     * has no module any more, and the block is simply freed. */
    PyObject *mod = PyType_GetModule(tp);
    cl_state *st = mod != NULL ? PyModule_GetState(mod) : NULL;
    if (st == NULL) {
        PyErr_Clear(); /* not recycled then */
    }
    PyObject_GC_UnTrack(it);
    Py_CLEAR(it->future);
    if (st != NULL && !st->fi_freelist_closed
        && st->fi_freelist_len < CL_FI_FREELIST_MAX) {
        it->next_free = st->fi_freelist;
        st->fi_freelist = it;
        st->fi_freelist_len++;
    }
    else {
        PyObject_GC_Del(it);
    }
    Py_DECREF(tp);
}

void
cl_futureiter_clear_freelist(cl_state *st)
{
    st->fi_freelist_closed = 1;
    while (st->fi_freelist != NULL) {
        FutureIterObject *it = st->fi_freelist;
        st->fi_freelist = it->next_free;
        PyObject_GC_Del(it);
    }
    st->fi_freelist_len = 0;
}

static int
FutureIter_traverse(FutureIterObject *it, visitproc visit, void *arg)
{
    Py_VISIT(Py_TYPE(it));
    Py_VISIT(it->future);
    return 0;
}

static PySendResult
FutureIter_am_send(FutureIterObject *it, PyObject *unused, PyObject **result)
{
    FutureObject *fut = it->future;
    *result = NULL;
    if (fut == NULL) {
        PyErr_SetNone(PyExc_StopIteration);
        return PYGEN_ERROR;
    }
    if (CL_FUT(fut)->fut_state == CL_FUT_PENDING) {
        if (!CL_FUT(fut)->blocking) {
            CL_FUT(fut)->blocking = 1;
            *result = Py_NewRef((PyObject *)fut);
            return PYGEN_NEXT;
        }
        PyErr_SetString(PyExc_RuntimeError, "await wasn't used with future");
        return PYGEN_ERROR;
    }
    it->future = NULL;
    PyObject *res = cl_future_result(fut);
    Py_DECREF(fut);
    if (res == NULL) {
        return PYGEN_ERROR;
    }
    *result = res;
    return PYGEN_RETURN;
}

static PyObject *
FutureIter_iternext(FutureIterObject *it)
{
    if (it->future == NULL) {
        return NULL;
    }
    PyObject *res;
    switch (FutureIter_am_send(it, Py_None, &res)) {
        case PYGEN_NEXT:
            return res;
        case PYGEN_RETURN:
            if (res == Py_None) {
                PyErr_SetNone(PyExc_StopIteration);
            }
            else {
                /* An instance, so that a tuple result is not taken for the
                 * exception's arguments. */
                PyObject *e = PyObject_CallOneArg(PyExc_StopIteration, res);
                if (e != NULL) {
                    PyErr_SetObject(PyExc_StopIteration, e);
                    Py_DECREF(e);
                }
            }
            Py_DECREF(res);
            return NULL;
        default:
            return NULL;
    }
}

/* send(value): the value is ignored, as asyncio's: the result comes from
 * the future. Unlike tp_iternext, a method must raise StopIteration itself
 * once the iterator is exhausted (closed, thrown into, or done). */
static PyObject *
FutureIter_send(FutureIterObject *it, PyObject *unused)
{
    PyObject *res = FutureIter_iternext(it);
    if (res == NULL && !PyErr_Occurred()) {
        PyErr_SetNone(PyExc_StopIteration);
    }
    return res;
}

/* The exception throw(type[, value[, tb]]) raises; new reference. */
static PyObject *
thrown_exception(PyObject *type, PyObject *val)
{
    PyObject *exc;
    if (PyExceptionClass_Check(type)) {
        if (val == NULL) {
            exc = PyObject_CallNoArgs(type);
        }
        else if (PyObject_TypeCheck(val, (PyTypeObject *)type)) {
            exc = Py_NewRef(val);
        }
        else if (PyTuple_Check(val)) {
            exc = PyObject_Call(type, val, NULL);
        }
        else {
            exc = PyObject_CallOneArg(type, val);
        }
        if (exc != NULL && !PyExceptionInstance_Check(exc)) {
            PyErr_Format(PyExc_TypeError,
                         "calling %R should have returned an instance of "
                         "BaseException, not %s",
                         type, Py_TYPE(exc)->tp_name);
            Py_CLEAR(exc);
        }
        return exc;
    }
    if (PyExceptionInstance_Check(type)) {
        if (val != NULL) {
            PyErr_SetString(
                PyExc_TypeError,
                "instance exception may not have a separate value");
            return NULL;
        }
        return Py_NewRef(type);
    }
    PyErr_Format(PyExc_TypeError,
                 "exceptions must be classes deriving BaseException or "
                 "instances of such a class, not %s",
                 Py_TYPE(type)->tp_name);
    return NULL;
}

static PyObject *
FutureIter_throw(FutureIterObject *it, PyObject *const *args, Py_ssize_t nargs)
{
    if (nargs < 1 || nargs > 3) {
        PyErr_Format(PyExc_TypeError,
                     "throw expected at least 1 argument, got %zd", nargs);
        return NULL;
    }
#if CL_THROW_3ARGS_DEPRECATED
    if (nargs > 1
        && PyErr_WarnEx(PyExc_DeprecationWarning,
                        "the (type, exc, tb) signature of throw() is "
                        "deprecated, use the single-arg signature instead.",
                        1)
               < 0) {
        return NULL;
    }
#endif
    PyObject *val = nargs > 1 && args[1] != Py_None ? args[1] : NULL;
    PyObject *tb = nargs > 2 && args[2] != Py_None ? args[2] : NULL;
    if (tb != NULL && !PyTraceBack_Check(tb)) {
        PyErr_SetString(PyExc_TypeError,
                        "throw() third argument must be a traceback");
        return NULL;
    }
    PyObject *exc = thrown_exception(args[0], val);
    if (exc == NULL) {
        return NULL;
    }
    if (tb != NULL && PyException_SetTraceback(exc, tb) < 0) {
        Py_DECREF(exc);
        return NULL;
    }
    Py_CLEAR(it->future);
    PyErr_SetRaisedException(exc);
    return NULL;
}

static PyObject *
FutureIter_close(FutureIterObject *it, PyObject *unused)
{
    Py_CLEAR(it->future);
    Py_RETURN_NONE;
}

static PyMethodDef FutureIter_methods[] = {
    {"send", (PyCFunction)FutureIter_send, METH_O, NULL},
    {"throw", (PyCFunction)(void (*)(void))FutureIter_throw, METH_FASTCALL,
     NULL},
    {"close", (PyCFunction)FutureIter_close, METH_NOARGS, NULL},
    {NULL}};

static PyType_Slot FutureIter_slots[] = {{Py_tp_dealloc, FutureIter_dealloc},
                                         {Py_tp_traverse, FutureIter_traverse},
                                         {Py_tp_iter, PyObject_SelfIter},
                                         {Py_tp_iternext, FutureIter_iternext},
                                         {Py_tp_methods, FutureIter_methods},
                                         {Py_am_send, FutureIter_am_send},
                                         {0, NULL}};

static PyType_Spec FutureIter_spec = {
    .name = "cloop._cloop.FutureIter",
    .basicsize = sizeof(FutureIterObject),
    .flags = Py_TPFLAGS_DEFAULT | Py_TPFLAGS_HAVE_GC | Py_TPFLAGS_IMMUTABLETYPE
             | Py_TPFLAGS_DISALLOW_INSTANTIATION,
    .slots = FutureIter_slots,
};

int
cl_futureiter_init_state(PyObject *module, cl_state *st)
{
    st->FutureIterType = (PyTypeObject *)PyType_FromModuleAndSpec(
        module, &FutureIter_spec, NULL);
    return st->FutureIterType ? 0 : -1;
}
