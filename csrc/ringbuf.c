/* ringbuf.c: allocation and growth of the ready ring (see ringbuf.h). */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "ringbuf.h"

int
cl_ringbuf_init(cl_ringbuf *rb, size_t capacity)
{
    size_t cap = 16;
    while (cap < capacity) {
        cap <<= 1;
    }
    rb->items = malloc(cap * sizeof(cl_ready_entry));
    if (rb->items == NULL) {
        errno = ENOMEM;
        return -1;
    }
    rb->mask = cap - 1;
    rb->head = 0;
    rb->len = 0;
    return 0;
}

void
cl_ringbuf_free(cl_ringbuf *rb)
{
    free(rb->items);
    rb->items = NULL;
    rb->mask = 0;
    rb->head = 0;
    rb->len = 0;
}

/* Doubles the capacity and unwraps the live entries to start at index 0. */
int
cl_ringbuf_grow(cl_ringbuf *rb)
{
    size_t cap = rb->mask + 1;
    if (cap > SIZE_MAX / 2 / sizeof(cl_ready_entry)) {
        errno = ENOMEM;
        return -1;
    }
    cl_ready_entry *items = malloc(2 * cap * sizeof(cl_ready_entry));
    if (items == NULL) {
        errno = ENOMEM;
        return -1;
    }
    size_t first = cap - rb->head; /* entries from head to the array end */
    if (first > rb->len) {
        first = rb->len;
    }
    memcpy(items, rb->items + rb->head, first * sizeof(cl_ready_entry));
    memcpy(items + first, rb->items,
           (rb->len - first) * sizeof(cl_ready_entry));
    free(rb->items);
    rb->items = items;
    rb->mask = 2 * cap - 1;
    rb->head = 0;
    return 0;
}
