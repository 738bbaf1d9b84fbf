#!/usr/bin/env bash
# HTTP benchmark: wrk against the website (configs/website.cfg, access log
# off) and against nginx (one worker, same files, access log off, sendfile
# on), in the same run: a 1 KiB and a 1 MiB file, 64 connections, 10 s.
# Prints req/s, p99 latency and the ratio ours/nginx for each.  Then, as
# root with /dev/net/tun and ip netns: the website on net.direct (lwIP) over
# a tap in a namespace of its own, wrk inside it, beside net.socket's rows.
#   bash bench/http.sh            (make bench; deps: bash scripts/deps.sh bench)
#   DURATION=5s CONNS=64 THREADS=2 bash bench/http.sh
set -u
cd "$(dirname "$0")/.." || exit 1
BUILD=${BUILD:-build}
DURATION=${DURATION:-10s}
CONNS=${CONNS:-64}
THREADS=${THREADS:-2}
ROOT=$PWD/apps/website/htdocs
FILES="files/1k.txt files/1m.txt"
TMP=$(mktemp -d)
pids=()
NS=mgbench$$
cleanup() {
	for p in "${pids[@]}"; do kill "$p" 2>/dev/null; wait "$p" 2>/dev/null; done
	ip netns del "$NS" 2>/dev/null
	rm -rf "$TMP"
}
trap cleanup EXIT

for tool in wrk nginx curl; do
	command -v "$tool" >/dev/null || { echo "bench/http.sh: $tool is missing: bash scripts/deps.sh bench" >&2; exit 1; }
done

free_port() { echo $((20000 + RANDOM % 40000)); }

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
	echo "bench/http.sh: the website did not start: $(cat "$TMP/ours.log")" >&2
	exit 1
}

start_nginx() {
	local port
	mkdir -p "$TMP/nginx"
	for _ in 1 2 3 4 5; do
		port=$(free_port)
		cat >"$TMP/nginx/nginx.conf" <<CONF
$( [ "$(id -u)" = 0 ] && echo "user root;" )
worker_processes 1;
daemon off;
pid $TMP/nginx/nginx.pid;
error_log $TMP/nginx/error.log;
events { worker_connections 1024; }
http {
  access_log off;
  sendfile on;
  client_body_temp_path $TMP/nginx/body;
  proxy_temp_path $TMP/nginx/proxy;
  fastcgi_temp_path $TMP/nginx/fastcgi;
  uwsgi_temp_path $TMP/nginx/uwsgi;
  scgi_temp_path $TMP/nginx/scgi;
  types { text/html html; text/plain txt; text/css css; image/png png; image/svg+xml svg; }
  server { listen 127.0.0.1:$port; root $ROOT; }
}
CONF
		nginx -c "$TMP/nginx/nginx.conf" -e "$TMP/nginx/error.log" >"$TMP/nginx.log" 2>&1 &
		pids+=($!)
		wait_up "$port" && { NGINX=$port; return 0; }
	done
	echo "bench/http.sh: nginx did not start: $(cat "$TMP/nginx.log" "$TMP/nginx/error.log" 2>/dev/null)" >&2
	exit 1
}

# to_ms "1.23ms" | "456.00us" | "1.02s"
to_ms() {
	awk -v v="$1" 'BEGIN { n = v + 0; if (v ~ /us$/) n /= 1000; else if (v ~ /[0-9]s$/ && v !~ /ms$/) n *= 1000; printf "%.3f", n }'
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
start_nginx
echo "wrk -t$THREADS -c$CONNS -d$DURATION --latency; $(nproc) cores; $(date -u +%Y-%m-%d)"
printf '%-14s %12s %12s %10s %10s %10s %8s\n' file "ours req/s" "nginx req/s" ratio "ours p99" "nginx p99" "p99 ratio"
for f in $FILES; do
	read -r oreq op99 <<<"$(run "$OURS" "$f")"
	read -r nreq np99 <<<"$(run "$NGINX" "$f")"
	awk -v f="$f" -v or="$oreq" -v nr="$nreq" -v op="$op99" -v np="$np99" 'BEGIN {
		printf "%-14s %12.0f %12.0f %9.2fx %8.2fms %8.2fms %7.2fx\n", f, or, nr, or / nr, op, np, (np > 0 ? op / np : 0) }'
done

# ---- net.direct over a tap, in a namespace ---------------------------------------
if [ "$(id -u)" != 0 ] || [ ! -c /dev/net/tun ] || ! ip netns add "$NS" 2>/dev/null; then
	echo "skip - net.direct over a tap: needs root, /dev/net/tun and ip netns"
	exit 0
fi
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
echo
printf '%-14s %5s %12s %12s %10s %10s %10s %8s\n' file mtu "direct req/s" "socket req/s" ratio "direct p99" "socket p99" "p99 ratio"
direct_rows 1500
direct_rows 9000
