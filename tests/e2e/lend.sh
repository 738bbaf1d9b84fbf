#!/usr/bin/env bash
# Loans (kv_ro 1.2's borrow, http 1.3's body_lent, flow 1.1's writev): a
# body sent from the store's memory or file stays what it was when its
# response began, whatever happens meanwhile.  Slow readers (slowget.py)
# keep 1 MiB downloads in flight while fs is swapped between two sites of
# the same file names and other bytes, back and forth, and kvro.crunch
# lends its memory the same way; then a file renamed over and one
# truncated while they are being sent.  Every download must be
# byte-identical to one version, or (truncated, copied) end short with
# the first bytes right.  Prints "ok"/"not ok" per check, "N passed, N failed".
set -u
cd "$(dirname "$0")/../.." || exit 1
BUILD=${BUILD:-build}
SAN=${SAN:-}
HOST=$PWD/$BUILD/bin/mirage-host
TMP=$(mktemp -d)
SOCK=$TMP/control.sock
# shellcheck source=tests/e2e/website.sh
. tests/e2e/website.sh
# shellcheck source=tests/e2e/control.sh
. tests/e2e/control.sh
trap 'stop_server; [ -n "${KEEP:-}" ] || rm -rf "$TMP"' EXIT
for s in A B; do
	mkdir -p "$TMP/$s"
	head -c $((1 << 20)) /dev/urandom >"$TMP/$s/big.bin"
	printf 'small file of site %s\n' "$s" >"$TMP/$s/small.txt"
done
cp "$TMP/A/big.bin" "$TMP/A/renamed.bin"
cp "$TMP/A/big.bin" "$TMP/A/cut.bin"
cp "$TMP/A/big.bin" "$TMP/big-A.orig"
SERVER_ARGS=(--control "$SOCK" --set devices.fs.root="$TMP/A" --set devices.main.access_log=false)

# body FILE: the response in FILE without its head
body() { sed '1,/^\r$/d' "$1"; }
# started FILE: the first bytes are in
started() { [ -s "$1" ]; }
# one_of OUT FILE...: OUT's body is byte for byte one of the FILEs
one_of() {
	local out=$1 f
	shift
	for f; do cmp -s <(body "$out") "$f" && return 0; done
	return 1
}

if ! start_server configs/website.cfg; then
	not_ok "the website over site A starts"
	finish
	exit 1
fi
ok "the website over site A starts"

# ---- swaps of fs while 1 MiB downloads are in flight ------------------------
pids=()
for i in 1 2 3 4 5 6; do
	python3 tests/e2e/slowget.py "$PORT" /big.bin "$TMP/dl$i" &
	pids+=($!)
	eventually started "$TMP/dl$i"
	if [ $((i % 2)) = 1 ]; then
		ctl swap fs kvro.dir root="$TMP/B" >/dev/null || not_ok "swap $i to site B"
	else
		ctl swap fs kvro.dir root="$TMP/A" >/dev/null || not_ok "swap $i to site A"
	fi
done
running=0
for p in "${pids[@]}"; do kill -0 "$p" 2>/dev/null && running=$((running + 1)); done
echo "# $running of 6 downloads still running after the last swap"
wait "${pids[@]}"
bad=0
for i in 1 2 3 4 5 6; do one_of "$TMP/dl$i" "$TMP/A/big.bin" "$TMP/B/big.bin" || bad=$((bad + 1)); done
check "6 downloads across 6 swaps of fs: each byte-identical to site A's or B's file" [ "$bad" = 0 ]
check "after the swaps, site A's small file (kept in memory) is served" \
	[ "$(curl -s "$(URL /small.txt)")" = "small file of site A" ]

# the same with kvro.crunch (memory of its own) taking turns with kvro.dir
mkdir -p "$TMP/C/files"
cp "$TMP/B/big.bin" "$TMP/C/files/1m.txt"
ctl swap fs kvro.crunch.htdocs >/dev/null
python3 tests/e2e/slowget.py "$PORT" /files/1m.txt "$TMP/dlc" &
pid=$!
eventually started "$TMP/dlc"
ctl swap fs kvro.dir root="$TMP/C" >/dev/null
python3 tests/e2e/slowget.py "$PORT" /files/1m.txt "$TMP/dld" &
pid2=$!
eventually started "$TMP/dld"
ctl swap fs kvro.crunch.htdocs >/dev/null
wait "$pid" "$pid2"
check "a download lent by kvro.crunch across a swap to kvro.dir: intact" \
	one_of "$TMP/dlc" apps/website/htdocs/files/1m.txt
check "a download lent by kvro.dir across a swap to kvro.crunch: intact" \
	one_of "$TMP/dld" "$TMP/C/files/1m.txt"
ctl swap fs kvro.dir root="$TMP/A" >/dev/null

# ---- the file changes on disk while it is lent ---------------------------------
python3 tests/e2e/slowget.py "$PORT" /renamed.bin "$TMP/dlr" &
pid=$!
eventually started "$TMP/dlr"
head -c $((1 << 20)) /dev/urandom >"$TMP/new.bin"
mv "$TMP/new.bin" "$TMP/A/renamed.bin"
wait "$pid"
check "renamed over while being sent: the download is the old file, whole" \
	one_of "$TMP/dlr" "$TMP/big-A.orig"
check "and the next request gets the new one" \
	cmp -s <(curl -s "$(URL /renamed.bin)") "$TMP/A/renamed.bin"

# truncated in place: sendfile sends pages the kernel holds, whose tail a
# truncation zeroes, so kvro.dir with lend_files=false copies instead and
# every byte that came must be the file's (all of it, when the server had
# copied it all before the truncation, else fewer)
# cut FILE OUT: OUT is a slow download of /FILE, truncated meanwhile
cut() {
	local pid
	python3 tests/e2e/slowget.py "$PORT" "/$1" "$2" &
	pid=$!
	eventually started "$2"
	truncate -s 300000 "$TMP/A/$1"
	wait "$pid"
}
ctl swap fs kvro.dir root="$TMP/A" lend_files=false >/dev/null
cut cut.bin "$TMP/dlt"
n=$(body "$TMP/dlt" | wc -c)
check "lend_files=false, truncated while being sent: every byte that came ($n) is the file's" \
	cmp -s <(body "$TMP/dlt") <(head -c "$n" "$TMP/big-A.orig")
ctl swap fs kvro.dir root="$TMP/A" >/dev/null
cp "$TMP/big-A.orig" "$TMP/A/cut2.bin"
cut cut2.bin "$TMP/dlt2"
n=$(body "$TMP/dlt2" | wc -c)
check "lend_files=true, truncated while being sent: no more bytes than the file had ($n)" \
	[ "$n" -le $((1 << 20)) ]

# ---- the close ----------------------------------------------------------------
# A client said its request was the last, yet sent more while its 16 MiB
# answer was still going out (more than the kernel takes at once): the
# close waits for those bytes to be read, since a close with input unread
# resets the connection and drops what the kernel had not sent yet.
head -c $((16 << 20)) /dev/urandom >"$TMP/A/huge.bin"
python3 tests/e2e/slowget.py "$PORT" /huge.bin "$TMP/late" 'GET /small.txt HTTP/1.1\r\nHost: t\r\n\r\n'
check "bytes sent after a Connection: close request: the 16 MiB answer still arrives whole" \
	cmp -s <(body "$TMP/late") "$TMP/A/huge.bin"
check "the server serves on" [ "$(curl -s "$(URL /small.txt)")" = "small file of site A" ]

stop_server
check "the host exits 0 on SIGTERM" [ "$SERVER_RC" = 0 ]
check "no device left memory, timers or watches behind" \
	test -z "$(grep -E 'left [0-9]+ (bytes|timers)' "$TMP/server.err")"
[ "$SAN" != 1 ] || check "no sanitizer report" \
	test -z "$(grep -E 'Sanitizer|runtime error' "$TMP/server.err")"
finish
