/* future_attrs.h: the Future type's getset table (future_attrs.c). */
#ifndef CLOOP_FUTURE_ATTRS_H
#define CLOOP_FUTURE_ATTRS_H

#include "compat.h"

extern PyGetSetDef cl_future_getset[];

#endif /* CLOOP_FUTURE_ATTRS_H */
