"""pyperformance's asyncio_tcp and asyncio_tcp_ssl, run on the worker's loop.

pyperformance's own code (bm_asyncio_tcp/run_benchmark.py, loaded by
_pyperformance.py): asyncio.start_server on 127.0.0.1:8882 and
open_connection in the same loop; the server writes 100 chunks of 10 MiB
(1,000 MiB) with drain(), the client reads until EOF; the ssl variant does it
over TLS with pyperformance's test certificate. Server and client share the
loop, so it measures the loop's streams, transports and (ssl) asyncio's
SSL protocol in one process: a CPU workload in this table. One op = one MiB
received by the client (a transfer is 1,000).
"""

from _pyperformance import load

SIZE = 2
QUICK_SIZE = 1
UNIT = "MiB"

VARIANTS = {"plain": {"use_ssl": False}, "ssl": {"use_ssl": True}}
QUICK_VARIANTS = ("plain",)


async def run(loop, n, use_ssl):
    module = load("asyncio_tcp")
    for _ in range(n):
        await module.main(use_ssl)  # asserts that every byte arrived
    return n * 100 * module.CHUNK_SIZE // 2**20
