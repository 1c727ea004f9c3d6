#!/usr/bin/env bash
# Installs the Debian packages the tests, lessons and benchmarks need
# (redis-server for the Redis lesson and client tests, wrk for the HTTP
# benchmark, gcc for cloop and the benchmarks' C echo client and server,
# openssl for the TLS test certificate). Idempotent.
set -euo pipefail

need=()
command -v redis-server >/dev/null 2>&1 || need+=(redis-server)
command -v openssl >/dev/null 2>&1 || need+=(openssl)
command -v gcc >/dev/null 2>&1 || need+=(gcc)
command -v wrk >/dev/null 2>&1 || need+=(wrk)
if [ "${#need[@]}" -gt 0 ]; then
    if [ "$(id -u)" -ne 0 ]; then
        echo "setup-system: need root to install: ${need[*]}" >&2
        exit 1
    fi
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    apt-get install -y -qq "${need[@]}" >/dev/null
fi

# A Redis server for the Redis lesson and the redis-py tests, unless one
# already answers (REDIS_URL's default port). Nothing is saved to disk.
if ! redis-cli -p 6379 ping >/dev/null 2>&1; then
    redis-server --port 6379 --daemonize yes --dir /tmp --save '' \
        --appendonly no >/dev/null
    for _ in $(seq 50); do
        redis-cli -p 6379 ping >/dev/null 2>&1 && break
        sleep 0.1
    done
    redis-cli -p 6379 ping >/dev/null
fi
