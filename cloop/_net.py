"""Networking on cloop's loop: the orchestration half of issue 4.

NetworkMixin is a base of cloop.Loop. The hot paths are C:

* sock_recv & co. try the system call at once and wait on epoll only when
  it would block (csrc/sock.c); the coroutines below only await the Future
  the C method returns in that case;
* the stream and datagram transports (csrc/stream.c, csrc/datagram.c) read
  into the loop's one buffer and call the protocol straight from the epoll
  event;
* listening sockets accept plain connections in C (csrc/server.c): socket,
  protocol and transport without a Task per connection.

What is orchestration rather than a hot path is asyncio's own code, taken
from the running Python's asyncio as cloop.Loop does for its other methods:
create_connection (happy eyeballs through asyncio.staggered), create_server
(and asyncio's Server object), create_unix_connection/server,
connect_accepted_socket, create_datagram_endpoint, sendfile, start_tls (with
asyncio.sslproto.SSLProtocol over cloop's transport), sock_sendfile (the
Unix loop's os.sendfile path over add_writer, and the fallback) and the TLS server handshake (_accept_connection2). Their
semantics, messages and version differences are therefore asyncio's
exactly. They reach cloop through the hooks below, which are cloop's own:
_make_socket_transport, _make_ssl_transport, _make_datagram_transport,
_start_serving/_stop_serving, _sendfile_native (a transport's socket
handed to asyncio's os.sendfile path, _sock_sendfile_native), getaddrinfo
(numeric addresses resolved at once, without the executor) and the sock_*
methods. Its one piece of state, _unix_server_sockets, is initialised by
Loop.__init__.
"""
import contextvars
import errno
import os
import socket
from asyncio import (base_events, constants, exceptions, selector_events,
                     sslproto, trsock, unix_events)
from asyncio.futures import isfuture
from asyncio.log import logger

from . import _cloop, _compat
from ._borrow import borrow

_SocketTransport = _cloop.SocketTransport
_DatagramTransport = _cloop.DatagramTransport

# asyncio's orchestration, shared verbatim with asyncio's own loops.
_FROM_BASE = (
    "create_connection", "_connect_sock", "_create_connection_transport",
    "create_server", "_create_server_getaddrinfo", "_ensure_resolved",
    "create_datagram_endpoint", "connect_accepted_socket",
    "sendfile", "_sendfile_fallback", "start_tls",
    "sock_sendfile", "_sock_sendfile_fallback", "_check_sendfile_params",
    "getnameinfo", "_getaddrinfo_debug",
)
_FROM_UNIX = ("create_unix_connection", "create_unix_server",
              # sock_sendfile with os.sendfile, driven by add_writer.
              "_sock_sendfile_native", "_sock_sendfile_native_impl",
              "_sock_sendfile_update_filepos",
              "_sock_add_cancellation_callback")
_FROM_SELECTOR = ("_accept_connection2",)

# accept() errors that mean "out of resources": asyncio stops accepting for
# ACCEPT_RETRY_DELAY seconds instead of spinning.
_ACCEPT_RESOURCE_ERRORS = (errno.EMFILE, errno.ENFILE, errno.ENOBUFS,
                           errno.ENOMEM)

# Listening sockets whose plain connections csrc/server.c accepts.
_C_ACCEPT_FAMILIES = (socket.AF_INET, socket.AF_INET6, socket.AF_UNIX)


def _is_numeric_host(host):
    if host is None:
        return True
    if isinstance(host, bytes):
        try:
            host = host.decode("ascii")
        except UnicodeDecodeError:
            return False
    if not isinstance(host, str) or "%" in host:
        return False
    for family in (socket.AF_INET, socket.AF_INET6):
        try:
            socket.inet_pton(family, host)
            return True
        except (OSError, ValueError):
            pass
    return False


def _is_numeric_port(port):
    if port is None or isinstance(port, int):
        return True
    if isinstance(port, (str, bytes)):
        return port.isdigit()
    return False


class NetworkMixin:
    """Networking methods of cloop.Loop."""

    __slots__ = ()

    borrow(locals(), base_events.BaseEventLoop, _FROM_BASE)
    borrow(locals(), unix_events._UnixSelectorEventLoop, _FROM_UNIX)
    borrow(locals(), selector_events.BaseSelectorEventLoop, _FROM_SELECTOR)

    # -- address resolution ----------------------------------------------

    async def getaddrinfo(self, host, port, *,
                          family=0, type=0, proto=0, flags=0):
        """socket.getaddrinfo() without blocking the loop.

        A numeric host and port cannot block (no DNS, no services file), so
        they are resolved at once instead of in the default executor.
        """
        if self._debug:
            getaddr_func = self._getaddrinfo_debug
        else:
            getaddr_func = socket.getaddrinfo
        if _is_numeric_host(host) and _is_numeric_port(port):
            return getaddr_func(host, port, family, type, proto, flags)
        return await self.run_in_executor(
            None, getaddr_func, host, port, family, type, proto, flags)

    # -- low-level socket operations (csrc/sock.c) ------------------------

    async def sock_recv(self, sock, n):
        """Receive up to n bytes from the non-blocking socket sock."""
        res = self._sock_recv(sock, n)
        if res.__class__ is not bytes and isfuture(res):
            res = await res
        return res

    async def sock_recv_into(self, sock, buf):
        """Receive data into buf; returns the number of bytes received."""
        res = self._sock_recv_into(sock, buf)
        if res.__class__ is not int and isfuture(res):
            res = await res
        return res

    async def sock_recvfrom(self, sock, bufsize):
        """Receive a datagram: (data, address)."""
        res = self._sock_recvfrom(sock, bufsize)
        if res.__class__ is not tuple and isfuture(res):
            res = await res
        return res

    async def sock_recvfrom_into(self, sock, buf, nbytes=0):
        """Receive a datagram into buf: (nbytes, address)."""
        res = self._sock_recvfrom_into(sock, buf, nbytes)
        if res.__class__ is not tuple and isfuture(res):
            res = await res
        return res

    async def sock_sendall(self, sock, data):
        """Send all of data to the connected socket sock."""
        res = self._sock_sendall(sock, data)
        if res is not None:
            await res

    async def sock_sendto(self, sock, data, address):
        """Send a datagram to address; returns the number of bytes sent."""
        res = self._sock_sendto(sock, data, address)
        if res.__class__ is not int and isfuture(res):
            res = await res
        return res

    async def sock_connect(self, sock, address):
        """Connect the non-blocking socket sock to address."""
        self._sock_check(sock)
        if sock.family == socket.AF_INET or (
                base_events._HAS_IPv6 and sock.family == socket.AF_INET6):
            resolved = await self._ensure_resolved(
                address, family=sock.family, type=sock.type,
                proto=sock.proto, loop=self)
            _, _, _, _, address = resolved[0]
        fut = self._sock_connect(sock, address)
        if fut is not None:
            try:
                await fut
            finally:
                fut = None  # breaks a cycle through the exception

    async def sock_accept(self, sock):
        """Accept a connection: (conn, address), conn non-blocking."""
        res = self._sock_accept(sock)
        if res.__class__ is not tuple and isfuture(res):
            res = await res
        return res

    # -- transports -------------------------------------------------------

    # context= (3.15): the context the transport runs its protocol in;
    # None is a copy of the current one.
    def _make_socket_transport(self, sock, protocol, waiter=None, *,
                               extra=None, server=None, context=None):
        self._ensure_fd_no_transport(sock)
        base_events._set_nodelay(sock)
        return _SocketTransport._create(self, sock, protocol, waiter, extra,
                                        server, context)

    def _make_ssl_transport(
            self, rawsock, protocol, sslcontext, waiter=None,
            *, server_side=False, server_hostname=None,
            extra=None, server=None,
            ssl_handshake_timeout=constants.SSL_HANDSHAKE_TIMEOUT,
            ssl_shutdown_timeout=constants.SSL_SHUTDOWN_TIMEOUT,
            call_connection_made=True, context=None):
        self._ensure_fd_no_transport(rawsock)
        ssl_protocol = sslproto.SSLProtocol(
            self, protocol, sslcontext, waiter, server_side, server_hostname,
            ssl_handshake_timeout=ssl_handshake_timeout,
            ssl_shutdown_timeout=ssl_shutdown_timeout,
            call_connection_made=call_connection_made)
        base_events._set_nodelay(rawsock)
        _SocketTransport._create(self, rawsock, ssl_protocol, None, extra,
                                 server, context)
        return ssl_protocol._app_transport

    def _make_datagram_transport(self, sock, protocol, address=None,
                                 waiter=None, extra=None):
        self._ensure_fd_no_transport(sock)
        return _DatagramTransport._create(self, sock, protocol, address,
                                          waiter, extra)

    async def _sendfile_native(self, transp, file, offset, count):
        """loop.sendfile() on a cloop transport: os.sendfile on its socket
        once everything already written has been sent."""
        if not isinstance(transp, _SocketTransport):
            raise exceptions.SendfileNotAvailableError(
                f"transport {transp!r} does not support sendfile")
        transp._set_fd_owner(False)  # sock_sendfile may watch the fd now
        resume_reading = transp.is_reading()
        transp.pause_reading()
        await transp._make_empty_waiter()
        try:
            return await self.sock_sendfile(transp._sock, file, offset,
                                            count, fallback=False)
        finally:
            transp._reset_empty_waiter()
            if resume_reading:
                transp.resume_reading()
            transp._set_fd_owner(True)

    # -- servers ------------------------------------------------------------

    # context= (3.15): the Server's context; each connection runs in a copy
    # of it. None (asyncio before 3.15) is a copy of the current one.
    def _start_serving(self, protocol_factory, sock,
                       sslcontext=None, server=None, backlog=100,
                       ssl_handshake_timeout=constants.SSL_HANDSHAKE_TIMEOUT,
                       ssl_shutdown_timeout=constants.SSL_SHUTDOWN_TIMEOUT,
                       context=None):
        if sock.fileno() == -1:
            return  # closed while an accept retry was pending
        if not sslcontext and sock.family in _C_ACCEPT_FAMILIES:
            # Plain connections: the accept loop is C (csrc/server.c).
            self._start_serving_c(protocol_factory, sock, server, backlog,
                                  sock.family, sock.type, sock.proto, context)
            return
        if context is None:
            context = contextvars.copy_context()
        self._add_reader(sock.fileno(), self._accept_connection,
                         protocol_factory, sock, sslcontext, server, backlog,
                         ssl_handshake_timeout, ssl_shutdown_timeout, context)

    def _accept_resource_error(self, exc, protocol_factory, sock, server,
                               backlog, sslcontext=None,
                               ssl_handshake_timeout=None,
                               ssl_shutdown_timeout=None, context=None):
        """accept() ran out of descriptors or memory: report it, stop
        watching the socket (Linux keeps reporting it readable) and try
        again after ACCEPT_RETRY_DELAY seconds, as asyncio does."""
        self.call_exception_handler({
            'message': 'socket.accept() out of system resource',
            'exception': exc,
            'socket': trsock.TransportSocket(sock),
        })
        self._remove_reader(sock.fileno())
        if ssl_handshake_timeout is None:
            ssl_handshake_timeout = constants.SSL_HANDSHAKE_TIMEOUT
        if ssl_shutdown_timeout is None:
            ssl_shutdown_timeout = constants.SSL_SHUTDOWN_TIMEOUT
        self.call_later(constants.ACCEPT_RETRY_DELAY, self._start_serving,
                        protocol_factory, sock, sslcontext, server, backlog,
                        ssl_handshake_timeout, ssl_shutdown_timeout, context)

    def _accept_connection(
            self, protocol_factory, sock,
            sslcontext=None, server=None, backlog=100,
            ssl_handshake_timeout=constants.SSL_HANDSHAKE_TIMEOUT,
            ssl_shutdown_timeout=constants.SSL_SHUTDOWN_TIMEOUT,
            context=None):
        # Called once per readable event; several connections may wait.
        for _ in range(backlog):
            try:
                conn, addr = sock.accept()
                if self._debug:
                    logger.debug("%r got a new connection from %r: %r",
                                 server, addr, conn)
                conn.setblocking(False)
            except (BlockingIOError, InterruptedError,
                    ConnectionAbortedError):
                return
            except OSError as exc:
                if exc.errno not in _ACCEPT_RESOURCE_ERRORS:
                    raise  # the loop reports it and goes on
                self._accept_resource_error(
                    exc, protocol_factory, sock, server, backlog, sslcontext,
                    ssl_handshake_timeout, ssl_shutdown_timeout, context)
                return
            extra = {'peername': addr}
            # Each connection runs in its own copy of the server's context.
            conn_context = context.copy() if context is not None else None
            if sslcontext:
                # The TLS handshake needs a waiter: asyncio's coroutine.
                self.create_task(self._accept_connection2(
                    protocol_factory, conn, extra, sslcontext, server,
                    ssl_handshake_timeout, ssl_shutdown_timeout,
                    **_compat.transport_context(conn_context)),
                    context=conn_context)
            elif conn_context is not None:
                conn_context.run(self._accept_plain, protocol_factory, conn,
                                 extra, server, conn_context)
            else:
                self._accept_plain(protocol_factory, conn, extra, server)

    def _accept_plain(self, protocol_factory, conn, extra, server,
                      context=None):
        """A plain connection: its protocol and transport, at once (no
        Task, no waiter; connection_made follows with call_soon)."""
        protocol = transport = None
        try:
            protocol = protocol_factory()
            transport = self._make_socket_transport(
                conn, protocol, extra=extra, server=server, context=context)
        except (SystemExit, KeyboardInterrupt):
            raise
        except BaseException as exc:
            conn.close()
            if self._debug:
                context = {
                    'message':
                        'Error on transport creation for incoming connection',
                    'exception': exc,
                }
                if protocol is not None:
                    context['protocol'] = protocol
                if transport is not None:
                    context['transport'] = transport
                self.call_exception_handler(context)

    def _stop_serving(self, sock):
        path = None
        unix_sockets = self._unix_server_sockets
        if sock in unix_sockets:
            path = sock.getsockname()
        if sock.fileno() != -1:
            self._remove_reader(sock.fileno())
        sock.close()
        if path is not None:
            # create_unix_server(cleanup_socket=True) (3.13): remove the
            # socket file, unless something else replaced it meanwhile.
            inode = unix_sockets.pop(sock)
            try:
                if os.stat(path).st_ino == inode:
                    os.unlink(path)
            except FileNotFoundError:
                pass
            except OSError as err:
                logger.error('Unable to clean up listening UNIX socket '
                             '%r: %r', path, err)
