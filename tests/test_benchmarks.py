"""Smoke test of the benchmark suite: benchmarks/run.py --quick writes its result files.

No timing is asserted: the test only checks that every workload ran on asyncio
and on cloop and produced a positive ops/s median, that the I/O workloads ran
(their C client compiled with gcc, wrk for HTTP: scripts/setup-system.sh
installs both), that the C echo ceiling was measured for the echo workloads
and only for them, and that the README section was generated. matplotlib is a
dev requirement (requirements-dev.txt), so a missing matplotlib fails the test.
"""

import json
import math
import os
import subprocess
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
RUN = os.path.join(ROOT, "benchmarks", "run.py")
LOOPS = ["asyncio", "cloop"]


def positive(cell):
    median = cell["median"]
    return isinstance(median, (int, float)) and math.isfinite(median) and median > 0


def test_quick_run_writes_results(tmp_path):
    proc = subprocess.run(
        [sys.executable, RUN, "--quick", "--loops", ",".join(LOOPS + ["ceiling"]),
         "--out", str(tmp_path)],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert proc.returncode == 0, proc.stderr[-3000:]

    for name in ("latest.json", "latest.md", "latest.png", "README-section.md"):
        path = tmp_path / name
        assert path.is_file() and path.stat().st_size > 0, f"{name} was not written"
    assert (tmp_path / "latest.png").read_bytes().startswith(b"\x89PNG\r\n\x1a\n")

    report = json.loads((tmp_path / "latest.json").read_text())
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
