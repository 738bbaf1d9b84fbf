#!/usr/bin/env bash
# Installs the Debian packages the project needs; does nothing when all are present.
# Usage: scripts/deps.sh [GROUP...]   groups: build (default), test, bench, xen, lwip
#   lwip: Debian's lwip source package, unpacked once into $LWIP_DIR (the
#   build folder's src/lwip); net.direct compiles it (never copied into the
#   repository)
set -eu

pkgs_build="gcc make pkg-config libconfig-dev libffi-dev libssl-dev libxen-dev binutils liburing-dev"
pkgs_test="check valgrind strace curl graphviz qemu-system-x86 clang libclang-rt-14-dev openssl python3 wrk iproute2 iputils-ping busybox"
pkgs_bench="wrk nginx-light"
# xen: also the Xen testbed (tests/xen/), whose dom0 packages are fetched with
# apt-get download, not installed
pkgs_xen="qemu-system-x86 libxen-dev cpio gzip xz-utils binutils"
# lwip: dpkg-source unpacks the source package
pkgs_lwip="dpkg-dev"
LWIP_VERSION=2.1.3+dfsg1-2
LWIP_DIR=${LWIP_DIR:-build/src/lwip}

groups=${*:-build}
want=""
for g in $groups; do
    case $g in
    build) want="$want $pkgs_build" ;;
    test)  want="$want $pkgs_build $pkgs_test" ;;
    bench) want="$want $pkgs_build $pkgs_bench" ;;
    xen)   want="$want $pkgs_build $pkgs_xen" ;;
    lwip)  want="$want $pkgs_lwip" ;;
    *) echo "deps.sh: unknown group '$g' (expected build, test, bench, xen or lwip)" >&2; exit 2 ;;
    esac
done

# A deb-src entry beside the machine's own Debian entry (deb822 or
# one-line format), so that apt-get source finds Debian's packages.
add_deb_src() {
    local f=/etc/apt/sources.list.d/debian.sources
    grep -rqsE '^(Types:.*deb-src|deb-src )' /etc/apt/sources.list /etc/apt/sources.list.d/ && return 0
    if [ "$(id -u)" != 0 ]; then
        echo "deps.sh: lwip's source package needs a deb-src entry in /etc/apt/sources.list.d; run as root to add one" >&2
        exit 1
    fi
    if [ -f "$f" ]; then
        sed 's/^Types: deb$/Types: deb-src/' "$f" >/etc/apt/sources.list.d/mirage-src.sources
    elif grep -qsE '^deb ' /etc/apt/sources.list; then
        sed -n 's/^deb /deb-src /p' /etc/apt/sources.list >/etc/apt/sources.list.d/mirage-src.list
    else
        echo "deps.sh: no Debian entry in /etc/apt/sources.list(.d) to derive a deb-src entry from" >&2
        exit 1
    fi
    apt-get update -qq
}

# lwIP's sources, pinned: fetched and unpacked once, then left alone.
fetch_lwip() {
    local tmp
    [ -f "$LWIP_DIR/src/include/lwip/init.h" ] && return 0
    add_deb_src
    mkdir -p "$(dirname "$LWIP_DIR")"
    tmp=$(mktemp -d "$(dirname "$LWIP_DIR")/.lwip.XXXXXX")
    echo "deps.sh: fetching lwip $LWIP_VERSION's source package into $LWIP_DIR"
    if ! (cd "$tmp" && apt-get source -qq "lwip=$LWIP_VERSION" >/dev/null) ||
       ! grep -q 'LWIP_VERSION_REVISION *3' "$tmp"/lwip-*/src/include/lwip/init.h; then
        echo "deps.sh: could not fetch and unpack lwip $LWIP_VERSION" >&2
        rm -rf "$tmp"
        exit 1
    fi
    rm -rf "$LWIP_DIR"
    mv "$tmp"/lwip-*/ "$LWIP_DIR"
    rm -rf "$tmp"
}

missing=""
for p in $want; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing="$missing $p"
done
case " $groups " in *" lwip "*) lwip=1 ;; *) lwip=0 ;; esac
if [ -z "$missing" ]; then
    [ $lwip = 1 ] && fetch_lwip
    exit 0
fi

if [ "$(id -u)" != 0 ]; then
    echo "deps.sh: missing packages:$missing; run as root or install them" >&2
    exit 1
fi
echo "deps.sh: installing$missing"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
# shellcheck disable=SC2086
apt-get install -y -qq --no-install-recommends $missing >/dev/null
[ $lwip = 1 ] && fetch_lwip
exit 0
