/* state.h: the one module-state struct of cloop._cloop.
 *
 * Everything the C core caches lives here: its heap types, the asyncio
 * functions it calls, and interned attribute names. Objects that need the
 * state keep a borrowed pointer to it (the loop keeps the module alive
 * through its type). Each file adds the fields it needs and fills them in
 * its cl_<file>_init_state function, called from module.c.
 */
#ifndef CLOOP_STATE_H
#define CLOOP_STATE_H

#include "compat.h"

typedef struct cl_state {
    /* Heap types, owned. */
    PyTypeObject *LoopType;
    PyTypeObject *HandleType;
    PyTypeObject *TimerHandleType;
    struct cl_net_state *net; /* owned by net.c: the networking part */

    /* asyncio pieces, owned. */
    PyObject
        *format_callback_source; /* format_helpers._format_callback_source */
    PyObject *extract_stack;     /* format_helpers.extract_stack */
    PyObject *ThreadSafeHandle;  /* events._ThreadSafeHandle, or NULL
                                    before 3.14 (CL_THREADSAFE_HANDLE) */

    /* Interned names, owned. */
    PyObject *str_check_callback;
    PyObject *str_log_slow_callback;
    PyObject *str_run;                   /* "_run" */
    PyObject *str_source_traceback_attr; /* "_source_traceback" */
    PyObject *str_time;

    /* Task and Future (future.c, task.c, taskreg.c, asyncio_base.c); see
     * CL_TASK_STATE_OBJECTS below. */
    PyTypeObject *AsyncioFutureType; /* _asyncio.Future, cloop's base */
    PyTypeObject *AsyncioTaskType;   /* _asyncio.Task, cloop's base */
    PyObject *awaited_by_add;        /* _asyncio.future_add_to_awaited_by
                                        (3.14+), or NULL */
    PyObject *awaited_by_discard;    /* ..._discard_from_awaited_by */
    /* Their C entry points (METH_FASTCALL, with the _asyncio module as
     * self, borrowed: the functions hold it), called directly on the hot
     * path of every await; NULL where they are not plain FASTCALL
     * functions, and then called through vectorcall. */
    PyObject *(*awaited_by_add_fn)(PyObject *, PyObject *const *, Py_ssize_t);
    PyObject *(*awaited_by_discard_fn)(PyObject *, PyObject *const *,
                                       Py_ssize_t);
    PyObject *awaited_by_self;
    PyTypeObject *FutureType;
    PyTypeObject *FutureIterType;
    PyTypeObject *TaskType;
    PyObject *CancelledError;       /* asyncio.CancelledError */
    PyObject *InvalidStateError;    /* asyncio.InvalidStateError */
    PyObject *get_event_loop;       /* events.(_)get_event_loop */
    PyObject *future_repr;          /* base_futures._future_repr */
    PyObject *task_repr;            /* base_tasks._task_repr */
    PyObject *task_get_stack;       /* base_tasks._task_get_stack */
    PyObject *task_print_stack;     /* base_tasks._task_print_stack */
    PyObject *iscoroutine;          /* coroutines.iscoroutine */
    PyObject *task_name_counter;    /* tasks._task_name_counter */
    PyObject *reg_register;         /* tasks._register_task */
    PyObject *reg_unregister;       /* tasks._unregister_task */
    PyObject *reg_enter;            /* tasks._enter_task */
    PyObject *reg_leave;            /* tasks._leave_task */
    PyObject *reg_swap;             /* tasks._swap_current_task or NULL */
    PyObject *reg_register_eager;   /* tasks._register_eager_task or NULL */
    PyObject *reg_unregister_eager; /* tasks._unregister_eager_task or NULL */
    PyObject *reg_current_tasks;    /* the dict behind _enter_task or NULL */
    PyObject *str_cancel;
    PyObject *str_add_done_callback;
    PyObject *str_asyncio_future_blocking;
    PyObject *str_get_loop;
    PyObject *str_loop_attr; /* "_loop" */
    PyObject *str_result;
    PyObject *str_throw;
    PyObject *str_call_soon;
    PyObject *str_get_debug;
    PyObject *str_is_running;
    PyObject *str_future;
    PyObject *str_task;
    PyObject *str_task_step;   /* "_Task__step" */
    PyObject *str_task_wakeup; /* "_Task__wakeup" */
    PyObject *str_enter_task;
    PyObject *str_leave_task;
    PyObject *str_current_tasks;
    PyObject *str_task_factory;
    PyObject *str_run_task_factory;
    PyObject *kwnames_context; /* ("context",) */
    int reg_use_dict;          /* enter/leave on reg_current_tasks */
    /* Not objects: where asyncio's debuggers read a Task's name,
     * coroutine and is-task flag (3.14+; -1: unknown). asyncio_base.c. */
    Py_ssize_t dbg_task_name;
    Py_ssize_t dbg_task_coro;
    Py_ssize_t dbg_task_is_task;
    /* Not objects: recycled FutureIter memory (future.c). */
    struct FutureIterObject *fi_freelist;
    int fi_freelist_len;
    int fi_freelist_closed;
} cl_state;

/* The owned objects of the Task and Future fields, for module.c. */
/* An X-macro list, laid out by hand. */
/* clang-format off */
#define CL_TASK_STATE_OBJECTS(X)                                            \
    X(AsyncioFutureType) X(AsyncioTaskType)                                 \
    X(awaited_by_add) X(awaited_by_discard)                                 \
    X(FutureType) X(FutureIterType) X(TaskType)                             \
    X(CancelledError) X(InvalidStateError) X(get_event_loop)                \
    X(future_repr) X(task_repr) X(task_get_stack) X(task_print_stack)       \
    X(iscoroutine) X(task_name_counter)                                     \
    X(reg_register) X(reg_unregister) X(reg_enter) X(reg_leave)             \
    X(reg_swap) X(reg_register_eager) X(reg_unregister_eager)               \
    X(reg_current_tasks)                                                    \
    X(str_cancel) X(str_add_done_callback) X(str_asyncio_future_blocking)   \
    X(str_get_loop) X(str_loop_attr) X(str_result) X(str_throw)             \
    X(str_call_soon) X(str_get_debug) X(str_is_running) X(str_future)       \
    X(str_task) X(str_task_step) X(str_task_wakeup) X(str_enter_task)       \
    X(str_leave_task) X(str_current_tasks) X(str_task_factory)              \
    X(str_run_task_factory) X(kwnames_context)
/* clang-format on */

/* The state of the module that defined the type of obj (for objects whose
 * type comes from this module or a subclass of one). Borrowed. */
cl_state *cl_state_from_type(PyTypeObject *tp);

#endif /* CLOOP_STATE_H */
