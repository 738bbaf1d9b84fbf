#!/usr/bin/env bash
# kvro.dir's cache never serves a changed file stale: the website over a
# folder of its own, each file fetched (so cached), changed on disk in one
# way or another, and fetched again on the next request, which must give
# the new bytes and a new ETag.  The changes keep what a stat-only check
# would miss: the same size and the same mtime, to the nanosecond.  Then
# the cache's bound: with cache=4, fetching many files keeps at most a few
# descriptors open.  Prints "ok"/"not ok" per check, "N passed, N failed".
set -u
cd "$(dirname "$0")/../.." || exit 1
BUILD=${BUILD:-build}
HOST=$PWD/$BUILD/bin/mirage-host
TMP=$(mktemp -d)
SITE=$TMP/site
# shellcheck source=tests/e2e/website.sh
. tests/e2e/website.sh
trap 'stop_server; rm -rf "$TMP"' EXIT
mkdir -p "$SITE/sub" "$SITE/many"
SERVER_ARGS=(--set devices.fs.root="$SITE" --set devices.main.access_log=false
	     --set devices.fs.cache=4)

# put FILE TEXT: FILE holds TEXT and the same mtime as before (if it was)
put() {
	[ -e "$1" ] && touch -r "$1" "$TMP/stamp"
	printf '%s' "$2" >"$1"
	[ -e "$TMP/stamp" ] && touch -r "$TMP/stamp" "$1"
	rm -f "$TMP/stamp"
}
etag() { curl -sI "$(URL "$1")" | tr -d '\r' | sed -n 's/^ETag: //p'; }
body() { curl -s "$(URL "$1")"; }

# fresh NAME PATH NEW: after the change, PATH serves NEW with a new ETag
# ($before holds the old one)
fresh() {
	local got now
	got=$(body "$2")
	now=$(etag "$2")
	if [ "$got" = "$3" ] && [ -n "$now" ] && [ "$now" != "$before" ]; then
		ok "$1"
	else
		not_ok "$1" "body: '$got' (want '$3'), ETag: $before -> $now"
	fi
}
# cached PATH: fetched twice (the second from the cache); sets before
cached() { body "$1" >/dev/null; body "$1" >/dev/null; before=$(etag "$1"); }

put "$SITE/a.txt" "version 1"
put "$SITE/b.txt" "bravo 1"
put "$SITE/sub/c.txt" "charlie 1"
if ! start_server configs/website.cfg; then
	not_ok "the website over a folder of the test's starts"
	finish
	exit 1
fi
ok "the website over a folder of the test's starts"

cached /a.txt
check "a cached file is served" [ "$(body /a.txt)" = "version 1" ]
mtime=$(stat -c %y "$SITE/a.txt")
put "$SITE/a.txt" "version 2"
check "rewritten in place: the same mtime" [ "$(stat -c %y "$SITE/a.txt")" = "$mtime" ]
fresh "rewritten in place, same size and mtime: new bytes, new ETag" /a.txt "version 2"

cached /a.txt
printf 'version 3' >"$TMP/new"
touch -r "$SITE/a.txt" "$TMP/new"
mv "$TMP/new" "$SITE/a.txt"
fresh "renamed over, same size and mtime: new bytes, new ETag" /a.txt "version 3"

cached /a.txt
printf 'v4' >"$SITE/a.txt"
fresh "truncated: the shorter file" /a.txt "v4"

cached /b.txt
rm "$SITE/b.txt"
check "deleted: 404" [ "$(curl -s -o /dev/null -w '%{http_code}' "$(URL /b.txt)")" = 404 ]
put "$SITE/b.txt" "bravo 2"
before=none
fresh "created again: served" /b.txt "bravo 2"

cached /sub/c.txt
mv "$SITE/sub" "$SITE/old"
mkdir "$SITE/sub"
printf 'charlie 2' >"$SITE/sub/c.txt"
touch -r "$SITE/old/c.txt" "$SITE/sub/c.txt"
fresh "its folder renamed and replaced: the new folder's file" /sub/c.txt "charlie 2"

cached /sub/c.txt
chmod 000 "$SITE/sub/c.txt"
if [ "$(id -u)" = 0 ]; then
	skip "made unreadable: refused" "root reads it anyway"
else
	check "made unreadable: refused" [ "$(curl -s -o /dev/null -w '%{http_code}' "$(URL /sub/c.txt)")" != 200 ]
fi
chmod 644 "$SITE/sub/c.txt"

# The bound: 40 files, each fetched twice; cache=4 keeps about 4 open.
for i in $(seq 40); do printf 'file %d' "$i" >"$SITE/many/$i.txt"; done
fds_before=$(ls "/proc/$SERVER/fd" | wc -l)
bad=0
for i in $(seq 40); do
	[ "$(body "/many/$i.txt")" = "file $i" ] || bad=$((bad + 1))
	[ "$(body "/many/$i.txt")" = "file $i" ] || bad=$((bad + 1))
done
fds_after=$(ls "/proc/$SERVER/fd" | wc -l)
check "40 files through a cache of 4: every body right" [ "$bad" = 0 ]
check "40 files through a cache of 4: at most 4 more descriptors ($fds_before -> $fds_after)" \
	[ "$fds_after" -le $((fds_before + 4)) ]

stop_server
check "the server exits cleanly" [ "$SERVER_RC" = 0 ]
finish
