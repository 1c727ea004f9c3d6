/* taskstep.c: what makes a cloop Task move: the step, the wake-up,
 * cancellation.
 *
 * Owns nothing of its own; it drives the state a TaskObject owns (task.h).
 * A scheduled step on a cloop loop is a ring entry (task_step_entry, task,
 * exc) holding its own references.
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
#include "errors.h"
#include "readycall.h"
#include "taskreg.h"
#include "taskstep.h"

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
    PyObject *exc = PyErr_GetRaisedException();
    PyObject *fn = PyObject_GetAttr((PyObject *)task, meth);
    if (fn == NULL) {
        PyErr_Clear();
        fn = Py_NewRef((PyObject *)task);
    }
    PyErr_SetRaisedException(exc);
    int rc = cl_readycall_report_error(loop, fn, &arg, arg ? 1 : 0,
                                       CL_TASK(task)->context);
    Py_DECREF(fn);
    return rc;
}

/* A ready-ring entry of the task: fn(task, arg), which is
 * task.<meth>(arg), inside the task's context; a failure is reported as
 * asyncio's Handle for it would report it. Inlined into each entry. */
static inline int
run_task_entry(LoopObject *loop, TaskObject *task,
               int (*fn)(TaskObject *, PyObject *), PyObject *arg,
               PyObject *meth)
{
    PyObject *ctx = Py_NewRef(CL_TASK(task)->context);
    int rc = PyContext_Enter(ctx);
    if (rc == 0) {
        rc = fn(task, arg);
        if (PyContext_Exit(ctx) < 0) {
            rc = -1;
        }
    }
    Py_DECREF(ctx);
    if (CL_UNLIKELY(rc < 0)) {
        return report_entry_error(loop, task, meth, arg);
    }
    return 0;
}

/* The ready-ring entry of a step: task.__step(exc). */
static int
task_step_entry(LoopObject *loop, PyObject *obj, PyObject *exc)
{
    return run_task_entry(loop, (TaskObject *)obj, cl_taskstep_run, exc,
                          loop->state->str_task_step);
}

/* asyncio's call_soon(self.__step, exc, context=self._context). */
int
cl_taskstep_schedule(TaskObject *task, PyObject *exc)
{
    FutureObject *fut = (FutureObject *)task;
    if (CL_LIKELY(CL_FUT(fut)->cloop_loop)) {
        LoopObject *loop = (LoopObject *)CL_FUT(fut)->loop;
        if (cl_loop_check_closed(loop) < 0
            || (loop->debug && cl_readycall_check_thread(loop) < 0)) {
            return -1;
        }
        return cl_loop_push_ready(loop, task_step_entry,
                                  Py_NewRef((PyObject *)task),
                                  Py_XNewRef(exc));
    }
    PyObject *step =
        PyObject_GetAttr((PyObject *)task, CL_FUT(fut)->state->str_task_step);
    if (step == NULL) {
        return -1;
    }
    int rc = cl_readycall_call_soon(CL_FUT(fut)->state, CL_FUT(fut)->loop,
                                    step, exc, CL_TASK(task)->context);
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
    int rc = cl_taskstep_schedule(task, exc);
    Py_DECREF(exc);
    return rc;
}

/* ------------------------------------------------------------------ */
/* Cancellation                                                        */

/* Task.cancel(msg): 1 if a cancellation was requested, 0 if the task is
 * done, -1 on error. */
int
cl_taskstep_cancel(TaskObject *task, PyObject *msg)
{
    cl_taskdata *td = CL_TASK(task);
    cl_state *st = td->fut.state;
    td->fut.log_tb = 0;
    if (td->fut.fut_state != CL_FUT_PENDING) {
        return 0;
    }
    td->num_cancels_requested++;
    if (td->fut_waiter != NULL) {
        PyObject *waiter = Py_NewRef(td->fut_waiter);
        int r;
        if (Py_IS_TYPE(waiter, st->TaskType)) {
            r = cl_taskstep_cancel((TaskObject *)waiter, msg);
        }
        else if (Py_IS_TYPE(waiter, st->FutureType)) {
            r = cl_future_cancel((FutureObject *)waiter, msg);
        }
        else {
            /* Positionally, as asyncio's C Task does. */
            PyObject *res =
                PyObject_CallMethodOneArg(waiter, st->str_cancel, msg);
            r = res ? PyObject_IsTrue(res) : -1;
            Py_XDECREF(res);
        }
        Py_DECREF(waiter);
        if (r != 0) {
            return r; /* the waiter will wake us with CancelledError */
        }
    }
    td->must_cancel = 1;
    Py_XSETREF(td->fut.cancel_msg, Py_NewRef(msg));
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
    PyObject *exc = PyErr_GetRaisedException();
    PyObject *value = ((PyStopIterationObject *)exc)->value;
    *result = Py_NewRef(value ? value : Py_None);
    Py_DECREF(exc);
    return PYGEN_RETURN;
}

/* The coroutine returned; steals result. */
static int
task_returned(TaskObject *task, PyObject *result)
{
    cl_taskdata *td = CL_TASK(task);
    int rc;
    if (td->must_cancel) {
        /* Cancelled right before the coroutine returned. */
        td->must_cancel = 0;
        rc = cl_future_cancel((FutureObject *)task, td->fut.cancel_msg) < 0
                 ? -1
                 : 0;
    }
    else {
        rc = cl_future_set_result((FutureObject *)task, result);
    }
    Py_DECREF(result);
    return rc;
}

/* The coroutine raised the pending exception. */
static int
task_raised(TaskObject *task)
{
    FutureObject *fut = (FutureObject *)task;
    if (PyErr_ExceptionMatches(CL_FUT(fut)->state->CancelledError)) {
        /* Kept to be re-raised by result(), as asyncio chains it. */
        Py_XSETREF(CL_FUT(fut)->cancelled_exc, PyErr_GetRaisedException());
        return cl_future_cancel(fut, NULL) < 0 ? -1 : 0;
    }
    PyObject *exc = PyErr_GetRaisedException();
    if (cl_future_set_exception(fut, exc) < 0) {
        Py_DECREF(exc);
        return -1;
    }
    if (PyErr_GivenExceptionMatches(exc, PyExc_KeyboardInterrupt)
        || PyErr_GivenExceptionMatches(exc, PyExc_SystemExit)) {
        PyErr_SetRaisedException(exc); /* stops the loop, as in asyncio */
        return -1;
    }
    Py_DECREF(exc);
    return 0;
}

/* 3.14's call graph: the task now awaits fut (add), or no longer does,
 * recorded on fut when it is an asyncio Future (cloop's included), as
 * asyncio's Task does; nothing before 3.14. 0 or -1. */
static inline int
awaited_by(TaskObject *task, PyObject *fut, int add)
{
#if CL_AWAITED_BY
    return cl_asyncio_base_awaited_by(CL_FUT(task)->state, fut,
                                      (PyObject *)task, add);
#else
    (void)task, (void)fut, (void)add;
    return 0;
#endif
}

/* The coroutine is done (rc: how its outcome was recorded). From 3.14 a
 * finished task leaves asyncio's task list at once, as asyncio's own do
 * (before, the registry forgets it when it dies); keeps a pending
 * exception. */
static int
task_finished(TaskObject *task, int rc)
{
#if CL_AWAITED_BY
    cl_taskdata *td = CL_TASK(task);
    if (td->fut.fut_state != CL_FUT_PENDING) {
        PyObject *err = rc < 0 ? PyErr_GetRaisedException() : NULL;
        if (cl_taskreg_unregister(td->fut.state, (PyObject *)task) < 0) {
            rc = -1;
        }
        cl_err_chain(err);
    }
#else
    (void)task;
#endif
    return rc;
}

/* asyncio's two refusals of a future a task's coroutine yielded (the
 * future's loop and _asyncio_future_blocking given): one of another loop,
 * and a bare `yield fut`. 1 when neither applies; else the error is
 * scheduled into the task as the next step's exception and result (owned)
 * released: 0, or -1. */
static int
accept_yielded(TaskObject *task, PyObject *result, PyObject *loop,
               int blocking)
{
    const char *refusal = NULL;
    if (loop != CL_TASK(task)->fut.loop) {
        refusal = "Task %R got Future %R attached to a different loop";
    }
    else if (!blocking) {
        refusal = "yield was used instead of yield from in task %R with %R";
    }
    if (refusal == NULL) {
        return 1;
    }
    int rc = schedule_error(task, refusal, task, result);
    Py_DECREF(result);
    return rc;
}

/* A cloop Future or Task (exact type) was yielded; steals result. */
static int
wait_for_cloop_future(TaskObject *task, PyObject *result)
{
    cl_taskdata *td = CL_TASK(task);
    FutureObject *wf = (FutureObject *)result;
    int ok =
        accept_yielded(task, result, CL_FUT(wf)->loop, CL_FUT(wf)->blocking);
    if (ok <= 0) {
        return ok;
    }
    CL_FUT(wf)->blocking = 0;
    if (awaited_by(task, result, 1) < 0
        || cl_future_add_wakeup(wf, (PyObject *)task) < 0) {
        Py_DECREF(result);
        return -1;
    }
    /* The invariant above: the step that is running cleared the waiter. */
    assert(td->fut_waiter == NULL);
    Py_XSETREF(td->fut_waiter, result);
    if (td->must_cancel) {
        PyObject *msg = td->fut.cancel_msg ? td->fut.cancel_msg : Py_None;
        int r = Py_IS_TYPE(result, td->fut.state->TaskType)
                    ? cl_taskstep_cancel((TaskObject *)result, msg)
                    : cl_future_cancel(wf, msg);
        if (r < 0) {
            return -1;
        }
        if (r) {
            td->must_cancel = 0;
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
    cl_taskdata *td = CL_TASK(task);
    cl_state *st = td->fut.state;
    PyObject *wakeup = PyObject_GetAttr((PyObject *)task, st->str_task_wakeup);
    if (wakeup == NULL) {
        return -1;
    }
    PyObject *args[3] = {result, wakeup, td->context};
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
    cl_taskdata *td = CL_TASK(task);
    cl_state *st = td->fut.state;
    PyObject *loop = foreign_future_loop(st, result);
    if (loop == NULL) {
        goto error;
    }
    Py_DECREF(loop); /* only its identity matters */
    int ok = accept_yielded(task, result, loop, blocking);
    if (ok <= 0) {
        return ok;
    }
    if (awaited_by(task, result, 1) < 0
        || PyObject_SetAttr(result, st->str_asyncio_future_blocking, Py_False)
               < 0
        || add_foreign_wakeup(task, result) < 0) {
        goto error;
    }
    assert(td->fut_waiter == NULL);
    Py_XSETREF(td->fut_waiter, result);
    if (td->must_cancel) {
        PyObject *msg = td->fut.cancel_msg ? td->fut.cancel_msg : Py_None;
        PyObject *res = PyObject_CallMethodOneArg(result, st->str_cancel, msg);
        int r = res ? PyObject_IsTrue(res) : -1;
        Py_XDECREF(res);
        if (r < 0) {
            return -1;
        }
        if (r) {
            td->must_cancel = 0;
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
    cl_state *st = CL_FUT(task)->state;
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
        return cl_taskstep_schedule(task, NULL);
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
        rc = schedule_error(task,
                            "yield was used instead of yield from for "
                            "generator in task %R with %R",
                            task, result);
    }
    else {
        rc = schedule_error(task, "Task got bad yield: %R", result);
    }
    Py_DECREF(result);
    return rc;
}

/* One step without the current-task bookkeeping: send None into the
 * coroutine, or throw exc; then act on what it did. 0 or -1. */
int
cl_taskstep_run_unentered(TaskObject *task, PyObject *exc)
{
    cl_taskdata *td = CL_TASK(task);
    FutureObject *fut = (FutureObject *)task;
    cl_state *st = CL_FUT(fut)->state;
    PyObject *own_exc = NULL;
    if (CL_UNLIKELY(CL_FUT(fut)->fut_state != CL_FUT_PENDING)) {
        PyErr_Format(st->InvalidStateError, "_step(): already done: %R %R",
                     task, exc ? exc : Py_None);
        return -1;
    }
    if (td->must_cancel) {
        if (exc == NULL
            || !PyErr_GivenExceptionMatches(exc, st->CancelledError)) {
            own_exc = cl_future_make_cancelled_error(fut);
            if (own_exc == NULL) {
                return -1;
            }
            exc = own_exc;
        }
        td->must_cancel = 0;
    }
    Py_CLEAR(td->fut_waiter);
    if (CL_UNLIKELY(td->coro == NULL)) {
        Py_XDECREF(own_exc);
        PyErr_SetString(PyExc_RuntimeError, "uninitialized Task object");
        return -1;
    }
    PyObject *coro = Py_NewRef(td->coro);
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
            return task_finished(task, task_returned(task, result));
        case PYGEN_ERROR:
            return task_finished(task, task_raised(task));
        default:
            return task_yielded(task, result);
    }
}

/* A step with the task entered as its loop's current task. */
int
cl_taskstep_run(TaskObject *task, PyObject *exc)
{
    cl_taskdata *td = CL_TASK(task);
    cl_state *st = td->fut.state;
    PyObject *loop = td->fut.loop;
    if (CL_UNLIKELY(loop == NULL)) {
        PyErr_SetString(PyExc_RuntimeError, "uninitialized Task object");
        return -1;
    }
    Py_INCREF(loop);
    int rc = cl_taskreg_enter(st, loop, (PyObject *)task);
    if (CL_LIKELY(rc == 0)) {
        rc = cl_taskstep_run_unentered(task, exc);
        PyObject *err = rc < 0 ? PyErr_GetRaisedException() : NULL;
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
int
cl_taskstep_wakeup(TaskObject *task, PyObject *fut)
{
    cl_state *st = CL_FUT(task)->state;
    if (awaited_by(task, fut, 0) < 0) {
        return -1;
    }
    if (cl_future_check_exact(st, fut)) {
        PyObject *out;
        int r = cl_future_get_outcome((FutureObject *)fut, &out);
        if (r >= 0) {
            /* The result itself reaches the coroutine through the
             * future's iterator, not through the step. */
            int rc = cl_taskstep_run(task, r == 1 ? out : NULL);
            Py_DECREF(out);
            return rc;
        }
    }
    else {
        PyObject *res = PyObject_CallMethodNoArgs(fut, st->str_result);
        if (res != NULL) {
            Py_DECREF(res);
            return cl_taskstep_run(task, NULL);
        }
    }
    PyObject *exc = PyErr_GetRaisedException();
    int rc = cl_taskstep_run(task, exc);
    Py_DECREF(exc);
    return rc;
}

int
cl_taskstep_wakeup_entry(LoopObject *loop, PyObject *obj, PyObject *fut)
{
    return run_task_entry(loop, (TaskObject *)obj, cl_taskstep_wakeup, fut,
                          loop->state->str_task_wakeup);
}
