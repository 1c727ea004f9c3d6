#!/usr/bin/env bash
# scripts/in-env.sh VERSION COMMAND [ARGS ...]: runs COMMAND where CPython
# VERSION lives: on this machine for 3.11-3.13 (pyenv or PATH), inside the
# Debian sid chroot for 3.14 and 3.15 (scripts/sid.sh), in this project's
# directory either way.
set -euo pipefail
cd "$(dirname "$0")/.."
ver="$1"
shift
case "$ver" in
    3.14 | 3.15)
        # Already inside the chroot (a script that called in-env.sh again).
        [ -n "${CLOOP_IN_SID:-}" ] && exec "$@"
        exec bash scripts/sid.sh run "$@"
        ;;
    *) exec "$@" ;;
esac
