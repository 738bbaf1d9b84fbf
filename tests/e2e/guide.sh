#!/usr/bin/env bash
# guide.sh - builds and runs the worked example of abi/README.md as an
# out-of-tree plugin author would: extract the marked files, build with
# pkg-config, run, inspect, check the exported symbols.
#   BUILD=build-asan SAN=1 bash tests/guide.sh
# BUILD (default build) is taken from the repository root when relative.
set -u

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
BUILD=${BUILD:-build}
case $BUILD in
/*) ;;
*) BUILD=$ROOT/$BUILD ;;
esac
SAN=${SAN:-}
README=$ROOT/abi/README.md
HOST=$BUILD/bin/mirage-host

passed=0
failed=0
ok() {
	echo "ok - $1"
	passed=$((passed + 1))
}
not_ok() {
	echo "not ok - $1"
	failed=$((failed + 1))
}
finish() {
	echo "$passed passed, $failed failed"
	[ "$failed" -eq 0 ]
	exit
}
# check NAME EXPECTED-FILE ACTUAL-FILE: equal bytes, else a diff.
same() {
	if cmp -s "$2" "$3"; then
		ok "$1"
	else
		not_ok "$1"
		diff -u "$2" "$3" | sed 's/^/#   /'
	fi
}

WORK=$(mktemp -d)
trap "rm -rf \"$WORK\"" EXIT; [ -n "${KEEP:-}" ] && trap - EXIT

if [ ! -x "$HOST" ] || [ ! -f "$BUILD/pkgconfig/mirage-plugin.pc" ]; then
	not_ok "$BUILD has mirage-host and pkgconfig/mirage-plugin.pc (run make first)"
	finish
fi

# (a) every "<!-- file: NAME -->" followed by a fenced block becomes WORK/NAME.
if awk -v dir="$WORK" '
	want == "" && /^<!-- file: [^ ]+ -->$/ { want = $3; next }
	want != "" && !inside {
		if ($0 !~ /^```/) { print "no fenced block after file: " want > "/dev/stderr"; bad = 1; want = "" ; next }
		inside = 1; out = dir "/" want; printf "" > out; n++; next
	}
	inside && /^```$/ { close(out); inside = 0; want = ""; next }
	inside { print > out }
	END { if (inside) { print "unterminated block: " want > "/dev/stderr"; bad = 1 }
	      if (bad || n == 0) exit 1 }' "$README"; then
	missing=
	for f in greet.c greet.cfg build.sh freeze.sh greeting.h greeting.fixed.c welcome.c welcome.cfg welcome.sh; do
		[ -f "$WORK/$f" ] || missing="$missing $f"
	done
	if [ -z "$missing" ]; then
		ok "extract the example's files from abi/README.md ($(cd "$WORK" && echo *))"
	else
		not_ok "extract the example's files from abi/README.md: missing$missing"
		finish
	fi
else
	not_ok "extract the example's files from abi/README.md"
	finish
fi

# (b) build.sh as written, with the project's warnings made errors, plus the
# sanitizers when the host has them.
cflags="-Werror -Wshadow -Wstrict-prototypes -Wmissing-prototypes"
ldflags=
if [ "$SAN" = 1 ]; then
	cflags="$cflags -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=all"
	ldflags="-fsanitize=address,undefined"
fi
if (cd "$WORK" && PKG_CONFIG_PATH=$BUILD/pkgconfig CFLAGS=$cflags LDFLAGS=$ldflags \
	sh build.sh) >"$WORK/build.log" 2>&1 && [ -f "$WORK/greet.so" ]; then
	ok "sh build.sh builds greet.so"
else
	not_ok "sh build.sh builds greet.so"
	sed 's/^/#   /' "$WORK/build.log"
	finish
fi

# (c) the run prints exactly this, says nothing on stderr and succeeds.
cat >"$WORK/expected.out" <<'EOF'
----------------------------
Hello from outside the tree.
----------------------------
EOF
(cd "$WORK" && "$HOST" greet.cfg --plugin-path .) >"$WORK/run.out" 2>"$WORK/run.err"
rc=$?
if [ "$rc" -eq 0 ]; then ok "mirage-host greet.cfg exits 0"; else not_ok "mirage-host greet.cfg exits 0 (got $rc)"; fi
same "mirage-host greet.cfg prints the framed greeting" "$WORK/expected.out" "$WORK/run.out"
: >"$WORK/empty"
same "mirage-host greet.cfg writes nothing on stderr" "$WORK/empty" "$WORK/run.err"

# the README's run-time error example
(cd "$WORK" && "$HOST" greet.cfg --plugin-path . --set devices.main.key=nope.txt) \
	>"$WORK/err.out" 2>"$WORK/err.err"
rc=$?
cat >"$WORK/expected.err" <<'EOF'
mirage-host: error: main: cannot read 'nope.txt': error -2
mirage-host: error: main: job failed: No such file or directory (-2)
EOF
if [ "$rc" -eq 1 ] && [ ! -s "$WORK/err.out" ]; then
	ok "a missing key fails with status 1 and no output"
else
	not_ok "a missing key fails with status 1 and no output (got $rc)"
fi
same "a missing key is reported as the README shows" "$WORK/expected.err" "$WORK/err.err"

# (d) inspect, by file and by name
for how in "./greet.so" "greet --plugin-path ."; do
	# shellcheck disable=SC2086 # $how is two or three words on purpose
	out=$(cd "$WORK" && "$HOST" inspect $how 2>&1)
	rc=$?
	missing=
	for line in \
		"greet 1.0: prints one value of a store between two rules" \
		"  type:     job 1.0" \
		"  targets:  unix, xen" \
		"    console      console 1.0, default console.unix (unix), console.xen (xen)  where the text goes" \
		"    store        kv_ro 1.0  where the text comes from" \
		"  params:" \
		"    key          string, required  the value to print" \
		"    width        integer [1..200], default \"40\"  length of the rules"; do
		grep -qxF -- "$line" <<<"$out" || missing="$missing [$line]"
	done
	if [ "$rc" -eq 0 ] && [ -z "$missing" ]; then
		ok "mirage-host inspect $how shows the type, slots and params"
	else
		not_ok "mirage-host inspect $how shows the type, slots and params (status $rc; missing$missing)"
		printf '#   %s\n' "${out//$'\n'/$'\n#   '}"
	fi
done

# (e) the descriptor is the only exported symbol.  Under ASan the compiler
# adds an ODR marker for each global, __odr_asan.mirage_plugin: not ours.
syms=$(nm -D --defined-only "$WORK/greet.so" | awk '{ print $NF }')
if [ "$SAN" = 1 ]; then
	syms=$(grep -v '^__odr_asan\.' <<<"$syms")
fi
if [ "$syms" = mirage_plugin ]; then
	ok "greet.so exports only mirage_plugin"
else
	not_ok "greet.so exports only mirage_plugin (found: ${syms//$'\n'/ })"
fi

# (f) "Freezing": greet's three objects by mirage-plugin-build, frozen for
# Unix, prints what mirage-host printed.  The guide's /path/to/main/build is
# this build.
guide_script() { sed "s|/path/to/main/build|$BUILD|g" "$WORK/$1" >"$WORK/run-$1"; }
guide_script freeze.sh
if (cd "$WORK" && CFLAGS=$cflags LDFLAGS=$ldflags sh run-freeze.sh) >"$WORK/freeze.out" 2>"$WORK/freeze.err" &&
   [ -f "$WORK/greet.unix.o" ] && [ -f "$WORK/greet.xen.o" ]; then
	ok "freeze.sh builds greet.so, greet.unix.o and greet.xen.o and freezes greet.cfg"
	same "the frozen greet prints what mirage-host prints" "$WORK/expected.out" \
		<(grep -v '^  \|: unix image of\|^ *text' "$WORK/freeze.out")
else
	not_ok "freeze.sh"
	sed 's/^/#   /' "$WORK/freeze.err"
fi

# (g) "Adding a module type": a type, its provider and a job, all outside
# the tree, hosted, frozen for Unix and, without sanitizers, for Xen (QEMU).
guide_script welcome.sh
if [ "$SAN" = 1 ]; then
	# the image is freestanding: stop before the Xen build
	sed -i '/--target xen/,$d' "$WORK/run-welcome.sh"
	echo "skip - welcome.xen under QEMU: a sanitizer build (SAN=1); make test boots it"
fi
(cd "$WORK" && CFLAGS=$cflags LDFLAGS=$ldflags timeout 120 sh run-welcome.sh) >"$WORK/welcome.out" 2>"$WORK/welcome.err"
rc=$?
expect=3
[ "$SAN" = 1 ] && expect=2 && rc=$((rc == 0 ? 1 : rc))
count=$(tr -d '\r' <"$WORK/welcome.out" | grep -c 'Hello, unikernel!$')
if [ "$rc" = 1 ] && [ "$count" = "$expect" ]; then
	ok "welcome.sh: the out-of-tree type runs hosted, frozen for unix${SAN:+ (xen skipped)}${SAN:-, and as a Xen image under QEMU}"
else
	not_ok "welcome.sh (status $rc, $count of $expect greetings)"
	sed 's/^/#   /' "$WORK/welcome.err" | tail -20
fi
out=$(cd "$WORK" && "$HOST" inspect welcome --plugin-path . 2>&1)
if grep -qF "greeting     greeting 1.0 (a type this host was not built with)  what to say" <<<"$out"; then
	ok "inspect welcome notes the type the host does not know"
else
	not_ok "inspect welcome notes the type the host does not know" "$out"
fi

finish
