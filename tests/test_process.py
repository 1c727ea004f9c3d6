"""Subprocesses: loop.subprocess_exec/subprocess_shell and
asyncio.create_subprocess_exec/_shell (pipes, communicate, wait, signals,
pass_fds, cwd, env, start_new_session), and how a child's exit is noticed.

Every child is waited for; the module ends by checking that no child is left
unreaped and no file descriptor leaked.
"""

import asyncio
import gc
import inspect
import os
import signal
import subprocess
import sys
import threading
import time

import pytest

from leakcheck import no_leaks  # noqa: F401 (autouse fixture)

PY = sys.executable
PIPE = asyncio.subprocess.PIPE
TIMEOUT = 60  # generous: only keeps a broken loop from hanging the run




@pytest.fixture
def run(loop, run_until):
    """Run a coroutine on the test's loop, with a guard against hangs."""
    def run(coro):
        return run_until(loop, asyncio.wait_for(coro, TIMEOUT), timeout=TIMEOUT + 10)
    return run


def py(code, **kwargs):
    """asyncio.create_subprocess_exec of `python -c code`."""
    return asyncio.create_subprocess_exec(PY, "-c", code, **kwargs)


# ---------------------------------------------------------------------------
# asyncio.create_subprocess_exec / _shell


def test_exec_communicate(loop, run):
    async def main():
        proc = await py("import sys; print('out'); print('err', file=sys.stderr)",
                        stdout=PIPE, stderr=PIPE)
        assert proc.pid > 0
        out, err = await proc.communicate()
        return out, err, proc.returncode

    assert run(main()) == (b"out\n", b"err\n", 0)


def test_shell_exit_status(loop, run):
    async def main():
        proc = await asyncio.create_subprocess_shell(
            "echo from shell; exit 3", stdout=PIPE)
        out, _ = await proc.communicate()
        return out, proc.returncode, await proc.wait()

    assert run(main()) == (b"from shell\n", 3, 3)


def test_wait_without_pipes(loop, run):
    async def main():
        proc = await py("import sys; sys.exit(5)")
        assert proc.returncode is None or proc.returncode == 5
        return await proc.wait(), proc.returncode

    assert run(main()) == (5, 5)


def test_child_that_exits_early(loop, run):
    """The child exits without reading its stdin: communicate() still returns."""
    async def main():
        proc = await py("import sys; sys.exit(4)", stdin=PIPE, stdout=PIPE)
        out, _ = await proc.communicate(b"x" * (4 * 1024 * 1024))
        return out, proc.returncode

    assert run(main()) == (b"", 4)


def test_child_that_exits_before_we_write(loop, run):
    async def main():
        proc = await py("pass", stdin=PIPE)
        assert await proc.wait() == 0
        proc.stdin.write(b"x" * 1024 * 1024)
        try:
            await proc.stdin.drain()
        except (BrokenPipeError, ConnectionResetError):
            pass
        proc.stdin.close()
        await proc.stdin.wait_closed()
        return proc.returncode

    assert run(main()) == 0


@pytest.mark.parametrize("how, code", [("kill", -signal.SIGKILL),
                                       ("terminate", -signal.SIGTERM)])
def test_child_killed_by_a_signal(loop, run, how, code):
    async def main():
        proc = await py("import sys, time; print('ready', flush=True); time.sleep(3600)",
                        stdout=PIPE)
        assert await proc.stdout.readline() == b"ready\n"
        getattr(proc, how)()
        rc = await proc.wait()
        await proc.communicate()
        return rc, proc.returncode

    assert run(main()) == (code, code)


def test_send_signal(loop, run):
    async def main():
        proc = await py(
            "import signal, sys, time\n"
            "signal.signal(signal.SIGUSR1, lambda *a: sys.exit(7))\n"
            "print('ready', flush=True)\n"
            # Short sleeps: a signal that lands just before a long sleep
            # starts would wait for it to end (Python runs its handlers
            # between bytecodes), which made this test flaky under load.
            "while True:\n"
            "    time.sleep(0.05)\n",
            stdout=PIPE)
        assert await proc.stdout.readline() == b"ready\n"
        proc.send_signal(signal.SIGUSR1)
        out, _ = await proc.communicate()
        return proc.returncode

    assert run(main()) == 7


def test_signals_after_exit(loop, run):
    """Once the process is reaped and its transport is done, signalling it is
    asyncio's ProcessLookupError; it never reaches another process."""
    async def main():
        proc = await py("pass")
        await proc.wait()
        for method in (proc.kill, proc.terminate,
                       lambda: proc.send_signal(signal.SIGUSR1)):
            with pytest.raises(ProcessLookupError):
                method()
        return proc.returncode

    assert run(main()) == 0


def wait_for_zombie(pid, timeout=TIMEOUT):
    """Wait until pid has exited, without running the loop (so that a watcher
    living in the loop cannot reap it meanwhile)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with open(f"/proc/{pid}/stat") as f:
                if f.read().rpartition(")")[2].split()[0] == "Z":
                    return
        except FileNotFoundError:
            return  # already reaped, by a watcher thread
        time.sleep(0.005)


def asyncio_kills_with_os_kill():
    """True once asyncio signals with os.kill() rather than Popen.send_signal()
    (changed in a 3.12 bug-fix release)."""
    from asyncio import base_subprocess

    return "os.kill" in inspect.getsource(
        base_subprocess.BaseSubprocessTransport.send_signal)


def test_kill_of_an_exited_child_not_yet_reaped(loop, run, impl):
    if impl == "asyncio" and not asyncio_kills_with_os_kill():
        pytest.skip("this asyncio reports 255: Popen.send_signal() reaps the "
                    "child behind its child watcher's back")

    async def main():
        proc = await py("pass")
        wait_for_zombie(proc.pid)
        proc.kill()  # nothing to kill, and nothing else may be hit
        return await proc.wait()

    assert run(main()) == 0


def test_huge_stdout(loop, run):
    size = 20 * 1024 * 1024

    async def main():
        proc = await py(
            "import sys\n"
            f"n = {size}\n"
            "chunk = bytes(range(256)) * 4096\n"
            "while n > 0:\n"
            "    n -= sys.stdout.buffer.write(chunk[:n])\n",
            stdout=PIPE)
        out, _ = await proc.communicate()
        return out, proc.returncode

    out, rc = run(main())
    assert rc == 0
    assert len(out) == size
    assert out[:512] == bytes(range(256)) * 2
    assert out == (bytes(range(256)) * 4096) * (size // (256 * 4096))


def test_stdin_pipe_round_trip(loop, run):
    data = os.urandom(3 * 1024 * 1024)

    async def main():
        proc = await py("import sys; sys.stdout.buffer.write(sys.stdin.buffer.read()[::-1])",
                        stdin=PIPE, stdout=PIPE)
        out, _ = await proc.communicate(data)
        return out, proc.returncode

    assert run(main()) == (data[::-1], 0)


def test_stdin_line_by_line(loop, run):
    async def main():
        proc = await py(
            "import sys\n"
            "for line in sys.stdin:\n"
            "    print(line.strip().upper(), flush=True)\n",
            stdin=PIPE, stdout=PIPE)
        answers = []
        for word in (b"one", b"two", b"three"):
            proc.stdin.write(word + b"\n")
            await proc.stdin.drain()
            answers.append(await proc.stdout.readline())
        proc.stdin.close()
        await proc.stdin.wait_closed()
        assert await proc.stdout.read() == b""
        return answers, await proc.wait()

    assert run(main()) == ([b"ONE\n", b"TWO\n", b"THREE\n"], 0)


def test_stderr_to_stdout_and_devnull(loop, run):
    async def main():
        proc = await py("import sys; print('a', flush=True); print('b', file=sys.stderr)",
                        stdout=PIPE, stderr=subprocess.STDOUT,
                        stdin=subprocess.DEVNULL)
        out, err = await proc.communicate()
        proc2 = await py("print('nothing')", stdout=subprocess.DEVNULL)
        out2, _ = await proc2.communicate()
        return sorted(out.split()), err, out2, proc.returncode, proc2.returncode

    assert run(main()) == ([b"a", b"b"], None, None, 0, 0)


def test_env_and_cwd(loop, run, tmp_path):
    async def main():
        env = dict(os.environ, CLOOP_TEST_VAR="hello")
        proc = await py("import os; print(os.environ['CLOOP_TEST_VAR']); print(os.getcwd())",
                        stdout=PIPE, env=env, cwd=str(tmp_path))
        out, _ = await proc.communicate()
        return out.decode().splitlines(), proc.returncode

    lines, rc = run(main())
    assert rc == 0
    assert lines[0] == "hello"
    assert os.path.samefile(lines[1], tmp_path)


def test_shell_sees_env(loop, run):
    async def main():
        proc = await asyncio.create_subprocess_shell(
            "echo $CLOOP_TEST_VAR", stdout=PIPE, env={"CLOOP_TEST_VAR": "shell"})
        out, _ = await proc.communicate()
        return out

    assert run(main()) == b"shell\n"


def test_pass_fds(loop, run):
    r, w = os.pipe()

    async def main():
        proc = await py(f"import os; os.write({w}, b'via fd'); os.close({w})",
                        pass_fds=(w,))
        return await proc.wait()

    try:
        assert run(main()) == 0
        os.close(w)
        w = None
        assert os.read(r, 100) == b"via fd"
    finally:
        os.close(r)
        if w is not None:
            os.close(w)


def test_fds_are_not_inherited_without_pass_fds(loop, run):
    r, w = os.pipe()

    async def main():
        proc = await py(f"import os\ntry:\n    os.fstat({w})\nexcept OSError:\n"
                        "    print('closed')\n", stdout=PIPE)
        out, _ = await proc.communicate()
        return out

    try:
        assert run(main()) == b"closed\n"
    finally:
        os.close(r)
        os.close(w)


def test_start_new_session(loop, run):
    async def main():
        code = "import os; print(os.getpid(), os.getsid(0), os.getpgid(0))"
        proc = await py(code, stdout=PIPE, start_new_session=True)
        out, _ = await proc.communicate()
        pid, sid, pgid = map(int, out.split())
        assert pid == proc.pid
        plain = await py(code, stdout=PIPE)
        out2, _ = await plain.communicate()
        _, sid2, _ = map(int, out2.split())
        return pid == sid == pgid, sid2 == os.getsid(0)

    assert run(main()) == (True, True)


def test_missing_program(loop, run):
    async def main():
        with pytest.raises(FileNotFoundError):
            await asyncio.create_subprocess_exec("/nonexistent/program", stdout=PIPE)
        return "ok"

    assert run(main()) == "ok"


def test_bad_arguments_are_refused(loop, run):
    async def main():
        proto = asyncio.SubprocessProtocol
        with pytest.raises(ValueError, match="universal_newlines must be False"):
            await loop.subprocess_exec(proto, PY, universal_newlines=True)
        with pytest.raises(ValueError, match="bufsize must be 0"):
            await loop.subprocess_exec(proto, PY, bufsize=1)
        with pytest.raises(ValueError, match="shell must be True"):
            await loop.subprocess_shell(proto, "true", shell=False)
        with pytest.raises(ValueError, match="cmd must be a string"):
            await loop.subprocess_shell(proto, ["true"])
        with pytest.raises(ValueError, match="text must be False"):
            await loop.subprocess_exec(proto, PY, text=True)
        return "ok"

    assert run(main()) == "ok"


def test_debug_mode(loop, run, caplog):
    loop.set_debug(True)
    loop.slow_callback_duration = 60  # only the subprocess logging is of interest

    async def main():
        proc = await py("import sys; print(sys.stdin.read())", stdin=PIPE, stdout=PIPE)
        out, _ = await proc.communicate(b"debug")
        shell = await asyncio.create_subprocess_shell("exit 0")
        return out, proc.returncode, await shell.wait()

    with caplog.at_level("DEBUG", logger="asyncio"):
        assert run(main()) == (b"debug\n", 0, 0)
    assert any("run shell command" in r.getMessage() for r in caplog.records)


def test_many_processes_at_once(loop, run):
    async def one(i):
        proc = await py(f"import sys; print({i}); sys.exit({i % 7})", stdout=PIPE)
        out, _ = await proc.communicate()
        return int(out), proc.returncode

    async def main():
        return await asyncio.gather(*(one(i) for i in range(30)))

    assert run(main()) == [(i, i % 7) for i in range(30)]


def test_wait_can_be_cancelled_and_waited_again(loop, run):
    async def main():
        proc = await py("import time; time.sleep(3600)")
        with pytest.raises(asyncio.TimeoutError):
            await asyncio.wait_for(proc.wait(), 0.05)
        assert proc.returncode is None
        proc.kill()
        return await proc.wait()

    assert run(main()) == -signal.SIGKILL


def test_subprocess_from_a_loop_in_another_thread(loop_factory):
    result = []

    def thread_main():
        async def main():
            proc = await py("print('thread')", stdout=PIPE)
            out, _ = await proc.communicate()
            return out, proc.returncode

        thread_loop = loop_factory()
        try:
            result.append(thread_loop.run_until_complete(asyncio.wait_for(main(), TIMEOUT)))
        except BaseException as exc:
            result.append(exc)
        finally:
            thread_loop.close()

    t = threading.Thread(target=thread_main)
    t.start()
    t.join(TIMEOUT + 10)
    assert result == [(b"thread\n", 0)]


# ---------------------------------------------------------------------------
# loop.subprocess_exec with a protocol


class RecordingProtocol(asyncio.SubprocessProtocol):
    def __init__(self, loop):
        self.events = []
        self.data = {1: b"", 2: b""}
        self.done = loop.create_future()
        self.transport = None

    def connection_made(self, transport):
        self.transport = transport
        self.events.append("connection_made")

    def pipe_data_received(self, fd, data):
        self.data[fd] += data

    def pipe_connection_lost(self, fd, exc):
        self.events.append(("pipe_connection_lost", fd, exc))

    def process_exited(self):
        self.events.append(("process_exited", self.transport.get_returncode()))

    def connection_lost(self, exc):
        self.events.append(("connection_lost", exc))
        self.done.set_result(None)


def test_protocol_callbacks(loop, run):
    async def main():
        transport, proto = await loop.subprocess_exec(
            lambda: RecordingProtocol(loop), PY, "-c",
            "import sys; sys.stdout.write(sys.stdin.read()); sys.stderr.write('e'); sys.exit(2)")
        assert proto.events == ["connection_made"]
        assert transport.get_pid() > 0
        assert transport.get_returncode() is None
        stdin = transport.get_pipe_transport(0)
        stdin.write(b"echo")
        stdin.close()
        await proto.done
        assert transport.get_returncode() == 2
        transport.close()
        return proto

    proto = run(main())
    assert proto.data == {1: b"echo", 2: b"e"}
    assert proto.events[0] == "connection_made"
    assert proto.events[-1] == ("connection_lost", None)
    assert sorted(map(str, proto.events[1:-1])) == sorted(map(str, [
        ("pipe_connection_lost", 0, None),
        ("pipe_connection_lost", 1, None),
        ("pipe_connection_lost", 2, None),
        ("process_exited", 2),
    ]))


def test_shell_with_protocol_and_no_pipes(loop, run):
    async def main():
        transport, proto = await loop.subprocess_shell(
            lambda: RecordingProtocol(loop), "exit 9",
            stdin=None, stdout=None, stderr=None)
        assert transport.get_pipe_transport(1) is None
        await proto.done
        transport.close()
        return proto.events

    assert run(main()) == ["connection_made", ("process_exited", 9),
                           ("connection_lost", None)]


def test_closing_the_transport_kills_the_child(loop, run):
    async def main():
        transport, proto = await loop.subprocess_exec(
            lambda: RecordingProtocol(loop), PY, "-c", "import time; time.sleep(3600)",
            stdin=None, stdout=None, stderr=None)
        transport.close()
        await proto.done
        return transport.get_returncode()

    assert run(main()) == -signal.SIGKILL


# ---------------------------------------------------------------------------
# asyncio's child watchers (3.11-3.13): a watcher the policy holds gets the
# child, as on asyncio's loop

no_child_watchers = pytest.mark.skipif(
    sys.version_info >= (3, 14), reason="child watchers are gone in 3.14")


@pytest.fixture
def policy_watcher():
    """Sets a child watcher on asyncio's policy for the test and puts the
    policy's previous one back."""
    import warnings
    policy = asyncio.get_event_loop_policy()
    saved = policy._watcher

    def install(watcher):
        policy._watcher = watcher
        return watcher

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        yield install
    policy._watcher = saved


@no_child_watchers
def test_an_inactive_watcher_refuses_the_child(loop, run, policy_watcher):
    from unittest import mock
    watcher = policy_watcher(mock.create_autospec(asyncio.AbstractChildWatcher))
    watcher.is_active.return_value = False
    watcher.__enter__.return_value = watcher  # 3.11 uses what `with` gives

    async def main():
        with pytest.raises(RuntimeError, match="not activated"):
            await py("pass")

    run(main())
    watcher.add_child_handler.assert_not_called()


@no_child_watchers
def test_a_watcher_that_reaps_every_child_reports_the_status(
        loop, run, policy_watcher):
    # FastChildWatcher waits for any child on SIGCHLD: the child must be its
    # to report, or its status is lost (returncode 255) to one side.
    watcher = policy_watcher(asyncio.FastChildWatcher())
    watcher.attach_loop(loop)
    try:
        async def main():
            codes = []
            for code in range(3, 8):
                proc = await py(f"raise SystemExit({code})")
                codes.append(await proc.wait())
            return codes

        assert run(main()) == [3, 4, 5, 6, 7]
    finally:
        watcher.close()


# ---------------------------------------------------------------------------
# cloop's own child watching: pidfd, the thread fallback, close()


@pytest.mark.cloop_only
def test_exit_is_noticed_with_a_pidfd(loop, run):
    if not hasattr(os, "pidfd_open"):
        pytest.skip("no os.pidfd_open")

    async def main():
        transport, proto = await loop.subprocess_exec(
            lambda: RecordingProtocol(loop), PY, "-c", "import sys; sys.stdin.read()",
            stdout=None, stderr=None)
        pidfd = transport._pidfd
        assert pidfd is not None
        assert os.readlink(f"/proc/self/fd/{pidfd}") == "anon_inode:[pidfd]"
        assert threading.active_count() == before
        transport.get_pipe_transport(0).close()
        await proto.done
        assert transport._pidfd is None
        transport.close()
        return transport.get_returncode()

    before = threading.active_count()
    assert run(main()) == 0


@pytest.fixture
def no_pidfd(monkeypatch):
    """Force the thread fallback, as on a kernel without pidfds."""
    from cloop import _process

    monkeypatch.setattr(_process, "_pidfd_open", lambda pid: None)


@pytest.mark.cloop_only
def test_thread_fallback(loop, run, no_pidfd):
    async def main():
        proc = await py("import sys; print(sys.stdin.read().upper()); sys.exit(3)",
                        stdin=PIPE, stdout=PIPE)
        assert proc._transport._pidfd is None
        out, _ = await proc.communicate(b"abc")
        killed = await py("import time; time.sleep(3600)")
        killed.kill()
        return out, proc.returncode, await killed.wait()

    assert run(main()) == (b"ABC\n", 3, -signal.SIGKILL)


@pytest.mark.cloop_only
def test_the_thread_fallback_leaves_the_child_to_the_loop_to_reap(loop, run, no_pidfd):
    # The waiting thread must not reap the child: until the loop publishes the exit,
    # the pid stays the child's, so that kill() cannot reach a reused pid (gh-127049).
    async def main():
        proc = await py("import time; time.sleep(3600)")
        (waiter,) = [t for t in threading.enumerate()
                     if t.name == f"cloop-waitpid-{proc.pid}"]
        proc.kill()
        waiter.join(TIMEOUT)  # the thread has seen the exit; the loop has not run since
        assert not waiter.is_alive()
        assert proc.returncode is None
        # Still a zombie (ChildProcessError once reaped).
        os.waitid(os.P_PID, proc.pid, os.WEXITED | os.WNOWAIT | os.WNOHANG)
        proc.kill()  # signals the zombie, no one else
        return await proc.wait()

    assert run(main()) == -signal.SIGKILL


@pytest.mark.cloop_only
def test_a_failing_waitpid_still_closes_the_pidfd(loop, run, monkeypatch):
    if not hasattr(os, "pidfd_open"):
        pytest.skip("no os.pidfd_open")
    errors = []
    loop.set_exception_handler(lambda loop, context: errors.append(context["exception"]))
    real_waitpid = os.waitpid

    def failing_waitpid(pid, options):
        raise OSError("unexpected")

    async def main():
        proc = await py("import sys; sys.stdin.read()", stdin=PIPE)
        pidfd = proc._transport._pidfd
        monkeypatch.setattr(os, "waitpid", failing_waitpid)
        proc.stdin.close()
        while not errors:
            await asyncio.sleep(0.01)
        monkeypatch.setattr(os, "waitpid", real_waitpid)
        assert proc._transport._pidfd is None
        try:  # closed (its number may already name another fd)
            target = os.readlink(f"/proc/self/fd/{pidfd}")
        except FileNotFoundError:
            target = None
        assert target != "anon_inode:[pidfd]"
        real_waitpid(proc.pid, 0)
        proc._transport._process_exited(0)  # as asyncio's test does: nobody else will
        return await proc.wait()

    assert run(main()) == 0
    assert [str(e) for e in errors] == ["unexpected"]


@pytest.mark.cloop_only
@pytest.mark.parametrize("watch", ["pidfd", "thread"])
def test_close_with_a_running_child_reaps_it(loop, run, watch, monkeypatch, caplog):
    if watch == "thread":
        from cloop import _process

        monkeypatch.setattr(_process, "_pidfd_open", lambda pid: None)

    async def main():
        transport, proto = await loop.subprocess_exec(
            asyncio.SubprocessProtocol, PY, "-c", "import time; time.sleep(3600)",
            stdin=None, stdout=None, stderr=None)
        return transport

    transport = run(main())
    pid = transport.get_pid()
    transport.close()  # kills the child; its exit is not seen before close()
    loop.close()
    deadline = time.monotonic() + TIMEOUT
    while transport._proc.returncode is None:
        assert time.monotonic() < deadline, "the child was not reaped"
        time.sleep(0.01)
    assert transport._proc.returncode == -signal.SIGKILL
    with pytest.raises(ProcessLookupError):
        os.kill(pid, 0)
