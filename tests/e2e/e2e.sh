#!/usr/bin/env bash
# shellcheck disable=SC2016  # test names quote ${VAR} literally
# End-to-end tests of mirage-host over the real plugins and example configs.
# Prints "ok"/"not ok" per check and "N passed, N failed" last.
set -u
cd "$(dirname "$0")/../.." || exit 1
BUILD=${BUILD:-build}
SAN=${SAN:-}
HOST=$PWD/$BUILD/bin/mirage-host
PLUGINS=$PWD/$BUILD/plugins
FIXTURES=$PWD/$BUILD/tests/fixtures
SAMPLE=$PWD/apps/kvcat/sample
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT
. tests/tap.sh

# The bytes kvcat must print for the sample folder, computed independently.
expected_kv() {
	local keys
	keys=$(cd "$SAMPLE" && find . -type f | sed 's|^\./||' | LC_ALL=C sort)
	echo "kvcat: $(echo "$keys" | wc -l) files"
	for k in $keys; do echo "$k $(stat -c %s "$SAMPLE/$k")"; done
	for k in $keys; do echo "==> $k <=="; cat "$SAMPLE/$k"; done
}

# ---- the example configs ------------------------------------------------
out=$("$HOST" configs/hello.cfg 2>"$TMP/err"); rc=$?
if [ $rc = 0 ] && [ "$out" = $'Hello, World! (1/3)\nHello, World! (2/3)\nHello, World! (3/3)' ]; then
	ok "hello.cfg prints the greeting three times and exits 0"
else
	not_ok "hello.cfg" "rc=$rc" "$out" "$(cat "$TMP/err")"
fi

# console.unix buffers its output to the end of a loop iteration: the
# last line, written just before the job ends the loop, still comes out
out=$("$HOST" configs/hello.cfg --set devices.main.count=50 --set devices.main.interval_ms=0 2>"$TMP/err")
check "console.unix: every buffered line is written at exit (50 of 50)" \
	[ "$(grep -c '^Hello, World! ([0-9]*/50)$' <<<"$out")" = 50 ]

expected_kv >"$TMP/kv.expected"
"$HOST" configs/kv.cfg >"$TMP/kv.out" 2>"$TMP/err"; rc=$?
if [ $rc = 0 ] && cmp -s "$TMP/kv.expected" "$TMP/kv.out"; then
	ok "kv.cfg lists and prints every file of the folder"
else
	not_ok "kv.cfg" "rc=$rc" "$(diff "$TMP/kv.expected" "$TMP/kv.out" | head -5)" "$(cat "$TMP/err")"
fi

"$HOST" configs/kv-crunch.cfg >"$TMP/kvc.out" 2>"$TMP/err"; rc=$?
if [ $rc = 0 ] && cmp -s "$TMP/kv.expected" "$TMP/kvc.out"; then
	ok "kv-crunch.cfg prints the same bytes as kv.cfg"
else
	not_ok "kv-crunch.cfg" "rc=$rc" "$(diff "$TMP/kv.expected" "$TMP/kvc.out" | head -5)"
fi

if ! command -v strace >/dev/null; then
	skip "kv-crunch opens nothing of the folder" "strace is not installed"
elif ! strace -o /dev/null true 2>/dev/null; then
	skip "kv-crunch opens nothing of the folder" "ptrace is not permitted here"
else
	strace -f -e trace=%file -o "$TMP/strace" "$HOST" configs/kv-crunch.cfg >/dev/null 2>&1
	if grep -q 'kvro.crunch.so' "$TMP/strace" && ! grep -q 'apps/kvcat/sample' "$TMP/strace"; then
		ok "kv-crunch opens nothing of the folder at run time (strace)"
	else
		not_ok "kv-crunch under strace" "$(grep sample "$TMP/strace" | head -3)"
	fi
fi

# ---- --set and ${VAR} ---------------------------------------------------
out=$("$HOST" configs/hello.cfg --set devices.main.count=2 --set 'devices.main.message=Hi there' \
	--set devices.main.interval_ms=0 2>&1)
check "--set overrides parameters" [ "$out" = $'Hi there (1/2)\nHi there (2/2)' ]

mkdir -p "$TMP/outside"
cat >"$TMP/outside/env.cfg" <<'CFG'
devices = {
  console = { impl = "console.unix"; };
  dir     = { impl = "${KV:-kvro.dir}"; root = "${ROOT}"; };
  crunch  = { impl = "kvro.crunch"; };
  main    = { impl = "kvcat"; deps = { fs = "${FS:-dir}"; }; };
};
CFG
# outside the tree: --plugin-path finds the plugins
run_env() { (cd "$TMP/outside" && "$@" 2>&1); }
out=$(run_env env ROOT="$SAMPLE" "$HOST" env.cfg --plugin-path "$PLUGINS")
check '${VAR} and ${VAR:-default} expand from the environment' [ "$out" = "$(cat "$TMP/kv.expected")" ]
out=$(run_env env ROOT="$SAMPLE" FS=crunch "$HOST" env.cfg --plugin-path "$PLUGINS")
check '${FS} chooses the wiring (the seed'"'"'s NET=direct|socket)' [ "$out" = "$(cat "$TMP/kv.expected")" ]
out=$(run_env env ROOT=/nonexistent "$HOST" env.cfg --plugin-path "$PLUGINS" --set devices.dir.root="$SAMPLE")
check '--set overrides an expanded value' [ "$out" = "$(cat "$TMP/kv.expected")" ]
out=$(run_env env -u ROOT "$HOST" check env.cfg --plugin-path "$PLUGINS")
check 'an unset ${VAR} without default is an error at its line' \
	grep -q '^env.cfg:3: environment variable ROOT is not set' <<<"$out"

# ---- resolver errors: one line FILE:LINE: from a config outside the tree --
# expect_error NAME LINE FRAGMENT CONFIG-TEXT [EXTRA-ARGS...]
expect_error() {
	local name=$1 line=$2 frag=$3 text=$4 cfg=$TMP/outside/bad.cfg out rc
	shift 4
	printf '%s' "$text" >"$cfg"
	out=$(cd "$TMP" && "$HOST" check outside/bad.cfg --plugin-path "$PLUGINS" \
		--plugin-path "$FIXTURES" "$@" 2>&1); rc=$?
	if [ $rc = 1 ] && [ "$(wc -l <<<"$out")" = 1 ] &&
	   [[ $out == "outside/bad.cfg:$line: "*"$frag"* ]]; then
		ok "error: $name"
	else
		not_ok "error: $name" "rc=$rc, expected outside/bad.cfg:$line: ...$frag..." "got: $out"
	fi
}
C='  console = { impl = "console.unix"; };'
expect_error "unknown implementation" 2 "unknown implementation 'kvro.dri': no plugin of that name on the plugin path (did you mean 'kvro.dir'?)" \
	$'devices = {\n  fs = { impl = "kvro.dri"; };\n};\n'
expect_error "wrong type on a slot" 4 "slot 'fs' of kvcat expects a kv_ro, but device 'console' (console.unix) is a console" \
	$'devices = {\n'"$C"$'\n  main = { impl = "kvcat";\n    deps = { fs = "console"; }; };\n};\n'
expect_error "missing dependency" 3 "missing dependency: slot 'fs' of kvcat needs a kv_ro device" \
	$'devices = {\n'"$C"$'\n  main = { impl = "kvcat"; };\n};\n'
expect_error "ambiguous dependency" 5 "slot 'fs' of kvcat is ambiguous: devices 'a' and 'b' both provide kv_ro" \
	$'devices = {\n'"$C"$'\n  a = { impl = "kvro.crunch"; };\n  b = { impl = "kvro.crunch"; };\n  main = { impl = "kvcat"; };\n};\n'
expect_error "dependency on an unknown device" 3 "deps.fs names unknown device 'sf'" \
	$'devices = {\n'"$C"$'\n  main = { impl = "kvcat"; deps = { fs = "sf"; }; };\n};\n'
expect_error "dependency cycle" 2 "dependency cycle: a -> b -> a" \
	$'devices = {\n  a = { impl = "kvlayer"; deps = { lower = "b"; }; };\n  b = { impl = "kvlayer"; deps = { lower = "a"; }; };\n};\n'
ABI_MINOR=$(sed -n 's/^#define MG_ABI_MINOR \([0-9]*\).*/\1/p' abi/mirage/plugin.h)
expect_error "ABI major mismatch" 2 "badmajor.so): built for plugin ABI 2.$ABI_MINOR, but this host speaks 1.$ABI_MINOR" \
	$'devices = {\n  c = { impl = "badmajor"; };\n};\n'
expect_error "unknown parameter" 3 "unknown parameter 'rot' for kvro.dir (did you mean 'root'?)" \
	$'devices = {\n  fs = { impl = "kvro.dir"; root = "/";\n    rot = "/"; };\n};\n'
expect_error "mistyped parameter" 3 "parameter 'count': expected an integer, found string \"many\"" \
	$'devices = {\n'"$C"$'\n  main = { impl = "hello"; count = "many"; };\n};\n'
expect_error "missing required parameter" 2 "missing required parameter 'root'" \
	$'devices = {\n  fs = { impl = "kvro.dir"; };\n};\n'
expect_error "plugin without the target" 2 "implementation 'console.unix' does not support target xen (it supports: unix)" \
	$'devices = {\n'"$C"$'\n};\n' --target xen
expect_error "file that is not a plugin" 2 "notelf.so: not a plugin: not an ELF shared object" \
	$'devices = {\n  c = { impl = "notelf"; };\n};\n'
expect_error "shared object without descriptor" 2 "nodesc.so: not a plugin: it has no 'mirage_plugin' descriptor" \
	$'devices = {\n  c = { impl = "nodesc"; };\n};\n'
expect_error "dlopen failure shows its text" 2 "undefsym.so: dlopen failed: " \
	$'devices = {\n  c = { impl = "undefsym"; };\n};\n'
expect_error "syntax error" 2 "syntax error" $'name = "x";\ndevices = { c = { impl = ; }; };\n'

# ---- targets: tools read plugins of another target without running them ----
for cfg in hello kv-crunch xenstore; do
	check "check --target xen of configs/$cfg.cfg" "$HOST" check "configs/$cfg.cfg" --target xen
	check "describe --target xen of configs/$cfg.cfg names console.xen" \
		grep -q '^  console    console.xen ' <("$HOST" describe "configs/$cfg.cfg" --target xen)
done
# the website for Xen runs on net.direct over netfront (netif.xen); a tree
# without netif.xen lacks only that
for cfg in website-crunch website; do
	out=$("$HOST" check "configs/$cfg.cfg" --target xen 2>&1); rc=$?
	if [ -e "$BUILD/plugins/netif.xen.so" ]; then
		check "check --target xen of configs/$cfg.cfg" [ "$rc" = 0 ]
	else
		check "check --target xen of configs/$cfg.cfg names only the missing netif.xen" \
			bash -c '[ "$(wc -l <<<"$1")" = 1 ] && grep -q "slot .netif. of net.direct needs a network device; none is configured and its default .netif.xen. is not usable here" <<<"$1"' _ "$out"
	fi
done
check "inspect lists the Xen plugins as usable" \
	bash -c "! '$HOST' inspect | grep -q unusable && '$HOST' inspect | grep -q '^console.xen  *console'"
check "check of the website-crunch config for unix uses net.socket" \
	grep -q '^  net  *net.socket ' <("$HOST" describe configs/website-crunch.cfg)

# ---- run-time behaviour ---------------------------------------------------
printf 'devices = {\n  console = { impl = "oldops"; };\n  main = { impl = "hello"; interval_ms = 0; };\n};\n' \
	>"$TMP/outside/oldops.cfg"
out=$("$HOST" "$TMP/outside/oldops.cfg" --plugin-path "$PLUGINS" --plugin-path "$FIXTURES" 2>&1); rc=$?
check "connect refuses ops older than the descriptor claims" bash -c '[ "$1" = 1 ] &&
	grep -q "oldops: connect returned ops of console 1.0, but its descriptor claims 1.1" <<<"$2"' _ "$rc" "$out"
# a connect that takes time: the job starts only once its console is ready
printf 'devices = {\n  console = { impl = "slowcon"; delay_ms = 200; };\n  main = { impl = "hello"; count = 2; interval_ms = 0; };\n};\n' \
	>"$TMP/outside/slow.cfg"
out=$("$HOST" "$TMP/outside/slow.cfg" --plugin-path "$PLUGINS" --plugin-path "$FIXTURES" 2>&1); rc=$?
check "a delayed connect: the job starts once the device said it is ready" bash -c '[ "$1" = 0 ] &&
	[ "$(grep -c "^Hello, World!" <<<"$2")" = 2 ]' _ "$rc" "$out"
out=$("$HOST" "$TMP/outside/slow.cfg" --plugin-path "$PLUGINS" --plugin-path "$FIXTURES" \
	--set devices.console.fail=true 2>&1); rc=$?
check "a delayed connect that fails stops the run before any job starts, exit 1" bash -c '[ "$1" = 1 ] &&
	! grep -q Hello <<<"$2" && grep -q "console: slowcon: connect failed: No such device" <<<"$2"' _ "$rc" "$out"
printf 'devices = {\n  console = { impl = "failconnect"; };\n  main = { impl = "hello"; interval_ms = 0; };\n};\n' \
	>"$TMP/outside/fail.cfg"
out=$("$HOST" "$TMP/outside/fail.cfg" --plugin-path "$PLUGINS" --plugin-path "$FIXTURES" 2>&1); rc=$?
if [ $rc = 1 ] && grep -q "console: failconnect: connect failed: No such device" <<<"$out" &&
   ! grep -q Hello <<<"$out"; then
	ok "a failing connect stops the run before any job starts, exit 1"
else
	not_ok "failing connect" "rc=$rc" "$out"
fi

"$HOST" configs/hello.cfg --set devices.main.count=1000 --set devices.main.interval_ms=50 \
	>"$TMP/sig.out" 2>&1 &
pid=$!
sleep 0.5
kill -TERM $pid
wait $pid; rc=$?
check "SIGTERM stops a running app cleanly with status 0" test $rc = 0 -a -s "$TMP/sig.out"

check "a plugin newer than the host is accepted" \
	"$HOST" check <(printf 'devices = {\n  c = { impl = "newminor"; };\n};\n') --plugin-path "$FIXTURES"
check "inspect says when a plugin is newer than the host" \
	grep -q "type:     console 1.99 (newer than this host's console 1.0)" <("$HOST" inspect "$FIXTURES/newminor.so")
# host/resolve/types.c follows the headers: no plugin of the tree is newer
check "no plugin of the tree states a type newer than the host knows" \
	bash -c '! for so in "$1"/*.so; do "$0" inspect "$so"; done | grep "newer than"' "$HOST" "$BUILD/plugins"
out=$("$HOST" inspect kvro.dir 2>&1)
check "inspect prints type, ABI version, slots and parameters" \
	grep -Pzq 'type: +kv_ro 1\.2\n.*abi: +1\.[0-9]+ .*\n.*targets:.*\n.*slots: +none\n.*params:\n +root +path, required' <<<"$out"
check "inspect lists every plugin on the path" grep -q '^kvro.crunch  *kv_ro' <(cd "$TMP" && "$HOST" inspect)
if command -v dot >/dev/null; then
	check "describe --dot renders with Graphviz" \
		bash -c "'$HOST' describe configs/kv.cfg --dot | dot -Tsvg >'$TMP/g.svg' && grep -q '<svg' '$TMP/g.svg'"
else
	skip "describe --dot renders" "graphviz is not installed"
fi
for cmd in "" run check describe inspect; do
	# shellcheck disable=SC2086
	check "mirage-host $cmd --help" bash -c "'$HOST' $cmd --help | grep -q '^usage: mirage-host'"
done
check "mirage-crunch --help" bash -c "'$PWD/$BUILD/bin/mirage-crunch' --help | grep -qi usage"

if [ -n "$SAN" ]; then
	skip "valgrind: no leak in the hello run" "this build uses the sanitizers, which check leaks themselves"
elif ! command -v valgrind >/dev/null; then
	skip "valgrind: no leak in the hello run" "valgrind is not installed"
else
	valgrind --leak-check=full --errors-for-leak-kinds=all --error-exitcode=9 -q \
		"$HOST" configs/hello.cfg --set devices.main.interval_ms=10 >/dev/null 2>"$TMP/vg"; rc=$?
	check "valgrind: no leak and no error in the hello run" [ $rc = 0 ]
	[ $rc = 0 ] || cat "$TMP/vg"
fi

finish
