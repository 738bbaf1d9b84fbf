#!/usr/bin/env bash
# HTTP benchmark: the website (mirage-host, and the same config frozen with
# mirage-freeze --target unix) against nginx, one after the other in the
# same run, on loopback.  nginx is tuned as an operator would: one worker,
# sendfile on, tcp_nopush on, keepalive_requests 1000000.  Each case runs
# RUNS times, the servers in turn (frozen before hosted every other run); a
# row shows the medians and the median of the per-run ratios (ours/nginx,
# frozen/hosted):
#   1 KiB over kvro.dir, access logs off on both sides, 64 connections
#   the same with access logs on on both sides, each to a file
#   1000 connections; Connection: close; 1 MiB; 1 KiB over kvro.crunch;
#   a stretch row against nginx with open_file_cache on
#   and, apart (they use every core, not one), workers: ours with
#   --set workers=2 against nginx with worker_processes 2
# Errors (non-2xx answers and socket errors wrk counted) are ours (hosted,
# frozen) / nginx's.  Each row also shows the servers' own CPU time per
# request (user and system, from /proc) and wrk's (against ours / against
# nginx): with wrk on the same 2 cores, a server that needs less leaves
# more to the client, and a ratio of req/s near 1 with the servers' CPU
# far apart and wrk's far above both means the client is the limit.
# then the syscalls per request of each case (strace -c over a short wrk
# run, ours and nginx's worker), and the resident bytes per idle keep-alive
# connection (IDLE connections, each after one 1 KiB response).
#   bash bench/http.sh            (make bench; deps: bash scripts/deps.sh bench)
#   DURATION=5s RUNS=3 IDLE=4000 THREADS=2 FROZEN=1 SYSCALLS=1 bash bench/http.sh
#   CASES="1k-off 1m" bash bench/http.sh     (a subset; names below)
#   NGINX_DEFERRED=1 bash bench/http.sh   nginx listens with 'deferred', the
#     TCP_DEFER_ACCEPT that http.server asks of net.socket (not in the tuning
#     the targets are stated against)
#   BASE=DIR bash bench/http.sh   also runs mirage-host with the plugins of DIR
#     first (an earlier build's .so files) in each round: the "gain" column
#     is ours/base, measured in the same run as the ratio to nginx
set -u
if [ "${1:-}" = --help ] || [ "${1:-}" = -h ]; then
	sed -n '2,/^set -u/{/^set -u/d;s/^# \{0,1\}//;p}' "$0"
	exit 0
fi
cd "$(dirname "$0")/.." || exit 1
. bench/lib.sh
BUILD=${BUILD:-build}
DURATION=${DURATION:-5s}
RUNS=${RUNS:-3}
THREADS=${THREADS:-2}
IDLE=${IDLE:-4000}
FROZEN=${FROZEN:-1}
SYSCALLS=${SYSCALLS:-1}
BASE=${BASE:-}
deferred=
[ "${NGINX_DEFERRED:-0}" = 1 ] && deferred=" deferred"
ROOT=$PWD/apps/website/htdocs
TMP=$(mktemp -d)
pids=()

# name | config | path | connections | access log | Connection: close | nginx variant | workers
ALL_CASES="
1k-off|website|/files/1k.txt|64|false|0|plain|1
1k-log|website|/files/1k.txt|64|true|0|log|1
1k-1000|website|/files/1k.txt|1000|false|0|plain|1
1k-close|website|/files/1k.txt|64|false|1|plain|1
1m|website|/files/1m.txt|64|false|0|plain|1
1k-crunch|website-crunch|/files/1k.txt|64|false|0|plain|1
1k-ofc|website|/files/1k.txt|64|false|0|ofc|1
1k-w2|website|/files/1k.txt|64|false|0|plain|2
1k-close-w2|website|/files/1k.txt|64|false|1|plain|2
"
CASES=${CASES:-$(awk -F'|' 'NF { printf "%s ", $1 }' <<<"$ALL_CASES")}
# the rows with workers after the others, whatever the order asked
CASES=$(for c in $CASES; do grep "^$c|" <<<"$ALL_CASES" || echo "$c|"; done |
	awk -F'|' '{ print ($8 > 1), NR, $1 }' | sort -n -k1,1 -k2,2 | awk '{ printf "%s ", $3 }')

trap 'stop_pids; rm -rf "$TMP"' EXIT

need wrk nginx curl strace cc

# wait_up PORT: until the server answers (5 s at most)
wait_up() {
	for _ in $(seq 50); do
		curl -s -o /dev/null "http://127.0.0.1:$1/files/1k.txt" && return 0
		sleep 0.1
	done
	return 1
}

# start_ours hosted|frozen|base CONFIG LOG [WORKERS]: sets PORT, PID and
# PIDS (the processes that serve: PID, or its workers); stdout (the access
# log) goes to $TMP/KIND.out
start_ours() {
	local kind=$1 cfg=$2 log=$3 workers=${4:-1} port cmd
	for _ in 1 2 3 4 5; do
		port=$(free_port)
		case $kind in
		frozen) cmd=("$TMP/$cfg") ;;
		base) cmd=("$BUILD/bin/mirage-host" "configs/$cfg.cfg" --plugin-path "$BASE") ;;
		*) cmd=("$BUILD/bin/mirage-host" "configs/$cfg.cfg") ;;
		esac
		"${cmd[@]}" --set devices.http.port="$port" --set devices.http.max_connections=20000 \
			--set devices.main.access_log="$log" --set workers="$workers" \
			>"$TMP/$kind.out" 2>"$TMP/$kind.err" &
		PID=$!
		pids+=($PID)
		if wait_up "$port"; then
			PORT=$port
			PIDS=$PID
			[ "$workers" -gt 1 ] && PIDS=$(pgrep -P "$PID" | tr '\n' ' ')
			return 0
		fi
	done
	echo "bench/http.sh: the website ($kind $cfg) did not start: $(cat "$TMP/$kind.err")" >&2
	exit 1
}

# start_nginx plain|log|ofc [WORKERS]: sets PORT, PID (the first worker's)
# and PIDS (every worker's)
start_nginx() {
	local variant=$1 workers=${2:-1} port master
	mkdir -p "$TMP/nginx"
	for _ in 1 2 3 4 5; do
		port=$(free_port)
		cat >"$TMP/nginx/nginx.conf" <<CONF
$( [ "$(id -u)" = 0 ] && echo "user root;" )
worker_processes $workers;
worker_rlimit_nofile 20000;
daemon off;
pid $TMP/nginx/nginx.pid;
error_log $TMP/nginx/error.log;
events { worker_connections 10240; }
http {
  $( [ "$variant" = log ] && echo "access_log $TMP/nginx/access.log;" || echo "access_log off;" )
  $( [ "$variant" = ofc ] && echo "open_file_cache max=1000 inactive=20s; open_file_cache_valid 30s;" )
  sendfile on;
  tcp_nopush on;
  keepalive_requests 1000000;
  client_body_temp_path $TMP/nginx/body;
  proxy_temp_path $TMP/nginx/proxy;
  fastcgi_temp_path $TMP/nginx/fastcgi;
  uwsgi_temp_path $TMP/nginx/uwsgi;
  scgi_temp_path $TMP/nginx/scgi;
  types { text/html html; text/plain txt; text/css css; image/png png; image/svg+xml svg; }
  server { listen 127.0.0.1:$port$deferred; root $ROOT; }
}
CONF
		nginx -c "$TMP/nginx/nginx.conf" -e "$TMP/nginx/error.log" >"$TMP/nginx.log" 2>&1 &
		master=$!
		pids+=($master)
		if wait_up "$port"; then
			PORT=$port
			PIDS=$(pgrep -P "$master" | tr '\n' ' ')
			PID=${PIDS%% *}
			return 0
		fi
	done
	echo "bench/http.sh: nginx did not start: $(cat "$TMP/nginx.log" "$TMP/nginx/error.log" 2>/dev/null)" >&2
	exit 1
}

# cpu_ticks "PID...": the user and system time of them all, in clock ticks
cpu_ticks() {
	local p t=0
	for p in $1; do t=$((t + $(awk '{ print $14 + $15 }' "/proc/$p/stat" 2>/dev/null || echo 0))); done
	echo "$t"
}
TICK_US=$((1000000 / $(getconf CLK_TCK)))

# bench PORT PATH CONNS CLOSE "PID..." -> "REQS P99MS ERRORS CPU_US WRK_US":
# CPU_US is the servers' own CPU time per request, WRK_US the client's
# (wrk's user and system time), in microseconds
bench() {
	local out hdr=() t0 TIMEFORMAT='%3U %3S'
	[ "$4" = 1 ] && hdr=(-H "Connection: close")
	t0=$(cpu_ticks "$5")
	{ time wrk -t"$THREADS" -c"$3" -d"$DURATION" --latency "${hdr[@]}" "http://127.0.0.1:$1$2" \
		>"$TMP/wrk.out"; } 2>"$TMP/wrk.time"
	out=$(cat "$TMP/wrk.out")
	echo "$out" >>"$TMP/wrk.txt"
	awk -v ticks="$(( $(cpu_ticks "$5") - t0 ))" -v tick_us="$TICK_US" -v wrk_s="$(cat "$TMP/wrk.time")" \
	    '/^Requests\/sec/ { r = $2 } $1 == "99%" { p = $2 } / requests in / { n = $1 }
	     /Non-2xx/ { e += $NF } /Socket errors/ { gsub(",", ""); e += $4 + $6 + $8 + $10 }
	     END { split(wrk_s, w, " ")
		   printf "%s %s %d %.1f %.1f\n", r, p, e, (n > 0 ? ticks * tick_us / n : 0),
			  (n > 0 ? (w[1] + w[2]) * 1e6 / n : 0) }' <<<"$out" | {
		read -r r p e c w
		echo "$r $(to_ms "$p") $e $c $w"
	}
}

# syscalls "PID..." PORT PATH CONNS CLOSE -> syscalls per request (of all
# the processes together), and the heaviest ones into $TMP/sys.<first PID>
syscalls() {
	local st hdr=() n attach=()
	[ "$5" = 1 ] && hdr=(-H "Connection: close")
	for p in $1; do attach+=(-p "$p"); done
	strace -c -f -q -o "$TMP/strace.txt" "${attach[@]}" 2>/dev/null &
	st=$!
	sleep 0.5 # attached
	n=$(wrk -t1 -c"$(( $4 < 64 ? $4 : 64 ))" -d2s "${hdr[@]}" "http://127.0.0.1:$2$3" |
		awk '/requests in/ { print $1 }')
	kill -INT "$st" 2>/dev/null
	wait "$st" 2>/dev/null
	awk -v n="$n" '$NF == "total" { printf "%.2f", $4 / n; exit }
		/^ *[0-9]/ && $NF != "total" { c[$NF] = $4 }
		END { }' "$TMP/strace.txt"
	awk -v n="$n" '/^ *[0-9]/ && $NF != "total" { printf "%s %.2f\n", $NF, $4 / n }' "$TMP/strace.txt" |
		sort -k2 -rn | head -6 | awk '{ printf "%s %s, ", $1, $2 }' >"$TMP/sys.${1%% *}"
}

median() { sort -g | awk '{ v[NR] = $1 } END { print (NR % 2 ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2) }'; }

make -s all >/dev/null || exit 1
cc -O2 -o "$TMP/idleconn" bench/idleconn.c || exit 1
if [ "$FROZEN" = 1 ]; then
	for cfg in website website-crunch; do
		"$BUILD/bin/mirage-freeze" -q "configs/$cfg.cfg" -o "$TMP/$cfg" || exit 1
	done
fi

echo "wrk -t$THREADS -d$DURATION --latency, $RUNS runs per case, servers in turn; $(nproc) cores; $(date -u '+%Y-%m-%d %H:%M UTC')"
printf '%-10s %5s %9s %9s %7s %9s %9s %7s %8s %8s %13s %8s %9s %11s%s\n' case conns "ours r/s" "nginx r/s" ratio \
	"ours p99" "nginx p99" frozen "ours cpu" "nginx cpu" "wrk cpu o/n" "ours sys" "nginx sys" "errors o/n" \
	"${BASE:+ base/nginx   gain}"
apart=0
for name in $CASES; do
	IFS='|' read -r _ cfg path conns log close variant workers <<<"$(grep "^$name|" <<<"$ALL_CASES")"
	[ -n "${cfg:-}" ] || { echo "bench/http.sh: no case '$name'" >&2; exit 2; }
	if [ "$workers" -gt 1 ] && [ $apart = 0 ]; then
		echo "workers: $workers processes on each side (ours --set workers=$workers, nginx worker_processes $workers), wrk on the same cores:"
		apart=1
	fi
	start_ours hosted "$cfg" "$log" "$workers"; OPORT=$PORT OPID=$PIDS
	start_nginx "$variant" "$workers"; NPORT=$PORT NPID=$PIDS
	FPORT=
	[ "$FROZEN" = 1 ] && { start_ours frozen "$cfg" "$log" "$workers"; FPORT=$PORT; }
	BPORT=
	[ -n "$BASE" ] && { start_ours base "$cfg" "$log" "$workers"; BPORT=$PORT; }
	: >"$TMP/runs"
	frozen() { [ -n "$FPORT" ] && read -r freq _ ferr _ <<<"$(bench "$FPORT" "$path" "$conns" "$close" "")"; }
	for run in $(seq "$RUNS"); do
		freq= ferr=0
		# frozen before hosted every other run: a place in the round
		# (the machine warming, TIME_WAIT left by the one before) would
		# otherwise count as a difference between the two
		[ $((run % 2)) = 0 ] && frozen
		read -r oreq op99 oerr ocpu owrk <<<"$(bench "$OPORT" "$path" "$conns" "$close" "$OPID")"
		read -r nreq np99 nerr ncpu nwrk <<<"$(bench "$NPORT" "$path" "$conns" "$close" "$NPID")"
		[ $((run % 2)) = 1 ] && frozen
		freq=${freq:-$oreq}
		breq=$oreq berr=0
		[ -n "$BPORT" ] && read -r breq _ berr _ <<<"$(bench "$BPORT" "$path" "$conns" "$close" "")"
		echo "$oreq $nreq $op99 $np99 $freq $((oerr + ferr + berr)) $breq $ocpu $ncpu $nerr $owrk $nwrk" >>"$TMP/runs"
	done
	osys=- nsys=-
	if [ "$SYSCALLS" = 1 ]; then
		osys=$(syscalls "$OPID" "$OPORT" "$path" "$conns" "$close")
		nsys=$(syscalls "$NPID" "$NPORT" "$path" "$conns" "$close")
		echo "  $name ours: $(cat "$TMP/sys.${OPID%% *}")" >>"$TMP/syscalls.txt"
		echo "  $name nginx: $(cat "$TMP/sys.${NPID%% *}")" >>"$TMP/syscalls.txt"
	fi
	if [ "$log" = true ]; then # every request of ours logged a line
		echo "  $name: ours logged $(wc -l <"$TMP/hosted.out") lines, nginx $(wc -l <"$TMP/nginx/access.log")" >>"$TMP/notes.txt"
	fi
	stop_pids
	[ "$FROZEN" = 1 ] && awk '$1 > 0 { print $5 / $1 }' "$TMP/runs" >>"$TMP/frozen.all"
	col() { awk -v k="$1" '{ print $k }' "$TMP/runs" | median; }
	ratio() { awk -v a="$1" -v b="$2" '{ print ($b > 0 ? $a / $b : 0) }' "$TMP/runs" | median; }
	printf '%-10s %5s %9.0f %9.0f %6.2fx %7.2fms %7.2fms %6.2fx %6.1fus %7.1fus %13s %8s %9s %11s' "$name" "$conns" \
		"$(col 1)" "$(col 2)" "$(ratio 1 2)" "$(col 3)" "$(col 4)" "$(ratio 5 1)" "$(col 8)" "$(col 9)" \
		"$(printf '%.1f/%.1fus' "$(col 11)" "$(col 12)")" "$osys" "$nsys" \
		"$(awk '{ e += $6; n += $10 } END { print e "/" n }' "$TMP/runs")"
	[ -n "$BASE" ] && printf '     %6.2fx %5.2fx' "$(ratio 7 2)" "$(ratio 1 7)"
	echo
done

# Resident memory per idle keep-alive connection: the resident size after
# IDLE connections got one 1 KiB response each and stay open, less the size
# before them (after a warm-up on 64 connections, now closed).
rss_kb() { awk '/^VmRSS/ { print $2 }' "/proc/$1/status"; }
idle_bytes() { # PID PORT -> bytes per idle connection
	local before after h
	wrk -t1 -c64 -d1s "http://127.0.0.1:$2/files/1k.txt" >/dev/null
	sleep 3 # closed connections' memory and spare buffers released
	before=$(rss_kb "$1")
	mkfifo "$TMP/hold.$1"
	"$TMP/idleconn" "$2" "$IDLE" /files/1k.txt 120 <"$TMP/hold.$1" >"$TMP/idle.out" &
	h=$!
	exec 9>"$TMP/hold.$1" # closing it lets idleconn go
	for _ in $(seq 600); do grep -q . "$TMP/idle.out" && break; sleep 0.1; done
	sleep 3 # the server settles (spare buffers returned on its tick)
	after=$(rss_kb "$1")
	grep -q ready "$TMP/idle.out" || { echo "bench/http.sh: idle connections: $(cat "$TMP/idle.out")" >&2; after=$before; }
	exec 9>&-
	wait "$h"
	echo $(( (after - before) * 1024 / IDLE ))
}
if [ "$IDLE" -gt 0 ]; then
	start_ours hosted website false
	ob=$(idle_bytes "$PID" "$PORT")
	stop_pids
	if [ -n "$BASE" ]; then
		start_ours base website false
		echo "memory per idle keep-alive connection, base: $(idle_bytes "$PID" "$PORT") bytes" >>"$TMP/notes.txt"
		stop_pids
	fi
	start_nginx plain
	nb=$(idle_bytes "$PID" "$PORT")
	stop_pids
	printf 'memory per idle keep-alive connection (%d connections): ours %d bytes, nginx %d bytes, ratio %s\n' \
		"$IDLE" "$ob" "$nb" "$(awk -v o="$ob" -v n="$nb" 'BEGIN { printf (n > 0 ? "%.2fx" : "-"), o / n }')"
fi
# The frozen program runs the same code as the hosted one, so a single
# row's frozen column is the noise of its three runs; every run of every
# case together says more.
[ -s "$TMP/frozen.all" ] && awk '{ s += log($1); n++ } END {
	printf "frozen/hosted over the %d runs of every case: geometric mean %.3fx\n", n, exp(s / n) }' "$TMP/frozen.all"
[ -s "$TMP/notes.txt" ] && cat "$TMP/notes.txt"
if [ -s "$TMP/syscalls.txt" ]; then
	echo "syscalls per request, the heaviest (strace -c -f over a 2 s wrk run):"
	cat "$TMP/syscalls.txt"
fi
