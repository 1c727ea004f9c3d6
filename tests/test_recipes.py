"""The README's recipes (examples/recipes/), each run for real, and each the
code the README shows."""
import ast
import os
import shutil
import signal
import subprocess
import sys
import time
import urllib.request

import pytest

from conftest import SUBPROCESS_TIMEOUT, subprocess_env
from support import free_tcp_port

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
RECIPES = os.path.join(ROOT, "examples", "recipes")

pytestmark = pytest.mark.cloop_only


def recipe(name):
    return os.path.join(RECIPES, name)


def code_after_docstring(path):
    with open(path) as f:
        source = f.read()
    end = ast.parse(source).body[0].end_lineno
    return "\n".join(source.splitlines()[end:]).strip("\n") + "\n"


@pytest.mark.parametrize("name", sorted(os.listdir(RECIPES)))
def test_the_readme_shows_the_recipe(name):
    with open(os.path.join(ROOT, "README.md")) as f:
        readme = f.read()
    assert f"```python\n{code_after_docstring(recipe(name))}```" in readme, (
        f"README.md's recipe for examples/recipes/{name} is not the file's code")


def run(args, cwd=RECIPES, env=None):
    return subprocess.run([sys.executable, *args], cwd=cwd, env=env or subprocess_env(),
                          capture_output=True, text=True, timeout=SUBPROCESS_TIMEOUT)


def get_when_up(url, proc):
    deadline = time.monotonic() + SUBPROCESS_TIMEOUT
    while True:
        try:
            with urllib.request.urlopen(url, timeout=5) as response:
                return response.read().decode()
        except OSError:
            if proc.poll() is not None or time.monotonic() > deadline:
                raise
            time.sleep(0.05)


def serve_once(name, stop):
    """Starts the server recipe, GETs / and stops it with signal `stop`:
    (body, exit code, stderr)."""
    port = free_tcp_port()
    proc = subprocess.Popen([sys.executable, recipe(name)],
                            env=subprocess_env({"PORT": str(port)}),
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        body = get_when_up(f"http://127.0.0.1:{port}/", proc)
        proc.send_signal(stop)
        _, err = proc.communicate(timeout=SUBPROCESS_TIMEOUT)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.communicate()
    return body, proc.returncode, err


def test_aiohttp_server():
    # SIGINT is run_app's way out: a graceful shutdown, exit status 0.
    body, code, err = serve_once("aiohttp_server.py", signal.SIGINT)
    assert body == "hello from Loop\n"
    assert code == 0, err


def test_tornado_server():
    body, code, err = serve_once("tornado_server.py", signal.SIGTERM)
    assert body == "hello from Loop\n"
    assert code == -signal.SIGTERM, err


def test_anyio_program():
    result = run(["anyio_program.py"])
    assert result.returncode == 0, result.stderr
    assert result.stdout == "anyio ran on Loop\n"


def test_pytest_asyncio_conftest(tmp_path, unpacked_pytest_asyncio):
    shutil.copy(recipe("conftest.py"), tmp_path)
    (tmp_path / "test_service.py").write_text(
        "import asyncio\n"
        "import pytest\n"
        "import cloop\n\n"
        "@pytest.mark.asyncio\n"
        "async def test_on_cloop():\n"
        "    assert isinstance(asyncio.get_running_loop(), cloop.Loop)\n")
    env = subprocess_env()
    env["PYTHONPATH"] = os.pathsep.join([unpacked_pytest_asyncio, env.get("PYTHONPATH", "")])
    result = run(["-m", "pytest", "-q", "-p", "no:cacheprovider", "-c", os.devnull,
                  "--rootdir", str(tmp_path), "-o", "asyncio_default_fixture_loop_scope=function",
                  "test_service.py"], cwd=tmp_path, env=env)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "1 passed" in result.stdout


@pytest.mark.skipif(sys.version_info < (3, 13),
                    reason="IsolatedAsyncioTestCase.loop_factory is new in 3.13")
def test_unittest_case():
    result = run(["-m", "unittest", "unittest_case"])
    assert result.returncode == 0, result.stderr
    assert "Ran 1 test" in result.stderr and "OK" in result.stderr
