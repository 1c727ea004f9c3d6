"""What loop.stats()'s always-on counters cost.

    python benchmarks/stats_overhead.py [--repeat 7] [--workloads call_soon,sleep0]

Builds cloop a second time with the counters compiled out (CLOOP_NO_STATS=1)
into a temporary folder, then runs each workload with both builds, each run
in a fresh process, interleaved, and prints the medians and the cost of the
counters (1 - with/without). The build in the working tree is the one "with".
"""
import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
WORKER = os.path.join(HERE, "_worker.py")


def build_without_stats(dest):
    pkg = os.path.join(dest, "cloop")
    os.makedirs(pkg)
    src = os.path.join(ROOT, "cloop")
    for name in os.listdir(src):
        if name.endswith(".py"):
            shutil.copy(os.path.join(src, name), pkg)
    env = dict(os.environ, CLOOP_NO_STATS="1")
    subprocess.run(
        [sys.executable, "setup.py", "-q", "build_ext", "--build-lib", dest,
         "--build-temp", os.path.join(dest, "tmp"), "--force"],
        cwd=ROOT, env=env, check=True, stdout=subprocess.DEVNULL)


def run_once(workload, pythonpath):
    env = dict(os.environ)
    env.pop("PYTHONPATH", None)
    if pythonpath:
        env["PYTHONPATH"] = pythonpath
    # -P keeps the working directory off sys.path, so PYTHONPATH decides
    # which cloop is imported.
    out = subprocess.run(
        [sys.executable, "-P", WORKER, "--loop", "cloop", "--workload", workload],
        env=env, check=True, capture_output=True, text=True, timeout=300).stdout
    return json.loads(out.strip().splitlines()[-1])["ops_per_sec"]


def stats_enabled(pythonpath):
    env = dict(os.environ, PYTHONPATH=pythonpath or "")
    code = "import cloop; print(cloop.new_event_loop().stats() is not None and cloop.new_event_loop()._stats_raw()['enabled'])"
    return subprocess.run([sys.executable, "-P", "-c", code], env=env,
                          capture_output=True, text=True).stdout.strip()


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=7)
    parser.add_argument("--workloads", default="call_soon,call_soon_burst,sleep0")
    args = parser.parse_args(argv)
    workloads = args.workloads.split(",")
    with tempfile.TemporaryDirectory() as tmp:
        build_without_stats(tmp)
        builds = {"with counters": "", "without": tmp}
        for name, path in builds.items():
            print(f"{name}: counters enabled = {stats_enabled(path)}", file=sys.stderr)
        samples = {(w, b): [] for w in workloads for b in builds}
        for i in range(args.repeat):
            print(f"\rround {i + 1}/{args.repeat}", end="", file=sys.stderr, flush=True)
            for workload in workloads:
                for name, path in builds.items():
                    samples[workload, name].append(run_once(workload, path))
        print(file=sys.stderr)
    print(f"{'workload':<18} {'with counters':>15} {'without':>15} {'cost':>7}")
    for workload in workloads:
        with_ = statistics.median(samples[workload, "with counters"])
        without = statistics.median(samples[workload, "without"])
        print(f"{workload:<18} {with_:>15,.0f} {without:>15,.0f} "
              f"{1 - with_ / without:>7.1%}")


if __name__ == "__main__":
    sys.exit(main())
