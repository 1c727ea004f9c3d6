"""Before/after figures for a change to cloop: two builds in one run.

    python benchmarks/compare_revs.py BASE_REV [--workloads a,b] [--repeat 7]
    python benchmarks/compare_revs.py BASE_REV --instructions

--instructions counts instructions per operation with valgrind's callgrind
instead of timing: the process at two sizes (the workload's quick size and a larger one), and the difference over the
difference in operations, so start-up and warm-up cancel out. Counts are the
same run after run, whatever else the machine does (timings on a shared
2-core VM are not), but they are not time: a cache miss costs no more than
an add.

Builds cloop at git revision BASE_REV (a temporary worktree) and at the
working tree, each into its own temporary folder (_build.build_cloop: the
same release build run.py measures), then measures each workload on the
cloop loop of both builds with benchmarks/_worker.py, one fresh process per
measurement in the environment run.py's workers get, alternating the two
builds (and which goes first) from one repeat to the next, so that both see
the same machine. Prints the median ops/s of each build and after/before.

Default workloads: the Task and Future ones (future_roundtrip, task_gather,
gather_tree, gather_tree_taskgroup, sleep0, queue_pingpong).
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
if HERE not in sys.path:
    sys.path.insert(0, HERE)

import _build  # noqa: E402
from _workloads import resolve  # noqa: E402

WORKER = os.path.join(HERE, "_worker.py")
DEFAULT_WORKLOADS = ("future_roundtrip", "task_gather", "gather_tree",
                     "gather_tree_taskgroup", "sleep0", "queue_pingpong")


def build(source, dest):
    """Builds cloop from the checkout at source into dest (a package
    folder ready for PYTHONPATH); raises if the build fails."""
    proc = _build.build_cloop(source, dest)
    if proc.returncode != 0:
        raise RuntimeError(f"building cloop from {source} failed "
                           f"(exit status {proc.returncode}):\n{proc.stderr[-3000:]}")


def measure(path, workload):
    env = dict(_build.measurement_env(), PYTHONPATH=path)
    out = subprocess.run([sys.executable, WORKER, "--loop", "cloop",
                          "--workload", workload], env=env, check=True,
                         capture_output=True, text=True)
    return json.loads(out.stdout.strip().splitlines()[-1])["ops_per_sec"]


def instructions(path, workload, size):
    """(instructions callgrind counts for one worker process at size, the
    operations the workload reported)."""
    env = dict(_build.measurement_env(), PYTHONPATH=path)
    with tempfile.TemporaryDirectory() as tmp:
        out = os.path.join(tmp, "cg.out")
        proc = subprocess.run(
            ["valgrind", "--tool=callgrind", f"--callgrind-out-file={out}",
             sys.executable, WORKER, "--loop", "cloop", "--workload",
             workload, "--size", str(size)],
            env=env, check=True, capture_output=True, text=True)
        ops = json.loads(proc.stdout.strip().splitlines()[-1])["ops"]
        with open(out) as f:
            for line in f:
                if line.startswith(("summary:", "totals:")):
                    return int(line.split()[1]), ops
    raise RuntimeError("callgrind wrote no totals")


def sizes(workload):
    """Two sizes a little apart, from the workload's quick size: a depth
    (gather_tree) grows by one, a count doubles."""
    quick = resolve(workload)[0].QUICK_SIZE
    return quick, quick + 1 if quick < 10 else 2 * quick


def per_op(path, workload):
    small, large = sizes(workload)
    (i_small, o_small), (i_large, o_large) = (
        instructions(path, workload, n) for n in (small, large))
    return (i_large - i_small) / (o_large - o_small)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("base", help="git revision to compare against")
    parser.add_argument("--workloads", default=",".join(DEFAULT_WORKLOADS))
    parser.add_argument("--repeat", type=int, default=7)
    parser.add_argument("--instructions", action="store_true",
                        help="count instructions per op (callgrind) instead")
    args = parser.parse_args()
    workloads = [w for w in args.workloads.split(",") if w]
    tmp = tempfile.mkdtemp(prefix="cloop-compare-")
    worktree = os.path.join(tmp, "base")
    try:
        subprocess.run(["git", "worktree", "add", "--detach", worktree,
                        args.base], cwd=ROOT, check=True,
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        builds = {"before": os.path.join(tmp, "before"),
                  "after": os.path.join(tmp, "after")}
        build(worktree, builds["before"])
        build(ROOT, builds["after"])
        if args.instructions:
            print(f"{'workload':24} {'before instr/op':>16} "
                  f"{'after instr/op':>16} {'after/before':>12}")
            for w in workloads:
                before, after = (per_op(builds[b], w)
                                 for b in ("before", "after"))
                print(f"{w:24} {before:16,.0f} {after:16,.0f} "
                      f"{after / before:11.3f}x", flush=True)
            print(f"(callgrind, each workload at its quick size and a "
                  f"larger one; Python "
                  f"{sys.version.split()[0]}; base {args.base})")
            return
        samples = {w: {b: [] for b in builds} for w in workloads}
        for rep in range(args.repeat):
            order = list(builds) if rep % 2 == 0 else list(builds)[::-1]
            for w in workloads:
                for b in order:
                    samples[w][b].append(measure(builds[b], w))
        print(f"{'workload':24} {'before ops/s':>14} {'after ops/s':>14} "
              f"{'after/before':>12}")
        for w in workloads:
            before = statistics.median(samples[w]["before"])
            after = statistics.median(samples[w]["after"])
            print(f"{w:24} {before:14,.0f} {after:14,.0f} "
                  f"{after / before:11.2f}x")
        print(f"(median of {args.repeat}, builds alternated; Python "
              f"{sys.version.split()[0]}; base {args.base})")
    finally:
        subprocess.run(["git", "worktree", "remove", "--force", worktree],
                       cwd=ROOT, stdout=subprocess.DEVNULL,
                       stderr=subprocess.DEVNULL)
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
