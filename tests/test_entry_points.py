"""cloop's ways in: cloop.run, install(), EventLoopPolicy, new_event_loop, python -m cloop."""

import asyncio
import contextlib
import json
import subprocess
import sys
import textwrap
import warnings

import pytest

from conftest import SUBPROCESS_TIMEOUT, import_cloop, subprocess_env
from support import PY314

pytestmark = pytest.mark.cloop_only

# 3.16 removes asyncio's policy system, and cloop's policy names with it.
HAS_POLICIES = hasattr(asyncio.events, "_get_event_loop_policy") or not PY314
needs_policies = pytest.mark.skipif(
    not HAS_POLICIES, reason="asyncio has no event loop policies here")


def set_policy(policy):
    """asyncio.set_event_loop_policy without 3.14's DeprecationWarning
    (these tests check cloop's warnings, not asyncio's)."""
    getattr(asyncio.events, "_set_event_loop_policy",
            asyncio.set_event_loop_policy)(policy)


def get_policy():
    return getattr(asyncio.events, "_get_event_loop_policy",
                   asyncio.get_event_loop_policy)()


def policy_deprecated(name):
    """Expects the DeprecationWarning asyncio's own policy names give on
    3.14+, and no warning at all before."""
    if PY314:
        return pytest.warns(DeprecationWarning,
                            match=rf"'{name}' is deprecated.*3\.16")
    return contextlib.nullcontext()


@pytest.fixture
def cloop():
    return import_cloop()


@pytest.fixture
def restore_policy():
    yield
    set_policy(None)
    asyncio.set_event_loop(None)


def is_cloop_loop(loop):
    return type(loop).__module__.startswith("cloop")


def test_public_names(cloop):
    for name in ("Loop", "new_event_loop", "run"):
        assert hasattr(cloop, name), name
    assert isinstance(cloop.__version__, str)


@needs_policies
def test_policy_names(cloop):
    assert callable(cloop.install)
    with policy_deprecated("cloop.EventLoopPolicy"):
        policy_class = cloop.EventLoopPolicy
    assert isinstance(policy_class(), asyncio.AbstractEventLoopPolicy
                      if not PY314 else asyncio.events._AbstractEventLoopPolicy)


def test_star_import_is_silent(cloop):
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        namespace = {}
        exec("from cloop import *", namespace)
    assert "new_event_loop" in namespace


def test_new_event_loop_stays_unbound_as_a_class_attribute(cloop):
    class Owner:
        factory = cloop.new_event_loop

    loop = Owner().factory()  # no `self` passed to it
    try:
        assert isinstance(loop, cloop.Loop)
    finally:
        loop.close()


@pytest.mark.skipif(sys.version_info < (3, 13),
                    reason="IsolatedAsyncioTestCase.loop_factory is new in 3.13")
@pytest.mark.parametrize("factory", ["new_event_loop", "Loop"])
def test_isolated_asyncio_test_case_takes_cloop_as_its_loop_factory(cloop, factory):
    import unittest

    class Case(unittest.IsolatedAsyncioTestCase):
        loop_factory = getattr(cloop, factory)

        async def test_runs_on_cloop(self):
            self.assertIsInstance(asyncio.get_running_loop(), cloop.Loop)

    result = unittest.TestResult()
    Case("test_runs_on_cloop").run(result)
    assert result.testsRun == 1
    assert not result.errors and not result.failures, result.errors + result.failures


def test_new_event_loop_makes_a_cloop_loop(cloop):
    loop = cloop.new_event_loop()
    try:
        assert isinstance(loop, cloop.Loop)
        assert isinstance(loop, asyncio.AbstractEventLoop)
        assert is_cloop_loop(loop)
        assert not loop.is_running()
        assert not loop.is_closed()
    finally:
        loop.close()


def test_run(cloop):
    async def main(x):
        await asyncio.sleep(0)
        loop = asyncio.get_running_loop()
        return x, isinstance(loop, cloop.Loop)

    assert cloop.run(main(5)) == (5, True)
    assert asyncio._get_running_loop() is None


def test_run_propagates_exceptions(cloop):
    async def main():
        await asyncio.sleep(0)
        raise LookupError("from main")

    with pytest.raises(LookupError, match="from main"):
        cloop.run(main())


def test_run_debug(cloop):
    async def main():
        return asyncio.get_running_loop().get_debug()

    assert cloop.run(main(), debug=True) is True


def test_run_refuses_a_running_loop(cloop):
    async def inner():
        pass

    async def main():
        coro = inner()
        try:
            cloop.run(coro)
        except RuntimeError as exc:
            return str(exc)
        finally:
            coro.close()

    # As asyncio.run(): refused up front, before any loop is made.
    assert cloop.run(main()).endswith("cannot be called from a running event loop")


@needs_policies
def test_install_sets_the_policy(cloop, restore_policy):
    with policy_deprecated("cloop.install"):
        cloop.install()
    policy = get_policy()
    assert type(policy).__name__ == "EventLoopPolicy"
    assert type(policy).__module__ == "cloop._policy"
    loop = policy.new_event_loop()
    try:
        assert isinstance(loop, cloop.Loop)
    finally:
        loop.close()


@needs_policies
def test_event_loop_policy_makes_asyncio_run_use_cloop(cloop, restore_policy):
    with policy_deprecated("cloop.EventLoopPolicy"):
        policy_class = cloop.EventLoopPolicy
    set_policy(policy_class())

    async def main():
        return isinstance(asyncio.get_running_loop(), cloop.Loop)

    assert asyncio.run(main()) is True
    loop = asyncio.new_event_loop()
    try:
        assert isinstance(loop, cloop.Loop)
    finally:
        loop.close()


def run_module(tmp_path, *args):
    import_cloop()
    # No DeprecationWarning from cloop's own set-up (the policy is
    # deprecated on 3.14 and 3.15): the run fails if there is one.
    return subprocess.run(
        [sys.executable, "-W", "error::DeprecationWarning", "-m", "cloop",
         *args],
        capture_output=True,
        text=True,
        timeout=SUBPROCESS_TIMEOUT,
        cwd=str(tmp_path),
        env=subprocess_env(),
        stdin=subprocess.DEVNULL,
    )


SCRIPT = textwrap.dedent(
    """\
    import asyncio, json, sys
    import helper_module  # found next to the script, as with `python script.py`

    async def main():
        await asyncio.sleep(0)
        return type(asyncio.get_running_loop()).__module__

    if __name__ == "__main__":
        print(json.dumps({
            "argv": sys.argv,
            "name": __name__,
            "loop_module": asyncio.run(main()),
            "helper": helper_module.VALUE,
        }))
    """
)


def test_python_m_cloop_runs_a_script_as_main(tmp_path):
    (tmp_path / "script.py").write_text(SCRIPT)
    (tmp_path / "helper_module.py").write_text("VALUE = 'helper'\n")
    proc = run_module(tmp_path, "script.py", "a", "b")
    assert proc.returncode == 0, proc.stderr
    report = json.loads(proc.stdout)
    assert report["argv"] == ["script.py", "a", "b"]
    assert report["name"] == "__main__"
    assert report["loop_module"].startswith("cloop")
    assert report["helper"] == "helper"


def test_python_m_cloop_script_in_another_directory(tmp_path):
    sub = tmp_path / "sub"
    sub.mkdir()
    (sub / "script.py").write_text(SCRIPT)
    (sub / "helper_module.py").write_text("VALUE = 'helper'\n")
    proc = run_module(tmp_path, str(sub / "script.py"), "--flag")
    assert proc.returncode == 0, proc.stderr
    report = json.loads(proc.stdout)
    assert report["argv"] == [str(sub / "script.py"), "--flag"]
    assert report["loop_module"].startswith("cloop")


def test_python_m_cloop_exit_status_and_traceback_of_a_failing_script(tmp_path):
    (tmp_path / "fails.py").write_text(
        "import asyncio\n"
        "async def main():\n"
        "    raise LookupError('script failed')\n"
        "asyncio.run(main())\n"
    )
    proc = run_module(tmp_path, "fails.py")
    assert proc.returncode == 1
    assert "LookupError: script failed" in proc.stderr


def test_python_m_cloop_sys_exit_code(tmp_path):
    (tmp_path / "exits.py").write_text("import sys\nsys.exit(7)\n")
    proc = run_module(tmp_path, "exits.py")
    assert proc.returncode == 7


def test_python_m_cloop_missing_script(tmp_path):
    proc = run_module(tmp_path, "does_not_exist.py")
    assert proc.returncode != 0
    assert "does_not_exist.py" in proc.stderr
    assert "Traceback" not in proc.stderr


def test_python_m_cloop_dash_m_runs_a_module_as_main(tmp_path):
    (tmp_path / "helper_module.py").write_text("VALUE = 'helper'\n")
    (tmp_path / "as_module.py").write_text(SCRIPT)
    proc = run_module(tmp_path, "-m", "as_module", "x", "y")
    assert proc.returncode == 0, proc.stderr
    report = json.loads(proc.stdout)
    # As `python -m as_module x y`: argv[0] is the module's file.
    assert report["argv"][0].endswith("as_module.py")
    assert report["argv"][1:] == ["x", "y"]
    assert report["name"] == "__main__"
    assert report["loop_module"].startswith("cloop")


def test_without_policies_asyncio_run_still_gets_a_cloop_loop(tmp_path):
    """Where the policy system is gone (3.16), `python -m cloop` rebinds
    asyncio's new_event_loop instead: run that path here on any version."""
    code = textwrap.dedent("""\
        import asyncio, unittest
        from cloop import _compat, _loop
        _compat.HAS_POLICIES = False
        _compat.make_asyncio_default(None, _loop.new_event_loop)

        async def main():
            return type(asyncio.get_running_loop()).__module__

        class Case(unittest.IsolatedAsyncioTestCase):
            async def test_loop(self):
                self.assertTrue(
                    type(asyncio.get_running_loop()).__module__.startswith("cloop"))

        print(asyncio.run(main()))
        with asyncio.Runner() as runner:
            print(runner.run(main()))
        loop = asyncio.new_event_loop()
        print(type(loop).__module__)
        loop.close()
        suite = unittest.defaultTestLoader.loadTestsFromTestCase(Case)
        print(unittest.TextTestRunner().run(suite).wasSuccessful())
        """)
    import_cloop()
    proc = subprocess.run(
        [sys.executable, "-W", "error::DeprecationWarning", "-c", code],
        capture_output=True, text=True, timeout=SUBPROCESS_TIMEOUT,
        cwd=str(tmp_path), env=subprocess_env(), stdin=subprocess.DEVNULL)
    assert proc.returncode == 0, proc.stderr
    lines = proc.stdout.split()
    assert lines[:3] == ["cloop._loop"] * 3, proc.stdout
    assert lines[3] == "True", proc.stdout + proc.stderr
