"""connect_read_pipe / connect_write_pipe on pipes, FIFOs, socketpairs and ttys."""

import asyncio
import errno
import gc
import os
import pty
import socket
import time
import tty

import pytest

from leakcheck import no_leaks  # noqa: F401 (autouse fixture)

TIMEOUT = 60  # generous: only keeps a broken loop from hanging the run




@pytest.fixture
def run(loop, run_until):
    def run(coro):
        return run_until(loop, asyncio.wait_for(coro, TIMEOUT), timeout=TIMEOUT + 10)
    return run


@pytest.fixture
def fds():
    """Descriptors a test opens with os.*; closed at teardown unless already gone."""
    opened = []
    yield opened
    for fd in opened:
        try:
            os.close(fd)
        except OSError:
            pass


def pipe(fds):
    r, w = os.pipe()
    fds += [r, w]
    return r, w


class Recorder(asyncio.Protocol):
    """Records everything a read or write pipe transport tells its protocol."""

    def __init__(self, loop):
        self.data = bytearray()
        self.events = []
        self.lost = loop.create_future()
        self.transport = None

    def connection_made(self, transport):
        self.transport = transport
        self.events.append("connection_made")

    def data_received(self, data):
        assert self.events[0] == "connection_made"
        self.data += data

    def eof_received(self):
        self.events.append("eof_received")

    def pause_writing(self):
        self.events.append("pause_writing")

    def resume_writing(self):
        self.events.append("resume_writing")

    def connection_lost(self, exc):
        self.events.append("connection_lost")
        self.lost.set_result(exc)


# ---------------------------------------------------------------------------
# Reading


def test_read_pipe_with_a_stream_reader(loop, run, fds):
    r, w = pipe(fds)

    async def main():
        reader = asyncio.StreamReader()
        transport, _ = await loop.connect_read_pipe(
            lambda: asyncio.StreamReaderProtocol(reader), open(r, "rb", buffering=0))
        fds.remove(r)  # the transport owns it now
        os.write(w, b"line one\nline two\n")
        assert await reader.readline() == b"line one\n"
        assert await reader.readline() == b"line two\n"
        os.write(w, b"tail")
        os.close(w)
        fds.remove(w)
        assert await reader.read() == b"tail"
        assert reader.at_eof()
        return transport.is_closing()

    assert run(main()) is True


def test_read_pipe_protocol_sees_eof_then_connection_lost(loop, run, fds):
    r, w = pipe(fds)

    async def main():
        pipe_obj = open(r, "rb", buffering=0)
        fds.remove(r)
        transport, proto = await loop.connect_read_pipe(lambda: Recorder(loop), pipe_obj)
        assert transport.get_extra_info("pipe") is pipe_obj
        assert proto.events == ["connection_made"]
        assert transport.is_reading()
        os.write(w, b"data")
        os.close(w)
        fds.remove(w)
        exc = await proto.lost
        assert pipe_obj.closed
        return exc, bytes(proto.data), proto.events

    assert run(main()) == (None, b"data",
                           ["connection_made", "eof_received", "connection_lost"])


def test_read_pipe_pause_and_resume(loop, run, fds):
    r, w = pipe(fds)

    async def main():
        transport, proto = await loop.connect_read_pipe(
            lambda: Recorder(loop), open(r, "rb", buffering=0))
        fds.remove(r)
        transport.pause_reading()
        assert not transport.is_reading()
        os.write(w, b"held")
        for _ in range(10):
            await asyncio.sleep(0)
        assert proto.data == b""  # paused: nobody read it
        transport.resume_reading()
        assert transport.is_reading()
        while not proto.data:
            await asyncio.sleep(0.001)
        transport.close()
        await proto.lost
        return bytes(proto.data)

    assert run(main()) == b"held"


def test_read_pipe_close_before_eof(loop, run, fds):
    r, w = pipe(fds)

    async def main():
        transport, proto = await loop.connect_read_pipe(
            lambda: Recorder(loop), open(r, "rb", buffering=0))
        fds.remove(r)
        transport.close()
        assert transport.is_closing()
        return await proto.lost, proto.events

    assert run(main()) == (None, ["connection_made", "connection_lost"])


def test_large_transfer_through_a_pipe(loop, run, fds):
    """A write pipe and a read pipe on the same loop, with flow control."""
    r, w = pipe(fds)
    payload = os.urandom(8 * 1024 * 1024)

    async def main():
        rt, rproto = await loop.connect_read_pipe(
            lambda: Recorder(loop), open(r, "rb", buffering=0))
        fds.remove(r)
        wt, wproto = await loop.connect_write_pipe(
            lambda: Recorder(loop), open(w, "wb", buffering=0))
        fds.remove(w)
        wt.set_write_buffer_limits(high=64 * 1024)
        view = memoryview(payload)
        for i in range(0, len(payload), 1024 * 1024):
            wt.write(view[i:i + 1024 * 1024])
        assert wt.get_write_buffer_size() > 0
        assert "pause_writing" in wproto.events
        wt.close()  # flushes the buffer, then closes
        assert await wproto.lost is None
        assert await rproto.lost is None
        assert "resume_writing" in wproto.events
        return bytes(rproto.data)

    assert run(main()) == payload


# ---------------------------------------------------------------------------
# Writing


def test_write_pipe_with_a_stream_writer(loop, run, fds):
    r, w = pipe(fds)

    async def main():
        reader = asyncio.StreamReader()
        transport, proto = await loop.connect_write_pipe(
            lambda: asyncio.StreamReaderProtocol(reader), open(w, "wb", buffering=0))
        fds.remove(w)
        writer = asyncio.StreamWriter(transport, proto, reader, loop)
        writer.write(b"hello ")
        writer.writelines([b"pipe", b"\n"])
        await writer.drain()
        assert writer.can_write_eof()
        writer.close()
        await writer.wait_closed()
        return os.read(r, 100)

    assert run(main()) == b"hello pipe\n"


def test_write_pipe_notices_the_reader_going_away(loop, run, fds):
    r, w = pipe(fds)

    async def main():
        transport, proto = await loop.connect_write_pipe(
            lambda: Recorder(loop), open(w, "wb", buffering=0))
        fds.remove(w)
        os.close(r)
        fds.remove(r)
        exc = await proto.lost
        assert transport.is_closing()
        return exc

    assert run(main()) is None


def test_write_after_the_reader_is_gone(loop, run, fds):
    r, w = pipe(fds)

    async def main():
        transport, proto = await loop.connect_write_pipe(
            lambda: Recorder(loop), open(w, "wb", buffering=0))
        fds.remove(w)
        os.close(r)
        fds.remove(r)
        transport.write(b"x")  # EPIPE: the transport is closed with the error
        return await proto.lost

    exc = run(main())
    assert exc is None or isinstance(exc, BrokenPipeError)


def test_write_pipe_abort_drops_the_buffer(loop, run, fds):
    r, w = pipe(fds)

    async def main():
        transport, proto = await loop.connect_write_pipe(
            lambda: Recorder(loop), open(w, "wb", buffering=0))
        fds.remove(w)
        transport.write(b"x" * (4 * 1024 * 1024))
        assert transport.get_write_buffer_size() > 0
        transport.abort()
        assert transport.get_write_buffer_size() == 0
        return await proto.lost

    assert run(main()) is None


# ---------------------------------------------------------------------------
# Other kinds of pipe


def test_fifo(loop, run, tmp_path):
    path = tmp_path / "fifo"
    os.mkfifo(path)

    async def main():
        rfile = open(os.open(path, os.O_RDONLY | os.O_NONBLOCK), "rb", buffering=0)
        wfile = open(os.open(path, os.O_WRONLY | os.O_NONBLOCK), "wb", buffering=0)
        rt, rproto = await loop.connect_read_pipe(lambda: Recorder(loop), rfile)
        wt, wproto = await loop.connect_write_pipe(lambda: Recorder(loop), wfile)
        wt.write(b"through the fifo")
        wt.close()
        assert await wproto.lost is None
        assert await rproto.lost is None
        return bytes(rproto.data), rfile.closed, wfile.closed

    assert run(main()) == (b"through the fifo", True, True)


def test_socketpair_as_pipes(loop, run):
    a, b = socket.socketpair()

    async def main():
        rt, rproto = await loop.connect_read_pipe(lambda: Recorder(loop), a)
        wt, wproto = await loop.connect_write_pipe(lambda: Recorder(loop), b)
        wt.write(b"over a socket")
        wt.close()
        assert await wproto.lost is None
        assert await rproto.lost is None
        return bytes(rproto.data)

    try:
        assert run(main()) == b"over a socket"
    finally:
        a.close()
        b.close()


def test_pty_both_directions(loop, run, fds):
    master, slave = pty.openpty()
    fds += [master, slave]
    tty.setraw(slave)  # no echo, no newline translation

    async def main():
        mfile = open(master, "rb", buffering=0)
        fds.remove(master)
        rt, rproto = await loop.connect_read_pipe(lambda: Recorder(loop), mfile)
        wt, wproto = await loop.connect_write_pipe(
            lambda: Recorder(loop), open(os.dup(master), "wb", buffering=0))
        # slave -> master
        os.write(slave, b"from the slave")
        while len(rproto.data) < 14:
            await asyncio.sleep(0.001)
        # master -> slave
        wt.write(b"to the slave")
        got = b""
        while len(got) < 12:
            try:
                got += os.read(slave, 100)
            except BlockingIOError:
                await asyncio.sleep(0.001)
        wt.close()
        assert await wproto.lost is None
        # Closing the slave makes reads on the master fail with EIO: the
        # read transport closes quietly.
        os.close(slave)
        fds.remove(slave)
        exc = await rproto.lost
        return bytes(rproto.data), got, exc

    os.set_blocking(slave, False)
    data, got, exc = run(main())
    assert data == b"from the slave"
    assert got == b"to the slave"
    assert exc is None or (isinstance(exc, OSError) and exc.errno == errno.EIO)


def test_regular_files_are_refused(loop, run, tmp_path):
    path = tmp_path / "file"
    path.write_bytes(b"x")

    async def main():
        with open(path, "rb") as f:
            with pytest.raises(ValueError, match="Pipe transport is"):
                await loop.connect_read_pipe(asyncio.Protocol, f)
        with open(path, "wb") as f:
            with pytest.raises(ValueError, match="Pipe transport is"):
                await loop.connect_write_pipe(asyncio.Protocol, f)
        return "ok"

    assert run(main()) == "ok"

