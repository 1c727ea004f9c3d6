"""aiohttp's own tests (the ``tests/`` of its sdist) on cloop.

The suite comes from the sdist of the aiohttp version installed in this
interpreter, which scripts/setup-venv.sh downloads into ``sys.prefix/sdists``
(nothing is downloaded here; CLOOP_AIOHTTP_SDIST names another file). Its
``tests/``, ``pytest.ini`` and ``README.rst`` (a static-file test serves
``tests/../README.rst``) are extracted into a temporary directory without
aiohttp's ``aiohttp/`` package, so that the tests import the installed
aiohttp, C extensions and all. aiohttp's pytest.ini is kept but for its
``addopts`` (xdist, coverage, doctests, --showlocals: only
``--strict-markers`` and its marker selection stay) and the warning filters
whose category is in a module not installed here (coverage's), which pytest
would refuse. The test modules run are FILES: the functional ones (client,
server, websockets, static files, proxies, run_app, the connector) and the
unit tests of the parts that face the loop (streams, protocols, runners,
resolver, test utilities), about 1,600 tests.

The suite runs twice, each time in a subprocess with this interpreter and
pytest from the extracted directory: on stock asyncio (``python -m pytest``)
and on cloop (``python -m cloop -m pytest``). aiohttp's pytest plugin makes
its ``loop`` fixture with ``asyncio.new_event_loop`` (``--aiohttp-loop``'s
default, "pyloop"), and so does ``web.run_app``; ``python -m cloop`` makes
that give cloop loops. The test ids are aiohttp's in both runs. A plugin
written next to the suite (PLUGIN_SOURCE) records every report, and a probe
test added to the suite records the types of the loop (of the test, of its
``loop`` fixture, of a request handler served through ``aiohttp_client``)
and of the test's Task: cloop's in the cloop run, asyncio's in the other.
(aiohttp starts its request handlers as ``asyncio.Task`` explicitly, so the
handler's Task is asyncio's on any loop.)

The reference is the stock run, as everywhere in this project: every test
that fails on cloop must also fail on asyncio, so that a test broken here
for environmental reasons (no network beyond loopback, running as root) is
not held against cloop. A test that fails only in cloop's run is run again on
both loops on its own: it is held against cloop when it fails there again
on cloop and passes on asyncio; otherwise it is reported as flaky and the
test passes. Besides: both runs ran the same tests (at least MIN_TESTS),
and both finished (pytest's exit status 0 or 1: no crash, no internal
error).

Plugin autoloading is off in both runs (PYTEST_DISABLE_PLUGIN_AUTOLOAD):
the plugins aiohttp's tests use are named (pytest-mock, pytest-timeout for
pytest.ini's 120 s per-test timeout; aiohttp's own plugin and pytester come
from its conftest), and others installed here (anyio's) stay out.

cloop_only: it holds cloop to asyncio's results; stock asyncio's side is
aiohttp's CI. aiohttp, its sdist and what its tests import (pytest-mock,
pytest-timeout, trustme, proxy.py) are installed by scripts/setup-venv.sh:
without them the test fails, it is never skipped.
"""

import configparser
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

# Last resort only (a run takes about 35 s on this project's machines;
# aiohttp's own per-test timeout is 120 s): a hung run is killed and its
# output shown.
RUN_TIMEOUT = 600

# aiohttp 3.14's FILES hold about 1,600 tests.
MIN_TESTS = 1400

# aiohttp's test modules run (in tests/ of its sdist). Not run: the unit
# tests of parsers, writers, cookies, multipart and the like (no loop, or a
# mocked one, and most of the suite's time), the benchmarks, test_leaks
# (subprocesses on stock asyncio) and test_circular_imports (the same).
FILES = (
    # Functional: a real server and client over loopback.
    "test_client_functional.py",
    "test_client_session.py",
    "test_client_ws_functional.py",
    "test_connector.py",
    "test_proxy_functional.py",
    "test_run_app.py",
    "test_web_functional.py",
    "test_web_sendfile_functional.py",
    "test_web_server.py",
    "test_web_websocket_functional.py",
    # Units that face the loop: protocols, streams, runners, the resolver,
    # timeouts and timers (helpers).
    "test_base_protocol.py",
    "test_client_proto.py",
    "test_client_ws.py",
    "test_helpers.py",
    "test_loop.py",
    "test_pytest_plugin.py",
    "test_resolver.py",
    "test_streams.py",
    "test_tcp_helpers.py",
    "test_test_utils.py",
    "test_web_protocol.py",
    "test_web_request_handler.py",
    "test_web_runner.py",
    "test_web_sendfile.py",
    "test_web_websocket.py",
)

SDIST_DIR = Path(sys.prefix) / "sdists"

# The modules aiohttp's FILES import (or pytest.ini's configuration needs),
# beyond aiohttp and pytest. proxy is proxy.py: test_proxy_functional skips
# itself whole without it.
TEST_REQUIREMENTS = ("pytest_mock", "pytest_timeout", "trustme", "proxy")

# The plugins the runs load (autoloading is off).
PLUGINS = ("pytest_mock", "pytest_timeout")

PLUGIN_MODULE = "cloop_aiohttp_plugin"

PLUGIN_SOURCE = textwrap.dedent(
    '''\
    """pytest plugin: records aiohttp's test reports for cloop's comparison.

    Every report goes to $CLOOP_AIOHTTP_REPORT as a JSON line. With
    $CLOOP_AIOHTTP_ONLY (a file of node ids, one a line) only those tests
    are kept. What exists once the tests are collected is frozen out of the
    garbage collector's reach: aiohttp's loop fixture collects the garbage
    at each test's teardown, which then need not walk it every time.
    """
    import gc
    import json
    import os

    import pytest

    REPORT = os.environ["CLOOP_AIOHTTP_REPORT"]
    ONLY = os.environ.get("CLOOP_AIOHTTP_ONLY")


    def record(**fields):
        with open(REPORT, "a") as f:
            f.write(json.dumps(fields) + "\\n")


    @pytest.hookimpl(trylast=True)
    def pytest_collection_modifyitems(session, config, items):
        if ONLY:
            with open(ONLY) as f:
                only = set(f.read().splitlines())
            dropped = [item for item in items if item.nodeid not in only]
            if dropped:
                config.hook.pytest_deselected(items=dropped)
                items[:] = [item for item in items if item.nodeid in only]
        record(event="collected", count=len(items))
        gc.collect()
        gc.freeze()


    def pytest_collectreport(report):
        if report.failed:
            record(event="report", nodeid=report.nodeid, when="collect",
                   outcome="failed", message=str(report.longrepr)[-2000:])


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

# Added to aiohttp's tests/ (so that its conftest and plugin apply).
PROBE_FILE = "test_cloop_probe.py"

PROBE_SOURCE = textwrap.dedent(
    """\
    import asyncio, json, os

    from aiohttp import web

    def name(obj):
        return f"{type(obj).__module__}.{type(obj).__qualname__}"

    async def test_cloop_probe(loop, aiohttp_client):
        seen = {}

        async def handler(request):
            seen["handler_loop"] = name(asyncio.get_running_loop())
            seen["handler_task"] = name(asyncio.current_task())
            return web.Response(text="probe")

        app = web.Application()
        app.router.add_get("/", handler)
        client = await aiohttp_client(app)
        async with client.get("/") as resp:
            assert resp.status == 200
            assert await resp.text() == "probe"
        seen["loop"] = name(asyncio.get_running_loop())
        seen["fixture_loop"] = name(loop)
        seen["task"] = name(asyncio.current_task())
        with open(os.environ["CLOOP_AIOHTTP_PROBE"], "a") as f:
            f.write(json.dumps(seen) + "\\n")
    """)


def importable(category):
    """Whether a warning filter's category ("ResourceWarning",
    "coverage.exceptions.CoverageWarning") can be imported here."""
    module = category.rpartition(".")[0]
    return not module or importlib.util.find_spec(module.split(".")[0]) is not None


def rewrite_ini(path):
    """aiohttp's pytest.ini, less its addopts but the marker options and
    less the warning filters that name a category of a missing module."""
    config = configparser.ConfigParser(interpolation=None)
    config.read(path)
    section = config["pytest"]
    kept = []
    for line in section["addopts"].splitlines():
        if line.startswith(("--strict-markers", "-m ")):
            kept.append(line)
    section["addopts"] = "\n" + "\n".join(kept)
    filters = []
    for line in section["filterwarnings"].splitlines():
        fields = line.split(":")
        if len(fields) > 2 and not importable(fields[2].strip()):
            continue
        filters.append(line)
    section["filterwarnings"] = "\n".join(filters)
    with open(path, "w") as f:
        config.write(f)


def aiohttp_suite(tmp_path):
    """Extract tests/, pytest.ini and README.rst from aiohttp's sdist; return
    the suite's root and aiohttp's version."""
    problems = [f"{module} is missing" for module in ("aiohttp", *TEST_REQUIREMENTS)
                if importlib.util.find_spec(module) is None]
    if problems:
        pytest.fail(f"aiohttp's test suite: {'; '.join(problems)}: "
                    f"pip install -r requirements-dev.txt", pytrace=False)
    version = importlib.metadata.version("aiohttp")
    sdist = Path(os.environ.get("CLOOP_AIOHTTP_SDIST")
                 or SDIST_DIR / f"aiohttp-{version}.tar.gz")
    if not sdist.is_file():
        pytest.fail(f"aiohttp's sdist {sdist} is missing (the installed "
                    f"aiohttp is {version}): scripts/setup-venv.sh downloads it",
                    pytrace=False)
    top = f"aiohttp-{version}"
    with tarfile.open(sdist) as tar:
        members = [m for m in tar.getmembers()
                   if m.name in (f"{top}/pytest.ini", f"{top}/README.rst")
                   or m.name.startswith(f"{top}/tests/")]
        kwargs = {"filter": "data"} if hasattr(tarfile, "data_filter") else {}
        tar.extractall(tmp_path, members=members, **kwargs)
    root = tmp_path / top
    missing = [name for name in ("pytest.ini", "tests/conftest.py",
                                 *(f"tests/{f}" for f in FILES))
               if not (root / name).is_file()]
    if missing:
        pytest.fail(f"{sdist} has no {', '.join(missing)} under {top}/",
                    pytrace=False)
    rewrite_ini(root / "pytest.ini")
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
        "CLOOP_AIOHTTP_REPORT": str(report_file),
        "CLOOP_AIOHTTP_PROBE": str(probe_file),
        "PYTEST_DISABLE_PLUGIN_AUTOLOAD": "1",
    }
    if only is not None:
        only_file = work / "only.txt"
        only_file.write_text("".join(f"{t}\n" for t in sorted(only)))
        env["CLOOP_AIOHTTP_ONLY"] = str(only_file)
    prefix = ["-m", "cloop"] if impl == "cloop" else []
    plugins = [arg for name in (*PLUGINS, PLUGIN_MODULE) for arg in ("-p", name)]
    cmd = [sys.executable, *prefix, "-m", "pytest", *plugins,
           "-p", "no:cacheprovider", "-q", f"--basetemp={work / 'tmp'}",
           *(f"tests/{f}" for f in (*FILES, PROBE_FILE))]
    return run_pytest_child(label, cmd, root, env, report_file, probe_file,
                            RUN_TIMEOUT)


def test_aiohttp_suite(tmp_path, short_tmp, no_faulthandler_watchdog):
    import_cloop()
    root, version = aiohttp_suite(tmp_path)

    stock = run_suite(root, short_tmp, "asyncio")
    ours = run_suite(root, short_tmp, "cloop")
    print(f"aiohttp {version}, Python {sys.version.split()[0]}: "
          f"{ours['collected']} tests; asyncio {stock['seconds']:.1f}s "
          f"({len(failing(stock))} failing), cloop {ours['seconds']:.1f}s "
          f"({len(failing(ours))} failing)")

    # What the runs ran on, and that they ran the whole selection.
    for run, on_cloop in ((stock, False), (ours, True)):
        assert len(run["probe"]) == 1, (
            f"the probe test did not run once on {run['label']}: "
            f"{run['probe']}\n{tail(run['output'])}")
        for what in ("loop", "fixture_loop", "handler_loop", "task"):
            assert run["probe"][0][what].startswith("cloop.") == on_cloop, (
                run["label"], run["probe"][0])
    hold_to_stock("aiohttp", stock, ours, MIN_TESTS,
                  lambda impl, only: run_suite(root, short_tmp, impl,
                                               only=only))
