"""Unix signal handlers on cloop's loop: add/remove_signal_handler.

SignalMixin is a base of cloop.Loop. It owns one non-blocking socketpair per
loop, created when the first handler is added and closed with the loop.
Python's own C-level signal handler writes the signal number into the write
end (signal.set_wakeup_fd); the loop watches the read end like any other fd,
and each signal number read queues the registered callback with call_soon.
The Python-level handler installed for the signal does nothing: it only
makes Python write to the wakeup fd, as asyncio does.

The rules are asyncio's (Lib/asyncio/unix_events.py): only the main thread
may add handlers (RuntimeError), uncatchable signals such as SIGKILL and
SIGSTOP are refused (RuntimeError), an invalid number raises ValueError, a
coroutine callback raises TypeError; removing a handler restores SIG_DFL
(default_int_handler for SIGINT), and close() removes every handler.

Ownership: the socketpair belongs to the loop and is closed only by
_close_signals(). The registered callbacks are kept as asyncio.Handle
objects (so the contextvars context is the one current at registration);
they are never put on the ready queue themselves.
"""
import errno
import functools
import os
import signal
import socket
import sys
import warnings
import weakref
from asyncio import coroutines, events

from . import _compat
from asyncio.log import logger

# Loops whose socket is, or may be, the process's wakeup fd (see _after_fork).
_wakeup_loops = weakref.WeakSet()


def _sighandler_noop(signum, frame):
    """The Python-level handler: the wakeup fd does the work."""


def _wakeup_fd_off():
    """set_wakeup_fd(-1), logged rather than raised, as asyncio does."""
    try:
        signal.set_wakeup_fd(-1)
    except (ValueError, OSError) as exc:
        logger.info("set_wakeup_fd(-1) failed: %s", exc)


class SignalMixin:
    """add_signal_handler/remove_signal_handler of cloop.Loop."""

    __slots__ = ()

    # Created on first use: cloop.Loop.__init__ is not this mixin's.
    @functools.cached_property
    def _signal_handlers(self):
        return {}

    _signal_socks = None  # (read end, write end) while the loop has one

    # -- public API ------------------------------------------------------

    def add_signal_handler(self, sig, callback, *args):
        """Add a handler for a signal. UNIX only.

        Raise ValueError if the signal number is invalid or uncatchable.
        Raise RuntimeError if there is a problem setting up the handler.
        """
        if (coroutines.iscoroutine(callback)
                or _compat.iscoroutinefunction(callback)):
            raise TypeError("coroutines cannot be used "
                            "with add_signal_handler()")
        self._check_signal(sig)
        self._check_closed()
        wsock = self._signal_wakeup_sock()
        try:
            # Refuses any thread but the main one: asking first means a loop
            # running in another thread cannot install a handler at all.
            signal.set_wakeup_fd(wsock.fileno())
        except (ValueError, OSError) as exc:
            raise RuntimeError(str(exc))
        _wakeup_loops.add(self)

        handlers = self._signal_handlers
        handlers[sig] = events.Handle(callback, args, self, None)
        try:
            signal.signal(sig, _sighandler_noop)
            # SA_RESTART: fewer EINTRs for the rest of the program.
            signal.siginterrupt(sig, False)
        except OSError as exc:
            del handlers[sig]
            if not handlers:
                _wakeup_fd_off()
            if exc.errno == errno.EINVAL:
                raise RuntimeError(f"sig {sig} cannot be caught")
            raise

    def remove_signal_handler(self, sig):
        """Remove a handler for a signal. UNIX only.

        Return True if a signal handler was removed, False if not.
        """
        self._check_signal(sig)
        handlers = self._signal_handlers
        if handlers.pop(sig, None) is None:
            return False
        default = (signal.default_int_handler if sig == signal.SIGINT
                   else signal.SIG_DFL)
        try:
            signal.signal(sig, default)
        except OSError as exc:
            if exc.errno == errno.EINVAL:
                raise RuntimeError(f"sig {sig} cannot be caught")
            raise
        if not handlers:
            _wakeup_fd_off()
        return True

    # -- internals -------------------------------------------------------

    def _check_signal(self, sig):
        """TypeError unless sig is an int; ValueError unless it is valid."""
        if not isinstance(sig, int):
            raise TypeError(f"sig must be an int, not {sig!r}")
        if sig not in signal.valid_signals():
            raise ValueError(f"invalid signal number {sig}")

    def _signal_wakeup_sock(self):
        """The write end of the loop's signal socketpair, made on first use."""
        socks = self._signal_socks
        if socks is None:
            rsock, wsock = socket.socketpair()
            try:
                rsock.setblocking(False)
                wsock.setblocking(False)
                self._add_reader(rsock.fileno(), self._read_signals)
            except BaseException:
                rsock.close()
                wsock.close()
                raise
            self._signal_socks = socks = (rsock, wsock)
        return socks[1]

    def _read_signals(self):
        """Reader callback: one byte per delivered signal."""
        if self._signal_socks is None:
            return  # the socketpair is gone (the loop was closed)
        rsock = self._signal_socks[0]
        while True:
            try:
                data = rsock.recv(4096)
            except InterruptedError:
                continue
            except BlockingIOError:
                return
            if not data:
                return
            for signum in data:
                if signum:  # NUL bytes are nobody's signal
                    self._handle_signal(signum)

    def _handle_signal(self, sig):
        """Queues sig's callback, in the context captured when it was added."""
        handle = self._signal_handlers.get(sig)
        if handle is None:
            return  # removed while the byte was in flight
        if handle._cancelled:
            self.remove_signal_handler(sig)
        else:
            self.call_soon(handle._callback, *handle._args,
                           context=handle._context)

    def _close_signals(self):
        """Called by close(): remove every handler, close the socketpair."""
        handlers = self._signal_handlers
        if handlers:
            if not sys.is_finalizing():
                for sig in list(handlers):
                    self.remove_signal_handler(sig)
            else:
                warnings.warn(f"Closing the loop {self!r} on interpreter "
                              f"shutdown stage, skipping signal handlers "
                              f"removal", ResourceWarning, source=self)
                handlers.clear()
        _wakeup_loops.discard(self)
        socks = self._signal_socks
        if socks is not None:
            self._signal_socks = None
            self._remove_reader(socks[0].fileno())
            socks[0].close()
            socks[1].close()


def _after_fork():
    """In a forked child, stop writing signals into a parent loop's socket.

    The socketpair is shared with the parent, whose loop would otherwise run
    its handlers for signals sent to the child. (asyncio does the same reset
    for its own loops from Python 3.12 on.)
    """
    owned = set()
    for loop in list(_wakeup_loops):
        socks = loop._signal_socks
        if socks is not None:
            owned.add(socks[1].fileno())
    if not owned:
        return
    try:
        old = signal.set_wakeup_fd(-1)
        if old != -1 and old not in owned:
            signal.set_wakeup_fd(old)
    except (ValueError, OSError):
        pass


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_after_fork)
