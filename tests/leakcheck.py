"""No file descriptor and no child process may outlive a test module.

A module opts in with ``from leakcheck import no_leaks`` (a module-scoped,
autouse fixture: importing it is enough).
"""
import gc
import os
import time

import pytest


def check_no_zombies(timeout=10.0):
    """Every child has been reaped (waiting up to timeout for running ones)."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            pid, status = os.waitpid(-1, os.WNOHANG)
        except ChildProcessError:
            return
        assert pid == 0, f"child {pid} was left unreaped (status {status})"
        assert time.monotonic() < deadline, "a child process is still running"
        time.sleep(0.05)


def describe_fds(fds):
    out = []
    for fd in sorted(fds, key=int):
        try:
            out.append(f"{fd} -> {os.readlink(f'/proc/self/fd/{fd}')}")
        except OSError:
            out.append(fd)
    return "leaked fds: " + ", ".join(out)


@pytest.fixture(scope="module", autouse=True)
def no_leaks():
    """No file descriptor and no child process outlives the module."""
    before = set(os.listdir("/proc/self/fd"))
    yield
    gc.collect()
    check_no_zombies()
    leaked = set(os.listdir("/proc/self/fd")) - before
    assert not leaked, describe_fds(leaked)
