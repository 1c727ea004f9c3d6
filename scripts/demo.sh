#!/usr/bin/env bash
# scripts/demo.sh [LESSON]: sets everything up and runs a lesson of the
# course on cloop's C core (default: 17_taskgroup).
set -euo pipefail
cd "$(dirname "$0")/.."
lesson="${1:-17_taskgroup}"
bash scripts/setup-system.sh
ver="${CLOOP_PYTHON:-3.12}"
py="$(bash scripts/in-env.sh "$ver" bash scripts/setup-venv.sh "$ver")"
exec bash scripts/in-env.sh "$ver" "$py" -m cloop "examples/lessons/${lesson%.py}.py"
