#!/usr/bin/env bash
# The example configs frozen for Xen, booted without Xen: QEMU loads the PVH
# image with -kernel (TCG, so no KVM is needed), the console falls back to the
# serial port, and the image ends through isa-debug-exit.  Also: the .xl file,
# the image size, and the portable plugins' undefined symbols against what the
# image exports.  Prints "ok"/"not ok" per check and "N passed, N failed".
set -u
cd "$(dirname "$0")/../.." || exit 1
BUILD=${BUILD:-build}
SAN=${SAN:-}
HOST=$PWD/$BUILD/bin/mirage-host
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT
. tests/tap.sh

if [ -n "$SAN" ]; then
	# the images are freestanding: nothing for the sanitizers to check
	echo "skip - Xen images under QEMU: a sanitizer build (SAN=1); make test boots them"
	echo "0 passed, 0 failed"
	exit 0
fi
if ! command -v qemu-system-x86_64 >/dev/null; then
	not_ok "qemu-system-x86_64 is installed" "run: bash scripts/deps.sh test"
	finish
	exit 1
fi

# run_qemu IMAGE [QEMU ARG...]: its console output (what follows the
# firmware's last line, whose dots may end it or the line after); QEMU's exit
# status in $TMP/rc
run_qemu() {
	timeout 120 qemu-system-x86_64 -accel tcg -m 64 -nographic -no-reboot \
		-device isa-debug-exit,iobase=0xf4,iosize=0x04 -kernel "$@" 2>&1 |
		tr -d '\r' | sed -n '/Booting from ROM/,$p' | sed 's/.*Booting from ROM\.*//; 1{/^$/d}'
	echo "${PIPESTATUS[0]}" >"$TMP/rc"
}
# boot IMAGE [QEMU ARG...]: run_qemu, true when the image powered off with
# status 0 (isa-debug-exit: (0 << 1) | 1)
boot() {
	run_qemu "$@"
	[ "$(cat "$TMP/rc")" = 1 ]
}

for cfg in hello kv-crunch; do
	image=$BUILD/$cfg.xen
	if ! make -s "$image" >"$TMP/make.log" 2>&1; then
		not_ok "freeze configs/$cfg.cfg for xen" "$(tail -5 "$TMP/make.log")"
		continue
	fi
	if out=$(boot "$image") && [ "$out" = "$("$HOST" "configs/$cfg.cfg" 2>&1)" ]; then
		ok "$cfg.xen boots under QEMU TCG and prints what mirage-host prints"
	else
		not_ok "$cfg.xen under QEMU" "got: $(head -5 <<<"$out")"
	fi
done

# boot-time parameters: the start info's command line (QEMU's -append)
if out=$(boot "$BUILD/hello.xen" -append '--set devices.main.count=1 --set devices.main.interval_ms=0') &&
   [ "$out" = "Hello, World! (1/1)" ]; then
	ok "hello.xen -append '--set devices.main.count=1' prints one greeting"
else
	not_ok "hello.xen with --set on its command line" "got: $out"
fi
if ! out=$(boot "$BUILD/hello.xen" -append '--set devices.main.count=99999999') && [ "$out" = "hello: --set devices.main.count=99999999: device 'main': parameter 'count': expected an integer from 0 to 1000000, found 99999999" ]; then
	ok "a bad boot-time value gets the resolver's message and the image fails"
else
	not_ok "a bad boot-time value" "got: $out"
fi

# Images that fault on purpose (tests/xen/fixtures.mk): a report on the
# console, then isa-debug-exit's crash code, (2 << 1) | 1 = 5.
for fault in "nullderef:(NULL pointer)" "overflow:(stack overflow: the guard page below the stack)"; do
	name=${fault%%:*} hint=${fault#*:}
	if ! make -s "$BUILD/$name.xen" >"$TMP/make.log" 2>&1; then
		not_ok "freeze tests/xen/fixtures/$name.cfg for xen" "$(tail -5 "$TMP/make.log")"
		continue
	fi
	out=$(run_qemu "$BUILD/$name.xen")
	report=$(grep -F "$name: crash: CPU exception #PF page fault (vector 14)" <<<"$out")
	if [ "$(cat "$TMP/rc")" = 5 ] && grep -qE ', rip 0x[0-9a-f]+, rsp 0x[0-9a-f]+, cr2 0x' <<<"$report" &&
	   grep -qF "$hint" <<<"$report"; then
		ok "$name.xen reports #PF with RIP, RSP, CR2 $hint and QEMU exits 5 (crash)"
	else
		not_ok "$name.xen: a #PF report and exit 5" "exit $(cat "$TMP/rc"), console:" "$out"
	fi
done

xl=$BUILD/hello.xen.xl
if grep -q '^type = "pvh"$' "$xl" && grep -q "^kernel = \"$PWD/$BUILD/hello.xen\"$" "$xl" &&
   grep -q '^on_poweroff = "destroy"$' "$xl" && grep -q '^on_crash = "destroy"$' "$xl" &&
   grep -q '^on_reboot = "destroy"$' "$xl"; then
	ok "hello.xen.xl is ready for xl create"
else
	not_ok "hello.xen.xl" "$(cat "$xl")"
fi

echo "# sizes: hello.xen $(stat -c %s "$BUILD/hello.xen") bytes," \
	"kv-crunch.xen $(stat -c %s "$BUILD/kv-crunch.xen") bytes"

# A driver's devices in the .xl (host/tools/xl.c): netif.xen gets a vif entry
# with the address of the stack (here the pong job) over it, none for DHCP;
# indexes must make a list.
FREEZE=$BUILD/bin/mirage-freeze
pong=tests/xen/fixtures/pong.cfg
freeze_pong() { "$FREEZE" -q "$pong" --plugin-path "$BUILD/plugins" --target xen -o "$TMP/pong.xen" "$@" 2>&1; }
if freeze_pong >"$TMP/freeze.log" && grep -qx "vif = \[ 'ip=10.0.0.2,script=vif-route' \]" "$TMP/pong.xen.xl" &&
   freeze_pong --set devices.main.ipv4=dhcp >>"$TMP/freeze.log" &&
   grep -qx "vif = \[ 'script=vif-route' \]" "$TMP/pong.xen.xl"; then
	ok "a netif.xen device gives the .xl a vif entry (ip= from the stack over it, none for DHCP)"
else
	not_ok "the .xl's vif line" "$(cat "$TMP/freeze.log" "$TMP/pong.xen.xl")"
fi
out=$(freeze_pong --set devices.net.index=1)
if [ $? != 0 ] && grep -qF "$pong:6: device 'net': index 1 is out of range: the 1 vif device(s) of the image take indexes 0 to 0" <<<"$out"; then
	ok "a vif index that leaves a hole in the list is refused at freeze, with the config's line"
else
	not_ok "freeze with netif.xen index=1 alone" "got: $out"
fi

# block.xen gives the .xl a disk entry: its path (made absolute), access
# from read_only; a second disk is xvdb; no path is refused at freeze.
kvdisk=tests/xen/fixtures/kvdisk.cfg
freeze_kvdisk() { "$FREEZE" -q "$kvdisk" --plugin-path "$BUILD/plugins" --target xen -o "$TMP/kvdisk.xen" "$@" 2>&1; }
if DISK=/srv/a.tar freeze_kvdisk >"$TMP/freeze.log" &&
   grep -qx "disk = \[ 'format=raw, vdev=xvda, access=ro, script=block-loop, target=/srv/a.tar' \]" "$TMP/kvdisk.xen.xl" &&
   DISK=rel/b.tar freeze_kvdisk --set devices.disk.read_only=false >>"$TMP/freeze.log" &&
   grep -qx "disk = \[ 'format=raw, vdev=xvda, access=rw, script=block-loop, target=$PWD/tests/xen/fixtures/rel/b.tar' \]" "$TMP/kvdisk.xen.xl"; then
	ok "a block.xen device gives the .xl a disk entry (target= its path, absolute; access= from read_only)"
else
	not_ok "the .xl's disk line" "$(cat "$TMP/freeze.log" "$TMP/kvdisk.xen.xl")"
fi
out=$(DISK= freeze_kvdisk)
if [ $? != 0 ] && grep -qF "$kvdisk:7: device 'disk': path: expected the disk image's path in dom0" <<<"$out"; then
	ok "a block.xen device without a path is refused at freeze, with the config's line"
else
	not_ok "freeze with an empty block.xen path" "got: $out"
fi
# Without Xen the drivers (netif.xen, block.xen) say why they cannot
# connect, and the image fails.
for img in pong kvdisk; do
	out=$(run_qemu "$TMP/$img.xen")
	if [ "$(cat "$TMP/rc")" = 3 ] && grep -qF "not running on Xen (no Xen CPUID leaves)" <<<"$out"; then
		ok "$img.xen without Xen: its drivers say there is no Xen, the image fails (exit 3)"
	else
		not_ok "$img.xen without Xen" "exit $(cat "$TMP/rc"), console:" "$out"
	fi
done

if out=$(make -s xen-symbols 2>&1); then
	ok "portable plugins use only the image's libc, Xen plugins also its platform"
else
	not_ok "undefined symbols of plugin objects" "$out"
fi

if out=$(make -s xen-test-libc 2>&1); then
	ok "the image's vsnprintf matches glibc's; its heap (page-aligned blocks too) survives a random mix"
else
	not_ok "the image's libc (make xen-test-libc)" "$(tail -5 <<<"$out")"
fi

if out=$(make -s xen-test-pvclock 2>&1); then
	ok "the PV clock scales Xen's TSC delta, and a TSC behind Xen's stamp counts as no time"
else
	not_ok "the PV clock's arithmetic (make xen-test-pvclock)" "$(tail -5 <<<"$out")"
fi

finish
