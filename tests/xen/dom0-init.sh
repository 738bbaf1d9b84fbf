#!/bin/sh
# shellcheck shell=sh
# /init of the Xen testbed's dom0 (busybox sh), copied in by tests/xen/dom0.sh.
# Starts the Xen toolstack, runs every guest of /guests one after the other
# with `xl create -F`, prints each guest's console log between marker lines
# that tests/xen/run.sh looks for, then reboots (QEMU -no-reboot exits).
#
# Output markers, one line each:
#   === xl NAME ===  ...  === end xl NAME ===        what `xl create -F` printed
#   === guest NAME console ===  ...  === end NAME === the guest's console log
#   === guest NAME result xl-exit=RC first-console-ms=MS end-ms=MS timeout=0|1 restarted=0|1 [shutdown-ms=MS xl-shutdown-ms=MS] ===
#   === testbed done ===
#
#   === client NAME ===  ...  === end client NAME ===  what its client printed
#
# A guest's .xl may hold the line "# testbed: shutdown after N": dom0 then
# runs `xl shutdown NAME` N s after the guest's first console output;
# shutdown-ms is the time from it until the domain was gone, xl-shutdown-ms
# how long the `xl shutdown` command itself took of that.
# "# testbed: client FILE" (run.sh puts FILE in /guests): dom0 runs
# `sh FILE` once the guest has printed something, with GUEST (its name) and
# LOG (its console log) set, and `xl shutdown NAME` when FILE has ended; the
# result line gains client-exit=RC.
export PATH=/usr/lib/xen-4.17/bin:/bin:/sbin:/usr/bin:/usr/sbin
GUEST_TIMEOUT=60   # seconds per guest; /guests/testbed.conf may change these
POLL_US=10000      # how often the console log is looked at while a guest runs

mount -t devtmpfs devtmpfs /dev
exec </dev/console >/dev/console 2>&1
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mkdir -p /dev/pts
mount -t devpts devpts /dev/pts
for d in /run /var /tmp; do mkdir -p "$d" && mount -t tmpfs tmpfs "$d"; done
echo 1 >/proc/sys/kernel/printk   # keep dom0 kernel messages off our markers

fail() { echo "=== testbed error: $* ==="; reboot -f; sleep 10; exit 1; }

ln -s /run /var/run
mkdir -p /run/xen /run/xenstored /var/lib/xen /var/lib/xenstored /var/log/xen/console
for m in xen-privcmd xenfs xen-evtchn xen-gntdev xen-gntalloc xen-netback loop xen-blkback; do
	insmod "/lib/modules/xen/$m.ko" || fail "insmod $m"
done
mount -t xenfs xenfs /proc/xen || fail "mount xenfs"
xenstored || fail "xenstored"
xen-init-dom0 >/tmp/xen-init-dom0.out 2>&1 || { cat /tmp/xen-init-dom0.out; fail "xen-init-dom0"; }
xenconsoled --log=guest --log-dir=/var/log/xen/console || fail "xenconsoled"

# shellcheck disable=SC1091  # made by run.sh
[ -r /guests/testbed.conf ] && . /guests/testbed.conf

# NOW = milliseconds of uptime (10 ms resolution: /proc/uptime has
# centiseconds).  The fraction loses its leading zero: ash reads "08" as a bad
# octal number.  Set, not echoed: a $(...) forks, and a forked busybox that
# dies (seen under load) left an empty number that broke the timeout checks.
now_ms() {
	read -r up _ </proc/uptime
	cs=${up#*.}
	NOW=$(( ${up%.*} * 1000 + ${cs#0} * 10 ))
}

# stop_guest PID NAME: ends a guest that overran or restarts.  `xl create -F`
# goes first, else it restarts the domain that `xl destroy` races with.
stop_guest() {
	kill "$1" 2>/dev/null
	id=$(xl domid "$2" 2>/dev/null) && xl destroy "$id"
}

now_ms
echo "=== testbed ready at $NOW ms of dom0 uptime ==="
for cfg in /guests/*.xl; do
	[ -e "$cfg" ] || continue
	name=$(sed -n 's/^[[:space:]]*name[[:space:]]*=[[:space:]]*"\([^"]*\)".*/\1/p' "$cfg")
	[ -n "$name" ] || name=$(basename "$cfg" .xl)
	log=/var/log/xen/console/guest-$name.log
	after=$(sed -n 's/^# testbed: shutdown after \([0-9][0-9]*\)$/\1/p' "$cfg")
	client=$(sed -n 's/^# testbed: client \(.*\)$/\1/p' "$cfg")
	asked="" shut="" took="" cpid="" crc=""
	now_ms
	t0=$NOW
	xl create -F "$cfg" </dev/null >"/tmp/xl-$name.out" 2>&1 &
	pid=$!
	first="" timedout=0 restarted=0
	while kill -0 "$pid" 2>/dev/null; do
		now_ms
		t=$(( NOW - t0 ))
		if [ -z "$first" ] && [ -s "$log" ]; then first=$t; fi
		if [ -n "$client" ] && [ -n "$first" ] && [ -z "$cpid" ]; then
			GUEST=$name LOG=$log sh "$client" </dev/null >"/tmp/client-$name.out" 2>&1 &
			cpid=$!
		fi
		if [ -n "$cpid" ] && [ -z "$crc" ] && ! kill -0 "$cpid" 2>/dev/null; then
			wait "$cpid"
			crc=$?
		fi
		if [ -z "$asked" ] && { [ -n "$crc" ] ||
			{ [ -n "$after" ] && [ -n "$first" ] && [ "$t" -ge $(( first + after * 1000 )) ]; }; }; then
			asked=$t
			xl shutdown "$name" >"/tmp/xl-shutdown-$name.out" 2>&1
			now_ms
			took=$(( NOW - t0 - asked ))
		fi
		if [ "$t" -gt $(( GUEST_TIMEOUT * 1000 )) ]; then
			timedout=1
			stop_guest "$pid" "$name"
			break
		fi
		# a second shutdown: xl restarts the guest (on_reboot = "restart")
		if [ "$(grep -c 'has shut down' "/tmp/xl-$name.out")" -gt 1 ]; then
			restarted=1
			stop_guest "$pid" "$name"
			break
		fi
		usleep "$POLL_US"
	done
	wait "$pid"
	rc=$?
	now_ms
	end=$(( NOW - t0 ))
	[ -n "$asked" ] && shut=" shutdown-ms=$(( end - asked )) xl-shutdown-ms=$took"
	if [ -n "$cpid" ] && [ -z "$crc" ]; then
		kill "$cpid" 2>/dev/null
		wait "$cpid"
		crc=$?
	fi
	[ -n "$cpid" ] && shut="$shut client-exit=$crc"
	# xenconsoled may write the last bytes just after the domain is gone.
	size=-1 n=0
	while [ $n -lt 20 ]; do
		s=$(wc -c <"$log" 2>/dev/null || echo 0)
		[ "$s" = "$size" ] && [ $n -ge 2 ] && break
		size=$s n=$((n + 1))
		usleep 50000
	done
	[ -z "$first" ] && [ -s "$log" ] && first="after-end"
	echo "=== xl $name ==="
	awk '{ print }' "/tmp/xl-$name.out"
	# what the hotplug scripts did for this guest
	for h in vif-route block-loop; do
		[ -s "/var/log/xen/$h.log" ] || continue
		sed 's/^/hotplug: /' "/var/log/xen/$h.log"
		: >"/var/log/xen/$h.log"
	done
	echo "=== end xl $name ==="
	echo "=== guest $name console ==="
	[ -e "$log" ] && awk '{ print }' "$log"
	echo "=== end $name ==="
	if [ -n "$cpid" ]; then
		echo "=== client $name ==="
		awk '{ print }' "/tmp/client-$name.out"
		echo "=== end client $name ==="
	fi
	echo "=== guest $name result xl-exit=$rc first-console-ms=${first:-none} end-ms=$end timeout=$timedout restarted=$restarted$shut ==="
done
echo "=== testbed done ==="
sync
reboot -f
sleep 10
