"""add_signal_handler / remove_signal_handler, Ctrl-C under asyncio.Runner and
`python -m cloop`, and os.fork() from a running loop.

Signals are delivered to this very process (os.kill(os.getpid(), ...)), so every
test restores the handlers it touched; the Ctrl-C and fork tests run in a child
Python.
"""

import asyncio
import contextvars
import gc
import os
import selectors
import signal
import subprocess
import sys
import textwrap
import threading
import time

import pytest

from leakcheck import no_leaks  # noqa: F401 (autouse fixture)
from conftest import SUBPROCESS_TIMEOUT, subprocess_env

SIGNALS = (signal.SIGUSR1, signal.SIGUSR2, signal.SIGINT, signal.SIGHUP)


@pytest.fixture(autouse=True)
def restore_signals():
    """Whatever a test does, leave the handlers and the wakeup fd as they were."""
    saved = {sig: signal.getsignal(sig) for sig in SIGNALS}
    wakeup = signal.set_wakeup_fd(-1)
    signal.set_wakeup_fd(wakeup)
    yield
    for sig, handler in saved.items():
        signal.signal(sig, handler)
    signal.set_wakeup_fd(wakeup)




def wakeup_fd():
    fd = signal.set_wakeup_fd(-1)
    signal.set_wakeup_fd(fd)
    return fd


# ---------------------------------------------------------------------------
# Handlers run as loop callbacks


def test_handler_runs_as_a_callback_with_its_args(loop, run_until):
    calls = []

    async def main():
        done = loop.create_future()

        def handler(*args):
            calls.append((args, asyncio.get_running_loop() is loop))
            done.set_result(None)

        loop.add_signal_handler(signal.SIGUSR1, handler, "a", 2)
        os.kill(os.getpid(), signal.SIGUSR1)
        await asyncio.wait_for(done, 30)

    run_until(loop, main(), timeout=60)
    assert calls == [(("a", 2), True)]
    assert loop.remove_signal_handler(signal.SIGUSR1) is True


def test_handler_is_called_once_per_delivery(loop, run_until):
    seen = []

    async def main():
        loop.add_signal_handler(signal.SIGUSR1, seen.append, 1)
        loop.add_signal_handler(signal.SIGUSR2, seen.append, 2)
        for sig in (signal.SIGUSR1, signal.SIGUSR2, signal.SIGUSR1):
            os.kill(os.getpid(), sig)
            # The next signal is sent only once this one has been handled.
            count = len(seen)
            while len(seen) == count:
                await asyncio.sleep(0.001)

    run_until(loop, main(), timeout=60)
    assert seen == [1, 2, 1]


def test_handler_runs_in_the_context_it_was_added_in(loop, run_until):
    var = contextvars.ContextVar("var", default="unset")
    seen = []

    async def main():
        done = loop.create_future()
        var.set("at add time")
        loop.add_signal_handler(
            signal.SIGUSR1, lambda: (seen.append(var.get()), done.set_result(None)))
        var.set("later")
        os.kill(os.getpid(), signal.SIGUSR1)
        await asyncio.wait_for(done, 30)

    run_until(loop, main(), timeout=60)
    assert seen == ["at add time"]


def test_adding_again_replaces_the_handler(loop, run_until):
    seen = []

    async def main():
        done = loop.create_future()
        loop.add_signal_handler(signal.SIGUSR1, seen.append, "old")
        loop.add_signal_handler(
            signal.SIGUSR1, lambda: (seen.append("new"), done.set_result(None)))
        os.kill(os.getpid(), signal.SIGUSR1)
        await asyncio.wait_for(done, 30)

    run_until(loop, main(), timeout=60)
    assert seen == ["new"]


def test_handler_exception_goes_to_the_exception_handler(loop, run_until):
    contexts = []
    loop.set_exception_handler(lambda lp, ctx: contexts.append(ctx))

    def bad():
        raise ZeroDivisionError("in handler")

    async def main():
        loop.add_signal_handler(signal.SIGUSR1, bad)
        os.kill(os.getpid(), signal.SIGUSR1)
        while not contexts:
            await asyncio.sleep(0.001)
        # The loop goes on.
        await asyncio.sleep(0)
        return "alive"

    assert run_until(loop, main(), timeout=60) == "alive"
    assert len(contexts) == 1
    assert isinstance(contexts[0]["exception"], ZeroDivisionError)
    assert contexts[0]["message"].startswith("Exception in callback")


def test_handler_can_remove_itself(loop, run_until):
    seen = []

    async def main():
        def handler():
            seen.append(loop.remove_signal_handler(signal.SIGUSR1))

        loop.add_signal_handler(signal.SIGUSR1, handler)
        os.kill(os.getpid(), signal.SIGUSR1)
        while not seen:
            await asyncio.sleep(0.001)

    run_until(loop, main(), timeout=60)
    assert seen == [True]
    assert signal.getsignal(signal.SIGUSR1) == signal.SIG_DFL


def test_signal_wakes_a_loop_blocked_in_poll(loop, run_until):
    """Sent from another thread while the loop sleeps with no timer due."""
    async def main():
        done = loop.create_future()
        loop.add_signal_handler(signal.SIGUSR1, done.set_result, "woken")
        threading.Timer(0.05, os.kill, (os.getpid(), signal.SIGUSR1)).start()
        return await done

    assert run_until(loop, main(), timeout=60) == "woken"


def test_handler_runs_while_the_loop_never_blocks(loop, run_until):
    """Always a callback ready and no fd watched: the loop polls with a zero
    timeout only, and the signal still reaches its handler."""
    seen = []

    async def main():
        loop.add_signal_handler(signal.SIGUSR1, seen.append, "busy")
        os.kill(os.getpid(), signal.SIGUSR1)
        while not seen:
            await asyncio.sleep(0)

    run_until(loop, main(), timeout=60)
    assert seen == ["busy"]


def test_a_handler_added_while_running_keeps_the_wakeup_fd(loop, run_until):
    async def add():
        loop.add_signal_handler(signal.SIGUSR1, lambda: None)
        return wakeup_fd()

    fd = run_until(loop, add())
    assert fd != -1
    assert wakeup_fd() == fd  # stopping the loop left it to the handler

    async def deliver():
        done = loop.create_future()
        loop.add_signal_handler(signal.SIGUSR1, done.set_result, "again")
        os.kill(os.getpid(), signal.SIGUSR1)
        return await asyncio.wait_for(done, 30)

    assert run_until(loop, deliver(), timeout=60) == "again"
    assert loop.remove_signal_handler(signal.SIGUSR1) is True
    assert wakeup_fd() == -1
    run_until(loop, asyncio.sleep(0))
    assert wakeup_fd() == -1  # a run without handlers leaves nothing behind


def test_the_loop_that_added_a_handler_last_gets_the_signals(
        loop, loop_factory, run_until):
    """asyncio's rules with two loops: add_signal_handler points the wakeup
    fd at its own loop, and removing a loop's last handler resets it even
    though another loop still has handlers."""
    other = loop_factory()
    try:
        seen = []
        loop.add_signal_handler(signal.SIGUSR1, seen.append, "first")
        other.add_signal_handler(signal.SIGUSR2, seen.append, "other")

        async def deliver():
            os.kill(os.getpid(), signal.SIGUSR1)  # not other's: dropped there
            os.kill(os.getpid(), signal.SIGUSR2)
            while not seen:
                await asyncio.sleep(0.001)

        run_until(other, deliver(), timeout=60)
        assert seen == ["other"]

        assert other.remove_signal_handler(signal.SIGUSR2) is True
        assert wakeup_fd() == -1

        seen.clear()
        loop.add_signal_handler(signal.SIGUSR1, seen.append, "first again")

        async def deliver_first():
            os.kill(os.getpid(), signal.SIGUSR1)
            while not seen:
                await asyncio.sleep(0.001)

        run_until(loop, deliver_first(), timeout=60)
        assert seen == ["first again"]
    finally:
        other.close()
    loop.close()
    assert signal.getsignal(signal.SIGUSR1) == signal.SIG_DFL
    assert signal.getsignal(signal.SIGUSR2) == signal.SIG_DFL
    assert wakeup_fd() == -1


def test_a_loop_in_another_thread_leaves_signals_to_the_main_one(
        loop, loop_factory, run_until):
    """A loop running in a thread neither takes the wakeup fd nor may add
    handlers, and the main thread's loop goes on receiving its signals."""
    started = threading.Event()
    refused = []
    other = loop_factory()

    async def in_thread():
        try:
            other.add_signal_handler(signal.SIGUSR2, lambda: None)
        except RuntimeError as exc:
            refused.append(exc)
        release = other.create_future()
        other.release = release
        started.set()
        await release

    thread = threading.Thread(target=other.run_until_complete, args=(in_thread(),))

    async def main():
        done = loop.create_future()
        loop.add_signal_handler(signal.SIGUSR1, done.set_result, "main")
        fd = wakeup_fd()
        thread.start()
        assert await loop.run_in_executor(None, started.wait, 30)
        assert wakeup_fd() == fd
        os.kill(os.getpid(), signal.SIGUSR1)
        got = await asyncio.wait_for(done, 30)
        other.call_soon_threadsafe(other.release.set_result, None)
        await loop.run_in_executor(None, thread.join, 30)
        assert wakeup_fd() == fd
        return got

    try:
        assert run_until(loop, main(), timeout=60) == "main"
    finally:
        if thread.is_alive():
            other.call_soon_threadsafe(other.stop)
            thread.join(30)
        other.close()
    assert len(refused) == 1, refused
    assert signal.getsignal(signal.SIGUSR2) == signal.SIG_DFL


# ---------------------------------------------------------------------------
# Removal and close


def test_remove_restores_the_default_handlers(loop):
    loop.add_signal_handler(signal.SIGUSR1, lambda: None)
    loop.add_signal_handler(signal.SIGINT, lambda: None)
    assert signal.getsignal(signal.SIGUSR1) not in (signal.SIG_DFL, None)
    assert wakeup_fd() != -1

    assert loop.remove_signal_handler(signal.SIGUSR1) is True
    assert signal.getsignal(signal.SIGUSR1) == signal.SIG_DFL
    assert loop.remove_signal_handler(signal.SIGUSR1) is False
    assert wakeup_fd() != -1  # SIGINT still has a handler

    assert loop.remove_signal_handler(signal.SIGINT) is True
    assert signal.getsignal(signal.SIGINT) is signal.default_int_handler
    assert wakeup_fd() == -1


def test_remove_without_a_handler_is_false(loop):
    assert loop.remove_signal_handler(signal.SIGUSR2) is False
    assert loop.remove_signal_handler(signal.SIGKILL) is False


def test_close_restores_the_default_handlers(loop):
    loop.add_signal_handler(signal.SIGUSR1, lambda: None)
    loop.add_signal_handler(signal.SIGUSR2, lambda: None)
    loop.add_signal_handler(signal.SIGINT, lambda: None)
    loop.close()
    assert signal.getsignal(signal.SIGUSR1) == signal.SIG_DFL
    assert signal.getsignal(signal.SIGUSR2) == signal.SIG_DFL
    assert signal.getsignal(signal.SIGINT) is signal.default_int_handler
    assert wakeup_fd() == -1


def test_signal_after_removal_does_not_call_the_handler(loop, run_until):
    """The handler is gone; SIGUSR2 (still handled) proves the loop ran."""
    seen = []

    async def main():
        loop.add_signal_handler(signal.SIGUSR1, seen.append, 1)
        loop.add_signal_handler(signal.SIGUSR2, seen.append, 2)
        loop.remove_signal_handler(signal.SIGUSR1)
        signal.signal(signal.SIGUSR1, lambda *a: None)  # don't die of it
        os.kill(os.getpid(), signal.SIGUSR1)
        os.kill(os.getpid(), signal.SIGUSR2)
        while not seen:
            await asyncio.sleep(0.001)

    run_until(loop, main(), timeout=60)
    assert seen == [2]


# ---------------------------------------------------------------------------
# Refusals, with asyncio's exceptions


def test_coroutines_are_refused(loop):
    async def coro_func():
        pass

    with pytest.raises(TypeError, match="coroutines cannot be used"):
        loop.add_signal_handler(signal.SIGUSR1, coro_func)
    coro = coro_func()
    try:
        with pytest.raises(TypeError, match="coroutines cannot be used"):
            loop.add_signal_handler(signal.SIGUSR1, coro)
    finally:
        coro.close()
    assert signal.getsignal(signal.SIGUSR1) == signal.SIG_DFL


@pytest.mark.parametrize("sig", [signal.SIGKILL, signal.SIGSTOP])
def test_uncatchable_signals_are_refused(loop, sig):
    with pytest.raises(RuntimeError, match=f"sig {int(sig)} cannot be caught"):
        loop.add_signal_handler(sig, lambda: None)
    assert wakeup_fd() == -1


@pytest.mark.parametrize("method", ["add_signal_handler", "remove_signal_handler"])
def test_invalid_signal_numbers(loop, method):
    args = (lambda: None,) if method == "add_signal_handler" else ()
    with pytest.raises(ValueError, match="invalid signal number"):
        getattr(loop, method)(0, *args)
    with pytest.raises(ValueError, match="invalid signal number"):
        getattr(loop, method)(signal.NSIG + 10, *args)
    with pytest.raises(TypeError, match="sig must be an int"):
        getattr(loop, method)("SIGUSR1", *args)


def test_only_the_main_thread_may_add_handlers(loop):
    errors = []

    def other_thread():
        try:
            loop.add_signal_handler(signal.SIGUSR1, lambda: None)
        except Exception as exc:
            errors.append(exc)

    t = threading.Thread(target=other_thread)
    t.start()
    t.join(30)
    assert len(errors) == 1 and isinstance(errors[0], RuntimeError), errors
    assert signal.getsignal(signal.SIGUSR1) == signal.SIG_DFL


def test_closed_loop_refuses_handlers(loop):
    loop.close()
    with pytest.raises(RuntimeError, match="Event loop is closed"):
        loop.add_signal_handler(signal.SIGUSR1, lambda: None)
    assert signal.getsignal(signal.SIGUSR1) == signal.SIG_DFL


# ---------------------------------------------------------------------------
# Ctrl-C, in a child Python


def spawn(impl, tmp_path, code, how="runner", args=()):
    """Start a child running `code` with argv [..., *args, impl]; under
    `python -m cloop` when how is "main" and impl is cloop, else as a plain
    script."""
    script = tmp_path / "script.py"
    script.write_text(textwrap.dedent(code))
    if how == "main" and impl == "cloop":
        argv = [sys.executable, "-m", "cloop", str(script), *args, impl]
    else:
        argv = [sys.executable, str(script), *args, impl]
    return subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            stdin=subprocess.DEVNULL, env=subprocess_env(),
                            cwd=str(tmp_path), preexec_fn=_default_sigint)


def _default_sigint():
    """The child starts as from a terminal: a suite run in the background
    (`cmd &` in a script) inherits SIGINT ignored, and Python then leaves
    it ignored, so Ctrl-C would never reach the child."""
    signal.signal(signal.SIGINT, signal.SIG_DFL)


def wait_for_line(proc, expected, timeout=SUBPROCESS_TIMEOUT):
    """Read the child's stdout until a line equal to `expected`."""
    deadline = time.monotonic() + timeout
    with selectors.DefaultSelector() as sel:
        sel.register(proc.stdout, selectors.EVENT_READ)
        while True:
            remaining = deadline - time.monotonic()
            if remaining <= 0 or not sel.select(remaining):
                proc.kill()
                out, err = proc.communicate()
                pytest.fail(f"no {expected!r} line; stderr:\n{err.decode()}")
            line = proc.stdout.readline()
            if not line:
                out, err = proc.communicate()
                pytest.fail(f"child exited before {expected!r}; stderr:\n{err.decode()}")
            if line.decode().strip() == expected:
                return


def wait_until_blocked(proc, timeout=10.0):
    """Wait until the child's main thread sleeps in epoll_wait.

    A signal that arrives just before a loop blocks in epoll_wait trips Python's
    flag but interrupts nothing, so its Python handler waits for the next event
    (stock asyncio has this race too). Sending only once the child sleeps in the
    system call keeps the test about Ctrl-C rather than that race.
    """
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with open(f"/proc/{proc.pid}/wchan") as f:
                if "epoll" in f.read():
                    return
        except OSError:
            return
        time.sleep(0.005)


def interrupt(proc):
    wait_until_blocked(proc)
    proc.send_signal(signal.SIGINT)


def finish(proc):
    try:
        out, err = proc.communicate(timeout=SUBPROCESS_TIMEOUT)
    except subprocess.TimeoutExpired:
        proc.kill()
        out, err = proc.communicate()
        pytest.fail(f"child did not exit; stderr:\n{err.decode()}")
    return proc.returncode, out.decode(), err.decode()


RUNNER_PRELUDE = """
    import asyncio, signal, sys
    impl = sys.argv[-1]
    if impl == "cloop":
        import cloop
        factory = cloop.new_event_loop
    else:
        factory = asyncio.new_event_loop

    def check_loop():
        loop = asyncio.get_running_loop()
        assert type(loop).__module__.startswith(impl), type(loop)
"""


def test_ctrl_c_under_python_m_cloop(impl, tmp_path):
    proc = spawn(impl, tmp_path, """
        import asyncio, sys

        async def main():
            loop = asyncio.get_running_loop()
            assert type(loop).__module__.startswith(sys.argv[-1]), type(loop)
            print("ready", flush=True)
            await asyncio.sleep(3600)

        asyncio.run(main())
        print("not reached", flush=True)
    """, how="main")
    wait_for_line(proc, "ready")
    interrupt(proc)
    rc, out, err = finish(proc)
    assert rc != 0
    assert "KeyboardInterrupt" in err
    assert "not reached" not in out


def test_first_ctrl_c_cancels_the_main_task(impl, tmp_path):
    proc = spawn(impl, tmp_path, RUNNER_PRELUDE + """
    async def main():
        check_loop()
        print("ready", flush=True)
        try:
            await asyncio.sleep(3600)
        except asyncio.CancelledError:
            print("cancelled", flush=True)
            raise

    with asyncio.Runner(loop_factory=factory) as runner:
        try:
            runner.run(main())
        except KeyboardInterrupt:
            print("KeyboardInterrupt", flush=True)
    print("closed", flush=True)
    """)
    wait_for_line(proc, "ready")
    interrupt(proc)
    rc, out, err = finish(proc)
    assert rc == 0, err
    assert out.split() == ["cancelled", "KeyboardInterrupt", "closed"]


@pytest.mark.parametrize("entry", ["Runner", "run"])
def test_second_ctrl_c_raises_keyboard_interrupt(impl, tmp_path, entry):
    """entry "run" is cloop.run() on cloop and asyncio.run() on asyncio."""
    proc = spawn(impl, tmp_path, RUNNER_PRELUDE + """
    async def main():
        check_loop()
        print("ready", flush=True)
        try:
            await asyncio.sleep(3600)
        except asyncio.CancelledError:
            print("cancelled", flush=True)
        # Ignore the first Ctrl-C and go on waiting.
        await asyncio.sleep(3600)
        print("not reached", flush=True)

    if sys.argv[-2] == "run":
        (cloop.run if impl == "cloop" else asyncio.run)(main())
    else:
        with asyncio.Runner(loop_factory=factory) as runner:
            runner.run(main())
    """, args=(entry,))
    wait_for_line(proc, "ready")
    interrupt(proc)
    wait_for_line(proc, "cancelled")
    interrupt(proc)
    rc, out, err = finish(proc)
    assert rc != 0
    assert "KeyboardInterrupt" in err
    assert "not reached" not in out


def test_sigint_handler_replaces_keyboard_interrupt(impl, tmp_path):
    proc = spawn(impl, tmp_path, RUNNER_PRELUDE + """
    async def main():
        check_loop()
        loop = asyncio.get_running_loop()
        got = loop.create_future()
        loop.add_signal_handler(signal.SIGINT, got.set_result, "handled")
        print("ready", flush=True)
        print(await got, flush=True)
        loop.remove_signal_handler(signal.SIGINT)
        assert signal.getsignal(signal.SIGINT) is signal.default_int_handler

    with asyncio.Runner(loop_factory=factory) as runner:
        runner.run(main())
    print("done", flush=True)
    """)
    wait_for_line(proc, "ready")
    interrupt(proc)
    rc, out, err = finish(proc)
    assert rc == 0, err
    assert out.split() == ["handled", "done"]


# ---------------------------------------------------------------------------
# fork() from a running loop, in a child Python


def test_fork_in_a_callback_child_runs_a_fresh_loop(impl, run_python):
    code = RUNNER_PRELUDE + """
    import os

    async def child_main():
        check_loop()
        fut = asyncio.get_running_loop().create_future()
        asyncio.get_running_loop().call_later(0.01, fut.set_result, 42)
        r, w = os.pipe()
        os.write(w, b"x")
        reader = asyncio.StreamReader()
        await asyncio.get_running_loop().connect_read_pipe(
            lambda: asyncio.StreamReaderProtocol(reader), os.fdopen(r, "rb", 0))
        os.close(w)
        data = await reader.read()
        proc = await asyncio.create_subprocess_exec(
            sys.executable, "-c", "print('sub')", stdout=asyncio.subprocess.PIPE)
        out, _ = await proc.communicate()
        return await fut, data, out.strip(), proc.returncode

    def in_child():
        ok = False
        try:
            loop = factory()
            try:
                ok = loop.run_until_complete(child_main()) == (42, b"x", b"sub", 0)
            finally:
                loop.close()
        except BaseException:
            import traceback
            traceback.print_exc()
        finally:
            os._exit(0 if ok else 1)

    def fork_now(result):
        pid = os.fork()
        if pid == 0:
            in_child()
        result.set_result(os.waitpid(pid, 0)[1])

    async def main():
        check_loop()
        loop = asyncio.get_running_loop()
        loop.add_signal_handler(signal.SIGUSR1, lambda: None)
        result = loop.create_future()
        loop.call_soon(fork_now, result)
        status = await result
        print("child exit", os.waitstatus_to_exitcode(status))

    with asyncio.Runner(loop_factory=factory) as runner:
        runner.run(main())
    """
    res = run_python(textwrap.dedent(code), impl)
    assert res.returncode == 0, res.stderr
    assert res.stdout.split() == ["child", "exit", "0"], res.stderr


def test_forked_child_does_not_signal_the_parent_loop(impl, run_python):
    if impl == "asyncio" and sys.version_info < (3, 12):
        pytest.skip("asyncio resets the wakeup fd in a forked child from 3.12 on")
    code = RUNNER_PRELUDE + """
    import os

    def fork_now(result):
        pid = os.fork()
        if pid == 0:
            os._exit(0 if signal.set_wakeup_fd(-1) == -1 else 1)
        result.set_result(os.waitpid(pid, 0)[1])

    async def main():
        check_loop()
        loop = asyncio.get_running_loop()
        loop.add_signal_handler(signal.SIGUSR1, lambda: None)
        result = loop.create_future()
        loop.call_soon(fork_now, result)
        print("child exit", os.waitstatus_to_exitcode(await result))

    with asyncio.Runner(loop_factory=factory) as runner:
        runner.run(main())
    """
    res = run_python(textwrap.dedent(code), impl)
    assert res.returncode == 0, res.stderr
    assert res.stdout.split() == ["child", "exit", "0"], res.stderr


def test_forked_child_runs_its_own_handlers_and_not_the_parents(impl, run_python):
    if impl == "asyncio" and sys.version_info < (3, 12):
        pytest.skip("asyncio resets the wakeup fd in a forked child from 3.12 on")
    code = RUNNER_PRELUDE + """
    import os, traceback

    async def child_main(loop):
        got = loop.create_future()
        loop.add_signal_handler(signal.SIGUSR1, got.set_result, "child")
        os.kill(os.getpid(), signal.SIGUSR1)
        return await asyncio.wait_for(got, 30)

    def in_child():
        ok = False
        try:
            # The parent's (no-op) Python handler is inherited, its wakeup
            # fd is not: this signal must reach no loop of the parent.
            os.kill(os.getpid(), signal.SIGUSR1)
            loop = factory()
            try:
                ok = loop.run_until_complete(child_main(loop)) == "child"
            finally:
                loop.close()
        except BaseException:
            traceback.print_exc()
        finally:
            os._exit(0 if ok else 1)

    def fork_now(result):
        pid = os.fork()
        if pid == 0:
            in_child()
        result.set_result(os.waitpid(pid, 0)[1])

    async def main():
        check_loop()
        loop = asyncio.get_running_loop()
        seen = []
        usr2 = loop.create_future()
        loop.add_signal_handler(signal.SIGUSR1, seen.append, "parent")
        loop.add_signal_handler(signal.SIGUSR2, usr2.set_result, None)
        result = loop.create_future()
        loop.call_soon(fork_now, result)
        status = await result
        # Whatever the child wrote into this loop's pipe was written before
        # this signal's byte, so it is handled first.
        os.kill(os.getpid(), signal.SIGUSR2)
        await asyncio.wait_for(usr2, 30)
        print("child", os.waitstatus_to_exitcode(status), "parent", len(seen))

    with asyncio.Runner(loop_factory=factory) as runner:
        runner.run(main())
    """
    res = run_python(textwrap.dedent(code), impl)
    assert res.returncode == 0, res.stderr
    assert res.stdout.split() == ["child", "0", "parent", "0"], res.stderr


def test_closing_an_inherited_loop_in_a_child_leaves_the_parent_loop_working(
        impl, run_python):
    # The child shares the parent's epoll instance: closing the loop there
    # must not unregister the parent's fds from it.
    code = RUNNER_PRELUDE + """
    import os

    loop = factory()
    r, w = os.pipe()
    fired = loop.create_future()
    loop.add_reader(r, lambda: fired.done() or fired.set_result(os.read(r, 10)))
    pid = os.fork()
    if pid == 0:
        loop.close()
        os._exit(0)
    os.waitpid(pid, 0)
    os.write(w, b"ping")
    loop.call_later(10, loop.stop)
    print(loop.run_until_complete(fired).decode())
    loop.remove_reader(r)
    loop.close()
    """
    res = run_python(textwrap.dedent(code), impl)
    assert res.returncode == 0, res.stderr
    assert res.stdout.split() == ["ping"], res.stderr


@pytest.mark.cloop_only
def test_running_loop_wakes_on_signals_through_the_wakeup_fd(impl, run_python):
    # While a cloop loop runs on the main thread with no wakeup fd set by
    # anyone else, signals are also written to a pipe the loop watches (so a
    # signal just before epoll_wait still wakes it); the previous wakeup fd
    # comes back when the loop stops, and one set by someone else is kept.
    code = RUNNER_PRELUDE + """
    async def probe():
        fd = signal.set_wakeup_fd(-1)
        signal.set_wakeup_fd(fd)
        return fd

    loop = factory()
    print(signal.set_wakeup_fd(-1), loop.run_until_complete(probe()) > 2,
          signal.set_wakeup_fd(-1))
    import socket
    a, b = socket.socketpair()
    a.setblocking(False)
    signal.set_wakeup_fd(a.fileno())
    print(loop.run_until_complete(probe()) == a.fileno(),
          signal.set_wakeup_fd(-1) == a.fileno())
    loop.close()
    """
    res = run_python(textwrap.dedent(code), impl)
    assert res.returncode == 0, res.stderr
    assert res.stdout.split() == ["-1", "True", "-1", "True", "True"], res.stderr


@pytest.mark.cloop_only
def test_one_signal_pipe_wakes_the_loop_and_carries_the_signals(impl, loop, run_until):
    # The fd a running loop borrows for its wake-up and the one
    # add_signal_handler sets are the same pipe, the C poller's.
    async def probe():
        return wakeup_fd()

    borrowed = run_until(loop, probe())
    assert borrowed != -1 and wakeup_fd() == -1
    loop.add_signal_handler(signal.SIGUSR1, lambda: None)
    assert wakeup_fd() == borrowed
    assert run_until(loop, probe()) == borrowed
    loop.remove_signal_handler(signal.SIGUSR1)
    assert wakeup_fd() == -1
