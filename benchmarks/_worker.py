"""Run one workload on one event loop and print one JSON line.

    python benchmarks/_worker.py --loop cloop --workload call_soon [--quick] [--size N]
    python benchmarks/_worker.py --loop cloop --probe

Owns: one measurement in a fresh process. run.py starts this script once per
(workload, loop, repeat) so that no loop's state, caches or heap shape leaks
into another loop's numbers.

A measurement: create the loop with its own factory, set it as the current
loop, run the workload once at its small size to warm up (imports, free lists,
specialisation), collect and freeze the garbage so that the timed run only
pays for its own objects, then time one run with time.perf_counter. The
workload returns how many operations it performed; ops/s is that count over
the wall time of loop.run_until_complete(). The loop is closed afterwards.

The last line on stdout is the result, a JSON object. Any failure exits
non-zero with the traceback on stderr; run.py turns it into an error cell.
"""

import argparse
import asyncio
import gc
import importlib
import json
import os
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
if HERE not in sys.path:
    sys.path.insert(0, HERE)

from _loops import load_factory  # noqa: E402


def load_workload(name):
    return importlib.import_module("bench_" + name)


def measure(factory, workload, n, warmup_n, gc_mode):
    loop = factory()
    try:
        asyncio.set_event_loop(loop)
        if warmup_n:
            loop.run_until_complete(workload.run(loop, warmup_n))
        gc.collect()
        gc.freeze()
        if gc_mode == "off":
            gc.disable()
        start = time.perf_counter()
        ops = loop.run_until_complete(workload.run(loop, n))
        elapsed = time.perf_counter() - start
        gc.enable()
        gc.unfreeze()
        return ops, elapsed
    finally:
        asyncio.set_event_loop(None)
        loop.close()


def qualified_name(cls):
    return f"{cls.__module__}.{cls.__qualname__}"


def probe(name, factory, version):
    """Create a loop, run one task on it, and say which classes were used."""

    async def nothing():
        pass

    loop = factory()
    try:
        task = loop.create_task(nothing())
        loop.run_until_complete(task)
        return {
            "loop": name,
            "version": version,
            "loop_class": qualified_name(type(loop)),
            "task_class": qualified_name(type(task)),
        }
    finally:
        loop.close()


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--loop", required=True)
    parser.add_argument("--workload")
    parser.add_argument("--quick", action="store_true", help="use the workload's small size")
    parser.add_argument("--size", type=int, help="override the workload's size")
    parser.add_argument("--gc", choices=("on", "off"), default="on",
                        help="keep the cyclic GC enabled during the timed run (default on)")
    parser.add_argument("--probe", action="store_true",
                        help="only import the loop, create and close one, print its version")
    args = parser.parse_args(argv)

    factory, version = load_factory(args.loop)
    if args.probe:
        print(json.dumps(probe(args.loop, factory, version)))
        return 0
    if not args.workload:
        parser.error("--workload is required unless --probe is given")

    workload = load_workload(args.workload)
    if args.size is not None:
        n = args.size
    else:
        n = workload.QUICK_SIZE if args.quick else workload.SIZE
    warmup_n = min(workload.QUICK_SIZE, n)
    ops, elapsed = measure(factory, workload, n, warmup_n, args.gc)
    if not isinstance(ops, int) or ops <= 0:
        raise RuntimeError(f"workload returned {ops!r}, expected a positive op count")
    print(json.dumps({
        "loop": args.loop,
        "workload": args.workload,
        "version": version,
        "size": n,
        "ops": ops,
        "unit": getattr(workload, "UNIT", "ops"),
        "seconds": elapsed,
        "ops_per_sec": ops / elapsed,
    }))
    return 0


if __name__ == "__main__":
    sys.exit(main())
