#!/usr/bin/env bash
# shellcheck disable=SC2016  # bash -c scripts take their values as $1, $2
# mirage-freeze --target unix: parity with mirage-host, reproducible output,
# no loader libraries at run time, the host's errors.
# Prints "ok"/"not ok" per check and "N passed, N failed" last.
set -u
cd "$(dirname "$0")/../.." || exit 1
BUILD=${BUILD:-build}
HOST=$PWD/$BUILD/bin/mirage-host
FREEZE=$PWD/$BUILD/bin/mirage-freeze
PLUGINS=$PWD/$BUILD/plugins
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT
. tests/e2e/website.sh

# ---- parity: same output as the host, for every example config -----------
for cfg in configs/hello.cfg configs/kv.cfg configs/kv-crunch.cfg; do
	name=$(basename "$cfg" .cfg)
	if ! "$FREEZE" "$cfg" --target unix -o "$TMP/$name" >"$TMP/$name.report" 2>"$TMP/err"; then
		not_ok "freeze $cfg" "$(cat "$TMP/err")"
		continue
	fi
	"$HOST" "$cfg" >"$TMP/$name.hosted" 2>&1
	"$TMP/$name" >"$TMP/$name.frozen" 2>&1; rc=$?
	if [ $rc = 0 ] && [ -s "$TMP/$name.frozen" ] && cmp -s "$TMP/$name.hosted" "$TMP/$name.frozen"; then
		ok "$cfg frozen prints what mirage-host prints"
	else
		not_ok "$cfg parity" "rc=$rc" "$(diff "$TMP/$name.hosted" "$TMP/$name.frozen" | head -5)"
	fi
done
check "the size report gives each plugin's text, data and bss" \
	grep -Eq '^  hello +[0-9]+ +[0-9]+ +[0-9]+$' "$TMP/hello.report"
check "and the whole program's" grep -Eq '^  total +[0-9]+ +[0-9]+ +[0-9]+$' "$TMP/hello.report"

# ---- the website: the same HTTP responses, hosted and frozen --------------------
# responses FILE: a fixed list of requests, each response's status line,
# headers (but Date) and body
responses() {
	local etag req args
	etag=$(curl -sI "http://127.0.0.1:$PORT/" | awk 'tolower($1) == "etag:" { print $2 }' | tr -d '\r')
	for req in "/" "/about.html" "/style.css" "/img/dot.png" "/docs" "/no/such/page" "/files/1k.txt -r 10-19" \
		"/ -I" "/ -H If-None-Match:$etag" "/files/1k.txt -r 5000-" "/ -X DELETE"; do
		read -ra args <<<"$req" # the path, then curl's arguments
		curl -s -D - --path-as-is "http://127.0.0.1:$PORT${args[0]}" "${args[@]:1}" |
			tr -d '\r' | grep -av '^Date: '
		echo "-- end of $req"
	done >"$1"
}
for mode in hosted frozen; do
	if [ $mode = hosted ]; then
		serve_free_port "$HOST" configs/website.cfg --set devices.main.access_log=false
	else
		"$FREEZE" -q configs/website.cfg -o "$TMP/website" --set devices.main.access_log=false &&
			serve_free_port "$TMP/website"
	fi || not_ok "website $mode on port $PORT" "$(cat "$TMP/server.err")"
	responses "$TMP/website.$mode"
	stop_server
done
if [ -s "$TMP/website.hosted" ] && grep -q '^HTTP/1.1 206' "$TMP/website.hosted" &&
   cmp -s "$TMP/website.hosted" "$TMP/website.frozen"; then
	ok "website.cfg frozen gives the same HTTP responses as under mirage-host"
else
	not_ok "website parity" "$(diff "$TMP/website.hosted" "$TMP/website.frozen" | head -8)"
fi

# ---- no libconfig, libdl or libffi at run time ------------------------------
libs=$(ldd "$TMP/kv" 2>&1)
check "ldd: the frozen program needs no libconfig, libdl or libffi" \
	bash -c '! grep -Eq "libconfig|libdl|libffi" <<<"$1"' _ "$libs"
syms=$(nm -D --undefined-only "$TMP/kv")
check "nm: it calls no dlopen, ffi_* or config_*" \
	bash -c '! grep -Eq " (dlopen|dlsym|ffi_[a-z_]*|config_[a-z_]*)(@|$)" <<<"$1"' _ "$syms"
globals=$(nm --defined-only -g "$PLUGINS/kvcat.unix.o" | awk '{print $3}' | grep -v '^__odr_asan')
check "a pre-linked plugin object exports only its descriptor" [ "$globals" = mirage_plugin ]

# ---- reproducible -------------------------------------------------------------
"$FREEZE" -q configs/kv-crunch.cfg -o "$TMP/a" --emit-c "$TMP/a.c"
"$FREEZE" -q configs/kv-crunch.cfg -o "$TMP/b" --emit-c "$TMP/b.c"
check "freezing twice gives byte-identical programs" cmp -s "$TMP/a" "$TMP/b"
check "and byte-identical wiring C" cmp -s "$TMP/a.c" "$TMP/b.c"
check "the wiring C holds the plan as static data and calls start directly" \
	grep -q 'mg_plugin_kvcat.start)((struct mg_job \*)self' "$TMP/a.c"

# ---- errors are the host's ------------------------------------------------------
mkdir -p "$TMP/cfg"
printf 'devices = {\n  console = { impl = "console.unix"; };\n  main = { impl = "kvcat";\n    deps = { fs = "console"; }; };\n  x = { impl = "hello"; cnt = 1; };\n};\n' >"$TMP/cfg/bad.cfg"
host_err=$(cd "$TMP" && "$HOST" check cfg/bad.cfg --plugin-path "$PLUGINS" 2>&1)
freeze_err=$(cd "$TMP" && "$FREEZE" cfg/bad.cfg -o out --plugin-path "$PLUGINS" 2>&1); rc=$?
if [ $rc = 1 ] && [ -n "$freeze_err" ] && [ "$host_err" = "$freeze_err" ]; then
	ok "freeze reports the host's FILE:LINE errors, exit 1"
else
	not_ok "freeze errors" "rc=$rc" "host: $host_err" "freeze: $freeze_err"
fi
out=$("$FREEZE" configs/kv.cfg --target xen -o "$TMP/x" 2>&1)
check "a plugin that does not support the target is named" \
	grep -q "^configs/kv.cfg:6: device 'fs': implementation 'kvro.dir' does not support target xen (it supports: unix)" <<<"$out"

# a plugin with only its .so: no object to freeze
mkdir -p "$TMP/only-so"
cp "$PLUGINS/hello.so" "$TMP/only-so/"
out=$("$FREEZE" configs/hello.cfg -o "$TMP/x" --plugin-path "$TMP/only-so" 2>&1); rc=$?
check "a plugin without its object is a clear error" \
	bash -c '[ "$1" = 1 ] && grep -q "configs/hello.cfg:[0-9]*: device .main.: plugin .hello. has no object for target unix: expected .*only-so/hello.unix.o" <<<"$2"' _ "$rc" "$out"

# an object that exports more than its descriptor
cat >"$TMP/leaky.c" <<'C'
#include <mirage/job.h>
int leaky_helper(struct mg_job *self);
int leaky_helper(struct mg_job *self) { mg_job_done(self, 0); return 0; }
MG_PLUGIN(.name = "leaky", .provides = MG_TYPE(JOB, 0), .targets = MG_TARGET_UNIX,
	  .start = (mg_start_fn)leaky_helper);
C
cc -std=gnu11 -fPIC -Iabi -shared -o "$TMP/leaky.so" "$TMP/leaky.c" &&
	cc -std=gnu11 -fPIC -Iabi -c -o "$TMP/leaky.unix.o" "$TMP/leaky.c"
printf 'devices = { main = { impl = "leaky"; }; };\n' >"$TMP/leaky.cfg"
out=$("$FREEZE" "$TMP/leaky.cfg" -o "$TMP/x" --plugin-path "$TMP" 2>&1); rc=$?
check "an object with globals besides the descriptor is refused" \
	bash -c '[ "$1" = 1 ] && grep -q "global symbol .leaky_helper. besides the descriptor" <<<"$2"' _ "$rc" "$out"

# ---- boot-time parameters ------------------------------------------------------
check "a frozen program's --set changes a parameter" \
	bash -c '[ "$("$1" --set devices.main.count=1 --set devices.main.interval_ms=0)" = "Hello, World! (1/1)" ]' _ "$TMP/hello"
out=$("$TMP/hello" --set devices.main.count=99999999 2>&1); rc=$?
check "a bad value gets the resolver's message, exit 2" bash -c '[ "$1" = 2 ] &&
	grep -q "device .main.: parameter .count.: expected an integer from 0 to 1000000, found 99999999" <<<"$2"' _ "$rc" "$out"
out=$("$TMP/hello" --set devices.main=kvcat 2>&1); rc=$?
check "an implementation cannot change in a frozen program" bash -c '[ "$1" = 2 ] &&
	grep -q "implementations cannot change in a frozen program (main is hello)" <<<"$2"' _ "$rc" "$out"
check "--help lists the devices' parameters with their frozen values" \
	bash -c '"$1" --help | grep -qx "    interval_ms = 200" && "$1" --help | grep -qx "  main (hello)"' _ "$TMP/hello"
"$FREEZE" -q configs/website.cfg -o "$TMP/website-any" --set devices.main.access_log=false &&
	serve_free_port "$TMP/website-any"
check "the frozen website serves on the port given by --set devices.http.port" \
	cmp -s <(curl -s "http://127.0.0.1:$PORT/") apps/website/htdocs/index.html
stop_server

check "freezing works with SIGCHLD ignored by the caller" \
	timeout 60 perl -e '$SIG{CHLD} = "IGNORE"; exec @ARGV' "$FREEZE" -q configs/hello.cfg -o "$TMP/h2"
check "mirage-freeze --help" bash -c "'$FREEZE' --help | grep -q '^usage: mirage-freeze'"
check "a frozen program has --help" bash -c "'$TMP/hello' --help | grep -q 'mirage-freeze'"

finish
