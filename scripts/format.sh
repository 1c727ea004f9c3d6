#!/usr/bin/env bash
# scripts/format.sh [--check]: formats the C core (csrc/) with clang-format
# and the repository's .clang-format (PEP 7, as conventions.md has it);
# --check changes nothing and fails, listing the files, if any file is not
# formatted (CI runs it). X-macro lists are laid out by hand between
# /* clang-format off */ and /* clang-format on */.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup-system.sh clang-format
if [ "${1:-}" = "--check" ]; then
    bad=()
    for f in csrc/*.c csrc/*.h; do
        clang-format --dry-run --Werror "$f" >/dev/null 2>&1 || bad+=("$f")
    done
    if [ "${#bad[@]}" -gt 0 ]; then
        echo "not clang-formatted (run bash scripts/format.sh): ${bad[*]}" >&2
        exit 1
    fi
    echo "csrc/: clang-formatted"
else
    clang-format -i csrc/*.c csrc/*.h
fi
