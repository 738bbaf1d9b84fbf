#!/usr/bin/env bash
# tests/fuzz/run.sh - runs one libFuzzer target (from tests/fuzz/fuzz.mk).
# Usage: run.sh check|fuzz SECONDS BINARY SEED_DIR...
#   check: the seeds plus SECONDS of fresh inputs, from an empty scratch
#          corpus each time (make test)
#   fuzz:  SECONDS of fresh inputs into $BUILD/fuzz/corpus/NAME, which
#          keeps what it found for the next run (make fuzz)
# FUZZ_FLAGS: more libFuzzer options for this target.
# Prints libFuzzer's figures; a crash is kept in $BUILD/fuzz/crashes/NAME/
# and printed as the command that reproduces it.
. tests/tap.sh
mode=$1 secs=$2 bin=$3
shift 3
name=$(basename "$bin")
top=${BUILD:-build}/fuzz
work=$top/corpus/$name
[ "$mode" = check ] && work=$top/check/$name && rm -rf "$work"
crashes=$top/crashes/$name
log=$top/$name.log
mkdir -p "$work" "$crashes"
seeds=()
for d in "$@"; do [ -d "$d" ] && seeds+=("$d"); done

start=$SECONDS
# shellcheck disable=SC2086 # FUZZ_FLAGS is a list of options
LSAN_OPTIONS=suppressions=tests/fuzz/lsan.supp${LSAN_OPTIONS:+:$LSAN_OPTIONS} \
	"$bin" -max_total_time="$secs" -timeout=10 -rss_limit_mb=2048 -print_final_stats=1 \
	-artifact_prefix="$crashes/" $FUZZ_FLAGS "$work" "${seeds[@]}" >"$log" 2>&1
rc=$?
execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log")
cov=$(grep -E '^#[0-9]+' "$log" | tail -n 1 | grep -oE 'cov: [0-9]+ ft: [0-9]+')
figures="${execs:-0} execs, ${cov:-no coverage line} in $((SECONDS - start)) s"
if [ $rc = 0 ]; then
	ok "$name: $figures"
else
	mapfile -t found < <(sed -n 's/.*Test unit written to //p' "$log")
	details=("$figures, libFuzzer status $rc; log: $log")
	details+=("$(grep -m 3 -E 'ERROR: |runtime error|broken:|SUMMARY' "$log")")
	for f in "${found[@]}"; do details+=("reproduce: $bin $f"); done
	not_ok "$name" "${details[@]}"
fi
finish >/dev/null
