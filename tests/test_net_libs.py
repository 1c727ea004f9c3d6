"""Third-party libraries over the networking of both loops: aiohttp (client
and server) and redis-py's asyncio client against a local redis-server.

The redis-server is started by the fixture itself, on a Unix socket and a
TCP port of its own, so the test does not depend on a system service; it
fails (never skips) when redis-server is missing: scripts/setup-system.sh
installs it.
"""

import asyncio
import io
import os
import shutil
import subprocess
import time

import pytest

from leakcheck import no_leaks  # noqa: F401 (autouse fixture)
from support import free_tcp_port

# Both are in requirements-dev.txt: a missing one fails the module, it is
# never skipped.
import aiohttp
import redis.asyncio as aioredis
from aiohttp import web


@pytest.fixture(scope="module")
def redis_server(tmp_path_factory):
    """A private redis-server: (unix socket path, TCP port)."""
    exe = shutil.which("redis-server")
    if exe is None:
        pytest.fail("redis-server is missing: run scripts/setup-system.sh "
                    "(apt-get install redis-server)")
    d = tmp_path_factory.mktemp("redis")
    path = str(d / "redis.sock")
    port = free_tcp_port()
    # Under scripts/asan.sh the sanitizer runtime is preloaded for Python;
    # redis-server is not ours and its allocator trips over it.
    env = {k: v for k, v in os.environ.items() if k != "LD_PRELOAD"}
    proc = subprocess.Popen(
        [exe, "--port", str(port), "--bind", "127.0.0.1",
         "--unixsocket", path, "--save", "", "--appendonly", "no",
         "--dir", str(d)],
        env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        deadline = time.monotonic() + 30
        while not os.path.exists(path):
            if proc.poll() is not None:
                pytest.fail("redis-server exited: "
                            + proc.stderr.read().decode(errors="replace"))
            if time.monotonic() > deadline:
                pytest.fail("redis-server did not start")
            time.sleep(0.02)
        yield path, port
    finally:
        proc.terminate()
        proc.wait(timeout=30)
        proc.stderr.close()


def test_aiohttp_server_and_client(loop, run_until):
    async def hello(request):
        name = request.match_info.get("name", "anonymous")
        return web.Response(text=f"hello {name}")

    async def echo(request):
        body = await request.read()
        return web.Response(body=body[::-1])

    async def ws_handler(request):
        ws = web.WebSocketResponse()
        await ws.prepare(request)
        async for msg in ws:
            await ws.send_str(msg.data.upper())
        return ws

    async def main():
        app = web.Application(client_max_size=16 * 1024 * 1024)
        app.router.add_get("/hello/{name}", hello)
        app.router.add_post("/echo", echo)
        app.router.add_get("/ws", ws_handler)
        runner = web.AppRunner(app)
        await runner.setup()
        site = web.TCPSite(runner, "127.0.0.1", 0)
        await site.start()
        port = site._server.sockets[0].getsockname()[1]
        base = f"http://127.0.0.1:{port}"
        try:
            async with aiohttp.ClientSession() as session:
                async with session.get(f"{base}/hello/cloop") as resp:
                    assert resp.status == 200
                    assert await resp.text() == "hello cloop"
                payload = os.urandom(2 * 1024 * 1024)
                async with session.post(f"{base}/echo", data=io.BytesIO(payload)) as resp:
                    assert await resp.read() == payload[::-1]
                texts = await asyncio.gather(*[
                    (await session.get(f"{base}/hello/{i}")).text() for i in range(20)])
                assert texts == [f"hello {i}" for i in range(20)]
                async with session.ws_connect(f"{base}/ws") as ws:
                    await ws.send_str("websocket")
                    msg = await ws.receive()
                    assert msg.data == "WEBSOCKET"
        finally:
            await runner.cleanup()

    run_until(loop, main(), timeout=60)


def test_redis_client_unix_and_tcp(loop, redis_server, run_until):
    path, port = redis_server

    async def main():
        for client in (aioredis.Redis(unix_socket_path=path),
                       aioredis.Redis(host="127.0.0.1", port=port)):
            try:
                assert await client.ping()
                await client.set("key", b"value")
                assert await client.get("key") == b"value"
                big = os.urandom(1024 * 1024)
                await client.set("big", big)
                assert await client.get("big") == big
                async with client.pipeline(transaction=True) as pipe:
                    pipe.incr("counter").incr("counter").get("counter")
                    *_, value = await pipe.execute()
                assert int(value) >= 2
                await asyncio.gather(*[client.set(f"k{i}", i) for i in range(50)])
                values = await client.mget([f"k{i}" for i in range(50)])
                assert [int(v) for v in values] == list(range(50))
                await client.delete("key", "big", "counter", *[f"k{i}" for i in range(50)])
            finally:
                await client.aclose()

    run_until(loop, main(), timeout=60)


def test_redis_pubsub(loop, redis_server, run_until):
    path, _ = redis_server

    async def main():
        client = aioredis.Redis(unix_socket_path=path)
        pubsub = client.pubsub()
        try:
            await pubsub.subscribe("news")
            msg = await pubsub.get_message(timeout=5)
            assert msg["type"] == "subscribe"
            await client.publish("news", "hello")
            while True:
                msg = await pubsub.get_message(ignore_subscribe_messages=True, timeout=5)
                if msg is not None:
                    break
            assert msg["data"] == b"hello"
        finally:
            await pubsub.aclose()
            await client.aclose()

    run_until(loop, main(), timeout=60)
