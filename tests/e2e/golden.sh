#!/usr/bin/env bash
# mirage-freeze --emit-c against committed files, tests/e2e/golden/CFG.TARGET.c:
# the wiring C changes only on purpose, and holds nothing of this machine.
#   UPDATE=1 bash tests/e2e/golden.sh   rewrites the files from today's output
# Prints "ok"/"not ok" per check and "N passed, N failed" last.
set -u
cd "$(dirname "$0")/../.." || exit 1
BUILD=${BUILD:-build}
FREEZE=$PWD/$BUILD/bin/mirage-freeze
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT
. tests/tap.sh

regen="UPDATE=1 bash tests/e2e/golden.sh"
[ "$BUILD" = build ] || regen="UPDATE=1 BUILD=$BUILD bash tests/e2e/golden.sh"
# configs without path parameters: a path would be resolved to an absolute one
for cfg in hello kv-crunch; do
	for target in unix xen; do
		golden=tests/e2e/golden/$cfg.$target.c
		out=$TMP/$cfg.$target.c
		# relative names: the config's is written into the file's first comment
		if ! "$FREEZE" -q "configs/$cfg.cfg" --target $target --plugin-path "$BUILD/plugins" \
			-o "$TMP/$cfg.$target" --emit-c "$out" 2>"$TMP/err"; then
			not_ok "freeze configs/$cfg.cfg --target $target" "$(cat "$TMP/err")"
			continue
		fi
		if grep -nF -e "$PWD" -e "$TMP" -e '"/' "$out" >"$TMP/abs"; then
			not_ok "$golden: no absolute path" "$(cat "$TMP/abs")"
		else
			ok "$golden: no absolute path"
		fi
		if [ "${UPDATE:-}" = 1 ]; then
			cp "$out" "$golden" && ok "$golden written"
		elif cmp -s "$golden" "$out"; then
			ok "configs/$cfg.cfg --target $target: the wiring C is $golden"
		else
			not_ok "configs/$cfg.cfg --target $target: the wiring C differs from $golden" \
				"$(diff -u "$golden" "$out" | head -40)" \
				"if the change is meant, regenerate with: $regen"
		fi
	done
done
finish
