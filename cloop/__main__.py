"""python -m cloop [options] [-m module | script.py] [args...]

Runs a script (or a module) as __main__ with asyncio set up to use cloop,
with sys.argv as Python would set it. Legacy generator-based coroutines
(@asyncio.coroutine, removed in Python 3.11) are supported again.

Options (before the script):
  --stats                 print each loop's stats to stderr when the script ends
  --dump-tasks-on SIGNAL  print every task of the loop when SIGNAL arrives
                          (e.g. SIGUSR1)
"""
import atexit
import os
import runpy
import signal
import sys

from . import _compat, _loop
from ._dump import dump_tasks
from . import _policy

USAGE = ("usage: python -m cloop [--stats] [--dump-tasks-on SIGNAL] "
         "[-m module | script.py] [args ...]")


class _UsageError(Exception):
    pass


def _parse_signal(name):
    name = name.upper()
    if not name.startswith("SIG"):
        name = "SIG" + name
    try:
        return signal.Signals[name]
    except KeyError:
        raise _UsageError(f"cloop: unknown signal {name!r}") from None


def _parse_options(argv):
    """Splits argv into (options, the rest starting at the script or -m)."""
    options = {"stats": False, "dump_signal": None}
    while argv and argv[0].startswith("--"):
        opt = argv.pop(0)
        if opt == "--stats":
            options["stats"] = True
        elif opt == "--dump-tasks-on":
            if not argv:
                raise _UsageError("cloop: --dump-tasks-on needs a signal name")
            options["dump_signal"] = _parse_signal(argv.pop(0))
        elif opt == "--":
            break
        else:
            raise _UsageError(f"cloop: unknown option {opt!r}")
    return options, argv


def _print_stats(loops):
    for i, loop in enumerate(loops, 1):
        print(f"cloop stats, loop {i} of {len(loops)}:", file=sys.stderr)
        print(loop.stats().format(), file=sys.stderr)


def _install_observability(options):
    if options["stats"]:
        loops = _loop.track_loops()
        atexit.register(_print_stats, loops)
    if options["dump_signal"] is not None:
        signal.signal(options["dump_signal"], lambda signum, frame: dump_tasks())


def _run(argv):
    if argv[0] == "-m":
        if len(argv) < 2:
            raise _UsageError(f"cloop: -m needs a module name\n{USAGE}")
        sys.argv = [argv[1], *argv[2:]]
        runpy.run_module(argv[1], run_name="__main__", alter_sys=True)
        return
    script = argv[0]
    if not os.path.isfile(script):
        raise _UsageError(f"cloop: can't open file {os.path.abspath(script)!r}: "
                          "[Errno 2] No such file or directory")
    sys.argv = list(argv)
    sys.path[0] = os.path.dirname(os.path.abspath(script))
    runpy.run_path(script, run_name="__main__")


def main(argv=None):
    argv = list(sys.argv[1:] if argv is None else argv)
    if argv and argv[0] in ("-h", "--help"):
        print(__doc__.strip())
        return 0
    try:
        options, argv = _parse_options(argv)
        if not argv:
            raise _UsageError(USAGE)
        _compat.make_asyncio_default(
            getattr(_policy, "EventLoopPolicy", None), _loop.new_event_loop)
        _compat.restore_asyncio_coroutine()
        _install_observability(options)
        _run(argv)
    except _UsageError as exc:
        print(exc, file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
