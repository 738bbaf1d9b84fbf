#!/bin/sh
# shellcheck shell=sh
# The block hotplug script mirage-freeze names in a disk line
# (`script=block-loop`), in POSIX sh (busybox's will do: Xen's own scripts
# need bash), installed by dom0.sh as /etc/xen/scripts/block-loop.  It hands
# blkback a loop device over the disk's image file.  libxl runs it as
# `block-loop add|remove` with XENBUS_PATH=backend/vbd/D/N in the
# environment:
#   add:    the file ($XENBUS_PATH/params, xl's target=) on the first free
#           loop device (one script at a time: a lock), read-only unless
#           the disk's mode is w (access=rw);
#           physical-device MAJOR:MINOR in hex and node written, then
#           hotplug-status connected (what libxl waits for)
#   remove: the loop device let go
# Its own lines go to /var/log/xen/block-loop.log.
exec >>/var/log/xen/block-loop.log 2>&1
: "${XENBUS_PATH:?XENBUS_PATH is not set}"
echo "$(cut -d' ' -f1 /proc/uptime) s: $1 $XENBUS_PATH"
failed() {
	echo "error: $*"
	xenstore-write "$XENBUS_PATH/hotplug-error" "block-loop: $*" "$XENBUS_PATH/hotplug-status" error
	exit 1
}
case $1 in
add)
	file=$(xenstore-read "$XENBUS_PATH/params") || failed "no params in $XENBUS_PATH"
	[ -f "$file" ] || failed "disk image $file: no such file"
	ro=-r
	[ "$(xenstore-read "$XENBUS_PATH/mode" 2>/dev/null)" = w ] && ro=
	# libxl runs one script per disk at once: finding a free loop device
	# and taking it is one step under a lock (mkdir is atomic)
	n=0
	until mkdir /run/block-loop.lock 2>/dev/null; do
		n=$((n + 1))
		[ $n -le 500 ] || failed "/run/block-loop.lock held for 5 s"
		usleep 10000
	done
	trap 'rmdir /run/block-loop.lock' EXIT
	dev=$(losetup -f) || failed "no free loop device"
	# shellcheck disable=SC2086  # $ro is one option or none
	losetup $ro "$dev" "$file" || failed "losetup $ro $dev $file failed"
	rmdir /run/block-loop.lock
	trap - EXIT
	xenstore-write "$XENBUS_PATH/node" "$dev" \
		"$XENBUS_PATH/physical-device" "$(stat -L -c '%t:%T' "$dev")" \
		"$XENBUS_PATH/hotplug-status" connected
	echo "$(cut -d' ' -f1 /proc/uptime) s: $file on $dev${ro:+ (read-only)}, connected"
	;;
remove)
	dev=$(xenstore-read "$XENBUS_PATH/node" 2>/dev/null) && losetup -d "$dev"
	;;
esac
exit 0
