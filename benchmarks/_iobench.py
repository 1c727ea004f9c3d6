"""The I/O workloads' machinery: the C client and ceiling server, and wrk.

Owns: compiling echo_client.c and echo_ceiling.c with gcc into a cache
directory (once per source version), running the client against a server on
the loop under test, running the same client against the C ceiling server,
and running wrk against an HTTP server. The servers themselves live in the
bench_*.py files.

The load always comes from another process, so that the loop under test
only serves: echo_client is one C thread on epoll doing strict ping-pong on
CONNS connections (see its banner), wrk is wrk. Both measure their own time:
the workload returns (ops, seconds, server_cpu) from the client's timed
window, which leaves out process start-up, connecting, a short warm-up and
shutting down. server_cpu is the CPU seconds the server process spent in that
window: echo_client reads it from /proc for the pid in $ECHO_SERVER_PID (the
worker itself, or the C ceiling server); for wrk it is the worker's own
time.process_time() around wrk's whole run (see run_wrk). When the client
cannot read it, it is None.

Processes started here are killed in `finally` blocks; the C programs also
die with their parent (PR_SET_PDEATHSIG) and the client has an alarm, so
nothing outlives a worker that is killed.

The binaries go to $CLOOP_BENCH_CACHE, else $XDG_CACHE_HOME/cloop-bench,
else ~/.cache/cloop-bench, named after a hash of the source and the compiler
flags, and are written through a temporary file and a rename, so that
workers compiling at once never see half a binary.
"""

import asyncio
import contextlib
import hashlib
import json
import os
import re
import shutil
import subprocess
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
CFLAGS = ["-O2", "-Wall", "-Wextra"]
HOST = "127.0.0.1"

# Environment variables that must not reach the helper programs: the ASan
# test run preloads the sanitizer runtime into Python; the C helpers and wrk
# are not what is under test.
HELPER_SCRUBBED_ENV = ("LD_PRELOAD", "ASAN_OPTIONS", "UBSAN_OPTIONS")


def cache_dir():
    path = os.environ.get("CLOOP_BENCH_CACHE")
    if not path:
        base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
        path = os.path.join(base, "cloop-bench")
    os.makedirs(path, exist_ok=True)
    return path


def helper_env():
    env = dict(os.environ)
    for name in HELPER_SCRUBBED_ENV:
        env.pop(name, None)
    return env


def compiler():
    cc = os.environ.get("CC", "gcc")
    if not shutil.which(cc):
        raise RuntimeError(f"{cc} is not installed (scripts/setup-system.sh installs gcc)")
    return cc


def compiler_version():
    out = subprocess.run([compiler(), "--version"], capture_output=True, text=True, env=helper_env())
    return out.stdout.splitlines()[0].strip() if out.stdout else compiler()


def binary(stem):
    """Path of benchmarks/<stem>.c compiled, compiling it first if needed."""
    cc = compiler()
    source_path = os.path.join(HERE, stem + ".c")
    with open(source_path, "rb") as f:
        source = f.read()
    key = hashlib.sha256(source + repr((cc, CFLAGS)).encode()).hexdigest()[:16]
    path = os.path.join(cache_dir(), f"{stem}-{key}")
    if os.access(path, os.X_OK):
        return path
    tmp = f"{path}.tmp{os.getpid()}"
    proc = subprocess.run([cc, *CFLAGS, "-o", tmp, source_path], capture_output=True, text=True,
                          env=helper_env())
    if proc.returncode != 0:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise RuntimeError(f"compiling {stem}.c failed: {proc.stderr.strip()[-2000:]}")
    os.replace(tmp, path)
    return path


def build_all():
    return {stem: binary(stem) for stem in ("echo_client", "echo_ceiling")}


def warmup_ms(duration_ms):
    """The client's untimed warm-up before a window of duration_ms."""
    return max(50, min(150, duration_ms // 4))


def client_command(mode, address, size, conns, duration_ms):
    return [binary("echo_client"), mode, address, str(size), str(conns),
            str(warmup_ms(duration_ms)), str(duration_ms)]


def parse_client(stdout, stderr, returncode):
    """echo_client's output -> (messages, seconds, server CPU seconds or None)."""
    if returncode != 0:
        lines = [l for l in stderr.strip().splitlines() if l.strip()]
        raise RuntimeError(lines[-1] if lines else f"echo_client exited with status {returncode}")
    result = json.loads(stdout.strip().splitlines()[-1])
    if result["messages"] <= 0 or result["seconds"] <= 0:
        raise RuntimeError(f"echo_client measured nothing: {result}")
    return result["messages"], result["seconds"], result.get("server_cpu")


def kill(proc):
    """Kill a helper process if it still runs, and reap it."""
    if proc is None:
        return
    if proc.poll() is None:
        proc.kill()
    with contextlib.suppress(Exception):
        proc.communicate(timeout=5)


async def wait_process(proc, timeout):
    """Wait for proc to exit without blocking the loop; return (stdout, stderr).

    Polls with asyncio.sleep so that it needs nothing from the loop beyond
    timers (no child watcher, no executor thread). 50 wake-ups a second cost
    the loop under test nothing measurable, and the client times itself.
    """
    deadline = time.monotonic() + timeout
    while proc.poll() is None:
        if time.monotonic() > deadline:
            raise TimeoutError(f"{os.path.basename(proc.args[0])} still running after {timeout:g} s")
        await asyncio.sleep(0.02)
    return proc.communicate()


def _start(cmd, stdin=subprocess.DEVNULL, env=None):
    return subprocess.Popen(cmd, stdin=stdin, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True, env=env or helper_env())


def client_env(server_pid):
    """The client's environment, naming the process whose CPU time it reads."""
    env = helper_env()
    env["ECHO_SERVER_PID"] = str(server_pid)
    return env


async def run_echo_client(mode, address, size, conns, duration_ms):
    """Run echo_client against a server on the running loop.

    Return (messages, seconds, server CPU seconds or None). The server is
    this process: the worker running the loop under test.
    """
    cmd = client_command(mode, address, size, conns, duration_ms)
    proc = None
    try:
        proc = _start(cmd, env=client_env(os.getpid()))
        stdout, stderr = await wait_process(proc, timeout=duration_ms / 1000 + 30)
        return parse_client(stdout, stderr, proc.returncode)
    finally:
        kill(proc)


@contextlib.contextmanager
def socket_dir():
    """A private temporary directory for Unix sockets, removed afterwards."""
    path = tempfile.mkdtemp(prefix="cloop-bench-")
    try:
        yield path
    finally:
        shutil.rmtree(path, ignore_errors=True)


def echo_ceiling(mode, duration_ms, size, conns):
    """Run echo_client against echo_ceiling.c. Return (messages, seconds, server CPU seconds)."""
    server = None
    with socket_dir() as tmp:
        try:
            if mode == "unix":
                path = os.path.join(tmp, "echo.sock")
                server = _start([binary("echo_ceiling"), "unix", path], stdin=subprocess.PIPE)
                address = path
            else:
                server = _start([binary("echo_ceiling"), mode, HOST, "0"], stdin=subprocess.PIPE)
            line = server.stdout.readline().split()
            if len(line) != 2 or line[0] != "READY":
                server.kill()
                raise RuntimeError("echo_ceiling did not start: " + server.communicate()[1].strip())
            if mode != "unix":
                address = f"{HOST}:{line[1]}"
            client = subprocess.run(client_command(mode, address, size, conns, duration_ms),
                                    capture_output=True, text=True, env=client_env(server.pid),
                                    timeout=duration_ms / 1000 + 30)
            return parse_client(client.stdout, client.stderr, client.returncode)
        finally:
            if server is not None:
                with contextlib.suppress(OSError):
                    server.stdin.close()  # its signal to exit
                with contextlib.suppress(subprocess.TimeoutExpired):
                    server.wait(timeout=2)
                kill(server)


# wrk ----------------------------------------------------------------------------------------

_WRK_TOTAL = re.compile(r"^\s*(\d+) requests in ([\d.]+)(us|ms|s|m|h)\b", re.M)
_WRK_RATE = re.compile(r"^Requests/sec:\s*([\d.]+)", re.M)
_WRK_ERRORS = re.compile(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)")
_WRK_NON2XX = re.compile(r"Non-2xx or 3xx responses: (\d+)")
_UNITS = {"us": 1e-6, "ms": 1e-3, "s": 1.0, "m": 60.0, "h": 3600.0}


def wrk_binary():
    path = shutil.which("wrk")
    if not path:
        raise RuntimeError("wrk is not installed (scripts/setup-system.sh installs it)")
    return path


def wrk_version():
    out = subprocess.run([wrk_binary(), "-v"], capture_output=True, text=True, env=helper_env())
    text = (out.stdout + out.stderr).strip().splitlines()
    return text[0] if text else "wrk"


def parse_wrk(text):
    """Return (requests, seconds) from wrk's report; raise on any failed request."""
    total = _WRK_TOTAL.search(text)
    if not total:
        raise RuntimeError("wrk printed no result: " + text.strip()[-300:])
    errors = _WRK_ERRORS.search(text)
    if errors and any(int(x) for x in errors.groups()):
        raise RuntimeError("wrk: " + errors.group(0))
    non2xx = _WRK_NON2XX.search(text)
    if non2xx:
        raise RuntimeError("wrk: " + non2xx.group(0))
    requests = int(total.group(1))
    seconds = float(total.group(2)) * _UNITS[total.group(3)]
    rate = _WRK_RATE.search(text)
    if rate and float(rate.group(1)) > 0:
        # wrk prints its duration to two decimals only; its rate is exact.
        seconds = requests / float(rate.group(1))
    if requests <= 0 or seconds <= 0:
        raise RuntimeError("wrk measured nothing: " + total.group(0))
    return requests, seconds


async def run_wrk(url, conns, seconds):
    """Run wrk -t1 against url for `seconds` (whole seconds).

    Return (requests, seconds, server CPU seconds). The server is this
    process; its CPU time is taken from wrk's start to its exit, since wrk
    cannot mark its window for us. That is honest because wrk counts every
    request its threads complete, from their creation (before they connect)
    to their join, so every request served is in the count; the CPU outside
    that span is closing the connections after wrk exits and waking up from
    the 50 Hz poll of wait_process: well under 1% of the serving.
    """
    cmd = [wrk_binary(), "-t1", f"-c{conns}", f"-d{seconds}s", url]
    proc = None
    try:
        proc = _start(cmd)
        # After Popen returned, so that forking wrk is not counted.
        cpu_start = time.process_time()
        stdout, stderr = await wait_process(proc, timeout=seconds + 30)
        server_cpu = time.process_time() - cpu_start
        if proc.returncode != 0:
            raise RuntimeError(f"wrk exited with status {proc.returncode}: {stderr.strip()[-300:]}")
        return (*parse_wrk(stdout), server_cpu)
    finally:
        kill(proc)


# What the echo workloads share -----------------------------------------------------------

# The TCP echo matrix: message size x concurrent connections.
ECHO_VARIANTS = {
    "1k_c1": {"size": 1024, "conns": 1},
    "1k_c50": {"size": 1024, "conns": 50},
    "64k_c1": {"size": 65536, "conns": 1},
    "64k_c50": {"size": 65536, "conns": 50},
}
ECHO_QUICK_VARIANTS = ("1k_c50",)

# Sizes of an echo workload are the client's timed window in milliseconds.
ECHO_SIZE = 1000
ECHO_QUICK_SIZE = 200


async def close_server(server, timeout=10.0):
    """Close an asyncio Server and wait until its connections are gone too (3.12+)."""
    server.close()
    try:
        await asyncio.wait_for(server.wait_closed(), timeout)
    except asyncio.TimeoutError:
        raise RuntimeError(f"server.wait_closed() did not return within {timeout:g} s") from None


def tcp_port(server):
    return server.sockets[0].getsockname()[1]
