"""Type stubs for cloop._cloop, the C core (csrc/).

Future and Task subclass asyncio's (at runtime too); Handle and TimerHandle
do not subclass asyncio.Handle/asyncio.TimerHandle at runtime, so they are
declared here as the classes they are, with the same public methods. The
private names are those cloop's Python layer (cloop/_loop.py) uses.
"""
import asyncio
import sys
from collections.abc import Callable, Coroutine
from contextvars import Context
from typing import Any, TypeVar

from _typeshed import FileDescriptorLike
from typing_extensions import TypeAlias, TypeVarTuple, Unpack

_T = TypeVar("_T")
_Ts = TypeVarTuple("_Ts")

# asyncio's _CoroutineLike: what create_task() accepts.
_CoroutineLike: TypeAlias = Coroutine[Any, Any, _T]

class Future(asyncio.Future[_T]):
    """asyncio.Future in C."""

class Task(asyncio.Task[_T]):
    """asyncio.Task in C."""

class Handle:
    """A callback scheduled with call_soon() (asyncio.Handle's methods)."""

    def cancel(self) -> None: ...
    def cancelled(self) -> bool: ...
    def get_context(self) -> Context: ...

class TimerHandle(Handle):
    """A callback scheduled with call_later()/call_at()."""

    def when(self) -> float: ...

class Loop:
    """The C scheduler under cloop.Loop (cloop/_loop.py)."""

    slow_callback_duration: float
    _debug: bool
    _stopping: bool
    _closed: bool
    _thread_id: int | None
    def time(self) -> float: ...
    def call_soon(
        self, callback: Callable[[Unpack[_Ts]], object], *args: Unpack[_Ts],
        context: Context | None = None,
    ) -> Handle: ...
    def call_soon_threadsafe(
        self, callback: Callable[[Unpack[_Ts]], object], *args: Unpack[_Ts],
        context: Context | None = None,
    ) -> Handle: ...
    def call_later(
        self, delay: float, callback: Callable[[Unpack[_Ts]], object],
        *args: Unpack[_Ts], context: Context | None = None,
    ) -> TimerHandle: ...
    def call_at(
        self, when: float, callback: Callable[[Unpack[_Ts]], object],
        *args: Unpack[_Ts], context: Context | None = None,
    ) -> TimerHandle: ...
    def stop(self) -> None: ...
    def is_running(self) -> bool: ...
    def is_closed(self) -> bool: ...
    def get_debug(self) -> bool: ...
    def add_reader(
        self, fd: FileDescriptorLike, callback: Callable[[Unpack[_Ts]], Any],
        *args: Unpack[_Ts],
    ) -> None: ...
    def add_writer(
        self, fd: FileDescriptorLike, callback: Callable[[Unpack[_Ts]], Any],
        *args: Unpack[_Ts],
    ) -> None: ...
    def remove_reader(self, fd: FileDescriptorLike) -> bool: ...
    def remove_writer(self, fd: FileDescriptorLike) -> bool: ...
    def create_future(self) -> Future[Any]: ...
    if sys.version_info >= (3, 13):
        def create_task(
            self, coro: _CoroutineLike[_T], *, name: str | None = None,
            context: Context | None = None, eager_start: bool | None = None,
        ) -> Task[_T]: ...
    else:
        def create_task(
            self, coro: _CoroutineLike[_T], *, name: str | None = None,
            context: Context | None = None,
        ) -> Task[_T]: ...
    # Private, used by cloop/_loop.py, _stats.py and _watch.py.
    def _check_closed(self) -> None: ...
    def _close_core(self) -> None: ...
    def _stats_raw(self, reset: bool = False) -> dict[str, Any]: ...
    def _blocking_probe(self) -> tuple[int, object | None]: ...
    def _signal_pipe(self) -> tuple[int, int]: ...
