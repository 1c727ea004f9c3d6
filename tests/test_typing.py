"""Types: `mypy --strict` passes on a program using cloop's public API.

tests/typing_sample.py uses cloop.run, new_event_loop, Loop, Task, Future,
Handle, TimerHandle, LoopStats, watch_blocking and dump_tasks as programs
do, and asserts their types through annotated assignments. mypy checks it
against cloop/_cloop.pyi and the annotations of cloop/*.py, found from the
repository root (the current directory is on mypy's search path; the
editable install's import hook is not). A second, wrong program proves the
types are real: mypy must reject each of its lines.

`--follow-imports=silent` checks the sample strictly and reports nothing
about cloop's own modules, which is what a user of an installed cloop sees
(mypy never reports errors inside installed packages): cloop's private
modules (the network, signal and process mixins, _compat) are not
annotated.
"""
import importlib.util
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from conftest import SUBPROCESS_TIMEOUT, subprocess_env

pytestmark = pytest.mark.cloop_only

ROOT = Path(__file__).resolve().parent.parent
SAMPLE = ROOT / "tests" / "typing_sample.py"

# mypy 2.4 accepts --python-version 3.15 and checks against typeshed's
# 3.15 branches; every supported version is checked as itself.
PYTHON_VERSION = f"{sys.version_info.major}.{sys.version_info.minor}"

# Each line must be an error; the number of errors is checked.
WRONG = textwrap.dedent("""\
    import cloop

    async def coro() -> int:
        return 1

    loop = cloop.new_event_loop()
    a: str = loop.create_task(coro())
    b: cloop.TimerHandle = loop.call_soon(print)
    c: str = loop.stats().iterations
    d: int = cloop.run(coro(), debug="yes")
    e = cloop.watch_blocking(loop, threshold="1")
    f: str = loop.run_until_complete(coro())
    g: cloop.Task[str] = loop.create_task(coro())
    h: cloop.Handle = loop.call_soon(print, 1, 2, end="")
    """)
WRONG_COUNT = 8


def mypy(tmp_path, *files):
    if importlib.util.find_spec("mypy") is None:
        pytest.fail("mypy is not installed in this venv: "
                    "pip install -r requirements-dev.txt")
    return subprocess.run(
        [sys.executable, "-m", "mypy", "--strict", "--no-incremental",
         f"--cache-dir={tmp_path / 'mypy-cache'}", "--follow-imports=silent",
         f"--python-version={PYTHON_VERSION}", "--no-color-output",
         "--no-error-summary", *map(str, files)],
        capture_output=True, text=True, cwd=str(ROOT), env=subprocess_env(),
        stdin=subprocess.DEVNULL, timeout=SUBPROCESS_TIMEOUT * 2)


def test_mypy_strict_passes_on_the_sample(tmp_path):
    proc = mypy(tmp_path, SAMPLE)
    assert proc.returncode == 0, (
        f"mypy --strict failed (exit {proc.returncode}):\n"
        f"{proc.stdout}{proc.stderr}")


def test_mypy_uses_cloops_types(tmp_path):
    wrong = tmp_path / "wrong_types.py"
    wrong.write_text(WRONG)
    proc = mypy(tmp_path, wrong)
    errors = [line for line in proc.stdout.splitlines() if ": error:" in line]
    assert proc.returncode == 1 and len(errors) == WRONG_COUNT, (
        f"expected {WRONG_COUNT} errors (exit 1), got exit "
        f"{proc.returncode}:\n{proc.stdout}{proc.stderr}")
    assert all(line.startswith(str(wrong)) for line in errors), proc.stdout


def test_the_sample_runs_on_cloop():
    proc = subprocess.run(
        [sys.executable, str(SAMPLE)], capture_output=True, text=True,
        cwd=str(ROOT), env=subprocess_env(), stdin=subprocess.DEVNULL,
        timeout=SUBPROCESS_TIMEOUT)
    assert proc.returncode == 0, (
        f"exit {proc.returncode}:\n{proc.stdout}{proc.stderr}")
    assert "typing sample ran" in proc.stdout, proc.stdout + proc.stderr
