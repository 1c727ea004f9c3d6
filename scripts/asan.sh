#!/usr/bin/env bash
# scripts/asan.sh [VERSION] [-- PYTEST ARGS]: runs the test suite against a
# build with AddressSanitizer and UndefinedBehaviorSanitizer.
# The sanitized package is built into a temporary folder that is put first
# on sys.path (python -P keeps the working tree's own build out of the way),
# so the normal in-place build is left alone.
set -euo pipefail
cd "$(dirname "$0")/.."
ver="${1:-3.12}"
[ $# -gt 0 ] && shift
[ "${1:-}" = "--" ] && shift
case "$ver" in
    3.14 | 3.15)  # these interpreters live in the sid chroot
        [ -n "${CLOOP_IN_SID:-}" ] \
            || exec bash scripts/in-env.sh "$ver" bash scripts/asan.sh "$ver" -- "$@"
        ;;
esac
py="$(bash scripts/setup-venv.sh "$ver")"

out="$(mktemp -d)"
trap 'rm -rf "$out"' EXIT
mkdir -p "$out/cloop"
cp cloop/*.py cloop/py.typed "$out/cloop/"
CLOOP_SANITIZE=1 "$py" setup.py -q build_ext --build-lib "$out" \
    --build-temp "$out/tmp" --force >/dev/null

libasan="$(gcc -print-file-name=libasan.so)"
# Python itself leaks at exit by design: report memory errors, not leaks.
asan_env=(
    LD_PRELOAD="$libasan"
    ASAN_OPTIONS="detect_leaks=0:halt_on_error=1"
    UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1"
    PYTHONMALLOC=malloc
    PYTHONPATH="$out${PYTHONPATH:+:$PYTHONPATH}"
    CLOOP_UNDER_ASAN=1
)
# Make sure the sanitized build is the one the tests import.
env "${asan_env[@]}" "$py" -P -c \
    "import sys, cloop._cloop as m; assert m.__file__.startswith(sys.argv[1]), m.__file__" "$out"
env "${asan_env[@]}" "$py" -P -m pytest -p no:cacheprovider "${@:-tests}"
