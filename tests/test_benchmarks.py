"""Smoke test of the benchmark suite: benchmarks/run.py --quick writes its result files.

No timing is asserted: the tests only check that every workload ran on asyncio
and on cloop and produced a positive ops/s median, that cloop_native (cloop's
loop with asyncio's Task and Future) ran every CPU workload with asyncio's
types and no I/O workload, that the I/O workloads ran
(their C client compiled with gcc, wrk for HTTP: scripts/setup-system.sh
installs both), that the C echo ceiling was measured for the echo workloads
and only for them, that the I/O workloads carry a plausible server CPU time
per message for the loops and the ceiling, that the README section was
generated, and that a latest.json from before the CPU figure still renders.
matplotlib is a dev requirement (requirements-dev.txt), so a missing
matplotlib fails the test.
"""

import json
import math
import os
import subprocess
import sys

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BENCHMARKS = os.path.join(ROOT, "benchmarks")
RUN = os.path.join(BENCHMARKS, "run.py")
LOOPS = ["asyncio", "cloop"]
NATIVE = "cloop_native"
CPU_HEADING = "**Server CPU per message (µs, lower is better)**"


def positive(cell):
    median = cell["median"]
    return isinstance(median, (int, float)) and math.isfinite(median) and median > 0


def run_bench(*args):
    proc = subprocess.run([sys.executable, RUN, *args], capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr[-3000:]
    return proc


@pytest.fixture(scope="module")
def quick_run(tmp_path_factory):
    """One real `run.py --quick` on asyncio, cloop, cloop_native and the ceiling: (out dir, report)."""
    out = tmp_path_factory.mktemp("bench")
    run_bench("--quick", "--loops", ",".join(LOOPS + [NATIVE, "ceiling"]), "--out", str(out))
    return out, json.loads((out / "latest.json").read_text())


def cpu_table(markdown):
    """{workload: [cells]} of the server CPU table in latest.md."""
    lines = markdown.split(CPU_HEADING, 1)[1].splitlines()
    rows = [line for line in lines if line.startswith("| ")]
    header = [c.strip() for c in rows[0].strip("|").split("|")]
    table = {}
    for line in rows[1:]:
        cells = [c.strip() for c in line.strip("|").split("|")]
        table[cells[0]] = dict(zip(header, cells))
    return table


def test_quick_run_writes_results(quick_run):
    tmp_path, report = quick_run
    for name in ("latest.json", "latest.md", "latest.png", "README-section.md"):
        path = tmp_path / name
        assert path.is_file() and path.stat().st_size > 0, f"{name} was not written"
    assert (tmp_path / "latest.png").read_bytes().startswith(b"\x89PNG\r\n\x1a\n")

    assert report["machine"]["python"]
    assert report["machine"]["cpu_model"]
    workloads = report["config"]["workloads"]
    kinds = {w: report["workloads"][w]["kind"] for w in workloads}
    assert sum(k == "cpu" for k in kinds.values()) >= 9
    io = [w for w in workloads if kinds[w] == "io"]
    # --quick keeps one variant of each I/O workload file.
    for prefix in ("tcp_protocol_", "tcp_streams_", "tcp_sock_", "tcp_buffered_",
                   "unix_protocol_", "udp_", "http_"):
        assert any(w.startswith(prefix) for w in io), f"no {prefix}* workload in {io}"
    assert set(report["results"]) == set(workloads)
    for workload in workloads:
        for loop in LOOPS:
            cell = report["results"][workload][loop]
            assert positive(cell), f"{workload} on {loop}: {cell.get('error')}"
            assert cell["samples"], f"{workload} on {loop} has no samples"

    # The ceiling: measured on every echo workload, n/a elsewhere.
    for workload in workloads:
        cell = report["results"][workload]["ceiling"]
        if report["workloads"][workload]["ceiling"]:
            assert positive(cell), f"ceiling of {workload}: {cell.get('error')}"
            assert report["ratios"][workload]["cloop/ceiling"] > 0
        else:
            assert cell.get("na") and not cell["samples"], workload
    assert not report["workloads"]["call_soon"]["ceiling"]
    assert all(report["workloads"][w]["ceiling"] for w in io if not w.startswith("http_"))

    markdown = (tmp_path / "latest.md").read_text()
    for workload in workloads:
        assert f"| {workload} |" in markdown
    assert "cloop/ceiling" in markdown

    section = (tmp_path / "README-section.md").read_text()
    assert section.startswith("## Performance")
    assert "(benchmarks/results/latest.png)" in section
    assert report["machine"]["python"] in section
    assert "python benchmarks/run.py" in section
    for workload in workloads:
        assert f"| {workload} |" in section


def test_io_workloads_report_server_cpu_per_message(quick_run):
    tmp_path, report = quick_run
    cores = report["machine"]["usable_cores"]
    io = [w for w, info in report["workloads"].items() if info["kind"] == "io"]
    assert io
    for workload in io:
        loops = LOOPS + (["ceiling"] if report["workloads"][workload]["ceiling"] else [])
        for loop in loops:
            cell = report["results"][workload][loop]
            cpu = cell.get("cpu_per_op")
            assert isinstance(cpu, float) and cpu > 0, f"{workload} on {loop}: cpu_per_op {cpu!r}"
            assert len(cell["cpu_per_op_samples"]) == len(cell["samples"])
            # Bounds that no real server can cross, to catch a wrong unit or
            # a window that does not match the client's: a message echoed
            # takes at least two system calls (far more than 0.1 µs), and in
            # one second a process gets at most `cores` seconds of CPU.
            for cpu_sample, rate in zip(cell["cpu_per_op_samples"], cell["samples"]):
                assert cpu_sample > 1e-7, f"{workload} on {loop}: {cpu_sample} s per op"
                assert cpu_sample * rate <= cores * 1.1, f"{workload} on {loop}: {cpu_sample * rate} CPUs"
        assert report["cpu_ratios"][workload]["asyncio/cloop"] > 0
    # Only the I/O workloads have a server apart from the loop.
    assert report["results"]["call_soon"]["cloop"]["cpu_per_op"] is None
    assert "call_soon" not in report["cpu_ratios"]

    table = cpu_table((tmp_path / "latest.md").read_text())
    assert set(table) == set(io)
    for workload in io:
        assert table[workload]["cloop"] not in ("n/a", "error", "-"), table[workload]
        assert table[workload]["cloop vs asyncio"].endswith("x")
    assert CPU_HEADING in (tmp_path / "README-section.md").read_text()


def test_rerender_of_a_report_without_server_cpu(quick_run, tmp_path):
    """A latest.json written before the CPU figure existed still renders, with n/a."""
    _, report = quick_run
    old = json.loads(json.dumps(report))
    old["schema"] = 2
    old.pop("cpu_ratios")
    old["config"].pop("cpu_metric")
    for per_loop in old["results"].values():
        for cell in per_loop.values():
            cell.pop("cpu_per_op", None)
            cell.pop("cpu_per_op_samples", None)
    (tmp_path / "latest.json").write_text(json.dumps(old))

    proc = run_bench("--rerender", "--out", str(tmp_path))

    markdown = (tmp_path / "latest.md").read_text()
    table = cpu_table(markdown)
    io = [w for w, info in old["workloads"].items() if info["kind"] == "io"]
    assert set(table) == set(io)
    for workload in io:
        assert table[workload]["cloop"] == "n/a"
        assert table[workload]["ceiling"] == "n/a"
        assert table[workload]["cloop vs asyncio"] == "-"
    # The ops/s table is unchanged by the missing figure.
    assert f"| {io[0]} | {old['workloads'][io[0]]['unit']} |" in markdown
    assert "Server CPU per message (µs, lower is better):" in proc.stdout
    assert (tmp_path / "README-section.md").read_text().startswith("## Performance")


def test_workload_results_of_every_shape():
    """ops, (ops, seconds) and (ops, seconds, server CPU) all reach the worker's JSON."""
    sys.path.insert(0, BENCHMARKS)
    try:
        import _iobench
        import _worker
    finally:
        sys.path.remove(BENCHMARKS)
    assert _worker.split_result(10, 0.5) == (10, 0.5, None)
    assert _worker.split_result((10, 0.25), 0.5) == (10, 0.25, None)
    assert _worker.split_result((10, 0.25, 0.125), 0.5) == (10, 0.25, 0.125)
    assert _worker.cpu_per_op(None, 10) is None
    assert _worker.cpu_per_op(0.5, 10) == 0.05
    with pytest.raises(RuntimeError):
        _worker.cpu_per_op(-0.1, 10)

    line = '{"messages": 4, "seconds": 0.2, "lost": 0, "size": 8, "conns": 1, "mode": "tcp"%s}\n'
    assert _iobench.parse_client(line % "", "", 0) == (4, 0.2, None)
    assert _iobench.parse_client(line % ', "server_cpu": 0.1', "", 0) == (4, 0.2, 0.1)


def ops_table(markdown):
    """{workload: {column: cell}} of the ops/s table in latest.md (the first table)."""
    rows = []
    for line in markdown.splitlines():
        if line.startswith("| "):
            rows.append(line)
        elif rows and not line.startswith("|"):
            break
    header = [c.strip() for c in rows[0].strip("|").split("|")]
    return {cells[0]: dict(zip(header, cells))
            for cells in ([c.strip() for c in line.strip("|").split("|")] for line in rows[1:])}


def test_cloop_native_runs_cpu_workloads_with_asyncio_types(quick_run):
    """cloop_native: cloop's loop, asyncio's C Task; CPU workloads only, with its ratio and summary."""
    tmp_path, report = quick_run
    info = report["machine"]["loops"][NATIVE]
    assert info["status"] == "ok", info
    assert info["loop_class"] == "_cloop_native.NativeTaskLoop"
    assert info["task_class"] == "_asyncio.Task"
    assert report["machine"]["loops"]["cloop"]["task_class"] != "_asyncio.Task"
    kinds = {w: info["kind"] for w, info in report["workloads"].items()}
    table = ops_table((tmp_path / "latest.md").read_text())
    for workload, kind in kinds.items():
        cell = report["results"][workload][NATIVE]
        ratio = report["ratios"][workload]["cloop/cloop_native"]
        if kind == "cpu":
            assert positive(cell), f"{workload} on {NATIVE}: {cell.get('error')}"
            assert ratio > 0
            assert table[workload][f"{NATIVE} ops/s"] not in ("n/a", "error", "missing", "-")
            assert table[workload]["cloop/cloop_native"].endswith("x")
        else:
            assert cell.get("na") and not cell["samples"], workload
            assert ratio is None
            assert table[workload][f"{NATIVE} ops/s"] == "n/a"
            assert table[workload]["cloop/cloop_native"] == "n/a"
    section = (tmp_path / "README-section.md").read_text()
    assert "(cloop/cloop_native), scheduling (CPU) workloads: geometric mean" in section


def test_cloop_native_registry(monkeypatch):
    """cloop_native is a default loop, accepted by --loops, and applies to CPU workloads only."""
    # For the whole test: _workloads imports the bench_*.py files on demand.
    monkeypatch.syspath_prepend(BENCHMARKS)
    import _cloop_native
    import _loops
    import _report
    import run
    assert NATIVE in _loops.ALL_LOOPS and NATIVE in _loops.DEFAULT_LOOPS
    assert NATIVE in run.parse_args([]).loop_list
    assert run.parse_args(["--loops", "cloop_native,asyncio"]).loop_list == [NATIVE, "asyncio"]
    assert ("cloop", NATIVE) in _report.RATIOS
    assert run.applies("task_gather", NATIVE)
    assert not run.applies("tcp_protocol_1k_c50", NATIVE)
    assert run.applies("tcp_protocol_1k_c50", "cloop")

    import asyncio

    loop = _cloop_native.new_event_loop()
    try:
        async def main():
            future = loop.create_future()
            loop.call_soon(future.set_result, 7)
            task = loop.create_task(asyncio.sleep(0, 5), name="t")
            return type(future), await future, type(task), await task, task.get_name()

        assert loop.run_until_complete(main()) == (asyncio.Future, 7, asyncio.Task, 5, "t")
        made = []
        loop.set_task_factory(lambda l, coro, **kw: made.append(coro) or asyncio.Task(coro, loop=l, **kw))
        task = loop.create_task(asyncio.sleep(0))
        assert made and loop.run_until_complete(task) is None
    finally:
        loop.close()
