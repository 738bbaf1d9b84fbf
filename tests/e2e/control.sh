# shellcheck shell=bash
# tests/e2e/control.sh - sourced by the scripts that drive a website run with
# --control "$SOCK" (swap.sh, hostrel.sh): ctl and bounded polls.
# eventually COMMAND...: polls COMMAND until it succeeds (20 s at most)
eventually() {
	for _ in $(seq 400); do
		"$@" && return 0
		sleep 0.05
	done
	return 1
}
ctl() { "$HOST" ctl "$SOCK" "$@"; }
changes() { ctl status --json | sed -n 's/.*"changes": \([0-9]*\).*/\1/p'; }
more_changes_than() { [ "$(changes)" -gt "$1" ]; }
