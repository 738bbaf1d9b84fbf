#!/bin/sh
# shellcheck shell=sh
# The testbed's vif hotplug script, in busybox sh (Xen's stock scripts need
# bash, which dom0 lacks), installed by dom0.sh as /etc/xen/scripts/vif-route:
# the name mirage-freeze writes in a vif line (`script=vif-route`), whose
# stock version also gives the vif dom0's address and routes the guest's.
# libxl runs it as `vif-route online|offline` with vif=vifD.N and
# XENBUS_PATH=backend/vif/D/N in the environment.
#   online:  vif up with 10.0.0.1/24; a vif line without ip= (the guest asks
#            by DHCP) gets busybox udhcpd on it, leasing 10.0.0.50; then
#            hotplug-status connected (what libxl waits for)
#   offline: udhcpd of that vif stopped
# Its own lines go to /var/log/xen/vif-route.log.
exec >>/var/log/xen/vif-route.log 2>&1
dev=${vif:?vif is not set}
run=/run/vif-route-$dev
echo "$(cut -d' ' -f1 /proc/uptime) s: $1 $dev ${XENBUS_PATH:-}"
case $1 in
online)
	ip link set "$dev" up
	ip addr add 10.0.0.1/24 dev "$dev"
	if ! xenstore-read "$XENBUS_PATH/ip" >/dev/null 2>&1; then
		mkdir -p "$run"
		cat >"$run/udhcpd.conf" <<CONF
start 10.0.0.50
end 10.0.0.50
interface $dev
max_leases 1
lease_file $run/leases
pidfile $run/udhcpd.pid
option subnet 255.255.255.0
option router 10.0.0.1
option lease 600
CONF
		touch "$run/leases"
		udhcpd "$run/udhcpd.conf"
	fi
	xenstore-write "$XENBUS_PATH/hotplug-status" connected
	echo "$(cut -d' ' -f1 /proc/uptime) s: $dev connected"
	;;
offline)
	[ -s "$run/udhcpd.pid" ] && kill "$(cat "$run/udhcpd.pid")"
	rm -rf "$run"
	;;
esac
exit 0
