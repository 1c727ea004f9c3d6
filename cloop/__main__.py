"""python -m cloop [-m module | script.py] [args...]

Runs a script (or a module) as __main__ with asyncio set up to use cloop,
with sys.argv as Python would set it. Legacy generator-based coroutines
(@asyncio.coroutine, removed in Python 3.11) are supported again.
"""
import os
import runpy
import sys

from . import _compat
from ._policy import install

USAGE = "usage: python -m cloop [-m module | script.py] [args ...]"


def _fail(message):
    print(message, file=sys.stderr)
    return 2


def main(argv=None):
    argv = list(sys.argv[1:] if argv is None else argv)
    if not argv or argv[0] in ("-h", "--help"):
        print(USAGE, file=sys.stdout if argv else sys.stderr)
        return 0 if argv else 2
    install()
    _compat.restore_asyncio_coroutine()
    if argv[0] == "-m":
        if len(argv) < 2:
            return _fail(f"cloop: -m needs a module name\n{USAGE}")
        sys.argv = [argv[1], *argv[2:]]
        runpy.run_module(argv[1], run_name="__main__", alter_sys=True)
        return 0
    script = argv[0]
    if not os.path.isfile(script):
        return _fail(f"cloop: can't open file {os.path.abspath(script)!r}: "
                     "[Errno 2] No such file or directory")
    sys.argv = argv
    sys.path[0] = os.path.dirname(os.path.abspath(script))
    runpy.run_path(script, run_name="__main__")
    return 0


if __name__ == "__main__":
    sys.exit(main())
