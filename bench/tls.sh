#!/usr/bin/env bash
# HTTPS benchmark: the website on tls.openssl (configs/website-tls.cfg,
# access logs off; TLS=bearssl: on tls.bearssl, TLS 1.2 only, and nginx
# too) against nginx (one worker, access log off), in the same
# run, with the same ECDSA P-256 certificate, TLS 1.2/1.3 and the same TLS
# 1.2 ciphers (both negotiate TLS 1.3 here):
#   keep-alive   wrk over one session per connection: a 1 KiB and a 1 MiB file
#   handshakes   wrk with "Connection: close": a TLS handshake per request,
#                resumed from a ticket as wrk does (TLS 1.3 resumption still
#                does an ECDHE exchange)
#   full         openssl s_time -new: full handshakes, one client at a time
# Each figure is the median of ROUNDS runs, ours and nginx taking turns (a
# shared machine's load then weighs on both alike).  Prints req/s (or
# handshakes/s), p99 latency and the ratio ours/nginx.
#   bash bench/tls.sh            (make bench; deps: bash scripts/deps.sh bench)
#   DURATION=5s ROUNDS=3 CONNS=64 THREADS=2 bash bench/tls.sh
#   TLS=bearssl bash bench/tls.sh   (also prints the size of the website's
#                                    Xen image with TLS, which is on BearSSL)
set -u
if [ "${1:-}" = --help ] || [ "${1:-}" = -h ]; then
	sed -n '2,/^set -u/{/^set -u/d;s/^# \{0,1\}//;p}' "$0"
	exit 0
fi
cd "$(dirname "$0")/.." || exit 1
. bench/lib.sh
BUILD=${BUILD:-build}
DURATION=${DURATION:-10s}
ROUNDS=${ROUNDS:-3}
CONNS=${CONNS:-64}
THREADS=${THREADS:-2}
ROOT=$PWD/apps/website/htdocs
TMP=$(mktemp -d)
pids=()
cleanup() { stop_pids; rm -rf "$TMP"; }
trap cleanup EXIT

need wrk nginx curl openssl
make -s all >/dev/null || exit 1
bash scripts/tls-cert.sh "$TMP/certs" server || exit 1
CERT=$TMP/certs/server.pem KEY=$TMP/certs/server.key
TLS12_CIPHERS="ECDHE+AESGCM:ECDHE+CHACHA20" # tls.openssl's (plugins/tls/openssl/ctx.c)
export TLS=${TLS:-openssl} # configs/website-tls.cfg reads it too
if [ "$TLS" = bearssl ]; then
	PROTOCOLS=TLSv1.2
	CERT_ARGS=(--set devices.certs.root="$TMP/certs")
else
	PROTOCOLS="TLSv1.2 TLSv1.3"
	CERT_ARGS=(--set devices.tls.cert="$CERT" --set devices.tls.key="$KEY")
fi

# wait_up PORT: until the server answers over HTTPS (5 s at most)
wait_up() {
	for _ in $(seq 50); do
		curl -s -o /dev/null --cacert "$CERT" "https://127.0.0.1:$1/files/1k.txt" && return 0
		sleep 0.1
	done
	return 1
}

start_ours() {
	local port
	for _ in 1 2 3 4 5; do
		port=$(free_port)
		"$BUILD/bin/mirage-host" configs/website-tls.cfg --set devices.https.port="$port" \
			--set devices.http.port="$(free_port)" "${CERT_ARGS[@]}" --set devices.main.access_log=false \
			--set devices.secure.access_log=false >"$TMP/ours.log" 2>&1 &
		pids+=($!)
		wait_up "$port" && { OURS=$port; return 0; }
	done
	echo "bench/tls.sh: the website did not start: $(cat "$TMP/ours.log")" >&2
	exit 1
}

start_nginx() {
	local port
	mkdir -p "$TMP/nginx"
	for _ in 1 2 3 4 5; do
		port=$(free_port)
		cat >"$TMP/nginx/nginx.conf" <<CONF
$( [ "$(id -u)" = 0 ] && echo "user root;" )
worker_processes 1;
daemon off;
pid $TMP/nginx/nginx.pid;
error_log $TMP/nginx/error.log;
events { worker_connections 1024; }
http {
  access_log off;
  sendfile on;
  keepalive_requests 100000000;  # as ours: a session lasts as long as the client wants
  client_body_temp_path $TMP/nginx/body;
  proxy_temp_path $TMP/nginx/proxy;
  fastcgi_temp_path $TMP/nginx/fastcgi;
  uwsgi_temp_path $TMP/nginx/uwsgi;
  scgi_temp_path $TMP/nginx/scgi;
  types { text/html html; text/plain txt; text/css css; image/png png; image/svg+xml svg; }
  ssl_protocols $PROTOCOLS;
  ssl_ciphers $TLS12_CIPHERS;
  ssl_prefer_server_ciphers on;
  ssl_certificate $CERT;
  ssl_certificate_key $KEY;
  server { listen 127.0.0.1:$port ssl; root $ROOT; }
}
CONF
		nginx -c "$TMP/nginx/nginx.conf" -e "$TMP/nginx/error.log" >"$TMP/nginx.log" 2>&1 &
		pids+=($!)
		wait_up "$port" && { NGINX=$port; return 0; }
	done
	echo "bench/tls.sh: nginx did not start: $(cat "$TMP/nginx.log" "$TMP/nginx/error.log" 2>/dev/null)" >&2
	exit 1
}

# wrk_run PORT PATH [WRK ARGS...] -> "REQS P99MS"
wrk_run() {
	local port=$1 path=$2 out
	shift 2
	out=$(wrk -t"$THREADS" -c"$CONNS" -d"$DURATION" --latency "$@" "https://127.0.0.1:$port$path")
	echo "$out" >>"$TMP/wrk.txt"
	grep -q "Socket errors" <<<"$out" && echo "bench/tls.sh: $port$path: $(grep "Socket errors" <<<"$out")" >&2
	echo "$(awk '/^Requests\/sec/ { print $2 }' <<<"$out") $(to_ms "$(awk '$1 == "99%" { print $2 }' <<<"$out")")"
}

# full PORT -> full handshakes per second of wall time (s_time -new: one
# client, sequential; its own rate is per second of its CPU time)
full() {
	local secs=${DURATION%s} t0 t1 n
	t0=$(date +%s%N)
	n=$(timeout $((secs + 20)) openssl s_time -connect "127.0.0.1:$1" -new -time "$secs" 2>/dev/null |
		awk '/connections in .*real seconds/ { print $1; exit }')
	t1=$(date +%s%N)
	awk -v n="${n:-0}" -v ns=$((t1 - t0)) 'BEGIN { printf "%.0f", n / (ns / 1e9) }'
}

# negotiated PORT -> "VERSION CIPHER" of a default handshake
negotiated() {
	openssl s_client -connect "127.0.0.1:$1" </dev/null 2>/dev/null |
		awk '/^New, / { sub(/,$/, "", $2); print $2, $5; exit }'
}

row() { # row NAME OURS NGINX OURS-P99 NGINX-P99
	awk -v f="$1" -v or="$2" -v nr="$3" -v op="${4:-}" -v np="${5:-}" 'BEGIN {
		if (op == "") printf "%-22s %12.0f %12.0f %9.2fx\n", f, or, nr, (nr > 0 ? or / nr : 0);
		else printf "%-22s %12.0f %12.0f %9.2fx %8.2fms %8.2fms\n", f, or, nr, (nr > 0 ? or / nr : 0), op, np }'
}

median() { tr ' ' '\n' | grep . | sort -g | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'; }

# measure NAME CMD...: CMD PORT prints "VALUE [P99MS]"; ROUNDS turns each,
# then a row of the medians
measure() {
	local name=$1 o_v="" n_v="" o_p="" n_p="" v p
	shift
	for _ in $(seq "$ROUNDS"); do
		read -r v p <<<"$("$@" "$OURS")"
		o_v="$o_v $v" o_p="$o_p ${p:-}"
		read -r v p <<<"$("$@" "$NGINX")"
		n_v="$n_v $v" n_p="$n_p ${p:-}"
	done
	row "$name" "$(median <<<"$o_v")" "$(median <<<"$n_v")" "$(median <<<"$o_p")" "$(median <<<"$n_p")"
}
keepalive_1k() { wrk_run "$1" /files/1k.txt; }
keepalive_1m() { wrk_run "$1" /files/1m.txt; }
handshakes() { wrk_run "$1" /files/1k.txt -H "Connection: close"; }

if [ "$TLS" = bearssl ]; then
	# the Xen image of the same config (tls.bearssl over net.direct, the
	# files and a certificate crunched in)
	IPV4=10.0.0.2/24 "$BUILD/bin/mirage-freeze" configs/website-tls.cfg --target xen \
		-o "$TMP/website-tls.xen" >"$TMP/size.txt" || exit 1
	echo "Xen image of configs/website-tls.cfg: $(stat -c %s "$TMP/website-tls.xen") bytes;" \
		"text: $(awk '$1 == "tls.bearssl" { t = $2 } $1 == "total" { print "tls.bearssl " t ", total " $2 }' "$TMP/size.txt")"
fi
start_ours
start_nginx
echo "$TLS: wrk -t$THREADS -c$CONNS -d$DURATION --latency, medians of $ROUNDS turns; $(nproc) cores, load $(cut -d' ' -f1 /proc/loadavg); $(date -u +%Y-%m-%d); OpenSSL $(openssl version | awk '{print $2}')"
echo "negotiated: ours $(negotiated "$OURS"), nginx $(negotiated "$NGINX"); certificate ECDSA P-256"
printf '%-22s %12s %12s %10s %10s %10s\n' "" "ours" "nginx" ratio "ours p99" "nginx p99"
measure "keep-alive 1k req/s" keepalive_1k
measure "keep-alive 1m req/s" keepalive_1m
measure "handshakes/s (resumed)" handshakes
measure "full handshakes/s" full
