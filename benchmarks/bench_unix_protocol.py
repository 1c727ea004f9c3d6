"""Unix-socket echo, asyncio.Protocol server (create_unix_server), 1 KiB messages, 50 clients.

The protocol of bench_tcp_protocol.py on a Unix stream socket in a private
temporary directory: the same loop work without TCP's cost in the kernel,
so the loop's share of each message is larger. Load: echo_client.c, 50
connections in ping-pong; one op = one message echoed. The ceiling runs the
same client against benchmarks/echo_ceiling.c on a Unix socket.
"""

import os

import _iobench
from bench_tcp_protocol import EchoProtocol

KIND = "io"
VARIANTS = {"1k_c50": {"size": 1024, "conns": 50}}
SIZE = _iobench.ECHO_SIZE
QUICK_SIZE = _iobench.ECHO_QUICK_SIZE
WARMUP_SIZE = 0
UNIT = "messages"


async def run(loop, n, size, conns):
    with _iobench.socket_dir() as tmp:
        path = os.path.join(tmp, "echo.sock")
        server = await loop.create_unix_server(EchoProtocol, path)
        try:
            return await _iobench.run_echo_client("unix", path, size, conns, n)
        finally:
            await _iobench.close_server(server)


def ceiling(n, size, conns):
    return _iobench.echo_ceiling("unix", n, size, conns)
