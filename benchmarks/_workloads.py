"""Finding the workloads: bench_<name>.py files and their variants.

Owns: the list of workload names, in table order, and resolving a name to
(module, parameters). It runs nothing.

A bench file is one workload, named after the file, unless it defines
VARIANTS = {suffix: {param: value}}: then it is one workload per variant,
named <file name>_<suffix>, and run() (and ceiling(), if any) receive the
variant's parameters as keyword arguments. QUICK_VARIANTS names the variants
that `run.py --quick` runs when no workload is named explicitly (all of them
if absent).

A workload with a module-level function ceiling(n, **params) also has a
"ceiling" measurement: the same load against a minimal server written in C
(see _iobench.py). Workloads without one show N/A in that column.
"""

import importlib
import os

HERE = os.path.dirname(os.path.abspath(__file__))

# The order of the table; a file not listed here is appended alphabetically.
ORDER = [
    "call_soon",
    "call_soon_burst",
    "timers",
    "future_roundtrip",
    "task_gather",
    "sleep0",
    "sleep_short",
    "gather_tree",
    "gather_tree_taskgroup",
    "gather_tree_eager",
    "gather_tree_eager_factory",
    "queue_pingpong",
    "all_tasks",
    "async_tree",
    "asyncio_tcp",
    "tcp_protocol",
    "tcp_streams",
    "tcp_sock",
    "tcp_buffered",
    "unix_protocol",
    "udp",
    "http",
]


def _files():
    found = sorted(
        name[len("bench_"):-len(".py")]
        for name in os.listdir(HERE)
        if name.startswith("bench_") and name.endswith(".py")
    )
    return [f for f in ORDER if f in found] + [f for f in found if f not in ORDER]


def _module(base):
    return importlib.import_module("bench_" + base)


def discover(quick=False):
    """Every workload name, in table order; with quick=True only the quick variants."""
    names = []
    for base in _files():
        module = _module(base)
        variants = getattr(module, "VARIANTS", None)
        if not variants:
            names.append(base)
            continue
        chosen = getattr(module, "QUICK_VARIANTS", None) if quick else None
        names.extend(f"{base}_{suffix}" for suffix in variants if chosen is None or suffix in chosen)
    return names


def resolve(name):
    """Return (module, params) for a workload name. Raises KeyError if unknown."""
    files = _files()
    if name in files:
        module = _module(name)
        if not getattr(module, "VARIANTS", None):
            return module, {}
    # Longest file name first, so that "tcp_protocol_1k_c1" never matches a "tcp" file.
    for base in sorted(files, key=len, reverse=True):
        if name.startswith(base + "_"):
            module = _module(base)
            suffix = name[len(base) + 1:]
            variants = getattr(module, "VARIANTS", None) or {}
            if suffix in variants:
                return module, dict(variants[suffix])
    raise KeyError(name)


def has_ceiling(name):
    module, _ = resolve(name)
    return callable(getattr(module, "ceiling", None))


def kind(name):
    """'io' for a workload that talks to another process over sockets, else 'cpu'."""
    module, _ = resolve(name)
    return getattr(module, "KIND", "cpu")
