/* state.h: the one module-state struct of cloop._cloop.
 *
 * Everything the C core caches lives here: its heap types, the asyncio and
 * socket objects it calls, and the interned names it looks up
 * (CL_STRINGS, all of them, interned by module.c). Objects that need the
 * state keep a borrowed pointer to it (the loop keeps the module alive
 * through its type). Each file adds the fields it needs and fills them in
 * its cl_<file>_init_state function, called from module.c; every owned
 * field is listed in CL_STATE_OBJECTS or CL_STRINGS, which module.c
 * traverses and clears.
 */
#ifndef CLOOP_STATE_H
#define CLOOP_STATE_H

#include "compat.h"

/* Every interned name the C core calls or looks up: X(field, text). An
 * X-macro list, laid out by hand. */
/* clang-format off */
#define CL_STRINGS(X)                                                       \
    /* the loop (loop.c, handle.c) */                                       \
    X(str_check_callback, "_check_callback")                                \
    X(str_log_slow_callback, "_log_slow_callback")                          \
    X(str_run, "_run")                                                      \
    X(str_source_traceback_attr, "_source_traceback")                       \
    X(str_time, "time")                                                     \
    /* Task and Future (future.c, task.c, taskstep.c, taskreg.c) */         \
    X(str_cancel, "cancel")                                                 \
    X(str_add_done_callback, "add_done_callback")                           \
    X(str_asyncio_future_blocking, "_asyncio_future_blocking")              \
    X(str_get_loop, "get_loop")                                             \
    X(str_loop_attr, "_loop")                                               \
    X(str_result, "result")                                                 \
    X(str_throw, "throw")                                                   \
    X(str_call_soon, "call_soon")                                           \
    X(str_get_debug, "get_debug")                                           \
    X(str_is_running, "is_running")                                         \
    X(str_future, "future")                                                 \
    X(str_task, "task")                                                     \
    X(str_task_step, "_Task__step")                                         \
    X(str_task_wakeup, "_Task__wakeup")                                     \
    X(str_task_factory, "_task_factory")                                    \
    X(str_context, "context")                                               \
    X(str_loop, "loop")                                                     \
    X(str_name, "name")                                                     \
    X(str_eager_start, "eager_start")                                       \
    X(str_set_name, "set_name")                                             \
    X(str_enter_task, "_enter_task")                                        \
    X(str_leave_task, "_leave_task")                                        \
    X(str_current_tasks, "_current_tasks")                                  \
    X(str_register_task, "_register_task")                                  \
    X(str_tasks_weakset, CL_TASKS_WEAKSET_NAME)                             \
    /* networking (sock.c, transport.c, stream.c, datagram.c, server.c) */  \
    X(str_create_future, "create_future")                                   \
    X(str_set_result, "set_result")                                         \
    X(str_set_exception, "set_exception")                                   \
    X(str_done, "done")                                                     \
    X(str_cancelled, "cancelled")                                           \
    X(str_fileno, "fileno")                                                 \
    X(str_gettimeout, "gettimeout")                                         \
    X(str_accept, "accept")                                                 \
    X(str_setblocking, "setblocking")                                       \
    X(str_connect, "connect")                                               \
    X(str_recv, "recv")                                                     \
    X(str_recv_into, "recv_into")                                           \
    X(str_recvfrom, "recvfrom")                                             \
    X(str_recvfrom_into, "recvfrom_into")                                   \
    X(str_send, "send")                                                     \
    X(str_sendto, "sendto")                                                 \
    X(str_sendmsg, "sendmsg")                                               \
    X(str_close, "close")                                                   \
    X(str_shutdown, "shutdown")                                             \
    X(str_getsockname, "getsockname")                                       \
    X(str_getpeername, "getpeername")                                       \
    X(str_connection_made, "connection_made")                               \
    X(str_connection_lost, "connection_lost")                               \
    X(str_data_received, "data_received")                                   \
    X(str_eof_received, "eof_received")                                     \
    X(str_get_buffer, "get_buffer")                                         \
    X(str_buffer_updated, "buffer_updated")                                 \
    X(str_pause_writing, "pause_writing")                                   \
    X(str_resume_writing, "resume_writing")                                 \
    X(str_datagram_received, "datagram_received")                           \
    X(str_error_received, "error_received")                                 \
    X(str_is_closing, "is_closing")                                         \
    X(str_debug, "debug")                                                   \
    X(str_warning, "warning")                                               \
    X(str__attach, "_attach")                                               \
    X(str__detach, "_detach")                                               \
    X(str_transport, "transport")                                           \
    X(str_protocol, "protocol")                                             \
    X(str_socket, "socket")                                                 \
    X(str_sockname, "sockname")                                             \
    X(str_peername, "peername")
/* clang-format on */

typedef struct cl_state {
    /* Heap types, owned. */
    PyTypeObject *LoopType;
    PyTypeObject *HandleType;
    PyTypeObject *TimerHandleType;
    /* The networking types and objects (net.c, sock.c, stream.c,
     * datagram.c, server.c). */
    PyTypeObject *SockOpType;
    PyTypeObject *SocketTransportType;
    PyTypeObject *DatagramTransportType;
    PyTypeObject *AcceptorType;
    PyObject *socket_type;      /* socket.socket */
    PyObject *ssl_socket_type;  /* ssl.SSLSocket, or None without ssl */
    PyObject *TransportSocket;  /* asyncio.trsock.TransportSocket */
    PyObject *BufferedProtocol; /* asyncio.BufferedProtocol */
    PyObject *logger;           /* asyncio.log.logger */

    /* asyncio pieces, owned. */
    PyObject
        *format_callback_source; /* format_helpers._format_callback_source */
    PyObject *extract_stack;     /* format_helpers.extract_stack */
    PyObject *ThreadSafeHandle;  /* events._ThreadSafeHandle, or NULL
                                    before 3.14 (CL_THREADSAFE_HANDLE) */

    /* Interned names, owned: one field per CL_STRINGS entry. */
#define CL_STRING_FIELD(field, text) PyObject *field;
    CL_STRINGS(CL_STRING_FIELD)
#undef CL_STRING_FIELD

    /* Task and Future (future.c, task.c, taskreg.c, asyncio_base.c); see
     * CL_STATE_OBJECTS below. */
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
    PyObject *eager_task_factory;   /* tasks.eager_task_factory (3.12+) or
                                       NULL */
    PyObject *task_name_counter;    /* tasks._task_name_counter */
    PyObject *set_task_name;        /* tasks._set_task_name (3.11, 3.12) or
                                       NULL */
    PyObject *reg_register;         /* tasks._register_task */
    PyObject *reg_unregister;       /* tasks._unregister_task */
    PyObject *reg_enter;            /* tasks._enter_task */
    PyObject *reg_leave;            /* tasks._leave_task */
    PyObject *reg_swap;             /* tasks._swap_current_task or NULL */
    PyObject *reg_register_eager;   /* tasks._register_eager_task or NULL */
    PyObject *reg_unregister_eager; /* tasks._unregister_eager_task or NULL */
    PyObject *reg_current_tasks;    /* the dict behind _enter_task or NULL */
    PyObject *reg_ws_data;          /* the set inside the tasks' WeakSet, or
                                       NULL: call _register_task */
    PyObject *reg_ws_pending;       /* its _pending_removals list */
    PyObject *reg_ws_commit;        /* its bound _commit_removals */
    PyObject *reg_ws_remove;        /* the weakref callback (taskreg.c) */
    PyObject *kwnames_context;      /* ("context",) */
    int reg_use_dict;               /* enter/leave on reg_current_tasks */
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

/* The owned objects of the state other than the names, for module.c's
 * traverse and clear. An X-macro list, laid out by hand. */
/* clang-format off */
#define CL_STATE_OBJECTS(X)                                                 \
    X(LoopType) X(HandleType) X(TimerHandleType)                            \
    X(format_callback_source) X(extract_stack) X(ThreadSafeHandle)          \
    X(SockOpType) X(SocketTransportType) X(DatagramTransportType)           \
    X(AcceptorType) X(socket_type) X(ssl_socket_type) X(TransportSocket)    \
    X(BufferedProtocol) X(logger)                                           \
    X(AsyncioFutureType) X(AsyncioTaskType)                                 \
    X(awaited_by_add) X(awaited_by_discard)                                 \
    X(FutureType) X(FutureIterType) X(TaskType)                             \
    X(CancelledError) X(InvalidStateError) X(get_event_loop)                \
    X(future_repr) X(task_repr) X(task_get_stack) X(task_print_stack)       \
    X(iscoroutine) X(eager_task_factory) X(task_name_counter)               \
    X(set_task_name)                                                        \
    X(reg_register) X(reg_unregister) X(reg_enter) X(reg_leave)             \
    X(reg_swap) X(reg_register_eager) X(reg_unregister_eager)               \
    X(reg_current_tasks) X(reg_ws_data) X(reg_ws_pending)                   \
    X(reg_ws_commit) X(reg_ws_remove) X(kwnames_context)
/* clang-format on */

/* The state of the module that defined the type of obj (for objects whose
 * type comes from this module or a subclass of one). Borrowed. */
cl_state *cl_state_from_type(PyTypeObject *tp);

#endif /* CLOOP_STATE_H */
