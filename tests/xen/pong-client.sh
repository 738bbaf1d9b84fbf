#!/bin/sh
# shellcheck shell=sh
# dom0's side of the pong guest (guests.mk): once the guest says it answers,
# three pings to it over netfront/netback and the vif-route hotplug script's
# 10.0.0.1/24 on vifN.0.  Run by dom0-init.sh with GUEST and LOG set.
n=0
until grep -q "pong: answering" "$LOG"; do
	n=$((n + 1))
	[ $n -le 1000 ] || { echo "pong-client: the guest never said it answers"; exit 1; }
	usleep 20000
done
ip -o -4 addr show | grep ' vif'
ping -c 3 -W 5 10.0.0.2
