/* future_attrs.h: the Future type's getset table (future_attrs.c). */
#ifndef CLOOP_FUTURE_ATTRS_H
#define CLOOP_FUTURE_ATTRS_H

#include "compat.h"

extern PyGetSetDef cl_future_getset[];

/* A boolean attribute's setter body: the truth of value into *flag, as
 * asyncio's Future and Task take theirs; deleting it is AttributeError.
 * 0 or -1. */
int cl_attr_set_flag(PyObject *value, char *flag);

#endif /* CLOOP_FUTURE_ATTRS_H */
