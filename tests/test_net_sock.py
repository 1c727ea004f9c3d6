"""loop.sock_*: the low-level socket coroutines, on both loops."""

import asyncio
import errno
import os
import sys
import socket
import ssl

import pytest

from leakcheck import no_leaks  # noqa: F401 (autouse fixture)


@pytest.fixture
def pair():
    """A connected non-blocking socketpair, closed at teardown."""
    a, b = socket.socketpair()
    a.setblocking(False)
    b.setblocking(False)
    yield a, b
    a.close()
    b.close()


@pytest.fixture
def listener():
    """A listening non-blocking TCP socket on 127.0.0.1."""
    srv = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    srv.bind(("127.0.0.1", 0))
    srv.listen(16)
    srv.setblocking(False)
    yield srv
    srv.close()


def test_sock_recv_ready_and_waiting(loop, pair, run_until):
    a, b = pair

    async def main():
        b.send(b"first")
        assert await loop.sock_recv(a, 100) == b"first"
        task = asyncio.ensure_future(loop.sock_recv(a, 100))
        await asyncio.sleep(0)
        assert not task.done()
        b.send(b"second")
        return await task

    assert run_until(loop, main()) == b"second"


def test_sock_recv_large_buffer_and_eof(loop, pair, run_until):
    a, b = pair

    async def main():
        b.send(b"x" * 1000)
        data = await loop.sock_recv(a, 1024 * 1024)
        b.shutdown(socket.SHUT_WR)
        eof = await loop.sock_recv(a, 10)
        return data, eof

    assert run_until(loop, main()) == (b"x" * 1000, b"")


def test_sock_recv_mid_sized_requests(loop, pair, run_until):
    # Requests of 16 KiB and more read straight into the result on cloop.
    a, b = pair
    chunk = os.urandom(40000)

    async def main():
        b.sendall(chunk)
        got = b""
        while len(got) < len(chunk):
            got += await loop.sock_recv(a, 65536)
        b.send(b"tail")
        tail = await loop.sock_recv(a, 32768)
        b.shutdown(socket.SHUT_WR)
        eof = await loop.sock_recv(a, 65536)
        return got, tail, eof

    got, tail, eof = run_until(loop, main())
    assert (got == chunk, tail, eof) == (True, b"tail", b"")
    assert type(got) is bytes and type(tail) is bytes


def test_sock_recv_into(loop, pair, run_until):
    a, b = pair
    buf = bytearray(10)

    async def main():
        task = asyncio.ensure_future(loop.sock_recv_into(a, buf))
        await asyncio.sleep(0)
        b.send(b"abc")
        n = await task
        b.send(b"0123456789xyz")
        m = await loop.sock_recv_into(a, memoryview(buf)[2:])
        return n, m

    assert run_until(loop, main()) == (3, 8)
    assert buf == b"ab01234567"


def test_sock_sendall_large_waits_for_the_reader(loop, pair, run_until):
    a, b = pair
    payload = os.urandom(4 * 1024 * 1024)

    async def reader():
        chunks = []
        total = 0
        while total < len(payload):
            chunk = await loop.sock_recv(b, 65536)
            assert chunk
            chunks.append(chunk)
            total += len(chunk)
        return b"".join(chunks)

    async def main():
        r = asyncio.ensure_future(reader())
        await loop.sock_sendall(a, payload)
        await loop.sock_sendall(a, bytearray())
        return await r

    assert run_until(loop, main()) == payload


def test_sock_sendall_to_reset_peer_raises(loop, pair, run_until):
    a, b = pair

    async def main():
        b.close()
        with pytest.raises(OSError) as info:
            for _ in range(100):
                await loop.sock_sendall(a, b"x" * 65536)
        return info.value

    exc = run_until(loop, main())
    assert isinstance(exc, (BrokenPipeError, ConnectionResetError))


def test_sock_accept_and_connect(loop, listener, run_until):
    async def main():
        accept = asyncio.ensure_future(loop.sock_accept(listener))
        await asyncio.sleep(0)
        assert not accept.done()
        client = socket.socket()
        client.setblocking(False)
        await loop.sock_connect(client, listener.getsockname())
        conn, addr = await accept
        try:
            assert addr == client.getsockname()
            assert conn.gettimeout() == 0
            await loop.sock_sendall(client, b"hi")
            assert await loop.sock_recv(conn, 2) == b"hi"
        finally:
            conn.close()
            client.close()

    run_until(loop, main())


def test_sock_connect_resolves_localhost_name(loop, listener, run_until):
    async def main():
        client = socket.socket()
        client.setblocking(False)
        try:
            await loop.sock_connect(client, ("localhost", listener.getsockname()[1]))
            return client.getpeername()[1]
        finally:
            client.close()

    assert run_until(loop, main()) == listener.getsockname()[1]


def test_sock_connect_refused(loop, run_until):
    probe = socket.socket()
    probe.bind(("127.0.0.1", 0))
    port = probe.getsockname()[1]
    probe.close()

    async def main():
        client = socket.socket()
        client.setblocking(False)
        try:
            with pytest.raises(ConnectionRefusedError):
                await loop.sock_connect(client, ("127.0.0.1", port))
        finally:
            client.close()

    run_until(loop, main())


def test_sock_connect_unix(loop, tmp_path, run_until):
    path = str(tmp_path / "s.sock")
    srv = socket.socket(socket.AF_UNIX)
    srv.bind(path)
    srv.listen()
    srv.setblocking(False)

    async def main():
        client = socket.socket(socket.AF_UNIX)
        client.setblocking(False)
        await loop.sock_connect(client, path)
        conn, _ = await loop.sock_accept(srv)
        await loop.sock_sendall(conn, b"unix")
        data = await loop.sock_recv(client, 10)
        conn.close()
        client.close()
        return data

    try:
        assert run_until(loop, main()) == b"unix"
    finally:
        srv.close()


def test_sock_udp_sendto_recvfrom(loop, run_until):
    a = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    b = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    for s in (a, b):
        s.bind(("127.0.0.1", 0))
        s.setblocking(False)

    async def main():
        recv = asyncio.ensure_future(loop.sock_recvfrom(b, 100))
        await asyncio.sleep(0)
        n = await loop.sock_sendto(a, b"dgram", b.getsockname())
        data, addr = await recv
        buf = bytearray(3)
        await loop.sock_sendto(a, b"12345", b.getsockname())
        nbytes, addr2 = await loop.sock_recvfrom_into(b, buf)
        return n, data, addr, nbytes, addr2, bytes(buf)

    a_addr = a.getsockname()
    try:
        n, data, addr, nbytes, addr2, buf = run_until(loop, main())
    finally:
        a.close()
        b.close()
    assert (n, data, nbytes, buf) == (5, b"dgram", 3, b"123")
    assert addr == addr2 == a_addr


def test_cancelled_sock_recv_leaves_no_reader(loop, pair, run_until):
    a, b = pair

    async def main():
        task = asyncio.ensure_future(loop.sock_recv(a, 10))
        await asyncio.sleep(0)
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
        await asyncio.sleep(0)
        # Nothing watches the fd any more, and it can be used again.
        assert loop.remove_reader(a.fileno()) is False
        b.send(b"later")
        return await loop.sock_recv(a, 10)

    assert run_until(loop, main()) == b"later"


def test_cancelled_sock_sendall_leaves_no_writer(loop, pair, run_until):
    a, b = pair

    async def main():
        task = asyncio.ensure_future(loop.sock_sendall(a, b"x" * (16 * 1024 * 1024)))
        await asyncio.sleep(0.01)
        assert not task.done()
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
        await asyncio.sleep(0)
        assert loop.remove_writer(a.fileno()) is False

    run_until(loop, main())


def test_cancelled_sock_accept_leaves_no_reader(loop, listener, run_until):
    async def main():
        task = asyncio.ensure_future(loop.sock_accept(listener))
        await asyncio.sleep(0)
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
        await asyncio.sleep(0)
        assert loop.remove_reader(listener.fileno()) is False

    run_until(loop, main())


def test_blocking_socket_refused_in_debug_mode(loop, run_until):
    a, b = socket.socketpair()
    loop.set_debug(True)

    async def main():
        for coro in (loop.sock_recv(a, 1), loop.sock_recv_into(a, bytearray(1)),
                     loop.sock_sendall(a, b"x"), loop.sock_accept(a),
                     loop.sock_connect(a, ("127.0.0.1", 1)),
                     loop.sock_recvfrom(a, 1), loop.sock_sendto(a, b"x", None)):
            with pytest.raises(ValueError, match="the socket must be non-blocking"):
                await coro

    try:
        run_until(loop, main())
    finally:
        a.close()
        b.close()


def test_ssl_socket_refused(loop, run_until):
    ctx = ssl.create_default_context()
    sock = ctx.wrap_socket(socket.socket(), do_handshake_on_connect=False,
                           server_hostname="example.com")

    async def main():
        with pytest.raises(TypeError, match="SSLSocket"):
            await loop.sock_recv(sock, 1)
        with pytest.raises(TypeError, match="SSLSocket"):
            await loop.sock_sendall(sock, b"x")

    try:
        run_until(loop, main())
    finally:
        sock.close()


def test_sock_recv_on_closed_socket_raises(loop, run_until):
    a, b = socket.socketpair()
    a.setblocking(False)
    a.close()
    b.close()

    async def main():
        with pytest.raises(OSError) as info:
            await loop.sock_recv(a, 1)
        return info.value.errno

    assert run_until(loop, main()) == errno.EBADF


class RecordingSocket(socket.socket):
    """A socket subclass: asyncio calls its methods, so must cloop."""

    calls = []

    def recv(self, n, *args):
        self.calls.append(("recv", n))
        return super().recv(n, *args)

    def send(self, data, *args):
        self.calls.append(("send", len(data)))
        return super().send(data, *args)


def test_socket_subclass_methods_are_used(loop, run_until):
    a, b = socket.socketpair()
    sub = RecordingSocket(fileno=a.detach())
    sub.setblocking(False)
    b.setblocking(False)
    RecordingSocket.calls = []

    async def main():
        await loop.sock_sendall(sub, b"xyz")
        b.send(b"abc")
        return await loop.sock_recv(sub, 5)

    try:
        assert run_until(loop, main()) == b"abc"
    finally:
        sub.close()
        b.close()
    assert ("send", 3) in RecordingSocket.calls
    assert ("recv", 5) in RecordingSocket.calls


def test_sock_sendfile_native_and_fallback(loop, pair, tmp_path, run_until):
    a, b = pair
    payload = os.urandom(300_000)
    path = tmp_path / "data.bin"
    path.write_bytes(payload)

    async def drain(n):
        got = bytearray()
        while len(got) < n:
            chunk = await loop.sock_recv(b, 65536)
            assert chunk
            got += chunk
        return bytes(got)

    async def main():
        with open(path, "rb") as f:
            reader = asyncio.ensure_future(drain(len(payload) - 1000))
            sent = await loop.sock_sendfile(a, f, offset=1000)
            assert sent == len(payload) - 1000
            assert f.tell() == len(payload)
            assert await reader == payload[1000:]
        with open(path, "rb") as f:
            reader = asyncio.ensure_future(drain(5000))
            assert await loop.sock_sendfile(a, f, 10, 5000) == 5000
            assert f.tell() == 5010
            assert await reader == payload[10:5010]

        class NotAFile:
            mode = "rb"

            def __init__(self, data):
                self.data = data
                self.pos = 0

            def readinto(self, buf):
                n = min(len(buf), len(self.data) - self.pos)
                buf[:n] = self.data[self.pos:self.pos + n]
                self.pos += n
                return n

            def seek(self, pos):
                self.pos = pos

        reader = asyncio.ensure_future(drain(1234))
        assert await loop.sock_sendfile(a, NotAFile(payload[:1234])) == 1234
        assert await reader == payload[:1234]
        with pytest.raises(asyncio.SendfileNotAvailableError):
            await loop.sock_sendfile(a, NotAFile(b"x"), fallback=False)

    run_until(loop, main())


def test_sock_sendfile_at_end_of_file_moves_the_position(loop, pair, tmp_path,
                                                        run_until):
    a, b = pair
    path = tmp_path / "data.bin"
    path.write_bytes(b"abcdef")

    async def main():
        with open(path, "rb") as f:
            f.seek(2)
            sent = await loop.sock_sendfile(a, f, offset=6, fallback=False)
            return sent, f.tell()

    # Nothing to send: 3.14 still puts the position at offset + sent, as
    # after any sendfile; before 3.14 it stays where it was.
    expected = 6 if sys.version_info >= (3, 14) else 2
    assert run_until(loop, main()) == (0, expected)


def test_sock_sendfile_checks_parameters(loop, pair, tmp_path, run_until):
    a, _ = pair
    path = tmp_path / "f"
    path.write_bytes(b"abc")

    async def main():
        with open(path, "r") as text:
            with pytest.raises(ValueError, match="binary mode"):
                await loop.sock_sendfile(a, text)
        with open(path, "rb") as f:
            with pytest.raises(ValueError, match="positive integer"):
                await loop.sock_sendfile(a, f, count=0)
            with pytest.raises(ValueError, match="non-negative integer"):
                await loop.sock_sendfile(a, f, offset=-1)
        udp = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        udp.setblocking(False)
        try:
            with open(path, "rb") as f:
                with pytest.raises(ValueError, match="SOCK_STREAM"):
                    await loop.sock_sendfile(udp, f)
        finally:
            udp.close()

    run_until(loop, main())


def test_getaddrinfo_numeric_and_named(loop, run_until):
    async def main():
        numeric = await loop.getaddrinfo("127.0.0.1", 80, type=socket.SOCK_STREAM)
        v6 = await loop.getaddrinfo("::1", "443", family=socket.AF_INET6,
                                    proto=socket.IPPROTO_TCP)
        named = await loop.getaddrinfo("localhost", None, family=socket.AF_INET)
        wildcard = await loop.getaddrinfo(None, 0, flags=socket.AI_PASSIVE,
                                          type=socket.SOCK_STREAM)
        info = await loop.getnameinfo(("127.0.0.1", 80),
                                      socket.NI_NUMERICHOST | socket.NI_NUMERICSERV)
        return numeric, v6, named, wildcard, info

    numeric, v6, named, wildcard, info = run_until(loop, main())
    assert numeric == socket.getaddrinfo("127.0.0.1", 80, type=socket.SOCK_STREAM)
    assert v6 == socket.getaddrinfo("::1", "443", socket.AF_INET6, 0, socket.IPPROTO_TCP)
    assert named == socket.getaddrinfo("localhost", None, socket.AF_INET)
    assert wildcard == socket.getaddrinfo(None, 0, 0, socket.SOCK_STREAM, 0,
                                          socket.AI_PASSIVE)
    assert info == ("127.0.0.1", "80")


def test_getaddrinfo_error_propagates(loop, run_until):
    async def main():
        with pytest.raises(socket.gaierror):
            await loop.getaddrinfo("127.0.0.1", "no-such-service-name")
        with pytest.raises(socket.gaierror):
            await loop.getaddrinfo("1.2.3.4", 80, family=socket.AF_INET6,
                                   flags=socket.AI_NUMERICHOST)

    run_until(loop, main())


@pytest.mark.cloop_only
def test_numeric_getaddrinfo_does_not_use_the_executor(loop, run_until):
    """asyncio resolves every address in the default executor; cloop resolves
    numeric ones at once (they cannot block) and only names in the executor."""
    import concurrent.futures

    class NoThreads(concurrent.futures.ThreadPoolExecutor):
        submitted = 0

        def submit(self, *args, **kwargs):
            NoThreads.submitted += 1
            return super().submit(*args, **kwargs)

    executor = NoThreads(max_workers=1)
    loop.set_default_executor(executor)

    async def main():
        await loop.getaddrinfo("127.0.0.1", 80)
        await loop.getaddrinfo("::1", "80", type=socket.SOCK_STREAM)
        await loop.getaddrinfo(b"10.0.0.1", None)
        assert NoThreads.submitted == 0
        await loop.getaddrinfo("localhost", 80)
        assert NoThreads.submitted == 1

    try:
        run_until(loop, main())
    finally:
        executor.shutdown(wait=True)


def test_cancelled_sock_sendall_releases_the_buffer(loop, pair, run_until):
    a, _ = pair
    data = bytearray(16 * 1024 * 1024)

    async def main():
        task = asyncio.ensure_future(loop.sock_sendall(a, data))
        await asyncio.sleep(0.01)
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
        await asyncio.sleep(0)
        data.clear()  # BufferError if a view of it were still held

    run_until(loop, main())
    assert data == b""


# --------------------------------------------------------------------------
# A sock_* wait is one-shot on cloop (EPOLLONESHOT, see csrc/poller.h): the
# kernel disables the registration as it reports the event. These hold on
# both loops: the loop re-enables a wait whose event found nothing to do,
# mixes one-shot and lasting watchers on one fd, and a registration left
# in the kernel never wakes a later watcher of the same fd number.


def test_sock_recv_whose_event_found_nothing_waits_again(loop, pair, run_until):
    a, b = pair
    stolen = []

    def steal():
        # Runs before the reader's callback in the iteration whose poll
        # reports `a` readable, and takes the data first.
        stolen.append(a.recv(100))
        loop.call_later(0.05, b.send, b"second")

    async def main():
        task = asyncio.ensure_future(loop.sock_recv(a, 100))
        await asyncio.sleep(0)
        b.send(b"first")
        loop.call_soon(steal)
        return await task

    assert run_until(loop, main(), timeout=10) == b"second"
    assert stolen == [b"first"]


def test_sock_recv_and_sendall_at_once_on_one_socket(loop, run_until):
    # Both directions wait on one fd: an event for one must not lose the
    # other's wait.
    a, b = socket.socketpair()
    a.setblocking(False)
    b.setblocking(False)
    a.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, 4096)
    b.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    payload = b"x" * (4 * 1024 * 1024)

    async def drain(sock, n):
        got = 0
        while got < n:
            chunk = await loop.sock_recv(sock, 65536)
            assert chunk
            got += len(chunk)
        return got

    async def main():
        with a, b:
            send = asyncio.ensure_future(loop.sock_sendall(a, payload))
            # `a` waits to read while it waits to write, many times over.
            replies = asyncio.ensure_future(drain(a, 30))
            got = sent = 0
            while got < len(payload):
                chunk = await loop.sock_recv(b, 65536)
                assert chunk
                got += len(chunk)
                if sent < 30:
                    await loop.sock_sendall(b, b"r")
                    sent += 1
            await loop.sock_sendall(b, b"r" * (30 - sent))
            await send
            return got, await replies

    got, replies = run_until(loop, main(), timeout=30)
    assert got == len(payload)
    assert replies == 30


def test_sock_recv_beside_a_lasting_writer(loop, pair, run_until):
    a, b = pair
    writable = []

    async def main():
        loop.add_writer(a.fileno(), writable.append, 1)
        first = asyncio.ensure_future(loop.sock_recv(a, 100))
        await asyncio.sleep(0.01)
        b.send(b"one")
        assert await first == b"one"
        assert writable  # the writer went on firing beside the wait
        assert loop.remove_writer(a.fileno()) is True
        second = asyncio.ensure_future(loop.sock_recv(a, 100))
        await asyncio.sleep(0.01)
        b.send(b"two")
        return await second

    assert run_until(loop, main(), timeout=10) == b"two"


def test_reader_of_a_reused_fd_number_after_sock_recv(loop, run_until):
    # sock_recv finishes on `old`, whose file stays open through a dup while
    # its number is closed and given to a new socket. The new socket's
    # reader sees its own data, and data on the old file wakes nobody.
    old, old_peer = socket.socketpair()
    old.setblocking(False)
    fired = []

    async def main():
        first = asyncio.ensure_future(loop.sock_recv(old, 10))
        await asyncio.sleep(0)  # waiting, so the fd is registered
        old_peer.send(b"x")
        assert await first == b"x"
        await asyncio.sleep(0)
        keep = old.dup()  # the old file outlives its fd number
        number = old.fileno()
        old.close()
        new, new_peer = socket.socketpair()
        if new.fileno() != number:
            # The number went elsewhere: move the new socket onto it.
            moved = socket.socket(fileno=os.dup2(new.fileno(), number))
            new.close()
            new = moved
        with keep, new, new_peer:
            new.setblocking(False)
            got = loop.create_future()

            def on_readable():
                try:
                    fired.append(new.recv(10))
                except BlockingIOError:
                    fired.append("woken for nothing")
                if not got.done():
                    got.set_result(None)

            loop.add_reader(number, on_readable)
            try:
                old_peer.send(b"stale")  # readable, on the old file only
                await asyncio.sleep(0.05)
                assert fired == []
                new_peer.send(b"fresh")
                await asyncio.wait_for(got, 5)
            finally:
                loop.remove_reader(number)
            return fired

    try:
        assert run_until(loop, main(), timeout=10) == [b"fresh"]
    finally:
        old_peer.close()
