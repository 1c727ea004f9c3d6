"""TCP echo, asyncio.Protocol server: data_received writes the data straight back.

The server is `loop.create_server(EchoProtocol, "127.0.0.1", 0)` on the loop
under test; the load is benchmarks/echo_client.c in another process: CONNS
connections each doing a strict ping-pong of SIZE-byte messages (send one,
wait for the whole echo, check it, send the next). This is the path where a
loop's transport matters most: one read, one data_received, one write per
chunk, and nothing else in Python.

Variants: 1 KiB and 64 KiB messages, 1 and 50 connections. The size is the
client's timed window in ms (after a short warm-up). One op = one message
echoed (bytes = ops x message size, each way). The ceiling runs the same
client against benchmarks/echo_ceiling.c.
"""

import asyncio

import _iobench

KIND = "io"
VARIANTS = _iobench.ECHO_VARIANTS
QUICK_VARIANTS = _iobench.ECHO_QUICK_VARIANTS
SIZE = _iobench.ECHO_SIZE
QUICK_SIZE = _iobench.ECHO_QUICK_SIZE
WARMUP_SIZE = 0  # the client warms up before its timed window
UNIT = "messages"


class EchoProtocol(asyncio.Protocol):
    transport = None

    def connection_made(self, transport):
        self.transport = transport

    def data_received(self, data):
        self.transport.write(data)


async def run(loop, n, size, conns):
    server = await loop.create_server(EchoProtocol, _iobench.HOST, 0)
    try:
        address = f"{_iobench.HOST}:{_iobench.tcp_port(server)}"
        return await _iobench.run_echo_client("tcp", address, size, conns, n)
    finally:
        await _iobench.close_server(server)


def ceiling(n, size, conns):
    return _iobench.echo_ceiling("tcp", n, size, conns)
