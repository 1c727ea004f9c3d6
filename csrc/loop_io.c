/* loop_io.c: the watcher table, add/remove_reader/writer, the read buffer.
 *
 * Owns: the watcher table, indexed by fd, holding one reference to each
 * reader and writer: a Handle (add_reader & co.) or a C watcher object (a
 * transport, a pending sock_* operation) run by its cl_ready_fn without a
 * Handle. The poller (poller.c) knows the same fds' event masks; every
 * change here updates both, poller first, so a failing epoll_ctl leaves the
 * table as it was. Also owns the loop's one read buffer, which transports
 * recv into (never a fresh maximum-size bytes per read).
 *
 * The table also records which transport owns each fd (asyncio's
 * _transports), so that add_reader & co. refuse an fd a live transport
 * uses, as asyncio's _ensure_fd_no_transport does.
 */
#include <stdlib.h>
#include <string.h>

#include "common.h"
#include "debugcount.h"

#include <limits.h>
#include "handle.h"
#include "loop_io.h"

/* ------------------------------------------------------------------ */
/* File objects to descriptors, with asyncio's errors                  */

/* The fd of an int or of an object with fileno(), or -1 with ValueError
 * ("Invalid file object") as asyncio's _ensure_fd_no_transport raises. A
 * negative int is returned as is for the caller to refuse. Returns 0/-1. */
static int
fileobj_to_fd(PyObject *fileobj, long *fd)
{
    if (PyLong_Check(fileobj)) {
        *fd = PyLong_AsLong(fileobj);
        return (*fd == -1 && PyErr_Occurred()) ? -1 : 0;
    }
    PyObject *res = PyObject_CallMethod(fileobj, "fileno", NULL);
    if (res != NULL && PyLong_Check(res)) {
        *fd = PyLong_AsLong(res);
        Py_DECREF(res);
        return (*fd == -1 && PyErr_Occurred()) ? -1 : 0;
    }
    Py_XDECREF(res);
    if (res == NULL && !PyErr_ExceptionMatches(PyExc_AttributeError)
        && !PyErr_ExceptionMatches(PyExc_TypeError)
        && !PyErr_ExceptionMatches(PyExc_ValueError)) {
        return -1;
    }
    PyErr_Clear();
    PyErr_Format(PyExc_ValueError, "Invalid file object: %R", fileobj);
    return -1;
}

static int
check_fd(long fd)
{
    if (fd < 0 || fd > INT32_MAX) {
        PyErr_Format(PyExc_ValueError, "Invalid file descriptor: %ld", fd);
        return -1;
    }
    return 0;
}

/* ------------------------------------------------------------------ */
/* The table                                                           */

/* Grows the table to hold fd, which the caller has checked is open (so
 * below the process's descriptor limit). */
static int
ensure_watcher_slot(LoopObject *self, int fd)
{
    if (fd < self->nwatchers) {
        return 0;
    }
    size_t n = self->nwatchers ? (size_t)self->nwatchers : 64;
    while (n <= (size_t)fd) {
        n *= 2;
    }
    if (n > INT_MAX) {
        n = (size_t)INT_MAX;
    }
    cl_watcher *w = PyMem_Realloc(self->watchers, n * sizeof(*w));
    if (w == NULL) {
        PyErr_NoMemory();
        return -1;
    }
    memset(w + self->nwatchers, 0, (n - (size_t)self->nwatchers) * sizeof(*w));
    self->watchers = w;
    self->nwatchers = (int)n;
    return 0;
}

static PyObject **
slot_of(cl_watcher *w, unsigned which)
{
    return which == CL_POLL_READ ? &w->reader : &w->writer;
}

static cl_ready_fn *
fn_of(cl_watcher *w, unsigned which)
{
    return which == CL_POLL_READ ? &w->read_fn : &w->write_fn;
}

/* Releases a watcher taken out of the table: a Handle is cancelled, as
 * asyncio cancels the handle it replaces or removes. */
static void
release_watcher(PyObject *old, cl_ready_fn fn)
{
    if (old == NULL) {
        return;
    }
    if (fn == NULL) {
        cl_handle_cancel((HandleObject *)old);
    }
    Py_DECREF(old);
}

/* The poller mask for fd watched in directions `dirs`, of which the
 * watchers in `once` stop at their first event: one-shot only when every
 * watcher of the fd is. */
static unsigned
poller_mask(unsigned dirs, unsigned once)
{
    return (dirs && (once & dirs) == dirs) ? (dirs | CL_POLL_ONCE) : dirs;
}

/* Installs obj (stolen) as fd's reader or writer: a Handle when fn is NULL,
 * else a C watcher run by fn. fileobj (borrowed, NULL for an int or a C
 * watcher) is what the caller named the fd by. */
static int
add_watch(LoopObject *self, int fd, unsigned which, PyObject *obj,
          cl_ready_fn fn, PyObject *fileobj)
{
    /* The kernel says first whether fd is open, as asyncio's selector does
     * (OSError EBADF), before any table grows to an fd number that is not
     * one. */
    if (fd >= self->nwatchers && cl_poller_check_fd(fd) < 0) {
        Py_DECREF(obj);
        PyErr_SetFromErrno(PyExc_OSError);
        return -1;
    }
    if (ensure_watcher_slot(self, fd) < 0) {
        Py_DECREF(obj);
        return -1;
    }
    /* Replacing a watcher re-registers the fd (one epoll_ctl): if the old
     * one's fd was closed and its number reused, the new file's events
     * would be lost otherwise (asyncio loses them; uvloop does not). */
    unsigned dir = which & CL_POLL_BOTH;
    cl_watcher *w = &self->watchers[fd];
    unsigned once = (w->once & ~dir) | ((which & CL_POLL_ONCE) ? dir : 0);
    unsigned mask = cl_poller_get(&self->poller, fd);
    unsigned want = poller_mask(mask | dir, once);
    if (((mask & dir) ? cl_poller_rearm(&self->poller, fd, want)
                      : cl_poller_set(&self->poller, fd, want))
        < 0) {
        Py_DECREF(obj);
        PyErr_SetFromErrno(PyExc_OSError);
        return -1;
    }
    w->once = (unsigned char)once;
    PyObject **slot = slot_of(w, dir);
    cl_ready_fn *fnslot = fn_of(w, dir);
    PyObject *old = *slot;
    cl_ready_fn oldfn = *fnslot;
    if (w->reader == NULL && w->writer == NULL && fileobj != NULL) {
        w->fileobj = Py_NewRef(fileobj);
    }
    *slot = obj;
    *fnslot = fn;
    /* The table and the poller agree: a watcher for `which` at fd, and
     * masks[fd] has its bit. */
    assert(cl_poller_get(&self->poller, fd) & dir);
    CL_DEBUG_COUNT(watchers, old == NULL);
    release_watcher(old, oldfn);
    return 0;
}

/* Forgets every watcher of fd, whose descriptor the kernel no longer
 * knows: the poller's registration is deleted, and the watchers are
 * dropped without being cancelled, as selectors drops the key of an fd
 * whose modify() failed. */
static void
drop_vanished_fd(LoopObject *self, int fd)
{
    (void)cl_poller_set(&self->poller, fd, 0); /* a gone fd: never fails */
    cl_watcher *w = &self->watchers[fd];
    PyObject *r = w->reader, *wr = w->writer, *f = w->fileobj;
    w->reader = w->writer = w->fileobj = NULL;
    w->read_fn = w->write_fn = NULL;
    w->once = 0;
    CL_DEBUG_COUNT(watchers, -((r != NULL) + (wr != NULL)));
    Py_XDECREF(r);
    Py_XDECREF(wr);
    Py_XDECREF(f);
}

/* Stops watching fd for `which`. Returns 1 if a watcher was removed (a
 * Handle is cancelled), 0 if there was none. When fd stays watched for the
 * other direction but the kernel no longer knows it (closed behind the
 * loop's back), every watcher of fd is dropped and -1 returned with errno
 * (no Python exception), as asyncio's selector raises OSError then. */
static int
remove_watch(LoopObject *self, int fd, unsigned which)
{
    if (fd >= self->nwatchers) {
        return 0;
    }
    cl_watcher *w = &self->watchers[fd];
    unsigned once = w->once & ~which;
    unsigned mask = cl_poller_get(&self->poller, fd) & ~which;
    if (cl_poller_set(&self->poller, fd, poller_mask(mask, once)) < 0) {
        int err = errno;
        drop_vanished_fd(self, fd);
        errno = err;
        return -1;
    }
    assert(!(cl_poller_get(&self->poller, fd) & which));
    w->once = (unsigned char)once;
    PyObject **slot = slot_of(w, which);
    cl_ready_fn *fnslot = fn_of(w, which);
    PyObject *old = *slot;
    cl_ready_fn oldfn = *fnslot;
    *slot = NULL;
    *fnslot = NULL;
    PyObject *fileobj = NULL;
    if (w->reader == NULL && w->writer == NULL) {
        fileobj = w->fileobj;
        w->fileobj = NULL;
    }
    /* Releasing may run Python code that changes the table: w is not used
     * after this. */
    Py_XDECREF(fileobj);
    if (old == NULL) {
        return 0;
    }
    CL_DEBUG_COUNT(watchers, -1);
    release_watcher(old, oldfn);
    return 1;
}

/* The fd fileobj names, as selectors' _fileobj_lookup finds it: its
 * fileno(), or, when that is no valid fd (a socket closed while watched
 * says -1), the fd of the watcher it was registered by. 0, or -1 with the
 * ValueError of the conversion. */
static int
lookup_fd(LoopObject *self, PyObject *fileobj, long *fd)
{
    if (fileobj_to_fd(fileobj, fd) == 0 && check_fd(*fd) == 0) {
        return 0;
    }
    if (!PyErr_ExceptionMatches(PyExc_ValueError)) {
        return -1;
    }
    for (int i = 0; i < self->nwatchers; i++) {
        if (self->watchers[i].fileobj == fileobj) {
            PyErr_Clear();
            *fd = i;
            return 0;
        }
    }
    return -1;
}

/* ------------------------------------------------------------------ */
/* Transports owning fds (asyncio's _ensure_fd_no_transport)           */

int
cl_loop_io_set_owner(LoopObject *self, int fd, PyObject *transport)
{
    if (ensure_watcher_slot(self, fd) < 0) {
        return -1;
    }
    self->watchers[fd].transport = transport;
    return 0;
}

void
cl_loop_io_clear_owner(LoopObject *self, int fd, PyObject *transport)
{
    if (fd >= 0 && fd < self->nwatchers
        && self->watchers[fd].transport == transport) {
        self->watchers[fd].transport = NULL;
    }
}

/* RuntimeError if a transport that is not closing owns fd; fileobj is what
 * the caller passed, for the message. 0 or -1. */
static int
check_no_transport(LoopObject *self, PyObject *fileobj, long fd)
{
    if (fd < 0 || fd >= self->nwatchers
        || self->watchers[fd].transport == NULL) {
        return 0;
    }
    PyObject *tr = Py_NewRef(self->watchers[fd].transport);
    PyObject *closing = PyObject_CallMethod(tr, "is_closing", NULL);
    int rc = 0;
    if (closing == NULL) {
        rc = -1;
    }
    else {
        int b = PyObject_IsTrue(closing);
        Py_DECREF(closing);
        if (b < 0) {
            rc = -1;
        }
        else if (!b) {
            PyErr_Format(PyExc_RuntimeError,
                         "File descriptor %R is used by transport %R", fileobj,
                         tr);
            rc = -1;
        }
    }
    Py_DECREF(tr);
    return rc;
}

int
cl_loop_io_ensure_no_transport(LoopObject *self, PyObject *fileobj)
{
    long fd;
    if (fileobj_to_fd(fileobj, &fd) < 0) {
        return -1;
    }
    return check_no_transport(self, fileobj, fd);
}

/* ------------------------------------------------------------------ */
/* C watchers (transports, sock_* operations)                          */

int
cl_loop_io_watch(LoopObject *self, int fd, unsigned which, cl_ready_fn fn,
                 PyObject *obj)
{
    if (cl_loop_check_closed(self) < 0 || check_fd(fd) < 0) {
        return -1;
    }
    return add_watch(self, fd, which, Py_NewRef(obj), fn, NULL);
}

int
cl_loop_io_unwatch(LoopObject *self, int fd, unsigned which, PyObject *only)
{
    if (self->closed || fd < 0 || fd >= self->nwatchers) {
        return 0;
    }
    if (only != NULL && *slot_of(&self->watchers[fd], which) != only) {
        return 0;
    }
    /* A vanished fd's watchers are dropped: removed too, for the caller. */
    return remove_watch(self, fd, which) != 0;
}

int
cl_loop_io_is_watching(LoopObject *self, int fd, unsigned which, PyObject *obj)
{
    return fd >= 0 && fd < self->nwatchers
           && *slot_of(&self->watchers[fd], which) == obj;
}

/* glibc gives the top of its heap back to the kernel once more than the
 * trim threshold (128 KiB by default) is free there. A server moving big
 * chunks through Python objects (a 64 KiB read, a StreamReader's
 * bytearray, the bytes sliced out of it) crosses that line every few reads
 * and then faults the pages in again: measured, 17% of a 64 KiB asyncio
 * streams echo server's time went to page faults, and throughput rose 1.6x
 * without them. Freeing a block that glibc served with mmap raises its mmap
 * threshold to the block's size and the trim threshold to twice that (the
 * dynamic rule documented in mallopt(3)), so one 2 MiB malloc and free
 * before the process's first loop can read leaves at most 4 MiB of free
 * heap unreturned; glibc keeps adjusting from there, and a threshold the
 * program set with mallopt or already higher is left as it is. Other
 * allocators ignore it. The thresholds are the process's: once is enough,
 * and doing it when a loop is made means no read path has to. */
#define CL_MALLOC_TUNE_BLOCK (2 * 1024 * 1024)

void
cl_loop_io_tune_malloc(void)
{
    static int tuned; /* under the GIL */
    if (!tuned) {
        tuned = 1;
        PyMem_RawFree(PyMem_RawMalloc(CL_MALLOC_TUNE_BLOCK));
    }
}

char *
cl_loop_io_readbuf(LoopObject *self)
{
    if (self->readbuf == NULL) {
        self->readbuf = PyMem_RawMalloc(CL_READ_BUFSIZE);
        if (self->readbuf == NULL) {
            PyErr_NoMemory();
        }
    }
    return self->readbuf;
}

/* ------------------------------------------------------------------ */
/* Methods                                                             */

/* The context= keyword of the private _add_reader/_add_writer (3.15, where
 * asyncio's transports pass theirs): 0 with *context borrowed (NULL when
 * not given), or -1. */
static int
parse_add_context(const char *name, PyObject *const *args, Py_ssize_t nargs,
                  PyObject *kwnames, PyObject **context)
{
    *context = NULL;
    Py_ssize_t nkw = kwnames ? PyTuple_GET_SIZE(kwnames) : 0;
    for (Py_ssize_t i = 0; i < nkw; i++) {
        PyObject *key = PyTuple_GET_ITEM(kwnames, i);
        if (!CL_ADD_READER_TAKES_CONTEXT
            || PyUnicode_CompareWithASCIIString(key, "context") != 0) {
            PyErr_Format(PyExc_TypeError,
                         "%s() got an unexpected keyword argument '%S'", name,
                         key);
            return -1;
        }
        *context = args[nargs + i];
    }
    return 0;
}

/* Returns the new Handle (asyncio's private _add_reader/_add_writer, which
 * asyncio's pipe and socket transports call) or None (the public methods),
 * depending on return_handle. context (borrowed, NULL or None: a copy of
 * the current one) is the context the callback runs in. */
static PyObject *
add_impl(LoopObject *self, PyObject *const *args, Py_ssize_t nargs,
         unsigned which, const char *name, int return_handle,
         PyObject *context)
{
    if (nargs < 2) {
        PyErr_Format(PyExc_TypeError,
                     "%s() missing required positional arguments: "
                     "'fd' and 'callback'",
                     name);
        return NULL;
    }
    long fd;
    if (fileobj_to_fd(args[0], &fd) < 0
        || (!return_handle && check_no_transport(self, args[0], fd) < 0)
        || cl_loop_check_closed(self) < 0) {
        return NULL;
    }
    HandleObject *h = cl_handle_new(self->state->HandleType, self, args[1],
                                    args + 2, nargs - 2, context);
    if (h == NULL) {
        return NULL;
    }
    if (check_fd(fd) < 0) {
        Py_DECREF(h);
        return NULL;
    }
    PyObject *named_by = PyLong_Check(args[0]) ? NULL : args[0];
    if (add_watch(self, (int)fd, which, Py_NewRef((PyObject *)h), NULL,
                  named_by)
        < 0) {
        Py_DECREF(h);
        return NULL;
    }
    if (return_handle) {
        return (PyObject *)h;
    }
    Py_DECREF(h);
    Py_RETURN_NONE;
}

static PyObject *
remove_impl(LoopObject *self, PyObject *fileobj, unsigned which, int public)
{
    if (public && cl_loop_io_ensure_no_transport(self, fileobj) < 0) {
        return NULL;
    }
    if (self->closed) {
        Py_RETURN_FALSE;
    }
    long fd;
    if (lookup_fd(self, fileobj, &fd) < 0) {
        return NULL;
    }
    int removed = remove_watch(self, (int)fd, which);
    if (removed < 0) {
        PyErr_SetFromErrno(PyExc_OSError);
        return NULL;
    }
    return PyBool_FromLong(removed);
}

PyObject *
Loop_add_reader(LoopObject *self, PyObject *const *args, Py_ssize_t nargs)
{
    return add_impl(self, args, nargs, CL_POLL_READ, "add_reader", 0, NULL);
}

/* The private _add_reader/_add_writer: the handle is returned, and 3.15's
 * context= keyword accepted. */
static PyObject *
private_add(LoopObject *self, PyObject *const *args, Py_ssize_t nargs,
            PyObject *kwnames, unsigned which, const char *name)
{
    PyObject *context;
    if (parse_add_context(name, args, nargs, kwnames, &context) < 0) {
        return NULL;
    }
    return add_impl(self, args, nargs, which, name, 1, context);
}

PyObject *
Loop__add_reader(LoopObject *self, PyObject *const *args, Py_ssize_t nargs,
                 PyObject *kwnames)
{
    return private_add(self, args, nargs, kwnames, CL_POLL_READ,
                       "_add_reader");
}

PyObject *
Loop_add_writer(LoopObject *self, PyObject *const *args, Py_ssize_t nargs)
{
    return add_impl(self, args, nargs, CL_POLL_WRITE, "add_writer", 0, NULL);
}

PyObject *
Loop__add_writer(LoopObject *self, PyObject *const *args, Py_ssize_t nargs,
                 PyObject *kwnames)
{
    return private_add(self, args, nargs, kwnames, CL_POLL_WRITE,
                       "_add_writer");
}

PyObject *
Loop_remove_reader(LoopObject *self, PyObject *fileobj)
{
    return remove_impl(self, fileobj, CL_POLL_READ, 1);
}

PyObject *
Loop_remove_writer(LoopObject *self, PyObject *fileobj)
{
    return remove_impl(self, fileobj, CL_POLL_WRITE, 1);
}

PyObject *
Loop__remove_reader(LoopObject *self, PyObject *fileobj)
{
    return remove_impl(self, fileobj, CL_POLL_READ, 0);
}

PyObject *
Loop__remove_writer(LoopObject *self, PyObject *fileobj)
{
    return remove_impl(self, fileobj, CL_POLL_WRITE, 0);
}

PyObject *
Loop__ensure_fd_no_transport(LoopObject *self, PyObject *fileobj)
{
    if (cl_loop_io_ensure_no_transport(self, fileobj) < 0) {
        return NULL;
    }
    Py_RETURN_NONE;
}

/* ------------------------------------------------------------------ */
/* Dispatch                                                            */

/* Queues fd's reader or writer, or drops it if it was cancelled. */
static int
dispatch_one(LoopObject *self, int fd, unsigned which)
{
    cl_watcher *w = &self->watchers[fd];
    PyObject *h = *slot_of(w, which);
    if (h == NULL) {
        return 0;
    }
    cl_ready_fn fn = *fn_of(w, which);
    if (fn != NULL) {
        return cl_loop_push_ready(self, fn, Py_NewRef(h), NULL);
    }
    if (((HandleObject *)h)->cancelled) {
        (void)remove_watch(self, fd, which);
        return 0;
    }
    return cl_loop_push_ready(self, cl_handle_run, Py_NewRef(h), NULL);
}

int
cl_loop_io_dispatch(LoopObject *self, int n)
{
    for (int i = 0; i < n; i++) {
        struct epoll_event *ev = &self->poller.events[i];
        int fd = ev->data.fd; /* never an internal fd: the poller took those */
        if (fd >= self->nwatchers) {
            continue;
        }
        unsigned mask = cl_poller_events_to_mask(ev->events);
        if ((mask & CL_POLL_READ)
            && dispatch_one(self, fd, CL_POLL_READ) < 0) {
            return -1;
        }
        if ((mask & CL_POLL_WRITE)
            && dispatch_one(self, fd, CL_POLL_WRITE) < 0) {
            return -1;
        }
    }
    return 0;
}

/* ------------------------------------------------------------------ */
/* Lifetime                                                            */

void
cl_loop_io_clear(LoopObject *self)
{
    for (int fd = 0; fd < self->nwatchers; fd++) {
        cl_watcher *w = &self->watchers[fd];
        PyObject *r = w->reader, *wr = w->writer, *f = w->fileobj;
        w->reader = w->writer = w->fileobj = NULL;
        w->read_fn = w->write_fn = NULL;
        w->once = 0;
        w->transport = NULL;
        CL_DEBUG_COUNT(watchers, -((r != NULL) + (wr != NULL)));
        if (self->poller.epfd >= 0 && (r || wr)) {
            (void)cl_poller_set(&self->poller, fd, 0);
        }
        Py_XDECREF(r);
        Py_XDECREF(wr);
        Py_XDECREF(f);
    }
}

void
cl_loop_io_free(LoopObject *self)
{
    PyMem_Free(self->watchers);
    self->watchers = NULL;
    self->nwatchers = 0;
    PyMem_RawFree(self->readbuf);
    self->readbuf = NULL;
}

int
cl_loop_io_traverse(LoopObject *self, visitproc visit, void *arg)
{
    for (int fd = 0; fd < self->nwatchers; fd++) {
        Py_VISIT(self->watchers[fd].reader);
        Py_VISIT(self->watchers[fd].writer);
        Py_VISIT(self->watchers[fd].fileobj);
    }
    return 0;
}
