#!/usr/bin/env bash
# Builds, once, what the Xen testbed boots before any guest:
#   $BUILD/xen-testbed/xen            Xen 4.17 hypervisor (multiboot ELF, for QEMU -kernel)
#   $BUILD/xen-testbed/vmlinuz        Debian's Linux 6.1, the PV dom0 kernel
#   $BUILD/xen-testbed/vmlinux        the same, uncompressed (what run.sh boots)
#   $BUILD/xen-testbed/dom0.cpio.gz   dom0 initramfs: busybox, the Xen tools and their
#                                     libraries, the xen modules and backends, /init
#                                     (tests/xen/dom0-init.sh), the vif and block hotplug scripts
# Everything comes from Debian packages fetched with `apt-get download` and unpacked
# with `dpkg-deb -x`; nothing is installed on the host.  A re-run reuses the result
# while this script, dom0-init.sh and the package list are unchanged (dom0.stamp).
# Env: BUILD (default build), XEN_TESTBED_KERNEL (default: the kernel package that
# linux-image-amd64 depends on, a linux-image-6.1.*-amd64).
set -euo pipefail
cd "$(dirname "$0")/../.."
BUILD=${BUILD:-build}
OUT=$BUILD/xen-testbed
HERE=tests/xen

die() { echo "dom0.sh: $*" >&2; exit 1; }

XEN_PKGS="xen-hypervisor-4.17-amd64 xen-utils-4.17 xen-utils-common xenstore-utils"
LIB_PKGS="libxenmisc4.17 libxenstore4 libxencall1 libxenevtchn1 libxenforeignmemory1
 libxengnttab1 libxentoollog1 libxendevicemodel1 libxenhypfs1 libxentoolcore1 libyajl2
 libncurses6 libtinfo6 libc6 libext2fs2 liblzma5 libuuid1 libzstd1 zlib1g libcom-err2
 libblkid1 libgcc-s1"
# the toolstack's, then the backends guests' vifs and disks use (loop: a
# disk image as a block device)
MODULES="xen-privcmd xenfs xen-evtchn xen-gntdev xen-gntalloc xen-netback loop xen-blkback"
# hotplug scripts in busybox sh (Xen's own need bash): source, name in /etc/xen/scripts
HOTPLUG="$HERE/vif-route.sh:vif-route $HERE/block-loop.sh:block-loop"

for tool in apt-get apt-cache dpkg-deb cpio gzip xz readelf sha256sum flock; do
	command -v "$tool" >/dev/null || die "'$tool' is missing on the host (run: bash scripts/deps.sh xen)"
done

kernel_pkg() {
	if [ -n "${XEN_TESTBED_KERNEL:-}" ]; then echo "$XEN_TESTBED_KERNEL"; return; fi
	apt-cache depends linux-image-amd64 2>/dev/null |
		sed -n 's/^ *Depends: \(linux-image-6\.1\.[0-9.]*-[0-9]*-amd64\)$/\1/p' | head -1
}
KPKG=$(kernel_pkg)
if [ -z "$KPKG" ]; then
	echo "dom0.sh: no linux-image-6.1 package known to apt; running apt-get update" >&2
	apt-get update -qq || die "apt-get update failed"
	KPKG=$(kernel_pkg)
fi
[ -n "$KPKG" ] || die "cannot find the linux-image-6.1.*-amd64 package that linux-image-amd64 depends on (set XEN_TESTBED_KERNEL)"
PKGS="$XEN_PKGS busybox-static $(echo "$LIB_PKGS" | tr '\n' ' ') $KPKG"
# the HTTPS client of the website-tls guest: openssl s_client
TLS_PKGS="openssl libssl3"
PKGS="$PKGS $TLS_PKGS"

# One build at a time: other runs wait here, then find the cache ready.
mkdir -p "$OUT"
exec 9>"$OUT/dom0.lock"
flock 9 || die "cannot lock $OUT/dom0.lock"

stamp=$( { cat "$0" "$HERE/dom0-init.sh"; for h in $HOTPLUG; do cat "${h%%:*}"; done; echo "$PKGS"; } |
	sha256sum | cut -d' ' -f1)
if [ -s "$OUT/dom0.cpio.gz" ] && [ -s "$OUT/xen" ] && [ -s "$OUT/vmlinuz" ] &&
	[ "$(cat "$OUT/dom0.stamp" 2>/dev/null)" = "$stamp" ]; then
	exit 0
fi
echo "dom0.sh: building the dom0 initramfs in $OUT (kernel $KPKG)" >&2

# ---- download (kept in $OUT/debs across rebuilds) -------------------------
DEBS=$OUT/debs
mkdir -p "$DEBS"
have_deb() { compgen -G "$DEBS/${1}_*.deb" >/dev/null; }
apt_download() {
	# As root, apt drops to the _apt user, which may not write here: stay root.
	(cd "$DEBS" && apt-get download -q -o APT::Sandbox::User=root "$@") >"$OUT/apt.log" 2>&1
}
need=""
for p in $PKGS; do have_deb "$p" || need="$need $p"; done
if [ -n "$need" ]; then
	echo "dom0.sh: apt-get download$need" >&2
	# shellcheck disable=SC2086
	if ! apt_download $need; then
		echo "dom0.sh: apt-get download failed; running apt-get update and trying again" >&2
		apt-get update -qq || die "apt-get update failed"
		for p in $need; do
			have_deb "$p" || apt_download "$p" ||
				die "cannot download Debian package '$p': $(grep -E '^E:' "$OUT/apt.log" | head -2)"
		done
	fi
fi
for p in $PKGS; do have_deb "$p" || die "package '$p' was not downloaded (see $OUT/apt.log)"; done

# ---- unpack into one root ---------------------------------------------------
WORK=$OUT/work
rm -rf "$WORK"
ROOT=$WORK/root KERN=$WORK/kernel
mkdir -p "$ROOT" "$KERN"
for p in $PKGS; do
	[ "$p" = "$KPKG" ] && continue
	deb=$(compgen -G "$DEBS/${p}_*.deb" | LC_ALL=C sort -V | tail -1)
	dpkg-deb -x "$deb" "$ROOT" || die "dpkg-deb -x $deb failed"
done
# Only the kernel image and the Xen driver modules of the kernel package.
kdeb=$(compgen -G "$DEBS/${KPKG}_*.deb" | LC_ALL=C sort -V | tail -1)
dpkg-deb --fsys-tarfile "$kdeb" |
	tar -x -C "$KERN" --wildcards './boot/vmlinuz-*' './lib/modules/*/kernel/drivers/xen/*' \
		'./lib/modules/*/kernel/drivers/net/xen-netback/*' \
		'./lib/modules/*/kernel/drivers/block/xen-blkback/*' './lib/modules/*/kernel/drivers/block/loop.ko*' ||
	die "cannot unpack vmlinuz and modules from $kdeb"

# The hypervisor, gunzipped: a 32-bit multiboot ELF that QEMU -kernel boots.
[ -s "$ROOT/boot/xen-4.17-amd64.gz" ] || die "missing boot/xen-4.17-amd64.gz in xen-hypervisor-4.17-amd64"
gunzip -c "$ROOT/boot/xen-4.17-amd64.gz" >"$OUT/xen.tmp"
vmlinuz=$(compgen -G "$KERN/boot/vmlinuz-*" | head -1) || true
[ -n "$vmlinuz" ] || die "missing boot/vmlinuz-* in $KPKG"
cp "$vmlinuz" "$OUT/vmlinuz.tmp"

# Xen decompresses a bzImage for dom0 slowly under TCG (~2 s): hand it the
# ELF inside instead (header fields: setup_sects 0x1f1, payload_offset 0x248,
# payload_length 0x24c).  Without it, run.sh boots vmlinuz.
rm -f "$OUT/vmlinux"
setup=$(od -An -tu1 -j $((0x1f1)) -N1 "$vmlinuz" | tr -d ' ')
poff=$(od -An -tu4 -j $((0x248)) -N4 "$vmlinuz" | tr -d ' ')
plen=$(od -An -tu4 -j $((0x24c)) -N4 "$vmlinuz" | tr -d ' ')
payload() { tail -c +$(((setup + 1) * 512 + poff + 1)) "$vmlinuz" | head -c "$plen"; }
case $(payload | head -c 4 | od -An -tx1 | tr -d ' ') in
fd377a58) payload | xz -dc --single-stream >"$OUT/vmlinux.tmp" 2>/dev/null || true ;;
1f8b*) payload | gzip -dc >"$OUT/vmlinux.tmp" 2>/dev/null || true ;;
28b52ffd) payload | zstd -dc >"$OUT/vmlinux.tmp" 2>/dev/null || true ;;
esac
if [ -s "$OUT/vmlinux.tmp" ] && readelf -n "$OUT/vmlinux.tmp" 2>/dev/null | grep -q '^ *Xen '; then
	mv "$OUT/vmlinux.tmp" "$OUT/vmlinux"
else
	rm -f "$OUT/vmlinux.tmp"
	echo "dom0.sh: note: could not take the ELF out of $(basename "$vmlinuz"); dom0 boots from the bzImage" >&2
fi

# Modules, decompressed here (busybox insmod may not read .ko.xz/.ko.zst).
mkdir -p "$ROOT/lib/modules/xen"
for m in $MODULES; do
	f=$(find "$KERN/lib/modules" -name "$m.ko" -o -name "$m.ko.xz" -o -name "$m.ko.zst" | head -1)
	[ -n "$f" ] || die "module $m not found in $KPKG"
	case $f in
	*.xz) xz -dc "$f" ;;
	*.zst) zstd -dc "$f" ;;
	*) cat "$f" ;;
	esac >"$ROOT/lib/modules/xen/$m.ko" || die "cannot decompress $f"
done

# Trim what dom0 never uses (pygrub and its filesystem plugins, iconv modules).
for d in boot usr/share/doc usr/share/man usr/share/lintian usr/share/bug \
	usr/share/bash-completion usr/share/locale usr/lib/x86_64-linux-gnu/gconv \
	usr/lib/xen-4.17/lib/python usr/lib/xen-4.17/lib/x86_64-linux-gnu/xenfsimage \
	usr/lib/xen-4.17/bin/pygrub; do
	rm -rf "${ROOT:?}/$d"
done

# busybox applets as links, where no real program of that name exists.
[ -x "$ROOT/bin/busybox" ] || die "missing bin/busybox in busybox-static"
for a in $("$ROOT/bin/busybox" --list); do
	for d in bin sbin usr/bin usr/sbin; do [ -e "$ROOT/$d/$a" ] && continue 2; done
	ln -s busybox "$ROOT/bin/$a"
done
mkdir -p "$ROOT/sbin" "$ROOT/dev" "$ROOT/proc" "$ROOT/sys" "$ROOT/run" "$ROOT/var" "$ROOT/tmp"
install -m 755 "$HERE/dom0-init.sh" "$ROOT/init"
mkdir -p "$ROOT/etc/xen/scripts"
for h in $HOTPLUG; do install -m 755 "${h%%:*}" "$ROOT/etc/xen/scripts/${h#*:}"; done

# Every shared library any program here needs must be in the root.
missing=""
while IFS= read -r f; do
	for lib in $(readelf -d "$f" 2>/dev/null | sed -n 's/.*Shared library: \[\(.*\)\]/\1/p'); do
		found=""
		for d in lib/x86_64-linux-gnu usr/lib/x86_64-linux-gnu lib64 usr/lib/xen-4.17/lib; do
			[ -e "$ROOT/$d/$lib" ] && { found=1; break; }
		done
		[ -n "$found" ] || missing="$missing ${f#"$ROOT"/}:$lib"
	done
done < <(find "$ROOT" -type f \( -perm -u+x -o -name '*.so*' \) ! -path '*/lib/modules/*')
[ -z "$missing" ] || die "libraries missing in the dom0 root (add their packages):$missing"
for prog in xl xenstored xenconsoled xen-init-dom0; do
	[ -x "$ROOT/usr/lib/xen-4.17/bin/$prog" ] || die "missing usr/lib/xen-4.17/bin/$prog"
done

(cd "$ROOT" && find . | LC_ALL=C sort | cpio -o -H newc -R 0:0 --quiet) | gzip -1 >"$OUT/dom0.cpio.gz.tmp"
mv "$OUT/xen.tmp" "$OUT/xen"
mv "$OUT/vmlinuz.tmp" "$OUT/vmlinuz"
mv "$OUT/dom0.cpio.gz.tmp" "$OUT/dom0.cpio.gz"
echo "$stamp" >"$OUT/dom0.stamp"
rm -rf "$WORK"
echo "dom0.sh: built $OUT/dom0.cpio.gz ($(du -h "$OUT/dom0.cpio.gz" | cut -f1))" >&2
