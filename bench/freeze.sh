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
