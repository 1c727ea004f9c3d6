"""CPython's own test_asyncio classes, run against cloop (tests/cpython/).

One test per adapted CPython module: it runs ``python -m unittest
tests.cpython.<module>`` in a subprocess (from the repository root, with
this interpreter) and asserts that it passed, showing unittest's output
when it did not. Each module runs twice, as uvloop runs its suite: as is,
and with PYTHONASYNCIODEBUG=1 (debug-mode duties: source tracebacks, slow
callback warnings, thread checks); the second run is marked
``asyncio_debug_rerun`` (scripts/test.sh runs it on the oldest and newest
Python, for time).

Inside the subprocess every test has a watchdog (tests/cpython/support.py),
because a broken Task or Future hangs rather than fails; the subprocess
timeout here is only the last resort.

These are cloop_only: they hold cloop to CPython's expectations; stock
asyncio's side is CPython's own CI. The modules need the interpreter's
``test.test_asyncio`` package: without it they fail (never skip).
"""
import os
import subprocess
import sys
import sysconfig

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

# The modules of tests/cpython, each adapting the CPython module of the
# same name; the value is the first Python version that has it.
MODULES = {
    "test_tasks": (3, 11),
    "test_futures": (3, 11),
    "test_futures2": (3, 11),
    "test_taskgroups": (3, 11),
    "test_timeouts": (3, 11),
    "test_waitfor": (3, 11),
    "test_locks": (3, 11),
    "test_queues": (3, 11),
    "test_eager_task_factory": (3, 12),
    "test_events": (3, 11),
    "test_streams": (3, 11),
    "test_sock_lowlevel": (3, 11),
    "test_server": (3, 11),
    "test_sendfile": (3, 11),
    "test_buffered_proto": (3, 11),
    "test_sslproto": (3, 11),
    "test_ssl": (3, 11),
    "test_subprocess": (3, 11),
    "test_threads": (3, 11),
    "test_graph": (3, 14),
    "test_server_context": (3, 15),
}

# Last resort only: the per-test watchdog in the subprocess fires first.
SUBPROCESS_TIMEOUT = 300

pytestmark = pytest.mark.cloop_only


def _params():
    for module, since in MODULES.items():
        marks = []
        if sys.version_info < since:
            marks.append(pytest.mark.skip(
                reason=f"CPython's {module} is new in Python "
                       f"{since[0]}.{since[1]}"))
        yield pytest.param(module, "normal", marks=marks,
                           id=f"{module}-normal")
        yield pytest.param(module, "debug",
                           marks=[*marks, pytest.mark.asyncio_debug_rerun],
                           id=f"{module}-debug")


def test_cpython_test_package_present():
    """The harness needs the interpreter's test.test_asyncio: fail, with
    the path it looked in, rather than skip when it is missing."""
    where = os.path.join(sysconfig.get_path("stdlib"), "test", "test_asyncio")
    assert os.path.isfile(os.path.join(where, "__init__.py")), (
        f"CPython's test package test.test_asyncio is missing for "
        f"{sys.executable}: expected in {where}; install the interpreter "
        f"with its test suite (a pyenv build has it)")


@pytest.mark.parametrize("module, mode", list(_params()))
def test_cpython_module(module, mode):
    env = dict(os.environ)
    env.pop("PYTHONASYNCIODEBUG", None)
    if mode == "debug":
        env["PYTHONASYNCIODEBUG"] = "1"
    cmd = [sys.executable, "-m", "unittest", f"tests.cpython.{module}"]
    try:
        proc = subprocess.run(cmd, cwd=ROOT, env=env, capture_output=True,
                              text=True, timeout=SUBPROCESS_TIMEOUT)
    except subprocess.TimeoutExpired as exc:
        out = (exc.stdout or b"") + (exc.stderr or b"")
        if isinstance(out, bytes):
            out = out.decode(errors="replace")
        pytest.fail(f"{' '.join(cmd)} still running after "
                    f"{SUBPROCESS_TIMEOUT}s (killed); output so far:\n{out}",
                    pytrace=False)
    output = proc.stdout + proc.stderr
    if proc.returncode != 0:
        pytest.fail(f"{' '.join(cmd)} (mode {mode}) exited with "
                    f"{proc.returncode}:\n{output}", pytrace=False)
    # unittest prints "OK" (maybe with skip counts) as its last line.
    last = output.rstrip().splitlines()[-1] if output.strip() else ""
    assert last.startswith("OK"), output
