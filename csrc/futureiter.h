/* futureiter.h: the iterator of `await fut` (FutureIter). */
#ifndef CLOOP_FUTUREITER_H
#define CLOOP_FUTUREITER_H

#include "future.h"

typedef struct FutureIterObject {
    PyObject_HEAD
    FutureObject *future;               /* owned; NULL once exhausted */
    struct FutureIterObject *next_free; /* link while on the free list */
} FutureIterObject;

/* Creates the FutureIter type (state->FutureIterType). 0 or -1. */
int cl_futureiter_init_state(PyObject *module, cl_state *st);

/* A new iterator over fut (fut.__await__() / iter(fut)); RuntimeError if
 * fut was never initialised. New reference. */
PyObject *cl_futureiter_new(FutureObject *fut);

/* Frees the free list and stops refilling it (module clear). */
void cl_futureiter_clear_freelist(cl_state *st);

#endif /* CLOOP_FUTUREITER_H */
