"""UDP echo, asyncio.DatagramProtocol server: datagram_received sends the datagram back.

`loop.create_datagram_endpoint(EchoDatagramProtocol, local_addr=...)` on the
loop under test; echo_client.c opens 50 connected UDP sockets, each with one
1 KiB datagram in flight at a time. A datagram not answered within 200 ms is
sent again and counted lost by the client (loopback rarely loses any). One op
= one datagram echoed. The ceiling is echo_ceiling.c's recvfrom/sendto loop.
"""

import asyncio

import _iobench

KIND = "io"
VARIANTS = {"1k_c50": {"size": 1024, "conns": 50}}
SIZE = _iobench.ECHO_SIZE
QUICK_SIZE = _iobench.ECHO_QUICK_SIZE
WARMUP_SIZE = 0
UNIT = "datagrams"


class EchoDatagramProtocol(asyncio.DatagramProtocol):
    transport = None

    def connection_made(self, transport):
        self.transport = transport

    def datagram_received(self, data, addr):
        self.transport.sendto(data, addr)


async def run(loop, n, size, conns):
    transport, _ = await loop.create_datagram_endpoint(
        EchoDatagramProtocol, local_addr=(_iobench.HOST, 0))
    try:
        address = f"{_iobench.HOST}:{transport.get_extra_info('sockname')[1]}"
        return await _iobench.run_echo_client("udp", address, size, conns, n)
    finally:
        transport.close()


def ceiling(n, size, conns):
    return _iobench.echo_ceiling("udp", n, size, conns)
