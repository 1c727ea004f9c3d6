"""The event loops the benchmarks compare, and how to import each one.

Owns: the loop registry (name -> module and factory), importing a loop, and
reading its version. It does not create loops for workloads; _worker.py does.

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
    "asyncio": ("asyncio", "new_event_loop", None),
    "uvloop": ("uvloop", "new_event_loop", "uvloop"),
    "rloop": ("rloop", "new_event_loop", "rloop"),
}

CEILING = "ceiling"

# Everything --loops accepts, in column order (which also fixes each one's colour).
ALL_LOOPS = list(LOOPS) + [CEILING]
DEFAULT_LOOPS = list(ALL_LOOPS)


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
