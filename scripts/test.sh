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

bash scripts/setup-system.sh
bash scripts/redis.sh
status=0
for ver in "${versions[@]}"; do
    echo "=== CPython $ver ==="
    start=$SECONDS
    py="$(bash scripts/in-env.sh "$ver" bash scripts/setup-venv.sh "$ver")"
    bash scripts/in-env.sh "$ver" "$py" -m pytest -p no:cacheprovider "$@" \
        || status=1
    echo "=== CPython $ver: $((SECONDS - start)) s ==="
done
exit $status
