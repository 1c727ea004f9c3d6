"""Run one workload on one event loop and print one JSON line.

    python benchmarks/_worker.py --loop cloop --workload call_soon [--quick] [--size N]
    python benchmarks/_worker.py --loop cloop --probe
    python benchmarks/_worker.py --loop ceiling --workload tcp_protocol_1k_c50

Owns: one measurement in a fresh process. run.py starts this script once per
(workload, loop, repeat) so that no loop's state, caches or heap shape leaks
into another loop's numbers.

A measurement: create the loop with its own factory, set it as the current
loop, run the workload once at its small size to warm up (imports, free lists,
specialisation), collect and freeze the garbage so that the timed run only
pays for its own objects, then time one run with time.perf_counter. The
workload returns how many operations it performed; ops/s is that count over
the wall time of loop.run_until_complete(). The loop is closed afterwards.

A workload may return (ops, seconds) instead of ops: the I/O workloads do,
with the seconds of the client's own timed window (the client is another
process; see _iobench.py), so that start-up, connecting and shutting down are
not counted. Their WARMUP_SIZE is 0: the client warms up before its window
instead of the worker running the workload twice. They may also return
(ops, seconds, server_cpu): the CPU seconds the server process spent in that
window (None if it could not be read). The JSON line then has cpu_per_op,
server_cpu / ops: where the client or the wake-up latency limits the
throughput of every server alike, the CPU a server spends per message still
tells them apart.

--loop ceiling runs the workload's ceiling() (the same client against a
minimal C server) instead; no event loop is created.

The last line on stdout is the result, a JSON object. Any failure exits
non-zero with the traceback on stderr; run.py turns it into an error cell.
"""

import argparse
import asyncio
import gc
import json
import os
import signal
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
if HERE not in sys.path:
    sys.path.insert(0, HERE)

from _loops import CEILING, load_factory  # noqa: E402
from _workloads import resolve  # noqa: E402


def split_result(result, elapsed):
    """A workload's return value -> (ops, seconds, server CPU seconds or None).

    It is ops alone (timed by the worker), (ops, its own seconds), or
    (ops, its own seconds, the server's CPU seconds in that time).
    """
    if isinstance(result, tuple) and len(result) == 3:
        return result
    if isinstance(result, tuple) and len(result) == 2:
        return (*result, None)
    return result, elapsed, None


def cpu_per_op(server_cpu, ops):
    """Server CPU seconds per op, or None when the CPU time is unknown."""
    if server_cpu is None:
        return None
    if server_cpu < 0:
        raise RuntimeError(f"workload reported {server_cpu!r} s of server CPU")
    return server_cpu / ops


def measure(factory, workload, params, n, warmup_n, gc_mode):
    loop = factory()
    try:
        asyncio.set_event_loop(loop)
        if warmup_n:
            loop.run_until_complete(workload.run(loop, warmup_n, **params))
        gc.collect()
        gc.freeze()
        if gc_mode == "off":
            gc.disable()
        start = time.perf_counter()
        result = loop.run_until_complete(workload.run(loop, n, **params))
        elapsed = time.perf_counter() - start
        gc.enable()
        gc.unfreeze()
        return split_result(result, elapsed)
    finally:
        asyncio.set_event_loop(None)
        loop.close()


def measure_ceiling(workload, params, n):
    start = time.perf_counter()
    result = workload.ceiling(n, **params)
    return split_result(result, time.perf_counter() - start)


def probe_ceiling():
    """Build the C client and server; say which compiler built them."""
    import _iobench

    _iobench.build_all()
    return {
        "loop": CEILING,
        "version": "C epoll echo server, " + _iobench.compiler_version(),
        "loop_class": "benchmarks/echo_ceiling.c",
        "task_class": "-",
    }


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
            "module_file": getattr(sys.modules.get(type(loop).__module__.split(".")[0]), "__file__", None),
        }
    finally:
        loop.close()


def terminate(signum, frame):
    # run.py sends SIGTERM to a worker that ran out of time: unwind through
    # the finally blocks that kill the client and server processes.
    raise SystemExit(f"terminated by signal {signum}")


def main(argv=None):
    signal.signal(signal.SIGTERM, terminate)
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

    if args.loop == CEILING:
        factory, version = None, None
        if args.probe:
            print(json.dumps(probe_ceiling()))
            return 0
    else:
        factory, version = load_factory(args.loop)
        if args.probe:
            print(json.dumps(probe(args.loop, factory, version)))
            return 0
    if not args.workload:
        parser.error("--workload is required unless --probe is given")

    try:
        workload, params = resolve(args.workload)
    except KeyError:
        parser.error(f"unknown workload {args.workload}")
    if args.size is not None:
        n = args.size
    else:
        n = workload.QUICK_SIZE if args.quick else workload.SIZE
    if getattr(workload, "KIND", "cpu") == "io":
        import _iobench

        _iobench.build_all()  # compile before anything is timed
    if args.loop == CEILING:
        if not callable(getattr(workload, "ceiling", None)):
            raise RuntimeError(f"workload {args.workload} has no ceiling")
        version = probe_ceiling()["version"]
        ops, elapsed, server_cpu = measure_ceiling(workload, params, n)
    else:
        warmup_n = min(getattr(workload, "WARMUP_SIZE", workload.QUICK_SIZE), n)
        ops, elapsed, server_cpu = measure(factory, workload, params, n, warmup_n, args.gc)
    if not isinstance(ops, int) or ops <= 0:
        raise RuntimeError(f"workload returned {ops!r}, expected a positive op count")
    if not elapsed > 0:
        raise RuntimeError(f"workload reported {elapsed!r} seconds")
    print(json.dumps({
        "loop": args.loop,
        "workload": args.workload,
        "version": version,
        "size": n,
        "ops": ops,
        "unit": getattr(workload, "UNIT", "ops"),
        "seconds": elapsed,
        "ops_per_sec": ops / elapsed,
        "server_cpu": server_cpu,
        "cpu_per_op": cpu_per_op(server_cpu, ops),
    }))
    return 0


if __name__ == "__main__":
    sys.exit(main())
