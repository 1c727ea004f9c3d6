#!/usr/bin/env bash
# scripts/test.sh [VERSION ...] [-- PYTEST ARGS]: the test command.
# Installs what the tests need (Debian packages; for 3.14 and 3.15 the
# Debian sid chroot with those interpreters, scripts/sid.sh; a venv per
# Python version with the requirements), builds cloop, and runs the test
# suite on each version (default: 3.11 3.12 3.13 3.14 3.15). Exits non-zero
# if any run fails.
set -euo pipefail
cd "$(dirname "$0")/.."

versions=()
while [ $# -gt 0 ] && [ "$1" != "--" ]; do versions+=("$1"); shift; done
[ "${1:-}" = "--" ] && shift
[ "${#versions[@]}" -gt 0 ] || versions=(3.11 3.12 3.13 3.14 3.15)

# For time (the whole run must stay under an hour): other projects' suites
# (anyio, aiohttp, Tornado: each runs twice, on stock asyncio and on cloop,
# 1-2 minutes per version, pure Python over the C paths the rest of the
# suite covers) run on two versions each, in rotation, so that every
# version runs at least one and each suite runs on the oldest or newest
# Python; the benchmark runner's own tests (which test the runner, not the
# loop) on the benchmarks' version only; the debug-mode rerun of CPython's
# adapted tests (tests/test_cpython_suite.py, ~50 s) on the oldest and
# newest Python.
# CLOOP_ALL_SUITES=1 runs everything on every version.
skipped_here() {
    case "$1" in
        3.11) echo test_aiohttp_suite test_tornado_suite test_benchmarks ;;
        3.12) echo test_anyio_suite test_tornado_suite test_benchmarks ;;
        3.13) echo test_anyio_suite test_aiohttp_suite test_benchmarks ;;
        3.14) echo test_aiohttp_suite test_tornado_suite ;;
        3.15) echo test_anyio_suite test_benchmarks ;;
    esac
}

bash scripts/setup-system.sh
bash scripts/redis.sh
status=0
for ver in "${versions[@]}"; do
    echo "=== CPython $ver ==="
    start=$SECONDS
    py="$(bash scripts/in-env.sh "$ver" bash scripts/setup-venv.sh "$ver")"
    ignores=()
    if [ -z "${CLOOP_ALL_SUITES:-}" ]; then
        for name in $(skipped_here "$ver"); do
            ignores+=("--ignore=tests/$name.py")
        done
        case "$ver" in
            3.11 | 3.15) ;;
            *) ignores+=(-m "not asyncio_debug_rerun") ;;
        esac
        [ "${#ignores[@]}" -eq 0 ] || echo "(not on $ver, for time: ${ignores[*]})"
    fi
    # --durations: the slowest tests in the log, for the next time trim.
    bash scripts/in-env.sh "$ver" "$py" -m pytest -p no:cacheprovider \
        --durations=15 ${ignores[@]+"${ignores[@]}"} "$@" || status=1
    echo "=== CPython $ver: $((SECONDS - start)) s ==="
done
exit $status
