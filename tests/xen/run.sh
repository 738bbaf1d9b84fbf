#!/usr/bin/env bash
# Boots Xen 4.17 + a Linux dom0 in QEMU (TCG, no /dev/kvm needed) and runs the
# given PVH guests there, one after the other, in a single boot.
# Usage: tests/xen/run.sh GUEST.xen [GUEST.xl] [GUEST2.xen [GUEST2.xl]]...
#   The guest's name is the image's file name without .xen.  Without an .xl
#   file a default config is used (memory 32 MiB, type pvh, destroy on
#   poweroff/crash/reboot, tsc_mode native); with one, its name= and kernel= lines
#   are replaced so they point at the image inside dom0.
# Prints each guest's console log on stdout, between
#   === guest NAME console ===   and   === end NAME ===
# followed by "=== guest NAME result xl-exit=.. first-console-ms=.. end-ms=.. timeout=.. restarted=.. ===",
# and what its client printed (an .xl line "# testbed: client FILE", FILE from
# the .xl's folder: dom0-init.sh) between === client NAME === and === end client NAME ===.
# An .xl line "# testbed: file FILE" (FILE from the .xl's folder) puts FILE in
# dom0's /guests, e.g. the disk image a disk line names as /guests/FILE.
# The whole serial log (Xen, dom0, markers) goes to $XEN_LOG.
# Env: BUILD (build), XEN_TIMEOUT (QEMU limit, s; 360), XEN_GUEST_TIMEOUT (per
# guest inside dom0, s; 60), XEN_POLL_US (how often dom0 looks at the console
# log, us; 10000), XEN_LOG ($BUILD/xen-testbed/logs/run-DATE-PID.log),
# XEN_QEMU_CPU (QEMU's -cpu; max,-smap,-xsave).
# Exit: 0 when QEMU exited by itself after dom0 printed "testbed done",
# 1 otherwise.  Judge guests by what they printed, never by xl's exit code.
set -euo pipefail
cd "$(dirname "$0")/../.."
BUILD=${BUILD:-build}
OUT=$BUILD/xen-testbed
XEN_TIMEOUT=${XEN_TIMEOUT:-360}
XEN_GUEST_TIMEOUT=${XEN_GUEST_TIMEOUT:-60}
# one log per run (runs may overlap); $OUT/logs keeps the newest 20
mkdir -p "$OUT/logs"
XEN_LOG=${XEN_LOG:-$OUT/logs/run-$(date +%Y%m%d-%H%M%S)-$$.log}
find "$OUT/logs" -name '*.log' -printf '%T@ %p\n' | sort -n | head -n -20 | cut -d' ' -f2- | xargs -r rm -f

die() { echo "run.sh: $*" >&2; exit 1; }
[ $# -gt 0 ] || die "usage: tests/xen/run.sh GUEST.xen [GUEST.xl]..."
command -v qemu-system-x86_64 >/dev/null || die "qemu-system-x86_64 is missing (run: bash scripts/deps.sh xen)"
command -v cpio >/dev/null || die "cpio is missing (run: bash scripts/deps.sh xen)"

bash tests/xen/dom0.sh || die "building the dom0 initramfs failed"

TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT
mkdir -p "$TMP/root/guests"
printf 'GUEST_TIMEOUT=%d\nPOLL_US=%d\n' "$XEN_GUEST_TIMEOUT" "${XEN_POLL_US:-10000}" >"$TMP/root/guests/testbed.conf"

default_config() {
	cat <<EOF
memory = 32
type = "pvh"
on_poweroff = "destroy"
on_crash = "destroy"
on_reboot = "destroy"
# rdtscp faults under QEMU's emulated SVM unless the TSC is native
tsc_mode = "native"
EOF
}

n=0
while [ $# -gt 0 ]; do
	img=$1
	shift
	case $img in *.xen) ;; *) die "'$img': expected a guest image named *.xen" ;; esac
	[ -f "$img" ] || die "guest image '$img' not found"
	name=$(basename "$img" .xen)
	case $name in *[!A-Za-z0-9_.-]* | "") die "'$img': guest names may use only A-Z a-z 0-9 _ . -" ;; esac
	[ ! -e "$TMP/root/guests/$name.xen" ] || die "two guests named '$name'"
	cfg=""
	if [ $# -gt 0 ] && [ "${1%.xl}" != "$1" ]; then
		cfg=$1
		shift
		[ -f "$cfg" ] || die "guest config '$cfg' not found"
	fi
	n=$((n + 1))
	cp "$img" "$TMP/root/guests/$name.xen"
	{
		# a prefix keeps the order of the command line (dom0 runs /guests/*.xl sorted)
		echo "name = \"$name\""
		echo "kernel = \"/guests/$name.xen\""
		if [ -n "$cfg" ]; then
			grep -Ev '^[[:space:]]*(name|kernel)[[:space:]]*=|^# testbed: client ' "$cfg" || true
			# a client script, named from the .xl's folder, goes along
			client=$(sed -n 's/^# testbed: client \(.*\)$/\1/p' "$cfg" | head -1)
			if [ -n "$client" ]; then
				case $client in /*) ;; *) client=$(dirname "$cfg")/$client ;; esac
				[ -f "$client" ] || die "$cfg: client script '$client' not found"
				cp "$client" "$TMP/root/guests/$name.client"
				echo "# testbed: client /guests/$name.client"
			fi
			# files the guest's devices name in dom0 (a disk's target=/guests/FILE)
			for f in $(sed -n 's/^# testbed: file \(.*\)$/\1/p' "$cfg"); do
				case $f in /*) ;; *) f=$(dirname "$cfg")/$f ;; esac
				[ -f "$f" ] || die "$cfg: file '$f' not found"
				cp "$f" "$TMP/root/guests/$(basename "$f")"
			done
		else
			default_config
		fi
	} >"$TMP/root/guests/$(printf %03d "$n")-$name.xl"
done

# Guests go in a second gzip'd cpio appended to the cached base: the kernel
# unpacks both into the same rootfs.
(cd "$TMP/root" && find . | LC_ALL=C sort | cpio -o -H newc -R 0:0 --quiet) | gzip -1 >"$TMP/guests.cpio.gz"
cat "$OUT/dom0.cpio.gz" "$TMP/guests.cpio.gz" >"$TMP/initrd.gz"

# Multiboot modules are comma-separated, a module's path ends at its first space.
case "$OUT$TMP" in *[,\ ]*) die "paths with commas or spaces cannot be passed to QEMU -initrd: $OUT $TMP" ;; esac
mkdir -p "$(dirname "$XEN_LOG")"
kernel=$OUT/vmlinux
[ -s "$kernel" ] || kernel=$OUT/vmlinuz
start=$(date +%s%N)
rc=0
# -smap: with SMAP dom0 crashes.  -xsave: with XSAVE, Xen and dom0 switch
# SIMD state by XSAVE, and on this QEMU (TCG) programs in dom0 then read
# wrong vector registers now and then: s_client decrypted HTTPS records to
# 16-255 wrong bytes or took them for bad (14 of 28 fetches of 1 MiB; no
# AVX: 6 of 12), or crashed; without it (FXSAVE) 0 of 24 (README, tls.bearssl).
timeout "$XEN_TIMEOUT" qemu-system-x86_64 -accel tcg -cpu "${XEN_QEMU_CPU:-max,-smap,-xsave}" -m 1536 -smp 1 \
	-nographic -no-reboot -monitor none \
	-kernel "$OUT/xen" \
	-append 'console=com1 com1=115200,8n1 loglvl=all guest_loglvl=all dom0_mem=512M' \
	-initrd "$kernel console=hvc0 earlyprintk=xen,$TMP/initrd.gz" \
	</dev/null >"$XEN_LOG" 2>&1 || rc=$?
ms=$((($(date +%s%N) - start) / 1000000))
tr -d '\r' <"$XEN_LOG" >"$TMP/log" && cat "$TMP/log" >"$XEN_LOG"

# The guests' sections, Xen's own lines (it shares the serial line) left out.
awk '
	/^=== guest .* console ===$/ || /^=== client .* ===$/ { on = 1 }
	on && !/^\((XEN|d[0-9]+)\) / { print }
	/^=== end .* ===$/ && !/^=== end xl / { on = 0 }
	/^=== guest .* result / { print }
' "$XEN_LOG"

echo "run.sh: QEMU ran ${ms} ms (exit $rc), $n guest(s); serial log in $XEN_LOG" >&2
if [ "$rc" = 124 ]; then
	echo "run.sh: QEMU was killed after ${XEN_TIMEOUT} s; last lines of $XEN_LOG:" >&2
	tail -n 15 "$XEN_LOG" >&2
	exit 1
fi
if ! grep -q '^=== testbed done ===$' "$XEN_LOG"; then
	echo "run.sh: dom0 never reached the end of its guest list; last lines of $XEN_LOG:" >&2
	grep -m1 '^=== testbed error' "$XEN_LOG" >&2 || tail -n 15 "$XEN_LOG" >&2
	exit 1
fi
[ "$rc" = 0 ] || { echo "run.sh: QEMU exited with $rc" >&2; exit 1; }
