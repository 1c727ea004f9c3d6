#!/usr/bin/env bash
# scripts/test.sh [VERSION ...] [-- PYTEST ARGS]: the test command.
# Installs what the tests need (Debian packages, a venv per Python version
# with the requirements), builds cloop, and runs the test suite on each
# version (default: 3.11 3.12 3.13). Exits non-zero if any run fails.
set -euo pipefail
cd "$(dirname "$0")/.."

versions=()
while [ $# -gt 0 ] && [ "$1" != "--" ]; do versions+=("$1"); shift; done
[ "${1:-}" = "--" ] && shift
[ "${#versions[@]}" -gt 0 ] || versions=(3.11 3.12 3.13)

bash scripts/setup-system.sh
status=0
for ver in "${versions[@]}"; do
    echo "=== CPython $ver ==="
    py="$(bash scripts/setup-venv.sh "$ver")"
    "$py" -m pytest -p no:cacheprovider "$@" || status=1
done
exit $status
