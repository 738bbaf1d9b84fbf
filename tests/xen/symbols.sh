#!/usr/bin/env bash
# Checks pre-linked plugin objects against the image's exports.
# Usage: tests/xen/symbols.sh LIST OBJ... [--platform OBJ...]
#   LIST is host/xen/libc.symbols.  Objects before --platform are portable
#   plugins and may leave only "libc" symbols undefined; objects after it
#   (plugins/xen/) may also use "platform" ones.  Exit 1 naming each offender.
set -euo pipefail
list=$1
shift
allowed=$(awk '!/^#/ && $2 == "libc" { print $1 }' "$list")
platform=$(awk '!/^#/ && $2 == "platform" { print $1 }' "$list")
bad=0
for obj in "$@"; do
	if [ "$obj" = --platform ]; then
		allowed="$allowed $platform"
		continue
	fi
	for sym in $(nm -u "$obj" | awk '{ print $2 }'); do
		case " ${allowed//$'\n'/ } " in
		*" $sym "*) ;;
		*) echo "$obj: undefined symbol '$sym' is not exported by the image for this plugin" >&2
		   bad=1 ;;
		esac
	done
done
[ $bad = 0 ] && echo "symbols: every plugin object uses only what $list allows it"
exit $bad
