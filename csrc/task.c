/* task.c: cloop.Task: the step, the wake-up, cancellation.
 *
 * Owns: the Task's coroutine, context, name and the future it waits for
 * (fut_waiter); everything a Future owns through its FutureObject base.
 * Does not own: the ready ring. A scheduled step is a ring entry
 * (task_step_entry, task, exc) holding its own references.
 *
 * Semantics are asyncio's C Task (Modules/_asynciomodule.c) of the running
 * Python. On a cloop Loop a step or a wake-up is queued straight onto the
 * ready ring, and a Task waiting for a cloop Future is stored in that
 * future's callbacks as itself (future.h): no bound method, no Handle, no
 * call_soon through Python. On any other loop (asyncio's own, uvloop...)
 * steps go through loop.call_soon(task._Task__step, context=...) and
 * wake-ups through add_done_callback(task._Task__wakeup, context=...), as
 * asyncio's Task does. Foreign futures (asyncio's, or any object with
 * _asyncio_future_blocking) are awaited through their public methods.
 *
 * Invariant (asyncio's): while the task is pending, either fut_waiter is a
 * pending future whose callbacks will wake the task, or exactly one step
 * is scheduled, or the task is running its step.
 */
#include <stdarg.h>

#include "common.h"
#include "task.h"
#include "taskreg.h"

static int task_step(TaskObject *task, PyObject *exc);

/* ------------------------------------------------------------------ */
/* Scheduling steps                                                    */

/* Reports the pending exception of a failed ring entry as asyncio's
 * Handle would for task.<meth>(arg). -1 only for fatal exceptions. */
static int
report_entry_error(LoopObject *loop, TaskObject *task, PyObject *meth,
                   PyObject *arg)
{
    if (cl_err_is_fatal()) {
        return -1;
    }
    PyObject *exc = cl_err_fetch();
    PyObject *fn = PyObject_GetAttr((PyObject *)task, meth);
    if (fn == NULL) {
        PyErr_Clear();
        fn = Py_NewRef((PyObject *)task);
    }
    cl_err_restore(exc);
    int rc = cl_future_report_entry_error(loop, fn, &arg, arg ? 1 : 0,
                                          task->context);
    Py_DECREF(fn);
    return rc;
}

/* The ready-ring entry of a step: task.__step(exc) in the task's context. */
static int
task_step_entry(LoopObject *loop, PyObject *obj, PyObject *exc)
{
    TaskObject *task = (TaskObject *)obj;
    PyObject *ctx = Py_NewRef(task->context);
    int rc = PyContext_Enter(ctx);
    if (rc == 0) {
        rc = task_step(task, exc);
        if (PyContext_Exit(ctx) < 0) {
            rc = -1;
        }
    }
    Py_DECREF(ctx);
    if (CL_UNLIKELY(rc < 0)) {
        return report_entry_error(loop, task, loop->state->str_task_step, exc);
    }
    return 0;
}

/* asyncio's call_soon(self.__step, exc, context=self._context). */
static int
schedule_step(TaskObject *task, PyObject *exc)
{
    FutureObject *fut = &task->fut;
    if (CL_LIKELY(fut->cloop_loop)) {
        LoopObject *loop = (LoopObject *)fut->loop;
        if (cl_loop_check_closed(loop) < 0
            || (loop->debug && cl_future_check_thread(loop) < 0)) {
            return -1;
        }
        return cl_loop_push_ready(loop, task_step_entry,
                                  Py_NewRef((PyObject *)task), Py_XNewRef(exc));
    }
    PyObject *step = PyObject_GetAttr((PyObject *)task, fut->state->str_task_step);
    if (step == NULL) {
        return -1;
    }
    int rc = cl_future_call_soon(fut->state, fut->loop, step, exc, task->context);
    Py_DECREF(step);
    return rc;
}

/* Schedules a step that throws RuntimeError(formatted message) into the
 * coroutine. */
static int
schedule_error(TaskObject *task, const char *format, ...)
{
    va_list vargs;
    va_start(vargs, format);
    PyObject *msg = PyUnicode_FromFormatV(format, vargs);
    va_end(vargs);
    if (msg == NULL) {
        return -1;
    }
    PyObject *exc = PyObject_CallOneArg(PyExc_RuntimeError, msg);
    Py_DECREF(msg);
    if (exc == NULL) {
        return -1;
    }
    int rc = schedule_step(task, exc);
    Py_DECREF(exc);
    return rc;
}

/* ------------------------------------------------------------------ */
/* Cancellation                                                        */

/* Task.cancel(msg): 1 if a cancellation was requested, 0 if the task is
 * done, -1 on error. */
static int
task_cancel(TaskObject *task, PyObject *msg)
{
    cl_state *st = task->fut.state;
    task->fut.log_tb = 0;
    if (task->fut.fut_state != CL_FUT_PENDING) {
        return 0;
    }
    task->num_cancels_requested++;
    if (task->fut_waiter != NULL) {
        PyObject *waiter = Py_NewRef(task->fut_waiter);
        int r;
        if (Py_IS_TYPE(waiter, st->TaskType)) {
            r = task_cancel((TaskObject *)waiter, msg);
        }
        else if (Py_IS_TYPE(waiter, st->FutureType)) {
            r = cl_future_cancel((FutureObject *)waiter, msg);
        }
        else {
            /* Positionally, as asyncio's C Task does. */
            PyObject *res = PyObject_CallMethodOneArg(waiter, st->str_cancel, msg);
            r = res ? PyObject_IsTrue(res) : -1;
            Py_XDECREF(res);
        }
        Py_DECREF(waiter);
        if (r != 0) {
            return r; /* the waiter will wake us with CancelledError */
        }
    }
    task->must_cancel = 1;
    Py_XSETREF(task->fut.cancel_msg, Py_NewRef(msg));
    return 1;
}

/* ------------------------------------------------------------------ */
/* The step                                                            */

/* The outcome of coro.throw(): PyIter_Send's three cases. */
static PySendResult
throw_status(PyObject **result)
{
    if (*result != NULL) {
        return PYGEN_NEXT;
    }
    if (!PyErr_ExceptionMatches(PyExc_StopIteration)) {
        return PYGEN_ERROR;
    }
    PyObject *exc = cl_err_fetch();
    PyObject *value = ((PyStopIterationObject *)exc)->value;
    *result = Py_NewRef(value ? value : Py_None);
    Py_DECREF(exc);
    return PYGEN_RETURN;
}

/* The coroutine returned; steals result. */
static int
task_returned(TaskObject *task, PyObject *result)
{
    int rc;
    if (task->must_cancel) {
        /* Cancelled right before the coroutine returned. */
        task->must_cancel = 0;
        rc = cl_future_cancel(&task->fut, task->fut.cancel_msg) < 0 ? -1 : 0;
    }
    else {
        rc = cl_future_set_result(&task->fut, result);
    }
    Py_DECREF(result);
    return rc;
}

/* The coroutine raised the pending exception. */
static int
task_raised(TaskObject *task)
{
    FutureObject *fut = &task->fut;
    if (PyErr_ExceptionMatches(fut->state->CancelledError)) {
        /* Kept to be re-raised by result(), as asyncio chains it. */
        Py_XSETREF(fut->cancelled_exc, cl_err_fetch());
        return cl_future_cancel(fut, NULL) < 0 ? -1 : 0;
    }
    PyObject *exc = cl_err_fetch();
    if (cl_future_set_exception(fut, exc) < 0) {
        Py_DECREF(exc);
        return -1;
    }
    if (PyErr_GivenExceptionMatches(exc, PyExc_KeyboardInterrupt)
        || PyErr_GivenExceptionMatches(exc, PyExc_SystemExit)) {
        cl_err_restore(exc); /* stops the loop, as in asyncio */
        return -1;
    }
    Py_DECREF(exc);
    return 0;
}

/* A cloop Future or Task (exact type) was yielded; steals result. */
static int
wait_for_cloop_future(TaskObject *task, PyObject *result)
{
    FutureObject *wf = (FutureObject *)result;
    if (wf->loop != task->fut.loop) {
        int rc = schedule_error(task, "Task %R got Future %R attached to a "
                                "different loop", task, result);
        Py_DECREF(result);
        return rc;
    }
    if (!wf->blocking) {
        int rc = schedule_error(task, "yield was used instead of yield from "
                                "in task %R with %R", task, result);
        Py_DECREF(result);
        return rc;
    }
    wf->blocking = 0;
    if (cl_future_add_wakeup(wf, (PyObject *)task) < 0) {
        Py_DECREF(result);
        return -1;
    }
    Py_XSETREF(task->fut_waiter, result);
    if (task->must_cancel) {
        PyObject *msg = task->fut.cancel_msg ? task->fut.cancel_msg : Py_None;
        int r = Py_IS_TYPE(result, task->fut.state->TaskType)
                    ? task_cancel((TaskObject *)result, msg)
                    : cl_future_cancel(wf, msg);
        if (r < 0) {
            return -1;
        }
        if (r) {
            task->must_cancel = 0;
        }
    }
    return 0;
}

/* futures._get_loop(fut): fut.get_loop() if it exists, else fut._loop. */
static PyObject *
foreign_future_loop(cl_state *st, PyObject *fut)
{
    PyObject *get_loop;
    if (cl_getattr_optional(fut, st->str_get_loop, &get_loop) < 0) {
        return NULL;
    }
    if (get_loop == NULL) {
        return PyObject_GetAttr(fut, st->str_loop_attr);
    }
    PyObject *loop = PyObject_CallNoArgs(get_loop);
    Py_DECREF(get_loop);
    return loop;
}

/* result.add_done_callback(task.__wakeup, context=task.context). */
static int
add_foreign_wakeup(TaskObject *task, PyObject *result)
{
    cl_state *st = task->fut.state;
    PyObject *wakeup = PyObject_GetAttr((PyObject *)task, st->str_task_wakeup);
    if (wakeup == NULL) {
        return -1;
    }
    PyObject *args[3] = {result, wakeup, task->context};
    PyObject *res = PyObject_VectorcallMethod(st->str_add_done_callback, args,
                                              2, st->kwnames_context);
    Py_DECREF(wakeup);
    if (res == NULL) {
        return -1;
    }
    Py_DECREF(res);
    return 0;
}

/* A future-like object that is not exactly a cloop Future was yielded
 * (blocking is its _asyncio_future_blocking); steals result. */
static int
wait_for_foreign_future(TaskObject *task, PyObject *result, int blocking)
{
    cl_state *st = task->fut.state;
    PyObject *loop = foreign_future_loop(st, result);
    if (loop == NULL) {
        goto error;
    }
    Py_DECREF(loop); /* only its identity matters */
    if (loop != task->fut.loop) {
        int rc = schedule_error(task, "Task %R got Future %R attached to a "
                                "different loop", task, result);
        Py_DECREF(result);
        return rc;
    }
    if (!blocking) {
        int rc = schedule_error(task, "yield was used instead of yield from "
                                "in task %R with %R", task, result);
        Py_DECREF(result);
        return rc;
    }
    if (PyObject_SetAttr(result, st->str_asyncio_future_blocking, Py_False) < 0
        || add_foreign_wakeup(task, result) < 0) {
        goto error;
    }
    Py_XSETREF(task->fut_waiter, result);
    if (task->must_cancel) {
        PyObject *msg = task->fut.cancel_msg ? task->fut.cancel_msg : Py_None;
        PyObject *res = PyObject_CallMethodOneArg(result, st->str_cancel, msg);
        int r = res ? PyObject_IsTrue(res) : -1;
        Py_XDECREF(res);
        if (r < 0) {
            return -1;
        }
        if (r) {
            task->must_cancel = 0;
        }
    }
    return 0;
error:
    Py_DECREF(result);
    return -1;
}

/* The coroutine yielded result; steals it. */
static int
task_yielded(TaskObject *task, PyObject *result)
{
    cl_state *st = task->fut.state;
    if (CL_UNLIKELY(result == (PyObject *)task)) {
        int rc = schedule_error(task, "Task cannot await on itself: %R", task);
        Py_DECREF(result);
        return rc;
    }
    if (CL_LIKELY(cl_future_check_exact(st, result))) {
        return wait_for_cloop_future(task, result);
    }
    if (result == Py_None) {
        /* A bare yield gives up one iteration of the loop. */
        Py_DECREF(result);
        return schedule_step(task, NULL);
    }
    PyObject *o;
    if (cl_getattr_optional(result, st->str_asyncio_future_blocking, &o) < 0) {
        Py_DECREF(result);
        return -1;
    }
    if (o != NULL && o != Py_None) {
        int blocking = PyObject_IsTrue(o);
        Py_DECREF(o);
        if (blocking < 0) {
            Py_DECREF(result);
            return -1;
        }
        return wait_for_foreign_future(task, result, blocking);
    }
    Py_XDECREF(o);
    int rc;
    if (PyGen_Check(result)) {
        rc = schedule_error(task, "yield was used instead of yield from for "
                            "generator in task %R with %R", task, result);
    }
    else {
        rc = schedule_error(task, "Task got bad yield: %R", result);
    }
    Py_DECREF(result);
    return rc;
}

/* One step without the current-task bookkeeping: send None into the
 * coroutine, or throw exc; then act on what it did. 0 or -1. */
static int
task_step_impl(TaskObject *task, PyObject *exc)
{
    FutureObject *fut = &task->fut;
    cl_state *st = fut->state;
    PyObject *own_exc = NULL;
    if (CL_UNLIKELY(fut->fut_state != CL_FUT_PENDING)) {
        PyErr_Format(st->InvalidStateError, "_step(): already done: %R %R",
                     task, exc ? exc : Py_None);
        return -1;
    }
    if (task->must_cancel) {
        if (exc == NULL || !PyErr_GivenExceptionMatches(exc, st->CancelledError)) {
            own_exc = cl_future_make_cancelled_error(fut);
            if (own_exc == NULL) {
                return -1;
            }
            exc = own_exc;
        }
        task->must_cancel = 0;
    }
    Py_CLEAR(task->fut_waiter);
    if (CL_UNLIKELY(task->coro == NULL)) {
        Py_XDECREF(own_exc);
        PyErr_SetString(PyExc_RuntimeError, "uninitialized Task object");
        return -1;
    }
    PyObject *coro = Py_NewRef(task->coro);
    PyObject *result = NULL;
    PySendResult status;
    if (exc == NULL) {
        status = PyIter_Send(coro, Py_None, &result);
    }
    else {
        result = PyObject_CallMethodOneArg(coro, st->str_throw, exc);
        status = throw_status(&result);
    }
    Py_DECREF(coro);
    Py_XDECREF(own_exc);
    switch (status) {
    case PYGEN_RETURN:
        return task_returned(task, result);
    case PYGEN_ERROR:
        return task_raised(task);
    default:
        return task_yielded(task, result);
    }
}

/* A step with the task entered as its loop's current task. */
static int
task_step(TaskObject *task, PyObject *exc)
{
    cl_state *st = task->fut.state;
    PyObject *loop = task->fut.loop;
    if (CL_UNLIKELY(loop == NULL)) {
        PyErr_SetString(PyExc_RuntimeError, "uninitialized Task object");
        return -1;
    }
    Py_INCREF(loop);
    int rc = cl_taskreg_enter(st, loop, (PyObject *)task);
    if (CL_LIKELY(rc == 0)) {
        rc = task_step_impl(task, exc);
        PyObject *err = rc < 0 ? cl_err_fetch() : NULL;
        if (cl_taskreg_leave(st, loop, (PyObject *)task) < 0) {
            rc = -1;
        }
        cl_err_chain(err);
    }
    Py_DECREF(loop);
    return rc;
}

/* ------------------------------------------------------------------ */
/* Waking up                                                           */

/* The future the task waited for is done: step with its outcome. */
static int
task_wakeup(TaskObject *task, PyObject *fut)
{
    cl_state *st = task->fut.state;
    if (cl_future_check_exact(st, fut)) {
        PyObject *out;
        int r = cl_future_get_outcome((FutureObject *)fut, &out);
        if (r >= 0) {
            /* The result itself reaches the coroutine through the
             * future's iterator, not through the step. */
            int rc = task_step(task, r == 1 ? out : NULL);
            Py_DECREF(out);
            return rc;
        }
    }
    else {
        PyObject *res = PyObject_CallMethodNoArgs(fut, st->str_result);
        if (res != NULL) {
            Py_DECREF(res);
            return task_step(task, NULL);
        }
    }
    PyObject *exc = cl_err_fetch();
    int rc = task_step(task, exc);
    Py_DECREF(exc);
    return rc;
}

int
cl_task_wakeup_entry(LoopObject *loop, PyObject *obj, PyObject *fut)
{
    TaskObject *task = (TaskObject *)obj;
    PyObject *ctx = Py_NewRef(task->context);
    int rc = PyContext_Enter(ctx);
    if (rc == 0) {
        rc = task_wakeup(task, fut);
        if (PyContext_Exit(ctx) < 0) {
            rc = -1;
        }
    }
    Py_DECREF(ctx);
    if (CL_UNLIKELY(rc < 0)) {
        return report_entry_error(loop, task, loop->state->str_task_wakeup, fut);
    }
    return 0;
}

/* ------------------------------------------------------------------ */
/* Creation                                                            */

/* Generators are accepted when types.coroutine marked them. */
static int
is_iterable_coroutine(PyObject *gen)
{
    PyObject *code = PyObject_GetAttrString(gen, "gi_code");
    if (code == NULL) {
        return -1;
    }
    PyObject *flags = PyObject_GetAttrString(code, "co_flags");
    Py_DECREF(code);
    if (flags == NULL) {
        return -1;
    }
    long f = PyLong_AsLong(flags);
    Py_DECREF(flags);
    if (f == -1 && PyErr_Occurred()) {
        return -1;
    }
    return (f & CO_ITERABLE_COROUTINE) != 0;
}

static int
is_coroutine(cl_state *st, PyObject *coro)
{
    if (CL_LIKELY(PyCoro_CheckExact(coro))) {
        return 1;
    }
    if (PyGen_CheckExact(coro)) {
        return is_iterable_coroutine(coro);
    }
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
    if (fut->cloop_loop) {
        return ((LoopObject *)fut->loop)->running;
    }
    PyObject *res = PyObject_CallMethodNoArgs(fut->loop, fut->state->str_is_running);
    if (res == NULL) {
        return -1;
    }
    int r = PyObject_IsTrue(res);
    Py_DECREF(res);
    return r;
}

#if CL_HAS_EAGER_TASKS
/* Runs the first step at once, in the task's context, with the task as
 * its loop's current task (asyncio's __eager_start). */
static int
task_eager_start(TaskObject *task)
{
    cl_state *st = task->fut.state;
    PyObject *loop = Py_NewRef(task->fut.loop);
    PyObject *ctx = Py_NewRef(task->context);
    int rc = -1;
    PyObject *prev = cl_taskreg_swap(st, loop, (PyObject *)task);
    if (prev == NULL) {
        goto done;
    }
    if (cl_taskreg_register_eager(st, (PyObject *)task) < 0
        || PyContext_Enter(ctx) < 0) {
        Py_DECREF(prev);
        goto done;
    }
    rc = task_step_impl(task, NULL);
    PyObject *err = rc < 0 ? cl_err_fetch() : NULL;
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
    if (task->fut.fut_state == CL_FUT_PENDING) {
        err = rc < 0 ? cl_err_fetch() : NULL;
        if (cl_taskreg_register(st, (PyObject *)task) < 0) {
            rc = -1;
        }
        cl_err_chain(err);
    }
    else {
        Py_CLEAR(task->coro);
    }
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
    cl_state *st = task->fut.state;
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
    Py_XSETREF(task->name, name);
    return 0;
}

static int
task_init(TaskObject *task, PyObject *coro, PyObject *loop, PyObject *name,
          PyObject *context, int eager_start)
{
    cl_state *st = task->fut.state;
    if (cl_future_init(&task->fut, loop) < 0) {
        return -1;
    }
    int r = is_coroutine(st, coro);
    if (r <= 0) {
        task->log_destroy_pending = 0;
        if (r == 0) {
            PyErr_Format(PyExc_TypeError, "a coroutine was expected, got %R",
                         coro);
        }
        return -1;
    }
    context = (context == NULL || context == Py_None) ? PyContext_CopyCurrent()
                                                      : Py_NewRef(context);
    if (context == NULL) {
        return -1;
    }
    Py_XSETREF(task->context, context);
    Py_CLEAR(task->fut_waiter);
    task->must_cancel = 0;
    task->log_destroy_pending = 1;
    task->num_cancels_requested = 0;
    Py_XSETREF(task->coro, Py_NewRef(coro));
    if (set_name(task, name) < 0) {
        return -1;
    }
#if CL_HAS_EAGER_TASKS
    if (eager_start) {
        int running = loop_is_running(&task->fut);
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
    if (schedule_step(task, NULL) < 0) {
        return -1;
    }
    return cl_taskreg_register(st, (PyObject *)task);
}

static int
Task_init(TaskObject *task, PyObject *args, PyObject *kwds)
{
    PyObject *coro, *loop = Py_None, *name = Py_None, *context = Py_None;
    int eager_start = 0;
#if CL_HAS_EAGER_TASKS
    static char *kwlist[] = {"coro", "loop", "name", "context", "eager_start",
                             NULL};
    if (!PyArg_ParseTupleAndKeywords(args, kwds, "O|$OOOp:Task", kwlist, &coro,
                                     &loop, &name, &context, &eager_start)) {
        return -1;
    }
#else
    static char *kwlist[] = {"coro", "loop", "name", "context", NULL};
    if (!PyArg_ParseTupleAndKeywords(args, kwds, "O|$OOO:Task", kwlist, &coro,
                                     &loop, &name, &context)) {
        return -1;
    }
#endif
    return task_init(task, coro, loop, name, context, eager_start);
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
                     "given", nargs);
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
                         "'%S'", key);
            return -1;
        }
    }
    return 0;
}

static PyObject *
new_task(cl_state *st, PyObject *loop, create_args *a)
{
    int eager = 0;
    if (a->eager_start != Py_None && (eager = PyObject_IsTrue(a->eager_start)) < 0) {
        return NULL;
    }
    TaskObject *task = (TaskObject *)st->TaskType->tp_alloc(st->TaskType, 0);
    if (task == NULL) {
        return NULL;
    }
    task->fut.state = st;
    if (task_init(task, a->coro, loop, a->name, a->context, eager) < 0) {
        Py_DECREF(task);
        return NULL;
    }
    return (PyObject *)task;
}

/* create_task(coro, *, name=None, context=None[, eager_start=None]):
 * a cloop.Task, or, when a task factory is set, what
 * loop._run_task_factory() makes of it (cloop/_loop.py). */
static PyObject *
Loop_create_task(PyObject *loop, PyObject *const *args, Py_ssize_t nargs,
                 PyObject *kwnames)
{
    cl_state *st = ((LoopObject *)loop)->state;
    create_args a;
    if (parse_create_task(args, nargs, kwnames, &a) < 0
        || cl_loop_check_closed((LoopObject *)loop) < 0) {
        return NULL;
    }
    PyObject *factory = PyObject_GetAttr(loop, st->str_task_factory);
    if (factory == NULL) {
        return NULL;
    }
    if (factory == Py_None) {
        Py_DECREF(factory);
        return new_task(st, loop, &a);
    }
    PyObject *fargs[6] = {loop, factory, a.coro, a.name, a.context,
                          a.eager_start};
    PyObject *res = PyObject_VectorcallMethod(st->str_run_task_factory, fargs,
                                              6, NULL);
    Py_DECREF(factory);
    return res;
}

static PyMethodDef Loop_create_task_def = {
    "create_task", (PyCFunction)(void (*)(void))Loop_create_task,
    METH_FASTCALL | METH_KEYWORDS,
    "create_task(coro, *, name=None, context=None)\n--\n\n"
    "Schedule a coroutine object; return a Task."};

/* ------------------------------------------------------------------ */
/* Destruction                                                         */

static int
Task_traverse(TaskObject *task, visitproc visit, void *arg)
{
    Py_VISIT(task->coro);
    Py_VISIT(task->context);
    Py_VISIT(task->name);
    Py_VISIT(task->fut_waiter);
    return cl_future_traverse(&task->fut, visit, arg);
}

static int
Task_clear(TaskObject *task)
{
    Py_CLEAR(task->coro);
    Py_CLEAR(task->context);
    Py_CLEAR(task->name);
    Py_CLEAR(task->fut_waiter);
    return cl_future_clear(&task->fut);
}

static PyObject *
destroyed_pending_context(TaskObject *task)
{
    cl_state *st = task->fut.state;
    PyObject *ctx = PyDict_New();
    PyObject *msg = PyUnicode_FromString("Task was destroyed but it is pending!");
    if (ctx == NULL || msg == NULL
        || PyDict_SetItem(ctx, st->str_message, msg) < 0
        || PyDict_SetItem(ctx, st->str_task, (PyObject *)task) < 0
        || (task->fut.source_tb != NULL
            && PyDict_SetItem(ctx, st->str_source_traceback,
                              task->fut.source_tb) < 0)) {
        Py_XDECREF(msg);
        Py_XDECREF(ctx);
        return NULL;
    }
    Py_DECREF(msg);
    return ctx;
}

static void
Task_finalize(TaskObject *task)
{
    if (task->fut.loop != NULL && task->fut.fut_state == CL_FUT_PENDING
        && task->log_destroy_pending) {
        PyObject *saved = cl_err_fetch();
        PyObject *ctx = destroyed_pending_context(task);
        PyObject *res = NULL;
        if (ctx != NULL) {
            res = PyObject_CallMethodOneArg(
                task->fut.loop, task->fut.state->str_call_exception_handler, ctx);
            Py_DECREF(ctx);
        }
        if (res == NULL) {
            PyErr_WriteUnraisable((PyObject *)task);
        }
        Py_XDECREF(res);
        cl_err_restore(saved);
    }
    cl_future_finalize(&task->fut);
}

static PyObject *
Task_repr(TaskObject *task)
{
    return PyObject_CallOneArg(task->fut.state->task_repr, (PyObject *)task);
}

/* ------------------------------------------------------------------ */
/* Python API                                                          */

static PyObject *
Task_cancel(TaskObject *task, PyObject *args, PyObject *kwds)
{
    static char *kwlist[] = {"msg", NULL};
    PyObject *msg = Py_None;
    if (!PyArg_ParseTupleAndKeywords(args, kwds, "|O:cancel", kwlist, &msg)
        || cl_future_check_alive(&task->fut) < 0) {
        return NULL;
    }
    int rc = task_cancel(task, msg);
    return rc < 0 ? NULL : PyBool_FromLong(rc);
}

static PyObject *
Task_cancelling(TaskObject *task, PyObject *unused)
{
    return PyLong_FromSsize_t(task->num_cancels_requested);
}

static PyObject *
Task_uncancel(TaskObject *task, PyObject *unused)
{
    if (task->num_cancels_requested > 0) {
        task->num_cancels_requested--;
#if CL_UNCANCEL_CLEARS_MUST_CANCEL
        if (task->num_cancels_requested == 0) {
            task->must_cancel = 0;
        }
#endif
    }
    return PyLong_FromSsize_t(task->num_cancels_requested);
}

static PyObject *
or_none(PyObject *o)
{
    return Py_NewRef(o ? o : Py_None);
}

static PyObject *
Task_get_coro(TaskObject *task, PyObject *unused)
{
    return or_none(task->coro);
}

#if CL_HAS_TASK_GET_CONTEXT
static PyObject *
Task_get_context(TaskObject *task, PyObject *unused)
{
    return or_none(task->context);
}
#endif

static PyObject *
Task_get_name(TaskObject *task, PyObject *unused)
{
    if (task->name != NULL && PyLong_CheckExact(task->name)) {
        PyObject *s = PyUnicode_FromFormat("Task-%S", task->name);
        if (s == NULL) {
            return NULL;
        }
        Py_SETREF(task->name, s);
    }
    return or_none(task->name);
}

static PyObject *
Task_set_name(TaskObject *task, PyObject *value)
{
    PyObject *name = PyUnicode_CheckExact(value) ? Py_NewRef(value)
                                                 : PyObject_Str(value);
    if (name == NULL) {
        return NULL;
    }
    Py_XSETREF(task->name, name);
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
    return PyObject_CallFunctionObjArgs(task->fut.state->task_get_stack,
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
    return PyObject_CallFunctionObjArgs(task->fut.state->task_print_stack,
                                        (PyObject *)task, limit, file, NULL);
}

/* __step(exc=None), the callable a foreign loop's call_soon runs. */
static PyObject *
Task_step_meth(TaskObject *task, PyObject *const *args, Py_ssize_t nargs)
{
    if (nargs > 1) {
        PyErr_Format(PyExc_TypeError,
                     "_Task__step() takes at most 1 argument (%zd given)", nargs);
        return NULL;
    }
    PyObject *exc = nargs == 1 && args[0] != Py_None ? args[0] : NULL;
    if (task_step(task, exc) < 0) {
        return NULL;
    }
    Py_RETURN_NONE;
}

/* __wakeup(future), the done-callback a foreign future runs. */
static PyObject *
Task_wakeup_meth(TaskObject *task, PyObject *fut)
{
    if (task_wakeup(task, fut) < 0) {
        return NULL;
    }
    Py_RETURN_NONE;
}

static PyObject *
Task_get_log_destroy_pending(TaskObject *task, void *c)
{
    return PyBool_FromLong(task->log_destroy_pending);
}

static int
Task_set_log_destroy_pending(TaskObject *task, PyObject *value, void *c)
{
    if (value == NULL) {
        PyErr_SetString(PyExc_AttributeError, "cannot delete attribute");
        return -1;
    }
    int b = PyObject_IsTrue(value);
    if (b < 0) {
        return -1;
    }
    task->log_destroy_pending = (char)b;
    return 0;
}

static PyObject *
Task_get_must_cancel(TaskObject *task, void *c)
{
    return PyBool_FromLong(task->must_cancel);
}

static PyObject *
Task_get_coro_attr(TaskObject *task, void *c)
{
    return or_none(task->coro);
}

static PyObject *
Task_get_fut_waiter(TaskObject *task, void *c)
{
    return or_none(task->fut_waiter);
}

static PyGetSetDef Task_getset[] = {
    {"_log_destroy_pending", (getter)Task_get_log_destroy_pending,
     (setter)Task_set_log_destroy_pending, NULL},
    {"_must_cancel", (getter)Task_get_must_cancel, NULL, NULL},
    {"_coro", (getter)Task_get_coro_attr, NULL, NULL},
    {"_fut_waiter", (getter)Task_get_fut_waiter, NULL, NULL},
    {NULL}};

#define KW_METH(f) (PyCFunction)(void (*)(void))(f), METH_VARARGS | METH_KEYWORDS

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
    {Py_tp_init, Task_init},
    {Py_tp_dealloc, cl_future_dealloc},
    {Py_tp_finalize, Task_finalize},
    {Py_tp_traverse, Task_traverse},
    {Py_tp_clear, Task_clear},
    {Py_tp_repr, Task_repr},
    {Py_tp_methods, Task_methods},
    {Py_tp_getset, Task_getset},
    {Py_tp_doc, "Task(coro, *, loop=None, name=None, context=None, "
                "eager_start=False)\n--\n\nasyncio's Task, in C: a coroutine "
                "wrapped in a Future."},
    {0, NULL}};

static PyType_Spec Task_spec = {
    .name = "cloop._cloop.Task",
    .basicsize = sizeof(TaskObject),
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
    if (import_attr("asyncio.exceptions", "CancelledError", &st->CancelledError) < 0
        || import_attr("asyncio.exceptions", "InvalidStateError",
                       &st->InvalidStateError) < 0
        || import_attr("asyncio.events", CL_GET_EVENT_LOOP_NAME,
                       &st->get_event_loop) < 0
        || import_attr("asyncio.base_futures", "_future_repr", &st->future_repr) < 0
        || import_attr("asyncio.base_tasks", "_task_repr", &st->task_repr) < 0
        || import_attr("asyncio.base_tasks", "_task_get_stack",
                       &st->task_get_stack) < 0
        || import_attr("asyncio.base_tasks", "_task_print_stack",
                       &st->task_print_stack) < 0
        || import_attr("asyncio.coroutines", "iscoroutine", &st->iscoroutine) < 0) {
        return -1;
    }
    return 0;
}

static int
intern_strings(cl_state *st)
{
#define INTERN(field, text)                                                 \
    if ((st->field = PyUnicode_InternFromString(text)) == NULL) {           \
        return -1;                                                          \
    }
    INTERN(str_cancel, "cancel");
    INTERN(str_add_done_callback, "add_done_callback");
    INTERN(str_asyncio_future_blocking, "_asyncio_future_blocking");
    INTERN(str_get_loop, "get_loop");
    INTERN(str_loop_attr, "_loop");
    INTERN(str_result, "result");
    INTERN(str_throw, "throw");
    INTERN(str_call_soon, "call_soon");
    INTERN(str_get_debug, "get_debug");
    INTERN(str_is_running, "is_running");
    INTERN(str_future, "future");
    INTERN(str_task, "task");
    INTERN(str_task_step, "_Task__step");
    INTERN(str_task_wakeup, "_Task__wakeup");
    INTERN(str_task_factory, "_task_factory");
    INTERN(str_run_task_factory, "_run_task_factory");
#undef INTERN
    st->kwnames_context = Py_BuildValue("(s)", "context");
    return st->kwnames_context ? 0 : -1;
}

static int
add_loop_method(PyObject *module, cl_state *st, const char *name,
                PyMethodDef *def)
{
    PyObject *descr = PyDescr_NewMethod(st->LoopType, def);
    if (descr == NULL) {
        return -1;
    }
    int rc = PyModule_AddObjectRef(module, name, descr);
    Py_DECREF(descr);
    return rc;
}

int
cl_task_init_state(PyObject *module, cl_state *st)
{
    if (intern_strings(st) < 0 || import_asyncio(st) < 0
        || cl_taskreg_init_state(module, st) < 0
        || cl_future_init_state(module, st) < 0) {
        return -1;
    }
    st->TaskType = (PyTypeObject *)PyType_FromModuleAndSpec(
        module, &Task_spec, (PyObject *)st->FutureType);
    if (st->TaskType == NULL || PyModule_AddType(module, st->TaskType) < 0
        || add_loop_method(module, st, "_loop_create_task",
                           &Loop_create_task_def) < 0) {
        return -1;
    }
    return 0;
}

void
cl_task_clear_state(cl_state *st)
{
    cl_future_clear_freelist(st);
}
