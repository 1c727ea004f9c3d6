"""pytest --cloop (cloop/_pytest_plugin.py): a project's own pytest-asyncio
and anyio tests run on cloop's loop with that one flag.

tests/pytest_project is such a project; it is run in a child pytest, with
and without --cloop, and its tests assert from inside which loop class runs
them. pytest-asyncio is not installed in the suite's venvs (it would load
into this suite too): scripts/setup-venv.sh keeps its wheel in the venv's
wheels/ directory, and the child imports it from there (the
unpacked_pytest_asyncio fixture of conftest.py).
"""
import asyncio
import os
import subprocess
import sys

import pytest

import cloop
from conftest import SUBPROCESS_TIMEOUT, subprocess_env

PROJECT = os.path.join(os.path.dirname(os.path.abspath(__file__)),
                       "pytest_project")
TESTS = {"pytest_asyncio_test", "pytest_asyncio_fixture", "anyio_test",
         "anyio_options_kept"}

pytestmark = pytest.mark.cloop_only


def class_name(cls):
    return f"{cls.__module__}.{cls.__qualname__}"


def run_project(tmp_path, path, expected, *args):
    """Runs the project's tests; returns the tests that saw `expected`."""
    seen = tmp_path / "seen.txt"
    env = subprocess_env({"LOOP_EXPECTED": expected, "LOOP_SEEN": str(seen)})
    env["PYTHONPATH"] = os.pathsep.join(
        [path] + [p for p in env.get("PYTHONPATH", "").split(os.pathsep) if p])
    env.pop("PYTEST_DISABLE_PLUGIN_AUTOLOAD", None)
    proc = subprocess.run(
        [sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "-q",
         *args, "check_loops.py"],
        cwd=PROJECT, env=env, capture_output=True, text=True,
        timeout=SUBPROCESS_TIMEOUT)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    return set(seen.read_text().split()) if seen.exists() else set()


def test_pytest_cloop_runs_the_projects_tests_on_cloop(tmp_path, unpacked_pytest_asyncio):
    assert run_project(tmp_path, unpacked_pytest_asyncio, class_name(cloop.Loop),
                       "--cloop") == TESTS


def test_without_the_flag_the_project_keeps_asyncios_loop(tmp_path, unpacked_pytest_asyncio):
    stock = class_name(asyncio.SelectorEventLoop)
    assert run_project(tmp_path, unpacked_pytest_asyncio, stock) == TESTS
