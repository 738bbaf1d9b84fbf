#!/usr/bin/env bash
# Hot swap end to end: the website runs with --watch and --control on a free
# port, and its devices are swapped under it: kv_ro implementations, a
# failing connect, a plugin rebuilt with another output, a config edit, and
# swaps during a slow download and during a stream of requests.  Prints
# "ok"/"not ok" per check and "N passed, N failed" last.  Asserts on
# outcomes only, never on timing (waits are bounded polls).
set -u
cd "$(dirname "$0")/../.." || exit 1
BUILD=${BUILD:-build}
SAN=${SAN:-}
HOST=$PWD/$BUILD/bin/mirage-host
ROOT=$PWD/apps/website/htdocs
SAMPLE=$PWD/apps/kvcat/sample
TMP=$(mktemp -d)
SOCK=$TMP/control.sock
# shellcheck source=tests/e2e/website.sh
. tests/e2e/website.sh
trap 'stop_server; rm -rf "$TMP"' EXIT
# shellcheck source=tests/e2e/control.sh
. tests/e2e/control.sh

# swap ARGS...: ctl swap, quietly; its status
swap() { ctl swap "$@" >/dev/null; }
# same PATH FILE: the body of PATH is FILE's bytes
same() { cmp -s <(curl -s "$(URL "$1")") "$2"; }

# Our own plugin folder, first on the path: kvone built from its source (so
# that it can be edited and rebuilt) and a copy of http.server (replacing it
# there is a rebuild).  The app's config is a copy, so it can be edited.
mkdir -p "$TMP/plugins" "$TMP/src" "$TMP/app"
cp tests/fixtures/kvone.c "$TMP/src/"
cp "$BUILD/plugins/http.server.so" "$BUILD/plugins/website.so" "$BUILD/tests/fixtures/crashkv.so" \
	"$TMP/plugins/"
cflags="-O1 -Wall -Wextra -Werror" ldflags=""
if [ "$SAN" = 1 ]; then
	cflags="$cflags -fsanitize=address,undefined -fno-omit-frame-pointer"
	ldflags="-fsanitize=address,undefined"
fi
export PKG_CONFIG_PATH=$PWD/$BUILD/pkgconfig
# shellcheck disable=SC2046,SC2086 # pkg-config output and flag lists split on purpose
build_kvone() {
	cc $(pkg-config --cflags mirage-plugin) $cflags -o "$TMP/plugins/kvone.so.new" \
		"$TMP/src/kvone.c" $(pkg-config --libs mirage-plugin) $ldflags &&
		mv "$TMP/plugins/kvone.so.new" "$TMP/plugins/kvone.so"
}
build_kvone || { not_ok "kvone builds with the pkg-config flags"; finish; exit 1; }
sed -e "s|\"../build/plugins\"|\"$PWD/$BUILD/plugins\"|" -e "s|\"../apps/website/htdocs\"|\"$ROOT\"|" \
	configs/website.cfg >"$TMP/app/website.cfg"

SERVER_ARGS=(--plugin-path "$TMP/plugins" --watch --control "$SOCK" --set devices.main.access_log=false)
if ! start_server "$TMP/app/website.cfg"; then
	not_ok "the website starts with --watch and --control"
	finish
	exit 1
fi
ok "the website starts with --watch and --control"

# ---- swapping the kv_ro -------------------------------------------------------
check "ctl swap fs kvro.crunch succeeds" swap fs kvro.crunch
check "the website serves kvro.crunch's bytes at once" same /poem.txt "$SAMPLE/poem.txt"
check "ctl graph --json shows fs as kvro.crunch" \
	grep -q '"name": "fs", "impl": "kvro.crunch"' <(ctl graph --json)

out=$(ctl swap fs kvro.dir root=/nonexistent); rc=$?
if [ $rc = 1 ] && grep -q "not applied" <<<"$out"; then
	ok "a swap whose connect fails: status 1, not applied"
else
	not_ok "a swap whose connect fails: status 1, not applied" "rc=$rc" "$out"
fi
check "after the failed swap the old kv_ro still serves" same /poem.txt "$SAMPLE/poem.txt"
check "the failed connect is logged with the device and the path" \
	grep -q "fs: cannot open root folder /nonexistent" "$TMP/server.err"
check "and ctl hears the plugin's own reason" grep -q "fs: cannot open root folder /nonexistent" <<<"$out"

out=$(ctl swap fs crashkv); rc=$?
if [ $rc = 1 ] && grep -q "not applied" <<<"$out"; then
	ok "a swap whose connect crashes: status 1, not applied"
else
	not_ok "a swap whose connect crashes: status 1, not applied" "rc=$rc" "$out"
fi
check "the crash is logged with the device and the signal" \
	grep -q "fs: crashkv: connect crashed (Segmentation fault)" "$TMP/server.err"
check "after the crash the old kv_ro still serves" same /poem.txt "$SAMPLE/poem.txt"

check "ctl swap fs kvro.dir root=... swaps back" swap fs kvro.dir root="$ROOT"
check "the website serves the folder again" same / "$ROOT/index.html"
check "ctl graph shows parameter values" grep -q "^fs kvro.dir kv_ro root=\"$ROOT\"" <(ctl graph)
check "ctl status shows the pin a swap left" grep -q "^pinned by ctl swap: fs " <(ctl status)
# a relative path is taken from ctl's folder, not the config's
rel=$(cd "$ROOT/.." && ctl swap fs kvro.dir root=htdocs >/dev/null && ctl graph)
check "ctl swap with a relative path takes it from ctl's working folder" \
	grep -q "^fs kvro.dir kv_ro root=\"$ROOT\"" <<<"$rel"

# ---- a rebuilt plugin -----------------------------------------------------------
check "ctl swap fs kvone (from --plugin-path)" swap fs kvone
check "kvone serves its first text" grep -qx "kvone version 1" <(curl -s "$(URL /version.txt)")
n=$(changes)
sed -i 's/kvone version 1/kvone version 2/' "$TMP/src/kvone.c"
build_kvone
# shellcheck disable=SC2317 # called through eventually
new_text() { grep -qx "kvone version 2" <(curl -s "$(URL /version.txt)"); }
check "kvone rebuilt with another text: the website serves the new text" eventually new_text
check "the rebuild was applied as one change" more_changes_than "$n"
check "ctl swap fs kvro.dir root=... after the rebuild" swap fs kvro.dir root="$ROOT"

# ---- a connect that takes time ------------------------------------------------
# requests go on while kvone connects for 600 ms: the old store answers
# them (200), ctl replies once the change is in, then kvone serves (404
# for the folder's page: it has none).  So the codes are 200s, then maybe a
# few 404s for the requests between the commit and the loop's stop.
rm -f "$TMP/swapped"
while [ ! -e "$TMP/swapped" ]; do
	curl -s -o /dev/null -w '%{http_code}\n' "$(URL /index.html)"
done >"$TMP/during.codes" &
loop=$!
check "ctl swap fs kvone delay_ms=600: ctl replies once the connect is done" swap fs kvone delay_ms=600
touch "$TMP/swapped"
check "right after the reply kvone serves" grep -qx "kvone version 2" <(curl -s "$(URL /version.txt)")
wait $loop
check "requests during the delayed connect were answered by the old store" \
	bash -c '[ "$(grep -c "^200$" "$1")" -ge 3 ] && tr "\n" " " <"$1" | grep -Eqx "(200 )+(404 )*" ||
		{ sort "$1" | uniq -c; false; }' _ "$TMP/during.codes"
check "the delayed connect is logged" grep -q "swap fs to kvone: a connect is in progress" "$TMP/server.err"
check "ctl swap fs kvro.dir root=... after the delayed one" swap fs kvro.dir root="$ROOT"

# ---- an edited config -------------------------------------------------------------
# a device of a type no slot asks for: adding it changes nothing else
sed -i 's|^};|  extra = { impl = "time.unix"; };\n};|' "$TMP/app/website.cfg"
# shellcheck disable=SC2317 # called through eventually
has_extra() { grep -q '^extra time.loop time' <(ctl graph); }
check "a device added to the config appears in ctl graph" eventually has_extra
check "the website serves on after the config edit" same / "$ROOT/index.html"
# a reload while fs is pinned says so, and applies nothing of fs
out=$(ctl reload)
check "a reload masked by a pin says nothing changed, and names the pin" bash -c 'grep -q "config reloaded: nothing changed" <<<"$1" &&
	grep -q "device .fs. is pinned by ctl swap" <<<"$1"' _ "$out"
check "ctl unpin fs: the config's entry applies again" ctl unpin fs
# no_pin: ctl status lists no pin (a function: ctl is one, not a command)
no_pin() { ! grep -q '^pinned' <(ctl status); }
check "no pin is left" no_pin
# the devices in another order and fs's root spelled another way: fs is
# connected anew and the site told, through the new plan's order
n=$(changes)
{
	echo 'name = "website";'
	grep '^plugin_path' "$TMP/app/website.cfg"
	echo 'devices = {'
	echo '  http = { impl = "http.server"; port = 8080; };'
	echo '  extra = { impl = "time.unix"; };'
	echo "  fs = { impl = \"kvro.dir\"; root = \"$ROOT/.\"; };"
	echo '  main = { impl = "website"; };'
	echo '  console = { impl = "console.unix"; };'
	echo '};'
} >"$TMP/app/website.cfg.new"
mv "$TMP/app/website.cfg.new" "$TMP/app/website.cfg"
check "a reordered config is applied" eventually more_changes_than "$n"
check "the site is wired as before after the reorder" \
	grep -q '^main website job console=console fs=fs http=http' <(ctl graph)
check "and serves the new fs" same / "$ROOT/index.html"

# a plugin_path edited in the config is the one later changes search
mkdir -p "$TMP/plugins2"
mv "$TMP/plugins/kvone.so" "$TMP/plugins2/kvone.so"
sed -i "s|^plugin_path = \[ \(.*\) \];|plugin_path = [ \1, \"$TMP/plugins2\" ];|" "$TMP/app/website.cfg"
check "the edited plugin_path is honoured by the next swap" bash -c 'for _ in $(seq 100); do
	"$0" ctl "$1" swap fs kvone >/dev/null 2>&1 && exit 0; sleep 0.1; done; exit 1' "$HOST" "$SOCK"
check "kvone from the new folder serves" grep -qx "kvone version 2" <(curl -s "$(URL /version.txt)")
check "ctl swap fs kvro.dir root=... after it" swap fs kvro.dir root="$ROOT"
ctl unpin fs >/dev/null

# a control client that leaves before its reply costs the host nothing
# (perl-base has Unix sockets; the reply then meets a closed peer)
for _ in 1 2 3; do
	perl -MIO::Socket::UNIX -e '$s = IO::Socket::UNIX->new(Peer => $ARGV[0]) or exit 1;
		print $s "graph\n\n"; shutdown($s, 2); close($s)' "$SOCK"
done
check "the host outlives control clients that close before the reply" \
	grep -q '^website' <(ctl status)

# ---- swaps while a slow download is in flight ---------------------------------------
# slow_get PATH OUT: GET with a reader of 4 KiB per 20 ms (about 200 KB/s),
# the whole response into OUT.  curl --limit-rate is no use here: the kernel
# buffers take its bursts, and the server would be done long before.
slow_get() {
	local size=-1
	exec 4<>"/dev/tcp/127.0.0.1/$PORT" || return 1
	printf 'GET %s HTTP/1.1\r\nHost: test\r\nConnection: close\r\n\r\n' "$1" >&4
	: >"$2"
	while [ "$(stat -c %s "$2")" != "$size" ]; do # a read of nothing: the end
		size=$(stat -c %s "$2")
		dd bs=4096 count=1 status=none <&4 >>"$2"
		[ -e "$TMP/fast" ] || sleep 0.02
	done
	exec 4<&-
}
slow_get /files/1m.txt "$TMP/1m.out" &
SLOW=$!
# shellcheck disable=SC2317 # called through eventually
started() { [ -s "$TMP/1m.out" ]; }
# shellcheck disable=SC2317 # called through eventually
started_cut() { [ -s "$TMP/cut.out" ]; }
eventually started
check "ctl swap http (new parameters) during the download" swap http http.server port="$PORT" idle_timeout_ms=30000
check "ctl swap fs kvro.crunch.htdocs during the download" swap fs kvro.crunch.htdocs
n=$(changes)
cp "$BUILD/plugins/http.server.so" "$TMP/plugins/http.server.so.new"
mv "$TMP/plugins/http.server.so.new" "$TMP/plugins/http.server.so"
check "http.server.so replaced during the download: applied" eventually more_changes_than "$n"
# the app itself: a rebuilt website.so starts beside the running one, which
# retires once its download is done
n=$(changes)
cp "$BUILD/plugins/website.so" "$TMP/plugins/website.so.new"
mv "$TMP/plugins/website.so.new" "$TMP/plugins/website.so"
check "website.so replaced during the download: applied" eventually more_changes_than "$n"
check "the new website serves at once" same / "$ROOT/index.html"
kill -0 "$SLOW" 2>/dev/null || echo "# note: the download ended before the swaps were done"
wait "$SLOW"
check "the download answers 200" grep -q '^HTTP/1.1 200 ' <(head -1 "$TMP/1m.out")
check "the download completes intact across the swaps" \
	cmp -s <(tail -c "$(stat -c %s "$ROOT/files/1m.txt")" "$TMP/1m.out") "$ROOT/files/1m.txt"
head_lines=$(sed -n '/^\r$/{=;q}' "$TMP/1m.out")
check "the download is the headers and the file, nothing more" \
	test "$(stat -c %s "$TMP/1m.out")" = $(( $(head -n "$head_lines" "$TMP/1m.out" | wc -c) + $(stat -c %s "$ROOT/files/1m.txt") ))

# ---- swaps during a stream of keep-alive requests -------------------------------------
urls=()
for _ in $(seq 1000); do urls+=(-o /dev/null "$(URL /files/1k.txt)"); done
curl -s -w '%{http_code}\n' "${urls[@]}" >"$TMP/codes" &
CURL=$!
for i in 1 2 3 4 5 6; do
	if [ $((i % 2)) = 1 ]; then
		swap fs kvro.dir root="$ROOT"
	else
		swap fs kvro.crunch.htdocs
	fi
	swap http http.server port="$PORT" idle_timeout_ms=$((30000 + i))
done
wait "$CURL"
if [ "$(grep -c '^200$' "$TMP/codes")" = 1000 ]; then
	ok "1000 keep-alive requests across 12 swaps: every one answered 200"
else
	not_ok "1000 keep-alive requests across 12 swaps: every one answered 200" \
		"status codes: $(sort "$TMP/codes" | uniq -c | tr '\n' ' ')"
fi

# ---- the end ---------------------------------------------------------------------------
stop_server
check "the host exits 0 on SIGTERM" test "$SERVER_RC" = 0
check "no device left memory, timers or watches behind" \
	test -z "$(grep -E 'left [0-9]+ (bytes|timers)' "$TMP/server.err")"
if [ "$SAN" = 1 ]; then
	check "no sanitizer report" test -z "$(grep -E 'Sanitizer|runtime error' "$TMP/server.err")"
fi

# ---- a download that outlives its replaced app's grace period -----------------------
# The old website is disconnected while the server still streams its file:
# the stream ends (the client sees a short body) and nothing reads freed memory.
# kvro.dir without its cache lends nothing, so the site streams (a lent body
# is the server's alone and goes on: tests/e2e/lend.sh).
cp "$TMP/server.err" "$TMP/first-server.err"
# a file bigger than what the kernel buffers between server and reader
mkdir -p "$TMP/big"
head -c $((32 << 20)) /dev/zero >"$TMP/big/32m"
SERVER_ARGS=(--plugin-path "$TMP/plugins" --watch --control "$SOCK" --grace-ms 200
	--set devices.main.access_log=false --set devices.fs.root="$TMP/big" --set devices.fs.cache=0)
if start_server "$TMP/app/website.cfg"; then
	slow_get /32m "$TMP/cut.out" &
	SLOW=$!
	eventually started_cut
	n=$(changes)
	cp "$BUILD/plugins/website.so" "$TMP/plugins/website.so.new"
	mv "$TMP/plugins/website.so.new" "$TMP/plugins/website.so"
	check "website.so replaced while a download runs (grace 200 ms)" eventually more_changes_than "$n"
	sleep 0.5 # past the grace period
	touch "$TMP/fast" # read what the kernel holds, then the end
	wait "$SLOW"
	check "the download past the grace period ends short, not with a crash" \
		test "$(stat -c %s "$TMP/cut.out")" -lt $((32 << 20))
	check "the host serves on" grep -q '^HTTP/1.1 404' <(curl -si "$(URL /index.html)")
	stop_server
	check "and exits 0" test "$SERVER_RC" = 0
	[ "$SAN" != 1 ] || check "no sanitizer report after the cut download" \
		test -z "$(grep -E 'Sanitizer|runtime error' "$TMP/server.err")"
else
	not_ok "the website starts again with --grace-ms" "$(cat "$TMP/server.err")"
fi

# ---- a swap whose new job fails to start ------------------------------------------
# It is applied all the same (the old job is gone), so its override stays:
# a later change of anything else must not bring the old job back.
cp "$BUILD/tests/fixtures/failstart.so" "$TMP/plugins/"
SERVER_ARGS=(--plugin-path "$TMP/plugins" --control "$SOCK")
if start_server "$TMP/app/website.cfg"; then
	out=$(ctl swap main failstart 2>&1)
	check "a swap to a job that cannot start is applied, and says so" \
		grep -q "applied.*a job failed to start" <<<"$out"
	ctl reload >/dev/null 2>&1
	check "a reload after it keeps the swapped job" grep -q '^main failstart ' <(ctl graph)
	stop_server
else
	not_ok "the website starts again for the failing job" "$(cat "$TMP/server.err")"
fi

# ---- a --watch that cannot start says why ------------------------------------------
# With few file descriptors left, inotify is what fails first at some limit:
# every run either works or says what failed, and one says it of --watch.
said=0 silent=0
for n in 4 5 6 7 8 9 10 11 12; do
	# a --watch that starts keeps running: timeout ends it (124)
	out=$( (ulimit -n $n; timeout 3 "$HOST" configs/hello.cfg --watch --set devices.main.interval_ms=0) 2>&1); rc=$?
	grep -q -- "--watch: cannot watch for changes: Too many open files" <<<"$out" && [ $rc = 1 ] && said=1
	[ $rc = 124 ] || grep -q "Too many open files" <<<"$out" || silent=1
	[ $rc = 124 ] && break # more descriptors only work better
done
check "a --watch that cannot start says why, exit 1" test "$said$silent" = 10

finish
