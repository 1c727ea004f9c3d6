"""TCP echo, asyncio.BufferedProtocol server: the loop reads into the protocol's buffer.

get_buffer() hands out a view of one 256 KiB bytearray owned by the
protocol; buffer_updated(n) writes a copy of the n bytes back (a copy, since
the transport may keep what it could not send while the buffer is reused).
Load, variants and op as in bench_tcp_protocol.py (echo_client.c; one op =
one message echoed).
"""

import asyncio

import _iobench

KIND = "io"
VARIANTS = _iobench.ECHO_VARIANTS
QUICK_VARIANTS = _iobench.ECHO_QUICK_VARIANTS
SIZE = _iobench.ECHO_SIZE
QUICK_SIZE = _iobench.ECHO_QUICK_SIZE
WARMUP_SIZE = 0
UNIT = "messages"


class EchoBufferedProtocol(asyncio.BufferedProtocol):
    transport = None

    def __init__(self):
        self.buffer = bytearray(256 * 1024)
        self.view = memoryview(self.buffer)

    def connection_made(self, transport):
        self.transport = transport

    def get_buffer(self, sizehint):
        return self.view

    def buffer_updated(self, nbytes):
        self.transport.write(self.buffer[:nbytes])

    def connection_lost(self, exc):
        self.view.release()


async def run(loop, n, size, conns):
    server = await loop.create_server(EchoBufferedProtocol, _iobench.HOST, 0)
    try:
        address = f"{_iobench.HOST}:{_iobench.tcp_port(server)}"
        return await _iobench.run_echo_client("tcp", address, size, conns, n)
    finally:
        await _iobench.close_server(server)


def ceiling(n, size, conns):
    return _iobench.echo_ceiling("tcp", n, size, conns)
