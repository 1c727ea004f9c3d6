"""TCP echo with asyncio streams: start_server, StreamReader.read, StreamWriter.write + drain.

The handler reads what is there (`await reader.read(65536)`), writes it back
and awaits `drain()`, as stream code should; each chunk costs a Task wake-up
on top of the transport and protocol of tcp_protocol. Load, variants and op
as in bench_tcp_protocol.py: echo_client.c, 1 KiB / 64 KiB messages, 1 / 50
connections, one op = one message echoed.
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


async def _echo(reader, writer):
    try:
        while True:
            data = await reader.read(65536)
            if not data:
                break
            writer.write(data)
            await writer.drain()
    finally:
        writer.close()


async def run(loop, n, size, conns):
    server = await asyncio.start_server(_echo, _iobench.HOST, 0)
    try:
        address = f"{_iobench.HOST}:{_iobench.tcp_port(server)}"
        return await _iobench.run_echo_client("tcp", address, size, conns, n)
    finally:
        await _iobench.close_server(server)


def ceiling(n, size, conns):
    return _iobench.echo_ceiling("tcp", n, size, conns)
