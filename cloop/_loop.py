"""cloop.Loop: the C core (cloop._cloop.Loop) as an asyncio event loop.

The C base class owns the scheduler and the hot methods (call_soon,
call_later, call_at, time, the run loop, readers and writers). What is
orchestration rather than a hot path is asyncio's own code: the methods
below are taken from asyncio.BaseEventLoop of the running Python, so their
semantics (messages, context dicts, executor and async-generator handling)
are asyncio's exactly, version by version. They only touch the attributes
this class provides (_debug, _closed, _thread_id, _current_handle, ...).
"""
from __future__ import annotations

import asyncio
import sys
import threading
import weakref
from asyncio import base_events, coroutines, events
from asyncio.log import logger
from typing import TYPE_CHECKING, Any

from . import _cloop, _compat, _stats
from ._borrow import borrow
from ._net import NetworkMixin
from ._process import ProcessMixin
from ._signals import SignalMixin

if TYPE_CHECKING:
    from asyncio import AbstractEventLoop as _Abstract

_Base = base_events.BaseEventLoop

# asyncio's own implementations, shared verbatim with every asyncio loop.
_BORROWED = (
    "__repr__", "__del__",
    "set_task_factory", "get_task_factory",
    "run_until_complete", "_check_running",
    "_asyncgen_firstiter_hook", "_asyncgen_finalizer_hook",
    "shutdown_asyncgens", "shutdown_default_executor", "_do_shutdown",
    "_check_default_executor", "run_in_executor", "set_default_executor",
    "get_exception_handler", "set_exception_handler",
    "default_exception_handler", "call_exception_handler",
    "_check_callback", "_set_coroutine_origin_tracking", "set_debug",
    # getaddrinfo & co. come from NetworkMixin (cloop/_net.py).
)


class Loop(_cloop.Loop, NetworkMixin, SignalMixin, ProcessMixin,
           asyncio.AbstractEventLoop):
    """An asyncio event loop whose scheduler is written in C."""

    def __init__(self) -> None:
        self._exception_handler: Any = None
        self._default_executor: Any = None
        self._task_factory: Any = None
        self._asyncgens: weakref.WeakSet[Any] = weakref.WeakSet()
        self._asyncgens_shutdown_called = False
        self._executor_shutdown_called = False
        self._coroutine_origin_tracking_enabled = False
        self._coroutine_origin_tracking_saved_depth: int | None = None
        self._old_agen_hooks: Any = None
        # The mixins' state. SignalMixin (cloop/_signals.py): sig -> Handle
        # of add_signal_handler; (read, write) ends of the poller's signal
        # pipe once opened; whether the running loop borrowed the process's
        # wakeup fd. NetworkMixin (_net.py): listening socket -> inode of its
        # path, for 3.13's create_unix_server(cleanup_socket=True).
        # ProcessMixin (_process.py): pid -> transport, for the children
        # whose exit a pidfd reader watches.
        self._signal_handlers: dict[int, Any] = {}
        self._signal_fds: tuple[int, int] | None = None
        self._wakeup_borrowed = False
        self._unix_server_sockets: dict[Any, int] = {}
        self._pidfd_children: dict[int, Any] = {}
        self.set_debug(coroutines._is_debug_mode())
        _note_new_loop(self)

    borrow(locals(), _Base, _BORROWED)

    if TYPE_CHECKING:
        # borrow() (above and in the mixins) copies asyncio's functions into
        # the class at import, which a type checker cannot follow, and the
        # mixins' own network and signal methods are not annotated: to a
        # type checker, all of these have AbstractEventLoop's signatures.
        call_exception_handler = _Abstract.call_exception_handler
        connect_accepted_socket = _Abstract.connect_accepted_socket
        connect_read_pipe = _Abstract.connect_read_pipe
        connect_write_pipe = _Abstract.connect_write_pipe
        create_connection = _Abstract.create_connection
        create_datagram_endpoint = _Abstract.create_datagram_endpoint
        create_server = _Abstract.create_server
        create_unix_connection = _Abstract.create_unix_connection
        create_unix_server = _Abstract.create_unix_server
        default_exception_handler = _Abstract.default_exception_handler
        get_exception_handler = _Abstract.get_exception_handler
        get_task_factory = _Abstract.get_task_factory
        getnameinfo = _Abstract.getnameinfo
        run_in_executor = _Abstract.run_in_executor
        run_until_complete = _Abstract.run_until_complete
        sendfile = _Abstract.sendfile
        set_debug = _Abstract.set_debug
        set_default_executor = _Abstract.set_default_executor
        set_exception_handler = _Abstract.set_exception_handler
        set_task_factory = _Abstract.set_task_factory
        shutdown_asyncgens = _Abstract.shutdown_asyncgens
        shutdown_default_executor = _Abstract.shutdown_default_executor
        sock_sendfile = _Abstract.sock_sendfile
        start_tls = _Abstract.start_tls
        subprocess_exec = _Abstract.subprocess_exec
        subprocess_shell = _Abstract.subprocess_shell
        getaddrinfo = _Abstract.getaddrinfo
        sock_recv = _Abstract.sock_recv
        sock_recv_into = _Abstract.sock_recv_into
        sock_recvfrom = _Abstract.sock_recvfrom
        sock_recvfrom_into = _Abstract.sock_recvfrom_into
        sock_sendall = _Abstract.sock_sendall
        sock_sendto = _Abstract.sock_sendto
        sock_connect = _Abstract.sock_connect
        sock_accept = _Abstract.sock_accept
        add_signal_handler = _Abstract.add_signal_handler
        remove_signal_handler = _Abstract.remove_signal_handler

    # -- Task and Future: cloop's own (csrc/future.c, csrc/task.c) --------

    # create_future() and create_task() are C methods of _cloop.Loop: a
    # cloop.Future; a cloop.Task, or what the task factory makes when one is
    # set (asyncio.Task stays usable through set_task_factory).

    # -- running ---------------------------------------------------------

    def _run_forever_setup(self) -> None:
        self._check_closed()
        self._check_running()
        self._set_coroutine_origin_tracking(self._debug)
        self._old_agen_hooks = sys.get_asyncgen_hooks()
        self._thread_id = threading.get_ident()
        sys.set_asyncgen_hooks(firstiter=self._asyncgen_firstiter_hook,
                               finalizer=self._asyncgen_finalizer_hook)
        events._set_running_loop(self)
        # A signal that arrives just before the loop blocks in epoll_wait
        # must still wake it (cloop/_signals.py says who owns the wakeup fd).
        self._install_signal_wakeup()

    def _run_forever_cleanup(self) -> None:
        self._remove_signal_wakeup()
        self._stopping = False
        self._thread_id = None
        events._set_running_loop(None)
        self._set_coroutine_origin_tracking(False)
        if self._old_agen_hooks is not None:
            sys.set_asyncgen_hooks(*self._old_agen_hooks)
            self._old_agen_hooks = None

    def run_forever(self) -> None:
        """Run until stop() is called."""
        _compat.run_forever(self)

    def close(self) -> None:
        """Close the loop: drop pending callbacks, shut the executor down.

        The loop must not be running. Closing twice does nothing.
        """
        if self.is_running():
            raise RuntimeError("Cannot close a running event loop")
        if self._closed:
            return
        if self._debug:
            logger.debug("Close %r", self)
        try:
            # Before the poller closes the signal pipe, which the process's
            # wakeup fd may name until the handlers are gone.
            self._close_signals()
        finally:
            self._close_core()
        self._close_children()
        self._executor_shutdown_called = True
        executor = self._default_executor
        if executor is not None:
            self._default_executor = None
            executor.shutdown(wait=False)

    # -- seeing inside ----------------------------------------------------

    def stats(self, reset: bool = False) -> _stats.LoopStats:
        """A LoopStats snapshot of the loop's counters; reset=True also
        zeroes them, atomically with the reading, so no count is lost
        between two readings."""
        return _stats.snapshot(self, reset)

    # -- debug -----------------------------------------------------------

    def _log_slow_callback(self, entry: object, seconds: float) -> None:
        """Called by the C run loop in debug mode for a slow callback."""
        if hasattr(entry, "_callback"):
            what = _compat.format_handle(entry)
        else:
            what = repr(entry)
        logger.warning("Executing %s took %.3f seconds", what, seconds)


# A staticmethod object (callable since 3.10), not a plain function: used
# as a class attribute, as in `loop_factory = cloop.new_event_loop` on an
# IsolatedAsyncioTestCase, it must not be bound as a method. Type checkers
# see it as the `() -> Loop` callable it is.
@staticmethod  # type: ignore[misc]  # mypy: "used with a non-method"
def new_event_loop() -> Loop:
    """Return a new cloop event loop."""
    return Loop()


# The most recent loop (for dump_tasks() outside a running loop), and the
# loops `python -m cloop --stats` reports on when it is tracking them.
_latest: weakref.ref[Loop] | None = None
_tracked: list[Loop] | None = None


def _note_new_loop(loop: Loop) -> None:
    global _latest
    _latest = weakref.ref(loop)
    if _tracked is not None:
        _tracked.append(loop)


def latest_loop() -> Loop | None:
    """The most recently created cloop loop still alive, or None."""
    return _latest() if _latest is not None else None


def track_loops() -> list[Loop]:
    """Keep every loop created from now on; returns the list they go in."""
    global _tracked
    _tracked = []
    return _tracked
