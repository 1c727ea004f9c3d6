#!/usr/bin/env bash
# scripts/pydebug.sh [VERSION] [-- PYTEST ARGS]: runs the suite on Debian's
# debug interpreter (python3.14d / python3.15d from the sid chroot: CPython
# built with assertions, which checks reference counts and the GC contract
# of cloop's types as asyncio's own code uses them). The tests that need
# third-party packages with C extensions (aiohttp, redis: no wheels exist for
# a debug interpreter's ABI) and the CPython and benchmark harnesses are left
# to the other runs. cloop is built into a temporary folder put first on
# sys.path, as scripts/asan.sh does.
set -euo pipefail
cd "$(dirname "$0")/.."
ver="${1:-3.15}"
[ $# -gt 0 ] && shift
[ "${1:-}" = "--" ] && shift
case "$ver" in
    3.14 | 3.15) ;;
    *) echo "pydebug.sh: debug interpreters come with 3.14 and 3.15" >&2; exit 2 ;;
esac
[ -n "${CLOOP_IN_SID:-}" ] \
    || exec bash scripts/in-env.sh "$ver" bash scripts/pydebug.sh "$ver" -- "$@"

venv=".venv-${ver}d"
[ -x "$venv/bin/python" ] || "python${ver}d" -m venv "$venv"
"$venv/bin/python" -m pip install -q --disable-pip-version-check \
    "pytest>=8" setuptools >&2
out="$(mktemp -d)"
trap 'rm -rf "$out"' EXIT
mkdir -p "$out/cloop"
cp cloop/*.py cloop/py.typed "$out/cloop/"
CLOOP_WERROR=1 "$venv/bin/python" setup.py -q build_ext --build-lib "$out" \
    --build-temp "$out/tmp" --force >/dev/null
PYTHONPATH="$out" "$venv/bin/python" -P -c \
    "import sys, cloop._cloop as m; assert m.__file__.startswith(sys.argv[1]), m.__file__" "$out"
default=(tests --ignore=tests/test_net_libs.py --ignore=tests/test_lessons.py
         --ignore=tests/test_benchmarks.py --ignore=tests/test_cpython_suite.py)
[ $# -gt 0 ] || set -- "${default[@]}"
PYTHONPATH="$out" "$venv/bin/python" -P -m pytest -p no:cacheprovider "$@"
