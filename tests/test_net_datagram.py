"""Datagram endpoints (UDP and Unix datagram sockets), on both loops."""

import asyncio
import socket
import sys

import pytest

from leakcheck import no_leaks  # noqa: F401 (autouse fixture)


class DgramRecorder(asyncio.DatagramProtocol):
    def __init__(self, loop):
        self.loop = loop
        self.transport = None
        self.received = asyncio.Queue()
        self.errors = asyncio.Queue()
        self.lost = loop.create_future()
        self.made = 0

    def connection_made(self, transport):
        self.made += 1
        self.transport = transport

    def datagram_received(self, data, addr):
        assert type(data) is bytes
        self.received.put_nowait((data, addr))

    def error_received(self, exc):
        self.errors.put_nowait(exc)

    def connection_lost(self, exc):
        self.lost.set_result(exc)


class DgramEcho(DgramRecorder):
    def datagram_received(self, data, addr):
        self.transport.sendto(data.upper(), addr)


def free_udp_port():
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def test_udp_echo(loop, run_until):
    async def main():
        st, sp = await loop.create_datagram_endpoint(
            lambda: DgramEcho(loop), local_addr=("127.0.0.1", 0))
        if sys.version_info >= (3, 12):  # 3.11's is not a DatagramTransport
            assert isinstance(st, asyncio.DatagramTransport)
        addr = st.get_extra_info("sockname")
        assert st.get_extra_info("peername") is None
        ct, cp = await loop.create_datagram_endpoint(
            lambda: DgramRecorder(loop), remote_addr=addr)
        assert ct.get_extra_info("peername") == addr
        ct.sendto(b"hello")
        ct.sendto(bytearray(b"world"), addr)
        ct.sendto(memoryview(b"!"))
        got = [await cp.received.get() for _ in range(3)]
        assert got == [(b"HELLO", addr), (b"WORLD", addr), (b"!", addr)]
        with pytest.raises(ValueError, match="Invalid address: must be None or"):
            ct.sendto(b"x", ("127.0.0.1", 9))
        with pytest.raises(TypeError, match="data argument must be a bytes-like object"):
            ct.sendto("text")
        ct.close()
        st.close()
        assert await cp.lost is None
        assert await sp.lost is None
        assert cp.made == sp.made == 1

    run_until(loop, main())


def test_udp_unconnected_sendto_many_peers(loop, run_until):
    async def main():
        st, sp = await loop.create_datagram_endpoint(
            lambda: DgramRecorder(loop), local_addr=("127.0.0.1", 0))
        addr = st.get_extra_info("sockname")
        peers = []
        for _ in range(3):
            s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
            s.bind(("127.0.0.1", 0))
            s.setblocking(False)
            peers.append(s)
            s.sendto(b"from %d" % s.getsockname()[1], addr)
        got = {await sp.received.get() for _ in peers}
        assert got == {(b"from %d" % s.getsockname()[1], s.getsockname()) for s in peers}
        for s in peers:
            st.sendto(b"reply", s.getsockname())
        for s in peers:
            data, _ = await loop.sock_recvfrom(s, 100)
            assert data == b"reply"
            s.close()
        st.abort()
        assert await sp.lost is None

    run_until(loop, main())


def test_udp_error_received_on_refused_port(loop, run_until):
    port = free_udp_port()

    async def main():
        ct, cp = await loop.create_datagram_endpoint(
            lambda: DgramRecorder(loop), remote_addr=("127.0.0.1", port))
        ct.sendto(b"anyone?")
        exc = await asyncio.wait_for(cp.errors.get(), 10)
        assert isinstance(exc, ConnectionRefusedError)
        ct.close()
        await cp.lost

    run_until(loop, main())


def test_udp_options(loop, run_until):
    async def main():
        t, p = await loop.create_datagram_endpoint(
            lambda: DgramRecorder(loop), local_addr=("127.0.0.1", 0),
            allow_broadcast=True, reuse_port=True)
        sock = t.get_extra_info("socket")
        assert sock.getsockopt(socket.SOL_SOCKET, socket.SO_BROADCAST)
        assert sock.getsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT)
        port = t.get_extra_info("sockname")[1]
        t2, p2 = await loop.create_datagram_endpoint(
            lambda: DgramRecorder(loop), local_addr=("127.0.0.1", port),
            reuse_port=True)
        t2.close()
        t.close()
        await p.lost
        await p2.lost
        # reuse_address: ValueError on 3.11 (deprecated), gone since 3.12.
        with pytest.raises((ValueError, TypeError)):
            await loop.create_datagram_endpoint(
                asyncio.DatagramProtocol, local_addr=("127.0.0.1", 0),
                reuse_address=True)

    run_until(loop, main())


def test_udp_endpoint_with_sock(loop, run_until):
    async def main():
        sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        sock.bind(("127.0.0.1", 0))
        t, p = await loop.create_datagram_endpoint(lambda: DgramRecorder(loop), sock=sock)
        assert t.get_extra_info("socket").fileno() == sock.fileno()
        other = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        other.sendto(b"via sock", sock.getsockname())
        assert (await p.received.get())[0] == b"via sock"
        other.close()
        t.close()
        await p.lost
        assert sock.fileno() == -1

    run_until(loop, main())


def test_unix_datagram(loop, tmp_path, run_until):
    server_path = str(tmp_path / "server.dgram")
    client_path = str(tmp_path / "client.dgram")

    async def main():
        st, sp = await loop.create_datagram_endpoint(
            lambda: DgramEcho(loop), local_addr=server_path, family=socket.AF_UNIX)
        ct, cp = await loop.create_datagram_endpoint(
            lambda: DgramRecorder(loop), local_addr=client_path,
            remote_addr=server_path, family=socket.AF_UNIX)
        ct.sendto(b"unix datagram")
        assert await cp.received.get() == (b"UNIX DATAGRAM", server_path)
        ct.close()
        st.close()
        await cp.lost
        await sp.lost

    run_until(loop, main())


def test_datagram_protocol_error_goes_to_exception_handler(loop, run_until):
    contexts = []
    loop.set_exception_handler(lambda lp, ctx: contexts.append(ctx))

    class Broken(DgramRecorder):
        def datagram_received(self, data, addr):
            super().datagram_received(data, addr)
            raise ZeroDivisionError

    async def main():
        t, p = await loop.create_datagram_endpoint(
            lambda: Broken(loop), local_addr=("127.0.0.1", 0))
        s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        s.sendto(b"1", t.get_extra_info("sockname"))
        s.sendto(b"2", t.get_extra_info("sockname"))
        await p.received.get()
        await p.received.get()
        s.close()
        # The endpoint keeps working after a failing callback.
        assert not t.is_closing()
        t.close()
        await p.lost

    run_until(loop, main())
    assert len(contexts) == 2
    assert all(isinstance(c["exception"], ZeroDivisionError) for c in contexts)
    assert all(c["message"].startswith("Exception in callback") for c in contexts)


def test_datagram_write_buffer_and_limits(loop, run_until):
    async def main():
        t, p = await loop.create_datagram_endpoint(
            lambda: DgramRecorder(loop), local_addr=("127.0.0.1", 0))
        assert t.get_write_buffer_size() == 0
        assert t.get_write_buffer_limits() == (16384, 65536)
        t.set_write_buffer_limits(high=100)
        assert t.get_write_buffer_limits() == (25, 100)
        assert t.get_protocol() is p
        t.pause_reading()
        assert not t.is_reading()
        t.resume_reading()
        assert t.is_reading()
        t.close()
        assert t.is_closing()
        await p.lost

    run_until(loop, main())


class StopAfterFirst(DgramRecorder):
    """Pauses (or closes) the transport in the first datagram_received."""

    def __init__(self, loop, how):
        super().__init__(loop)
        self.how = how
        self.order = []

    def datagram_received(self, data, addr):
        self.order.append(data)
        if len(self.order) == 1:
            getattr(self.transport, self.how)()


@pytest.mark.parametrize("how", ["pause_reading", "close"])
def test_no_datagram_after_pause_or_close_in_the_callback(loop, run_until, how):
    # cloop reads several queued datagrams per readable event; pausing or
    # closing from datagram_received must still stop delivery at once.
    async def main():
        st, sp = await loop.create_datagram_endpoint(
            lambda: StopAfterFirst(loop, how), local_addr=("127.0.0.1", 0))
        if how == "pause_reading" and not hasattr(st, "pause_reading"):
            st.close()
            pytest.skip("this asyncio's datagram transport has no pause_reading")
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as peer:
            for i in range(10):
                peer.sendto(b"%d" % i, st.get_extra_info("sockname"))
            for _ in range(5):
                await asyncio.sleep(0.01)
            assert sp.order == [b"0"]
            if how == "pause_reading":
                assert not st.is_reading()
                st.resume_reading()
                while len(sp.order) < 10:
                    await asyncio.sleep(0.01)
                assert sp.order == [b"%d" % i for i in range(10)]
                st.close()
        assert await sp.lost is None

    run_until(loop, main())


def test_sendto_of_a_strided_memoryview_fails_the_transport(loop, run_until):
    # asyncio hands it to sock.sendto(), which raises BufferError: the
    # transport fails through its fatal-error path, not the caller.
    contexts = []
    loop.set_exception_handler(lambda lp, ctx: contexts.append(ctx))

    async def main():
        st, sp = await loop.create_datagram_endpoint(
            lambda: DgramRecorder(loop), local_addr=("127.0.0.1", 0))
        addr = st.get_extra_info("sockname")
        assert st.sendto(memoryview(bytearray(b"abcdef"))[::2], addr) is None
        exc = await sp.lost
        assert isinstance(exc, BufferError)
        assert contexts[-1]["message"] == "Fatal write error on datagram transport"

    run_until(loop, main())


def test_sendto_without_address_on_an_unnamed_unix_pair(loop, run_until):
    # A socketpair's peer name is '' (falsy): asyncio, every version so
    # far, calls sock.sendto(data, None), whose TypeError fails the
    # transport. cloop does as asyncio does (uvloop sends the datagram);
    # this pins it, so a change in CPython shows up here.
    contexts = []
    loop.set_exception_handler(lambda lp, ctx: contexts.append(ctx))
    a, b = socket.socketpair(socket.AF_UNIX, socket.SOCK_DGRAM)

    async def main():
        t, p = await loop.create_datagram_endpoint(
            lambda: DgramRecorder(loop), sock=a)
        assert t.get_extra_info("peername") == ""
        t.sendto(b"x")
        exc = await p.lost
        assert isinstance(exc, TypeError)
        assert contexts[-1]["message"] == "Fatal write error on datagram transport"

    try:
        run_until(loop, main())
    finally:
        b.close()
