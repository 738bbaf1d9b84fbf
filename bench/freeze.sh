#!/usr/bin/env bash
# Hosted (mirage-host) against frozen (mirage-freeze --target unix), in the
# same run: start-up time from exec to the job's first line for hello.cfg,
# and, when the website is built, its req/s under wrk.  Prints ratios.
set -eu
cd "$(dirname "$0")/.."
BUILD=${BUILD:-build}
RUNS=${RUNS:-200}
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT

make -s all
cc -O2 -o "$TMP/firstline" bench/firstline.c
"$BUILD/bin/mirage-freeze" -q configs/hello.cfg -o "$TMP/hello" --set devices.main.count=1

# alternate the two so that machine noise hits both alike
hosted=() frozen=()
for _ in 1 2 3; do
	hosted+=("$("$TMP/firstline" "$RUNS" "$BUILD/bin/mirage-host" configs/hello.cfg --set devices.main.count=1)")
	frozen+=("$("$TMP/firstline" "$RUNS" "$TMP/hello")")
done
median() { printf '%s\n' "$@" | sort -n | sed -n 2p; }
h=$(median "${hosted[@]}") f=$(median "${frozen[@]}")
echo "start-up, exec to first line (median of 3x$RUNS runs):"
printf '  hosted  %6d us\n  frozen  %6d us\n  ratio hosted/frozen: %s\n' "$h" "$f" \
	"$(awk -v h="$h" -v f="$f" 'BEGIN { printf "%.1fx", h / f }')"

# website req/s: the 1 KiB file under wrk, hosted then frozen, twice each
command -v wrk >/dev/null || bash scripts/deps.sh bench
PORT=$((20000 + RANDOM % 40000))
"$BUILD/bin/mirage-freeze" -q configs/website.cfg -o "$TMP/website" \
	--set devices.http.port=$PORT --set devices.main.access_log=false
reqs() { # reqs COMMAND...: the server's req/s under wrk
	"$@" >/dev/null 2>&1 &
	local pid=$! n
	for _ in $(seq 100); do curl -s -o /dev/null "http://127.0.0.1:$PORT/" && break; sleep 0.1; done
	n=$(wrk -t2 -c64 -d"${SECONDS_EACH:-5}s" "http://127.0.0.1:$PORT/files/1k.txt" | awk '/Requests\/sec/ { print $2 }')
	kill $pid
	wait $pid 2>/dev/null
	echo "$n"
}
hosted=() frozen=()
for _ in 1 2; do
	hosted+=("$(reqs "$BUILD/bin/mirage-host" configs/website.cfg --set devices.http.port=$PORT \
		--set devices.main.access_log=false)")
	frozen+=("$(reqs "$TMP/website")")
done
best() { printf '%s\n' "$@" | sort -n | tail -1; }
h=$(best "${hosted[@]}") f=$(best "${frozen[@]}")
echo "website, 1 KiB file, wrk -t2 -c64 (best of 2 runs each):"
printf '  hosted  %8.0f req/s\n  frozen  %8.0f req/s\n  ratio frozen/hosted: %s\n' "$h" "$f" \
	"$(awk -v h="$h" -v f="$f" 'BEGIN { printf "%.2fx", f / h }')"
