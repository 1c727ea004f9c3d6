"""TCP echo with the loop's socket methods: sock_accept, sock_recv, sock_sendall.

One task accepts (`await loop.sock_accept(listener)`) and starts one task per
connection doing `data = await loop.sock_recv(sock, 65536)` then
`await loop.sock_sendall(sock, data)` until end of file: no transport, no
protocol, a reader registration per receive. Load, variants and op as in
bench_tcp_protocol.py (echo_client.c; one op = one message echoed).
"""

import asyncio
import socket

import _iobench

KIND = "io"
VARIANTS = _iobench.ECHO_VARIANTS
QUICK_VARIANTS = _iobench.ECHO_QUICK_VARIANTS
SIZE = _iobench.ECHO_SIZE
QUICK_SIZE = _iobench.ECHO_QUICK_SIZE
WARMUP_SIZE = 0
UNIT = "messages"


async def _echo(loop, sock):
    with sock:
        while True:
            data = await loop.sock_recv(sock, 65536)
            if not data:
                break
            await loop.sock_sendall(sock, data)


async def _accept(loop, listener, handlers):
    while True:
        sock, _ = await loop.sock_accept(listener)
        sock.setblocking(False)
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        handlers.append(loop.create_task(_echo(loop, sock)))


async def run(loop, n, size, conns):
    listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    handlers = []
    acceptor = None
    try:
        listener.bind((_iobench.HOST, 0))
        listener.listen(1024)
        listener.setblocking(False)
        acceptor = loop.create_task(_accept(loop, listener, handlers))
        address = f"{_iobench.HOST}:{listener.getsockname()[1]}"
        return await _iobench.run_echo_client("tcp", address, size, conns, n)
    finally:
        if acceptor is not None:
            acceptor.cancel()
            await asyncio.gather(acceptor, return_exceptions=True)
        # The client has closed its connections: every handler ends on EOF.
        if handlers:
            done, pending = await asyncio.wait(handlers, timeout=10)
            for task in pending:
                task.cancel()
            for task in done:
                task.result()  # a handler that failed fails the workload
            if pending:
                raise RuntimeError(f"{len(pending)} connection handler(s) still running 10 s after EOF")
        listener.close()


def ceiling(n, size, conns):
    return _iobench.echo_ceiling("tcp", n, size, conns)
