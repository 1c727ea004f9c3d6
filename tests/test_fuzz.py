"""A seeded fuzzer over the loop, Future/Task, transport and sock_* APIs.

Each case is one call with arguments drawn from a pool of hostile values
(wrong types, NaN, huge and negative numbers, closed and never-open fds,
objects whose fileno/__index__/__float__/__eq__/__del__ misbehave or
re-enter the loop), now and then a turn of the loop, and a peer that
writes random chunks, half-closes or resets. A case passes when the call
returns or raises an ordinary Python exception. It fails on SystemError
(a C function that returned an error without setting one, or the reverse),
on anything raised that is not an Exception, on an unraisable SystemError,
and on a hang: faulthandler ends the process with every thread's stack if
the run exceeds its time. A crash or a sanitizer report (the suite's
scripts/asan.sh run) ends the process itself.

The seed and the number of cases come from CLOOP_FUZZ_SEED and
CLOOP_FUZZ_CASES (defaults below), so a failure is replayed exactly; the
failing case's description is in the assertion message.
"""
import asyncio
import faulthandler
import gc
import math
import os
import random
import socket
import sys

import pytest

from leakcheck import no_leaks  # noqa: F401 (autouse fixture)

SEED = int(os.environ.get("CLOOP_FUZZ_SEED", "20261202"))
CASES = int(os.environ.get("CLOOP_FUZZ_CASES", "10000"))
# The whole run's limit: a hang ends the process with a traceback.
HANG_SECONDS = 240

pytestmark = pytest.mark.cloop_only


class Hostile:
    """Values and objects that misbehave in the ways C code forgets."""

    def __init__(self, rng, loop, sockets):
        self.rng = rng
        self.loop = loop
        self.sockets = sockets

    def number(self):
        return self.rng.choice([
            0, 1, -1, 2, 64, 2**31 - 1, 2**31, 2**32 + 5, 2**63 - 1, 2**63,
            -2**63, 10**30, -10**30, 0.0, -0.0, 0.5, 1e-300, 1e300,
            float("nan"), float("inf"), float("-inf"), True, BadIndex(),
            BadFloat(), NanFloat()])

    def fd_like(self):
        return self.rng.choice([
            -1, -2**31, 2**31 - 1, 2**30 + 5, 10**9, 50_000_000, 10**30,
            1.5, float("nan"), "0", None, object(), BadFileno(),
            FilenoReturns(-1), FilenoReturns(2**40), FilenoReturns("x"),
            FilenoReturns(None), self.closed_socket(), self.open_socket(),
            self.open_socket().fileno()])

    def data(self):
        return self.rng.choice([
            b"", b"x", b"y" * self.rng.randrange(1, 70_000), bytearray(b"ab"),
            memoryview(b"abcdef")[1:4], memoryview(bytearray(b"abcdef"))[::2],
            memoryview(b"abcd").cast("B", (2, 2)), "text", None, 5,
            [b"a", b"b"], (b"a", "b"), iter([b"c"]), object(), BadBuffer()])

    def callback(self):
        loop = self.loop
        return self.rng.choice([
            lambda *a: None, lambda *a: 1 / 0, lambda *a: loop.stop(),
            lambda *a: loop.call_soon(lambda: None),
            lambda *a: loop.call_later(-1, lambda: None),
            lambda *a: loop.run_until_complete(asyncio.sleep(0)),
            lambda *a: loop.remove_reader(a[0] if a else 0),
            lambda *a: loop.call_exception_handler({}),
            lambda *a: gc.collect(), ReentersOnDel(loop),
            None, 5, "not callable", print])

    def anything(self):
        kind = self.rng.randrange(4)
        return [self.number, self.fd_like, self.data, self.callback][kind]()

    def open_socket(self):
        a, b = socket.socketpair()
        a.setblocking(False)
        b.setblocking(False)
        self.sockets += [a, b]
        return a

    def closed_socket(self):
        s = socket.socket()
        s.close()
        return s


class BadIndex:
    def __index__(self):
        raise ZeroDivisionError("index")

    def __int__(self):
        raise ZeroDivisionError("int")


class BadFloat:
    def __float__(self):
        raise ZeroDivisionError("float")


class NanFloat:
    def __float__(self):
        return math.nan


class BadFileno:
    def fileno(self):
        raise ZeroDivisionError("fileno")

    def __eq__(self, other):
        raise ZeroDivisionError("eq")

    __hash__ = object.__hash__


class FilenoReturns:
    def __init__(self, value):
        self.value = value

    def fileno(self):
        return self.value


class BadBuffer:
    def __buffer__(self, flags):
        raise ZeroDivisionError("buffer")

    def __len__(self):
        return 3


class ReentersOnDel:
    """A callable whose destruction runs loop methods (a __del__ that
    re-enters while C code is releasing a reference)."""

    def __init__(self, loop):
        self.loop = loop

    def __call__(self, *args):
        return None

    def __del__(self):
        if not self.loop.is_closed():
            self.loop.call_soon(lambda: None)
            self.loop.remove_reader(0)


class Misbehaving(asyncio.Protocol):
    """A protocol whose callbacks now and then raise or close."""

    def __init__(self, rng, transports):
        self.rng = rng
        self.transports = transports  # every transport made, for clean-up
        self.transport = None

    def _maybe(self):
        r = self.rng.random()
        if r < 0.1:
            raise ValueError("protocol callback fails")
        if r < 0.15 and self.transport is not None:
            self.transport.close()

    def connection_made(self, transport):
        self.transport = transport
        self.transports.append(transport)
        self._maybe()

    def data_received(self, data):
        self._maybe()

    def eof_received(self):
        self._maybe()
        return self.rng.random() < 0.5

    def pause_writing(self):
        self._maybe()

    def resume_writing(self):
        self._maybe()

    def connection_lost(self, exc):
        self.transport = None


class Fuzzer:
    def __init__(self, loop, seed, transports):
        self.rng = random.Random(seed)
        self.loop = loop
        self.sockets = []
        # Shared by the fuzzers of a run: a connection that a stopped run
        # left pending may be made after its fuzzer cleaned up.
        self.transports = transports
        self.given = []  # sockets handed to create_connection
        self.futures = []
        self.h = Hostile(self.rng, loop, self.sockets)

    # Each op makes one call; its arguments come from the hostile pool.
    def op_call_soon(self):
        self.loop.call_soon(self.h.callback(), *self.args())

    def op_call_later(self):
        self.loop.call_later(self.h.number(), self.h.callback())

    def op_call_at(self):
        self.loop.call_at(self.h.number(), self.h.callback())

    def op_add_reader(self):
        self.loop.add_reader(self.h.fd_like(), self.h.callback(), *self.args())

    def op_add_writer(self):
        self.loop.add_writer(self.h.fd_like(), self.h.callback())

    def op_remove(self):
        fd = self.h.fd_like()
        self.rng.choice([self.loop.remove_reader, self.loop.remove_writer])(fd)

    def op_future(self):
        fut = self.loop.create_future()
        self.futures.append(fut)
        action = self.rng.randrange(6)
        if action == 0:
            fut.set_result(self.h.anything())
        elif action == 1:
            fut.set_exception(self.rng.choice(
                [ValueError("x"), ValueError, StopIteration, 5, None, object]))
        elif action == 2:
            fut.cancel(msg=self.h.anything())
        elif action == 3:
            fut.add_done_callback(self.h.callback(), context=self.h.anything())
        elif action == 4:
            fut.remove_done_callback(self.h.anything())
        else:
            fut.result()

    def op_task(self):
        async def body(x):
            await asyncio.sleep(0)
            if self.rng.random() < 0.3:
                raise ValueError(x)
            return x

        coro = self.rng.choice([body, lambda x: x])(self.h.anything())
        try:
            task = self.loop.create_task(coro, name=self.h.anything())
        except BaseException:
            if asyncio.iscoroutine(coro):
                coro.close()
            raise
        self.futures.append(task)
        if self.rng.random() < 0.5:
            task.cancel(self.h.anything())
        if self.rng.random() < 0.2:
            task.uncancel()

    def op_sock(self):
        sock = self.rng.choice([self.h.open_socket(), self.h.closed_socket(),
                                self.h.fd_like()])
        which = self.rng.randrange(4)
        if which == 0:
            aw = self.loop.sock_recv(sock, self.h.number())
        elif which == 1:
            aw = self.loop.sock_sendall(sock, self.h.data())
        elif which == 2:
            aw = self.loop.sock_recv_into(sock, self.h.data())
        else:
            aw = self.loop.sock_connect(sock, self.rng.choice(
                [("127.0.0.1", 1), ("256.0.0.1", 0), None, "x", ("::1",)]))
        self.futures.append(asyncio.ensure_future(aw, loop=self.loop))

    def op_transport(self):
        if not self.transports or self.rng.random() < 0.2:
            a = self.h.open_socket()
            self.sockets.remove(a)  # the transport's, or closed at clean-up
            self.given.append(a)
            # The protocol records its transport: a run that a callback
            # stops may leave the connection to finish later.
            self.loop.run_until_complete(self.loop.create_connection(
                lambda: Misbehaving(self.rng, self.transports), sock=a))
            return
        t = self.rng.choice(self.transports)
        action = self.rng.randrange(8)
        if action == 0:
            t.write(self.h.data())
        elif action == 1:
            t.writelines(self.h.data())
        elif action == 2:
            t.set_write_buffer_limits(self.h.number(), self.h.number())
        elif action == 3:
            self.rng.choice([t.pause_reading, t.resume_reading])()
        elif action == 4:
            t.write_eof()
        elif action == 5:
            self.rng.choice([t.close, t.abort])()
        elif action == 6:
            t.get_extra_info(self.h.anything(), self.h.anything())
        else:
            t.set_protocol(self.rng.choice(
                [Misbehaving(self.rng, self.transports), None, object()]))

    def op_peer(self):
        """The other end of a socketpair misbehaves."""
        if not self.sockets:
            return
        s = self.rng.choice(self.sockets)
        if s.fileno() < 0:
            return
        action = self.rng.randrange(4)
        if action == 0:
            try:
                s.send(os.urandom(self.rng.randrange(1, 100_000)))
            except OSError:
                pass
        elif action == 1:
            s.shutdown(self.rng.choice([socket.SHUT_RD, socket.SHUT_WR]))
        elif action == 2:  # a reset: SO_LINGER 0 then close
            s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER,
                         b"\x01\x00\x00\x00\x00\x00\x00\x00")
            s.close()
        else:
            s.close()

    def op_loop_settings(self):
        which = self.rng.randrange(4)
        if which == 0:
            self.loop.set_debug(self.h.anything())
        elif which == 1:
            self.loop.slow_callback_duration = self.h.number()
        elif which == 2:
            self.loop.set_task_factory(self.rng.choice([None, 5, print]))
            self.loop.set_task_factory(None)
        else:
            self.loop.set_exception_handler(self.rng.choice(
                [None, 5, lambda l, c: None]))
            self.loop.set_exception_handler(lambda l, c: None)

    def op_turn(self):
        """One turn of the loop, bounded, with whatever is pending."""
        self.loop.call_soon(self.loop.stop)
        self.loop.run_forever()

    def args(self):
        return [self.h.anything() for _ in range(self.rng.randrange(3))]

    OPS = ["op_call_soon", "op_call_later", "op_call_at", "op_add_reader",
           "op_add_writer", "op_remove", "op_future", "op_task", "op_sock",
           "op_transport", "op_peer", "op_loop_settings", "op_turn",
           "op_turn"]

    def run_case(self, i):
        name = self.rng.choice(self.OPS)
        try:
            getattr(self, name)()
        except SystemError as exc:
            raise AssertionError(f"case {i} ({name}): SystemError {exc!r}")
        except Exception:
            pass  # an ordinary, clear Python exception
        except BaseException as exc:
            raise AssertionError(f"case {i} ({name}): raised {exc!r}")
        return name

    def clean_up(self):
        for t in self.transports:
            t.abort()
        for f in self.futures:
            f.cancel()
        for _ in range(3):
            try:
                self.op_turn()
            except Exception:
                pass
        for s in self.sockets + self.given:
            s.close()
        # Captured log records may hold frames that hold this fuzzer: keep
        # nothing alive through it.
        self.futures.clear()
        self.sockets.clear()
        self.given.clear()


def test_fuzz_the_loop_with_hostile_calls(loop):
    unraisable = []
    old_hook = sys.unraisablehook
    sys.unraisablehook = unraisable.append
    loop.set_exception_handler(lambda l, c: None)
    faulthandler.dump_traceback_later(HANG_SECONDS, exit=True)
    transports = []
    fuzzer = Fuzzer(loop, SEED, transports)
    counts = {}
    try:
        for i in range(CASES):
            name = fuzzer.run_case(i)
            counts[name] = counts.get(name, 0) + 1
            if i % 50 == 49:  # keep the pools from growing without bound
                fuzzer.clean_up()
                fuzzer = Fuzzer(loop, fuzzer.rng.random(), transports)
        fuzzer.clean_up()
        # The loop still works after all of it.
        assert loop.run_until_complete(asyncio.sleep(0, "alive")) == "alive"
    finally:
        faulthandler.cancel_dump_traceback_later()
        sys.unraisablehook = old_hook
        transports.clear()
    # Only the messages: the hook's records hold frames that hold the
    # fuzzer's objects, which the suite's leak check wants gone.
    bad = [repr(u.exc_value) for u in unraisable
           if isinstance(u.exc_value, SystemError)]
    unraisable.clear()
    assert not bad, f"unraisable SystemError: {bad[0]}"
    print(f"fuzz: seed {SEED}, {CASES} cases: {counts}")
