#!/usr/bin/env bash
# Installs the Debian packages the project needs; does nothing when all are present.
# Usage: scripts/deps.sh [GROUP...]   groups: build (default), test, bench, xen, lwip, bearssl
#   lwip: Debian's lwip source package, unpacked once into $LWIP_DIR (the
#   build folder's src/lwip); net.direct compiles it (never copied into the
#   repository)
#   bearssl: Debian's bearssl source package, unpacked once into
#   $BEARSSL_DIR (src/bearssl); tls.bearssl compiles it
set -eu

pkgs_build="gcc make pkg-config libconfig-dev libffi-dev libssl-dev libxen-dev binutils liburing-dev"
pkgs_test="check valgrind strace curl graphviz qemu-system-x86 clang libclang-rt-14-dev openssl python3 wrk iproute2 iputils-ping busybox"
pkgs_bench="wrk nginx-light"
# xen: also the Xen testbed (tests/xen/), whose dom0 packages are fetched with
# apt-get download, not installed
pkgs_xen="qemu-system-x86 libxen-dev cpio gzip xz-utils binutils"
# lwip, bearssl: dpkg-source unpacks the source package
pkgs_src="dpkg-dev"
LWIP_VERSION=2.1.3+dfsg1-2
LWIP_DIR=${LWIP_DIR:-build/src/lwip}
BEARSSL_VERSION=0.6+dfsg.1-3
BEARSSL_DIR=${BEARSSL_DIR:-build/src/bearssl}

groups=${*:-build}
want=""
for g in $groups; do
    case $g in
    build) want="$want $pkgs_build" ;;
    test)  want="$want $pkgs_build $pkgs_test" ;;
    bench) want="$want $pkgs_build $pkgs_bench" ;;
    xen)   want="$want $pkgs_build $pkgs_xen" ;;
    lwip|bearssl) want="$want $pkgs_src" ;;
    *) echo "deps.sh: unknown group '$g' (expected build, test, bench, xen, lwip or bearssl)" >&2; exit 2 ;;
    esac
done

# A deb-src entry beside the machine's own Debian entry (deb822 or
# one-line format), so that apt-get source finds Debian's packages.
add_deb_src() {
    local f=/etc/apt/sources.list.d/debian.sources
    grep -rqsE '^(Types:.*deb-src|deb-src )' /etc/apt/sources.list /etc/apt/sources.list.d/ && return 0
    if [ "$(id -u)" != 0 ]; then
        echo "deps.sh: a source package needs a deb-src entry in /etc/apt/sources.list.d; run as root to add one" >&2
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

# A source package, pinned: fetched and unpacked once into DIR, then left
# alone.  fetch_source NAME VERSION DIR FILE PATTERN: DIR/FILE exists once
# unpacked, and holds PATTERN (the version's own mark) in this version.
fetch_source() {
    local name=$1 version=$2 dir=$3 file=$4 pattern=$5 tmp
    [ -f "$dir/$file" ] && return 0
    add_deb_src
    mkdir -p "$(dirname "$dir")"
    tmp=$(mktemp -d "$(dirname "$dir")/.$name.XXXXXX")
    echo "deps.sh: fetching $name $version's source package into $dir"
    if ! (cd "$tmp" && apt-get source -qq "$name=$version" >/dev/null) ||
       ! grep -q "$pattern" "$tmp/$name"-*/"$file"; then
        echo "deps.sh: could not fetch and unpack $name $version" >&2
        rm -rf "$tmp"
        exit 1
    fi
    rm -rf "$dir"
    mv "$tmp/$name"-*/ "$dir"
    rm -rf "$tmp"
}

fetch_sources() {
    case " $groups " in *" lwip "*)
        fetch_source lwip "$LWIP_VERSION" "$LWIP_DIR" src/include/lwip/init.h 'LWIP_VERSION_REVISION *3' ;;
    esac
    case " $groups " in *" bearssl "*)
        fetch_source bearssl "$BEARSSL_VERSION" "$BEARSSL_DIR" inc/bearssl_ssl.h 'br_ssl_key_export' ;; # new in 0.6
    esac
    return 0
}

missing=""
for p in $want; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing="$missing $p"
done
if [ -z "$missing" ]; then
    fetch_sources
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
fetch_sources
exit 0
