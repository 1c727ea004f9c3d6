/* datagram.h: the UDP / Unix datagram transport
 * (cloop._cloop.DatagramTransport). */
#ifndef CLOOP_DATAGRAM_H
#define CLOOP_DATAGRAM_H

#include "state.h"

int cl_datagram_init_state(PyObject *module, cl_state *st);

#endif /* CLOOP_DATAGRAM_H */
