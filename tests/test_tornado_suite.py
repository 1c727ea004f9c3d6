"""Tornado's own test suite (the ``tornado.test`` package) on cloop.

The suite runs twice, each in a subprocess from a temporary directory with
this interpreter: on stock asyncio (``python -m tornado.test.runtests``) and
on cloop (``python -m cloop -m tornado.test.runtests``; Tornado's IOLoop
makes its loops with ``asyncio.new_event_loop()``, which ``python -m cloop``
makes give cloop loops). The reference is the stock run, as everywhere in
this project: every test that fails or errors on cloop must also fail or
error on asyncio, so that a test broken here for environmental reasons (no
network, no IPv6, running as root) is not held against cloop. Tornado skips
by itself what needs a network beyond loopback.

Besides the per-test comparison: the two runs ran the same number of tests
(more than a thousand), the cloop run exited as cleanly as the stock one
(Tornado's runner exits 1 when a test logs a warning or writes to stderr,
and a crash at interpreter exit shows only in the exit status), and a probe
test added to both runs records the types of the loop and the Task that
Tornado's AsyncTestCase gets: cloop's in the cloop run, asyncio's in the
other.

cloop_only: it holds cloop to asyncio's results; stock asyncio's side is
Tornado's CI. Tornado is in requirements-dev.txt: without it the test fails,
it is never skipped.
"""

import faulthandler
import json
import re
import subprocess
import sys
import textwrap
import time

import pytest

from conftest import exit_status, import_cloop, subprocess_env, tail

pytestmark = pytest.mark.cloop_only

# Last resort only (a run takes 30-50 s on this project's machines): a hung
# run is killed and its output so far shown.
RUN_TIMEOUT = 600

# Tornado 6.6 has about 1,500 (Python 3.12.1's unittest, which leaves
# skipped tests out of "Ran N tests", counts about 1,400).
MIN_TESTS = 1000

PROBE_MODULE = "cloop_tornado_probe"

# Run next to the suite (it is found in the run's cwd, sys.path[0] for -m):
# records what Tornado's tests really run on.
PROBE_SOURCE = textwrap.dedent(
    """\
    import asyncio, json, os
    from tornado.testing import AsyncTestCase, gen_test

    def name(obj):
        return f"{type(obj).__module__}.{type(obj).__qualname__}"

    class LoopProbe(AsyncTestCase):
        @gen_test
        async def test_loop_and_task_types(self):
            await asyncio.sleep(0)
            report = {
                "io_loop": name(self.io_loop.asyncio_loop),
                "running_loop": name(asyncio.get_running_loop()),
                "task": name(asyncio.current_task()),
            }
            with open(os.environ["CLOOP_TORNADO_PROBE"], "w") as f:
                json.dump(report, f)
    """)

# unittest's report after the run: "=====" then "FAIL: <test>" (its
# description can add the docstring's first line below).
SEPARATOR1 = "=" * 70
SEPARATOR2 = "-" * 70
HEADER = re.compile(r"^(ERROR|FAIL|UNEXPECTED SUCCESS): (.+)$")
RAN = re.compile(r"^Ran (\d+) tests? in ", re.MULTILINE)


@pytest.fixture
def no_faulthandler_watchdog():
    """pytest.ini's faulthandler_timeout (60 s) is shorter than the two runs
    and would only dump this process's stack, which waits in
    subprocess.run: RUN_TIMEOUT guards each run instead."""
    faulthandler.cancel_dump_traceback_later()


def failures(output):
    """{test: its report} for each test unittest reports as an error, a
    failure or an unexpected success; a subtest counts on its own, and a
    test reported twice (a failure, then an error in tearDown) once."""
    found = {}

    def add(test, block):
        found[test] = f"{found[test]}\n{block}" if test in found else block

    lines = output.splitlines()
    for i, line in enumerate(lines):
        if i == 0 or lines[i - 1] != SEPARATOR1:
            continue
        m = HEADER.match(line)
        if m is None:
            continue
        kind, test = m.groups()
        if kind == "UNEXPECTED SUCCESS":
            # Listed one a line under a single separator.
            j = i
            while j < len(lines) and HEADER.match(lines[j]):
                add(HEADER.match(lines[j]).group(2), lines[j])
                j += 1
            continue
        end = i + 1
        while end < len(lines) and lines[end] != SEPARATOR1 and not (
                lines[end] == SEPARATOR2 and end + 1 < len(lines)
                and RAN.match(lines[end + 1])):
            end += 1
        add(test, "\n".join(lines[i - 1:end]).rstrip())
    return found


def run_suite(tmp_path, impl):
    work = tmp_path / impl
    work.mkdir()
    (work / f"{PROBE_MODULE}.py").write_text(PROBE_SOURCE)
    probe_file = work / "probe.json"
    prefix = ["-m", "cloop"] if impl == "cloop" else []
    # Tornado's own list of test modules (runtests.all), and the probe.
    cmd = [sys.executable, *prefix, "-m", "tornado.test.runtests",
           "--verbose", "tornado.test.runtests.all", PROBE_MODULE]
    start = time.monotonic()
    try:
        proc = subprocess.run(
            cmd, cwd=str(work), capture_output=True, text=True,
            timeout=RUN_TIMEOUT, stdin=subprocess.DEVNULL,
            env=subprocess_env({"CLOOP_TORNADO_PROBE": str(probe_file)}))
    except subprocess.TimeoutExpired as exc:
        out = (exc.stdout or b"") + (exc.stderr or b"")
        if isinstance(out, bytes):
            out = out.decode(errors="replace")
        pytest.fail(f"{impl}: {' '.join(cmd)} still running after "
                    f"{RUN_TIMEOUT}s (killed); its output ends:\n"
                    f"{tail(out, 80)}", pytrace=False)
    elapsed = time.monotonic() - start
    output = proc.stdout + proc.stderr
    ran = RAN.search(output)
    if ran is None:
        pytest.fail(f"{impl}: {' '.join(cmd)} ended "
                    f"({exit_status(proc.returncode)}) without unittest's "
                    f"summary:\n{tail(output, 80)}", pytrace=False)
    probe = json.loads(probe_file.read_text()) if probe_file.exists() else None
    return {
        "cmd": " ".join(cmd),
        "rc": proc.returncode,
        "output": output,
        "ran": int(ran.group(1)),
        "failures": failures(output),
        "probe": probe,
        "seconds": elapsed,
    }


def test_tornado_suite(tmp_path, no_faulthandler_watchdog):
    import_cloop()
    try:
        import tornado
    except ImportError:
        pytest.fail("tornado is missing: pip install -r requirements-dev.txt",
                    pytrace=False)

    stock = run_suite(tmp_path, "asyncio")
    ours = run_suite(tmp_path, "cloop")
    print(f"tornado {tornado.version}, Python {sys.version.split()[0]}: "
          f"{stock['ran']} tests; asyncio {stock['seconds']:.1f}s "
          f"({len(stock['failures'])} failing), cloop "
          f"{ours['seconds']:.1f}s ({len(ours['failures'])} failing)")

    # What the runs ran on, and that they ran the whole suite.
    assert stock["probe"] is not None, (
        f"the probe test did not run on asyncio:\n{tail(stock['output'])}")
    assert ours["probe"] is not None, (
        f"the probe test did not run on cloop:\n{tail(ours['output'])}")
    for what in ("io_loop", "running_loop", "task"):
        assert not stock["probe"][what].startswith("cloop."), stock["probe"]
        assert ours["probe"][what].startswith("cloop."), ours["probe"]
    assert stock["ran"] > MIN_TESTS, stock["ran"]
    assert ours["ran"] == stock["ran"], (
        f"cloop's run ran {ours['ran']} tests, asyncio's {stock['ran']}")

    # Nothing fails on cloop that passes on stock asyncio.
    only_cloop = sorted(set(ours["failures"]) - set(stock["failures"]))
    if only_cloop:
        reports = "\n\n".join(ours["failures"][t] for t in only_cloop)
        pytest.fail(
            f"{len(only_cloop)} Tornado test(s) fail on cloop and pass on "
            f"stock asyncio:\n  " + "\n  ".join(only_cloop)
            + f"\n(failing on both: {sorted(stock['failures']) or 'none'})"
            + f"\n\ncloop's reports:\n{reports}", pytrace=False)

    # The whole run: a crash at interpreter exit or a warning logged by a
    # test shows only here (Tornado's runner exits 1 when a test logs).
    if ours["rc"] < 0 or (stock["rc"] == 0 and ours["rc"] != 0):
        pytest.fail(
            f"{ours['cmd']}: {exit_status(ours['rc'])} after its tests ran "
            f"(stock asyncio's run: {exit_status(stock['rc'])}); "
            f"its output ends:\n{tail(ours['output'])}", pytrace=False)
