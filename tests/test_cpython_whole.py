"""CPython's whole test_asyncio with cloop as asyncio's default loop.

tests/cpython/whole.py runs every test of the interpreter's
test.test_asyncio unchanged, in one process, with asyncio's default policy
(and asyncio.EventLoop, 3.13+) making cloop loops: the classes of CPython's
native C and Python Task and Future included, which tests/cpython (the
adapted classes, tests/test_cpython_suite.py) leaves to a stock loop.

The result is held to stock asyncio: a test that fails in the whole run
and is not one of whole.py's KNOWN_FAILURES is run again on its own, on
stock asyncio (failing there too, it is the machine's, not cloop's) and on
cloop. One that fails alone on cloop is a cloop-only failure and fails this
test; one that passes alone failed only in company (order-dependent or
timing-sensitive): up to ORDER_DEPENDENT_ALLOWED of them are reported and
tolerated, more fail the test (a leak from one test into the next is a
cloop bug too). A KNOWN_FAILURES entry that matches no test, or whose test
passes, fails the test: the list stays exact.

The debug-mode run (PYTHONASYNCIODEBUG=1) is left to tests/cpython.
"""
import json
import os
import signal
import subprocess
import sys
import tempfile

import pytest

from conftest import subprocess_env, tail

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

# Last resort only: whole.py's per-test watchdog and monitor fire first.
# The whole run takes about 2 minutes on a 2-core machine.
SUBPROCESS_TIMEOUT = 1200

# Failures in company that pass alone on both loops, tolerated (reported).
ORDER_DEPENDENT_ALLOWED = 2

pytestmark = pytest.mark.cloop_only


def run_whole(loop, report, tests=()):
    """whole.py's report for a run on loop ('cloop' or 'stock').

    The run gets a process group of its own, killed when it ends: a child
    process a failing test left running (CPython's tests start
    sleep(3600) children and kill them at their end) would otherwise stay
    behind, holding the run's output open.
    """
    cmd = [sys.executable, "-m", "tests.cpython.whole", loop, str(report),
           *tests]
    with tempfile.TemporaryFile("w+") as output:
        proc = subprocess.Popen(cmd, cwd=ROOT, env=subprocess_env(),
                                stdout=output, stderr=output,
                                start_new_session=True)
        how = "exit"
        try:
            proc.wait(SUBPROCESS_TIMEOUT)
        except subprocess.TimeoutExpired:
            how = f"killed after {SUBPROCESS_TIMEOUT}s, exit"
        finally:
            kill_group(proc.pid)
            proc.wait()
        output.seek(0)
        text = output.read()
    if not os.path.exists(report):
        pytest.fail(f"{' '.join(cmd)} wrote no report ({how} "
                    f"{proc.returncode}):\n{tail(text, 80)}", pytrace=False)
    with open(report) as f:
        result = json.load(f)
    if result["hung"] is not None:
        pytest.fail(f"{loop}: {result['hung']} hung past the watchdog; the "
                    f"run ended there:\n{tail(text, 80)}", pytrace=False)
    return result


def kill_group(pgid):
    try:
        os.killpg(pgid, signal.SIGKILL)
    except ProcessLookupError:
        pass


def known_reason(test, known):
    """The reason KNOWN_FAILURES gives for test (an exact entry, or one for
    its class), or None."""
    if test in known:
        return known[test]
    return known.get(test.rpartition(".")[0] + ".")


def unmatched_entries(known, ids):
    """KNOWN_FAILURES entries (for this Python) that name no test run."""
    classes = {test.rpartition(".")[0] + "." for test in ids}
    ids = set(ids)
    return sorted(entry for entry in known
                  if entry not in ids and entry not in classes)


def test_whole_test_asyncio_on_cloop(tmp_path, no_faulthandler_watchdog):
    result = run_whole("cloop", tmp_path / "cloop.json")
    ran, failed = result["ids"], result["failed"]
    known = result["known_failures"]
    print(f"test_asyncio on cloop: {len(ran)} run, {result['skipped']} "
          f"skipped, {len(failed)} failed")

    problems = []
    unmatched = unmatched_entries(known, ran)
    if unmatched:
        problems.append(f"KNOWN_FAILURES entries that match no test on "
                        f"Python {sys.version_info[:2]}: {unmatched}")
    stale = sorted(test for test in known
                   if not test.endswith(".") and test in ran
                   and test not in failed)
    if stale:
        problems.append(f"KNOWN_FAILURES entries whose test now passes on "
                        f"cloop: {stale}")

    suspects = sorted(test for test in failed
                      if known_reason(test, known) is None)
    print(f"  known: {len(failed) - len(suspects)}; to check alone: "
          f"{len(suspects)}")
    if suspects:
        stock = run_whole("stock", tmp_path / "stock.json", suspects)
        on_cloop = [test for test in suspects if test not in stock["failed"]]
        machine = sorted(set(suspects) - set(on_cloop))
        if machine:
            print(f"  fail on stock asyncio too (not cloop's): {machine}")
        alone = (run_whole("cloop", tmp_path / "alone.json", on_cloop)
                 if on_cloop else {"failed": {}})
        cloop_only = sorted(t for t in on_cloop if t in alone["failed"])
        in_company = sorted(t for t in on_cloop if t not in alone["failed"])
        if in_company:
            print(f"  failed only in the whole run: {in_company}")
        for test in cloop_only:
            problems.append(f"cloop-only failure {test}:\n"
                            f"{alone['failed'][test]}")
        if len(in_company) > ORDER_DEPENDENT_ALLOWED:
            problems.append(
                f"{len(in_company)} tests failed on cloop in the whole run "
                f"and pass alone (more than {ORDER_DEPENDENT_ALLOWED}: one "
                f"test's state leaks into the next):\n" + "\n".join(
                    f"{test}:\n{failed[test]}" for test in in_company))
    assert not problems, "\n\n".join(problems)
