#!/usr/bin/env bash
# Regression tests of the website under hostile clients (issue 14, the HTTP
# defects): each check failed before its fix.  tests/attack.py plays the
# clients.  Asserts on outcomes, never on timing.
set -u
cd "$(dirname "$0")/.." || exit 1
BUILD=${BUILD:-build}
SAN=${SAN:-}
HOST=$PWD/$BUILD/bin/mirage-host
TMP=$(mktemp -d)
# shellcheck source=tests/website.sh
. tests/website.sh
trap 'stop_server; rm -rf "$TMP"' EXIT
attack() { timeout 60 python3 tests/attack.py "$@"; }

# A site of its own: files the tests change under the server.
ROOT=$TMP/root
mkdir -p "$ROOT"
cp -r apps/website/htdocs/. "$ROOT/"
BASE_ARGS=(--set "devices.fs.root=$ROOT")

# serve [--set ...]: (re)starts the site with extra arguments
serve() {
	stop_server
	SERVER_ARGS=("${BASE_ARGS[@]}" "$@")
	start_server configs/website.cfg || { not_ok "the site starts with $*"; return 1; }
}
alive() { kill -0 "$SERVER" 2>/dev/null && [ "$(curl -s -o /dev/null -w '%{http_code}' "$(URL /)")" = 200 ]; }

# ---- defect 1: a streamed body that fails mid-way ----------------------------
if serve; then
	head -c 8388608 /dev/zero >"$ROOT/big.bin"
	out=$(attack slowread "$PORT" /big.bin "$ROOT/big.bin")
	check "a download whose file is truncated is cut short ($out)" [ "${out#read }" -lt 8388608 ]
	check "the server survives a body that fails mid-download" alive
	check "the failure is logged" grep -q 'GET /big.bin: the body failed' "$TMP/server.err"
fi

# ---- defect 3: header injection through a decoded path -------------------------
if serve; then
	mkdir -p "$ROOT/crlf"$'\r\n''Set-Cookie: pwned=1'
	exec 3<>"/dev/tcp/127.0.0.1/$PORT"
	printf 'GET /crlf%%0d%%0aSet-Cookie:%%20pwned=1 HTTP/1.1\r\nHost: t\r\n\r\n' >&3
	out=$(timeout 5 cat <&3 | tr -d '\r')
	exec 3<&-
	check "a decoded CR LF in the path gets 400" grep -q '^HTTP/1.1 400 ' <<<"$out"
	check "and injects no header" bash -c "! grep -qi '^Set-Cookie' <<<'$out'"
fi

finish
