"""What the benchmarks measure: the cloop build the workers import, and the record of where.

Owns: building a checkout's cloop (csrc/ and cloop/) into a snapshot folder
that goes on the workers' PYTHONPATH (prepare_cloop for run.py, build_cloop
also for compare_revs.py, which builds two revisions), the environment a
worker runs in, and the machine info a report records: CPU, cores, platform,
Python, the git commit and the load average. It measures and formats
nothing: run.py schedules the workers, _report.py turns the report into
tables and files.

A snapshot is a plain folder holding a `cloop` package: the Python files
copied from the source's cloop/ and the extension built by
`setup.py build_ext --build-lib`, so that what is measured is those sources
as they were when the build ran, whatever the in-place build or an editable
install points at.
"""

import hashlib
import os
import platform
import shutil
import subprocess
import sys
import sysconfig

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)

# Environment variables that would slow one loop down and not another, or
# change what is measured; the workers run without them.
SCRUBBED_ENV = ("PYTHONASYNCIODEBUG", "PYTHONDEVMODE", "PYTHONMALLOC", "PYTHONTRACEMALLOC")

# Build switches (debug counters, sanitizers, no stats) that would make the
# snapshot something other than the release build that is measured.
SCRUBBED_BUILD_ENV = ("CLOOP_DEBUG", "CLOOP_SANITIZE", "CLOOP_NO_STATS")


def measurement_env():
    """os.environ without SCRUBBED_ENV and with a fixed hash seed: where a measurement runs."""
    env = dict(os.environ)
    for name in SCRUBBED_ENV:
        env.pop(name, None)
    env["PYTHONHASHSEED"] = "0"
    return env


def worker_env(snapshot):
    """The environment of a worker, with the snapshot folder (if any) on its PYTHONPATH."""
    env = measurement_env()
    if snapshot:
        # Appended: a PYTHONPATH already set (the sanitized build of the ASan
        # test run) still comes first.
        paths = [p for p in env.get("PYTHONPATH", "").split(os.pathsep) if p]
        env["PYTHONPATH"] = os.pathsep.join(paths + [snapshot])
    return env


def file_digest(path):
    with open(path, "rb") as f:
        return hashlib.sha256(f.read()).hexdigest()[:16]


def copy_cloop_python(source, dest):
    """Copy the Python files of source's cloop package into dest/cloop; return that folder."""
    src = os.path.join(source, "cloop")
    pkg = os.path.join(dest, "cloop")
    os.makedirs(pkg)
    for name in os.listdir(src):
        if name.endswith((".py", ".pyi", ".typed")):
            shutil.copy2(os.path.join(src, name), pkg)
    return pkg


def build_cloop(source, dest):
    """Build the cloop of the checkout at `source` into dest/cloop, a release build.

    Copies the Python files, then builds the extension with the running
    Python (`setup.py build_ext`, a few seconds) without SCRUBBED_BUILD_ENV.
    dest is then ready for PYTHONPATH if the build succeeded. Returns the
    build's CompletedProcess (output captured); the caller decides what a
    failure means.
    """
    copy_cloop_python(source, dest)
    env = dict(os.environ)
    for name in SCRUBBED_BUILD_ENV:
        env.pop(name, None)
    temp = os.path.join(dest, "build-temp")
    proc = subprocess.run(
        [sys.executable, os.path.join(source, "setup.py"), "-q", "build_ext", "--build-lib", dest,
         "--build-temp", temp, "--force"],
        cwd=source, env=env, capture_output=True, text=True, timeout=900)
    shutil.rmtree(temp, ignore_errors=True)
    return proc


def prepare_cloop(dest):
    """Make the cloop that the workers import: this checkout's, built now into dest.

    Returns (path for PYTHONPATH or None, description). Building (a few
    seconds) rather than using the in-place build means that the numbers
    belong to the sources of this checkout, even when the in-place build is
    stale or is rebuilt during the run, and whatever an editable install
    points at. A cloop already on PYTHONPATH (the ASan test run's sanitized
    build) is left to win. If the build fails, the in-place build is copied,
    and the report says so.
    """
    for entry in os.environ.get("PYTHONPATH", "").split(os.pathsep):
        if entry and os.path.isdir(os.path.join(entry, "cloop")):
            return None, {"source": f"PYTHONPATH ({os.path.join(entry, 'cloop')})"}
    ext = "_cloop" + (sysconfig.get_config_var("EXT_SUFFIX") or ".so")
    if not os.path.isfile(os.path.join(ROOT, "setup.py")):
        return None, {"source": "installed cloop"}
    proc = build_cloop(ROOT, dest)
    pkg = os.path.join(dest, "cloop")
    if proc.returncode == 0 and os.path.isfile(os.path.join(pkg, ext)):
        return dest, {"source": f"built from {ROOT} (csrc/, cloop/) at the start of the run",
                      "extension": ext, "extension_sha256": file_digest(os.path.join(pkg, ext))}
    error = (proc.stderr.strip().splitlines() or [f"exit status {proc.returncode}"])[-1]
    print(f"building cloop failed ({error}); using the in-place build", file=sys.stderr)
    in_place = os.path.join(ROOT, "cloop", ext)
    if not os.path.isfile(in_place):
        return None, {"source": "installed cloop", "build_error": error}
    shutil.copy2(in_place, pkg)
    return dest, {"source": f"in-place build {in_place} (building failed)", "build_error": error,
                  "extension": ext, "extension_sha256": file_digest(in_place)}


def machine_info(commit):
    """What the report says about the machine and the Python; commit is git_commit()'s answer."""
    cpu = platform.processor() or "unknown"
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    cpu = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    try:
        usable = len(os.sched_getaffinity(0))
    except AttributeError:
        usable = os.cpu_count()
    return {
        "cpu_model": cpu,
        "cores": os.cpu_count(),
        "usable_cores": usable,
        "platform": platform.platform(),
        "python": platform.python_version(),
        "python_implementation": platform.python_implementation(),
        "python_executable": sys.executable,
        "git_commit": commit,
    }


def load_average():
    """The 1-minute load average, or None; recorded because other work on the machine skews results."""
    try:
        return round(os.getloadavg()[0], 2)
    except (AttributeError, OSError):
        return None


def git_commit():
    try:
        out = subprocess.run(["git", "-C", HERE, "describe", "--always", "--dirty"],
                             capture_output=True, text=True, timeout=10)
    except (OSError, subprocess.SubprocessError):
        return None
    return out.stdout.strip() or None
