#!/usr/bin/env bash
# Checks pre-linked plugin objects against what the image exports, with the
# rule taken from each plugin's descriptor (mirage-host inspect): a plugin
# that claims unix too is portable and may leave only the libc's symbols
# undefined; one that claims only xen may also use the platform's.  Also:
# every plugin on the path whose descriptor claims xen has its NAME.xen.o.
# Usage: tests/xen/symbols.sh LIBC-LIST OBJ...   (env BUILD: the build folder)
# Exit 1 naming each offender.
set -uo pipefail
BUILD=${BUILD:-build}
HOST=$BUILD/bin/mirage-host
list=$1
shift
libc=$(awk '!/^#/ && NF { print $1 }' "$list")
platform=$(awk '!/^#/ && NF { print $1 }' host/xen/platform.symbols)
bad=0
for obj in "$@"; do
	name=$(basename "$obj" .xen.o)
	targets=$("$HOST" inspect "$name" --target xen --plugin-path "$(dirname "$obj")" |
		sed -n 's/^  targets:  //p')
	case $targets in
	"unix, xen") allowed=$libc ;;
	xen) allowed="$libc $platform" ;;
	*) echo "$obj: its descriptor claims '${targets:-nothing}', not xen: it should not have a .xen.o" >&2
	   bad=1; continue ;;
	esac
	for sym in $(nm -u "$obj" | awk '{ print $2 }'); do
		case " ${allowed//$'\n'/ } " in
		*" $sym "*) ;;
		*) echo "$obj: undefined symbol '$sym' is not exported by the image for a plugin claiming '$targets'" >&2
		   bad=1 ;;
		esac
	done
done
for so in "$BUILD"/plugins/*.so; do
	name=$(basename "$so" .so)
	if "$HOST" inspect "$so" --target xen | grep -q '^  targets:  .*xen' &&
	   [ ! -f "$BUILD/plugins/$name.xen.o" ]; then
		echo "$so: its descriptor claims xen but there is no $name.xen.o (its plugin.mk targets)" >&2
		bad=1
	fi
done
[ $bad = 0 ] && echo "symbols: every plugin object uses only what its descriptor's targets allow"
exit $bad
