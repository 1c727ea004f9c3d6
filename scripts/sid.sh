#!/usr/bin/env bash
# scripts/sid.sh setup | run COMMAND [ARGS ...]
#
# CPython 3.14 and 3.15 (and their -dbg builds and test suites) come from
# Debian's development suite, sid. Its libc is newer than this machine's, so
# they live in a chroot made with debootstrap, never in the machine's own apt
# sources.
#
#   setup  makes the chroot (once; later calls only check it) with the two
#          interpreters, their test suites and what the tests need.
#   run    runs COMMAND inside it, in this project's directory, which is
#          bind-mounted at the same path so that venvs and builds made inside
#          are found by the same names. proc, dev, sys and the project are
#          mounted in a private mount namespace of the command's own: they are
#          gone when it ends, and two runs at once do not disturb each other.
#
# CLOOP_SID_DIR picks the chroot's folder (default /var/cache/cloop-sid).
set -euo pipefail
cd "$(dirname "$0")/.."
root="${CLOOP_SID_DIR:-/var/cache/cloop-sid}"
packages=(
    python3.14-dev python3.14-venv python3.14-dbg libpython3.14-testsuite
    python3.15-dev python3.15-venv python3.15-dbg libpython3.15-testsuite
    gcc libc6-dev openssl redis-server wrk ca-certificates procps git
)

need_root() {
    if [ "$(id -u)" -ne 0 ]; then
        echo "sid.sh: needs root (debootstrap, chroot, mounts)" >&2
        exit 1
    fi
}

# Runs "$@" inside the chroot with the mounts of a private namespace.
in_chroot() {
    unshare --mount --propagation private -- bash -euc '
        root="$1"; project="$2"; shift 2
        mount -t proc proc "$root/proc"
        mount --rbind /dev "$root/dev"
        mount --rbind /sys "$root/sys"
        mkdir -p "$root$project"
        mount --bind "$project" "$root$project"
        cp /etc/resolv.conf "$root/etc/resolv.conf"
        exec chroot "$root" /usr/bin/env -u PIP_FIND_LINKS \
            PATH=/usr/local/bin:/usr/bin:/bin:/usr/sbin:/sbin \
            DEBIAN_FRONTEND=noninteractive CLOOP_IN_SID=1 \
            bash -c "cd \"\$0\" && exec \"\$@\"" "$project" "$@"
    ' sid "$root" "$PWD" "$@"
}

# Everything setup prints goes to stderr: callers capture what `run`
# prints (scripts/test.sh reads the venv's python from it).
setup() {
    need_root
    if [ -x "$root/usr/bin/python3.15" ] && [ -e "$root/.cloop-ready" ]; then
        return 0
    fi
    make_chroot >&2
}

make_chroot() {
    if [ ! -x "$root/usr/bin/apt-get" ]; then
        command -v debootstrap >/dev/null 2>&1 || {
            apt-get update -qq
            DEBIAN_FRONTEND=noninteractive apt-get install -y -qq debootstrap >/dev/null
        }
        rm -rf "$root"
        debootstrap --variant=minbase sid "$root" >/dev/null
    fi
    # The machine's apt settings (its archive access) and CA certificates and
    # pip settings (its PyPI access) hold inside too.
    cp /etc/apt/apt.conf.d/* "$root/etc/apt/apt.conf.d/" 2>/dev/null || true
    mkdir -p "$root/etc/ssl/certs" "$root/usr/local/share/ca-certificates"
    cp /etc/ssl/certs/ca-certificates.crt "$root/usr/local/share/ca-certificates/host.crt"
    cp /etc/ssl/certs/ca-certificates.crt "$root/etc/ssl/certs/ca-certificates.crt"
    [ -f /etc/pip.conf ] && cp /etc/pip.conf "$root/etc/pip.conf"
    in_chroot apt-get update -qq
    in_chroot apt-get install -y -qq "${packages[@]}" >/dev/null
    in_chroot update-ca-certificates >/dev/null 2>&1 || true
    touch "$root/.cloop-ready"
}

case "${1:-}" in
    setup) setup ;;
    run)
        shift
        need_root
        setup
        in_chroot "$@"
        ;;
    *)
        echo "usage: scripts/sid.sh setup | run COMMAND [ARGS ...]" >&2
        exit 2
        ;;
esac
