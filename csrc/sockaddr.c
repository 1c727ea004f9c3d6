/* sockaddr.c: socket addresses between C and Python.
 *
 * The datagram transport receives into the loop's buffer with recvfrom(),
 * so it builds the sender's address itself; this file does it exactly as
 * the socket module's makesockaddr does for the families cloop's
 * transports use. The reverse direction only handles numeric addresses and
 * leaves everything else to the socket module.
 */
#include <arpa/inet.h>
#include <netdb.h>
#include <netinet/in.h>
#include <stddef.h>
#include <string.h>
#include <sys/un.h>

#include "sockaddr.h"

int
cl_sockaddr_supported(int family)
{
    return family == AF_INET || family == AF_INET6 || family == AF_UNIX;
}

static PyObject *
inet_to_object(const struct sockaddr_in *a)
{
    char host[INET_ADDRSTRLEN];
    if (inet_ntop(AF_INET, &a->sin_addr, host, sizeof(host)) == NULL) {
        return PyErr_SetFromErrno(PyExc_OSError);
    }
    return Py_BuildValue("(si)", host, (int)ntohs(a->sin_port));
}

static PyObject *
inet6_to_object(const struct sockaddr_in6 *a, socklen_t len)
{
    /* getnameinfo() adds the %scope suffix the socket module shows. */
    char host[NI_MAXHOST];
    int rc = getnameinfo((const struct sockaddr *)a, len, host, sizeof(host),
                         NULL, 0, NI_NUMERICHOST);
    if (rc != 0) {
        PyErr_Format(PyExc_OSError, "getnameinfo failed: %s",
                     gai_strerror(rc));
        return NULL;
    }
    return Py_BuildValue("(siII)", host, (int)ntohs(a->sin6_port),
                         (unsigned int)ntohl(a->sin6_flowinfo),
                         (unsigned int)a->sin6_scope_id);
}

static PyObject *
unix_to_object(const struct sockaddr_un *a, socklen_t len)
{
    size_t pathlen = len - offsetof(struct sockaddr_un, sun_path);
    if (pathlen > 0 && a->sun_path[0] == 0) {
        /* Linux's abstract namespace: bytes, NUL and all. */
        return PyBytes_FromStringAndSize(a->sun_path, (Py_ssize_t)pathlen);
    }
    return PyUnicode_DecodeFSDefaultAndSize(
        a->sun_path, (Py_ssize_t)strnlen(a->sun_path, pathlen));
}

PyObject *
cl_sockaddr_to_object(const struct sockaddr *sa, socklen_t len)
{
    if (len == 0) {
        Py_RETURN_NONE; /* as the socket module: no address */
    }
    switch (sa->sa_family) {
        case AF_INET:
            return inet_to_object((const struct sockaddr_in *)sa);
        case AF_INET6:
            return inet6_to_object((const struct sockaddr_in6 *)sa, len);
        case AF_UNIX:
            return unix_to_object((const struct sockaddr_un *)sa, len);
    }
    PyErr_Format(PyExc_ValueError, "unsupported address family %d",
                 (int)sa->sa_family);
    return NULL;
}

/* An int in [0, 65535], or -1 (no exception left set). */
static int
port_of(PyObject *obj)
{
    if (!PyLong_CheckExact(obj)) {
        return -1;
    }
    long port = PyLong_AsLong(obj);
    if (port < 0 || port > 65535) {
        PyErr_Clear();
        return -1;
    }
    return (int)port;
}

static int
numeric_host(PyObject *obj, int family, void *dst)
{
    if (!PyUnicode_CheckExact(obj)) {
        return 0;
    }
    const char *host = PyUnicode_AsUTF8(obj);
    if (host == NULL) {
        PyErr_Clear();
        return 0;
    }
    return inet_pton(family, host, dst) == 1;
}

int
cl_sockaddr_from_object(int family, PyObject *addr,
                        struct sockaddr_storage *ss, socklen_t *len)
{
    memset(ss, 0, sizeof(*ss));
    if (!PyTuple_CheckExact(addr)) {
        return 0;
    }
    Py_ssize_t n = PyTuple_GET_SIZE(addr);
    if (family == AF_INET && n == 2) {
        struct sockaddr_in *a = (struct sockaddr_in *)ss;
        int port = port_of(PyTuple_GET_ITEM(addr, 1));
        if (port < 0
            || !numeric_host(PyTuple_GET_ITEM(addr, 0), AF_INET,
                             &a->sin_addr)) {
            return 0;
        }
        a->sin_family = AF_INET;
        a->sin_port = htons((uint16_t)port);
        *len = sizeof(*a);
        return 1;
    }
    if (family == AF_INET6 && n == 2) {
        /* Only the plain form: flowinfo and scope ids go to the socket
         * module, which validates them. */
        struct sockaddr_in6 *a = (struct sockaddr_in6 *)ss;
        int port = port_of(PyTuple_GET_ITEM(addr, 1));
        if (port < 0
            || !numeric_host(PyTuple_GET_ITEM(addr, 0), AF_INET6,
                             &a->sin6_addr)) {
            return 0;
        }
        a->sin6_family = AF_INET6;
        a->sin6_port = htons((uint16_t)port);
        *len = sizeof(*a);
        return 1;
    }
    return 0;
}
