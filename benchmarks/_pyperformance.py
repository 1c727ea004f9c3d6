"""pyperformance's asyncio benchmarks, loaded from the installed package.

Owns: finding one of pyperformance's benchmark scripts
(pyperformance/data-files/benchmarks/bm_<name>/run_benchmark.py, shipped in
its wheel) and importing it as a module, so that bench_async_tree.py and
bench_asyncio_tcp.py run pyperformance's own code, unchanged, on the loop
the worker made. Nothing is downloaded: pyperformance comes from
requirements-dev.txt, and its scripts need only pyperf, its dependency.

pyperformance itself would run each script under pyperf in a venv of its
own, choosing the loop by asyncio's policy; here the worker's loop is
injected the same way the project's own workloads get theirs, so the
figures sit in the same table as the rest, from the same kind of process.
"""

import importlib.util
import os

_loaded = {}


def script_path(benchmark):
    """The path of pyperformance's bm_<benchmark>/run_benchmark.py."""
    spec = importlib.util.find_spec("pyperformance")
    if spec is None or not spec.submodule_search_locations:
        raise RuntimeError("pyperformance is not installed (it is in requirements-dev.txt)")
    package = list(spec.submodule_search_locations)[0]
    path = os.path.join(package, "data-files", "benchmarks", f"bm_{benchmark}", "run_benchmark.py")
    if not os.path.isfile(path):
        raise RuntimeError(f"pyperformance has no benchmark {benchmark!r} ({path})")
    return path


def load(benchmark):
    """pyperformance's bm_<benchmark> script as a module (imported once)."""
    module = _loaded.get(benchmark)
    if module is None:
        name = f"_pyperformance_bm_{benchmark}"
        spec = importlib.util.spec_from_file_location(name, script_path(benchmark))
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        _loaded[benchmark] = module
    return module
