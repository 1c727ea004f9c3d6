#!/usr/bin/env bash
# scripts/setup-venv.sh VERSION: makes .venv-VERSION with the development
# requirements and cloop installed editable (the C core built in place,
# warnings as errors). Prints the venv's python.
set -euo pipefail
cd "$(dirname "$0")/.."
ver="${1:-3.12}"
venv=".venv-$ver"
if [ ! -x "$venv/bin/python" ]; then
    "$(bash scripts/python-path.sh "$ver")" -m venv "$venv" >&2
fi
"$venv/bin/python" -m pip install -q --disable-pip-version-check \
    -r requirements-dev.txt >&2
CLOOP_WERROR=1 "$venv/bin/python" -m pip install -q --disable-pip-version-check \
    --no-build-isolation -e . >&2
echo "$PWD/$venv/bin/python"
