# shellcheck shell=bash disable=SC2034 # the counters are the sourcing script's
# tests/tap.sh - sourced by every test script: "ok"/"not ok" lines and the
# closing "N passed, N failed" that CI reads.
passed=0 failed=0

ok() { passed=$((passed + 1)); echo "ok - $1"; }
# not_ok NAME [DETAIL...]: each detail line indented under the name
not_ok() {
	failed=$((failed + 1))
	echo "not ok - $1"
	shift
	[ $# = 0 ] || printf '%s\n' "$@" | sed 's/^/    /'
}
skip() { echo "skip - $1: $2"; }
# check NAME COMMAND...: passes when COMMAND succeeds
check() { local name=$1; shift; if "$@"; then ok "$name"; else not_ok "$name" "failed: $*"; fi; }
# finish: the closing line; succeeds when nothing failed
finish() { echo "$passed passed, $failed failed"; [ "$failed" = 0 ]; }
