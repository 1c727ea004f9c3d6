"""The package as a user gets it: the sdist, the wheel built from it, and that
wheel installed into a fresh venv on a machine with no C compiler.

The build runs once per session (a module-scoped fixture), with this
interpreter and its own setuptools (``--no-build-isolation``: nothing is
fetched), on a copy of the working tree in a temporary folder: an sdist is
made from the copy, and the wheel is built by pip from that sdist, so

* the wheel can only be built if the sdist holds everything a build needs;
* nothing is written into the repository (no ``build/``, no
  ``cloop.egg-info``, no release tree next to setup.py, and the in-place
  ``cloop/_cloop*.so`` files of the development venvs are left alone), so
  runs on several Python versions at once do not meet.

The build environment is stripped of the CLOOP_* build switches (a release
build, no ``-Werror``), of the sanitizer run's preload and PYTHONPATH, and of
pip's settings (no index, no find-links).
"""

import configparser
import email.parser
import os
import shutil
import subprocess
import sys
import sysconfig
import tarfile
import zipfile
from pathlib import Path

import pytest

pytestmark = pytest.mark.cloop_only

ROOT = Path(__file__).resolve().parent.parent
LESSON = ROOT / "examples" / "lessons" / "17_taskgroup.py"
NAME_VERSION = "cloop-0.1.0"
BUILD_TIMEOUT = 600  # only keeps a hung build from hanging the run
RUN_TIMEOUT = 120

# What is not copied from the working tree: version control, venvs, build
# products and caches. Everything else is, so that the sdist picks from the
# same files as one made in the repository.
COPY_IGNORE = shutil.ignore_patterns(
    ".git", ".venv*", ".scratch", ".pytest_cache", "build", "dist",
    "*.egg-info", "__pycache__", "*.so", "*.pyc")

# Environment variables that would change the build or the child
# interpreters: cloop's build switches, the sanitizer run's settings,
# Python's and pip's.
DROP_PREFIXES = ("CLOOP_", "PYTHON", "PIP_", "ASAN_", "UBSAN_", "LSAN_")
DROP_NAMES = ("LD_PRELOAD", "CC", "CFLAGS", "LDFLAGS", "CPPFLAGS", "VIRTUAL_ENV")


def clean_env(**extra):
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(DROP_PREFIXES) and k not in DROP_NAMES}
    env.update(PIP_CONFIG_FILE=os.devnull, PIP_NO_INDEX="1",
               PIP_DISABLE_PIP_VERSION_CHECK="1", PYTHONDONTWRITEBYTECODE="1")
    env.update(extra)
    return env


def run(cmd, *, cwd, env, timeout=RUN_TIMEOUT):
    """Run cmd; fail with its output unless it exits 0. Returns the result."""
    proc = subprocess.run([str(c) for c in cmd], cwd=cwd, env=env, timeout=timeout,
                          stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    assert proc.returncode == 0, (
        f"{cmd} exited {proc.returncode}\n--- stdout\n{proc.stdout}\n"
        f"--- stderr\n{proc.stderr}")
    return proc


def so_mtimes():
    return {p.name: p.stat().st_mtime_ns for p in (ROOT / "cloop").glob("_cloop*.so")}


@pytest.fixture(scope="module")
def dist(tmp_path_factory):
    """(copied tree, sdist path, wheel path, .so mtimes before the build)."""
    before = so_mtimes()
    tmp = tmp_path_factory.mktemp("packaging")
    src, out = tmp / "src", tmp / "dist"
    shutil.copytree(ROOT, src, ignore=COPY_IGNORE, symlinks=True)
    env = clean_env()
    run([sys.executable, "setup.py", "-q", "sdist", "--dist-dir", out],
        cwd=src, env=env, timeout=BUILD_TIMEOUT)
    (sdist,) = out.glob("*.tar.gz")
    run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation",
         "--no-cache-dir", "-w", out, sdist], cwd=tmp, env=env, timeout=BUILD_TIMEOUT)
    (wheel,) = out.glob("*.whl")
    return src, sdist, wheel, before


def test_build_leaves_the_source_tree_alone(dist):
    *_, before = dist
    assert so_mtimes() == before


def test_sdist_holds_what_a_build_needs(dist):
    src, sdist, _, _ = dist
    with tarfile.open(sdist) as tar:
        names = {n.split("/", 1)[1] for n in tar.getnames() if "/" in n}
    needed = {"setup.py", "pyproject.toml", "MANIFEST.in", "LICENSE", "README.md",
              "CHANGELOG.md", "cloop/py.typed"}
    # Compared with the copy the sdist was made from, not with the working
    # tree, which may have changed since.
    for pattern in ("csrc/*.c", "csrc/*.h", "cloop/*.py", "cloop/*.pyi"):
        needed |= {p.relative_to(src).as_posix() for p in src.glob(pattern)}
    assert any(n.endswith(".h") for n in needed)
    assert not needed - names, f"missing from the sdist: {sorted(needed - names)}"
    assert not [n for n in names if n.endswith(".so")]


def test_wheel_metadata(dist):
    _, _, wheel, _ = dist
    info = f"{NAME_VERSION}.dist-info"
    with zipfile.ZipFile(wheel) as zf:
        names = set(zf.namelist())
        meta = email.parser.Parser().parsestr(zf.read(f"{info}/METADATA").decode())
        entry_points = zf.read(f"{info}/entry_points.txt").decode()
    # PEP 639 (Metadata 2.4, setuptools 77+): an SPDX expression, the license
    # file under dist-info/licenses/, and no License :: classifier with it.
    assert meta["License-Expression"] == "MIT"
    assert f"{info}/licenses/LICENSE" in names
    classifiers = meta.get_all("Classifier")
    assert "Typing :: Typed" in classifiers
    assert not [c for c in classifiers if c.startswith("License ::")]
    parser = configparser.ConfigParser()
    parser.read_string(entry_points)
    assert parser["pytest11"]["cloop"] == "cloop._pytest_plugin"
    # The C core for this interpreter and the typing marker are in the wheel.
    assert f"cloop/_cloop{sysconfig.get_config_var('EXT_SUFFIX')}" in names
    assert "cloop/py.typed" in names


def test_wheel_installs_and_runs_without_a_compiler(dist, tmp_path):
    """A fresh venv (no system site-packages), the wheel installed offline
    with no C compiler to be found, and a lesson run on the installed cloop
    prints what it prints on stock asyncio."""
    _, _, wheel, _ = dist
    venv = tmp_path / "venv"
    run([sys.executable, "-m", "venv", venv], cwd=tmp_path, env=clean_env())
    py = venv / "bin" / "python"
    # PATH holds only the venv's python: gcc and cc are not found, and CC
    # points nowhere, so the install could not build anything if it tried.
    nocc = tmp_path / "nocc-bin"
    nocc.mkdir()
    (nocc / "python").symlink_to(py)
    assert shutil.which("cc", path=str(nocc)) is None
    assert shutil.which("gcc", path=str(nocc)) is None
    env = clean_env(PATH=str(nocc), CC="/nonexistent")
    proc = run([py, "-m", "pip", "install", "--no-index", "--no-cache-dir",
                "--only-binary", ":all:", wheel], cwd=tmp_path, env=env)
    assert "Successfully installed cloop-0.1.0" in proc.stdout

    # The cloop imported there is the venv's, not the working tree's (the
    # child runs in tmp_path, with no PYTHONPATH).
    work = tmp_path / "work"
    work.mkdir()
    shutil.copy(LESSON, work / LESSON.name)
    proc = run([py, "-c", "import cloop, cloop._cloop, sysconfig; "
                "print(cloop.__file__); print(cloop._cloop.__file__); "
                "print(sysconfig.get_path('platlib'))"], cwd=work, env=env)
    pkg, ext, platlib = proc.stdout.splitlines()
    site = Path(platlib).resolve()
    assert Path(pkg).resolve().is_relative_to(site), (pkg, site)
    assert Path(ext).resolve().is_relative_to(site), (ext, site)
    assert site.is_relative_to(venv.resolve())

    # The lesson's output is deterministic: each task prints the delay it
    # was given (not a measured time), and the delays are 0.1 s apart, so
    # the order of the lines is set by the timers.
    stock = run([sys.executable, LESSON.name], cwd=work, env=clean_env())
    on_cloop = run([py, "-m", "cloop", LESSON.name], cwd=work, env=env)
    assert stock.stderr == "" and on_cloop.stderr == ""
    assert stock.stdout.strip()
    assert on_cloop.stdout == stock.stdout


@pytest.mark.cloop_only
def test_setup_refuses_a_system_without_epoll_with_a_clear_message():
    # As on macOS: setup.py stops before any compiler runs.
    code = ("import sys; sys.platform = 'darwin'; sys.argv = ['setup.py', '--name']; "
            "exec(compile(open('setup.py').read(), 'setup.py', 'exec'))")
    proc = subprocess.run([sys.executable, "-c", code], cwd=ROOT,
                          capture_output=True, text=True, timeout=60)
    assert proc.returncode != 0
    assert "cloop runs on Linux only" in proc.stderr, proc.stderr
    assert "darwin" in proc.stderr


@pytest.mark.cloop_only
def test_the_extension_exports_its_init_function_only():
    # Built with -fvisibility=hidden: no C function of cloop's can clash with
    # another library's. (Names in the reserved __ namespace are the
    # compiler's and the sanitizers', under the ASan build.)
    import cloop._cloop

    nm = shutil.which("nm")
    assert nm, "nm (binutils) is missing: apt-get install binutils"
    listing = subprocess.run([nm, "-D", "--defined-only", cloop._cloop.__file__],
                             capture_output=True, text=True, check=True).stdout
    exported = {line.split()[-1] for line in listing.splitlines() if line.strip()}
    assert {name for name in exported if not name.startswith("__")} == {"PyInit__cloop"}
