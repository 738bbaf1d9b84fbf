#!/usr/bin/env bash
# The website with its data on a disk: kvro.tar over block.file
# (configs/website-disk.cfg) answers as kvro.dir does; a hundred
# concurrent downloads of the 1 MiB member, read at once from the page
# cache and again with every read through io_uring (cached_reads=false);
# a slow disk (the slowdisk fixture) does not stall other connections;
# malformed archives are refused with the member's offset and name, or
# served with a warning; a 10,000-member archive is indexed whole; a bad
# disk image path is a connect error naming it; kvro.tar swapped between
# two disk images under load loses no request, both ways of reading; slow
# downloads lent from the disk (block 1.3) stay intact across swaps of it.
# Prints "ok"/"not ok" per check and "N passed, N failed" last.  Asserts
# on outcomes only, never on timing.
set -u
cd "$(dirname "$0")/../.." || exit 1
BUILD=${BUILD:-build}
SAN=${SAN:-}
HOST=$PWD/$BUILD/bin/mirage-host
ROOT=$PWD/apps/website/htdocs
TAR=$PWD/$BUILD/site.tar
TMP=$(mktemp -d)
SOCK=$TMP/control.sock
# shellcheck source=tests/e2e/website.sh
. tests/e2e/website.sh
trap 'stop_server; rm -rf "$TMP"' EXIT
# shellcheck source=tests/e2e/control.sh
. tests/e2e/control.sh
SERVER_ARGS=(--set devices.main.access_log=false)

# ---- the same answers as kvro.dir ----------------------------------------------
# survey: for every path, what a client sees: status, type, length, range
# headers, the body's hash; and what the ETag does (304 for itself, If-Range).
paths=(/ /docs /docs/ /nope /img/ /index.html/x /.hidden)
while IFS= read -r f; do paths+=("/${f#./}"); done < <(cd "$ROOT" && find . -type f | sort)
survey() {
	local p h etag
	for p in "${paths[@]}"; do
		h=$(curl -s -D - -o "$TMP/body" "$(URL "$p")" | tr -d '\r')
		echo "$p $(head -1 <<<"$h") $(grep -iE '^(content-type|content-length|location|accept-ranges):' <<<"$h" | sort | xargs) $(md5sum <"$TMP/body" | cut -c1-32)"
		etag=$(sed -n 's/^ETag: //p' <<<"$h")
		[ -n "$etag" ] || continue
		echo "  304: $(curl -s -o /dev/null -w '%{http_code} %{size_download}' -H "If-None-Match: $etag" "$(URL "$p")")"
		echo "  range 1-3: $(curl -s -r 1-3 -D - "$(URL "$p")" | tr -d '\r' | grep -E '^(HTTP|Content-Range|Content-Length)' | xargs)"
		echo "  suffix -7: $(curl -s -r -7 "$(URL "$p")" | md5sum | cut -c1-32)"
		echo "  416: $(curl -s -o /dev/null -w '%{http_code}' -r 99999999- "$(URL "$p")")"
		echo "  If-Range own: $(curl -s -o /dev/null -w '%{http_code}' -r 0-0 -H "If-Range: $etag" "$(URL "$p")")"
		echo "  If-Range other: $(curl -s -o /dev/null -w '%{http_code}' -r 0-0 -H 'If-Range: "x"' "$(URL "$p")")"
		echo "  HEAD: $(curl -s -I "$(URL "$p")" | tr -d '\r' | grep -iE '^(HTTP|content-length)' | xargs)"
	done
}
if start_server configs/website.cfg; then
	survey >"$TMP/dir.survey"
	stop_server
else
	not_ok "website.cfg starts"
fi
if ! start_server configs/website-disk.cfg env SITE_TAR="$TAR"; then
	not_ok "website-disk.cfg starts" "$(cat "$TMP/server.err")"
	finish
	exit 1
fi
ok "website-disk.cfg starts (kvro.tar over block.file over $BUILD/site.tar)"
survey >"$TMP/disk.survey"
check "statuses, headers, bytes, ETag and range answers are kvro.dir's for every file" \
	diff "$TMP/dir.survey" "$TMP/disk.survey"
check "the survey saw the 1 MiB file and a 304" \
	bash -c 'grep -q "^/files/1m.txt HTTP/1.1 200" "$1" && grep -q "304: 304 0" "$1"' _ "$TMP/disk.survey"

# ---- a hundred concurrent downloads -----------------------------------------------
# downloads WHAT: a hundred at once of the 1 MiB member, every byte checked
downloads() {
	local pids=() bad=0 i
	for i in $(seq 100); do
		curl -s --max-time 60 -o "$TMP/dl.$i" "$(URL /files/1m.txt)" &
		pids+=($!)
	done
	wait "${pids[@]}"
	for i in $(seq 100); do cmp -s "$TMP/dl.$i" "$ROOT/files/1m.txt" || bad=$((bad + 1)); done
	check "100 concurrent downloads of the 1 MiB member are intact, $1 ($bad differ)" test $bad = 0
	rm -f "$TMP"/dl.*
}
downloads "read at once from the page cache"
stop_server
check "the disk site stops cleanly" [ "$SERVER_RC" = 0 ]
check "no device left memory, timers or watches behind" \
	test -z "$(grep -E 'left [0-9]+ (bytes|timers|fd)' "$TMP/server.err")"
# the same with every read through io_uring and the loop's completions
SERVER_ARGS+=(--set devices.disk.cached_reads=false)
if start_server configs/website-disk.cfg env SITE_TAR="$TAR"; then
	downloads "every read through io_uring (cached_reads=false)"
	stop_server
	check "no device left memory, timers or watches behind (cached_reads=false)" \
		test -z "$(grep -E 'left [0-9]+ (bytes|timers|fd)' "$TMP/server.err")"
else
	not_ok "website-disk.cfg starts with cached_reads=false" "$(cat "$TMP/server.err")"
fi
SERVER_ARGS=(--set devices.main.access_log=false)

# ---- a slow disk --------------------------------------------------------------------
# every read of the disk takes 500 ms: the 1 MiB download needs 16 of them
# (it streams for seconds), while a 404, a HEAD, a 304 and a small file
# (one read) are answered meanwhile: the download is still going on when
# they are all done.
sed -e "s|\"../build/plugins\"|\"$PWD/$BUILD/plugins\", \"$PWD/$BUILD/tests/fixtures\"|" \
	-e "s|impl = \"block.file\"; path = \"[^\"]*\"|impl = \"slowdisk\"; path = \"$TAR\"; delay_ms = 500|" \
	configs/website-disk.cfg >"$TMP/slow.cfg"
if start_server "$TMP/slow.cfg"; then
	curl -s --max-time 60 -o "$TMP/slow.1m" "$(URL /files/1m.txt)" &
	slow=$!
	etag=$(curl -sI "$(URL /about.html)" | tr -d '\r' | sed -n 's/^ETag: //p')
	quick=$(curl -s -o /dev/null -w '%{http_code} ' "$(URL /nope)"
		curl -s -o /dev/null -w '%{http_code} ' -I "$(URL /files/1k.txt)"
		curl -s -o /dev/null -w '%{http_code} ' -H "If-None-Match: $etag" "$(URL /about.html)"
		curl -s -o "$TMP/slow.about" -w '%{http_code}' "$(URL /about.html)")
	if kill -0 $slow 2>/dev/null; then still=yes; else still=no; fi
	check "a 404, a HEAD, a 304 and a small file are answered ($quick) while a slow download goes on ($still)" \
		test "$quick $still" = "404 200 304 200 yes"
	check "the small file is intact" cmp -s "$TMP/slow.about" "$ROOT/about.html"
	wait $slow
	check "the slow download completes intact" cmp -s "$TMP/slow.1m" "$ROOT/files/1m.txt"
	stop_server
	check "the slow-disk site stops cleanly" [ "$SERVER_RC" = 0 ]
else
	not_ok "the website over the slow disk starts" "$(cat "$TMP/server.err")"
fi

# ---- a store whose queue is full ---------------------------------------------------
# kvbusy (a fixture) answers two reads of three -EAGAIN and keeps nothing
# in flight then: the website asks again from a timer, and the 1 MiB value
# (4 reads of 256 KiB) arrives whole.
sed -e "s|\"../build/plugins\"|\"$PWD/$BUILD/plugins\", \"$PWD/$BUILD/tests/fixtures\"|" \
	-e '/^  disk /d' -e 's|impl = "kvro.tar"|impl = "kvbusy"|' configs/website-disk.cfg >"$TMP/busy.cfg"
if start_server "$TMP/busy.cfg"; then
	curl -s --max-time 30 -o "$TMP/busy.out" "$(URL /big)"
	check "a store's full queue (-EAGAIN) delays a download and loses none of it" \
		cmp -s "$TMP/busy.out" <(python3 -c 'import sys; sys.stdout.write("".join(chr(97 + i % 26) for i in range(1 << 20)))')
	stop_server
else
	not_ok "the website over kvbusy starts" "$(cat "$TMP/server.err")"
fi

# ---- malformed archives -------------------------------------------------------------
cat >"$TMP/kv.cfg" <<EOF
name = "kvdisk";
plugin_path = [ "$PWD/$BUILD/plugins" ];
devices = {
  console = { impl = "console.unix"; };
  disk = { impl = "block.file"; path = "$TMP/good.tar"; };
  fs = { impl = "kvro.tar"; };
  main = { impl = "kvcat"; deps = { fs = "fs"; }; };
};
EOF
# kvcat CASE: runs kvcat over the case's archive; its status, and what it printed
kvcat() {
	python3 tests/e2e/mktar.py "$1" "$TMP/$1.tar" &&
		"$HOST" "$TMP/kv.cfg" --set devices.disk.path="$TMP/$1.tar" >"$TMP/$1.out" 2>"$TMP/$1.err"
}
refused() { # CASE MESSAGE
	kvcat "$1"; local rc=$?
	if [ $rc = 1 ] && grep -qF "fs: archive member at offset $2" "$TMP/$1.err" &&
		grep -q "connect failed" "$TMP/$1.err" && ! grep -q "kvcat:" "$TMP/$1.out"; then
		ok "$1: refused at connect, naming the member ($2)"
	else
		not_ok "$1: refused at connect, naming the member" "rc=$rc" "$(cat "$TMP/$1.err")"
	fi
}
refused checksum "1536 (./bad.txt): bad header checksum (stored"
refused truncated "1536 (./big.bin): truncated: its 2000 bytes end at 4048, past the disk's end at 2560"
refused pastdisk "1536 (./huge.bin): its size, 8589934591 bytes, is past the disk's 3072"
refused dotdot "1536 (./docs/../../etc/passwd): its name has a \"..\" segment"
refused absolute "1536 (/etc/passwd): its name is absolute"
refused emptyseg "1536 (./docs//x.html): its name has an empty or \".\" segment"
refused dotseg "1536 (./docs/./x.html): its name has an empty or \".\" segment"
refused underfile "1536 (a.txt/inner): it is inside a.txt, which is a file"
refused nomagic "1536 (./m.txt): not a ustar or GNU tar header (no \"ustar\" magic)"
refused badsize "1536 (./s.txt): its size or mtime field is no number"
refused danglinglong "1536 (./deep/xxx"
check "danglinglong: the message says a long name has no member after it" \
	grep -q "): a long name with no member after it" "$TMP/danglinglong.err"
kvcat good
check "good: an archive of a folder and a file is served" \
	bash -c 'grep -q "^kvcat: 1 files" "$0/good.out" && grep -q "^alpha$" "$0/good.out"' "$TMP"
check "good: its connect time and longest step are logged (-v)" \
	bash -c '"$1" "$0/kv.cfg" -v 2>&1 >/dev/null | grep -Eq "fs: 2 entries indexed in [0-9.]+ ms \(1 reads, [0-9]+ steps; longest step [0-9.]+ ms\)"' "$TMP" "$HOST"
# the index of a big archive is finished over many loop steps, each
# resumed where the last stopped: every member is there, in order
python3 tests/e2e/mktar.py many 10000 "$TMP/many.tar"
"$HOST" "$TMP/kv.cfg" -v --set devices.disk.path="$TMP/many.tar" >"$TMP/many.out" 2>"$TMP/many.err"
for i in $(seq 0 9999); do printf 'd%02d/f%05d.txt %d\n' $((i % 100)) "$i" $((${#i} + 1)); done |
	LC_ALL=C sort >"$TMP/many.want"
grep -E '^d[0-9]{2}/f[0-9]{5}\.txt [0-9]+$' "$TMP/many.out" >"$TMP/many.got"
check "many: a 10,000-member archive in 100 folders lists every member, in order, with its size" \
	bash -c 'cmp -s "$0/many.want" "$0/many.got" && grep -q "^kvcat: 10000 files" "$0/many.out" &&
		grep -q "fs: 10101 entries indexed" "$0/many.err"' "$TMP"
kvcat noend; rc=$?
check "noend: an archive without end-of-archive blocks is served, with a warning" \
	bash -c '[ $0 = 0 ] && grep -q "^kvcat: 1 files" "$1/noend.out" &&
		grep -q "fs: the archive has no end-of-archive blocks; it ends with the disk" "$1/noend.err"' $rc "$TMP"
kvcat longname
check "longname: a GNU long name (over 100 bytes) is the member's key" \
	grep -q "^deep/x\{120\}/y\{60\}\.txt 12$" "$TMP/longname.out"
kvcat skips; rc=$?
check "skips: a symlink and a fifo are skipped with a warning, the files served" \
	bash -c '[ $0 = 0 ] && grep -q "offset 1536 (./link): type .2. is not a file or a folder; skipped" "$1/skips.err" &&
		grep -q "(./fifo): type .6." "$1/skips.err" && grep -q "^kvcat: 3 files" "$1/skips.out" &&
		! grep -q "^link" "$1/skips.out"' $rc "$TMP"
check "skips: a lone zero block is skipped with a warning" grep -q "a lone zero block at offset" "$TMP/skips.err"
: >"$TMP/empty.tar"
check "an empty disk is an empty archive" \
	bash -c '"$1" "$0/kv.cfg" --set devices.disk.path="$0/empty.tar" | grep -q "^kvcat: 0 files"' "$TMP" "$HOST"
out=$("$HOST" "$TMP/kv.cfg" --set devices.disk.path="$TMP/missing.tar" 2>&1); rc=$?
check "a missing disk image: exit 1, the error names the path" \
	bash -c '[ $0 = 1 ] && grep -q "disk: cannot open disk image $1/missing.tar: No such file or directory" <<<"$2"' $rc "$TMP" "$out"
out=$("$HOST" "$TMP/kv.cfg" --set devices.disk.path="$TMP" 2>&1); rc=$?
check "a folder as the disk image: exit 1, the error names the path" \
	bash -c '[ $0 = 1 ] && grep -q "disk: disk image $1: not a file or a block device" <<<"$2"' $rc "$TMP" "$out"

# ---- hot swap between two disk images under load ---------------------------------------
# two images, about.html differing; 1000 requests of four keep-alive clients
# and 20 downloads of the 1 MiB member run while fs is swapped six times
# between them
mkdir -p "$TMP/site2"
cp -r "$ROOT/." "$TMP/site2/"
echo "<p>the second disk</p>" >>"$TMP/site2/about.html"
tar --format=ustar -cf "$TMP/site2.tar" -C "$TMP/site2" .
sed -e "s|\"../build/plugins\"|\"$PWD/$BUILD/plugins\"|" \
	-e "s|  disk    = { impl = \"block.file\"; path = \"[^\"]*\"; };|  disk_a = { impl = \"block.file\"; path = \"$TAR\"; };\n  disk_b = { impl = \"block.file\"; path = \"$TMP/site2.tar\"; };|" \
	-e "s|  fs      = { impl = \"kvro.tar\"; };|  fs = { impl = \"kvro.tar\"; deps = { disk = \"disk_a\"; }; };|" \
	configs/website-disk.cfg >"$TMP/swap.cfg"
# swap_under_load HOW [ARGS...]: the site started with ARGS, the checks named with HOW
swap_under_load() {
	local how=$1 urls=() pids=() swaps=0 bad=0 n200 i d
	shift
	SERVER_ARGS=(--control "$SOCK" --set devices.main.access_log=false "$@")
	if ! start_server "$TMP/swap.cfg"; then
		not_ok "the two-disk site starts ($how)" "$(cat "$TMP/server.err")"
		return
	fi
	for _ in $(seq 250); do urls+=(-o /dev/null "$(URL /files/1k.txt)"); done
	for i in 1 2 3 4; do # four keep-alive clients
		curl -s -w '%{http_code}\n' "${urls[@]}" >"$TMP/codes.$i" &
		pids+=($!)
	done
	for i in $(seq 20); do
		curl -s --max-time 60 --limit-rate 2M -o "$TMP/sw.$i" "$(URL /files/1m.txt)" &
		pids+=($!)
	done
	for i in 1 2 3 4 5 6; do
		if [ $((i % 2)) = 1 ]; then d=disk_b; else d=disk_a; fi
		ctl swap fs kvro.tar deps.disk=$d >"$TMP/swap.$i" 2>&1 && swaps=$((swaps + 1))
		[ $i = 1 ] && curl -s "$(URL /about.html)" >"$TMP/about.b"
	done
	wait "${pids[@]}"
	check "ctl swap fs kvro.tar deps.disk=... between the images: 6 of 6 applied ($swaps), $how" test $swaps = 6
	check "after the swap to the second image its about.html is served, $how" \
		cmp -s "$TMP/about.b" "$TMP/site2/about.html"
	n200=$(cat "$TMP"/codes.* | grep -c '^200$')
	check "1000 requests of four keep-alive clients across the swaps: every one answered 200 ($n200), $how" \
		test "$n200" = 1000
	for i in $(seq 20); do cmp -s "$TMP/sw.$i" "$ROOT/files/1m.txt" || bad=$((bad + 1)); done
	check "20 downloads of the 1 MiB member across the swaps are intact ($bad differ), $how" test $bad = 0
	check "the site serves the first image again, $how" cmp -s <(curl -s "$(URL /about.html)") "$ROOT/about.html"
	stop_server
	check "the swapped site stops cleanly, $how" [ "$SERVER_RC" = 0 ]
	check "no device left memory, timers or watches behind after the swaps, $how" \
		test -z "$(grep -E 'left [0-9]+ (bytes|timers|fd)' "$TMP/server.err")"
}
swap_under_load "values read at once"
swap_under_load "every read through io_uring" \
	--set devices.disk_a.cached_reads=false --set devices.disk_b.cached_reads=false

# ---- lent downloads across swaps of the disk ----------------------------------------------
# a third image whose 1 MiB member has other bytes; slow readers (slowget.py)
# keep lent downloads in flight while disk_a (and so fs over it) is swapped
# between it and the first image, each old disk disconnected meanwhile:
# every download is byte for byte one of the two members
mkdir -p "$TMP/site3"
cp -r "$ROOT/." "$TMP/site3/"
head -c $((1 << 20)) /dev/urandom >"$TMP/site3/files/1m.txt"
tar --format=ustar -cf "$TMP/site3.tar" -C "$TMP/site3" .
# body FILE: the response in FILE without its head; started FILE: the first bytes are in
body() { sed '1,/^\r$/d' "$1"; }
started() { [ -s "$1" ]; }
SERVER_ARGS=(--control "$SOCK" --set devices.main.access_log=false)
if start_server "$TMP/swap.cfg"; then
	pids=() swaps=0 bad=0
	for i in 1 2 3 4 5 6; do
		python3 tests/e2e/slowget.py "$PORT" /files/1m.txt "$TMP/lent.$i" &
		pids+=($!)
		eventually started "$TMP/lent.$i"
		if [ $((i % 2)) = 1 ]; then img=$TMP/site3.tar; else img=$TAR; fi
		ctl swap disk_a block.file path="$img" >"$TMP/dswap.$i" 2>&1 && swaps=$((swaps + 1))
	done
	wait "${pids[@]}"
	for i in 1 2 3 4 5 6; do
		cmp -s <(body "$TMP/lent.$i") "$ROOT/files/1m.txt" ||
			cmp -s <(body "$TMP/lent.$i") "$TMP/site3/files/1m.txt" || bad=$((bad + 1))
	done
	check "ctl swap disk_a block.file path=... under slow lent downloads: 6 of 6 applied ($swaps)" \
		test $swaps = 6
	check "6 slow 1 MiB downloads across the disk swaps: each byte-identical to one image's member ($bad differ)" \
		test $bad = 0
	check "after the swaps the first image's member is served" \
		cmp -s <(curl -s "$(URL /files/1m.txt)") "$ROOT/files/1m.txt"
	stop_server
	check "the disk-swapped site stops cleanly" [ "$SERVER_RC" = 0 ]
	check "no device left memory, timers or watches behind after the disk swaps" \
		test -z "$(grep -E 'left [0-9]+ (bytes|timers|fd)' "$TMP/server.err")"
else
	not_ok "the two-disk site starts (disk swaps)" "$(cat "$TMP/server.err")"
fi
if [ "$SAN" = 1 ]; then
	check "no sanitizer report" test -z "$(cat "$TMP"/*.err 2>/dev/null | grep -E 'Sanitizer|runtime error')"
fi

finish
