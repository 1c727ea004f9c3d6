/* loop_attrs.h: the Loop type's getset table (loop_attrs.c). */
#ifndef CLOOP_LOOP_ATTRS_H
#define CLOOP_LOOP_ATTRS_H

#include "compat.h"

extern PyGetSetDef cl_loop_getset[];

#endif /* CLOOP_LOOP_ATTRS_H */
