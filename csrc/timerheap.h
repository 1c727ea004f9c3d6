/* timerheap.h: a binary min-heap of timers keyed by (when, sequence).
 *
 * The sequence number breaks ties between equal deadlines, so timers due
 * at the same time run in the order they were scheduled. The heap stores
 * the key next to the timer pointer so comparisons never follow a pointer.
 * It does not touch reference counts: the loop owns one reference to each
 * timer in the heap.
 *
 * Invariant: for every i > 0, key(items[(i - 1) / 2]) <= key(items[i]).
 */
#ifndef CLOOP_TIMERHEAP_H
#define CLOOP_TIMERHEAP_H

#include <stdint.h>

#include "compat.h"

typedef struct {
    double when;
    uint64_t seq;
    PyObject *timer; /* owned by the heap's owner */
} cl_timer_entry;

typedef struct {
    cl_timer_entry *items;
    size_t len;
    size_t cap;
} cl_timerheap;

void cl_timerheap_init(cl_timerheap *h);
void cl_timerheap_free(cl_timerheap *h);
/* 0, or -1 with errno = ENOMEM (the heap is unchanged). */
int cl_timerheap_push(cl_timerheap *h, double when, uint64_t seq,
                      PyObject *timer);
/* Removes the earliest entry into *out. The heap must not be empty. */
void cl_timerheap_pop(cl_timerheap *h, cl_timer_entry *out);
/* Restores the heap invariant over items[0..len) after the owner has
 * removed entries in place (used by compaction). */
void cl_timerheap_heapify(cl_timerheap *h);

static inline cl_timer_entry *
cl_timerheap_top(cl_timerheap *h)
{
    return h->len ? &h->items[0] : NULL;
}

#endif /* CLOOP_TIMERHEAP_H */
