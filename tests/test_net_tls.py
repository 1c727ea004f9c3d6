"""TLS over cloop's transports (asyncio.sslproto.SSLProtocol), on both loops.

The certificate is made by the tests with the openssl command line tool
(scripts/setup-system.sh installs it); without it the fixture fails.
"""

import asyncio
import os
import shutil
import ssl
import subprocess

import pytest

from leakcheck import no_leaks  # noqa: F401 (autouse fixture)


@pytest.fixture(scope="module")
def cert(tmp_path_factory):
    openssl = shutil.which("openssl")
    if openssl is None:
        pytest.fail("the openssl binary is missing: run scripts/setup-system.sh")
    d = tmp_path_factory.mktemp("tls")
    certfile, keyfile = d / "cert.pem", d / "key.pem"
    subprocess.run(
        [openssl, "req", "-x509", "-newkey", "ec",
         "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
         "-keyout", str(keyfile), "-out", str(certfile), "-days", "2",
         "-subj", "/CN=localhost",
         "-addext", "subjectAltName=DNS:localhost,IP:127.0.0.1"],
        check=True, capture_output=True, timeout=60)
    return str(certfile), str(keyfile)


@pytest.fixture
def server_ctx(cert):
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(*cert)
    return ctx


@pytest.fixture
def client_ctx(cert):
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    ctx.load_verify_locations(cert[0])
    return ctx


async def no_connections(server):
    """Wait until the server has no connection left (asyncio's Server counts
    them: _clients on 3.13, _active_count before), so that no transport is
    still closing when the test's loop is closed."""
    for _ in range(1000):
        clients = getattr(server, "_clients", None)
        count = len(clients) if clients is not None else server._active_count
        if count == 0:
            return
        await asyncio.sleep(0.01)


async def echo(reader, writer):
    while True:
        data = await reader.read(65536)
        if not data:
            break
        writer.write(data)
        await writer.drain()
    writer.close()
    await writer.wait_closed()


def test_tls_echo_streams(loop, server_ctx, client_ctx, run_until):
    payload = os.urandom(3 * 1024 * 1024)

    async def main():
        server = await asyncio.start_server(echo, "127.0.0.1", 0, ssl=server_ctx)
        port = server.sockets[0].getsockname()[1]
        reader, writer = await asyncio.open_connection(
            "127.0.0.1", port, ssl=client_ctx, server_hostname="localhost")
        assert writer.get_extra_info("peercert")["subject"] == ((("commonName", "localhost"),),)
        assert isinstance(writer.get_extra_info("ssl_object"), ssl.SSLObject)
        assert writer.get_extra_info("sslcontext") is client_ctx
        assert writer.get_extra_info("cipher") is not None
        assert writer.get_extra_info("peername")[1] == port
        writer.write(b"secret")
        assert await reader.readexactly(6) == b"secret"
        writer.write(payload)
        assert await reader.readexactly(len(payload)) == payload
        writer.close()
        await writer.wait_closed()
        server.close()
        await server.wait_closed()

    run_until(loop, main())


def test_tls_untrusted_certificate_fails_handshake(loop, server_ctx, run_until):
    errors = []
    loop.set_exception_handler(lambda lp, ctx: errors.append(ctx))

    async def main():
        server = await asyncio.start_server(echo, "127.0.0.1", 0, ssl=server_ctx)
        port = server.sockets[0].getsockname()[1]
        ctx = ssl.create_default_context()  # does not trust the test CA
        with pytest.raises(ssl.SSLCertVerificationError):
            await asyncio.open_connection("127.0.0.1", port, ssl=ctx,
                                          server_hostname="localhost")
        await no_connections(server)
        server.close()
        await server.wait_closed()

    run_until(loop, main())


def test_start_tls_upgrade(loop, server_ctx, client_ctx, run_until):
    async def handle(reader, writer):
        assert await reader.readline() == b"STARTTLS\n"
        writer.write(b"OK\n")
        await writer.drain()
        await writer.start_tls(server_ctx)
        line = await reader.readline()
        writer.write(line[:-1][::-1] + b"\n")
        await writer.drain()
        writer.close()

    async def main():
        server = await asyncio.start_server(handle, "127.0.0.1", 0)
        port = server.sockets[0].getsockname()[1]
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        writer.write(b"STARTTLS\n")
        assert await reader.readline() == b"OK\n"
        assert writer.get_extra_info("ssl_object") is None
        await writer.start_tls(client_ctx, server_hostname="localhost")
        assert writer.get_extra_info("ssl_object") is not None
        writer.write(b"abc\n")
        answer = await reader.readline()
        writer.close()
        try:
            await writer.wait_closed()
        except (ConnectionError, ssl.SSLError):
            pass
        server.close()
        await server.wait_closed()
        return answer

    assert run_until(loop, main()) == b"cba\n"


def test_loop_start_tls_with_protocols(loop, server_ctx, client_ctx, run_until):
    class Proto(asyncio.Protocol):
        def __init__(self):
            self.data = bytearray()
            self.got = asyncio.Event()
            self.lost = loop.create_future()

        def connection_made(self, transport):
            self.transport = transport

        def data_received(self, data):
            self.data += data
            self.got.set()

        def connection_lost(self, exc):
            if not self.lost.done():
                self.lost.set_result(exc)

    async def main():
        server_protos = []

        def factory():
            p = Proto()
            server_protos.append(p)
            return p

        server = await loop.create_server(factory, "127.0.0.1", 0)
        port = server.sockets[0].getsockname()[1]
        transport, cli = await loop.create_connection(Proto, "127.0.0.1", port)
        while not server_protos:
            await asyncio.sleep(0)
        srv = server_protos[0]
        server_side = asyncio.ensure_future(loop.start_tls(
            srv.transport, srv, server_ctx, server_side=True,
            ssl_handshake_timeout=10))
        tls = await loop.start_tls(transport, cli, client_ctx,
                                   server_hostname="localhost",
                                   ssl_shutdown_timeout=10)
        srv_tls = await server_side
        tls.write(b"over tls")
        await srv.got.wait()
        assert bytes(srv.data) == b"over tls"
        tls.close()
        await cli.lost
        await srv.lost
        srv_tls.close()
        server.close()
        await server.wait_closed()

    run_until(loop, main())


def test_unix_tls(loop, server_ctx, client_ctx, tmp_path, run_until):
    path = str(tmp_path / "tls.sock")

    async def main():
        server = await asyncio.start_unix_server(echo, path, ssl=server_ctx)
        reader, writer = await asyncio.open_unix_connection(
            path, ssl=client_ctx, server_hostname="localhost")
        writer.write(b"unix tls")
        assert await reader.readexactly(8) == b"unix tls"
        writer.close()
        await writer.wait_closed()
        server.close()
        await server.wait_closed()

    run_until(loop, main())


def test_ssl_options_without_ssl_are_refused(loop, run_until):
    async def main():
        with pytest.raises(ValueError, match="ssl_handshake_timeout is only meaningful with ssl"):
            await loop.create_server(asyncio.Protocol, "127.0.0.1", 0,
                                     ssl_handshake_timeout=1)
        with pytest.raises(ValueError, match="ssl_handshake_timeout is only meaningful with ssl"):
            await loop.create_connection(asyncio.Protocol, "127.0.0.1", 1,
                                         ssl_handshake_timeout=1)

    run_until(loop, main())
