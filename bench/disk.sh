#!/usr/bin/env bash
# Disk benchmark: the website over kvro.tar/block.file (configs/website-disk.cfg)
# against the website over kvro.dir (configs/website.cfg), access logs off,
# wrk on a 1 KiB and a 1 MiB file, one after the other in the same run;
# prints req/s, p99 and the ratio disk/dir, and the 1 MiB file again with
# block.file's cached_reads=false (every read through io_uring).  Then
# kvro.tar's connect on a 10,000-member archive, beside a site under load
# (a swap of its fs): the time and longest loop step as kvro.tar logs
# them, and wrk's longest latency meanwhile against a run without it.
#   bash bench/disk.sh            (make bench; deps: bash scripts/deps.sh bench)
#   DURATION=5s CONNS=64 THREADS=2 MEMBERS=10000 bash bench/disk.sh
set -u
cd "$(dirname "$0")/.." || exit 1
. bench/lib.sh
BUILD=${BUILD:-build}
DURATION=${DURATION:-10s}
CONNS=${CONNS:-64}
THREADS=${THREADS:-2}
MEMBERS=${MEMBERS:-10000}
HOST=$PWD/$BUILD/bin/mirage-host
TMP=$(mktemp -d)
pids=()
cleanup() { stop_pids; rm -rf "$TMP"; }
trap cleanup EXIT

if [ "${1:-}" = -h ] || [ "${1:-}" = --help ]; then
	sed -n '2,11p' "$0" | sed 's/^# \{0,1\}//'
	exit 0
fi
need wrk curl python3

# start NAME CONFIG [ARGS...]: the website on a free port (PORT_NAME)
start() {
	local name=$1 cfg=$2 port
	shift 2
	for _ in 1 2 3 4 5; do
		port=$(free_port)
		SITE_TAR=$PWD/$BUILD/site.tar "$HOST" "$cfg" --set devices.http.port="$port" \
			--set devices.main.access_log=false "$@" >"$TMP/$name.log" 2>&1 &
		pids+=($!)
		for _ in $(seq 100); do
			if curl -s -o /dev/null "http://127.0.0.1:$port/files/1k.txt"; then
				eval "PORT_$name=$port"
				return 0
			fi
			sleep 0.1
		done
	done
	echo "bench/disk.sh: $cfg did not start: $(cat "$TMP/$name.log")" >&2
	exit 1
}

# run PORT FILE [DURATION] -> "REQS P99MS MAXMS"
run() {
	local out
	out=$(wrk -t"$THREADS" -c"$CONNS" -d"${3:-$DURATION}" --latency "http://127.0.0.1:$1/$2")
	echo "$out" >>"$TMP/wrk.txt"
	echo "$(awk '/^Requests\/sec/ { print $2 }' <<<"$out") $(to_ms "$(awk '$1 == "99%" { print $2 }' <<<"$out")") $(to_ms "$(awk '$1 == "Latency" { print $4 }' <<<"$out")")"
}

make -s all >/dev/null || exit 1
start dir configs/website.cfg
start disk configs/website-disk.cfg
# every read through io_uring and a bounce, as bytes not in the page cache are read
start ring configs/website-disk.cfg --set devices.disk.cached_reads=false
echo "wrk -t$THREADS -c$CONNS -d$DURATION --latency; $(nproc) cores; $(date -u +%Y-%m-%d)"
printf '%-34s %12s %12s %10s %10s %10s\n' file "disk req/s" "dir req/s" ratio "disk p99" "dir p99"
for f in files/1k.txt files/1m.txt "files/1m.txt ring"; do
	if [ "${f#* }" = ring ]; then port=$PORT_ring; else port=$PORT_disk; fi
	read -r dreq dp99 _ <<<"$(run "$port" "${f% *}")"
	read -r rreq rp99 _ <<<"$(run "$PORT_dir" "${f% *}")"
	[ "${f#* }" = ring ] && f="${f% *} (cached_reads=false)"
	awk -v f="$f" -v a="$dreq" -v b="$rreq" -v p="$dp99" -v q="$rp99" 'BEGIN {
		printf "%-34s %12.0f %12.0f %9.2fx %8.2fms %8.2fms\n", f, a, b, a / b, p, q }'
done

# ---- a 10,000-member archive -------------------------------------------------------------
python3 tests/e2e/mktar.py many "$MEMBERS" "$TMP/many.tar"
# the same connect beside a site under load: a swap of its fs to that archive
sed -e "s|\"../build/plugins\"|\"$PWD/$BUILD/plugins\"|" \
	-e "s|  disk    = { impl = \"block.file\"; path = \"[^\"]*\"; };|  disk_a = { impl = \"block.file\"; path = \"$PWD/$BUILD/site.tar\"; };\n  disk_b = { impl = \"block.file\"; path = \"$TMP/many.tar\"; };|" \
	-e "s|  fs      = { impl = \"kvro.tar\"; };|  fs = { impl = \"kvro.tar\"; deps = { disk = \"disk_a\"; }; };|" \
	configs/website-disk.cfg >"$TMP/swap.cfg"
start swap "$TMP/swap.cfg" --control "$TMP/ctl.sock" -v
read -r _ _ calm <<<"$(run "$PORT_swap" nope.txt 3s)"
(sleep 1; "$HOST" ctl "$TMP/ctl.sock" swap fs kvro.tar deps.disk=disk_b >"$TMP/swap.out" 2>&1) &
swapper=$!
read -r _ _ busy <<<"$(run "$PORT_swap" nope.txt 3s)"
wait $swapper
line=$(grep -o "fs: [0-9]* entries indexed in .*" "$TMP/swap.log" | tail -1)
echo "kvro.tar connect, $MEMBERS members ($(stat -c %s "$TMP/many.tar") bytes), beside a site under load: ${line:-not logged: $(tail -3 "$TMP/swap.log")}"
echo "longest wrk latency (a 404, $CONNS connections, 3 s): ${calm} ms without a connect, ${busy} ms with it ($(tr '\n' ' ' <"$TMP/swap.out"))"
