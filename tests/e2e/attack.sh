#!/usr/bin/env bash
# Attacks on the running website, each class with its expectation (issue
# 14): slowloris, fd exhaustion, pipelining floods, request smuggling,
# traversal and range abuse.  tests/e2e/attack.py plays the clients; every
# attack is bounded in count and time.  Asserts on outcomes, never on timing.
set -u
cd "$(dirname "$0")/../.." || exit 1
BUILD=${BUILD:-build}
SAN=${SAN:-}
HOST=$PWD/$BUILD/bin/mirage-host
TMP=$(mktemp -d)
# shellcheck source=tests/e2e/website.sh
. tests/e2e/website.sh
trap 'stop_server; rm -rf "$TMP"' EXIT
# shellcheck source=tests/e2e/hostile-site.sh
. tests/e2e/hostile-site.sh
# and a secret beside the site
echo CANARY-SECRET >"$TMP/secret.txt"
# small timeouts keep the slow attacks short
BASE_ARGS=(--set "devices.fs.root=$ROOT" --set devices.http.header_timeout_ms=1000
	   --set devices.http.idle_timeout_ms=3000)

# serve [PREFIX...] [-- --set ...]: (re)starts the site
serve() {
	local prefix=()
	while [ $# -gt 0 ] && [ "$1" != -- ]; do prefix+=("$1"); shift; done
	[ $# -gt 0 ] && shift
	stop_server
	[ ! -e "$TMP/server.err" ] || cat "$TMP/server.err" >>"$TMP/all.err"
	SERVER_ARGS=("${BASE_ARGS[@]}" "$@")
	start_server configs/website.cfg "${prefix[@]}" || { not_ok "the site starts with $*"; return 1; }
}
alive() { kill -0 "$SERVER" 2>/dev/null && [ "$(curl -s -o /dev/null -w '%{http_code}' "$(URL /)")" = 200 ]; }
status() { local p=$1; shift; curl -s -o /dev/null -w '%{http_code}' --path-as-is "$@" "$(URL "$p")"; }

serve || { finish; exit 1; }

# ---- slowloris: heads sent a byte at a time ----------------------------------------
out=$(attack slowloris "$PORT" 200 8)
check "slowloris: 200 slow heads, another client is served meanwhile ($out)" \
	[ "${out%% *}" = served ]
check "slowloris: all 200 are closed after header_timeout" [ "${out#* closed }" = "200 of 200" ]
check "slowloris: the server serves after" alive

# ---- pipelining flood: requests sent, responses never read -----------------------
out=$(attack flood "$PORT" "$SERVER" 20 10000)
read -r _ grew served <<<"$out"
check "flood: 20 x 10000 unread pipelined requests, another client is served" [ "$served" = served ]
if [ -z "$SAN" ]; then
	check "flood: the server's RSS grows by less than 64 MiB ($grew MiB)" [ "$grew" -lt 64 ]
fi
check "flood: the server serves after" alive
check "pipelining: 2000 requests read late are all answered" \
	[ "$(attack pipeline "$PORT" 2000)" = "responses 2000" ]

# ---- request smuggling: 400 (501 for an unknown coding) and a close --------------------
# smuggle NAME EXPECTED REQUEST: queued, then sent by smuggle_all in one run
SMUGGLE_NAMES=() SMUGGLE_WANT=() SMUGGLE_REQ=()
smuggle() { SMUGGLE_NAMES+=("$1"); SMUGGLE_WANT+=("$2"); SMUGGLE_REQ+=("$3"); }
smuggle_all() {
	local i=0 line
	while read -r line; do
		check "smuggling: ${SMUGGLE_NAMES[$i]} gets ${SMUGGLE_WANT[$i]} alone, and a close ($line)" \
			[ "$line" = "${SMUGGLE_WANT[$i]} closed" ]
		i=$((i + 1))
	done < <(attack smuggle "$PORT" "${SMUGGLE_REQ[@]}")
	check "smuggling: every request answered" [ "$i" = "${#SMUGGLE_REQ[@]}" ]
}
NEXT='GET /about.html HTTP/1.1\r\nHost: t\r\n\r\n'
smuggle "Content-Length with Transfer-Encoding" 400 \
	"POST / HTTP/1.1\r\nHost: t\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n$NEXT"
smuggle "Transfer-Encoding with Content-Length" 400 \
	"POST / HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\nContent-Length: 5\r\n\r\n0\r\n\r\n$NEXT"
smuggle "two different Content-Lengths" 400 \
	"POST / HTTP/1.1\r\nHost: t\r\nContent-Length: 5\r\nContent-Length: 40\r\n\r\nhello$NEXT"
smuggle "a Content-Length list" 400 "POST / HTTP/1.1\r\nHost: t\r\nContent-Length: 5, 5\r\n\r\nhello"
smuggle "a signed Content-Length" 400 "POST / HTTP/1.1\r\nHost: t\r\nContent-Length: +5\r\n\r\nhello"
smuggle "obs-fold" 400 "GET / HTTP/1.1\r\nHost: t\r\nX-A: a\r\n b\r\n\r\n"
smuggle "obs-fold of Transfer-Encoding" 400 \
	"POST / HTTP/1.1\r\nHost: t\r\nTransfer-Encoding:\r\n chunked\r\n\r\n0\r\n\r\n"
smuggle "a bare CR in a header" 400 "GET / HTTP/1.1\r\nHost: t\r\nX-A: a\rTransfer-Encoding: chunked\r\n\r\n"
smuggle "a space before the colon" 400 "POST / HTTP/1.1\r\nHost: t\r\nTransfer-Encoding : chunked\r\n\r\n0\r\n\r\n"
smuggle "a NUL in a header" 400 "GET / HTTP/1.1\r\nHost: t\r\nX-A: a\x00b\r\n\r\n"
smuggle "an unknown transfer coding" 501 "POST / HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: xchunked\r\n\r\n0\r\n\r\n"
smuggle "chunked, then another coding" 501 \
	"POST / HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked, identity\r\n\r\n0\r\n\r\n"
smuggle "two Host headers" 400 "GET / HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n"
for size in -1 0x5 ' 5' '5 ' 'g' ''; do
	smuggle "chunk size '$size'" 400 \
		"POST / HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\n\r\n$size\r\nhello\r\n0\r\n\r\n$NEXT"
done
smuggle "a chunk size beyond 64 bits" 413 \
	"POST / HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\n\r\n10000000000000005\r\nhello\r\n0\r\n\r\n"
smuggle "chunk data longer than its size" 400 \
	"POST / HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nhello\r\n0\r\n\r\n$NEXT"
smuggle "a bare CR in a chunk extension" 400 \
	"POST / HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\n\r\n5;a\rb\r\nhello\r\n0\r\n\r\n$NEXT"
smuggle "a bare CR in a trailer" 400 \
	"POST / HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\n\r\n0\r\nX: a\rb\r\n\r\n$NEXT"
smuggle_all
check "smuggling: the server serves after" alive

# ---- traversal: never a byte from outside the root ----------------------------------
for p in '/../secret.txt' '/%2e%2e/secret.txt' '/%2E%2E/secret.txt' '/.%2e/secret.txt' \
	 '/..%2fsecret.txt' '/docs/..%2f..%2fsecret.txt' '/%2e%2e%2fsecret.txt' '/..\secret.txt' \
	 '/%252e%252e/secret.txt' '//../secret.txt' '/docs/../../secret.txt' '/secret.txt%00.html' \
	 '/about.html%00' '/x%0d%0aSet-Cookie:%20a=1' '/%0a' '/%2f%2e%2e%2fsecret.txt' \
	 "/..%c0%afsecret.txt" "/$(printf '../%.0s' {1..40})secret.txt"; do
	out=$(curl -s --path-as-is -w '\n%{http_code}' "$(URL "$p")")
	code=${out##*$'\n'}
	if [[ $code =~ ^(400|404)$ ]] && ! grep -q 'CANARY' <<<"$out"; then
		ok "traversal $p refused ($code)"
	else
		not_ok "traversal $p" "got $code: $(head -c 200 <<<"$out")"
	fi
done
ln -s ../secret.txt "$ROOT/out.txt"
ln -s "$TMP/secret.txt" "$ROOT/absout.txt"
ln -s "$TMP" "$ROOT/outdir"
for p in /out.txt /absout.txt /outdir/secret.txt; do
	check "traversal: symlink $p out of the root gets 404" [ "$(status "$p")" = 404 ]
done
out=$(attack smuggle "$PORT" 'GET http://t/../secret.txt HTTP/1.1\r\nHost: t\r\n\r\n')
check "traversal: an absolute-form target with .. is refused ($out)" [ "$out" = "400 closed" ]
check "traversal: the server serves after" alive

# ---- range abuse: 200, 206 or 416, never a crash -----------------------------------------
many=bytes=$(for i in $(seq 0 999); do printf '%d-%d,' "$i" "$i"; done)0-0
range() { # NAME EXPECTED RANGE
	check "range $1 gets $2" [ "$(status /files/1k.txt -H "Range: $3")" = "$2" ]
}
range "of 1000 parts (ignored)" 200 "$many"
range "overlapping" 200 "bytes=0-500,100-600"
range "of the whole file, twice" 200 "bytes=0-,0-"
range "beyond 64 bits" 200 "bytes=0-99999999999999999999999"
range "huge, past the end" 206 "bytes=0-9999999999"
range "starting past the end" 416 "bytes=999999999-"
range "a huge suffix" 206 "bytes=-9999999999"
range "suffix -0" 416 "bytes=-0"
range "negative start" 200 "bytes=-5-10"
range "reversed" 200 "bytes=10-5"
range "of another unit" 200 "items=0-5"
range "empty" 200 "bytes="
range "garbage" 200 "bytes=a-b"
check "range: the server serves after" alive

# ---- fd exhaustion -------------------------------------------------------------------
# More clients than max_connections: they wait, the server lives on.
if serve -- --set devices.http.max_connections=20; then
	out=$(attack maxconn "$PORT" 20)
	check "fd exhaustion: past max_connections=20 a client waits, then is served ($out)" \
		[ "$out" = "waited served" ]
	check "fd exhaustion: the server serves after" alive
fi
# More clients than file descriptors: accept pauses, the server lives on.
# shellcheck disable=SC2016 # expanded by the inner shell
if serve bash -c 'ulimit -n 48 && exec "$0" "$@"'; then
	out=$(attack hold "$PORT" "$SERVER" 100 64 length)
	check "fd exhaustion: 100 clients with 48 descriptors, the server lives" kill -0 "$SERVER"
	check "fd exhaustion: it serves once they are gone" alive
	check "fd exhaustion: it said it paused accepting" grep -q 'pausing new connections' "$TMP/server.err"
fi

stop_server
cat "$TMP/server.err" >>"$TMP/all.err"
[ "$SAN" != 1 ] || check "no sanitizer report from any of the servers" \
	test -z "$(grep -E 'Sanitizer|runtime error' "$TMP/all.err")"
finish
