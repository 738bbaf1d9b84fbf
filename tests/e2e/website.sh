# shellcheck shell=bash disable=SC2034 # SERVER_RC is the sourcing script's
# tests/e2e/website.sh - sourced by the scripts that test a running website
# (http.sh, swap.sh, freeze.sh): tap.sh's lines and one server on a port.
# Expects HOST and TMP; sets PORT, SERVER and, once stopped, SERVER_RC.
# SERVER_ARGS (an array) holds the host arguments a script adds.
. tests/tap.sh
SERVER=""

stop_server() {
	if [ -n "$SERVER" ]; then
		kill -TERM "$SERVER" 2>/dev/null
		wait "$SERVER" 2>/dev/null
		SERVER_RC=$?
		SERVER=""
	fi
}

# await_server COMMAND...: runs it in the background (SERVER) and waits
# until PORT answers; fails when it exits first or never answers.
await_server() {
	"$@" >"$TMP/server.out" 2>"$TMP/server.err" &
	SERVER=$!
	for _ in $(seq 100); do
		curl -s -o /dev/null "http://127.0.0.1:$PORT/" && return 0
		kill -0 "$SERVER" 2>/dev/null || return 1
		sleep 0.1
	done
	return 1
}

# serve_free_port CMD...: runs CMD... --set devices.http.port=PORT in the
# background on a free port (PORT) until it answers; retries another port
# when one is taken.
serve_free_port() {
	for _ in 1 2 3 4 5 6 7 8; do
		PORT=$((20000 + RANDOM % 40000))
		await_server "$@" --set devices.http.port=$PORT && return 0
		stop_server
		grep -q "Address already in use" "$TMP/server.err" || break
	done
	return 1
}

# start_server CONFIG [PREFIX...]: serve_free_port [PREFIX...] mirage-host
# CONFIG SERVER_ARGS...
start_server() {
	local cfg=$1
	shift
	serve_free_port "$@" "$HOST" "$cfg" "${SERVER_ARGS[@]}" && return 0
	echo "cannot start $cfg: $(cat "$TMP/server.err")" >&2
	return 1
}

URL() { echo "http://127.0.0.1:$PORT$1"; }
