/* compat.h: the only place that looks at PY_VERSION_HEX.
 *
 * It names the features that differ between the supported CPython versions
 * (3.11 to 3.15) and supplies shims so that the rest of the C core is
 * written against one API.
 */
#ifndef CLOOP_COMPAT_H
#define CLOOP_COMPAT_H

#define PY_SSIZE_T_CLEAN
#include <Python.h>

#define CL_PY312 (PY_VERSION_HEX >= 0x030C0000)
#define CL_PY313 (PY_VERSION_HEX >= 0x030D0000)
#define CL_PY314 (PY_VERSION_HEX >= 0x030E0000)
#define CL_PY315 (PY_VERSION_HEX >= 0x030F0000)

/* 3.12 moved the PyMemberDef constants into Python.h with Py_ names. */
#if !CL_PY312
#include <structmember.h>
#define Py_T_PYSSIZET T_PYSSIZET
#define Py_READONLY READONLY
#endif

/* 3.12's PyErr_GetRaisedException/PyErr_SetRaisedException (the pending
 * exception as one object with its traceback attached), which the rest of
 * the core uses; 3.11 needs the fetch/normalize dance. */
#if !CL_PY312
static inline PyObject *
PyErr_GetRaisedException(void)
{
    PyObject *type, *value, *tb;
    PyErr_Fetch(&type, &value, &tb);
    if (type == NULL) {
        return NULL;
    }
    PyErr_NormalizeException(&type, &value, &tb);
    if (tb != NULL) {
        PyException_SetTraceback(value, tb);
    }
    Py_XDECREF(type);
    Py_XDECREF(tb);
    return value;
}

/* Steals exc; NULL clears the pending exception, as on 3.12. */
static inline void
PyErr_SetRaisedException(PyObject *exc)
{
    if (exc == NULL) {
        PyErr_Clear();
        return;
    }
    PyObject *tb = PyException_GetTraceback(exc);
    PyErr_Restore(Py_NewRef((PyObject *)Py_TYPE(exc)), exc, tb);
}
#endif

/* ---- Loop (loop.c, handle.c) ---- */

/* call_soon_threadsafe returns asyncio's events._ThreadSafeHandle, whose
 * cancel() waits while its callback runs (3.14). */
#define CL_THREADSAFE_HANDLE CL_PY314

/* A NaN timer deadline at the head of the queue makes the loop's wait NaN,
 * which asyncio's selector refuses with ValueError (3.13: its _run_once
 * clamps with comparisons); before, max(0, nan) waits 0 and it fires. */
#define CL_NAN_DEADLINE_RAISES CL_PY313

/* ---- Task and Future (future.c, task.c, taskreg.c) ---- */

/* asyncio's C Future and Task are heap types (3.12): their traverse visits
 * the object's type and their dealloc drops its reference; 3.11's static
 * ones leave both to a heap subclass (asyncio_base.c). */
#define CL_ASYNCIO_HEAP_TYPES CL_PY312
/* The call graph (Future._asyncio_awaited_by, future_add_to_awaited_by),
 * the per-thread list of native tasks, and the Task offsets _asyncio
 * publishes for out-of-process debuggers (3.14). */
#define CL_AWAITED_BY CL_PY314

/* Task(eager_start=), _swap_current_task, _register_eager_task (3.12). */
#define CL_HAS_EAGER_TASKS CL_PY312
/* create_task(coro, **kwargs) passes the keywords it was given, and only
 * those, to the task factory, and no longer calls set_name (3.14). */
#define CL_TASK_FACTORY_GETS_KWARGS CL_PY314
/* Before that, create_task names the factory's task with task.set_name(name)
 * even when name is None (3.13); 3.12 only when a name is given
 * (tasks._set_task_name). */
#define CL_FACTORY_TASK_NAMED_EVEN_NONE (CL_PY313 && !CL_PY314)
#define CL_FACTORY_TASK_NAMED_IF_GIVEN (!CL_PY313)
/* Future.__init__ (and Task's) refuses an object already initialized
 * (3.15). */
#define CL_FUTURE_INIT_ONCE CL_PY315
/* Task(context=) must be a contextvars.Context (3.15, gh-157301). */
#define CL_TASK_CONTEXT_CHECKED CL_PY315
/* Task.get_context() (3.12). */
#define CL_HAS_TASK_GET_CONTEXT CL_PY312
/* Task.uncancel() clears a pending cancellation when the count reaches 0
 * (3.13). */
#define CL_UNCANCEL_CLEARS_MUST_CANCEL CL_PY313
/* Future.set_exception(StopIteration) stores a RuntimeError caused by it
 * (3.13); before, it raised TypeError. */
#define CL_SET_EXCEPTION_WRAPS_STOPITERATION CL_PY313
/* throw(type, value, tb) on an iterator warns DeprecationWarning (3.12). */
#define CL_THROW_3ARGS_DEPRECATED CL_PY312
/* asyncio.tasks._current_tasks is the dict behind the C _enter_task (3.11
 * to 3.13; 3.14 keeps the current task on the thread state). */
#define CL_HAS_CURRENT_TASKS_DICT (!CL_PY314)
/* asyncio's registry of scheduled tasks is a weakref.WeakSet that C
 * _register_task adds every task to (3.11 to 3.13; 3.14 links its native
 * tasks, cloop's included, into a per-thread list), under this name in
 * asyncio.tasks and _asyncio. */
#define CL_TASKS_IN_WEAKSET (!CL_PY314)
#if CL_PY312
#define CL_TASKS_WEAKSET_NAME "_scheduled_tasks"
#else
#define CL_TASKS_WEAKSET_NAME "_all_tasks"
#endif
/* The asyncio.events function Future(loop=None) asks for a loop. */
#if CL_PY312
#define CL_GET_EVENT_LOOP_NAME "get_event_loop"
#else
#define CL_GET_EVENT_LOOP_NAME "_get_event_loop"
#endif

/* getattr that returns 0 without raising when the attribute is missing:
 * 1 with a new reference in *result, 0 with *result NULL, or -1. */
static inline int
cl_getattr_optional(PyObject *obj, PyObject *name, PyObject **result)
{
#if CL_PY313
    return PyObject_GetOptionalAttr(obj, name, result);
#else
    return _PyObject_LookupAttr(obj, name, result);
#endif
}

/* ---- Networking (transport.c, stream.c, datagram.c) ---- */

/* The stream transport's write() type error names the accepted types
 * (3.14). */
#if CL_PY314
#define CL_STREAM_WRITE_TYPE_MSG                                              \
    "data argument must be a bytes, bytearray, or memoryview object, not %R"
#else
#define CL_STREAM_WRITE_TYPE_MSG                                              \
    "data argument must be a bytes-like object, not %R"
#endif

/* asyncio threads a context= through _add_reader/_add_writer and the
 * transport and server hooks, so that a connection's callbacks run in the
 * context of its server or of the create_connection call (3.15). */
#define CL_ADD_READER_TAKES_CONTEXT CL_PY315

/* Server._attach/_detach take the transport, and an unclosed transport's
 * finalizer detaches it (3.13); before, they take no argument. */
#define CL_SERVER_ATTACH_TAKES_TRANSPORT CL_PY313
/* writelines() is the transport's own, with its own messages (3.12); 3.11's
 * is write(b''.join(list_of_data)). */
#define CL_HAS_OWN_WRITELINES CL_PY312
/* A stream transport's buffer holds what write() was given, to be sent
 * later (3.12); 3.11 copies it into a bytearray. */
#define CL_STREAM_BUFFERS_VIEWS CL_PY312
/* asyncio.iscoroutine(), which Task's constructor asks, takes any
 * generator as a coroutine before 3.12 (types.GeneratorType is among its
 * coroutine types); from 3.12 none, not even a @types.coroutine one. */
#define CL_GENERATORS_ARE_COROUTINES (!CL_PY312)
/* Datagram transports send empty datagrams (3.12); 3.11 drops them. */
#define CL_DGRAM_SENDS_EMPTY CL_PY312
/* A datagram transport's write buffer size counts 8 header bytes for each
 * queued datagram (3.13). */
#define CL_DGRAM_HEADER_SIZE (CL_PY313 ? 8 : 0)

#endif /* CLOOP_COMPAT_H */
