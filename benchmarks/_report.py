"""The report of a benchmark run: ratios, tables, and the files made from it.

Owns: the ratios a report carries (RATIOS, CPU_RATIOS), the ops/s and server
CPU tables as plain text and markdown, the notes (warnings such as a busy
machine, missing loops, error cells), and the files: latest.json, latest.md,
README-section.md and latest.png (drawn by _chart.py in a child process),
each written through a temporary file so that none is ever left half
written. Apart from compute_ratios and compute_cpu_ratios, which run.py calls
while it assembles the report, everything here reads only the report dict
(what latest.json holds), so `run.py --rerender` renders an old report the
same way. It measures nothing: run.py schedules the workers and assembles
the report; the machine info in it (report["machine"]) and the build it
describes come from _build.py.
"""

import json
import math
import os
import subprocess
import sys
import tempfile

from _loops import CEILING, CPU_ONLY

HERE = os.path.dirname(os.path.abspath(__file__))
CHART = os.path.join(HERE, "_chart.py")

# The ratios the table and the JSON report: (numerator loop, denominator loop).
RATIOS = [("cloop", "asyncio"), ("cloop", "uvloop"), ("cloop", "cloop_native"), ("cloop", CEILING)]

# The server CPU table's ratios: the other loop's CPU per op over cloop's,
# so that, as in the ops/s table, more than 1 means cloop is better.
CPU_RATIOS = ["asyncio", "uvloop"]
CPU_TITLE = "Server CPU per message (µs, lower is better)"


def busy_machine_note(machine):
    """A warning line when the machine was busy with other work during the run, else None."""
    loads = [x for x in (machine.get("load_average_start"), machine.get("load_average_end")) if x is not None]
    cores = machine.get("usable_cores") or 1
    # The run itself keeps about one core busy.
    if loads and max(loads) > 1 + 0.5 * cores:
        return (f"the machine was busy (1-minute load average {' -> '.join(map(str, loads))} "
                f"on {cores} cores): expect noisy numbers")
    return None


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
        "python benchmarks/run.py            # about 25 minutes; --quick for a smoke run",
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


def write_report(report, out):
    """Write latest.json, then everything write_outputs writes."""
    write_text(os.path.join(out, "latest.json"), json.dumps(report, indent=2) + "\n")
    write_outputs(report, out)


def write_outputs(report, out):
    """Write the table, the chart and the README section of a report, and print the table."""
    write_text(os.path.join(out, "latest.md"), format_markdown(report))
    write_text(os.path.join(out, "README-section.md"), format_readme_section(report))
    write_atomic(os.path.join(out, "latest.png"), lambda tmp: write_chart(report, tmp))
    print(format_text(report))
    print(f"\nwrote latest.json, latest.md, latest.png, README-section.md in {out} "
          f"(measured in {report['duration_seconds']:.0f} s)", file=sys.stderr)
