/* elfsection.h: finding a named ELF section of a loaded object (pure C).
 *
 * CPython 3.14 publishes the layout of asyncio's C Task for debuggers in a
 * section of its own (.AsyncioDebug) of the object that holds _asyncio:
 * `python -m asyncio ps PID` reads it from another process. cloop reads it
 * from its own (asyncio_base.c). Never touches Python error state.
 */
#ifndef CLOOP_ELFSECTION_H
#define CLOOP_ELFSECTION_H

#include <stddef.h>

/* The section `name` of the loaded object whose mapped memory contains
 * addr: its address in this process and its size. 0, or -1 with errno
 * (ENOENT: no such object or section; other values: the object's file
 * could not be read). */
int cl_elfsection_find(const void *addr, const char *name, const void **start,
                       size_t *size);

#endif /* CLOOP_ELFSECTION_H */
