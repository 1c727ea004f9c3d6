"""Compare cloop with asyncio, uvloop and rloop on every workload in benchmarks/.

    python benchmarks/run.py                      # everything: 5 repeats (I/O: 3), ~8 minutes
    python benchmarks/run.py --quick              # 1 repeat, small sizes, fewer I/O variants
    python benchmarks/run.py --loops cloop,asyncio --workloads call_soon,timers --repeat 9
    python benchmarks/run.py --workloads tcp_protocol_1k_c50,udp_1k_c50 --io-repeat 5
    python benchmarks/run.py --out /tmp/bench     # write the results somewhere else

Owns: choosing what to run, scheduling the runs, collecting and reporting the
numbers. Each measurement is one fresh process running _worker.py (one
workload on one loop; see that file for what is timed). The runs are
interleaved: every repeat runs every workload on every loop, with the loop
order rotated from one repeat to the next, so that a slow patch of the machine
hits all loops alike. The median of the repeats is kept.

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
import math
import os
import platform
import shutil
import statistics
import subprocess
import sys
import sysconfig
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
if HERE not in sys.path:
    sys.path.insert(0, HERE)

import _workloads  # noqa: E402
from _loops import ALL_LOOPS, CEILING, CPU_ONLY, DEFAULT_LOOPS, USES_CLOOP  # noqa: E402

WORKER = os.path.join(HERE, "_worker.py")
CHART = os.path.join(HERE, "_chart.py")
DEFAULT_OUT = os.path.join(HERE, "results")

# The ratios the table and the JSON report: (numerator loop, denominator loop).
RATIOS = [("cloop", "asyncio"), ("cloop", "uvloop"), ("cloop", "cloop_native"), ("cloop", CEILING)]

# The server CPU table's ratios: the other loop's CPU per op over cloop's,
# so that, as in the ops/s table, more than 1 means cloop is better.
CPU_RATIOS = ["asyncio", "uvloop"]
CPU_TITLE = "Server CPU per message (µs, lower is better)"

# Environment variables that would slow one loop down and not another, or
# change what is measured; the workers run without them.
SCRUBBED_ENV = ("PYTHONASYNCIODEBUG", "PYTHONDEVMODE", "PYTHONMALLOC", "PYTHONTRACEMALLOC")


def split_list(text):
    return [item.strip() for item in text.split(",") if item.strip()]


# Set by main(): a directory holding this checkout's cloop, built for the
# running Python, put on the workers' PYTHONPATH (see prepare_cloop), and
# what the report says about it.
CLOOP_SNAPSHOT = None
CLOOP_BUILD = {"source": "installed cloop"}


def worker_env():
    env = dict(os.environ)
    for name in SCRUBBED_ENV:
        env.pop(name, None)
    env["PYTHONHASHSEED"] = "0"
    if CLOOP_SNAPSHOT:
        # Appended: a PYTHONPATH already set (the sanitized build of the ASan
        # test run) still comes first.
        paths = [p for p in env.get("PYTHONPATH", "").split(os.pathsep) if p]
        env["PYTHONPATH"] = os.pathsep.join(paths + [CLOOP_SNAPSHOT])
    return env


def file_digest(path):
    import hashlib

    with open(path, "rb") as f:
        return hashlib.sha256(f.read()).hexdigest()[:16]


def copy_cloop_python(dest):
    """Copy the cloop package's Python files into dest/cloop; return that folder."""
    src = os.path.join(ROOT, "cloop")
    pkg = os.path.join(dest, "cloop")
    os.makedirs(pkg)
    for name in os.listdir(src):
        if name.endswith((".py", ".pyi", ".typed")):
            shutil.copy2(os.path.join(src, name), pkg)
    return pkg


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
    setup = os.path.join(ROOT, "setup.py")
    ext = "_cloop" + (sysconfig.get_config_var("EXT_SUFFIX") or ".so")
    if not os.path.isfile(setup):
        return None, {"source": "installed cloop"}
    pkg = copy_cloop_python(dest)
    env = dict(os.environ)
    for name in ("CLOOP_DEBUG", "CLOOP_SANITIZE", "CLOOP_NO_STATS"):
        env.pop(name, None)
    proc = subprocess.run(
        [sys.executable, setup, "-q", "build_ext", "--build-lib", dest,
         "--build-temp", os.path.join(dest, "build-temp"), "--force"],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=900)
    shutil.rmtree(os.path.join(dest, "build-temp"), ignore_errors=True)
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


def run_worker(args, timeout):
    """Run _worker.py with `args`. Return (parsed JSON, None) or (None, error text)."""
    cmd = [sys.executable, WORKER] + args
    with subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                          env=worker_env()) as popen:
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
                    status = f"{human(result['ops_per_sec'])} {result['unit']}/s"
                    if result.get("cpu_per_op") is not None:
                        cell.setdefault("cpu_per_op_samples", []).append(result["cpu_per_op"])
                        status += f", server CPU {micro(result['cpu_per_op'])} µs/op"
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


def compute_ratios(results, loops):
    ratios = {}
    for workload, per_loop in results.items():
        ratios[workload] = {}
        for num, den in RATIOS:
            a = per_loop.get(num, {}).get("median")
            b = per_loop.get(den, {}).get("median")
            ratios[workload][f"{num}/{den}"] = a / b if a and b else None
    return ratios


def compute_cpu_ratios(results, workload_kinds):
    """{I/O workload: {"<loop>/cloop": that loop's CPU per op over cloop's, or None}}."""
    return {
        workload: {f"{other}/cloop": cpu_ratio(per_loop, other) for other in CPU_RATIOS}
        for workload, per_loop in results.items() if workload_kinds.get(workload) == "io"
    }


def cpu_ratio(per_loop, other):
    """other's server CPU per op over cloop's (> 1: cloop uses less), or None."""
    mine = per_loop.get("cloop", {}).get("cpu_per_op")
    theirs = per_loop.get(other, {}).get("cpu_per_op")
    return theirs / mine if mine and theirs else None


def micro(seconds):
    """Seconds as microseconds with three significant digits or so."""
    value = seconds * 1e6
    if value >= 100:
        return f"{value:.0f}"
    return f"{value:.1f}" if value >= 10 else f"{value:.2f}"


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
    ratios = [(n, d) for n, d in RATIOS if n in loops and d in loops]
    header = (["workload", "one op is"] + [f"{l} ops/s" for l in loops]
              + [f"{n}/{d}" for n, d in ratios])
    rows = []
    for workload, per_loop in report["results"].items():
        row = [workload, report["workloads"][workload]["unit"]]
        for loop in loops:
            row.append(cell_text(per_loop[loop], loop in measured, lambda c: human(c["median"])))
        for n, d in ratios:
            ratio = report["ratios"][workload][f"{n}/{d}"]
            if ratio is None:
                # n/a where a side is not measured on this workload (the
                # ceiling off the echo workloads, cloop_native on I/O).
                row.append("n/a" if per_loop[n].get("na") or per_loop[d].get("na") else "-")
            else:
                row.append(f"{ratio:.2f}x")
        rows.append(row)
    return header, rows


def cell_text(cell, measured, value):
    """One table cell: n/a, missing (loop not measured), error, or value(cell)."""
    if cell.get("na"):
        return "n/a"
    if not measured:
        return "missing"
    if cell["median"] is None:
        return "error"
    return value(cell)


def cpu_text(cell):
    cpu = cell.get("cpu_per_op")
    return "n/a" if cpu is None else micro(cpu)


def notes(report):
    lines = []
    busy = busy_machine_note(report["machine"])
    if busy:
        lines.append("warning: " + busy)
    build = report["machine"].get("cloop_build") or {}
    if build.get("build_error"):
        lines.append(f"warning: building cloop failed ({build['build_error']}); measured {build['source']}")
    for loop, info in report["machine"]["loops"].items():
        if info["status"] != "ok":
            lines.append(f"missing loop {loop}: {info['error']}")
    measured = report["config"]["loops_measured"]
    for workload, per_loop in report["results"].items():
        for loop, cell in per_loop.items():
            if loop in measured and cell["median"] is None and not cell.get("na"):
                lines.append(f"error {workload} on {loop}: {cell['error']}")
    return lines


def io_workloads(report):
    return [w for w in report["results"] if report["workloads"][w]["kind"] == "io"]


def has_cpu_figures(report):
    """Whether any cell has a server CPU figure (a report from before them has none)."""
    return any(cell.get("cpu_per_op") is not None
               for per_loop in report["results"].values() for cell in per_loop.values())


def cpu_table_rows(report):
    """The server CPU table (I/O workloads only) as a header and rows of strings.

    A report written before this figure existed has no cpu_per_op: n/a.
    Loops measured only on the CPU workloads (cloop_native) have no column.
    """
    loops = [l for l in report["config"]["loops"] if l not in CPU_ONLY]
    measured = report["config"]["loops_measured"]
    others = [o for o in CPU_RATIOS if "cloop" in loops and o in loops]
    header = ["workload"] + loops + [f"cloop vs {o}" for o in others]
    rows = []
    for workload in io_workloads(report):
        per_loop = report["results"][workload]
        row = [workload]
        for loop in loops:
            row.append(cell_text(per_loop[loop], loop in measured, cpu_text))
        for other in others:
            ratio = cpu_ratio(per_loop, other)
            row.append("-" if ratio is None else f"{ratio:.2f}x")
        rows.append(row)
    return header, rows


def aligned_table(header, rows, text_columns):
    """A plain-text table: the first text_columns columns left-aligned, the rest right-aligned."""
    widths = [max(len(r[i]) for r in [header] + rows) for i in range(len(header))]
    out = []
    for i, row in enumerate([header] + rows):
        cells = [c.ljust(w) if j < text_columns else c.rjust(w)
                 for j, (c, w) in enumerate(zip(row, widths))]
        out.append("  ".join(cells))
        if i == 0:
            out.append("  ".join("-" * w for w in widths))
    return out


def format_text(report):
    out = aligned_table(*table_rows(report), text_columns=2)
    header, rows = cpu_table_rows(report)
    if rows:
        out.extend(["", CPU_TITLE + ":"] + aligned_table(header, rows, text_columns=1))
    out.extend(notes(report))
    return "\n".join(out)


def markdown_rows(header, rows, text_columns):
    out = [
        "| " + " | ".join(header) + " |",
        "|" + "|".join(["---"] * text_columns + ["---:"] * (len(header) - text_columns)) + "|",
    ]
    out.extend("| " + " | ".join(row) + " |" for row in rows)
    return out


def markdown_table(report):
    return markdown_rows(*table_rows(report), text_columns=2)


def cpu_markdown(report):
    """The server CPU table with its title and what it means, or [] without I/O workloads."""
    header, rows = cpu_table_rows(report)
    if not rows:
        return []
    missing = "" if has_cpu_figures(report) else " (not measured by the run that wrote this report)"
    return ["", f"**{CPU_TITLE}**{missing}: the server process's CPU "
                "time (all threads, user and system) during the client's timed window, over the "
                "ops in it. `cloop vs X` is X's figure over cloop's: more than 1 means cloop uses "
                "less CPU per message.", ""] + markdown_rows(header, rows, text_columns=1)


def method_lines(report):
    """How the numbers were made, as markdown bullet points."""
    c = report["config"]
    quick = " at quick sizes" if c["quick"] else ""
    lines = [
        f"- CPU workloads: median of {c['repeat']} run(s){quick}; I/O workloads: median of "
        f"{c['io_repeat']} run(s){quick}. A fresh process per measurement, loops interleaved, "
        f"GC {c['gc']}.",
    ]
    if any(info["kind"] == "io" for info in report["workloads"].values()):
        lines.append(
            "- I/O workloads: the server runs on the loop under test; the load comes from another "
            "process, `benchmarks/echo_client.c` (one C thread on epoll, N connections each in "
            "strict ping-pong: send a message, wait for the whole echo, check it) or `wrk -t1` "
            "for HTTP, all on loopback. One op is one message echoed (bytes = ops x message "
            "size, each way) or one HTTP request; the rate is over the client's own timed window.")
        lines.append(
            "- `ceiling`: the same client against `benchmarks/echo_ceiling.c`, a minimal "
            "single-threaded C epoll echo server with one reusable buffer; cloop/ceiling is the "
            "share of it cloop reaches. n/a where there is no echo. The client and server share "
            "the machine's cores, so the ceiling is the limit of this client on this machine, "
            "not of the kernel.")
    if "cloop_native" in c["loops"]:
        lines.append(
            "- `cloop_native`: cloop's loop with asyncio's own C Task and Future "
            "(`benchmarks/_cloop_native.py`: `create_task()` and `create_future()` return "
            "`asyncio.Task` and `asyncio.Future`, from a Python-level method where cloop's are C), "
            "so cloop/cloop_native is what cloop's own Task and Future buy on the same loop. "
            "Measured on the CPU workloads only (n/a on the I/O ones).")
    if has_cpu_figures(report):
        lines.append(
            "- Server CPU per message: CPU time of the server process (the worker running the "
            "loop, or the C ceiling server) during the client's timed window, read by the echo "
            "client from `/proc/PID/task/*/schedstat`, over the messages in the window; for "
            "HTTP the worker's own CPU time around wrk's run. Where the client or the wake-up "
            "latency caps every server at the same ops/s, this still tells them apart.")
    return lines


def format_markdown(report):
    m = report["machine"]
    def describe(name, info):
        if info["status"] != "ok":
            return f"{name} missing"
        if name == CEILING:
            return f"{name}: {info['version']} (`{info['loop_class']}`)"
        return f"{name} {info['version']} (`{info['loop_class']}`, tasks `{info['task_class']}`)"

    versions = "; ".join(describe(name, info) for name, info in m["loops"].items())
    out = [
        "# cloop benchmarks",
        "",
        f"- date: {report['created']}",
        f"- machine: {m['cpu_model']}, {m['cores']} cores ({m['usable_cores']} usable), {m['platform']}",
        f"- python: {m['python_implementation']} {m['python']}; commit {m['git_commit'] or 'unknown'}",
        f"- loops: {versions}",
    ]
    out.extend(method_lines(report))
    out.append("")
    out.extend(markdown_table(report))
    out.extend(cpu_markdown(report))
    extra = notes(report)
    if extra:
        out.append("")
        out.extend(f"- {line}" for line in extra)
    return "\n".join(out) + "\n"


def geometric_mean(values):
    values = [v for v in values if v]
    return math.exp(sum(math.log(v) for v in values) / len(values)) if values else None


def summary_lines(report):
    """A few sentences computed from the ratios of this run."""
    lines = []
    kinds = {w: info["kind"] for w, info in report["workloads"].items()}
    for key, what in (("cloop/asyncio", "asyncio"), ("cloop/uvloop", "uvloop")):
        for kind, label in (("cpu", "scheduling (CPU) workloads"), ("io", "I/O workloads")):
            values = [report["ratios"][w].get(key) for w in kinds if kinds[w] == kind]
            values = [v for v in values if v]
            if values:
                lines.append(f"- cloop vs {what}, {label}: geometric mean {geometric_mean(values):.2f}x "
                             f"({min(values):.2f}x to {max(values):.2f}x, {len(values)} workloads)")
    # cloop_native runs only the CPU workloads.
    values = [report["ratios"][w].get("cloop/cloop_native") for w in kinds if kinds[w] == "cpu"]
    values = [v for v in values if v]
    if values:
        lines.append(f"- cloop's own Task and Future vs asyncio's on the same cloop loop "
                     f"(cloop/cloop_native), scheduling (CPU) workloads: geometric mean "
                     f"{geometric_mean(values):.2f}x ({min(values):.2f}x to {max(values):.2f}x, "
                     f"{len(values)} workloads)")
    for other in CPU_RATIOS:
        values = [cpu_ratio(report["results"][w], other) for w in io_workloads(report)]
        values = [v for v in values if v]
        if values:
            lines.append(f"- server CPU per message, {other} over cloop (more than 1: cloop uses "
                         f"less): geometric mean {geometric_mean(values):.2f}x ({min(values):.2f}x "
                         f"to {max(values):.2f}x, {len(values)} I/O workloads)")
    values = [r.get(f"cloop/{CEILING}") for r in report["ratios"].values()]
    values = [v for v in values if v]
    if values:
        lines.append(f"- cloop reaches {min(values):.0%} to {max(values):.0%} of the C echo "
                     f"ceiling (geometric mean {geometric_mean(values):.0%}, {len(values)} echo workloads)")
    return lines


def format_readme_section(report):
    """The README's "Performance" section, from this run."""
    m = report["machine"]
    c = report["config"]
    versions = ", ".join(
        name if info["version"].startswith("python ") else f"{name} {info['version']}"
        for name, info in m["loops"].items() if info["status"] == "ok" and name != CEILING)
    date = report["created"].split("T")[0]
    out = [
        "## Performance",
        "",
        "![cloop against asyncio, uvloop, rloop and a C echo server](benchmarks/results/latest.png)",
        "",
        f"Measured on {date}: {m['cpu_model']}, {m['cores']} cores, {m['platform']}; "
        f"{m['python_implementation']} {m['python']}; {versions}; "
        f"commit {m['git_commit'] or 'unknown'}. Higher ops/s is better, lower CPU per message "
        "too; only the ratios of one run compare, never numbers from different machines.",
        "",
    ]
    busy = busy_machine_note(m)
    if busy:
        out.extend([f"Note: {busy}.", ""])
    summary = summary_lines(report)
    if summary:
        out.extend(summary + [""])
    out.extend(markdown_table(report))
    out.extend(cpu_markdown(report))
    out.append("")
    out.extend(method_lines(report))
    errors = [line for line in notes(report) if line.startswith(("error", "missing"))]
    out.extend(f"- {line}" for line in errors)
    out.extend([
        "",
        "To reproduce (Debian or Ubuntu: `scripts/setup-system.sh` installs gcc and wrk):",
        "",
        "```",
        "bash scripts/setup-system.sh",
        "python benchmarks/run.py            # about 8 minutes; --quick for a smoke run",
        "```",
        "",
        "It writes `benchmarks/results/latest.{json,md,png}` and this section "
        "(`benchmarks/results/README-section.md`); every sample is in the JSON. "
        "How each number is made: `benchmarks/README.md`.",
    ])
    if c["quick"]:
        out.insert(2, "(A --quick run: one repeat at small sizes, a reduced set of I/O workloads.)\n")
    return "\n".join(out) + "\n"


def write_chart(report, path):
    """Draw the chart (_chart.py) in a child process.

    The child runs without the sanitizer runtime that the ASan test run
    preloads: matplotlib's C++ font module aborts under it, and the chart is
    not what that run tests.
    """
    import _iobench

    with tempfile.NamedTemporaryFile("w", suffix=".json", delete=False) as f:
        json.dump(report, f)
    try:
        proc = subprocess.run([sys.executable, CHART, f.name, path], capture_output=True, text=True,
                              env=_iobench.helper_env(), timeout=300)
    finally:
        os.unlink(f.name)
    if proc.returncode != 0:
        raise RuntimeError("drawing the chart failed: " + (proc.stderr.strip()[-2000:] or
                                                           f"exit status {proc.returncode}"))


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
        write_outputs(report, args.out)
        return 0
    with tempfile.TemporaryDirectory(prefix="cloop-bench-build-") as tmp:
        if USES_CLOOP & set(args.loop_list):
            CLOOP_SNAPSHOT, CLOOP_BUILD = prepare_cloop(tmp)
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

    load_start = load_average()
    commit = git_commit()  # before measuring: the tree may change during the run
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

    machine = machine_info()
    machine["git_commit"] = commit
    machine["loops"] = loop_info
    machine["cloop_build"] = CLOOP_BUILD
    machine["load_average_start"] = load_start
    machine["load_average_end"] = load_average()
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
        "ratios": compute_ratios(results, measured),
        "cpu_ratios": compute_cpu_ratios(results, {w: _workloads.kind(w) for w in results}),
    }

    write_text(os.path.join(args.out, "latest.json"), json.dumps(report, indent=2) + "\n")
    write_outputs(report, args.out)
    return 0


def write_outputs(report, out):
    """Write the table, the chart and the README section of a report, and print the table."""
    write_text(os.path.join(out, "latest.md"), format_markdown(report))
    write_text(os.path.join(out, "README-section.md"), format_readme_section(report))
    write_atomic(os.path.join(out, "latest.png"), lambda tmp: write_chart(report, tmp))
    print(format_text(report))
    print(f"\nwrote latest.json, latest.md, latest.png, README-section.md in {out} "
          f"(measured in {report['duration_seconds']:.0f} s)", file=sys.stderr)


if __name__ == "__main__":
    sys.exit(main())
