"""The event loops the benchmarks compare, and how to import each one.

Owns: the loop registry (name -> module and factory), importing a loop, and
reading its version. It does not create loops for workloads; _worker.py does.

"cloop_native" is cloop's loop with asyncio's own C Task and Future
(_cloop_native.py, importable since the workers have benchmarks/ on
sys.path). It measures what cloop's Task and Future buy over asyncio's on the
same loop, so it only runs the CPU (scheduling) workloads: see CPU_ONLY.

"ceiling" is not a loop but is reported like one: the echo workloads' load
run against a minimal echo server in C (_iobench.py, echo_ceiling.c). It has
no factory; _worker.py handles it, and it only applies to workloads that
define ceiling().
"""

import importlib
import platform

# name -> (module to import, factory attribute, distribution name for the version)
LOOPS = {
    "cloop": ("cloop", "new_event_loop", "cloop"),
    "cloop_native": ("_cloop_native", "new_event_loop", "cloop"),
    "asyncio": ("asyncio", "new_event_loop", None),
    "uvloop": ("uvloop", "new_event_loop", "uvloop"),
    "rloop": ("rloop", "new_event_loop", "rloop"),
}

CEILING = "ceiling"

# Loops measured only on the CPU workloads (n/a on the I/O ones).
CPU_ONLY = {"cloop_native"}

# Loops that import this checkout's cloop (run.py builds it for them).
USES_CLOOP = {"cloop", "cloop_native"}

# Everything --loops accepts, in column order.
ALL_LOOPS = list(LOOPS) + [CEILING]
DEFAULT_LOOPS = list(ALL_LOOPS)

# Each loop's colour in the chart, fixed so that adding a loop changes no
# other loop's colour; cloop_native is a paler blue, as a variant of cloop.
COLOURS = {"cloop": "C0", "asyncio": "C1", "uvloop": "C2", "rloop": "C3", CEILING: "C4",
           "cloop_native": "C9"}


def load_factory(name):
    """Import the loop named `name` and return (factory, version).

    Raises KeyError for an unknown name and whatever the import raises
    (usually ImportError) for a loop that is not installed.
    """
    module_name, attr, dist = LOOPS[name]
    module = importlib.import_module(module_name)
    return getattr(module, attr), loop_version(module, dist)


def loop_version(module, dist):
    if dist is None:
        return "python " + platform.python_version()
    version = getattr(module, "__version__", None)
    if version:
        return str(version)
    try:
        from importlib import metadata

        return metadata.version(dist)
    except Exception:
        return "unknown"
