/* timerheap.c: the timer min-heap (see timerheap.h for the invariants). */
#include <errno.h>
#include <stdlib.h>

#include "timerheap.h"

static inline int
entry_less(const cl_timer_entry *a, const cl_timer_entry *b)
{
    if (a->when != b->when) {
        return a->when < b->when;
    }
    return a->seq < b->seq;
}

static void
sift_up(cl_timer_entry *items, size_t i)
{
    cl_timer_entry moving = items[i];
    while (i > 0) {
        size_t parent = (i - 1) / 2;
        if (!entry_less(&moving, &items[parent])) {
            break;
        }
        items[i] = items[parent];
        i = parent;
    }
    items[i] = moving;
}

static void
sift_down(cl_timer_entry *items, size_t len, size_t i)
{
    cl_timer_entry moving = items[i];
    for (;;) {
        size_t child = 2 * i + 1;
        if (child >= len) {
            break;
        }
        if (child + 1 < len && entry_less(&items[child + 1], &items[child])) {
            child++;
        }
        if (!entry_less(&items[child], &moving)) {
            break;
        }
        items[i] = items[child];
        i = child;
    }
    items[i] = moving;
}

void
cl_timerheap_init(cl_timerheap *h)
{
    h->items = NULL;
    h->len = 0;
    h->cap = 0;
}

void
cl_timerheap_free(cl_timerheap *h)
{
    free(h->items);
    cl_timerheap_init(h);
}

int
cl_timerheap_push(cl_timerheap *h, double when, uint64_t seq, PyObject *timer)
{
    if (h->len == h->cap) {
        size_t cap = h->cap ? 2 * h->cap : 64;
        cl_timer_entry *items = realloc(h->items, cap * sizeof(*items));
        if (items == NULL) {
            errno = ENOMEM;
            return -1;
        }
        h->items = items;
        h->cap = cap;
    }
    h->items[h->len].when = when;
    h->items[h->len].seq = seq;
    h->items[h->len].timer = timer;
    sift_up(h->items, h->len);
    h->len++;
    return 0;
}

void
cl_timerheap_pop(cl_timerheap *h, cl_timer_entry *out)
{
    assert(h->len > 0);
    *out = h->items[0];
    h->len--;
    if (h->len > 0) {
        h->items[0] = h->items[h->len];
        sift_down(h->items, h->len, 0);
    }
}

void
cl_timerheap_heapify(cl_timerheap *h)
{
    for (size_t i = h->len / 2; i-- > 0;) {
        sift_down(h->items, h->len, i);
    }
}
