/* sockaddr.h: socket addresses between C and Python, as the socket module
 * spells them (INET, INET6, UNIX). */
#ifndef CLOOP_SOCKADDR_H
#define CLOOP_SOCKADDR_H

#include <sys/socket.h>

#include "compat.h"

/* Is family one that these functions handle? */
int cl_sockaddr_supported(int family);

/* The Python object socket.recvfrom() would return for sa: (host, port),
 * (host, port, flowinfo, scope_id), a path str, an abstract-namespace
 * bytes, or None for an empty address. New reference, or NULL with an
 * exception (ValueError for an unsupported family). */
PyObject *cl_sockaddr_to_object(const struct sockaddr *sa, socklen_t len);

/* Fills *ss and *len from a Python address for family when it is a plain
 * numeric one (an IPv4/IPv6 literal and an int port): returns 1. Returns 0
 * for anything else (hostnames, paths, odd types): the caller then lets
 * the socket module parse it, with its errors. Never fails. */
int cl_sockaddr_from_object(int family, PyObject *addr,
                            struct sockaddr_storage *ss, socklen_t *len);

#endif /* CLOOP_SOCKADDR_H */
