#!/usr/bin/env bash
# Prints the interpreter for a CPython version (3.11 to 3.15): the
# machine's pyenv build if there is one, else pythonX.Y from PATH (3.14 and
# 3.15: inside the Debian sid chroot, see scripts/in-env.sh).
set -euo pipefail
ver="$1"
root="$(pyenv root 2>/dev/null || echo "$HOME/.pyenv")"
for dir in "$root"/versions/"$ver".*; do
    if [ -x "$dir/bin/python" ]; then
        echo "$dir/bin/python"
        exit 0
    fi
done
if command -v "python$ver" >/dev/null 2>&1; then
    command -v "python$ver"
    exit 0
fi
echo "python-path: no CPython $ver found (pyenv versions: $(ls "$root/versions" 2>/dev/null | tr '\n' ' '))" >&2
exit 1
