#!/usr/bin/env bash
# shellcheck disable=SC2016  # bash -c scripts take their values as $1, $2
# Signed plugins end to end: mirage-sign's keys and signatures, mirage-host
# and mirage-freeze refusing what a trusted key did not sign (unsigned,
# tampered, signed by another key, renamed, an altered .sig), inspect
# without keys, a signed hot swap applied and an unsigned rebuild refused
# under --watch while the old plugin serves on, frozen images (unix, xen)
# built only from signed objects.  Keys are made here, in a temporary
# folder.  Prints "ok"/"not ok" per check and "N passed, N failed" last.
set -u
cd "$(dirname "$0")/../.." || exit 1
BUILD=${BUILD:-build}
SAN=${SAN:-}
HOST=$PWD/$BUILD/bin/mirage-host
FREEZE=$PWD/$BUILD/bin/mirage-freeze
SIGN=$PWD/$BUILD/bin/mirage-sign
ROOT=$PWD/apps/website/htdocs
TMP=$(mktemp -d)
SOCK=$TMP/control.sock
# shellcheck source=tests/e2e/website.sh
. tests/e2e/website.sh
trap 'stop_server; rm -rf "$TMP"' EXIT
# shellcheck source=tests/e2e/control.sh
. tests/e2e/control.sh

# has TEXT FILE-OR-STRING...: grep -F on a string
has() { grep -qF -- "$1" <<<"$2"; }
# refused NAME RC OUT FRAGMENT...: status 1 and every fragment in OUT
refused() {
	local name=$1 rc=$2 out=$3 f
	shift 3
	for f in "$@"; do
		has "$f" "$out" || { not_ok "$name" "rc=$rc, lacks: $f" "$out"; return; }
	done
	if [ "$rc" = 1 ]; then ok "$name"; else not_ok "$name" "rc=$rc" "$out"; fi
}

# ---- keys ---------------------------------------------------------------------
mkdir -p "$TMP/keys" "$TMP/app"
check "mirage-sign --help" bash -c '"$1" --help | grep -q "^usage: mirage-sign keygen NAME"' _ "$SIGN"
out=$("$SIGN" keygen "$TMP/keys/release") && "$SIGN" keygen "$TMP/keys/other" >/dev/null
check "keygen writes NAME.key and NAME.pub and gives the fingerprint" \
	bash -c '[ -s "$1.key" ] && [ -s "$1.pub" ] && grep -Eq "key SHA256:[0-9a-f]{64}$" <<<"$2"' _ \
	"$TMP/keys/release" "$out"
check "NAME.key is mode 0600" [ "$(stat -c %a "$TMP/keys/release.key")" = 600 ]
check "NAME.pub is a PEM public key OpenSSL reads" \
	openssl pkey -pubin -in "$TMP/keys/release.pub" -noout
out=$("$SIGN" keygen "$TMP/keys/release" 2>&1); rc=$?
check "keygen never overwrites a key" bash -c '[ "$1" = 1 ] && grep -q "never overwritten" <<<"$2"' _ "$rc" "$out"
FPR=$(openssl pkey -pubin -in "$TMP/keys/release.pub" -outform DER | tail -c 32 | sha256sum | cut -c1-16)
RELEASE="'$TMP/app/keys/release.pub' (SHA256:$FPR)" # as the configs name it

# ---- signing: a copy of every plugin, signed --------------------------------
cp -r "$BUILD/plugins" "$TMP/plugins"
PL=$TMP/plugins
"$SIGN" sign "$TMP/keys/release.key" "$PL"/*.so "$PL"/*.o >"$TMP/sign.out" 2>&1
check "sign writes FILE.sig beside each .so, .unix.o and .xen.o" \
	bash -c '[ -s "$1/hello.so.sig" ] && [ -s "$1/hello.unix.o.sig" ] && [ -s "$1/hello.xen.o.sig" ]' _ "$PL"
check "sign names the plugin, its version and the key" \
	grep -q "^$PL/hello.so.sig: plugin hello [0-9.]*, signed by key 'release' (SHA256:$FPR)$" "$TMP/sign.out"
sig=$(cat "$PL/hello.unix.o.sig")
check "a .sig: the format version, the file, plugin, version, hashes, signer, key, fingerprint" \
	bash -c 'sed -n "1p;2p;3p;6p;7p" <<<"$1" | tr "\n" "|" | grep -Eq "^mirage-plugin-signature 1\|file hello.unix.o\|plugin hello\|libs sha512 [0-9a-f]{128}\|signer release\|$" &&
		grep -q "^fingerprint sha256 $2" <<<"$1"' _ "$sig" "$FPR"
# the signed text is every line but the last: OpenSSL checks it alone
head -n -1 "$PL/hello.so.sig" >"$TMP/signed.txt"
tail -n 1 "$PL/hello.so.sig" | cut -d' ' -f3 | xxd -r -p >"$TMP/sig.bin"
openssl_verifies() {
	openssl pkeyutl -verify -pubin -inkey "$TMP/keys/release.pub" -rawin -in "$TMP/signed.txt" \
		-sigfile "$TMP/sig.bin" >/dev/null
}
check "the signature is plain Ed25519 over the text above it (openssl pkeyutl verifies it)" \
	openssl_verifies
check "verify: exit 0 when every file verifies" bash -c '"$1" verify "$2" "${@:3}" >/dev/null' _ "$SIGN" "$TMP/keys/release.pub" "$PL"/*.so "$PL"/*.o
out=$("$SIGN" verify "$TMP/keys/other.pub" "$PL/hello.so" 2>&1); rc=$?
refused "verify with another key: exit 1, the signer named" "$rc" "$out" \
	"signed by key 'release' (SHA256:$FPR), which is not trusted"
out=$("$SIGN" sign "$TMP/keys/release.key" "$TMP/keys/release.pub" 2>&1); rc=$?
refused "sign refuses what is no plugin file" "$rc" "$out" "expected a plugin's NAME.so, NAME.unix.o or NAME.xen.o"

# ---- mirage-host with trusted keys ------------------------------------------
# hello.cfg from the signed folder, trusting keys/release.pub (relative to
# the config's folder, as plugin_path)
ln -s ../keys "$TMP/app/keys"
printf 'name = "hello";\nplugin_path = [ "%s" ];\ntrust = [ "keys/release.pub" ];\ndevices = {\n  main = { impl = "hello"; count = 1; interval_ms = 0; };\n};\n' \
	"$PL" >"$TMP/app/hello.cfg"
out=$("$HOST" "$TMP/app/hello.cfg" 2>&1)
check "trust = [ ... ] in the config: signed plugins run" [ "$out" = "Hello, World! (1/1)" ]
out=$("$HOST" configs/hello.cfg --plugin-path "$PL" --trust "$TMP/keys/release.pub" \
	--set devices.main.count=1 --set devices.main.interval_ms=0 2>&1)
check "--trust NAME.pub: signed plugins run" [ "$out" = "Hello, World! (1/1)" ]

# hostcheck: mirage-host check of the config, every plugin from $PL
hostcheck() { "$HOST" check "$TMP/app/hello.cfg" "$@" 2>&1; }
cp "$PL/hello.so" "$TMP/hello.so.good"
cp "$PL/hello.so.sig" "$TMP/hello.so.sig.good"
restore() { cp "$TMP/hello.so.good" "$PL/hello.so"; cp "$TMP/hello.so.sig.good" "$PL/hello.so.sig"; }

rm "$PL/hello.so.sig"
out=$(hostcheck); rc=$?
refused "an unsigned plugin is refused: the file, the reason, the trusted key" "$rc" "$out" \
	"hello.cfg:5: device 'main': implementation 'hello': $PL/hello.so: refused: not signed (no hello.so.sig beside it); trusted: $RELEASE"
restore
printf '\0' >>"$PL/hello.so"
out=$(hostcheck); rc=$?
refused "a tampered plugin is refused, naming the key that signed it" "$rc" "$out" \
	"$PL/hello.so: refused: its bytes are not those key 'release' (SHA256:$FPR) signed (changed or rebuilt after signing)"
restore
"$SIGN" sign "$TMP/keys/other.key" "$PL/hello.so" >/dev/null
out=$(hostcheck); rc=$?
refused "a plugin signed by another key is refused, naming both keys" "$rc" "$out" \
	"$PL/hello.so: refused: signed by key 'other' (SHA256:" "which is not trusted (trusted: $RELEASE)"
restore
sed -i 's/^version .*/version 9.9/' "$PL/hello.so.sig"
out=$(hostcheck); rc=$?
refused "an altered .sig is refused" "$rc" "$out" \
	"$PL/hello.so: refused: the signature in hello.so.sig does not verify with key 'release' (SHA256:$FPR)"
restore
cp "$PL/hello.so" "$PL/greet.so"
cp "$PL/hello.so.sig" "$PL/greet.so.sig"
out=$(hostcheck --set devices.main.impl=greet); rc=$?
refused "a renamed plugin is refused" "$rc" "$out" \
	"$PL/greet.so: refused: key 'release' (SHA256:$FPR) signed it as 'hello.so', not as 'greet.so' (renamed)"
rm "$PL/greet.so" "$PL/greet.so.sig"
out=$(hostcheck --set devices.main.impl=hello); rc=$?
check "restored, the config checks again" [ "$rc" = 0 ]

printf 'trust = [ "keys/none.pub" ];\ndevices = { main = { impl = "hello"; }; };\n' >"$TMP/app/nokey.cfg"
out=$("$HOST" check "$TMP/app/nokey.cfg" --plugin-path "$PL" 2>&1); rc=$?
refused "a trusted key that cannot be read: file and line" "$rc" "$out" \
	"nokey.cfg:1: trust: $TMP/app/keys/none.pub: cannot read the trusted key: No such file or directory"
out=$("$HOST" check "$TMP/app/hello.cfg" --trust "$PL/hello.so.sig" 2>&1); rc=$?
refused "--trust with a file that is no key" "$rc" "$out" \
	"--trust $PL/hello.so.sig: expected an Ed25519 public key in PEM"

# ---- without keys: as before, and inspect tells -----------------------------
mkdir -p "$TMP/unsigned"
cp "$BUILD/plugins/hello.so" "$TMP/unsigned/"
out=$("$HOST" configs/hello.cfg --plugin-path "$TMP/unsigned" --set devices.main.count=1 \
	--set devices.main.interval_ms=0 2>&1)
check "without trust an unsigned plugin runs as before" [ "$out" = "Hello, World! (1/1)" ]
out=$("$HOST" inspect hello --plugin-path "$PL")
check "inspect: a signed plugin and its key" \
	has "  signed:   by key 'release' (SHA256:$FPR)" "$out"
out=$("$HOST" inspect hello --plugin-path "$TMP/unsigned")
check "inspect: an unsigned plugin" has "  signed:   no (no hello.so.sig beside it)" "$out"
printf '\0' >>"$TMP/unsigned/hello.so"
cp "$PL/hello.so.sig" "$TMP/unsigned/"
out=$("$HOST" inspect hello --plugin-path "$TMP/unsigned")
check "inspect: a plugin whose signature does not hold" \
	has "  signed:   no, bad signature: its bytes are not those key 'release'" "$out"
out=$("$HOST" inspect --plugin-path "$PL")
check "inspect's list says who signed each plugin" \
	grep -q "^hello  *job  .* \[signed by key 'release' (SHA256:$FPR)\]$" <<<"$out"
out=$("$HOST" inspect --plugin-path "$TMP/unsigned" --trust "$TMP/keys/release.pub")
check "inspect's list with --trust: the refused plugin is unusable, with why" \
	grep -q "^hello  *(unusable: .*hello.so: refused: its bytes are not those" <<<"$out"

# ---- hot swap under --watch and ctl, with a trusted key --------------------------
mkdir -p "$TMP/src"
cp tests/fixtures/kvone.c "$TMP/src/"
cflags="-O1 -Wall -Wextra -Werror" ldflags=""
if [ "$SAN" = 1 ]; then
	cflags="$cflags -fsanitize=address,undefined -fno-omit-frame-pointer"
	ldflags="-fsanitize=address,undefined"
fi
export PKG_CONFIG_PATH=$PWD/$BUILD/pkgconfig
# build_kvone: into $TMP/new, then moved in (a rebuild, unsigned)
# shellcheck disable=SC2046,SC2086 # pkg-config output and flag lists split on purpose
build_kvone() {
	mkdir -p "$TMP/new"
	cc $(pkg-config --cflags mirage-plugin) $cflags -o "$TMP/new/kvone.so" \
		"$TMP/src/kvone.c" $(pkg-config --libs mirage-plugin) $ldflags &&
		mv "$TMP/new/kvone.so" "$PL/kvone.so"
}
build_kvone && "$SIGN" sign "$TMP/keys/release.key" "$PL/kvone.so" >/dev/null ||
	not_ok "kvone builds and is signed"
sed -e "s|\"../build/plugins\"|\"$PL\"|" -e "s|\"../apps/website/htdocs\"|\"$ROOT\"|" \
	-e 's|^plugin_path.*|&\ntrust = [ "keys/release.pub" ];|' configs/website.cfg >"$TMP/app/website.cfg"
SERVER_ARGS=(--watch --control "$SOCK" --set devices.main.access_log=false)
if ! start_server "$TMP/app/website.cfg"; then
	not_ok "the website starts from signed plugins, with --watch and --control"
	finish
	exit 1
fi
ok "the website starts from signed plugins, with --watch and --control"
kvone_says() { grep -qx "kvone version $1" <(curl -s "$(URL /version.txt)"); }

check "ctl swap to a signed plugin is applied" bash -c '"$1" ctl "$2" swap fs kvone | grep -q "applied"' _ "$HOST" "$SOCK"
check "and it serves" kvone_says 1
n=$(changes)
rm "$PL/kvone.so.sig"
sed -i 's/kvone version 1/kvone version 2/' "$TMP/src/kvone.c"
build_kvone
# shellcheck disable=SC2317 # called through eventually
refusal_logged() { grep -q "kvone.so rebuilt: not loaded: $PL/kvone.so: refused: not signed (no kvone.so.sig beside it); trusted: $RELEASE; the app runs on unchanged" "$TMP/server.err"; }
check "--watch: an unsigned rebuild is refused, with the file, the reason and the key" eventually refusal_logged
check "the running kvone serves on" kvone_says 1
check "nothing was applied" [ "$(changes)" = "$n" ]
"$SIGN" sign "$TMP/keys/release.key" "$PL/kvone.so" >/dev/null
# shellcheck disable=SC2317 # called through eventually
new_text() { kvone_says 2; }
check "--watch: once signed, the rebuild is loaded and serves" eventually new_text
check "as one change" more_changes_than "$n"
cp "$BUILD/tests/fixtures/crashkv.so" "$PL/"
out=$(ctl swap fs crashkv 2>&1); rc=$?
refused "ctl swap to an unsigned plugin: not applied, with the reason" "$rc" "$out" \
	"$PL/crashkv.so: refused: not signed (no crashkv.so.sig beside it)"
check "and kvone serves on" kvone_says 2
stop_server
check "the host exits cleanly" [ "$SERVER_RC" = 0 ]

# ---- frozen images from signed objects -----------------------------------------
freeze_hello() { "$FREEZE" -q "$TMP/app/hello.cfg" "$@" 2>&1; }
out=$(freeze_hello -o "$TMP/hello"); rc=$?
check "freeze with trust: a unix program from signed objects" [ "$rc" = 0 ]
check "and it runs" [ "$("$TMP/hello" 2>&1)" = "Hello, World! (1/1)" ]
mv "$PL/hello.unix.o.sig" "$TMP/"
out=$(freeze_hello -o "$TMP/hello2"); rc=$?
refused "freeze refuses an unsigned object, naming it" "$rc" "$out" \
	"hello.cfg:5: device 'main': $PL/hello.unix.o: refused: not signed (no hello.unix.o.sig beside it); trusted: $RELEASE"
check "and writes no program" [ ! -e "$TMP/hello2" ]
mv "$TMP/hello.unix.o.sig" "$PL/"
echo "-lm" >>"$PL/hello.unix.libs"
out=$(freeze_hello -o "$TMP/hello2"); rc=$?
refused "freeze refuses an object whose .libs changed after signing" "$rc" "$out" \
	"$PL/hello.unix.o: refused: its .libs (what it is linked with) changed since key 'release' (SHA256:$FPR) signed it"
cp "$BUILD/plugins/hello.unix.libs" "$PL/"
rm "$PL/time.loop.so.sig"
out=$(freeze_hello -o "$TMP/hello2"); rc=$?
refused "freeze refuses an unsigned .so before reading its descriptor" "$rc" "$out" \
	"$PL/time.loop.so: refused: not signed (no time.loop.so.sig beside it)"
"$SIGN" sign "$TMP/keys/release.key" "$PL/time.loop.so" >/dev/null

if ! "$FREEZE" -q configs/hello.cfg --target xen -o "$TMP/plain.xen" >"$TMP/xen.err" 2>&1; then
	skip "freeze --target xen with trust" "freezing for xen fails here: $(head -1 "$TMP/xen.err")"
else
	out=$(freeze_hello --target xen -o "$TMP/hello.xen"); rc=$?
	check "freeze --target xen with trust: an image from signed objects" [ "$rc" = 0 ]
	if [ -z "$SAN" ] && command -v qemu-system-x86_64 >/dev/null; then
		out=$(timeout 120 qemu-system-x86_64 -accel tcg -m 64 -nographic -no-reboot \
			-device isa-debug-exit,iobase=0xf4,iosize=0x04 -kernel "$TMP/hello.xen" 2>&1 | tr -d '\r')
		check "the signed image boots under QEMU and greets" has "Hello, World! (1/1)" "$out"
	else
		skip "booting the signed image" "a sanitizer build or no qemu-system-x86_64"
	fi
	mv "$PL/console.xen.xen.o.sig" "$TMP/"
	out=$(freeze_hello --target xen -o "$TMP/hello2.xen"); rc=$?
	refused "freeze --target xen refuses an unsigned object" "$rc" "$out" \
		"$PL/console.xen.xen.o: refused: not signed (no console.xen.xen.o.sig beside it)"
fi

finish
