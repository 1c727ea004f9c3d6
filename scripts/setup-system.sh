#!/usr/bin/env bash
# scripts/setup-system.sh [PACKAGE ...]: installs the Debian packages the
# tests, lessons and benchmarks need, or only the ones named (each is also
# the command it provides): gcc for cloop and the benchmarks' C echo client
# and server, redis-server for the Redis lesson and client tests (started
# by scripts/redis.sh, not here), wrk for the HTTP benchmark, openssl for
# the TLS test certificate, clang-format for the C core's layout
# (scripts/format.sh). Idempotent.
set -euo pipefail

wanted=("$@")
[ "${#wanted[@]}" -gt 0 ] || wanted=(gcc redis-server wrk openssl clang-format)
need=()
for pkg in "${wanted[@]}"; do
    command -v "$pkg" >/dev/null 2>&1 || need+=("$pkg")
done
if [ "${#need[@]}" -gt 0 ]; then
    if [ "$(id -u)" -ne 0 ]; then
        echo "setup-system: need root to install: ${need[*]}" >&2
        exit 1
    fi
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    apt-get install -y -qq "${need[@]}" >/dev/null
fi
