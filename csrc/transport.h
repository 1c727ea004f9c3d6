/* transport.h: what the socket transports share (stream.c, datagram.c).
 *
 * A transport is a C type whose bases are asyncio's own transport classes
 * (_FlowControlMixin and Transport or DatagramTransport), so isinstance()
 * checks and asyncio helpers that require them (sendfile's fallback
 * protocol) accept it. Those Python bases declare __slots__; the C struct
 * starts with room for them (asyncio_slots) and the type overrides each of
 * those attributes with its own getter, so the slots are never used.
 *
 * The transport implements asyncio's _SelectorTransport: the same states
 * (closing, conn_lost, paused), the same callbacks in the same order and
 * the same error messages. Protocol callbacks driven by the loop run in
 * the context captured when the transport was made (as uvloop does).
 *
 * Ownership: the transport owns its loop (until connection_lost has run,
 * when asyncio drops it), socket, protocol, extra dict, server, context
 * and queued data. The loop's watcher table owns a reference to the
 * transport while it reads or writes, and records it as the owner of its
 * fd (borrowed) until the fd is closed or the transport dies.
 */
#ifndef CLOOP_TRANSPORT_H
#define CLOOP_TRANSPORT_H

#include "loop.h"
#include "net.h"

/* asyncio's BaseTransport (_extra) and _FlowControlMixin (_loop,
 * _protocol_paused, _high_water, _low_water) slots. */
#define CL_ASYNCIO_TRANSPORT_SLOTS 5

/* _FlowControlMixin's default high-water mark (low is a quarter). */
#define CL_DEFAULT_HIGH_WATER (64 * 1024)

/* One queued write: data[off:] still to send (to addr, for datagrams). */
typedef struct {
    PyObject *data; /* owned bytes */
    Py_ssize_t off;
    PyObject *addr; /* owned, datagrams only, may be NULL */
} cl_wentry;

/* A FIFO of writes; items[head .. head + len) are live. */
typedef struct {
    cl_wentry *items;
    Py_ssize_t head;
    Py_ssize_t len;
    Py_ssize_t cap;
    Py_ssize_t size; /* get_write_buffer_size() */
} cl_wqueue;

typedef struct TransportObject {
    PyObject_HEAD
    PyObject *asyncio_slots[CL_ASYNCIO_TRANSPORT_SLOTS]; /* always NULL */
    cl_state *state;        /* borrowed: kept alive by the type */
    LoopObject *loop;       /* owned; NULL once connection_lost ran */
    PyObject *sock;         /* owned socket.socket; NULL once closed */
    PyObject *protocol;     /* owned; NULL once connection_lost ran */
    PyObject *extra;        /* owned dict */
    PyObject *server;       /* owned asyncio Server or NULL */
    PyObject *context;      /* owned contextvars.Context */
    PyObject *empty_waiter; /* owned Future or NULL (stream sendfile) */
    PyObject *address;      /* owned: datagram's connected address */
    PyObject *weakreflist;
    PyObject *dict;       /* owned instance __dict__ (made on first use),
                             as asyncio's transports have one: tests and
                             libraries patch methods on an instance */
    cl_ready_fn read_fn;  /* the ready function of a readable fd */
    cl_ready_fn write_fn; /* the ready function of a writable fd */
    cl_wqueue wq;
    Py_ssize_t high_water; /* the limits as the buffer size compares */
    Py_ssize_t low_water;
    PyObject *high_obj;   /* owned: the limits as given (asyncio keeps */
    PyObject *low_obj;    /* any number), or NULL for the defaults */
    Py_ssize_t conn_lost; /* >0 once connection_lost is scheduled */
    int fd;
    int family;
    char closing;         /* close() called */
    char paused;          /* pause_reading() called */
    char eof;             /* write_eof() called */
    char protocol_paused; /* pause_writing() called on the protocol */
    char protocol_connected;
    char buffered;     /* the protocol is a BufferedProtocol */
    char connected;    /* datagram: has a peer (send, not sendto) */
    char owns_fd;      /* recorded as the fd's owner in the loop */
    char direct_reads; /* stream.c: reads left in direct mode */
    char sock_calls;   /* stream.c: I/O through the socket object's
                          methods, which its class overrides
                          (sockcall.h) */
} TransportObject;

/* Sets t up as asyncio's _SelectorTransport.__init__ does (extra info,
 * protocol, server attach, fd owner). The protocol's callbacks run in
 * context (borrowed; NULL or None: a copy of the current context, which is
 * also what a given context must be checked to be). 0 or -1. */
int cl_transport_setup(TransportObject *t, LoopObject *loop, PyObject *sock,
                       PyObject *protocol, PyObject *extra, PyObject *server,
                       PyObject *context);

/* Schedules connection_made, then reading and waiter's result, as the
 * transports' constructors do with three call_soon. 0 or -1. */
int cl_transport_start(TransportObject *t, PyObject *waiter);

/* A contiguous view of data (a bytes-like object) to send. Data with no
 * such view (a strided memoryview) is what asyncio hands to send(), which
 * fails with BufferError, and to bytes() where it copies data to queue it.
 * Then *copy is that bytes copy (new reference), the view is of it, and
 * *unviewable the BufferError (new reference), for the caller to fail the
 * transport with where asyncio's send() would have failed. Both NULL
 * otherwise. 0, or -1 with an exception. */
int cl_transport_get_view(PyObject *data, Py_buffer *view, PyObject **copy,
                          PyObject **unviewable);

/* Protocol callbacks with asyncio's error handling. Each returns 0, or -1
 * with an exception set. fatal_error takes the pending exception. */
int cl_transport_fatal_error(TransportObject *t, const char *message);
int cl_transport_fatal_error_exc(TransportObject *t, PyObject *exc,
                                 const char *message);
int cl_transport_force_close(TransportObject *t, PyObject *exc);
int cl_transport_close(TransportObject *t);
int cl_transport_call_connection_lost(TransportObject *t, PyObject *exc);
int cl_transport_maybe_pause_protocol(TransportObject *t);
int cl_transport_maybe_resume_protocol(TransportObject *t);

/* Stops recording t as its fd's owner in the loop. */
void cl_transport_forget_fd_owner(TransportObject *t);

/* Watching the fd. start_* are no-ops when already watching; the
 * transport's read_fn/write_fn run. 0 or -1. */
int cl_transport_start_reading(TransportObject *t);
void cl_transport_stop_reading(TransportObject *t);
int cl_transport_start_writing(TransportObject *t);
void cl_transport_stop_writing(TransportObject *t);
int cl_transport_is_watching(TransportObject *t, unsigned which);

/* Warns as asyncio does about writes after the connection was lost
 * (counts them; logs once past LOG_THRESHOLD_FOR_CONNLOST_WRITES). */
void cl_transport_write_after_lost(TransportObject *t);

/* Checks that loop is a cloop loop. Borrowed, or NULL with TypeError. */
LoopObject *cl_transport_loop_arg(PyObject *loop);

/* The body of a ready-ring function: runs fn(t, loop) inside the
 * transport's context, holding a reference to t, and reports a failure as
 * asyncio reports an exception in the transport method `what`. Returns what
 * a cl_ready_fn returns. */
typedef int (*cl_transport_fn)(TransportObject *t, LoopObject *loop);
int cl_transport_run(TransportObject *t, LoopObject *loop, cl_transport_fn fn,
                     const char *what);

/* The write queue. push steals data and addr. */
int cl_wqueue_push(cl_wqueue *q, PyObject *data, Py_ssize_t off,
                   PyObject *addr);
void cl_wqueue_clear(cl_wqueue *q);
static inline cl_wentry *
cl_wqueue_at(cl_wqueue *q, Py_ssize_t i)
{
    return &q->items[q->head + i];
}
/* Drops the first entry (its references are released). */
void cl_wqueue_popleft(cl_wqueue *q);

/* Type plumbing shared by both transport types. */
int cl_transport_make_type(PyObject *module, PyType_Spec *spec,
                           const char *asyncio_base, PyTypeObject **out);
int cl_transport_traverse(TransportObject *t, visitproc visit, void *arg);
int cl_transport_clear(TransportObject *t);
void cl_transport_dealloc(TransportObject *t);
void cl_transport_finalize(TransportObject *t);
PyObject *cl_transport_repr(TransportObject *t);
TransportObject *cl_transport_alloc(PyTypeObject *tp);

/* Methods and attributes both types have (expanded in each type's
 * tables). */
PyObject *Transport_get_extra_info(TransportObject *, PyObject *const *,
                                   Py_ssize_t, PyObject *);
PyObject *Transport_is_closing(TransportObject *, PyObject *);
PyObject *Transport_close(TransportObject *, PyObject *);
PyObject *Transport_abort(TransportObject *, PyObject *);
PyObject *Transport__force_close(TransportObject *, PyObject *);
PyObject *Transport_get_protocol(TransportObject *, PyObject *);
PyObject *Transport_is_reading(TransportObject *, PyObject *);
PyObject *Transport_pause_reading(TransportObject *, PyObject *);
PyObject *Transport_resume_reading(TransportObject *, PyObject *);
PyObject *Transport_get_write_buffer_size(TransportObject *, PyObject *);
PyObject *Transport_get_write_buffer_limits(TransportObject *, PyObject *);
PyObject *Transport_set_write_buffer_limits(TransportObject *,
                                            PyObject *const *, Py_ssize_t,
                                            PyObject *);
PyObject *Transport__set_fd_owner(TransportObject *, PyObject *);

#define CL_TR_KW(f)                                                           \
    (PyCFunction)(void (*)(void))(f), METH_FASTCALL | METH_KEYWORDS
/* clang-format off */
#define CL_TRANSPORT_METHODS                                                \
    {"get_extra_info", CL_TR_KW(Transport_get_extra_info), NULL},           \
    {"is_closing", (PyCFunction)Transport_is_closing, METH_NOARGS, NULL},   \
    {"close", (PyCFunction)Transport_close, METH_NOARGS, NULL},             \
    {"abort", (PyCFunction)Transport_abort, METH_NOARGS, NULL},             \
    {"_force_close", (PyCFunction)Transport__force_close, METH_O, NULL},    \
    {"get_protocol", (PyCFunction)Transport_get_protocol, METH_NOARGS,      \
     NULL},                                                                 \
    {"is_reading", (PyCFunction)Transport_is_reading, METH_NOARGS, NULL},   \
    {"pause_reading", (PyCFunction)Transport_pause_reading, METH_NOARGS,    \
     NULL},                                                                 \
    {"resume_reading", (PyCFunction)Transport_resume_reading, METH_NOARGS,  \
     NULL},                                                                 \
    {"get_write_buffer_size",                                               \
     (PyCFunction)Transport_get_write_buffer_size, METH_NOARGS, NULL},      \
    {"get_write_buffer_limits",                                             \
     (PyCFunction)Transport_get_write_buffer_limits, METH_NOARGS, NULL},    \
    {"set_write_buffer_limits", CL_TR_KW(Transport_set_write_buffer_limits),\
     NULL},                                                                 \
    {"_set_fd_owner", (PyCFunction)Transport__set_fd_owner, METH_O,         \
     "Record (True) or forget (False) this transport as its fd's owner."},
/* clang-format on */

PyObject *Transport_get_sock(TransportObject *, void *);
PyObject *Transport_get_sock_fd(TransportObject *, void *);
PyObject *Transport_get_loop(TransportObject *, void *);
PyObject *Transport_get_protocol_attr(TransportObject *, void *);
PyObject *Transport_get_protocol_paused(TransportObject *, void *);
int Transport_set_protocol_paused(TransportObject *, PyObject *, void *);
PyObject *Transport_get_closing(TransportObject *, void *);
PyObject *Transport_get_conn_lost(TransportObject *, void *);
PyObject *Transport_get_paused(TransportObject *, void *);
PyObject *Transport_get_server(TransportObject *, void *);
PyObject *Transport_get_extra(TransportObject *, void *);
PyObject *Transport_get_high_water(TransportObject *, void *);
PyObject *Transport_get_low_water(TransportObject *, void *);

#define CL_TRANSPORT_GETSET                                                   \
    {"__dict__", PyObject_GenericGetDict, PyObject_GenericSetDict, NULL},     \
        {"_sock", (getter)Transport_get_sock, NULL, NULL},                    \
        {"_sock_fd", (getter)Transport_get_sock_fd, NULL, NULL},              \
        {"_loop", (getter)Transport_get_loop, NULL, NULL},                    \
        {"_protocol", (getter)Transport_get_protocol_attr, NULL, NULL},       \
        {"_protocol_paused", (getter)Transport_get_protocol_paused,           \
         (setter)Transport_set_protocol_paused, NULL},                        \
        {"_closing", (getter)Transport_get_closing, NULL, NULL},              \
        {"_conn_lost", (getter)Transport_get_conn_lost, NULL, NULL},          \
        {"_paused", (getter)Transport_get_paused, NULL, NULL},                \
        {"_server", (getter)Transport_get_server, NULL, NULL},                \
        {"_extra", (getter)Transport_get_extra, NULL, NULL},                  \
        {"_high_water", (getter)Transport_get_high_water, NULL, NULL},        \
        {"_low_water", (getter)Transport_get_low_water, NULL, NULL},

#define CL_TRANSPORT_MEMBERS                                                  \
    {"__weaklistoffset__", Py_T_PYSSIZET,                                     \
     offsetof(TransportObject, weakreflist), Py_READONLY},                    \
        {"__dictoffset__", Py_T_PYSSIZET, offsetof(TransportObject, dict),    \
         Py_READONLY},

#endif /* CLOOP_TRANSPORT_H */
