"""Unix signals on cloop's loop: add/remove_signal_handler, and the
process's signal wakeup fd.

SignalMixin is a base of cloop.Loop; its state (_signal_handlers,
_signal_fds, _wakeup_borrowed) is initialised by Loop.__init__. It has one
path for signals, as uvloop's loop: the C poller's signal pipe
(csrc/poller.c), opened once per loop and closed with it. Python's own C
signal handler writes each signal's number into the pipe's write end
(signal.set_wakeup_fd). The same pipe serves two purposes:

- the wake-up: the poller always watches the read end, so a signal that
  arrives just before the loop blocks in epoll_wait wakes it, and the C run
  loop runs Python's signal handlers at once (Runner's Ctrl-C handler,
  KeyboardInterrupt);
- the handlers: while the loop has handlers, the read end is also one of
  its readers (_read_signals), and each signal number read queues the
  registered callback with call_soon.

The Python-level handler installed for a signal does nothing: it only makes
Python write to the wakeup fd, as asyncio's does.

The rules are asyncio's (Lib/asyncio/unix_events.py): only the main thread
may add handlers (RuntimeError), uncatchable signals such as SIGKILL and
SIGSTOP are refused (RuntimeError), an invalid number raises ValueError, a
coroutine callback raises TypeError; removing a handler restores SIG_DFL
(default_int_handler for SIGINT), and close() removes every handler.

Ownership: the pipe belongs to the loop's poller, which closes it in
_close_core(); this module only reads it. The registered callbacks are kept
as asyncio.Handle objects (so the contextvars context is the one current at
registration); they are never put on the ready queue themselves.
"""
import errno
import os
import signal
import sys
import threading
import warnings
import weakref
from asyncio import coroutines, events
from asyncio.log import logger

from . import _compat

# ---------------------------------------------------------------------------
# The process's wakeup fd: who owns it
#
# signal.set_wakeup_fd names one fd for the whole process, and there may be
# many loops. This is the one place that sets it, by these rules:
#
# 1. add_signal_handler points it at the loop's pipe, whatever it was, and
#    removing the loop's last handler sets it to -1, even if someone else has
#    set it since. These are asyncio's rules, kept as they are: the loop that
#    added a handler last receives the signals.
# 2. A loop running on the main thread borrows it for the run, so that a
#    signal arriving just before epoll_wait still wakes it, but only if
#    nobody has set it (-1): someone else's fd (another loop's, a library's)
#    stays theirs, since taking it would stop their wake-ups. Stopping gives
#    it back (-1) unless it changed hands meanwhile: to rule 1 (a handler
#    added during the run keeps it) or to anyone else.
# 3. A forked child shares its parent's pipes: there the fd is reset to -1 if
#    it is a cloop loop's pipe, so the child's signals do not run the
#    parent's handlers (asyncio resets it in every child from 3.12 on).
#
# The registry of rule 3: the loops whose pipe has been made the wakeup fd by
# rule 1 or 2 (a closed loop leaves it; its pipe is closed).
_wakeup_loops = weakref.WeakSet()


def _wakeup_fd_off():
    """set_wakeup_fd(-1), logged rather than raised, as asyncio does."""
    try:
        signal.set_wakeup_fd(-1)
    except (ValueError, OSError) as exc:
        logger.info("set_wakeup_fd(-1) failed: %s", exc)


def _after_fork():
    """Rule 3, in a forked child."""
    pipes = set()
    for loop in list(_wakeup_loops):
        fds = loop._signal_fds
        if fds is not None:
            pipes.add(fds[1])
    if not pipes:
        return
    try:
        old = signal.set_wakeup_fd(-1)
        if old != -1 and old not in pipes:
            signal.set_wakeup_fd(old)
    except (ValueError, OSError):
        pass


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_after_fork)


def _sighandler_noop(signum, frame):
    """The Python-level handler: the wakeup fd does the work."""


class SignalMixin:
    """add_signal_handler/remove_signal_handler of cloop.Loop."""

    __slots__ = ()

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
        wfd = self._signal_pipe_fds()[1]
        try:
            # Rule 1. Refuses any thread but the main one: asking first
            # means a loop running in another thread cannot install a
            # handler at all.
            signal.set_wakeup_fd(wfd)
        except (ValueError, OSError) as exc:
            raise RuntimeError(str(exc))
        self._wakeup_borrowed = False  # rule 1 holds it from now on
        _wakeup_loops.add(self)

        handlers = self._signal_handlers
        if not handlers:
            self._add_reader(self._signal_fds[0], self._read_signals)
        handlers[sig] = events.Handle(callback, args, self, None)
        try:
            signal.signal(sig, _sighandler_noop)
            # SA_RESTART: fewer EINTRs for the rest of the program.
            signal.siginterrupt(sig, False)
        except OSError as exc:
            del handlers[sig]
            if not handlers:
                self._no_signal_handlers_left()
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
            self._no_signal_handlers_left()
        return True

    # -- internals -------------------------------------------------------

    def _check_signal(self, sig):
        """TypeError unless sig is an int; ValueError unless it is valid."""
        if not isinstance(sig, int):
            raise TypeError(f"sig must be an int, not {sig!r}")
        if sig not in signal.valid_signals():
            raise ValueError(f"invalid signal number {sig}")

    def _signal_pipe_fds(self):
        """(read end, write end) of the poller's signal pipe, opened on
        first use and kept here for the fork hook, which must not call into
        a loop."""
        fds = self._signal_fds
        if fds is None:
            fds = self._signal_fds = self._signal_pipe()
        return fds

    def _no_signal_handlers_left(self):
        """Rule 1 for the last handler; the pipe's signal numbers are no
        longer read (the poller drains it again)."""
        self._remove_reader(self._signal_fds[0])
        _wakeup_fd_off()

    def _read_signals(self):
        """Reader of the pipe: one byte per delivered signal."""
        fds = self._signal_fds
        if fds is None:
            return  # the pipe is gone (the loop was closed)
        while True:
            try:
                data = os.read(fds[0], 4096)
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
            return  # removed while the byte was in flight, or not ours
        if handle._cancelled:
            self.remove_signal_handler(sig)
        else:
            self.call_soon(handle._callback, *handle._args,
                           context=handle._context)

    def _install_signal_wakeup(self):
        """Rule 2, when the loop starts running."""
        if threading.current_thread() is not threading.main_thread():
            return
        wfd = self._signal_pipe_fds()[1]
        try:
            old = signal.set_wakeup_fd(wfd, warn_on_full_buffer=False)
        except ValueError:  # not the main interpreter
            return
        if old != -1:  # someone else's (or rule 1's): theirs to keep
            signal.set_wakeup_fd(old)
            return
        self._wakeup_borrowed = True
        _wakeup_loops.add(self)

    def _remove_signal_wakeup(self):
        """Rule 2, when the loop stops running."""
        if not self._wakeup_borrowed:
            return
        self._wakeup_borrowed = False
        current = signal.set_wakeup_fd(-1)
        if current != self._signal_fds[1]:  # changed hands: not ours now
            signal.set_wakeup_fd(current)

    # The module's globals are bound as defaults: a loop nobody closed is
    # closed by BaseEventLoop.__del__, which at interpreter exit may run
    # after this module's globals were cleared (set to None).
    def _close_signals(self, *, _is_finalizing=sys.is_finalizing,
                       _warn=warnings.warn, _loops=_wakeup_loops):
        """Called by close() just before the poller closes the pipe:
        removes every handler first, so that the wakeup fd is reset before
        it would name a closed fd."""
        handlers = self._signal_handlers
        if handlers:
            if not _is_finalizing():
                for sig in list(handlers):
                    self.remove_signal_handler(sig)
            else:
                _warn(f"Closing the loop {self!r} on interpreter "
                      f"shutdown stage, skipping signal handlers "
                      f"removal", ResourceWarning, source=self)
                handlers.clear()
        _loops.discard(self)
        self._signal_fds = None
