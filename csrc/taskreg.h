/* taskreg.h: the only way the C core talks to asyncio's task registry.
 *
 * asyncio keeps the set of all tasks and the current task of each loop in
 * _asyncio (C); asyncio.current_task(), all_tasks(), TaskGroup, timeout()
 * and wait_for() read them. cloop's Task registers itself there exactly as
 * the documented contract asks ("Task lifetime support"), calling the
 * functions asyncio.tasks exports (the C versions).
 */
#ifndef CLOOP_TASKREG_H
#define CLOOP_TASKREG_H

#include "state.h"

/* Caches asyncio.tasks' functions in the state. 0 or -1. */
int cl_taskreg_init_state(PyObject *module, cl_state *st);

/* _register_task(task). 0 or -1. */
int cl_taskreg_register(cl_state *st, PyObject *task);

/* _unregister_task(task). 0 or -1. */
int cl_taskreg_unregister(cl_state *st, PyObject *task);

/* _enter_task(loop, task) / _leave_task(loop, task), with asyncio's
 * RuntimeErrors. 0 or -1. */
int cl_taskreg_enter(cl_state *st, PyObject *loop, PyObject *task);
int cl_taskreg_leave(cl_state *st, PyObject *loop, PyObject *task);

#if CL_HAS_EAGER_TASKS
/* _swap_current_task(loop, task): new reference to the previous current
 * task (None if there was none), or NULL. */
PyObject *cl_taskreg_swap(cl_state *st, PyObject *loop, PyObject *task);

/* _register_eager_task(task) / _unregister_eager_task(task). 0 or -1. */
int cl_taskreg_register_eager(cl_state *st, PyObject *task);
int cl_taskreg_unregister_eager(cl_state *st, PyObject *task);
#endif

#endif /* CLOOP_TASKREG_H */
