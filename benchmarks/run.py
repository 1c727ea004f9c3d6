"""Compare cloop with asyncio, uvloop and rloop on every workload in benchmarks/.

    python benchmarks/run.py                      # everything: 5 repeats (I/O: 3), ~25 minutes
    python benchmarks/run.py --quick              # 1 repeat, small sizes, fewer I/O variants
    python benchmarks/run.py --loops cloop,asyncio --workloads call_soon,timers --repeat 9
    python benchmarks/run.py --workloads tcp_protocol_1k_c50,udp_1k_c50 --io-repeat 5
    python benchmarks/run.py --out /tmp/bench     # write the results somewhere else

Owns: the command line, choosing what to run, scheduling the runs and
collecting the numbers into the report (the dict latest.json holds). Not
here: what the workers import (this checkout's cloop, built into a snapshot
at the start) and the machine info the report records (CPU, cores, Python,
commit, load average), which are _build.py's; the ratios, the tables, the
notes and the files written from a report, which are _report.py's.

Each measurement is one fresh process running _worker.py (one workload on
one loop; see that file for what is timed). The runs are interleaved: every
repeat runs every workload on every loop, with the loop order rotated from
one repeat to the next, so that a slow patch of the machine hits all loops
alike. The median of the repeats is kept.

CPU workloads run `--repeat` times, I/O workloads (KIND = "io": a server on
the loop, the load from another process) `--io-repeat` times, since each one
lasts a second or more. The "ceiling" column is not a loop: it is the echo
workloads' load against a minimal echo server in C (echo_ceiling.c); it is
measured, interleaved like a loop, only for workloads that define ceiling(),
and shown as n/a elsewhere. The "cloop_native" column is cloop's loop with
asyncio's own Task and Future (_cloop_native.py); it is measured only on the
CPU workloads, and cloop/cloop_native is what cloop's own Task and Future buy.

For the I/O workloads a second figure is kept: the server's CPU time per op
(cpu_per_op, from the worker: the server process's CPU seconds during the
client's timed window over the ops in it), median over the repeats like
ops/s, in a second table. On 2 cores many echo cells are limited by the
client or by wake-up latency, so every server reaches about the same ops/s;
the CPU each one spends per message still tells them apart.

Writes, in --out (default benchmarks/results/): latest.json (machine, loop
versions, every sample and the medians), latest.md (the tables in markdown),
latest.png (ratio to asyncio per workload, one bar per loop, CPU and I/O
workloads in two panels) and README-section.md (the "Performance" section for
the project README, made from this run). A loop that does not import is
reported as missing; a workload that fails on one loop becomes an error cell;
neither stops the run.
"""

import argparse
import datetime
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
if HERE not in sys.path:
    sys.path.insert(0, HERE)

import _build  # noqa: E402
import _report  # noqa: E402
import _workloads  # noqa: E402
from _loops import ALL_LOOPS, CEILING, CPU_ONLY, DEFAULT_LOOPS, USES_CLOOP  # noqa: E402

WORKER = os.path.join(HERE, "_worker.py")
DEFAULT_OUT = os.path.join(HERE, "results")


def split_list(text):
    return [item.strip() for item in text.split(",") if item.strip()]


# Set by main(): a directory holding this checkout's cloop, built for the
# running Python, put on the workers' PYTHONPATH (see _build.prepare_cloop), and
# what the report says about it.
CLOOP_SNAPSHOT = None
CLOOP_BUILD = {"source": "installed cloop"}


def run_worker(args, timeout):
    """Run _worker.py with `args`. Return (parsed JSON, None) or (None, error text)."""
    cmd = [sys.executable, WORKER] + args
    with subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                          env=_build.worker_env(CLOOP_SNAPSHOT)) as popen:
        try:
            stdout, stderr = popen.communicate(timeout=timeout)
        except subprocess.TimeoutExpired:
            # SIGTERM first: the worker turns it into SystemExit, so that its
            # finally blocks stop and reap the client and server processes.
            popen.terminate()
            try:
                popen.communicate(timeout=5)
            except subprocess.TimeoutExpired:
                popen.kill()
                popen.communicate()
            return None, f"timed out after {timeout:g} s"
    proc = subprocess.CompletedProcess(cmd, popen.returncode, stdout, stderr)
    if proc.returncode != 0:
        return None, describe_failure(proc)
    for line in reversed(proc.stdout.splitlines()):
        if line.startswith("{"):
            try:
                return json.loads(line), None
            except ValueError:
                break
    return None, "worker printed no result"


def describe_failure(proc):
    if proc.returncode < 0:
        try:
            import signal

            what = "crashed with " + signal.Signals(-proc.returncode).name
        except ValueError:
            what = f"killed by signal {-proc.returncode}"
    else:
        what = f"exit status {proc.returncode}"
    lines = [line for line in proc.stderr.strip().splitlines() if line.strip()]
    return f"{what}: {lines[-1].strip()}" if lines else what


def probe_loops(names, timeout):
    """Return {name: {"status": "ok"|"missing", "version"|"error": ...}}."""
    info = {}
    for name in names:
        result, error = run_worker(["--loop", name, "--probe"], timeout)
        if result is not None:
            info[name] = {"status": "ok"}
            info[name].update((k, v) for k, v in result.items() if k != "loop")
        else:
            info[name] = {"status": "missing", "error": error}
    return info


def missing_cell(info):
    return {"samples": [], "errors": [], "median": None, "error": "loop missing: " + info["error"]}


class Progress:
    """One status line on stderr: rewritten in place on a terminal, one line per run otherwise."""

    def __init__(self, total):
        self.total = total
        self.done = 0
        self.tty = sys.stderr.isatty()
        self.started = time.monotonic()

    def update(self, text):
        self.done += 1
        elapsed = time.monotonic() - self.started
        line = f"[{self.done:>{len(str(self.total))}}/{self.total} {elapsed:5.0f}s] {text}"
        if self.tty:
            sys.stderr.write("\r\033[K" + line)
        else:
            sys.stderr.write(line + "\n")
        sys.stderr.flush()

    def finish(self):
        if self.tty:
            sys.stderr.write("\n")
            sys.stderr.flush()


def applies(workload, loop):
    """Whether `loop` is measured on `workload`: the ceiling only where the workload has one,
    cloop_native (and any CPU_ONLY loop) only on the CPU workloads."""
    if loop == CEILING:
        return _workloads.has_ceiling(workload)
    if loop in CPU_ONLY:
        return _workloads.kind(workload) == "cpu"
    return True


def repeats_for(workload, repeat, io_repeat):
    return io_repeat if _workloads.kind(workload) == "io" else repeat


def na_cell():
    return {"samples": [], "errors": [], "median": None, "na": True}


def measure_all(workloads, loops, repeat, io_repeat, quick, gc_mode, timeout):
    """Run every applicable (workload, loop) its number of repeats, interleaved. Return the results."""
    results = {
        w: {l: ({"samples": [], "errors": []} if applies(w, l) else na_cell()) for l in loops}
        for w in workloads
    }
    reps = {w: repeats_for(w, repeat, io_repeat) for w in workloads}
    total = sum(reps[w] * sum(applies(w, l) for l in loops) for w in workloads)
    progress = Progress(total)
    for rep in range(max(reps.values(), default=0)):
        # Rotate the loop order each repeat so no loop always runs first.
        shift = rep % len(loops) if loops else 0
        order = loops[shift:] + loops[:shift]
        for workload in workloads:
            if rep >= reps[workload]:
                continue
            for loop in order:
                if not applies(workload, loop):
                    continue
                args = ["--loop", loop, "--workload", workload, "--gc", gc_mode]
                if quick:
                    args.append("--quick")
                result, error = run_worker(args, timeout)
                cell = results[workload][loop]
                if result is None:
                    cell["errors"].append(error)
                    status = "ERROR " + error
                else:
                    cell["samples"].append(result["ops_per_sec"])
                    cell["size"] = result["size"]
                    cell["ops"] = result["ops"]
                    cell["unit"] = result["unit"]
                    status = f"{_report.human(result['ops_per_sec'])} {result['unit']}/s"
                    if result.get("cpu_per_op") is not None:
                        cell.setdefault("cpu_per_op_samples", []).append(result["cpu_per_op"])
                        status += f", server CPU {_report.micro(result['cpu_per_op'])} µs/op"
                progress.update(f"rep {rep + 1}/{reps[workload]}  {workload:<22} {loop:<8} {status}")
    progress.finish()
    for per_loop in results.values():
        for cell in per_loop.values():
            if cell.get("na"):
                continue
            # A loop that failed even once is reported as an error: a crash
            # that happens one time in five is worth seeing.
            if cell["errors"] or not cell["samples"]:
                cell["median"] = None
                cell["error"] = cell["errors"][0] if cell["errors"] else "no samples"
            else:
                cell["median"] = statistics.median(cell["samples"])
            cpu = cell.get("cpu_per_op_samples")
            cell["cpu_per_op"] = statistics.median(cpu) if cpu and cell["median"] else None
    return results


def workload_info(workloads):
    """What the report says about each workload: kind, unit, parameters, whether it has a ceiling."""
    info = {}
    for name in workloads:
        module, params = _workloads.resolve(name)
        info[name] = {
            "kind": getattr(module, "KIND", "cpu"),
            "unit": getattr(module, "UNIT", "ops"),
            "params": params,
            "ceiling": _workloads.has_ceiling(name),
        }
    return info


def parse_args(argv):
    parser = argparse.ArgumentParser(
        description="Compare cloop with asyncio, uvloop and rloop.",
        formatter_class=argparse.RawDescriptionHelpFormatter,
        epilog="workloads: " + ", ".join(_workloads.discover()),
    )
    parser.add_argument("--quick", action="store_true",
                        help="1 repeat at each workload's small size, and only the I/O variants "
                             "marked quick unless --workloads names others (a smoke run)")
    parser.add_argument("--loops", default=",".join(DEFAULT_LOOPS),
                        help="comma-separated loops, 'ceiling' included (default: %(default)s)")
    parser.add_argument("--workloads", default="all",
                        help="comma-separated workloads (default: all)")
    parser.add_argument("--repeat", type=int,
                        help="runs per (CPU workload, loop) (default 5, 1 with --quick)")
    parser.add_argument("--io-repeat", type=int,
                        help="runs per (I/O workload, loop) (default 3, 1 with --quick)")
    parser.add_argument("--out", default=DEFAULT_OUT, help="output directory (default: benchmarks/results)")
    parser.add_argument("--gc", choices=("on", "off"), default="on",
                        help="cyclic GC during the timed run (default on; the heap is collected and "
                             "frozen just before timing either way)")
    parser.add_argument("--rerender", action="store_true",
                        help="measure nothing: rewrite latest.md, latest.png and README-section.md "
                             "from the latest.json in --out")
    parser.add_argument("--timeout", type=float,
                        help="seconds before one measurement counts as hung (default 120, 20 with --quick)")
    args = parser.parse_args(argv)

    available = _workloads.discover()
    if args.workloads == "all":
        args.workload_list = _workloads.discover(quick=args.quick)
    else:
        args.workload_list = split_list(args.workloads)
    unknown = [w for w in args.workload_list if w not in available]
    if unknown:
        parser.error(f"unknown workload(s) {', '.join(unknown)}; known: {', '.join(available)}")
    args.loop_list = split_list(args.loops)
    unknown = [l for l in args.loop_list if l not in ALL_LOOPS]
    if unknown:
        parser.error(f"unknown loop(s) {', '.join(unknown)}; known: {', '.join(ALL_LOOPS)}")
    # Columns in the registry's order, whatever order --loops gave.
    args.loop_list = [l for l in ALL_LOOPS if l in args.loop_list]
    if not args.loop_list or not args.workload_list:
        parser.error("nothing to run")
    if args.repeat is None:
        args.repeat = 1 if args.quick else 5
    if args.io_repeat is None:
        args.io_repeat = 1 if args.quick else 3
    if args.timeout is None:
        args.timeout = 20.0 if args.quick else 120.0
    if args.repeat < 1 or args.io_repeat < 1:
        parser.error("--repeat and --io-repeat must be at least 1")
    return args


def main(argv=None):
    global CLOOP_SNAPSHOT, CLOOP_BUILD
    args = parse_args(argv)
    # Fail now, not after minutes of measuring, if the chart cannot be drawn.
    import matplotlib  # noqa: F401  (the chart itself is drawn by _chart.py)

    os.makedirs(args.out, exist_ok=True)
    if args.rerender:
        with open(os.path.join(args.out, "latest.json")) as f:
            report = json.load(f)
        _report.write_outputs(report, args.out)
        return 0
    with tempfile.TemporaryDirectory(prefix="cloop-bench-build-") as tmp:
        if USES_CLOOP & set(args.loop_list):
            CLOOP_SNAPSHOT, CLOOP_BUILD = _build.prepare_cloop(tmp)
        try:
            return run(args)
        finally:
            CLOOP_SNAPSHOT = None


def run(args):
    loop_info = probe_loops(args.loop_list, args.timeout)
    measured = [l for l in args.loop_list if loop_info[l]["status"] == "ok"]
    for name, info in loop_info.items():
        if info["status"] != "ok":
            print(f"loop {name} is missing: {info['error']}", file=sys.stderr)

    load_start = _build.load_average()
    commit = _build.git_commit()  # before measuring: the tree may change during the run
    started = time.monotonic()
    results = measure_all(args.workload_list, measured, args.repeat, args.io_repeat, args.quick,
                          args.gc, args.timeout)
    results = {
        workload: {
            name: per_loop.get(name)
            or (missing_cell(loop_info[name]) if applies(workload, name) else na_cell())
            for name in args.loop_list
        }
        for workload, per_loop in results.items()
    }

    machine = _build.machine_info(commit)
    machine["loops"] = loop_info
    machine["cloop_build"] = CLOOP_BUILD
    machine["load_average_start"] = load_start
    machine["load_average_end"] = _build.load_average()
    report = {
        "schema": 3,
        "created": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
        "duration_seconds": round(time.monotonic() - started, 1),
        "machine": machine,
        "config": {
            "repeat": args.repeat,
            "io_repeat": args.io_repeat,
            "quick": args.quick,
            "gc": args.gc,
            "loops": args.loop_list,
            "loops_measured": measured,
            "workloads": args.workload_list,
            "metric": "ops_per_sec",
            "cpu_metric": "cpu_per_op: server CPU seconds per op in the client's window (I/O)",
        },
        "workloads": workload_info(args.workload_list),
        "results": results,
        "ratios": _report.compute_ratios(results, measured),
        "cpu_ratios": _report.compute_cpu_ratios(results, {w: _workloads.kind(w) for w in results}),
    }

    _report.write_report(report, args.out)
    return 0


if __name__ == "__main__":
    sys.exit(main())
