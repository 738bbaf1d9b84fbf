#!/usr/bin/env bash
# Direct-stack benchmark: wrk against the website on net.direct (lwIP) over a
# tap in a network namespace of its own, wrk inside it, beside the same
# website on net.socket over loopback, in the same run: a 1 KiB and a 1 MiB
# file, 64 connections, at the tap's MTU 1500 and 9000.  Prints req/s, p99
# latency and the ratio direct/socket.  Needs root, /dev/net/tun, ip netns.
#   bash bench/direct.sh          (make bench; deps: bash scripts/deps.sh bench)
#   DURATION=5s CONNS=64 THREADS=2 bash bench/direct.sh
set -u
if [ "${1:-}" = --help ] || [ "${1:-}" = -h ]; then
	sed -n '2,/^set -u/{/^set -u/d;s/^# \{0,1\}//;p}' "$0"
	exit 0
fi
cd "$(dirname "$0")/.." || exit 1
. bench/lib.sh
BUILD=${BUILD:-build}
DURATION=${DURATION:-10s}
CONNS=${CONNS:-64}
THREADS=${THREADS:-2}
FILES="files/1k.txt files/1m.txt"
TMP=$(mktemp -d)
pids=()
NS=mgbench$$
cleanup() {
	stop_pids
	ip netns del "$NS" 2>/dev/null
	rm -rf "$TMP"
}
trap cleanup EXIT

need wrk curl ip
if [ "$(id -u)" != 0 ] || [ ! -c /dev/net/tun ] || ! ip netns add "$NS" 2>/dev/null; then
	echo "skip - net.direct over a tap: needs root, /dev/net/tun and ip netns"
	exit 0
fi

# wait_up PORT: until the server answers (5 s at most)
wait_up() {
	for _ in $(seq 50); do
		curl -s -o /dev/null "http://127.0.0.1:$1/files/1k.txt" && return 0
		sleep 0.1
	done
	return 1
}

start_ours() {
	local port
	for _ in 1 2 3 4 5; do
		port=$(free_port)
		"$BUILD/bin/mirage-host" configs/website.cfg --set devices.http.port="$port" \
			--set devices.main.access_log=false >"$TMP/ours.log" 2>&1 &
		pids+=($!)
		wait_up "$port" && { OURS=$port; return 0; }
	done
	echo "bench/direct.sh: the website did not start: $(cat "$TMP/ours.log")" >&2
	exit 1
}

# run PORT FILE [ADDRESS [PREFIX...]] -> "REQS P99MS"
run() {
	local out port=$1 file=$2 addr=${3:-127.0.0.1}
	shift $(($# < 3 ? $# : 3))
	out=$("$@" wrk -t"$THREADS" -c"$CONNS" -d"$DURATION" --latency "http://$addr:$port/$file")
	echo "$out" >>"$TMP/wrk.txt"
	echo "$(awk '/^Requests\/sec/ { print $2 }' <<<"$out") $(to_ms "$(awk '$1 == "99%" { print $2 }' <<<"$out")")"
}

make -s all >/dev/null || exit 1
start_ours
echo "wrk -t$THREADS -c$CONNS -d$DURATION --latency; $(nproc) cores; $(date -u +%Y-%m-%d)"
for c in "ip link set lo up" "ip tuntap add dev tap0 mode tap" "ip addr add 10.0.0.1/24 dev tap0" \
	"ip link set tap0 up"; do
	# shellcheck disable=SC2086 # the command's words
	ip netns exec "$NS" $c
done
# direct_rows MTU: the website on net.direct over the tap at that MTU (the
# stack takes the device's), beside net.socket on loopback (MTU 64 KiB)
direct_rows() {
	local pid f dreq dp99 oreq op99
	ip netns exec "$NS" ip link set tap0 mtu "$1"
	NET=direct IPV4=10.0.0.2/24 ip netns exec "$NS" "$BUILD/bin/mirage-host" configs/website.cfg \
		--set devices.main.access_log=false >"$TMP/direct.log" 2>&1 &
	pid=$!
	for _ in $(seq 50); do
		ip netns exec "$NS" curl -s -o /dev/null http://10.0.0.2:8080/files/1k.txt && break
		sleep 0.1
	done
	for f in $FILES; do
		read -r dreq dp99 <<<"$(run 8080 "$f" 10.0.0.2 ip netns exec "$NS")"
		read -r oreq op99 <<<"$(run "$OURS" "$f")"
		awk -v f="$f" -v m="$1" -v dr="$dreq" -v or="$oreq" -v dp="$dp99" -v op="$op99" 'BEGIN {
			printf "%-14s %5s %12.0f %12.0f %9.2fx %8.2fms %8.2fms %7.2fx\n", f, m, dr, or, (or > 0 ? dr / or : 0), dp, op, (op > 0 ? dp / op : 0) }'
	done
	kill "$pid"
	wait "$pid" 2>/dev/null
}
printf '%-14s %5s %12s %12s %10s %10s %10s %8s\n' file mtu "direct req/s" "socket req/s" ratio "direct p99" "socket p99" "p99 ratio"
direct_rows 1500
direct_rows 9000
