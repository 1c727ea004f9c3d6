/* loop.h: the Loop object (cloop._cloop.Loop) and what other files use.
 *
 * cloop.Loop (cloop/_loop.py) subclasses this type and
 * asyncio.AbstractEventLoop; the C type owns the scheduler (ready ring,
 * timer heap, poller, watcher table) and the hot methods.
 */
#ifndef CLOOP_LOOP_H
#define CLOOP_LOOP_H

#include <stdint.h>

#include "poller.h"
#include "ringbuf.h"
#include "state.h"
#include "stats.h"
#include "timerheap.h"

/* The callbacks watching one fd (loop_io.c). A slot holds either a Handle
 * (its *_fn is NULL) or a C watcher object, a transport or a pending sock_*
 * operation, whose *_fn the ready ring runs with it. */
typedef struct {
    PyObject *reader;     /* owned Handle, C watcher or NULL */
    PyObject *writer;     /* owned Handle, C watcher or NULL */
    cl_ready_fn read_fn;  /* NULL when reader is a Handle */
    cl_ready_fn write_fn; /* NULL when writer is a Handle */
    unsigned char once;   /* CL_POLL_READ/WRITE: that direction's watcher
                             stops at its first event (CL_POLL_ONCE) */
    PyObject *transport;  /* borrowed: the transport owning the fd (asyncio's
                             _transports); it clears this before it dies */
    PyObject *fileobj;    /* owned: the object (not an int) the fd was first
                             watched by, while it is watched, so that it is
                             found by identity once closed, as selectors'
                             keys are; NULL otherwise */
} cl_watcher;

typedef struct LoopObject {
    PyObject_HEAD
    cl_state *state;     /* borrowed: kept alive by the type */
    cl_ringbuf ready;    /* entries own their obj/arg references */
    cl_timerheap timers; /* the heap owns one reference per timer */
    cl_poller poller;
    cl_watcher *watchers; /* indexed by fd, nwatchers long */
    int nwatchers;
    uint64_t timer_seq;               /* next timer sequence number */
    Py_ssize_t timer_cancelled_count; /* cancelled timers still in the heap */
    unsigned long thread_id;          /* valid while running */
    char running;
    char stopping;
    char closed;
    char debug;
    char polling; /* blocked in epoll_wait without the GIL */
    double clock_resolution;
    /* time() is replaced (a mock on the instance, an override in a class):
     * the run loop and call_later then ask self.time(), as asyncio's do,
     * instead of reading the clock. */
    char time_in_dict; /* set on the instance */
    char time_hooked;  /* time_in_dict, or the class's is not ours */
    double slow_callback_duration;
    PyObject *current_handle; /* owned, debug mode only (asyncio's rule) */
    char *readbuf;            /* owned by loop_io.c: the one recv buffer of
                                 this loop's transports, allocated lazily */
    /* For the blocking watchdog (cloop/_watch.py): the entry being run
     * (borrowed: kept alive by the run phase while it runs) and a count of
     * entries started, so a long-running entry can be told from a new one. */
    PyObject *current_entry;
    uint64_t entry_seq;
    cl_stats stats;
} LoopObject;

/* Adds the Loop type to the module state. 0 or -1. */
int cl_loop_init_state(PyObject *module, cl_state *st);

/* Raises RuntimeError('Event loop is closed') and returns -1 if closed. */
int cl_loop_check_closed(LoopObject *loop);

/* Queues a C entry on the ready ring; steals references to obj and arg
 * (also on failure). 0, or -1 with MemoryError. */
int cl_loop_push_ready(LoopObject *loop, cl_ready_fn run, PyObject *obj,
                       PyObject *arg);

/* Is obj an instance of cloop's Loop type (or a subclass)? */
int cl_loop_check(cl_state *st, PyObject *obj);

#endif /* CLOOP_LOOP_H */
