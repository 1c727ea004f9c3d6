/* loop_io.h: readers and writers on the poller (add_reader & co.), the C
 * watchers of transports and sock_* operations, the loop's read buffer. */
#ifndef CLOOP_LOOP_IO_H
#define CLOOP_LOOP_IO_H

#include "loop.h"

/* Size of the loop's one read buffer (asyncio's max_size for a recv). */
#define CL_READ_BUFSIZE (256 * 1024)
/* Reads expected to be at least this big go straight into a bytes object
 * rather than through the read buffer: copying the chunk out of the buffer
 * would cost more than sizing the object (a shrink, or an ioctl). */
#define CL_DIRECT_READ_MIN (16 * 1024)
/* sock_recv(n) allocates n bytes up front only up to this size: larger
 * blocks are past glibc's default mmap threshold (128 KiB), where each
 * allocation would cost mmap, mremap and munmap. */
#define CL_DIRECT_RECV_MAX (64 * 1024)

/* Watches fd for `which` (CL_POLL_READ or CL_POLL_WRITE, with CL_POLL_ONCE
 * for a watcher that stops at its first event: see poller.h) with a C
 * watcher: when fd is ready the ready ring runs fn(loop, obj, NULL). Takes a
 * new reference to obj; replaces (and cancels, if a Handle) the previous
 * watcher. 0, or -1 with an exception (closed loop, epoll_ctl failure). */
int cl_loop_io_watch(LoopObject *loop, int fd, unsigned which, cl_ready_fn fn,
                     PyObject *obj);
/* Stops watching fd for `which`; with only != NULL, only if the watcher is
 * that object. Returns 1 if a watcher was removed, else 0. Never fails. */
int cl_loop_io_unwatch(LoopObject *loop, int fd, unsigned which,
                       PyObject *only);
/* Is obj the current watcher of fd for `which`? */
int cl_loop_io_is_watching(LoopObject *loop, int fd, unsigned which,
                           PyObject *obj);

/* Records (borrowed) the transport owning fd; it calls clear_owner before
 * it dies or closes the fd. 0 or -1 (MemoryError). */
int cl_loop_io_set_owner(LoopObject *loop, int fd, PyObject *transport);
void cl_loop_io_clear_owner(LoopObject *loop, int fd, PyObject *transport);
/* asyncio's _ensure_fd_no_transport: RuntimeError if a transport that is
 * not closing owns the fd of fileobj (an int or an object with fileno()),
 * ValueError for an invalid file object. 0 or -1. */
int cl_loop_io_ensure_no_transport(LoopObject *loop, PyObject *fileobj);

/* Raises glibc's malloc thresholds once per process (see loop_io.c); called
 * when a loop is made, before any read. */
void cl_loop_io_tune_malloc(void);

/* The loop's read buffer, CL_READ_BUFSIZE bytes (allocated on first use).
 * Valid until the loop is deallocated; its contents only until the next
 * call into Python. NULL with MemoryError. */
char *cl_loop_io_readbuf(LoopObject *loop);

/* Queues the callbacks for the n events of the last poll. 0 or -1. */
int cl_loop_io_dispatch(LoopObject *loop, int n);

/* Drops every watcher (close, tp_clear); releases handles one at a time. */
void cl_loop_io_clear(LoopObject *loop);
/* Frees the watcher table itself (dealloc, after clear). */
void cl_loop_io_free(LoopObject *loop);
int cl_loop_io_traverse(LoopObject *loop, visitproc visit, void *arg);

PyObject *Loop_add_reader(LoopObject *, PyObject *const *, Py_ssize_t);
PyObject *Loop_add_writer(LoopObject *, PyObject *const *, Py_ssize_t);
PyObject *Loop__add_reader(LoopObject *, PyObject *const *, Py_ssize_t,
                           PyObject *);
PyObject *Loop__add_writer(LoopObject *, PyObject *const *, Py_ssize_t,
                           PyObject *);
PyObject *Loop_remove_reader(LoopObject *, PyObject *);
PyObject *Loop_remove_writer(LoopObject *, PyObject *);
PyObject *Loop__remove_reader(LoopObject *, PyObject *);
PyObject *Loop__remove_writer(LoopObject *, PyObject *);
PyObject *Loop__ensure_fd_no_transport(LoopObject *, PyObject *);

/* clang-format off */
#define CL_LOOP_IO_METHODS                                                  \
    {"add_reader", (PyCFunction)(void (*)(void))Loop_add_reader,            \
     METH_FASTCALL, "add_reader(fd, callback, *args)"},                    \
    {"add_writer", (PyCFunction)(void (*)(void))Loop_add_writer,            \
     METH_FASTCALL, "add_writer(fd, callback, *args)"},                    \
    {"_add_reader", (PyCFunction)(void (*)(void))Loop__add_reader,          \
     METH_FASTCALL | METH_KEYWORDS,                                         \
     "_add_reader(fd, callback, *args[, context]) -> Handle"},             \
    {"_add_writer", (PyCFunction)(void (*)(void))Loop__add_writer,          \
     METH_FASTCALL | METH_KEYWORDS,                                         \
     "_add_writer(fd, callback, *args[, context]) -> Handle"},             \
    {"_remove_reader", (PyCFunction)Loop__remove_reader, METH_O, NULL},     \
    {"_remove_writer", (PyCFunction)Loop__remove_writer, METH_O, NULL},     \
    {"_ensure_fd_no_transport", (PyCFunction)Loop__ensure_fd_no_transport,  \
     METH_O, NULL},                                                         \
    {"remove_reader", (PyCFunction)Loop_remove_reader, METH_O,              \
     "remove_reader(fd) -> bool"},                                          \
    {"remove_writer", (PyCFunction)Loop_remove_writer, METH_O,              \
     "remove_writer(fd) -> bool"},
/* clang-format on */

#endif /* CLOOP_LOOP_IO_H */
