"""The event loops the benchmarks compare, and how to import each one.

Owns: the loop registry (name -> module and factory), importing a loop, and
reading its version. It does not create loops for workloads; _worker.py does.
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

DEFAULT_LOOPS = list(LOOPS)


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
