/* loop_io.h: readers and writers on the poller (add_reader & co.). */
#ifndef CLOOP_LOOP_IO_H
#define CLOOP_LOOP_IO_H

#include "loop.h"

/* Queues the callbacks for the n events of the last poll. 0 or -1. */
int cl_loop_io_dispatch(LoopObject *loop, int n);

/* Drops every watcher (close, tp_clear); releases handles one at a time. */
void cl_loop_io_clear(LoopObject *loop);
/* Frees the watcher table itself (dealloc, after clear). */
void cl_loop_io_free(LoopObject *loop);
int cl_loop_io_traverse(LoopObject *loop, visitproc visit, void *arg);

PyObject *Loop_add_reader(LoopObject *, PyObject *const *, Py_ssize_t);
PyObject *Loop_add_writer(LoopObject *, PyObject *const *, Py_ssize_t);
PyObject *Loop__add_reader(LoopObject *, PyObject *const *, Py_ssize_t);
PyObject *Loop__add_writer(LoopObject *, PyObject *const *, Py_ssize_t);
PyObject *Loop_remove_reader(LoopObject *, PyObject *);
PyObject *Loop_remove_writer(LoopObject *, PyObject *);

#define CL_LOOP_IO_METHODS                                                  \
    {"add_reader", (PyCFunction)(void (*)(void))Loop_add_reader,            \
     METH_FASTCALL, "add_reader(fd, callback, *args)"},                    \
    {"add_writer", (PyCFunction)(void (*)(void))Loop_add_writer,            \
     METH_FASTCALL, "add_writer(fd, callback, *args)"},                    \
    {"_add_reader", (PyCFunction)(void (*)(void))Loop__add_reader,          \
     METH_FASTCALL, "_add_reader(fd, callback, *args) -> Handle"},         \
    {"_add_writer", (PyCFunction)(void (*)(void))Loop__add_writer,          \
     METH_FASTCALL, "_add_writer(fd, callback, *args) -> Handle"},         \
    {"_remove_reader", (PyCFunction)Loop_remove_reader, METH_O, NULL},      \
    {"_remove_writer", (PyCFunction)Loop_remove_writer, METH_O, NULL},      \
    {"remove_reader", (PyCFunction)Loop_remove_reader, METH_O,              \
     "remove_reader(fd) -> bool"},                                          \
    {"remove_writer", (PyCFunction)Loop_remove_writer, METH_O,              \
     "remove_writer(fd) -> bool"},

#endif /* CLOOP_LOOP_IO_H */
