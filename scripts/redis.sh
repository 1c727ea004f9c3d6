#!/usr/bin/env bash
# scripts/redis.sh: a Redis server for the Redis lesson and tests on
# 127.0.0.1:6379 (REDIS_URL's default), unless one already answers there.
# Loopback only, nothing saved to disk. Stop it with:
#     redis-cli -p 6379 shutdown nosave
set -euo pipefail
if redis-cli -h 127.0.0.1 -p 6379 ping >/dev/null 2>&1; then
    exit 0
fi
redis-server --bind 127.0.0.1 --port 6379 --daemonize yes --dir /tmp \
    --save '' --appendonly no >/dev/null
for _ in $(seq 50); do
    redis-cli -h 127.0.0.1 -p 6379 ping >/dev/null 2>&1 && break
    sleep 0.1
done
redis-cli -h 127.0.0.1 -p 6379 ping >/dev/null
echo "redis.sh: Redis listens on 127.0.0.1:6379 (stop: redis-cli -p 6379 shutdown nosave)" >&2
