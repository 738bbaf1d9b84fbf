#!/usr/bin/env bash
# libc-list.sh - writes the list of host/libc/libc.symbols into abi/README.md
# (between its "libc.symbols" markers); --check only says whether it is current.
set -euo pipefail
cd "$(dirname "$0")/.."
list=$(awk '!/^#/ && NF { printf "%s`%s`", sep, $1; sep = ", " }' host/libc/libc.symbols)
new=$(awk -v list="$list" '
	/^<!-- libc.symbols: begin -->$/ { print; print list; skip = 1; next }
	/^<!-- libc.symbols: end -->$/ { skip = 0 }
	!skip { print }' abi/README.md)
if [ "${1:-}" = --check ]; then
	[ "$new" = "$(cat abi/README.md)" ] && exit 0
	echo "abi/README.md's libc list differs from host/libc/libc.symbols: run bash scripts/libc-list.sh" >&2
	exit 1
fi
printf '%s\n' "$new" >abi/README.md
