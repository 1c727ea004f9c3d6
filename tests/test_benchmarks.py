"""Smoke test of the benchmark suite: benchmarks/run.py --quick writes its three result files.

No timing is asserted: the test only checks that every workload ran on asyncio
and on cloop and produced a positive ops/s median. matplotlib is a dev
requirement (requirements-dev.txt), so a missing matplotlib fails the test.
"""

import json
import math
import os
import subprocess
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
RUN = os.path.join(ROOT, "benchmarks", "run.py")
LOOPS = ["asyncio", "cloop"]


def test_quick_run_writes_results(tmp_path):
    proc = subprocess.run(
        [sys.executable, RUN, "--quick", "--loops", ",".join(LOOPS), "--out", str(tmp_path)],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert proc.returncode == 0, proc.stderr[-3000:]

    for name in ("latest.json", "latest.md", "latest.png"):
        path = tmp_path / name
        assert path.is_file() and path.stat().st_size > 0, f"{name} was not written"
    assert (tmp_path / "latest.png").read_bytes().startswith(b"\x89PNG\r\n\x1a\n")

    report = json.loads((tmp_path / "latest.json").read_text())
    assert report["machine"]["python"]
    assert report["machine"]["cpu_model"]
    workloads = report["config"]["workloads"]
    assert len(workloads) >= 9
    assert set(report["results"]) == set(workloads)
    for workload in workloads:
        for loop in LOOPS:
            cell = report["results"][workload][loop]
            median = cell["median"]
            assert isinstance(median, (int, float)) and math.isfinite(median) and median > 0, (
                f"{workload} on {loop}: {cell.get('error')}"
            )
            assert cell["samples"], f"{workload} on {loop} has no samples"

    markdown = (tmp_path / "latest.md").read_text()
    for workload in workloads:
        assert f"| {workload} |" in markdown
