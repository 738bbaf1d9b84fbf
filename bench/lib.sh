# shellcheck shell=bash
# What the benchmarks share; sourced after `cd` to the repository's root.

# free_port: a port to try (a server that finds it taken tries another)
free_port() { echo $((20000 + RANDOM % 40000)); }

# to_ms "1.23ms" | "456.00us" | "1.02s": wrk's latency in milliseconds
to_ms() {
	awk -v v="$1" 'BEGIN { n = v + 0; if (v ~ /us$/) n /= 1000; else if (v ~ /[0-9]s$/ && v !~ /ms$/) n *= 1000; printf "%.3f", n }'
}

# need TOOL...: exits naming the first one missing
need() {
	local tool
	for tool in "$@"; do
		command -v "$tool" >/dev/null ||
			{ echo "$0: $tool is missing: bash scripts/deps.sh bench" >&2; exit 1; }
	done
}

# stop_pids: ends the servers started (their pids in the array pids)
stop_pids() {
	local p
	for p in "${pids[@]}"; do kill "$p" 2>/dev/null; wait "$p" 2>/dev/null; done
	pids=()
}
