"""Draw latest.png from a report: each loop's ops/s over asyncio's, per workload.

    python benchmarks/_chart.py REPORT.json OUT.png

Owns: the chart only. _report.py calls it in a child process (see
_report.write_chart for why); it reads the report run.py wrote and measures
nothing. Two panels, CPU and I/O workloads, log scale; a loop keeps its
colour whichever loops were measured; the ceiling is hatched.
"""

import json
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
if HERE not in sys.path:
    sys.path.insert(0, HERE)

from _loops import CEILING, COLOURS  # noqa: E402


def _plot_panel(ax, report, workloads, loops, title):
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
            colour = COLOURS.get(loop)
            hatch = "//" if loop == CEILING else None
            bars = ax.bar(xs, ys, width, label=loop, color=colour, hatch=hatch,
                          edgecolor="white" if hatch else None, linewidth=0)
            ax.bar_label(bars, labels=[f"{y:.2g}" for y in ys], fontsize=6, padding=1,
                         rotation=90 if len(loops) > 4 else 0)
            plotted.extend(ys)
    ax.axhline(1.0, color="black", linewidth=0.8)
    if plotted:
        from matplotlib.ticker import FuncFormatter, LogLocator, NullFormatter

        ax.set_yscale("log")
        low, high = min(plotted + [1.0]), max(plotted + [1.0])
        ax.set_ylim(low / 1.5, high * 2.0)
        ax.yaxis.set_major_locator(LogLocator(base=10, subs=(1.0, 2.0, 5.0)))
        ax.yaxis.set_major_formatter(FuncFormatter(lambda y, _: f"{y:g}x"))
        ax.yaxis.set_minor_formatter(NullFormatter())
        ax.grid(axis="y", which="major", alpha=0.3)
    ax.set_xlim(-0.6, len(workloads) - 0.4)
    ax.set_xticks(range(len(workloads)))
    ax.set_xticklabels(workloads, rotation=30, ha="right", fontsize=8)
    ax.set_ylabel("ops/s relative to asyncio")
    ax.set_title(title, fontsize=9)
    if "asyncio" not in loops:
        ax.text(0.5, 0.5, "asyncio was not measured: no ratios", transform=ax.transAxes, ha="center")
    ax.legend(fontsize=7, ncol=len(loops), loc="upper left")


def write_chart(report, path):
    """Bars of each loop's median over asyncio's, per workload (log scale); CPU and I/O panels."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    loops = report["config"]["loops_measured"]
    groups = []
    for kind, title in (("cpu", "scheduling: tasks, futures, callbacks, timers (no I/O)"),
                        ("io", "I/O: server on the loop, load from another process "
                               "(echo_client.c, wrk); ceiling = C epoll echo server")):
        names = [w for w, info in report["workloads"].items() if info["kind"] == kind]
        if names:
            shown = [l for l in loops if any(not report["results"][w][l].get("na") for w in names)]
            groups.append((names, shown, title))
    widest = max((len(names) * max(1, len(shown)) for names, shown, _ in groups), default=1)
    fig, axes = plt.subplots(len(groups) or 1, 1, squeeze=False,
                             figsize=(max(10, 0.17 * widest + 2), 5 * max(1, len(groups))))
    for ax, (names, shown, title) in zip(axes[:, 0], groups):
        _plot_panel(ax, report, names, shown, title)
    m = report["machine"]
    fig.suptitle(f"cloop benchmarks (higher is better): {m['cpu_model']}, {m['cores']} cores, "
                 f"Python {m['python']}", fontsize=10)
    fig.tight_layout()
    fig.savefig(path, dpi=100, format="png")  # path may end in .tmp
    plt.close(fig)


def main(argv=None):
    argv = sys.argv[1:] if argv is None else argv
    if len(argv) != 2:
        print(__doc__.strip().splitlines()[2].strip(), file=sys.stderr)
        return 2
    with open(argv[0]) as f:
        report = json.load(f)
    write_chart(report, argv[1])
    return 0


if __name__ == "__main__":
    sys.exit(main())
