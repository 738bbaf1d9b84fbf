# shellcheck shell=bash disable=SC2034 # SERVER_RC and the counters are the sourcing script's
# tests/website.sh - sourced by the scripts that test a running website
# (http.sh, swap.sh): the ok/not ok lines and one server on a free port.
# Expects HOST and TMP; sets PORT, SERVER and, once stopped, SERVER_RC.
# SERVER_ARGS (an array) holds the host arguments a script adds.
SERVER=""
passed=0 failed=0

ok() { passed=$((passed + 1)); echo "ok - $1"; }
not_ok() { failed=$((failed + 1)); echo "not ok - $1"; shift; printf '    %s\n' "$@"; }
# check NAME COMMAND...: passes when COMMAND succeeds
check() { local name=$1; shift; if "$@"; then ok "$name"; else not_ok "$name" "failed: $*"; fi; }

stop_server() {
	if [ -n "$SERVER" ]; then
		kill -TERM "$SERVER" 2>/dev/null
		wait "$SERVER" 2>/dev/null
		SERVER_RC=$?
		SERVER=""
	fi
}

# start_server CONFIG [PREFIX...]: runs [PREFIX...] mirage-host CONFIG
# SERVER_ARGS... in the background on a free port (PORT) until it answers;
# retries another port when one is taken.
start_server() {
	local cfg=$1
	shift
	for _ in 1 2 3 4 5 6 7 8; do
		PORT=$((20000 + RANDOM % 40000))
		"$@" "$HOST" "$cfg" --set devices.http.port=$PORT "${SERVER_ARGS[@]}" \
			>"$TMP/server.out" 2>"$TMP/server.err" &
		SERVER=$!
		for _ in $(seq 100); do
			curl -s -o /dev/null "http://127.0.0.1:$PORT/" && return 0
			kill -0 "$SERVER" 2>/dev/null || break
			sleep 0.1
		done
		stop_server
		grep -q "Address already in use" "$TMP/server.err" || break
	done
	echo "cannot start $cfg: $(cat "$TMP/server.err")" >&2
	return 1
}

URL() { echo "http://127.0.0.1:$PORT$1"; }
