#!/usr/bin/env bash
# layers.sh - each layer of host/ includes only the layers below it (and
# abi/): a quoted include names its layer's folder, and that folder must be
# one this layer may use.  Prints "ok"/"not ok" and "N passed, N failed".
set -u
cd "$(dirname "$0")/../.." || exit 1
. tests/tap.sh

# layer: the layers it may include (besides itself)
declare -A below=(
	[resolve]=""
	[load]="resolve"
	[runtime]="resolve"
	[unix]="runtime resolve"
	[libc]=""
	[xen]="runtime resolve libc"
	[tools]="resolve load runtime unix"
)
for layer in "${!below[@]}"; do
	bad=""
	for f in host/"$layer"/*.[chS]; do
		[ -e "$f" ] || continue
		while IFS= read -r inc; do
			case $inc in
			*/*) used=${inc%%/*} ;;
			*) [ -e "host/$layer/$inc" ] && continue; used="?" ;;
			esac
			case " $layer ${below[$layer]} " in
			*" $used "*) ;;
			*) bad="$bad $f:$inc" ;;
			esac
		done < <(sed -n 's/^#include "\([^"]*\)".*/\1/p' "$f")
	done
	if [ -z "$bad" ]; then
		ok "host/$layer includes only ${below[$layer]:-its own headers}"
	else
		not_ok "host/$layer includes only what is below it" "found:$bad"
	fi
done
# plugins and apps include the ABI, their own folder, their family's
# common/ (what the plugins of one family share: plugins/tls/common) and
# (Xen's) mgx.h only
bad=$(grep -rn '^#include "' plugins apps | grep -v '"mirage/' | grep -v '"mgx.h"' |
	while IFS=: read -r f _ line; do
		inc=$(sed -n 's/^#include "\([^"]*\)".*/\1/p' <<<"$line")
		case $inc in ../common/*) ;; *..*) echo "$f:$inc"; continue ;; esac
		[ -e "$(dirname "$f")/$inc" ] || echo "$f:$inc"
	done)
if [ -z "$bad" ]; then ok "plugins and apps include only abi/, their own folder and their family's common/"
else not_ok "plugins and apps include only abi/, their own folder and their family's common/" "found: $bad"; fi
finish
