#!/usr/bin/env bash
# scripts/demo.sh [LESSON]: sets up what one lesson of the course needs and
# runs it on cloop's C core (default: 17_taskgroup). It installs a C
# compiler if there is none, a venv with cloop and the packages the lesson
# imports (scripts/lesson-needs.py), and, for the Redis lesson only,
# redis-server, started on 127.0.0.1 (scripts/redis.sh says how to stop it).
set -euo pipefail
cd "$(dirname "$0")/.."
lesson="examples/lessons/${1:-17_taskgroup}"
lesson="${lesson%.py}.py"
ver="${CLOOP_PYTHON:-3.12}"
mapfile -t needs < <(python3 scripts/lesson-needs.py "$lesson")
packages=(gcc)
if printf '%s\n' "${needs[@]}" | grep -qx 'redis.*'; then
    packages+=(redis-server)
fi
bash scripts/setup-system.sh "${packages[@]}"
[ "${#packages[@]}" -eq 1 ] || bash scripts/redis.sh
py="$(CLOOP_VENV_MINIMAL=1 bash scripts/in-env.sh "$ver" \
    bash scripts/setup-venv.sh "$ver" ${needs[@]+"${needs[@]}"})"
exec bash scripts/in-env.sh "$ver" "$py" -m cloop "$lesson"
