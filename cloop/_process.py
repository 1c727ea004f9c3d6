"""Subprocesses and pipes on cloop's loop.

ProcessMixin is a base of cloop.Loop. What it reuses from asyncio, by import:

- BaseEventLoop.subprocess_exec/subprocess_shell/connect_read_pipe/
  connect_write_pipe: argument checks and the waiter dance, identical in
  3.11-3.13; they call back into the _make_* factories below.
- unix_events._UnixReadPipeTransport/_UnixWritePipeTransport: the pipe
  transports. Their contract with the loop is small (call_soon, get_debug,
  call_exception_handler and the private _add_reader/_remove_reader/
  _add_writer/_remove_writer, which cloop's C core provides).
- base_subprocess.BaseSubprocessTransport: the subprocess transport (pipes
  wiring, _wait(), connection_lost ordering), subclassed below.

What is cloop's own is how a child's exit is noticed. On 3.11-3.13, when
asyncio's policy holds a child watcher other than the per-child kinds
(Threaded, Pidfd: asyncio's default, which cloop's own watching equals),
the child goes to it exactly as asyncio's loop hands it over (its
_make_subprocess_transport, borrowed): a watcher that reaps every child on
SIGCHLD (Safe/Fast/MultiLoopChildWatcher) would otherwise take cloop's
children's statuses, and an inactive one must refuse the child. Otherwise,
and on 3.14+ where watchers are gone, cloop watches the child itself. Where
the kernel has pidfds (Linux 5.3+) the loop watches os.pidfd_open(pid) as a
reader and reaps the child with waitpid when it becomes readable: no thread,
no SIGCHLD handler, no interference with children started elsewhere.
Elsewhere a daemon thread blocks in waitid(pid, WNOWAIT) for each child
and tells the loop with call_soon_threadsafe; the loop thread reaps it, so
the pid stays reserved until the exit is published (send_signal never
signals a pid the kernel may have reused).

Ownership: a child's pidfd belongs to its transport (_ProcessTransport
._pidfd); only the loop thread opens and closes it. The loop keeps
pid -> transport for the children it watches by pidfd (_pidfd_children,
initialised by Loop.__init__), so that close() can hand them to a reaping
thread instead of leaving zombies behind.
"""
import errno
import os
import signal
import subprocess
import threading
from asyncio import base_events, base_subprocess, unix_events
from asyncio.log import logger

from . import _compat
from ._borrow import borrow

_Base = base_events.BaseEventLoop

# Errors of pidfd_open that mean "never on this system" (old kernel,
# seccomp filter); any other error falls back for that one child only.
_PIDFD_UNSUPPORTED = {errno.ENOSYS, errno.EPERM, errno.EACCES}
_pidfd_supported = hasattr(os, "pidfd_open")


def _pidfd_open(pid):
    """A pidfd for pid, or None where pidfds cannot be had."""
    global _pidfd_supported
    if not _pidfd_supported:
        return None
    try:
        return os.pidfd_open(pid)
    except OSError as exc:
        if exc.errno in _PIDFD_UNSUPPORTED:
            _pidfd_supported = False
        return None


def _exitcode(status):
    """waitpid status -> returncode (negative for a signal)."""
    try:
        return os.waitstatus_to_exitcode(status)
    except ValueError:
        return status  # not understood: report it raw rather than lose it


def _status_lost(pid):
    logger.warning("child process pid %d exit status already read: "
                   " will report returncode 255", pid)
    return 255


class _ProcessTransport(base_subprocess.BaseSubprocessTransport):
    """asyncio's subprocess transport, started with Popen, signalled by
    pidfd when it has one."""

    _pidfd = None            # owned; None once the child is reaped
    _status_read = False     # the pid may now name another process

    def _start(self, args, shell, stdin, stdout, stderr, bufsize, **kwargs):
        self._proc = subprocess.Popen(
            args, shell=shell, stdin=stdin, stdout=stdout, stderr=stderr,
            universal_newlines=False, bufsize=bufsize, **kwargs)

    # The same on every version (3.12's rule: a vanished process is not an
    # error), but never signals a reaped pid, which could have been reused.
    def send_signal(self, signal_):
        self._check_proc()
        if self._status_read:
            return
        try:
            if self._pidfd is not None:
                signal.pidfd_send_signal(self._pidfd, signal_)
            else:
                os.kill(self._proc.pid, signal_)
        except ProcessLookupError:
            pass

    def terminate(self):
        self.send_signal(signal.SIGTERM)

    def kill(self):
        self.send_signal(signal.SIGKILL)

    def _returncode_of(self, status):
        """Exit status from waitpid, or None when someone else reaped it
        (Popen.poll() records the code in the Popen object)."""
        if status is not None:
            return _exitcode(status)
        proc = self._proc
        if proc is not None and proc.returncode is not None:
            return proc.returncode
        return _status_lost(self._pid)


# asyncio's hand-over to a child watcher (3.11-3.13), used when one is held.
_watched = {}
if _compat.HAS_CHILD_WATCHERS:
    borrow(_watched, unix_events._UnixSelectorEventLoop,
           ("_make_subprocess_transport", "_child_watcher_callback"))


class ProcessMixin:
    """Subprocess and pipe methods of cloop.Loop."""

    __slots__ = ()

    borrow(locals(), _Base, ("connect_read_pipe", "connect_write_pipe",
                             "subprocess_shell", "subprocess_exec",
                             "_log_subprocess"))

    def _make_read_pipe_transport(self, pipe, protocol, waiter=None,
                                  extra=None):
        return unix_events._UnixReadPipeTransport(self, pipe, protocol,
                                                  waiter, extra)

    def _make_write_pipe_transport(self, pipe, protocol, waiter=None,
                                   extra=None):
        return unix_events._UnixWritePipeTransport(self, pipe, protocol,
                                                   waiter, extra)

    async def _make_subprocess_transport(self, protocol, args, shell,
                                         stdin, stdout, stderr, bufsize,
                                         extra=None, **kwargs):
        if _compat.child_watcher_to_honour() is not None:
            return await _watched["_make_subprocess_transport"](
                self, protocol, args, shell, stdin, stdout, stderr, bufsize,
                extra, **kwargs)
        waiter = self.create_future()
        transp = _ProcessTransport(self, protocol, args, shell, stdin,
                                   stdout, stderr, bufsize, waiter=waiter,
                                   extra=extra, **kwargs)
        self._watch_child(transp)
        try:
            await waiter
        except (SystemExit, KeyboardInterrupt):
            raise
        except BaseException:
            transp.close()
            await transp._wait()
            raise
        return transp

    # -- noticing a child's exit -----------------------------------------

    if _compat.HAS_CHILD_WATCHERS:
        _child_watcher_callback = _watched["_child_watcher_callback"]

    def _watch_child(self, transp):
        """Start watching transp's child; never fails (a thread is the
        fallback), so a started child is always reaped."""
        pid = transp.get_pid()
        pidfd = _pidfd_open(pid)
        if pidfd is not None:
            try:
                self._add_reader(pidfd, self._child_pidfd_ready, transp)
            except Exception:
                os.close(pidfd)
                pidfd = None
        if pidfd is not None:
            transp._pidfd = pidfd
            self._pidfd_children[pid] = transp
            return
        threading.Thread(target=_wait_in_thread, args=(self, transp, pid),
                         name=f"cloop-waitpid-{pid}", daemon=True).start()

    def _child_pidfd_ready(self, transp):
        pid = transp.get_pid()
        try:
            wpid, status = os.waitpid(pid, os.WNOHANG)
        except ChildProcessError:
            wpid, status = pid, None
        except BaseException:
            # As asyncio's pidfd watcher: whatever waitpid raised (it goes
            # to the exception handler), the pidfd is not watched or kept.
            self._forget_pidfd_child(transp)
            raise
        if wpid == 0:
            return  # not reapable yet: keep watching
        self._forget_pidfd_child(transp)
        returncode = transp._returncode_of(status)
        if self._debug:
            logger.debug("process %s exited with returncode %s",
                         pid, returncode)
        self.call_soon(transp._process_exited, returncode)

    def _forget_pidfd_child(self, transp):
        """Stop watching transp's pidfd and close it (loop thread only)."""
        self._pidfd_children.pop(transp.get_pid(), None)
        transp._status_read = True
        pidfd, transp._pidfd = transp._pidfd, None
        if pidfd is not None:
            self._remove_reader(pidfd)
            os.close(pidfd)

    def _child_exited_in_thread(self, transp):
        """From _wait_in_thread, on the loop thread: the child has exited
        and is reaped here, so that the status is read and the exit
        published in one step (send_signal never meets a reaped pid)."""
        transp._process_exited(transp._returncode_of(_reap(transp)))

    def _close_children(self):
        """Called by close(): children still running are reaped by a
        thread, as asyncio's threaded watcher would, not left as zombies."""
        children = self._pidfd_children
        for pid, transp in list(children.items()):
            pidfd, transp._pidfd = transp._pidfd, None
            children.pop(pid, None)
            if pidfd is not None:
                self._remove_reader(pidfd)
                os.close(pidfd)
            threading.Thread(target=_wait_in_thread,
                             args=(self, transp, pid),
                             name=f"cloop-waitpid-{pid}", daemon=True).start()


def _reap(transp):
    """waitpid on transp's exited child: its status, or None when someone
    else reaped it. The pid may name another process from here on."""
    try:
        _, status = os.waitpid(transp.get_pid(), 0)
    except ChildProcessError:
        status = None
    transp._status_read = True
    return status


def _wait_exited(pid):
    """Block until pid has exited, leaving it unreaped (a zombie keeps its
    pid reserved), as asyncio's threaded watcher does from 3.14 on
    (gh-127049)."""
    try:
        os.waitid(os.P_PID, pid, os.WEXITED | os.WNOWAIT)
    except ChildProcessError:
        pass  # already reaped elsewhere: _reap says so


def _wait_in_thread(loop, transp, pid):
    """Waits for the child's exit and hands it to the loop, which reaps
    it; the thread reaps it itself when the loop has closed."""
    _wait_exited(pid)
    try:
        loop.call_soon_threadsafe(loop._child_exited_in_thread, transp)
        return
    except RuntimeError:
        if not loop.is_closed():
            raise
    status = _reap(transp)
    logger.warning("Loop %r that handles pid %r is closed", loop, pid)
    # Nobody will call _process_exited: record the status in the Popen
    # object so that it does not think the child is still running.
    proc = transp._proc
    if proc is not None and proc.returncode is None and status is not None:
        proc.returncode = _exitcode(status)
