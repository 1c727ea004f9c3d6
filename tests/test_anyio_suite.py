"""anyio's own test suite (the ``tests/`` of its sdist) on cloop.

The suite comes from the sdist of the anyio version installed in this
interpreter, which scripts/setup-venv.sh downloads into ``sys.prefix/sdists``
(nothing is downloaded here; CLOOP_ANYIO_SDIST names another file). Its
``tests/`` and ``pyproject.toml`` (anyio's pytest configuration: auto mode,
warnings as errors, 20 s per-test timeout) are extracted into a temporary
directory, and the suite runs twice there, each time in a subprocess with
this interpreter and pytest: on stock asyncio and on cloop.

A pytest plugin written next to the suite (PLUGIN_SOURCE) picks the loop:
anyio's tests take their loop from the ``anyio_backend`` fixture, whose
asyncio values are ``("asyncio", {options})``; for the cloop run the plugin
adds ``loop_factory=cloop.new_event_loop`` to each of them (anyio's asyncio
backend hands it to ``asyncio.Runner``), for the stock run it leaves them as
anyio wrote them. Only anyio's plain "asyncio" variant runs (VARIANTS: the
"asyncio+eager" one, a loop with asyncio.eager_task_factory, doubles the
time); trio and uvloop are deselected, and so are the tests that never run on
the loop under test (pytester runs of the plugin, import checks), since they
would only repeat the same thing twice. The test ids are anyio's in both
runs. A probe test added to the suite records the types of the running loop
and Task: cloop's in the cloop run, asyncio's in the other.

The reference is the stock run, as everywhere in this project: every test
that fails on cloop must also fail on asyncio, so that a test broken here for
environmental reasons (``localhost`` without an IPv6 address in /etc/hosts,
no network beyond loopback, running as root) is not held against cloop. A
test that fails only in cloop's run is run again on both loops on its own: it
is held against cloop when it fails there again on cloop and passes on
asyncio; otherwise it is reported as flaky (anyio's thread-count checks see
threads left by earlier tests) and the test passes. Besides: both runs ran
the same tests (at least MIN_TESTS), and both finished (pytest's exit status
0 or 1: no crash, no internal error).

cloop_only: it holds cloop to asyncio's results; stock asyncio's side is
anyio's CI. anyio, its sdist and what its tests import (pytest >= 9,
pytest-mock, pytest-timeout, trustme, psutil) are installed by
scripts/setup-venv.sh: without them the test fails, it is never skipped.
"""

import importlib.metadata
import importlib.util
import os
import sys
import tarfile
import textwrap
from pathlib import Path

import pytest

from conftest import (failing, hold_to_stock, import_cloop,
                      run_pytest_child, tail)

pytestmark = pytest.mark.cloop_only

# Last resort only (a run takes 20-55 s on this project's machines, up to
# 85 s under AddressSanitizer; anyio's own per-test timeout is 20 s): a hung
# run is killed and its output shown.
RUN_TIMEOUT = 600

# anyio 4.16 has about 1,170 tests in its "asyncio" variant.
MIN_TESTS = 1000

# anyio's asyncio variants to run ("asyncio", "asyncio+eager").
VARIANTS = ("asyncio",)

SDIST_DIR = Path(sys.prefix) / "sdists"

# The packages anyio's tests import, or its pytest configuration loads
# (-p pytest_mock -p timeout), beyond anyio and pytest.
TEST_REQUIREMENTS = ("pytest_mock", "pytest_timeout", "trustme", "psutil")

PLUGIN_MODULE = "cloop_anyio_plugin"

PLUGIN_SOURCE = textwrap.dedent(
    '''\
    """pytest plugin: anyio's test suite on the event loop $CLOOP_ANYIO_LOOP.

    CLOOP_ANYIO_LOOP is "asyncio" or "cloop". Of anyio's tests this keeps
    those that run on an asyncio event loop through the anyio_backend
    fixture, in anyio's variants listed in $CLOOP_ANYIO_VARIANTS ("asyncio",
    "asyncio+eager"; comma-separated), and deselects the others: trio,
    uvloop, and the tests that never run on the loop under test (pytester
    runs, import checks). With $CLOOP_ANYIO_ONLY (a file of node ids, one a
    line) it keeps only those. For "cloop" each kept test's anyio_backend
    value gets loop_factory=cloop.new_event_loop (for "asyncio+eager" a
    cloop loop with asyncio.eager_task_factory, as anyio's
    eager_task_loop_factory sets on asyncio's loop); for "asyncio" the
    values stay as anyio wrote them. The test ids are anyio's either way.

    Every report goes to $CLOOP_ANYIO_REPORT as a JSON line.

    After a failed test the frames of its exception are cleared and the
    garbage collected, in that test's teardown: a socket the failed test
    left open (anyio's socket tests open one before resolving "localhost"
    for IPv6, which fails where /etc/hosts gives localhost no ::1) then
    warns in the teardown of that test on both loops alike, not in the
    setup of whichever later test the collector happens to run in, which
    the warning would fail.
    """
    import asyncio
    import gc
    import json
    import os
    import sys
    import traceback

    import pytest

    LOOP = os.environ["CLOOP_ANYIO_LOOP"]
    VARIANTS = tuple(os.environ["CLOOP_ANYIO_VARIANTS"].split(","))
    REPORT = os.environ["CLOOP_ANYIO_REPORT"]
    ONLY = os.environ.get("CLOOP_ANYIO_ONLY")
    assert LOOP in ("asyncio", "cloop"), LOOP

    _errors = pytest.StashKey()


    def cloop_eager_loop():
        import cloop

        loop = cloop.new_event_loop()
        loop.set_task_factory(asyncio.eager_task_factory)
        return loop


    def variant(value):
        """anyio's id for an anyio_backend value: asyncio, asyncio+eager,
        asyncio+uvloop, trio."""
        name, options = (value, {}) if isinstance(value, str) else value
        if name != "asyncio":
            return name
        factory = options.get("loop_factory")
        if factory is None:
            return "asyncio+uvloop" if options.get("use_uvloop") else "asyncio"
        if getattr(factory, "__name__", None) == "eager_task_loop_factory":
            return "asyncio+eager"
        # anyio's conftest stands a Mock in for uvloop when uvloop is missing.
        if (not hasattr(factory, "__name__")
                or factory.__module__.split(".")[0] in ("uvloop", "winloop")):
            return "asyncio+uvloop"
        raise ValueError(f"an anyio_backend value this plugin does not know: "
                         f"{value!r}")


    def record(**fields):
        with open(REPORT, "a") as f:
            f.write(json.dumps(fields) + "\\n")


    @pytest.hookimpl(trylast=True)
    def pytest_collection_modifyitems(session, config, items):
        if LOOP == "cloop":
            import cloop
        only = None
        if ONLY:
            with open(ONLY) as f:
                only = set(f.read().splitlines())
        kept, dropped = [], []
        for item in items:
            callspec = getattr(item, "callspec", None)
            value = (callspec.params.get("anyio_backend")
                     if callspec is not None else None)
            if (value is None or variant(value) not in VARIANTS
                    or (only is not None and item.nodeid not in only)):
                dropped.append(item)
                continue
            if LOOP == "cloop":
                name, options = (value, {}) if isinstance(value, str) else value
                factory = (cloop.new_event_loop if variant(value) == "asyncio"
                           else cloop_eager_loop)
                callspec.params["anyio_backend"] = (
                    name, {**options, "loop_factory": factory})
            kept.append(item)
        if dropped:
            config.hook.pytest_deselected(items=dropped)
            items[:] = kept
        record(event="collected", count=len(items), deselected=len(dropped))
        # What exists now (modules, the collected tests) is kept to the end:
        # the collections after failed tests need not walk it again.
        gc.collect()
        gc.freeze()


    @pytest.hookimpl(wrapper=True)
    def pytest_runtest_makereport(item, call):
        report = yield
        if report.failed and call.excinfo is not None:
            item.stash.setdefault(_errors, []).append(call.excinfo.value)
        return report


    def clear_frames(exc, seen):
        while exc is not None and id(exc) not in seen:
            seen.add(id(exc))
            traceback.clear_frames(exc.__traceback__)
            for sub in getattr(exc, "exceptions", ()):
                clear_frames(sub, seen)
            clear_frames(exc.__cause__, seen)
            exc = exc.__context__


    @pytest.fixture(autouse=True)
    def cloop_collect_after_failure(request):
        """Autouse, so set up first and torn down last, inside the teardown
        phase that pytest then checks for unraisable exceptions."""
        yield
        errors = request.node.stash.get(_errors, None)
        if errors:
            seen = set()
            for exc in errors:
                clear_frames(exc, seen)
            errors.clear()
            for name in ("last_exc", "last_value", "last_traceback",
                         "last_type"):
                if hasattr(sys, name):
                    delattr(sys, name)
            gc.collect()


    def pytest_runtest_logreport(report):
        if report.failed:
            crash = getattr(report.longrepr, "reprcrash", None)
            message = crash.message if crash is not None else str(report.longrepr)
            outcome = "failed"
        elif report.skipped:
            message = ""
            outcome = "xfailed" if hasattr(report, "wasxfail") else "skipped"
        else:
            message, outcome = "", "passed"
        if report.when == "call" or outcome != "passed":
            record(event="report", nodeid=report.nodeid, when=report.when,
                   outcome=outcome, message=message[:2000])


    def pytest_sessionfinish(session, exitstatus):
        record(event="finished", exitstatus=int(exitstatus))
    ''')

# Added to anyio's tests/ (so that its conftest's anyio_backend applies).
PROBE_FILE = "test_cloop_probe.py"

PROBE_SOURCE = textwrap.dedent(
    """\
    import asyncio, json, os

    def name(obj):
        return f"{type(obj).__module__}.{type(obj).__qualname__}"

    async def test_cloop_probe(request):
        await asyncio.sleep(0)
        record = {
            "variant": request.node.callspec.id,
            "loop": name(asyncio.get_running_loop()),
            "task": name(asyncio.current_task()),
        }
        with open(os.environ["CLOOP_ANYIO_PROBE"], "a") as f:
            f.write(json.dumps(record) + "\\n")
    """)


def anyio_suite(tmp_path):
    """Extract tests/ and pyproject.toml from anyio's sdist; return the
    suite's root and anyio's version."""
    problems = [f"{module} is missing" for module in ("anyio", *TEST_REQUIREMENTS)
                if importlib.util.find_spec(module) is None]
    if pytest.version_tuple < (9,):
        # anyio's configuration is pyproject.toml's [tool.pytest] (pytest 9).
        problems.append(f"pytest is {pytest.__version__}, anyio's tests need 9 "
                        f"or later")
    if problems:
        pytest.fail(f"anyio's test suite: {'; '.join(problems)}: "
                    f"pip install -r requirements-dev.txt", pytrace=False)
    version = importlib.metadata.version("anyio")
    sdist = Path(os.environ.get("CLOOP_ANYIO_SDIST")
                 or SDIST_DIR / f"anyio-{version}.tar.gz")
    if not sdist.is_file():
        pytest.fail(f"anyio's sdist {sdist} is missing (the installed anyio "
                    f"is {version}): scripts/setup-venv.sh downloads it",
                    pytrace=False)
    top = f"anyio-{version}"
    with tarfile.open(sdist) as tar:
        members = [m for m in tar.getmembers()
                   if m.name == f"{top}/pyproject.toml"
                   or m.name.startswith(f"{top}/tests/")]
        kwargs = {"filter": "data"} if hasattr(tarfile, "data_filter") else {}
        tar.extractall(tmp_path, members=members, **kwargs)
    root = tmp_path / top
    if not (root / "tests" / "conftest.py").is_file():
        pytest.fail(f"{sdist} has no {top}/tests/conftest.py", pytrace=False)
    (root / PLUGIN_MODULE).with_suffix(".py").write_text(PLUGIN_SOURCE)
    (root / "tests" / PROBE_FILE).write_text(PROBE_SOURCE)
    return root, version


def run_suite(root, basetemp, impl, only=None):
    label = impl if only is None else f"{impl} (re-run)"
    work = basetemp / (impl if only is None else f"{impl}-rerun")
    work.mkdir()
    report_file = work / "report.jsonl"
    probe_file = work / "probe.jsonl"
    env = {
        "CLOOP_ANYIO_LOOP": impl,
        "CLOOP_ANYIO_VARIANTS": ",".join(VARIANTS),
        "CLOOP_ANYIO_REPORT": str(report_file),
        "CLOOP_ANYIO_PROBE": str(probe_file),
        # As anyio's own tox runs: only the plugins its configuration names.
        "PYTEST_DISABLE_PLUGIN_AUTOLOAD": "1",
    }
    if only is not None:
        only_file = work / "only.txt"
        only_file.write_text("".join(f"{t}\n" for t in sorted(only)))
        env["CLOOP_ANYIO_ONLY"] = str(only_file)
    cmd = [sys.executable, "-m", "pytest", "-p", PLUGIN_MODULE,
           "-p", "no:cacheprovider", "-q", f"--basetemp={work / 'tmp'}",
           "tests"]
    return run_pytest_child(label, cmd, root, env, report_file, probe_file,
                            RUN_TIMEOUT)


def test_anyio_suite(tmp_path, short_tmp, no_faulthandler_watchdog):
    import_cloop()
    root, version = anyio_suite(tmp_path)

    stock = run_suite(root, short_tmp, "asyncio")
    ours = run_suite(root, short_tmp, "cloop")
    print(f"anyio {version}, Python {sys.version.split()[0]}, variants "
          f"{'/'.join(VARIANTS)}: {ours['collected']} tests; asyncio "
          f"{stock['seconds']:.1f}s ({len(failing(stock))} failing), cloop "
          f"{ours['seconds']:.1f}s ({len(failing(ours))} failing)")

    # What the runs ran on, and that they ran the whole suite.
    for run, on_cloop in ((stock, False), (ours, True)):
        assert {p["variant"] for p in run["probe"]} == set(VARIANTS), (
            f"the probe test did not run in each variant on {run['label']}: "
            f"{run['probe']}\n{tail(run['output'])}")
        for p in run["probe"]:
            whats = ("loop", "task") if p["variant"] == "asyncio" else ("loop",)
            for what in whats:
                assert p[what].startswith("cloop.") == on_cloop, (
                    run["label"], p)
    hold_to_stock("anyio", stock, ours, MIN_TESTS,
                  lambda impl, only: run_suite(root, short_tmp, impl,
                                               only=only))
