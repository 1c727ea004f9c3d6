"""Build the C core: one Extension over every csrc/*.c file.

Environment switches (see conventions.md):
  CLOOP_DEBUG=1     debug build (-O0 -g, assertions, debug counters)
  CLOOP_SANITIZE=1  AddressSanitizer + UndefinedBehaviorSanitizer
  CLOOP_WERROR=1    warnings are errors (CI)
  CLOOP_NO_STATS=1  loop.stats() counters compiled out (to measure their cost)
"""
import glob
import os
import sys

if not sys.platform.startswith("linux"):
    # The C core is written over epoll and eventfd: stop before setuptools
    # and the compiler say something less clear.
    sys.exit(f"cloop runs on Linux only (it is built over epoll and eventfd), "
             f"not on {sys.platform}: use asyncio's own event loop there")

from setuptools import Extension, setup  # noqa: E402


def _flag(name):
    return os.environ.get(name, "") not in ("", "0")


def _compile_args():
    # -fvisibility=hidden: the module exports PyInit__cloop (PyMODINIT_FUNC
    # marks it visible) and nothing else.
    args = ["-std=gnu11", "-Wall", "-Wextra", "-Wno-unused-parameter",
            "-Wno-missing-field-initializers", "-Wno-cast-function-type",
            "-fvisibility=hidden"]
    if _flag("CLOOP_DEBUG") or _flag("CLOOP_SANITIZE"):
        args += ["-O0", "-g3", "-UNDEBUG", "-DCLOOP_DEBUG=1"]
    else:
        args += ["-O2"]
    if _flag("CLOOP_SANITIZE"):
        args += ["-fsanitize=address,undefined", "-fno-omit-frame-pointer"]
    if _flag("CLOOP_NO_STATS"):
        args += ["-DCLOOP_NO_STATS=1"]
    if _flag("CLOOP_WERROR"):
        args += ["-Werror"]
    return args


def _link_args():
    if _flag("CLOOP_SANITIZE"):
        return ["-fsanitize=address,undefined"]
    return []


ext = Extension(
    "cloop._cloop",
    sources=sorted(glob.glob("csrc/*.c")),
    depends=sorted(glob.glob("csrc/*.h")),
    include_dirs=["csrc"],
    extra_compile_args=_compile_args(),
    extra_link_args=_link_args(),
)

setup(ext_modules=[ext])
