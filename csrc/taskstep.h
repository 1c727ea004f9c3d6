/* taskstep.h: stepping, waking up and cancelling a cloop Task. */
#ifndef CLOOP_TASKSTEP_H
#define CLOOP_TASKSTEP_H

#include "task.h"

/* asyncio's call_soon(task.__step, exc, context=task.context): the ready
 * ring on a cloop loop, else loop.call_soon. exc may be NULL. 0 or -1. */
int cl_taskstep_schedule(TaskObject *task, PyObject *exc);

/* One step with the task entered as its loop's current task: send None
 * into the coroutine (or throw exc) and act on what it did. 0, or -1 with
 * the exception set (KeyboardInterrupt and SystemExit are re-raised after
 * being set on the task, as asyncio does). */
int cl_taskstep_run(TaskObject *task, PyObject *exc);

/* The same step without the current-task bookkeeping (eager start swaps
 * the current task itself). */
int cl_taskstep_run_unentered(TaskObject *task, PyObject *exc);

/* The future the task waited for is done: step with its outcome. */
int cl_taskstep_wakeup(TaskObject *task, PyObject *fut);

/* The ready-ring function that wakes a Task (obj) up because the future
 * it awaited (arg) is done (see cl_ready_fn). */
int cl_taskstep_wakeup_entry(LoopObject *loop, PyObject *task, PyObject *fut);

/* Task.cancel(msg): 1 if a cancellation was requested, 0 if the task is
 * done, -1 on error. msg is not NULL (None for no message). */
int cl_taskstep_cancel(TaskObject *task, PyObject *msg);

#endif /* CLOOP_TASKSTEP_H */
