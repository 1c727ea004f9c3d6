/* task.h: cloop.Task, a coroutine driven as a Future. */
#ifndef CLOOP_TASK_H
#define CLOOP_TASK_H

#include "future.h"

/* A cloop Task object (see FutureObject); its data is cl_taskdata. */
typedef struct TaskObject {
    PyObject ob_base;
} TaskObject;

typedef struct cl_taskdata {
    cl_futdata fut;       /* a Task is a Future */
    PyObject *coro;       /* owned; NULL once an eager task finished */
    PyObject *context;    /* owned contextvars.Context of every step */
    PyObject *name;       /* owned str, or int N meaning 'Task-N' */
    PyObject *fut_waiter; /* owned future the task waits for, or NULL */
    Py_ssize_t num_cancels_requested;
    char must_cancel;         /* throw CancelledError at the next step */
    char log_destroy_pending; /* report if destroyed while pending */
} cl_taskdata;

/* cloop's data of a cloop Task object. */
#define CL_TASK(obj) ((cl_taskdata *)((char *)(obj) + cl_data_offset))

/* Creates Future, FutureIter and Task (future.c, task.c), caches asyncio's
 * pieces and the registry functions (taskreg.c), and adds the loop's
 * create_future/create_task method descriptors to the module. 0 or -1. */
int cl_task_init_state(PyObject *module, cl_state *st);

/* The loop's create_task(coro, *, name=None, context=None[,
 * eager_start=None]): a cloop.Task, or, when a task factory is set, what the
 * factory makes of it. A method of Loop (loop.c puts CL_TASK_LOOP_METHODS
 * in its table). */
PyObject *Loop_create_task(PyObject *loop, PyObject *const *args,
                           Py_ssize_t nargs, PyObject *kwnames);
/* clang-format off */
#define CL_TASK_LOOP_METHODS                                                \
    {"create_task", (PyCFunction)(void (*)(void))Loop_create_task,          \
     METH_FASTCALL | METH_KEYWORDS,                                         \
     "create_task(coro, *, name=None, context=None)\n--\n\n"               \
     "Schedule a coroutine object; return a Task."},
/* clang-format on */

/* What module_clear must do besides dropping the state's objects. */
void cl_task_clear_state(cl_state *st);

#endif /* CLOOP_TASK_H */
