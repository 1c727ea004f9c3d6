"""HTTP/1.1 keep-alive: a small asyncio.Protocol server answering a fixed response, driven by wrk.

The server finds each request's end (the blank line; wrk sends GETs without
a body) and answers every complete request with one fixed 200 response,
keeping the connection open. The load is `wrk -t1 -c50 -dNs` in another
process (Debian's wrk, installed by scripts/setup-system.sh). The size is
wrk's duration in whole seconds; the ops/s is wrk's count of requests over
its own duration. Any socket error or non-2xx response fails the workload.
No ceiling: this is not an echo.
"""

import asyncio

import _iobench

KIND = "io"
VARIANTS = {"c50": {"conns": 50}}
SIZE = 3
QUICK_SIZE = 1
WARMUP_SIZE = 0
UNIT = "requests"

BODY = b"Hello, World!"
RESPONSE = (
    b"HTTP/1.1 200 OK\r\n"
    b"Content-Type: text/plain\r\n"
    b"Content-Length: " + str(len(BODY)).encode() + b"\r\n"
    b"\r\n" + BODY
)
END = b"\r\n\r\n"


class HttpProtocol(asyncio.Protocol):
    transport = None

    def __init__(self):
        self.pending = b""

    def connection_made(self, transport):
        self.transport = transport

    def data_received(self, data):
        if self.pending:
            data = self.pending + data
        count = data.count(END)
        if count:
            if not data.startswith(b"GET "):
                self.transport.close()
                return
            self.transport.write(RESPONSE * count)
            data = data[data.rindex(END) + len(END):]
        self.pending = data


async def run(loop, n, conns):
    server = await loop.create_server(HttpProtocol, _iobench.HOST, 0)
    try:
        url = f"http://{_iobench.HOST}:{_iobench.tcp_port(server)}/"
        return await _iobench.run_wrk(url, conns, n)
    finally:
        await _iobench.close_server(server)
