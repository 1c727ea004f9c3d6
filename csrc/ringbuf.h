/* ringbuf.h: the ready queue, a power-of-two ring of entries.
 *
 * An entry is a C function with two object pointers: for a Handle the
 * function runs the Handle; for a Task step (task.c) it steps the Task
 * without a Handle or a bound method. The ring never touches reference
 * counts or Python error state: whoever pushes an entry hands the
 * references of obj and arg to the ring's owner (the loop), which releases
 * them after popping and running the entry, or when clearing the ring.
 *
 * Invariants: capacity (mask + 1) is a power of two; 0 <= len <= capacity;
 * the live entries are items[(head + i) & mask] for i in [0, len).
 */
#ifndef CLOOP_RINGBUF_H
#define CLOOP_RINGBUF_H

#include "compat.h"

struct LoopObject;

/* Runs one ready entry. Returns 0, or -1 with an exception set when the
 * exception must stop the loop (KeyboardInterrupt, SystemExit): every other
 * error has already gone to the loop's exception handler. Borrows obj and
 * arg: the loop releases them after the call. */
typedef int (*cl_ready_fn)(struct LoopObject *loop, PyObject *obj,
                           PyObject *arg);

typedef struct {
    cl_ready_fn run;
    PyObject *obj; /* owned by the ring's owner */
    PyObject *arg; /* owned by the ring's owner, may be NULL */
} cl_ready_entry;

typedef struct {
    cl_ready_entry *items;
    size_t mask;
    size_t head;
    size_t len;
} cl_ringbuf;

/* 0, or -1 with errno = ENOMEM. */
int cl_ringbuf_init(cl_ringbuf *rb, size_t capacity);
void cl_ringbuf_free(cl_ringbuf *rb);
/* Doubles the capacity: 0, or -1 with errno = ENOMEM. */
int cl_ringbuf_grow(cl_ringbuf *rb);

/* Appends an entry: 0, or -1 with errno = ENOMEM (the ring is unchanged). */
static inline int
cl_ringbuf_push(cl_ringbuf *rb, cl_ready_fn run, PyObject *obj, PyObject *arg)
{
    if (rb->len > rb->mask && cl_ringbuf_grow(rb) < 0) {
        return -1;
    }
    cl_ready_entry *e = &rb->items[(rb->head + rb->len) & rb->mask];
    e->run = run;
    e->obj = obj;
    e->arg = arg;
    rb->len++;
    return 0;
}

/* Removes the oldest entry into *out. The ring must not be empty. */
static inline void
cl_ringbuf_pop(cl_ringbuf *rb, cl_ready_entry *out)
{
    assert(rb->len > 0);
    *out = rb->items[rb->head];
    rb->head = (rb->head + 1) & rb->mask;
    rb->len--;
}

/* The i-th oldest entry, for traversal. */
static inline cl_ready_entry *
cl_ringbuf_at(cl_ringbuf *rb, size_t i)
{
    return &rb->items[(rb->head + i) & rb->mask];
}

#endif /* CLOOP_RINGBUF_H */
