"""Compare cloop with asyncio, uvloop and rloop on every workload in benchmarks/.

    python benchmarks/run.py                      # all workloads, all installed loops, 5 repeats
    python benchmarks/run.py --quick              # 1 repeat at small sizes (a smoke run)
    python benchmarks/run.py --loops cloop,asyncio --workloads call_soon,timers --repeat 9
    python benchmarks/run.py --out /tmp/bench     # write the results somewhere else

Owns: choosing what to run, scheduling the runs, collecting and reporting the
numbers. Each measurement is one fresh process running _worker.py (one
workload on one loop; see that file for what is timed). The runs are
interleaved: every repeat runs every workload on every loop, with the loop
order rotated from one repeat to the next, so that a slow patch of the machine
hits all loops alike. The median of the repeats is kept.

Writes, in --out (default benchmarks/results/): latest.json (machine, loop
versions, every sample and the medians), latest.md (the table in markdown) and
latest.png (ratio to asyncio per workload, one bar per loop). A loop that does
not import is reported as missing; a workload that fails on one loop becomes
an error cell; neither stops the run.
"""

import argparse
import datetime
import json
import math
import os
import platform
import statistics
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
if HERE not in sys.path:
    sys.path.insert(0, HERE)

from _loops import DEFAULT_LOOPS, LOOPS  # noqa: E402

WORKER = os.path.join(HERE, "_worker.py")
DEFAULT_OUT = os.path.join(HERE, "results")

# Workloads in the order the table shows them; any other bench_*.py file found
# in this directory is appended in alphabetical order.
ORDER = [
    "call_soon",
    "call_soon_burst",
    "timers",
    "future_roundtrip",
    "task_gather",
    "sleep0",
    "gather_tree",
    "gather_tree_taskgroup",
    "queue_pingpong",
]

# The ratios the table and the JSON report: (numerator loop, denominator loop).
RATIOS = [("cloop", "asyncio"), ("cloop", "uvloop")]

# Environment variables that would slow one loop down and not another, or
# change what is measured; the workers run without them.
SCRUBBED_ENV = ("PYTHONASYNCIODEBUG", "PYTHONDEVMODE", "PYTHONMALLOC", "PYTHONTRACEMALLOC")


def discover_workloads():
    found = sorted(
        name[len("bench_"):-len(".py")]
        for name in os.listdir(HERE)
        if name.startswith("bench_") and name.endswith(".py")
    )
    return [w for w in ORDER if w in found] + [w for w in found if w not in ORDER]


def split_list(text):
    return [item.strip() for item in text.split(",") if item.strip()]


def worker_env():
    env = dict(os.environ)
    for name in SCRUBBED_ENV:
        env.pop(name, None)
    env["PYTHONHASHSEED"] = "0"
    return env


def run_worker(args, timeout):
    """Run _worker.py with `args`. Return (parsed JSON, None) or (None, error text)."""
    cmd = [sys.executable, WORKER] + args
    try:
        proc = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, env=worker_env())
    except subprocess.TimeoutExpired:
        return None, f"timed out after {timeout:g} s"
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


def machine_info():
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
        "git_commit": git_commit(),
    }


def load_average():
    """The 1-minute load average, or None; recorded because other work on the machine skews results."""
    try:
        return round(os.getloadavg()[0], 2)
    except (AttributeError, OSError):
        return None


def busy_machine_note(machine):
    """A warning line when the machine was busy with other work during the run, else None."""
    loads = [x for x in (machine.get("load_average_start"), machine.get("load_average_end")) if x is not None]
    cores = machine.get("usable_cores") or 1
    # The run itself keeps about one core busy.
    if loads and max(loads) > 1 + 0.5 * cores:
        return (f"the machine was busy (1-minute load average {' -> '.join(map(str, loads))} "
                f"on {cores} cores): expect noisy numbers")
    return None


def git_commit():
    try:
        out = subprocess.run(["git", "-C", HERE, "describe", "--always", "--dirty"],
                             capture_output=True, text=True, timeout=10)
    except (OSError, subprocess.SubprocessError):
        return None
    return out.stdout.strip() or None


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


def measure_all(workloads, loops, repeat, quick, gc_mode, timeout):
    """Run every (workload, loop) `repeat` times, interleaved. Return the results dict."""
    results = {w: {l: {"samples": [], "errors": []} for l in loops} for w in workloads}
    progress = Progress(repeat * len(workloads) * len(loops))
    for rep in range(repeat):
        # Rotate the loop order each repeat so no loop always runs first.
        shift = rep % len(loops) if loops else 0
        order = loops[shift:] + loops[:shift]
        for workload in workloads:
            for loop in order:
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
                    status = f"{human(result['ops_per_sec'])} {result['unit']}/s"
                progress.update(f"rep {rep + 1}/{repeat}  {workload:<22} {loop:<8} {status}")
    progress.finish()
    for per_loop in results.values():
        for cell in per_loop.values():
            # A loop that failed even once is reported as an error: a crash
            # that happens one time in five is worth seeing.
            if cell["errors"] or not cell["samples"]:
                cell["median"] = None
                cell["error"] = cell["errors"][0] if cell["errors"] else "no samples"
            else:
                cell["median"] = statistics.median(cell["samples"])
    return results


def compute_ratios(results, loops):
    ratios = {}
    for workload, per_loop in results.items():
        ratios[workload] = {}
        for num, den in RATIOS:
            a = per_loop.get(num, {}).get("median")
            b = per_loop.get(den, {}).get("median")
            ratios[workload][f"{num}/{den}"] = a / b if a and b else None
    return ratios


def human(value):
    if value is None:
        return "-"
    for scale, suffix in ((1e9, "G"), (1e6, "M"), (1e3, "k")):
        if value >= scale:
            return f"{value / scale:.2f}{suffix}"
    return f"{value:.0f}"


def table_rows(report):
    """The table as a header and rows of strings, shared by the text and markdown output."""
    loops = report["config"]["loops"]
    measured = report["config"]["loops_measured"]
    header = ["workload"] + [f"{l} ops/s" for l in loops] + [f"{n}/{d}" for n, d in RATIOS]
    rows = []
    for workload, per_loop in report["results"].items():
        row = [workload]
        for loop in loops:
            cell = per_loop[loop]
            if loop not in measured:
                row.append("missing")
            else:
                row.append("error" if cell["median"] is None else human(cell["median"]))
        for n, d in RATIOS:
            ratio = report["ratios"][workload][f"{n}/{d}"]
            row.append("-" if ratio is None else f"{ratio:.2f}x")
        rows.append(row)
    return header, rows


def notes(report):
    lines = []
    busy = busy_machine_note(report["machine"])
    if busy:
        lines.append("warning: " + busy)
    for loop, info in report["machine"]["loops"].items():
        if info["status"] != "ok":
            lines.append(f"missing loop {loop}: {info['error']}")
    measured = report["config"]["loops_measured"]
    for workload, per_loop in report["results"].items():
        for loop, cell in per_loop.items():
            if loop in measured and cell["median"] is None:
                lines.append(f"error {workload} on {loop}: {cell['error']}")
    return lines


def format_text(report):
    header, rows = table_rows(report)
    widths = [max(len(r[i]) for r in [header] + rows) for i in range(len(header))]
    out = []
    for i, row in enumerate([header] + rows):
        cells = [row[0].ljust(widths[0])] + [c.rjust(w) for c, w in zip(row[1:], widths[1:])]
        out.append("  ".join(cells))
        if i == 0:
            out.append("  ".join("-" * w for w in widths))
    out.extend(notes(report))
    return "\n".join(out)


def format_markdown(report):
    m = report["machine"]
    c = report["config"]
    versions = "; ".join(
        f"{name} {info['version']} (`{info['loop_class']}`, tasks `{info['task_class']}`)"
        if info["status"] == "ok" else f"{name} missing"
        for name, info in m["loops"].items()
    )
    header, rows = table_rows(report)
    out = [
        "# cloop benchmarks",
        "",
        f"- date: {report['created']}",
        f"- machine: {m['cpu_model']}, {m['cores']} cores ({m['usable_cores']} usable), {m['platform']}",
        f"- python: {m['python_implementation']} {m['python']}; commit {m['git_commit'] or 'unknown'}",
        f"- loops: {versions}",
        f"- {c['repeat']} repeat(s){' at quick sizes' if c['quick'] else ''}, median of ops/s, "
        f"GC {c['gc']}, a fresh process per measurement, loops interleaved",
        "",
        "| " + " | ".join(header) + " |",
        "|" + "|".join(["---"] + ["---:"] * (len(header) - 1)) + "|",
    ]
    out.extend("| " + " | ".join(row) + " |" for row in rows)
    extra = notes(report)
    if extra:
        out.append("")
        out.extend(f"- {line}" for line in extra)
    return "\n".join(out) + "\n"


def write_chart(report, path):
    """Bar chart of each loop's median over asyncio's, per workload (log scale)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from matplotlib.ticker import FuncFormatter, LogLocator, NullFormatter

    workloads = list(report["results"])
    loops = report["config"]["loops_measured"]
    fig, ax = plt.subplots(figsize=(max(8, 1.3 * len(workloads) + 2), 5.5))
    width = 0.8 / max(1, len(loops))
    plotted = []
    for i, loop in enumerate(loops):
        xs, ys = [], []
        for j, workload in enumerate(workloads):
            per_loop = report["results"][workload]
            base = per_loop.get("asyncio", {}).get("median")
            value = per_loop[loop]["median"]
            if base and value:
                xs.append(j + (i - (len(loops) - 1) / 2) * width)
                ys.append(value / base)
        if xs:
            # A loop keeps its colour whichever loops are measured.
            colour = f"C{list(LOOPS).index(loop)}" if loop in LOOPS else None
            bars = ax.bar(xs, ys, width, label=loop, color=colour)
            ax.bar_label(bars, labels=[f"{y:.2g}" for y in ys], fontsize=7, padding=1)
            plotted.extend(ys)
    ax.axhline(1.0, color="black", linewidth=0.8)
    if plotted:
        ax.set_yscale("log")
        low, high = min(plotted + [1.0]), max(plotted + [1.0])
        ax.set_ylim(low / 1.5, high * 1.6)
        ax.yaxis.set_major_locator(LogLocator(base=10, subs=(1.0, 2.0, 5.0)))
        ax.yaxis.set_major_formatter(FuncFormatter(lambda y, _: f"{y:g}x"))
        ax.yaxis.set_minor_formatter(NullFormatter())
        ax.grid(axis="y", which="major", alpha=0.3)
    ax.set_xticks(range(len(workloads)))
    ax.set_xticklabels(workloads, rotation=30, ha="right")
    ax.set_ylabel("ops/s relative to asyncio (higher is better)")
    m = report["machine"]
    ax.set_title(f"cloop benchmarks: {m['cpu_model']}, Python {m['python']}", fontsize=10)
    if "asyncio" not in loops:
        ax.text(0.5, 0.5, "asyncio was not measured: no ratios", transform=ax.transAxes, ha="center")
    ax.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(path, dpi=110, format="png")  # path may end in .tmp
    plt.close(fig)


def write_atomic(path, write):
    """Write through a .tmp file and rename, so a crash never leaves half a result file."""
    tmp = path + ".tmp"
    write(tmp)
    os.replace(tmp, path)


def write_text(path, text):
    def write(tmp):
        with open(tmp, "w") as f:
            f.write(text)

    write_atomic(path, write)


def parse_args(argv):
    parser = argparse.ArgumentParser(
        description="Compare cloop with asyncio, uvloop and rloop.",
        formatter_class=argparse.RawDescriptionHelpFormatter,
        epilog="workloads: " + ", ".join(discover_workloads()),
    )
    parser.add_argument("--quick", action="store_true",
                        help="1 repeat at each workload's small size (a smoke run)")
    parser.add_argument("--loops", default=",".join(DEFAULT_LOOPS),
                        help="comma-separated loops (default: %(default)s)")
    parser.add_argument("--workloads", default="all",
                        help="comma-separated workloads (default: all)")
    parser.add_argument("--repeat", type=int, help="runs per (workload, loop) (default 5, 1 with --quick)")
    parser.add_argument("--out", default=DEFAULT_OUT, help="output directory (default: benchmarks/results)")
    parser.add_argument("--gc", choices=("on", "off"), default="on",
                        help="cyclic GC during the timed run (default on; the heap is collected and "
                             "frozen just before timing either way)")
    parser.add_argument("--timeout", type=float,
                        help="seconds before one measurement counts as hung (default 120, 20 with --quick)")
    args = parser.parse_args(argv)

    available = discover_workloads()
    args.workload_list = available if args.workloads == "all" else split_list(args.workloads)
    unknown = [w for w in args.workload_list if w not in available]
    if unknown:
        parser.error(f"unknown workload(s) {', '.join(unknown)}; known: {', '.join(available)}")
    args.loop_list = split_list(args.loops)
    unknown = [l for l in args.loop_list if l not in LOOPS]
    if unknown:
        parser.error(f"unknown loop(s) {', '.join(unknown)}; known: {', '.join(LOOPS)}")
    if not args.loop_list or not args.workload_list:
        parser.error("nothing to run")
    if args.repeat is None:
        args.repeat = 1 if args.quick else 5
    if args.timeout is None:
        args.timeout = 20.0 if args.quick else 120.0
    if args.repeat < 1:
        parser.error("--repeat must be at least 1")
    return args


def main(argv=None):
    args = parse_args(argv)
    # Fail now, not after minutes of measuring, if the chart cannot be drawn.
    import matplotlib  # noqa: F401

    os.makedirs(args.out, exist_ok=True)
    loop_info = probe_loops(args.loop_list, args.timeout)
    measured = [l for l in args.loop_list if loop_info[l]["status"] == "ok"]
    for name, info in loop_info.items():
        if info["status"] != "ok":
            print(f"loop {name} is missing: {info['error']}", file=sys.stderr)

    load_start = load_average()
    started = time.monotonic()
    results = measure_all(args.workload_list, measured, args.repeat, args.quick, args.gc, args.timeout)
    results = {
        workload: {name: per_loop.get(name) or missing_cell(loop_info[name]) for name in args.loop_list}
        for workload, per_loop in results.items()
    }

    machine = machine_info()
    machine["loops"] = loop_info
    machine["load_average_start"] = load_start
    machine["load_average_end"] = load_average()
    report = {
        "schema": 1,
        "created": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
        "duration_seconds": round(time.monotonic() - started, 1),
        "machine": machine,
        "config": {
            "repeat": args.repeat,
            "quick": args.quick,
            "gc": args.gc,
            "loops": args.loop_list,
            "loops_measured": measured,
            "workloads": args.workload_list,
            "metric": "ops_per_sec",
        },
        "results": results,
        "ratios": compute_ratios(results, measured),
    }

    json_path = os.path.join(args.out, "latest.json")
    write_text(json_path, json.dumps(report, indent=2) + "\n")
    write_text(os.path.join(args.out, "latest.md"), format_markdown(report))
    png_path = os.path.join(args.out, "latest.png")
    write_atomic(png_path, lambda tmp: write_chart(report, tmp))

    print(format_text(report))
    print(f"\nwrote {json_path}, latest.md, latest.png in {args.out}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
