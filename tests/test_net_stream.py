"""Stream transports (TCP and Unix) and their protocols, on both loops."""

import asyncio
import errno
import gc
import itertools
import os
import socket
import sys
import warnings

import pytest

from leakcheck import no_leaks  # noqa: F401 (autouse fixture)
from support import PY312

# The stream transport's write() type error (3.14 names the types).
WRITE_TYPE_ERROR = (
    r"data argument must be a bytes, bytearray, or memoryview object, "
    r"not 'str'" if sys.version_info >= (3, 14)
    else r"data argument must be a bytes-like object, not 'str'")


class Recorder(asyncio.Protocol):
    """Records every callback; `done` resolves at connection_lost."""

    def __init__(self, loop, eof_keep_open=False):
        self.loop = loop
        self.events = []
        self.data = bytearray()
        self.transport = None
        self.done = loop.create_future()
        self.got_data = asyncio.Event()
        self.eof_keep_open = eof_keep_open

    def connection_made(self, transport):
        self.events.append("made")
        self.transport = transport

    def data_received(self, data):
        assert type(data) is bytes
        self.data += data
        self.got_data.set()

    def eof_received(self):
        self.events.append("eof")
        return self.eof_keep_open

    def pause_writing(self):
        self.events.append("pause")

    def resume_writing(self):
        self.events.append("resume")

    def connection_lost(self, exc):
        self.events.append(("lost", exc))
        if not self.done.done():
            self.done.set_result(exc)

    async def wait_for_bytes(self, n):
        while len(self.data) < n:
            self.got_data.clear()
            await self.got_data.wait()
        return bytes(self.data)


class Echo(asyncio.Protocol):
    def connection_made(self, transport):
        self.transport = transport

    def data_received(self, data):
        self.transport.write(data)

    def eof_received(self):
        self.transport.close()


async def tcp_pair(loop, server_protocol=None, client_protocol=None):
    """A connected (server protocol, client protocol, server) over TCP."""
    server_protocols = []

    def factory():
        proto = server_protocol() if server_protocol else Recorder(loop)
        server_protocols.append(proto)
        return proto

    server = await loop.create_server(factory, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    _, client = await loop.create_connection(
        client_protocol or (lambda: Recorder(loop)), "127.0.0.1", port)
    while not server_protocols or getattr(server_protocols[0], "transport", None) is None:
        await asyncio.sleep(0)
    return server_protocols[0], client, server


async def close_all(server, *protocols):
    for proto in protocols:
        if proto.transport is not None:
            proto.transport.close()
    server.close()
    await server.wait_closed()
    for proto in protocols:
        if isinstance(proto, Recorder):
            await proto.done


def test_transport_classes(loop, run_until):
    async def main():
        srv, cli, server = await tcp_pair(loop)
        t = cli.transport
        assert isinstance(t, asyncio.Transport)
        assert isinstance(t, asyncio.ReadTransport)
        assert isinstance(t, asyncio.WriteTransport)
        assert not isinstance(t, asyncio.DatagramTransport)
        assert t.get_protocol() is cli
        assert t.can_write_eof() is True
        assert t.is_reading() and not t.is_closing()
        assert "fd=" in repr(t)
        await close_all(server, srv, cli)

    run_until(loop, main())


def test_echo_and_connection_lost_once(loop, run_until):
    async def main():
        _, cli, server = await tcp_pair(loop, Echo)
        cli.transport.write(b"hello ")
        cli.transport.write(bytearray(b"world "))
        cli.transport.write(memoryview(b"!!"))
        assert await cli.wait_for_bytes(14) == b"hello world !!"
        cli.transport.close()
        cli.transport.close()
        assert cli.transport.is_closing()
        assert await cli.done is None
        await asyncio.sleep(0)
        server.close()
        await server.wait_closed()
        assert cli.events == ["made", ("lost", None)]

    run_until(loop, main())


def test_extra_info(loop, run_until):
    async def main():
        srv, cli, server = await tcp_pair(loop)
        t = cli.transport
        sock = t.get_extra_info("socket")
        assert type(sock).__name__ == "TransportSocket"
        assert sock.family == socket.AF_INET
        assert t.get_extra_info("sockname") == sock.getsockname()
        assert t.get_extra_info("peername") == server.sockets[0].getsockname()
        assert srv.transport.get_extra_info("peername") == t.get_extra_info("sockname")
        assert t.get_extra_info("peercert") is None
        assert t.get_extra_info("nope", 42) == 42
        assert t.get_extra_info(name="nope", default=1) == 1
        with pytest.raises(TypeError):
            t.get_extra_info()
        await close_all(server, srv, cli)

    run_until(loop, main())


def test_large_writes_are_buffered_and_delivered(loop, run_until):
    payload = os.urandom(24 * 1024 * 1024)  # more than the kernel buffers hold

    async def main():
        srv, cli, server = await tcp_pair(loop)
        srv.transport.pause_reading()
        cli.transport.write(payload)
        assert cli.transport.get_write_buffer_size() > 0
        assert "pause" in cli.events
        srv.transport.resume_reading()
        assert await srv.wait_for_bytes(len(payload)) == payload
        while cli.transport.get_write_buffer_size():
            await asyncio.sleep(0)
        assert cli.events.count("resume") == cli.events.count("pause") == 1
        await close_all(server, srv, cli)

    run_until(loop, main())


def test_big_then_small_chunks_then_eof(loop, run_until):
    # Big reads switch cloop's transport to reading straight into bytes
    # objects; small chunks and the EOF after them must still come through.
    big = os.urandom(300 * 1024)

    async def main():
        srv, cli, server = await tcp_pair(loop)
        cli.transport.write(big)
        assert await srv.wait_for_bytes(len(big)) == big
        for i in range(20):
            cli.transport.write(b"%d;" % i)
            await srv.wait_for_bytes(len(big) + 1)
        expected = big + b"".join(b"%d;" % i for i in range(20))
        assert await srv.wait_for_bytes(len(expected)) == expected
        cli.transport.write_eof()
        await srv.done
        assert srv.events == ["made", "eof", ("lost", None)]
        await close_all(server, srv, cli)

    run_until(loop, main())


def test_writelines(loop, run_until):
    async def main():
        srv, cli, server = await tcp_pair(loop)
        cli.transport.writelines([b"a", bytearray(b"bc"), memoryview(b"def"), b""])
        cli.transport.writelines([])
        cli.transport.writelines(iter([b"g", b"h"]))
        assert await srv.wait_for_bytes(8) == b"abcdefgh"
        big = [os.urandom(100_000) for _ in range(40)]
        cli.transport.writelines(big)
        assert await srv.wait_for_bytes(8 + 4_000_000) == b"abcdefgh" + b"".join(big)
        await close_all(server, srv, cli)

    run_until(loop, main())


def test_writelines_refuses_what_is_not_bytes(impl, loop, run_until):
    if impl == "asyncio" and sys.version_info >= (3, 15):
        pytest.skip("asyncio 3.15 bug: writelines() buffers the items before "
                    "the bad one without watching the socket, so they are "
                    "never sent and close() waits for them forever")

    async def main():
        srv, cli, server = await tcp_pair(loop)
        with pytest.raises(TypeError):
            cli.transport.writelines([b"x", "not bytes"])
        cli.transport.write(b"y")
        assert await srv.wait_for_bytes(1) == b"y"
        await close_all(server, srv, cli)

    run_until(loop, main())


def test_write_type_and_state_errors(loop, run_until):
    async def main():
        srv, cli, server = await tcp_pair(loop)
        t = cli.transport
        with pytest.raises(TypeError, match=WRITE_TYPE_ERROR):
            t.write("text")
        t.write(b"")
        t.write_eof()
        t.write_eof()
        with pytest.raises(RuntimeError, match=r"Cannot call write\(\) after write_eof\(\)"):
            t.write(b"x")
        msg = r"Cannot call writelines\(\) after write_eof\(\)" if PY312 else \
            r"Cannot call write\(\) after write_eof\(\)"
        with pytest.raises(RuntimeError, match=msg):
            t.writelines([b"x"])
        await close_all(server, srv, cli)

    run_until(loop, main())


def test_half_close_write_eof(loop, run_until):
    async def main():
        srv, cli, server = await tcp_pair(loop, lambda: Recorder(loop, eof_keep_open=True))
        cli.transport.write(b"request")
        cli.transport.write_eof()
        await srv.wait_for_bytes(7)
        while "eof" not in srv.events:
            await asyncio.sleep(0)
        # The server side may still answer after the client's EOF.
        srv.transport.write(b"answer")
        assert await cli.wait_for_bytes(6) == b"answer"
        srv.transport.close()
        await srv.done
        await cli.done
        assert "eof" in cli.events
        server.close()
        await server.wait_closed()

    run_until(loop, main())


def test_eof_closes_unless_kept_open(loop, run_until):
    async def main():
        srv, cli, server = await tcp_pair(loop)
        cli.transport.write_eof()
        assert await srv.done is None
        assert srv.events == ["made", "eof", ("lost", None)]
        cli.transport.close()
        await cli.done
        server.close()
        await server.wait_closed()

    run_until(loop, main())


def test_pause_and_resume_reading(loop, run_until):
    async def main():
        srv, cli, server = await tcp_pair(loop)
        t = srv.transport
        t.pause_reading()
        t.pause_reading()
        assert not t.is_reading()
        cli.transport.write(b"data")
        for _ in range(5):
            await asyncio.sleep(0)
        assert srv.data == b""
        t.resume_reading()
        t.resume_reading()
        assert t.is_reading()
        assert await srv.wait_for_bytes(4) == b"data"
        t.close()
        assert not t.is_reading()
        await close_all(server, srv, cli)

    run_until(loop, main())


def test_write_buffer_limits(loop, run_until):
    async def main():
        srv, cli, server = await tcp_pair(loop)
        t = cli.transport
        assert t.get_write_buffer_limits() == (16384, 65536)
        t.set_write_buffer_limits(high=100)
        assert t.get_write_buffer_limits() == (25, 100)
        t.set_write_buffer_limits(low=10)
        assert t.get_write_buffer_limits() == (10, 40)
        t.set_write_buffer_limits(1000, 0)
        assert t.get_write_buffer_limits() == (0, 1000)
        with pytest.raises(ValueError, match=r"high \(1\) must be >= low \(2\) must be >= 0"):
            t.set_write_buffer_limits(high=1, low=2)
        t.set_write_buffer_limits()
        assert t.get_write_buffer_limits() == (16384, 65536)
        assert t.get_write_buffer_size() == 0
        await close_all(server, srv, cli)

    run_until(loop, main())


@pytest.mark.parametrize("kwargs, limits", [
    (dict(low=2**62), (2**62, 2**64)),  # past any size: never pauses
    (dict(high=10**30), (10**30 // 4, 10**30)),
    (dict(high=1.5), (0.0, 1.5)),
    (dict(high=10, low=2.5), (2.5, 10)),
], ids=["low-2**62", "high-10**30", "high-float", "low-float"])
def test_write_buffer_limits_take_any_number(loop, run_until, kwargs, limits):
    # asyncio computes the limits in Python's arithmetic and keeps them.
    async def main():
        srv, cli, server = await tcp_pair(loop)
        t = cli.transport
        t.set_write_buffer_limits(**kwargs)
        assert t.get_write_buffer_limits() == limits
        assert (t._low_water, t._high_water) == limits
        await close_all(server, srv, cli)

    run_until(loop, main())


@pytest.mark.parametrize("kwargs, error", [
    (dict(high=float("nan")), r"high \(nan\) must be >= low \(nan\)"),
    (dict(high=float("inf")), r"high \(inf\) must be >= low \(nan\)"),
    (dict(high=-1), r"high \(-1\) must be >= low \(-1\)"),
], ids=["nan", "inf", "negative"])
def test_write_buffer_limits_refuse_what_asyncio_refuses(loop, run_until, kwargs, error):
    async def main():
        srv, cli, server = await tcp_pair(loop)
        t = cli.transport
        with pytest.raises(ValueError, match=error):
            t.set_write_buffer_limits(**kwargs)
        with pytest.raises(TypeError):
            t.set_write_buffer_limits(high="x")
        assert t.get_write_buffer_limits() == (16384, 65536)
        await close_all(server, srv, cli)

    run_until(loop, main())


def test_float_write_buffer_limits_pause_and_resume(loop, run_until):
    async def main():
        srv, cli, server = await tcp_pair(loop)
        srv.transport.pause_reading()
        t = cli.transport
        t.set_write_buffer_limits(high=1.5, low=0.5)
        while t.get_write_buffer_size() < 2:
            t.write(b"x" * 1024 * 1024)
        assert "pause" in cli.events  # size 2 or more is above 1.5
        srv.transport.resume_reading()
        while t.get_write_buffer_size():
            await asyncio.sleep(0)
        assert cli.events[-1] == "resume"
        await close_all(server, srv, cli)

    run_until(loop, main())


def test_set_write_buffer_limits_pauses_protocol(loop, run_until):
    async def main():
        srv, cli, server = await tcp_pair(loop)
        srv.transport.pause_reading()
        t = cli.transport
        chunk = b"x" * 1024 * 1024
        while t.get_write_buffer_size() == 0:
            t.write(chunk)
        t.set_write_buffer_limits(high=10 ** 12)
        events = list(cli.events)
        t.set_write_buffer_limits(high=1)
        assert cli.events.count("pause") == events.count("pause") + (0 if "pause" in events else 1)
        srv.transport.resume_reading()
        while t.get_write_buffer_size():
            await asyncio.sleep(0)
        assert cli.events[-1] == "resume"
        await close_all(server, srv, cli)

    run_until(loop, main())


def test_abort_discards_buffer_and_reports_once(loop, run_until):
    async def main():
        srv, cli, server = await tcp_pair(loop)
        srv.transport.pause_reading()
        t = cli.transport
        while t.get_write_buffer_size() == 0:
            t.write(b"y" * 1024 * 1024)
        t.abort()
        t.abort()
        t.close()
        assert t.get_write_buffer_size() == 0
        assert await cli.done is None
        assert [e for e in cli.events if isinstance(e, tuple)] == [("lost", None)]
        srv.transport.resume_reading()
        await close_all(server, srv)

    run_until(loop, main())


def test_close_flushes_buffer_first(loop, run_until):
    payload = os.urandom(4 * 1024 * 1024)

    async def main():
        srv, cli, server = await tcp_pair(loop)
        cli.transport.write(payload)
        cli.transport.close()
        assert cli.transport.is_closing()
        await cli.done
        assert await srv.wait_for_bytes(len(payload)) == payload
        await srv.done
        server.close()
        await server.wait_closed()

    run_until(loop, main())


def test_write_after_close_is_ignored_and_warns_eventually(loop, run_until, caplog):
    async def main():
        srv, cli, server = await tcp_pair(loop)
        t = cli.transport
        t.close()
        await cli.done
        for _ in range(8):
            t.write(b"late")
        await close_all(server, srv)

    with caplog.at_level("WARNING", logger="asyncio"):
        run_until(loop, main())
    assert any("socket.send() raised exception." in r.getMessage() for r in caplog.records)


def test_peer_reset_mid_write_is_reported_as_connection_lost(loop, run_until):
    async def main():
        srv, cli, server = await tcp_pair(loop)
        srv.transport.pause_reading()
        # RST on close: SO_LINGER with a zero timeout.
        sock = srv.transport.get_extra_info("socket")
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, b"\x01\x00\x00\x00\x00\x00\x00\x00")
        t = cli.transport
        while t.get_write_buffer_size() == 0:
            t.write(b"z" * 1024 * 1024)
        srv.transport.abort()
        exc = await cli.done
        assert isinstance(exc, (ConnectionResetError, BrokenPipeError))
        assert t.is_closing()
        t.write(b"after")  # ignored, never raises
        server.close()
        await server.wait_closed()

    run_until(loop, main())


def test_protocol_error_goes_to_exception_handler(loop, run_until):
    contexts = []
    loop.set_exception_handler(lambda lp, ctx: contexts.append(ctx))

    class Broken(Recorder):
        def data_received(self, data):
            raise ZeroDivisionError("boom")

    async def main():
        srv, cli, server = await tcp_pair(loop, lambda: Broken(loop))
        cli.transport.write(b"x")
        exc = await srv.done
        assert isinstance(exc, ZeroDivisionError)
        await cli.done
        server.close()
        await server.wait_closed()
        return srv

    srv = run_until(loop, main())
    [ctx] = contexts
    assert ctx["message"] == "Fatal error: protocol.data_received() call failed."
    assert isinstance(ctx["exception"], ZeroDivisionError)
    assert ctx["protocol"] is srv
    assert ctx["transport"] is srv.transport


def test_buffered_protocol(loop, run_until):
    class Buffered(asyncio.BufferedProtocol):
        def __init__(self):
            self.buf = bytearray(7)
            self.received = bytearray()
            self.sizes = []
            self.lost = loop.create_future()

        def connection_made(self, transport):
            self.transport = transport

        def get_buffer(self, sizehint):
            self.sizes.append(sizehint)
            return self.buf

        def buffer_updated(self, nbytes):
            self.received += self.buf[:nbytes]

        def eof_received(self):
            return False

        def connection_lost(self, exc):
            self.lost.set_result(exc)

    payload = os.urandom(100_000)

    async def main():
        srv, cli, server = await tcp_pair(loop, Buffered)
        cli.transport.write(payload)
        cli.transport.write_eof()
        await srv.lost
        assert bytes(srv.received) == payload
        assert set(srv.sizes) == {-1}
        cli.transport.close()
        await cli.done
        server.close()
        await server.wait_closed()

    run_until(loop, main())


def test_buffered_protocol_empty_buffer_is_fatal(loop, run_until):
    contexts = []
    loop.set_exception_handler(lambda lp, ctx: contexts.append(ctx))

    class Empty(asyncio.BufferedProtocol):
        def connection_made(self, transport):
            self.transport = transport
            self.lost = loop.create_future()

        def get_buffer(self, sizehint):
            return bytearray()

        def buffer_updated(self, nbytes):
            pass

        def connection_lost(self, exc):
            self.lost.set_result(exc)

    async def main():
        srv, cli, server = await tcp_pair(loop, Empty)
        cli.transport.write(b"x")
        exc = await srv.lost
        cli.transport.close()
        await cli.done
        server.close()
        await server.wait_closed()
        return exc

    exc = run_until(loop, main())
    assert isinstance(exc, RuntimeError)
    assert contexts[0]["message"] == "Fatal error: protocol.get_buffer() call failed."


@pytest.mark.parametrize("value", [b"abc", (1, 2, 3)], ids=["bytes", "tuple"])
def test_buffered_protocol_read_only_buffer_is_fatal(loop, run_until, value):
    # asyncio's sock.recv_into(buf) refuses it: a fatal read error.
    contexts = []
    loop.set_exception_handler(lambda lp, ctx: contexts.append(ctx))

    class ReadOnly(asyncio.BufferedProtocol):
        def connection_made(self, transport):
            self.transport = transport
            self.lost = loop.create_future()

        def get_buffer(self, sizehint):
            return value

        def buffer_updated(self, nbytes):
            pass

        def connection_lost(self, exc):
            self.lost.set_result(exc)

    async def main():
        srv, cli, server = await tcp_pair(loop, ReadOnly)
        cli.transport.write(b"x")
        exc = await srv.lost
        await close_all(server, cli)
        return exc

    exc = run_until(loop, main())
    assert isinstance(exc, TypeError)
    assert str(exc) == ("recv_into() argument 1 must be read-write bytes-like "
                        f"object, not {type(value).__name__}")
    assert contexts[0]["message"] == "Fatal read error on socket transport"


def strided():
    """A memoryview with no contiguous buffer (b"ace")."""
    return memoryview(bytearray(b"abcdef"))[::2]


async def fails_with_buffer_error(cli, contexts):
    exc = await cli.done
    assert isinstance(exc, BufferError)
    assert contexts[-1]["message"] == "Fatal write error on socket transport"
    assert cli.transport.is_closing()


def test_write_of_a_strided_memoryview_fails_the_transport(loop, run_until):
    # asyncio hands it to sock.send(), which raises: the transport fails
    # through its fatal-error path, not the caller.
    contexts = []
    loop.set_exception_handler(lambda lp, ctx: contexts.append(ctx))

    async def main():
        srv, cli, server = await tcp_pair(loop)
        assert cli.transport.write(strided()) is None
        await fails_with_buffer_error(cli, contexts)
        await close_all(server, srv)

    run_until(loop, main())


def test_strided_memoryview_written_behind_pending_data(loop, run_until):
    # 3.11 extends its bytearray buffer with it, which refuses it; 3.12+
    # keeps the memoryview, whose send fails the transport.
    contexts = []
    loop.set_exception_handler(lambda lp, ctx: contexts.append(ctx))

    async def main():
        srv, cli, server = await tcp_pair(loop)
        srv.transport.pause_reading()
        sent = 0
        while cli.transport.get_write_buffer_size() == 0:
            cli.transport.write(b"x" * 65536)
            sent += 65536
        if PY312:
            cli.transport.write(strided())
        else:
            with pytest.raises(TypeError,
                               match="can't set bytearray slice from memoryview"):
                cli.transport.write(strided())
            cli.transport.write(b"ace")
        srv.transport.resume_reading()
        if PY312:
            await fails_with_buffer_error(cli, contexts)
        else:
            assert (await srv.wait_for_bytes(sent + 3))[sent:] == b"ace"
        await close_all(server, srv, cli)

    run_until(loop, main())


def test_writelines_of_a_strided_memoryview(loop, run_until):
    contexts = []
    loop.set_exception_handler(lambda lp, ctx: contexts.append(ctx))

    async def main():
        srv, cli, server = await tcp_pair(loop)
        if PY312:  # a memoryview of each item, sent with sendmsg(): fails
            assert cli.transport.writelines([b"x", strided()]) is None
            await fails_with_buffer_error(cli, contexts)
        else:  # write(b"".join(...)): the join refuses it
            with pytest.raises(TypeError, match="sequence item 1: expected a "
                               "bytes-like object, memoryview found"):
                cli.transport.writelines([b"x", strided()])
            assert not cli.transport.is_closing()
        await close_all(server, srv, cli)

    run_until(loop, main())


def test_writelines_bad_arguments(loop, run_until):
    async def main():
        srv, cli, server = await tcp_pair(loop)
        t = cli.transport
        if PY312:
            assert t.writelines(None) is None  # "if not list_of_data"
            assert t.writelines([]) is None
            with pytest.raises(TypeError, match="'int' object is not iterable"):
                t.writelines(5)
            with pytest.raises(TypeError, match="memoryview: a bytes-like "
                               "object is required, not 'str'"):
                t.writelines(["s"])
        else:
            with pytest.raises(TypeError, match="can only join an iterable"):
                t.writelines(None)
            with pytest.raises(TypeError, match="sequence item 0: expected a "
                               "bytes-like object, str found"):
                t.writelines(["s"])
        assert not t.is_closing()
        t.writelines(iter([b"o", b"k"]))
        assert await srv.wait_for_bytes(2) == b"ok"
        await close_all(server, srv, cli)

    run_until(loop, main())


def test_set_protocol_switches_callbacks(loop, run_until):
    async def main():
        srv, cli, server = await tcp_pair(loop)
        other = Recorder(loop)
        other.transport = srv.transport
        srv.transport.set_protocol(other)
        assert srv.transport.get_protocol() is other
        cli.transport.write(b"to other")
        assert await other.wait_for_bytes(8) == b"to other"
        assert srv.data == b""
        srv.transport.close()
        await other.done
        cli.transport.close()
        await cli.done
        server.close()
        await server.wait_closed()

    run_until(loop, main())


def test_add_reader_on_transport_fd_is_refused(loop, run_until):
    async def main():
        srv, cli, server = await tcp_pair(loop)
        fd = cli.transport.get_extra_info("socket").fileno()
        for method in (loop.add_reader, loop.add_writer):
            with pytest.raises(RuntimeError, match="is used by transport"):
                method(fd, lambda: None)
        for method in (loop.remove_reader, loop.remove_writer):
            with pytest.raises(RuntimeError, match="is used by transport"):
                method(fd)
        with pytest.raises(RuntimeError, match="is used by transport"):
            await loop.sock_recv(cli.transport.get_extra_info("socket")._sock, 1)
        cli.transport.close()
        # A closing transport no longer owns its fd.
        assert loop.remove_reader(fd) is False
        await close_all(server, srv, cli)

    run_until(loop, main())


def test_contextvars_in_protocol_callbacks(loop, run_until):
    import contextvars
    var = contextvars.ContextVar("var", default="unset")
    seen = []

    class Ctx(Recorder):
        def connection_made(self, transport):
            seen.append(("made", var.get()))
            super().connection_made(transport)

        def data_received(self, data):
            seen.append(("data", var.get()))
            super().data_received(data)

    async def main():
        var.set("client")
        server = await loop.create_server(lambda: Recorder(loop), "127.0.0.1", 0)
        port = server.sockets[0].getsockname()[1]
        _, cli = await loop.create_connection(lambda: Ctx(loop), "127.0.0.1", port)
        cli.transport.close()
        await cli.done
        server.close()
        await server.wait_closed()

    run_until(loop, main())
    assert seen == [("made", "client")]


def test_streams_api(loop, run_until):
    async def handle(reader, writer):
        line = await reader.readline()
        writer.write(line.upper())
        await writer.drain()
        writer.close()
        await writer.wait_closed()

    async def main():
        server = await asyncio.start_server(handle, "127.0.0.1", 0)
        async with server:
            port = server.sockets[0].getsockname()[1]
            reader, writer = await asyncio.open_connection("127.0.0.1", port)
            writer.write(b"hello streams\n")
            await writer.drain()
            answer = await reader.read()
            writer.close()
            await writer.wait_closed()
        return answer

    assert run_until(loop, main()) == b"HELLO STREAMS\n"


def test_streams_drain_with_large_payload(loop, run_until):
    payload = os.urandom(6 * 1024 * 1024)

    async def handle(reader, writer):
        data = await reader.readexactly(len(payload))
        writer.write(data[::-1])
        await writer.drain()
        writer.close()

    async def main():
        server = await asyncio.start_server(handle, "127.0.0.1", 0)
        port = server.sockets[0].getsockname()[1]
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        writer.write(payload)
        await writer.drain()
        back = await reader.readexactly(len(payload))
        writer.close()
        await writer.wait_closed()
        server.close()
        await server.wait_closed()
        return back

    assert run_until(loop, main()) == payload[::-1]


def test_unix_streams(loop, tmp_path, run_until):
    path = str(tmp_path / "srv.sock")

    async def handle(reader, writer):
        writer.write(await reader.read(100))
        writer.close()

    async def main():
        server = await asyncio.start_unix_server(handle, path)
        reader, writer = await asyncio.open_unix_connection(path)
        assert writer.get_extra_info("peername") == path
        writer.write(b"over unix")
        writer.write_eof()
        data = await reader.read()
        writer.close()
        await writer.wait_closed()
        server.close()
        await server.wait_closed()
        return data

    assert run_until(loop, main()) == b"over unix"


def test_create_unix_connection_with_sock_and_errors(loop, tmp_path, run_until):
    path = str(tmp_path / "u.sock")

    async def main():
        server = await loop.create_unix_server(lambda: Recorder(loop), path)
        sock = socket.socket(socket.AF_UNIX)
        sock.connect(path)
        t, p = await loop.create_unix_connection(lambda: Recorder(loop), sock=sock)
        assert p.transport is t
        t.close()
        await p.done
        with pytest.raises(ValueError):
            await loop.create_unix_connection(lambda: Recorder(loop))
        with pytest.raises(ValueError):
            await loop.create_unix_connection(lambda: Recorder(loop), path, server_hostname="x")
        server.close()
        await server.wait_closed()

    run_until(loop, main())


def test_connect_accepted_socket(loop, run_until):
    async def main():
        lsock = socket.socket()
        lsock.bind(("127.0.0.1", 0))
        lsock.listen()
        client = socket.socket()
        client.connect(lsock.getsockname())
        conn, _ = lsock.accept()
        lsock.close()
        t, p = await loop.connect_accepted_socket(lambda: Recorder(loop), conn)
        client.sendall(b"accepted")
        assert await p.wait_for_bytes(8) == b"accepted"
        t.write(b"back")
        client.settimeout(5)
        assert client.recv(4) == b"back"
        client.close()
        await p.done
        udp = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        with pytest.raises(ValueError):
            await loop.connect_accepted_socket(lambda: Recorder(loop), udp)
        udp.close()

    run_until(loop, main())


def test_create_connection_errors(loop, run_until):
    probe = socket.socket()
    probe.bind(("127.0.0.1", 0))
    port = probe.getsockname()[1]
    probe.close()

    async def main():
        with pytest.raises(ConnectionRefusedError):
            await loop.create_connection(asyncio.Protocol, "127.0.0.1", port)
        with pytest.raises(ValueError):
            await loop.create_connection(asyncio.Protocol)
        with pytest.raises(ValueError):
            await loop.create_connection(asyncio.Protocol, "127.0.0.1", port,
                                         server_hostname="x")
        if PY312:
            with pytest.raises(ExceptionGroup) as info:  # noqa: F821 (3.11+)
                await loop.create_connection(asyncio.Protocol, "127.0.0.1", port,
                                             all_errors=True)
            assert info.group_contains(ConnectionRefusedError)

    run_until(loop, main())


def test_create_connection_happy_eyeballs_and_local_addr(loop, run_until):
    async def main():
        server = await loop.create_server(lambda: Recorder(loop), "127.0.0.1", 0)
        port = server.sockets[0].getsockname()[1]
        t, p = await loop.create_connection(
            lambda: Recorder(loop), "localhost", port,
            happy_eyeballs_delay=0.05, interleave=1,
            local_addr=("127.0.0.1", 0))
        assert t.get_extra_info("peername")[1] == port
        t.close()
        await p.done
        sock = socket.create_connection(("127.0.0.1", port))
        t, p = await loop.create_connection(lambda: Recorder(loop), sock=sock)
        t.close()
        await p.done
        server.close()
        await server.wait_closed()

    run_until(loop, main())


def test_server_object(loop, run_until):
    async def main():
        server = await loop.create_server(
            lambda: Recorder(loop), ["127.0.0.1", "localhost"], 0,
            family=socket.AF_INET, reuse_address=True, backlog=5,
            start_serving=False)
        assert isinstance(server, asyncio.AbstractServer)
        assert server.get_loop() is loop
        assert not server.is_serving()
        assert len(server.sockets) >= 1
        await server.start_serving()
        assert server.is_serving()
        port = server.sockets[0].getsockname()[1]
        t, p = await loop.create_connection(lambda: Recorder(loop), "127.0.0.1", port)
        server.close()
        assert not server.is_serving()
        assert server.sockets == ()
        t.close()
        await p.done
        await server.wait_closed()

    run_until(loop, main())


def test_serve_forever_cancelled_closes_server(loop, run_until):
    async def main():
        server = await loop.create_server(lambda: Recorder(loop), "127.0.0.1", 0)
        task = asyncio.ensure_future(server.serve_forever())
        await asyncio.sleep(0)
        assert server.is_serving()
        with pytest.raises(RuntimeError):
            await server.serve_forever()
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
        assert not server.is_serving()

    run_until(loop, main())


def test_server_async_with_and_reuse_port(loop, run_until):
    async def main():
        async with await loop.create_server(lambda: Recorder(loop), "127.0.0.1", 0,
                                            reuse_port=True) as server:
            port = server.sockets[0].getsockname()[1]
            second = await loop.create_server(lambda: Recorder(loop), "127.0.0.1", port,
                                              reuse_port=True)
            second.close()
            await second.wait_closed()
        assert not server.is_serving()

    run_until(loop, main())


@pytest.mark.skipif(sys.version_info < (3, 13), reason="close_clients/abort_clients are 3.13+")
def test_server_close_and_abort_clients(loop, run_until):
    async def main():
        server = await loop.create_server(lambda: Recorder(loop), "127.0.0.1", 0,
                                          keep_alive=True)
        port = server.sockets[0].getsockname()[1]
        clients = [await loop.create_connection(lambda: Recorder(loop), "127.0.0.1", port)
                   for _ in range(3)]
        while len(server._clients) < 3:
            await asyncio.sleep(0)
        for t in server._clients:
            sock = t.get_extra_info("socket")
            assert sock.getsockopt(socket.SOL_SOCKET, socket.SO_KEEPALIVE)
        server.close()
        server.close_clients()
        for _, p in clients:
            await p.done
        await server.wait_closed()

        server = await loop.create_server(lambda: Recorder(loop), "127.0.0.1", 0)
        port = server.sockets[0].getsockname()[1]
        _, p = await loop.create_connection(lambda: Recorder(loop), "127.0.0.1", port)
        while not server._clients:
            await asyncio.sleep(0)
        server.close()
        server.abort_clients()
        await p.done
        await server.wait_closed()

    run_until(loop, main())


@pytest.mark.skipif(sys.version_info < (3, 13), reason="cleanup_socket is 3.13+")
def test_unix_server_cleanup_socket(loop, tmp_path, run_until):
    path = tmp_path / "c.sock"

    async def main():
        server = await loop.create_unix_server(lambda: Recorder(loop), str(path))
        assert path.exists()
        server.close()
        await server.wait_closed()
        assert not path.exists()
        server = await loop.create_unix_server(lambda: Recorder(loop), str(path),
                                               cleanup_socket=False)
        server.close()
        await server.wait_closed()
        assert path.exists()

    run_until(loop, main())


def test_transport_sendfile(loop, tmp_path, run_until):
    payload = os.urandom(500_000)
    path = tmp_path / "f.bin"
    path.write_bytes(payload)

    async def main():
        srv, cli, server = await tcp_pair(loop)
        cli.transport.write(b"head")
        with open(path, "rb") as f:
            sent = await loop.sendfile(cli.transport, f, offset=100, count=200_000)
        assert sent == 200_000
        cli.transport.write(b"tail")
        expected = b"head" + payload[100:200_100] + b"tail"
        assert await srv.wait_for_bytes(len(expected)) == expected
        assert cli.transport.is_reading()
        await close_all(server, srv, cli)

    run_until(loop, main())


EMFILE_CHILD = r"""
import asyncio, os, resource, socket, sys
import importlib
impl = importlib.import_module(sys.argv[1])
loop = impl.new_event_loop()
messages = []
loop.set_exception_handler(lambda lp, ctx: messages.append(
    (ctx["message"], getattr(ctx.get("exception"), "errno", None))))

class Proto(asyncio.Protocol):
    def connection_made(self, transport):
        transport.write(b"welcome")
        transport.close()

async def main():
    server = await loop.create_server(Proto, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    client = socket.socket()
    client.setblocking(False)
    # Use up every descriptor: the server's accept() fails with EMFILE.
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (64, hard))
    fillers = []
    try:
        while True:
            fillers.append(os.dup(0))
    except OSError:
        pass
    await loop.sock_connect(client, ("127.0.0.1", port))
    while not messages:
        await asyncio.sleep(0.01)
    for fd in fillers:
        os.close(fd)
    # The server accepts again after asyncio's retry delay.
    data = await asyncio.wait_for(loop.sock_recv(client, 100), 30)
    client.close()
    server.close()
    await server.wait_closed()
    print(messages[0][0], messages[0][1] == 24, data.decode())

loop.run_until_complete(main())
loop.close()
"""


def test_emfile_on_accept_keeps_serving(impl, run_python):
    """accept() failing with EMFILE: reported, then the server carries on."""
    result = run_python(EMFILE_CHILD, impl)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == \
        "socket.accept() out of system resource True welcome"


def test_closing_loop_with_live_transport_warns(loop_factory):
    loop = loop_factory()
    asyncio.set_event_loop(None)
    a, b = socket.socketpair()

    async def main():
        t, p = await loop.connect_accepted_socket(asyncio.Protocol, a)
        await asyncio.sleep(0)
        return t

    t = loop.run_until_complete(main())
    fd = a.fileno()
    loop.close()
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        del t
        gc.collect()
    assert any(issubclass(w.category, ResourceWarning) and "unclosed transport" in str(w.message)
               for w in caught)
    # The transport closed its socket.
    with pytest.raises(OSError):
        os.fstat(fd)
    b.close()


def _fd_count():
    return len(os.listdir("/proc/self/fd"))


def test_no_fd_leak(loop, run_until):
    async def cycle():
        srv, cli, server = await tcp_pair(loop, Echo)
        cli.transport.write(b"ping")
        await cli.wait_for_bytes(4)
        cli.transport.close()
        await cli.done
        server.close()
        await server.wait_closed()
        # A refused connection and a reset one.
        probe = socket.socket()
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
        probe.close()
        with pytest.raises(OSError):
            await loop.create_connection(asyncio.Protocol, "127.0.0.1", port)

    async def main():
        await cycle()
        before = _fd_count()
        for _ in range(20):
            await cycle()
        await asyncio.sleep(0)
        gc.collect()
        return before, _fd_count()

    before, after = run_until(loop, main())
    assert after == before


@pytest.mark.cloop_only
def test_abort_after_drained_close_is_a_no_op(loop, run_until):
    """close() with queued data, drained, then abort(): asyncio 3.11-3.13
    raise AttributeError from abort() there (its loop is gone); cloop's
    transport has already reported connection_lost and does nothing."""
    async def main():
        srv, cli, server = await tcp_pair(loop)
        srv.transport.pause_reading()
        t = cli.transport
        while t.get_write_buffer_size() == 0:
            t.write(b"q" * 1024 * 1024)
        t.close()
        srv.transport.resume_reading()
        await cli.done
        t.abort()
        t.close()
        await asyncio.sleep(0)
        assert [e for e in cli.events if isinstance(e, tuple)] == [("lost", None)]
        await close_all(server, srv)

    run_until(loop, main())


def test_peer_reset_while_reading_reports_connection_lost(loop, run_until):
    contexts = []
    loop.set_exception_handler(lambda lp, ctx: contexts.append(ctx))

    async def main():
        srv, cli, server = await tcp_pair(loop)
        sock = srv.transport.get_extra_info("socket")
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, b"\x01\x00\x00\x00\x00\x00\x00\x00")
        srv.transport.abort()
        exc = await cli.done
        await srv.done
        server.close()
        await server.wait_closed()
        return exc

    exc = run_until(loop, main())
    assert isinstance(exc, ConnectionResetError)
    # An OSError is only logged in debug mode, never sent to the handler.
    assert contexts == []


def test_pause_writing_error_goes_to_exception_handler(loop, run_until):
    contexts = []
    loop.set_exception_handler(lambda lp, ctx: contexts.append(ctx))

    class BadFlow(Recorder):
        def pause_writing(self):
            raise ValueError("no pause")

    async def main():
        srv, cli, server = await tcp_pair(loop, None, lambda: BadFlow(loop))
        srv.transport.pause_reading()
        t = cli.transport
        t.set_write_buffer_limits(high=0)
        while t.get_write_buffer_size() == 0:
            t.write(b"w" * 1024 * 1024)
        srv.transport.resume_reading()
        while t.get_write_buffer_size():
            await asyncio.sleep(0)
        await close_all(server, srv, cli)
        return cli

    cli = run_until(loop, main())
    [ctx] = contexts
    assert ctx["message"] == "protocol.pause_writing() failed"
    assert isinstance(ctx["exception"], ValueError)
    assert ctx["protocol"] is cli


@pytest.mark.cloop_only
def test_python_accept_path(loop, run_until, monkeypatch):
    """Families the C accept loop does not handle go through the Python one
    (asyncio's _accept_connection); force it for TCP and check it serves."""
    import cloop._net
    monkeypatch.setattr(cloop._net, "_C_ACCEPT_FAMILIES", ())

    async def main():
        srv, cli, server = await tcp_pair(loop, Echo)
        cli.transport.write(b"via python accept")
        assert await cli.wait_for_bytes(17) == b"via python accept"
        cli.transport.close()
        await cli.done
        server.close()
        await server.wait_closed()

    run_until(loop, main())


STREAMS_FAULTS = r"""
import asyncio, resource, sys
import cloop

ROUNDS, CONNS, SIZE = 150, 8, 65536

async def echo(reader, writer):
    while data := await reader.read(SIZE):
        writer.write(data)
        await writer.drain()
    writer.close()

async def client(port, payload):
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    for _ in range(ROUNDS):
        writer.write(payload)
        assert await reader.readexactly(SIZE) == payload
    writer.close()
    await writer.wait_closed()

async def main():
    server = await asyncio.start_server(echo, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    payload = bytes(range(256)) * (SIZE // 256)
    await client(port, payload)  # warm up: first read, imports, buffers
    before = resource.getrusage(resource.RUSAGE_SELF).ru_minflt
    await asyncio.gather(*(client(port, payload) for _ in range(CONNS)))
    after = resource.getrusage(resource.RUSAGE_SELF).ru_minflt
    server.close()
    print(after - before, ROUNDS * CONNS)

cloop.run(main())
"""


@pytest.mark.cloop_only
def test_streams_of_big_chunks_do_not_refault_the_heap(impl, run_python):
    # glibc trims the heap top whenever more than 128 KiB is free there; a
    # streams server moving 64 KiB chunks then faults pages in on every few
    # messages (about 15 per message measured). cloop raises glibc's
    # thresholds when its first loop is made, as stock asyncio's 256 KiB
    # reads do.
    if "asan" in os.environ.get("LD_PRELOAD", ""):
        pytest.skip("ASan's allocator replaces glibc's; the thresholds are glibc's")
    proc = run_python(STREAMS_FAULTS)
    assert proc.returncode == 0, proc.stderr
    faults, messages = map(int, proc.stdout.split())
    assert faults < messages, f"{faults} page faults for {messages} messages"


def test_transport_methods_can_be_patched_on_the_instance(loop, run_until):
    """asyncio's transports have an instance __dict__: tests and libraries
    (aiohttp's) patch a method on one transport with mock.patch.object."""
    from unittest import mock

    async def main():
        srv, cli, server = await tcp_pair(loop)
        t = cli.transport
        with mock.patch.object(t, "write") as write:
            t.write(b"not sent")
            write.assert_called_once_with(b"not sent")
        t.custom_attribute = 5
        assert t.custom_attribute == 5
        assert "write" not in vars(t)
        t.write(b"sent")
        assert await srv.wait_for_bytes(4) == b"sent"
        await close_all(server, srv, cli)

    run_until(loop, main())


class CountingSocket(socket.socket):
    """A socket.socket whose I/O methods count their calls (websockets'
    test_explicit_socket does this)."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.calls = {}

    def _count(self, name):
        self.calls[name] = self.calls.get(name, 0) + 1

    def recv(self, *args):
        self._count("recv")
        return super().recv(*args)

    def recv_into(self, *args):
        self._count("recv_into")
        return super().recv_into(*args)

    def send(self, *args):
        self._count("send")
        return super().send(*args)

    def sendmsg(self, *args):
        self._count("sendmsg")
        return super().sendmsg(*args)


class Collector(asyncio.BufferedProtocol):
    def __init__(self, loop):
        self.data = bytearray()
        self.buf = bytearray(4096)
        self.lost = loop.create_future()

    def connection_made(self, transport):
        self.transport = transport

    def get_buffer(self, sizehint):
        return self.buf

    def buffer_updated(self, nbytes):
        self.data += self.buf[:nbytes]

    def connection_lost(self, exc):
        self.lost.set_result(exc)


@pytest.mark.parametrize("buffered", [False, True], ids=["protocol", "buffered"])
def test_a_socket_subclass_overriding_io_gets_its_methods_called(
        loop, run_until, buffered):
    # asyncio's transport calls self._sock.recv/recv_into/send/sendmsg.
    async def main():
        a, b = socket.socketpair()
        mine = CountingSocket(fileno=a.detach())
        mine.setblocking(False)
        factory = (lambda: Collector(loop)) if buffered else (lambda: Recorder(loop))
        t, proto = await loop.create_connection(factory, sock=mine)
        b.setblocking(False)
        b.sendall(b"ping")
        while len(proto.data) < 4:
            await asyncio.sleep(0.001)
        assert proto.data == b"ping"
        assert mine.calls.get("recv_into" if buffered else "recv", 0) >= 1
        t.write(b"pong")
        await asyncio.sleep(0.01)
        assert b.recv(100) == b"pong"
        assert mine.calls["send"] == 1
        # Behind pending data, writes wait for _write_ready: sendmsg() of
        # the buffer from 3.12, send() of it on 3.11.
        sends = dict(mine.calls)
        big = b"x" * (8 * 1024 * 1024)
        t.write(big)
        t.write(b"tail")
        got = bytearray()
        while len(got) < len(big) + 4:
            try:
                got += b.recv(1 << 20)
            except BlockingIOError:
                await asyncio.sleep(0.001)
        assert got.endswith(b"tail") and len(got) == len(big) + 4
        later = "sendmsg" if PY312 else "send"
        assert mine.calls.get(later, 0) > sends.get(later, 0)
        t.close()
        await (proto.lost if buffered else proto.done)
        b.close()

    run_until(loop, main())


def test_plain_socket_subclass_keeps_the_fast_path(loop, run_until):
    # A subclass that overrides no I/O method is read and written as any
    # socket: nothing to observe but that it works.
    class Tagged(socket.socket):
        pass

    async def main():
        a, b = socket.socketpair()
        mine = Tagged(fileno=a.detach())
        mine.setblocking(False)
        t, proto = await loop.create_connection(lambda: Recorder(loop), sock=mine)
        b.sendall(b"hi")
        assert await proto.wait_for_bytes(2) == b"hi"
        t.close()
        await proto.done
        b.close()

    run_until(loop, main())


class ProtocolFactoryError(Exception):
    pass


def failing_protocol_factory():
    raise ProtocolFactoryError("no protocol for you")


async def connect_to_failing_server(loop, until):
    """Connects to a server whose protocol factory raises, and waits for
    until() to be true."""
    server = await loop.create_server(failing_protocol_factory, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    try:
        while not until():
            await asyncio.sleep(0.01)
    finally:
        writer.close()
        server.close()
        await server.wait_closed()


# asyncio leaves the socket of a connection it could not set up to the
# collector (ResourceWarning); cloop closes it.
ASYNCIO_DROPS_ACCEPTED_SOCKET = [
    pytest.mark.filterwarnings("ignore:unclosed <socket.socket:ResourceWarning"),
    pytest.mark.filterwarnings(
        "ignore:Exception ignored in. <socket.socket:pytest.PytestUnraisableExceptionWarning"),
]


@pytest.mark.parametrize("debug", [False, True], ids=["normal", "debug"])
@ASYNCIO_DROPS_ACCEPTED_SOCKET[0]
@ASYNCIO_DROPS_ACCEPTED_SOCKET[1]
def test_connection_setup_failure_reported_in_debug_mode_only(loop, run_until, errors, debug):
    # asyncio's _accept_connection2: the connection is dropped; the error
    # reaches the exception handler in debug mode only, without a protocol.
    loop.set_debug(debug)
    polls = itertools.count()
    # Debug mode: until the report; normal mode: 0.2 s for one that must not come.
    run_until(loop, connect_to_failing_server(loop, until=lambda: errors or next(polls) >= 20))
    gc.collect()
    if not debug:
        assert errors == []
        return
    assert len(errors) == 1, errors
    ctx = errors[0]
    assert ctx["message"] == "Error on transport creation for incoming connection"
    assert isinstance(ctx["exception"], ProtocolFactoryError)
    assert "protocol" not in ctx


@ASYNCIO_DROPS_ACCEPTED_SOCKET[0]
@ASYNCIO_DROPS_ACCEPTED_SOCKET[1]
def test_connection_setup_failure_handler_interrupt_stops_the_loop(loop, run_until):
    # A handler's KeyboardInterrupt escapes call_exception_handler and stops
    # the loop; it is reported once, not again as an accept error.
    loop.set_debug(True)
    seen = []

    def interrupting_handler(lp, ctx):
        seen.append(ctx["message"])
        raise KeyboardInterrupt

    loop.set_exception_handler(interrupting_handler)
    with pytest.raises(KeyboardInterrupt):
        run_until(loop, connect_to_failing_server(loop, until=lambda: False))
    assert seen == ["Error on transport creation for incoming connection"]
    # What the interrupted run left behind: the client's task (and, on
    # asyncio, the accept task that ended with the KeyboardInterrupt,
    # reported as never retrieved when it is collected).
    loop.set_exception_handler(lambda lp, ctx: seen.append(ctx["message"]))
    for task in asyncio.all_tasks(loop):
        task.cancel()
    loop.run_until_complete(asyncio.gather(*asyncio.all_tasks(loop), return_exceptions=True))
    gc.collect()
    assert seen.count("Error on transport creation for incoming connection") == 1
    assert not any("_accept_connection" in message for message in seen), seen
