#!/usr/bin/env bash
# Disk benchmark: the website over kvro.tar/block.file (configs/website-disk.cfg)
# against the website over kvro.dir (configs/website.cfg), access logs off,
# wrk on a 1 KiB and a 1 MiB file, RUNS turns each, disk and dir in turn;
# prints medians of req/s, p99 and each server's CPU time per request (on
# a shared machine steadier than req/s), the ratios, and the 1 MiB file
# again with block.file's cached_reads=false (all through io_uring).  Then
# kvro.tar's connect on a 10,000-member archive beside a site under load
# (swaps of its fs), RUNS times: time and longest loop step as kvro.tar
# logs them, and wrk's longest latency against a run without.
#   bash bench/disk.sh            (make bench; deps: bash scripts/deps.sh bench)
#   DURATION=4s RUNS=3 CONNS=64 THREADS=2 MEMBERS=10000 bash bench/disk.sh
set -u
cd "$(dirname "$0")/.." || exit 1
. bench/lib.sh
BUILD=${BUILD:-build}
DURATION=${DURATION:-4s}
RUNS=${RUNS:-3}
CONNS=${CONNS:-64}
THREADS=${THREADS:-2}
MEMBERS=${MEMBERS:-10000}
HOST=$PWD/$BUILD/bin/mirage-host
TMP=$(mktemp -d)
pids=()
cleanup() { stop_pids; rm -rf "$TMP"; }
trap cleanup EXIT

if [ "${1:-}" = -h ] || [ "${1:-}" = --help ]; then
	sed -n '2,12p' "$0" | sed 's/^# \{0,1\}//'
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
				eval "PORT_$name=$port PID_$name=$!"
				return 0
			fi
			sleep 0.1
		done
	done
	echo "bench/disk.sh: $cfg did not start: $(cat "$TMP/$name.log")" >&2
	exit 1
}

# run PORT FILE [DURATION [PID]] -> "REQS P99MS MAXMS CPU": CPU, the server
# PID's user and system time per request in us (its io_uring workers too)
ticks() { if [ -n "$1" ]; then awk '{ print $14 + $15 }' "/proc/$1/stat"; else echo 0; fi; }
run() {
	local out t0 t1
	t0=$(ticks "${4:-}")
	out=$(wrk -t"$THREADS" -c"$CONNS" -d"${3:-$DURATION}" --latency "http://127.0.0.1:$1/$2")
	t1=$(ticks "${4:-}")
	echo "$out" >>"$TMP/wrk.txt"
	echo "$(awk '/^Requests\/sec/ { print $2 }' <<<"$out") $(to_ms "$(awk '$1 == "99%" { print $2 }' <<<"$out")") $(to_ms "$(awk '$1 == "Latency" { print $4 }' <<<"$out")")" \
		"$(awk -v n="$(awk '/ requests in / { print $1 }' <<<"$out")" -v t=$((t1 - t0)) -v hz="$(getconf CLK_TCK)" \
			'BEGIN { printf "%.1f", (n > 0 ? t / hz * 1e6 / n : 0) }')"
}

# median, and "lo-hi": of the numbers on stdin
median() { sort -g | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'; }
span() { sort -g | awk 'NR == 1 { lo = $1 } { hi = $1 } END { printf "%.2f-%.2f", lo, hi }'; }

make -s all >/dev/null || exit 1
start dir configs/website.cfg
start disk configs/website-disk.cfg
# every read through io_uring and a bounce, as bytes not in the page cache are read
start ring configs/website-disk.cfg --set devices.disk.cached_reads=false
echo "wrk -t$THREADS -c$CONNS -d$DURATION --latency, $RUNS runs each, disk and dir in turn; $(nproc) cores; $(date -u +%Y-%m-%d)"
echo "(cpu: the server's CPU time per request; cpu ratio: dir's over disk's, as req/s's ratio is disk's over dir's)"
printf '%-34s %10s %10s %7s %11s %9s %9s %9s %9s %9s\n' file "disk req/s" "dir req/s" ratio "ratio range" \
	"disk p99" "dir p99" "disk cpu" "dir cpu" "cpu ratio"
for f in files/1k.txt files/1m.txt "files/1m.txt ring"; do
	if [ "${f#* }" = ring ]; then port=$PORT_ring pid=$PID_ring; else port=$PORT_disk pid=$PID_disk; fi
	: >"$TMP/runs"
	for _ in $(seq "$RUNS"); do
		read -r dreq dp99 _ dcpu <<<"$(run "$port" "${f% *}" "$DURATION" "$pid")"
		read -r rreq rp99 _ rcpu <<<"$(run "$PORT_dir" "${f% *}" "$DURATION" "$PID_dir")"
		echo "$dreq $rreq $dp99 $rp99 $dcpu $rcpu" >>"$TMP/runs"
	done
	col() { awk -v k="$1" '{ print $k }' "$TMP/runs" | median; }
	ratios() { awk '{ print ($2 > 0 ? $1 / $2 : 0) }' "$TMP/runs"; }
	cpu_ratios() { awk '{ print ($5 > 0 ? $6 / $5 : 0) }' "$TMP/runs"; }
	[ "${f#* }" = ring ] && f="${f% *} (cached_reads=false)"
	printf '%-34s %10.0f %10.0f %6.2fx %11s %7.2fms %7.2fms %7.1fus %7.1fus %8.2fx\n' "$f" "$(col 1)" "$(col 2)" \
		"$(ratios | median)" "$(ratios | span)" "$(col 3)" "$(col 4)" "$(col 5)" "$(col 6)" "$(cpu_ratios | median)"
done

# ---- a 10,000-member archive -------------------------------------------------------------
python3 tests/e2e/mktar.py many "$MEMBERS" "$TMP/many.tar"
# the same connect beside a site under load: swaps of its fs to that
# archive and back, RUNS times
sed -e "s|\"../build/plugins\"|\"$PWD/$BUILD/plugins\"|" \
	-e "s|  disk    = { impl = \"block.file\"; path = \"[^\"]*\"; };|  disk_a = { impl = \"block.file\"; path = \"$PWD/$BUILD/site.tar\"; };\n  disk_b = { impl = \"block.file\"; path = \"$TMP/many.tar\"; };|" \
	-e "s|  fs      = { impl = \"kvro.tar\"; };|  fs = { impl = \"kvro.tar\"; deps = { disk = \"disk_a\"; }; };|" \
	configs/website-disk.cfg >"$TMP/swap.cfg"
start swap "$TMP/swap.cfg" --control "$TMP/ctl.sock" -v
read -r _ _ calm _ <<<"$(run "$PORT_swap" nope.txt 3s)"
(
	sleep 0.5
	for _ in $(seq "$RUNS"); do
		"$HOST" ctl "$TMP/ctl.sock" swap fs kvro.tar deps.disk=disk_b >>"$TMP/swap.out" 2>&1
		grep -o "fs: [0-9]* entries indexed in .*" "$TMP/swap.log" | tail -1 >>"$TMP/connects"
		"$HOST" ctl "$TMP/ctl.sock" swap fs kvro.tar deps.disk=disk_a >/dev/null 2>&1
	done
) &
swapper=$!
read -r _ _ busy _ <<<"$(run "$PORT_swap" nope.txt "$((RUNS / 2 + 2))s")"
wait $swapper
# "fs: N entries indexed in T ms (R reads, S steps; longest step L ms)"
totals() { sed -n 's/.* indexed in \([0-9.]*\) ms.*/\1/p' "$TMP/connects"; }
steps() { sed -n 's/.*longest step \([0-9.]*\) ms.*/\1/p' "$TMP/connects"; }
if [ "$(totals | wc -l)" = "$RUNS" ]; then
	echo "kvro.tar connect, $MEMBERS members ($(stat -c %s "$TMP/many.tar") bytes), beside a site under load, $RUNS runs (the first: $(head -1 "$TMP/connects" | sed 's/.*(\(.*\);.*/\1/')):" \
		"total $(totals | median) ms ($(totals | span)), longest step $(steps | median) ms ($(steps | span))"
else
	echo "kvro.tar connect: not logged $RUNS times: $(cat "$TMP/connects") $(tail -3 "$TMP/swap.log")"
fi
echo "longest wrk latency (a 404, $CONNS connections): ${calm} ms in 3 s without a connect, ${busy} ms with them ($(grep -c applied "$TMP/swap.out") of $RUNS swaps to it applied)"
