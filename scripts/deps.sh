#!/usr/bin/env bash
# Installs the Debian packages the project needs; does nothing when all are present.
# Usage: scripts/deps.sh [GROUP...]   groups: build (default), test, bench, xen
set -eu

pkgs_build="gcc make pkg-config libconfig-dev libffi-dev libssl-dev libxen-dev binutils liburing-dev"
pkgs_test="check valgrind strace curl graphviz qemu-system-x86 clang libclang-rt-14-dev"
pkgs_bench="wrk nginx-light"
# xen: also the Xen testbed (tests/xen/), whose dom0 packages are fetched with
# apt-get download, not installed
pkgs_xen="qemu-system-x86 libxen-dev cpio gzip xz-utils binutils"

groups=${*:-build}
want=""
for g in $groups; do
    case $g in
    build) want="$want $pkgs_build" ;;
    test)  want="$want $pkgs_build $pkgs_test" ;;
    bench) want="$want $pkgs_build $pkgs_bench" ;;
    xen)   want="$want $pkgs_build $pkgs_xen" ;;
    *) echo "deps.sh: unknown group '$g' (expected build, test, bench or xen)" >&2; exit 2 ;;
    esac
done

missing=""
for p in $want; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing="$missing $p"
done
[ -z "$missing" ] && exit 0

if [ "$(id -u)" != 0 ]; then
    echo "deps.sh: missing packages:$missing; run as root or install them" >&2
    exit 1
fi
echo "deps.sh: installing$missing"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
# shellcheck disable=SC2086
apt-get install -y -qq --no-install-recommends $missing >/dev/null
