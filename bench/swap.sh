#!/usr/bin/env bash
# Hot-swap benchmark.  Under wrk load (64 connections) on configs/website.cfg:
# 20 swaps of the kv_ro implementation (kvro.dir <-> kvro.crunch.htdocs, by
# mirage-host ctl) and 20 swaps of the http plugin itself (a fresh copy of
# http.server.so, picked up by --watch).  Prints wrk's total requests,
# non-2xx responses and socket errors, and the p50/p99 of the 40 swap pauses
# (the time the host spends applying a change, as it reports it).
# Then the edit loop: from saving an edited http.server source (its Server
# header) to the first response that shows it, the plugin's build included.
# Targets: 0 failed requests, pause p99 <= 10 ms, edit loop <= 1 s.
#   bash bench/swap.sh            (make bench; deps: bash scripts/deps.sh bench)
set -u
cd "$(dirname "$0")/.." || exit 1
BUILD=${BUILD:-build}
CONNS=${CONNS:-64}
THREADS=${THREADS:-2}
SWAPS=${SWAPS:-20}
HOST=$PWD/$BUILD/bin/mirage-host
ROOT=$PWD/apps/website/htdocs
TMP=$(mktemp -d)
SOCK=$TMP/control.sock
pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null; wait "$p" 2>/dev/null; done; rm -rf "$TMP"; }
trap cleanup EXIT

for tool in wrk curl; do
	command -v "$tool" >/dev/null || { echo "bench/swap.sh: $tool is missing: bash scripts/deps.sh bench" >&2; exit 1; }
done

# The http plugin comes from a folder of our own, so that replacing it
# there is what a rebuild does.
mkdir -p "$TMP/plugins"
cp "$BUILD/plugins/http.server.so" "$TMP/plugins/"

for _ in 1 2 3 4 5; do
	PORT=$((20000 + RANDOM % 40000))
	"$HOST" configs/website.cfg --plugin-path "$TMP/plugins" --watch --control "$SOCK" \
		--set devices.http.port="$PORT" --set devices.main.access_log=false >"$TMP/host.log" 2>&1 &
	pids+=($!)
	for _ in $(seq 50); do
		curl -s -o /dev/null "http://127.0.0.1:$PORT/" && break 2
		sleep 0.1
	done
done
curl -s -o /dev/null "http://127.0.0.1:$PORT/" || { echo "bench/swap.sh: no website: $(cat "$TMP/host.log")" >&2; exit 1; }

ctl() { "$HOST" ctl "$SOCK" "$@"; }
changes() { ctl status --json | sed -n 's/.*"changes": \([0-9]*\).*/\1/p'; }
last_us() { ctl status --json | sed -n 's/.*"last_change_us": \([0-9]*\).*/\1/p'; }
# wait_change N: until the host has applied more than N changes (5 s at most)
wait_change() {
	for _ in $(seq 500); do
		[ "$(changes)" -gt "$1" ] && return 0
		sleep 0.01
	done
	return 1
}

wrk -t"$THREADS" -c"$CONNS" -d600s "http://127.0.0.1:$PORT/" >"$TMP/wrk.out" 2>&1 &
WRK=$!
pids+=("$WRK")
sleep 1
: >"$TMP/pauses"
for i in $(seq "$SWAPS"); do
	if [ $((i % 2)) = 1 ]; then
		ctl swap fs kvro.crunch.htdocs
	else
		ctl swap fs kvro.dir root="$ROOT"
	fi | sed -n 's/.*applied in \([0-9]*\) us.*/\1/p' >>"$TMP/pauses"
	sleep 0.1
done
for _ in $(seq "$SWAPS"); do
	n=$(changes)
	cp "$BUILD/plugins/http.server.so" "$TMP/plugins/http.server.so.new"
	mv "$TMP/plugins/http.server.so.new" "$TMP/plugins/http.server.so"
	wait_change "$n" && last_us >>"$TMP/pauses"
	sleep 0.1
done
sleep 1
kill -INT "$WRK"
wait "$WRK" 2>/dev/null

requests=$(sed -n 's/^ *\([0-9]*\) requests in.*/\1/p' "$TMP/wrk.out")
non2xx=$(sed -n 's/^ *Non-2xx or 3xx responses: *\([0-9]*\).*/\1/p' "$TMP/wrk.out")
errors=$(sed -n 's/^ *Socket errors: connect \([0-9]*\), read \([0-9]*\), write \([0-9]*\), timeout \([0-9]*\).*/\1 \2 \3 \4/p' "$TMP/wrk.out")
# shellcheck disable=SC2086 # four numbers, split on purpose
set -- ${errors:-0 0 0 0}
echo "wrk: ${requests:-?} requests, ${non2xx:-0} non-2xx, socket errors: connect $1, read $2, write $3, timeout $4"
# nearest-rank percentiles
sort -n "$TMP/pauses" >"$TMP/sorted"
count=$(wc -l <"$TMP/sorted")
rank() { local r=$(( (count * $1 + 99) / 100 )); sed -n "$(( r < 1 ? 1 : r ))p" "$TMP/sorted"; }
echo "swap pause over $count swaps: p50 $(rank 50) us, p99 $(rank 99) us, max $(tail -1 "$TMP/sorted") us"
[ "$count" = $((2 * SWAPS)) ] || echo "bench/swap.sh: only $count of $((2 * SWAPS)) swaps were applied" >&2
grep -E "error|warn" "$TMP/host.log" | sort | uniq -c | head -5

# ---- the edit loop --------------------------------------------------------
# http.server's sources in a folder of their own, built by make as a plugin
# author's makefile would: one object per source, then the link.  Its first
# build is not timed; the timed one compiles the edited file and links.
mkdir -p "$TMP/src"
cp plugins/http/server/*.c plugins/http/server/*.h "$TMP/src/"
cat >"$TMP/src/Makefile" <<'MAKE'
CFLAGS := $(shell pkg-config --cflags mirage-plugin) -O2 -Wall -Wextra
OBJS := $(patsubst %.c,%.o,$(wildcard *.c))
$(OUT): $(OBJS)
	$(CC) -o $@ $^ $(shell pkg-config --libs mirage-plugin)
$(OBJS): $(wildcard *.h)
MAKE
export PKG_CONFIG_PATH=$PWD/$BUILD/pkgconfig
build() { make -s -C "$TMP/src" OUT="$TMP/plugins/http.server.so"; }
build || exit 1
sleep 0.5 # the watch applies that first build
t0=$(date +%s%N)
sed -i 's/Server: mirage/Server: mirage-edited/' "$TMP/src/response.c"
build || exit 1
until curl -s -I "http://127.0.0.1:$PORT/" | grep -q "mirage-edited"; do
	[ $(( $(date +%s%N) - t0 )) -lt 10000000000 ] || { echo "edit loop: no new output after 10 s" >&2; exit 1; }
	sleep 0.005
done
t1=$(date +%s%N)
echo "edit loop: $(( (t1 - t0) / 1000000 )) ms from saving response.c to the first response of the new build (make: one file compiled, the plugin linked)"
