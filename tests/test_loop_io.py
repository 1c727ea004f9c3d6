"""add_reader / remove_reader / add_writer / remove_writer on sockets, pipes and files."""

import asyncio
import errno
import gc
import os
import socket
import sys
import weakref

import pytest


class FileLike:
    """An object that is not a socket but has a fileno() method."""

    def __init__(self, fd):
        self._fd = fd

    def fileno(self):
        return self._fd


@pytest.fixture
def pair(loop):
    """A connected non-blocking socketpair; watchers are removed before it closes."""
    a, b = socket.socketpair()
    a.setblocking(False)
    b.setblocking(False)
    fds = (a.fileno(), b.fileno())
    yield a, b
    if not loop.is_closed():
        for fd in fds:
            loop.remove_reader(fd)
            loop.remove_writer(fd)
    a.close()
    b.close()


@pytest.fixture
def pipe(loop):
    """An os.pipe() (read end, write end); the test may close either end."""
    r, w = os.pipe()
    os.set_blocking(r, False)
    os.set_blocking(w, False)
    ends = {"r": r, "w": w}
    yield ends
    for fd in ends.values():
        if fd is not None:
            if not loop.is_closed():
                loop.remove_reader(fd)
                loop.remove_writer(fd)
            os.close(fd)


def fill_socket(sock):
    """Write until the kernel refuses more; returns the number of bytes written."""
    total = 0
    chunk = b"x" * 65536
    while True:
        try:
            total += sock.send(chunk)
        except BlockingIOError:
            return total


def drain_socket(sock):
    total = 0
    while True:
        try:
            data = sock.recv(65536)
        except BlockingIOError:
            return total
        if not data:
            return total
        total += len(data)


def test_add_reader_calls_back_with_args_when_readable(loop, pair, run_until):
    a, b = pair
    fut = loop.create_future()

    def on_readable(tag, sock):
        loop.remove_reader(sock.fileno())
        fut.set_result((tag, sock.recv(100)))

    assert loop.add_reader(a.fileno(), on_readable, "tag", a) is None
    b.send(b"hello")
    assert run_until(loop, fut) == ("tag", b"hello")


def test_remove_reader_return_values(loop, pair):
    a, b = pair
    assert loop.remove_reader(a.fileno()) is False
    loop.add_reader(a.fileno(), print)
    assert loop.remove_reader(a.fileno()) is True
    assert loop.remove_reader(a.fileno()) is False


def test_add_writer_calls_back_when_writable(loop, pair, run_until):
    a, b = pair
    fut = loop.create_future()

    def on_writable(tag):
        loop.remove_writer(a.fileno())
        fut.set_result(tag)

    assert loop.add_writer(a.fileno(), on_writable, "writable") is None
    assert run_until(loop, fut) == "writable"


def test_remove_writer_return_values(loop, pair):
    a, b = pair
    assert loop.remove_writer(a.fileno()) is False
    loop.add_writer(a.fileno(), print)
    assert loop.remove_writer(a.fileno()) is True
    assert loop.remove_writer(a.fileno()) is False


def test_reader_not_called_without_data_and_removed_reader_not_called(loop, pair, run_once):
    a, b = pair
    calls = []
    loop.add_reader(a.fileno(), calls.append, "read")
    run_once(loop)
    assert calls == []
    assert loop.remove_reader(a.fileno()) is True
    b.send(b"data")
    run_once(loop)
    assert calls == []


def test_reader_is_level_triggered(loop, pair, run_once):
    a, b = pair
    calls = []
    loop.add_reader(a.fileno(), calls.append, "read")
    b.send(b"unread")
    run_once(loop)
    run_once(loop)
    run_once(loop)
    # Data left unread keeps the fd readable: the reader runs every iteration.
    assert calls == ["read", "read", "read"]
    assert a.recv(100) == b"unread"
    run_once(loop)
    assert calls == ["read", "read", "read"]


def test_file_objects_are_accepted(loop, pair, run_until):
    a, b = pair
    fut = loop.create_future()

    def on_readable():
        fut.set_result(a.recv(100))

    assert loop.add_reader(a, on_readable) is None
    b.send(b"via socket object")
    assert run_until(loop, fut) == b"via socket object"
    # Registered through the object, removable through the fd and the other way round.
    assert loop.remove_reader(a.fileno()) is True
    assert loop.remove_reader(a) is False

    assert loop.add_writer(a.fileno(), print) is None
    assert loop.remove_writer(a) is True
    assert loop.remove_writer(a.fileno()) is False


def test_objects_with_a_fileno_method_are_accepted(loop, pair, run_until):
    a, b = pair
    fut = loop.create_future()
    wrapper = FileLike(a.fileno())
    loop.add_reader(wrapper, lambda: fut.set_result(a.recv(100)))
    b.send(b"via fileno()")
    assert run_until(loop, fut) == b"via fileno()"
    assert loop.remove_reader(wrapper) is True


def test_adding_a_reader_again_replaces_the_callback(loop, pair, run_until, run_once):
    a, b = pair
    calls = []
    fut = loop.create_future()

    def second():
        calls.append("second")
        a.recv(100)
        if not fut.done():
            fut.set_result(None)

    loop.add_reader(a.fileno(), calls.append, "first")
    loop.add_reader(a.fileno(), second)
    b.send(b"x")
    run_until(loop, fut)
    assert calls == ["second"]
    assert loop.remove_reader(a.fileno()) is True
    assert loop.remove_reader(a.fileno()) is False


def test_adding_a_writer_again_replaces_the_callback(loop, pair, run_once):
    a, b = pair
    calls = []
    loop.add_writer(a.fileno(), calls.append, "first")
    loop.add_writer(a, calls.append, "second")
    run_once(loop)
    assert calls == ["second"]
    assert loop.remove_writer(a.fileno()) is True
    assert loop.remove_writer(a.fileno()) is False


def test_reader_and_writer_on_one_fd_are_independent(loop, pair, run_once):
    a, b = pair
    calls = []
    loop.add_reader(a.fileno(), calls.append, "r")
    loop.add_writer(a.fileno(), calls.append, "w")
    b.send(b"data")
    run_once(loop)
    assert sorted(calls) == ["r", "w"]

    calls.clear()
    assert loop.remove_reader(a.fileno()) is True
    run_once(loop)
    assert calls == ["w"]

    calls.clear()
    loop.add_reader(a.fileno(), calls.append, "r")
    assert loop.remove_writer(a.fileno()) is True
    run_once(loop)
    assert calls == ["r"]
    assert loop.remove_reader(a.fileno()) is True
    assert loop.remove_writer(a.fileno()) is False


def test_writer_waits_until_the_socket_drains(loop, pair, run_once, run_until):
    a, b = pair
    fill_socket(a)
    fut = loop.create_future()
    calls = []

    def on_writable():
        calls.append("w")
        loop.remove_writer(a.fileno())
        fut.set_result(None)

    loop.add_writer(a.fileno(), on_writable)
    run_once(loop)
    assert calls == []
    loop.call_soon(drain_socket, b)
    run_until(loop, fut)
    assert calls == ["w"]


def test_reader_sees_peer_close(loop, pair, run_until):
    a, b = pair
    fut = loop.create_future()

    def on_readable():
        loop.remove_reader(a.fileno())
        fut.set_result(a.recv(100))

    loop.add_reader(a.fileno(), on_readable)
    b.shutdown(socket.SHUT_WR)
    assert run_until(loop, fut) == b""


def test_pipe_reader_and_writer(loop, pipe, run_until):
    r, w = pipe["r"], pipe["w"]
    got = loop.create_future()

    def on_writable():
        loop.remove_writer(w)
        os.write(w, b"through the pipe")

    def on_readable():
        loop.remove_reader(r)
        got.set_result(os.read(r, 100))

    loop.add_reader(r, on_readable)
    loop.add_writer(w, on_writable)
    assert run_until(loop, got) == b"through the pipe"


def test_pipe_reader_sees_hangup(loop, pipe, run_until):
    r = pipe["r"]
    fut = loop.create_future()

    def on_readable():
        loop.remove_reader(r)
        fut.set_result(os.read(r, 100))

    loop.add_reader(r, on_readable)
    loop.call_soon(os.close, pipe["w"])
    pipe["w"] = None
    assert run_until(loop, fut) == b""


def test_watchers_added_and_removed_from_callbacks(loop, pair, run_until):
    a, b = pair
    order = []
    done = loop.create_future()

    def on_b_readable():
        order.append("b-read")
        b.recv(100)
        loop.remove_reader(b.fileno())
        done.set_result(None)

    def on_a_writable():
        order.append("a-write")
        loop.remove_writer(a.fileno())
        loop.add_reader(b.fileno(), on_b_readable)
        a.send(b"ping")

    loop.add_writer(a.fileno(), on_a_writable)
    run_until(loop, done)
    assert order == ["a-write", "b-read"]


def test_many_fds(loop, run_until):
    pairs = [socket.socketpair() for _ in range(64)]
    try:
        seen = set()
        done = loop.create_future()

        def on_readable(i, sock):
            sock.recv(10)
            loop.remove_reader(sock.fileno())
            seen.add(i)
            if len(seen) == len(pairs) and not done.done():
                done.set_result(None)

        for i, (x, y) in enumerate(pairs):
            x.setblocking(False)
            loop.add_reader(x.fileno(), on_readable, i, x)
        for _, y in reversed(pairs):
            y.send(b"!")
        run_until(loop, done)
        assert seen == set(range(len(pairs)))
    finally:
        for x, y in pairs:
            loop.remove_reader(x.fileno())
            x.close()
            y.close()


@pytest.mark.parametrize("method", ["add_reader", "add_writer", "remove_reader", "remove_writer"])
@pytest.mark.parametrize(
    "bad", [-1, -5, FileLike(-1)], ids=["minus1", "minus5", "fileno-minus1"]
)
def test_invalid_fd_is_a_value_error(loop, method, bad):
    args = (print,) if method.startswith("add") else ()
    with pytest.raises(ValueError, match="Invalid file descriptor: -[0-9]"):
        getattr(loop, method)(bad, *args)


@pytest.mark.parametrize("method", ["add_reader", "add_writer", "remove_reader", "remove_writer"])
@pytest.mark.parametrize("bad", [object(), None, "x", 1.5], ids=["object", "None", "str", "float"])
def test_object_without_fileno_is_a_value_error(loop, method, bad):
    args = (print,) if method.startswith("add") else ()
    with pytest.raises(ValueError, match="Invalid file object: "):
        getattr(loop, method)(bad, *args)


def test_closed_socket_object_is_a_value_error(loop):
    a, b = socket.socketpair()
    a.close()
    b.close()
    with pytest.raises(ValueError, match="Invalid file descriptor: -1"):
        loop.add_reader(a, print)
    with pytest.raises(ValueError, match="Invalid file descriptor: -1"):
        loop.add_writer(a, print)


def test_closed_fd_is_an_os_error(loop):
    a, b = socket.socketpair()
    fd = a.fileno()
    a.close()
    try:
        with pytest.raises(OSError) as info:
            loop.add_reader(fd, print)
        assert info.value.errno == errno.EBADF
        # Nothing was registered.
        assert loop.remove_reader(fd) is False
    finally:
        b.close()


@pytest.mark.parametrize("which", ["reader", "writer"])
def test_socket_closed_while_watched_is_removed_by_identity(loop, which):
    # anyio closes a socket this way when aclose() interrupts a receive:
    # the selector finds the closed socket (fileno() -1) by identity.
    add, remove = getattr(loop, f"add_{which}"), getattr(loop, f"remove_{which}")
    a, b = socket.socketpair()
    add(a, print)
    ref = weakref.ref(a)
    a.close()
    assert remove(a) is True
    # Nothing stale is left behind: a second removal finds nothing ...
    with pytest.raises(ValueError, match="Invalid file descriptor: -1"):
        remove(a)
    # ... and the loop no longer holds the socket.
    del a
    gc.collect()
    assert ref() is None
    b.close()


def test_private_remove_reader_finds_a_closed_socket(loop):
    a, b = socket.socketpair()
    loop._add_reader(a, print)
    a.close()
    assert loop._remove_reader(a) is True
    b.close()


def test_closed_socket_watched_both_ways_is_dropped_with_an_os_error(loop):
    # Removing one direction modifies the registration of a closed fd: the
    # selector raises EBADF and forgets the fd, both directions.
    a, b = socket.socketpair()
    loop.add_reader(a, print)
    loop.add_writer(a, print)
    a.close()
    with pytest.raises(OSError) as info:
        loop.remove_reader(a)
    assert info.value.errno == errno.EBADF
    with pytest.raises(ValueError, match="Invalid file descriptor: -1"):
        loop.remove_writer(a)
    b.close()


def test_socket_watched_by_its_number_is_not_found_once_closed(loop):
    # The registration remembers what named the fd first: an int here.
    a, b = socket.socketpair()
    fd = a.fileno()
    loop.add_reader(fd, print)
    loop.add_writer(a, print)
    a.close()
    b.close()
    with pytest.raises(ValueError, match="Invalid file descriptor: -1"):
        loop.remove_writer(a)
    with pytest.raises(OSError):  # the writer stays: a closed fd's modify
        loop.remove_reader(fd)
    assert loop.remove_writer(fd) is False


def test_regular_file_cannot_be_watched(loop, tmp_path):
    # epoll refuses regular files; the loop reports it as asyncio does.
    path = tmp_path / "regular"
    path.write_bytes(b"data")
    with open(path, "rb") as f:
        with pytest.raises(PermissionError):
            loop.add_reader(f, print)
        with pytest.raises(PermissionError):
            loop.add_reader(f.fileno(), print)
        assert loop.remove_reader(f) is False


def test_closed_loop_refuses_watchers(loop, pair):
    a, b = pair
    loop.close()
    with pytest.raises(RuntimeError, match="^Event loop is closed$"):
        loop.add_reader(a.fileno(), print)
    with pytest.raises(RuntimeError, match="^Event loop is closed$"):
        loop.add_writer(a, print)
    assert loop.remove_reader(a.fileno()) is False
    assert loop.remove_writer(a) is False


def test_reader_exception_goes_to_the_exception_handler(loop, pair, run_until):
    a, b = pair
    contexts = []
    done = loop.create_future()

    def bad_reader():
        a.recv(100)
        # Removed later: removing cancels the handle, which forgets its callback.
        loop.call_soon(loop.remove_reader, a.fileno())
        loop.call_soon(done.set_result, None)
        raise ZeroDivisionError("in reader")

    loop.set_exception_handler(lambda lp, ctx: contexts.append((ctx, repr(ctx["handle"]))))
    loop.add_reader(a.fileno(), bad_reader)
    b.send(b"x")
    run_until(loop, done)
    assert len(contexts) == 1
    ctx, handle_repr = contexts[0]
    assert isinstance(ctx["exception"], ZeroDivisionError)
    assert ctx["message"].startswith("Exception in callback ")
    assert "bad_reader" in ctx["message"]
    assert "bad_reader" in handle_repr


def test_removing_a_watcher_releases_its_arguments(loop, pair):
    a, b = pair

    class Token:
        pass

    token = Token()
    ref = weakref.ref(token)
    loop.add_reader(a.fileno(), print, token)
    loop.add_writer(a.fileno(), print, token)
    del token
    assert loop.remove_reader(a.fileno()) is True
    assert ref() is not None
    assert loop.remove_writer(a.fileno()) is True
    assert ref() is None


def test_replacing_a_watcher_releases_the_old_arguments(loop, pair):
    a, b = pair

    class Token:
        pass

    token = Token()
    ref = weakref.ref(token)
    loop.add_reader(a.fileno(), print, token)
    del token
    loop.add_reader(a.fileno(), print)
    assert ref() is None


@pytest.mark.parametrize("fd", [2**30 + 5, 10**9, 50_000_000, 2**31 - 1])
@pytest.mark.parametrize("method", ["add_reader", "add_writer"])
def test_huge_fd_that_is_not_open_is_refused_at_once(loop, fd, method):
    """asyncio's selector asks the kernel first: EBADF, and no table grows
    to that size (cloop once looped forever or allocated gigabytes)."""
    class FileLike:
        def fileno(self):
            return fd

    for target in (fd, FileLike()):
        with pytest.raises(OSError) as info:
            getattr(loop, method)(target, lambda: None)
        assert info.value.errno == errno.EBADF


def test_private_add_reader_takes_a_context_from_315(loop, run_until):
    import contextvars

    var = contextvars.ContextVar("var", default="default")
    ctx = contextvars.copy_context()
    ctx.run(var.set, "in context")
    r, w = socket.socketpair()
    try:
        if sys.version_info < (3, 15):
            with pytest.raises(TypeError):
                loop._add_reader(r.fileno(), lambda: None, context=ctx)
            return
        seen = loop.create_future()

        def on_readable():
            loop._remove_reader(r.fileno())
            seen.set_result(var.get())

        loop._add_reader(r.fileno(), on_readable, context=ctx)
        w.send(b"x")
        assert run_until(loop, seen) == "in context"
    finally:
        r.close()
        w.close()


@pytest.mark.cloop_only
def test_reader_replaced_on_a_reused_fd_number_gets_events(loop, run_until):
    # The old socket is closed without remove_reader, and a new one gets its
    # number: replacing the reader registers the new file. (asyncio's
    # selector thinks the fd registered and waits forever; uvloop delivers.)
    old, peer = socket.socketpair()
    fd = old.fileno()
    loop.add_reader(fd, print)
    old.close()
    peer.close()
    a, b = socket.socketpair()
    if a.fileno() != fd:  # the lowest free number: fd, unless taken meanwhile
        a, b = b, a
    assert a.fileno() == fd
    try:
        fut = loop.create_future()
        loop.add_reader(a, lambda: fut.done() or fut.set_result(a.recv(10)))
        b.send(b"new")
        assert run_until(loop, asyncio.wait_for(fut, 5)) == b"new"
        assert loop.remove_reader(a) is True
    finally:
        a.close()
        b.close()
