#!/usr/bin/env bash
# Boots every guest of the list on a real Xen 4.17 (QEMU, TCG) in one run and
# checks what each printed on its console.  Prints "ok"/"not ok" per check and
# "N passed, N failed" last; exits 1 when anything failed.
# Env: BUILD (build), XEN_GUESTS_LIST (tests/xen/guests.list), and those of run.sh.
set -u
cd "$(dirname "$0")/../.." || exit 1
BUILD=${BUILD:-build}
export BUILD
LIST=${XEN_GUESTS_LIST:-tests/xen/guests.list}
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT
. tests/tap.sh
if [ -z "${XEN_LOG:-}" ]; then
	mkdir -p "$BUILD/xen-testbed/logs"
	XEN_LOG=$BUILD/xen-testbed/logs/test-$(date +%Y%m%d-%H%M%S)-$$.log
fi
export XEN_LOG
trim() { local s=$1; s=${s#"${s%%[![:space:]]*}"}; echo "${s%"${s##*[![:space:]]}"}"; }

# ---- the list ---------------------------------------------------------------
images=() expects=() args=()
[ -f "$LIST" ] || { not_ok "guest list" "$LIST not found"; finish; exit 1; }
while IFS= read -r line || [ -n "$line" ]; do
	case $(trim "$line") in "" | "#"*) continue ;; esac
	img=$(trim "${line%%|*}")
	img=${img//\$BUILD/$BUILD}
	rest=${line#*|}
	[ "$rest" != "$line" ] || { not_ok "guest list: $line" "expected IMAGE | TEXT [| TEXT]..."; continue; }
	if [ ! -f "$img" ]; then
		not_ok "guest $(basename "$img" .xen) boots on Xen" "image $img not found (build it first)"
		continue
	fi
	images+=("$img") expects+=("$rest") args+=("$img")
	# mirage-freeze writes IMAGE.xl beside the image (hello.xen.xl)
	[ -f "$img.xl" ] && args+=("$img.xl")
done <"$LIST"

# check_guest IMAGE TEXT...: passes when the guest's console log holds every TEXT
# ("client: TEXT": what its dom0 client printed holds TEXT) and the guest shut
# down once, with reason poweroff (0), or crash (3) when a TEXT is
# "shutdown=crash".  Reads the output of the run below ($TMP/out: the sections
# run.sh extracted).  Passing, it shows the first line matching each TEXT.
check_guest() {
	local img=$1 name section client result xl t missing=() texts=() code=0 how=poweroff downs
	local where line shown=""
	shift
	for t in "$@"; do
		if [ "$t" = shutdown=crash ]; then code=3 how=crash; else texts+=("$t"); fi
	done
	set -- "${texts[@]}"
	name=$(basename "$img" .xen)
	section=$(awk -v n="$name" '
		$0 == "=== guest " n " console ===" { on = 1; next }
		$0 == "=== end " n " ===" { on = 0 }
		on' "$TMP/out")
	client=$(awk -v n="$name" '
		$0 == "=== client " n " ===" { on = 1; next }
		$0 == "=== end client " n " ===" { on = 0 }
		on' "$TMP/out")
	result=$(grep -m1 "^=== guest $name result " "$TMP/out")
	result=${result#"=== guest $name result "}
	result=${result% ===}
	xl=$(awk -v n="$name" '$0 == "=== end xl " n " ===" { on = 0 } on; $0 == "=== xl " n " ===" { on = 1 }' "$XEN_LOG")
	for t in "$@"; do
		where=$section
		[ "${t#client: }" != "$t" ] && where=$client
		if line=$(grep -m1 -F -- "${t#client: }" <<<"$where"); then
			shown+="$line"$'\n'
		else
			missing+=("$t")
		fi
	done
	# SHUTDOWN_poweroff is reason 0, SHUTDOWN_crash 3; more than one
	# shutdown: xl restarted the guest
	grep -q "has shut down, reason code $code " <<<"$xl" ||
		missing+=("(xl: shut down, reason code $code: $how)")
	downs=$(grep -c 'has shut down' <<<"$xl")
	[ "$downs" = 1 ] || missing+=("(xl: one shutdown, not $downs)")
	if [ -z "$result" ]; then
		not_ok "guest $name ran on Xen" "no result line for it in $XEN_LOG"
	elif [ ${#missing[@]} = 0 ]; then
		ok "guest $name printed ${*@Q} on its Xen console and ended once by $how ($result)"
		printf %s "$shown" | sed "s/^/#   $name: /"
	else
		not_ok "guest $name printed ${*@Q} on its Xen console and ended once by $how" \
			"missing: ${missing[*]@Q}" "its console log:" "${section:-(empty)}" "$result" \
			${client:+"its client printed:" "$client"} \
			"xl create -F printed:" "$xl"
	fi
}

# ---- one boot for all guests ---------------------------------------------------
if [ ${#images[@]} -gt 0 ] && ! bash tests/xen/dom0.sh; then
	not_ok "dom0 initramfs for the Xen testbed" "tests/xen/dom0.sh failed (its message is above)"
elif [ ${#images[@]} -gt 0 ]; then
	bash tests/xen/run.sh "${args[@]}" >"$TMP/out" 2>"$TMP/err"
	rc=$?
	qemu=$(grep -o 'QEMU ran [0-9]* ms' "$TMP/err")
	if [ $rc = 0 ]; then
		ok "Xen 4.17 and dom0 booted under QEMU TCG, ran ${#images[@]} guest(s), QEMU exited by itself (${qemu#QEMU ran })"
	else
		not_ok "Xen testbed run" "$(cat "$TMP/err")"
	fi
	if grep -qE '^\(XEN\) HVM: (SVM|VMX) enabled' "$XEN_LOG"; then
		ok "Xen found hardware virtualisation in QEMU's CPU (PVH guests possible)"
	else
		not_ok "Xen found no SVM/VMX" "$(grep -m3 'HVM' "$XEN_LOG")"
	fi
	for i in "${!images[@]}"; do
		IFS='|' read -ra texts <<<"${expects[$i]}"
		want=()
		for t in "${texts[@]}"; do t=$(trim "$t"); [ -n "$t" ] && want+=("$t"); done
		check_guest "${images[$i]}" "${want[@]}"
	done
fi

finish
