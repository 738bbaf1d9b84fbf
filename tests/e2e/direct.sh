#!/usr/bin/env bash
# tests/e2e/direct.sh - the website on net.direct (lwIP) over netif.tap, in a
# network namespace this script makes (with tap0 in it, 10.0.0.1/24 on the
# tap's host side), driven from inside that namespace: ping, curl, pipelining,
# 200 connections at once, a client that stops reading, UDP and an outgoing
# TCP connection, hot swap of http over the stack, a DHCP lease from busybox
# udhcpd, and the frozen direct website.  Prints "ok"/"not ok" per check and
# "N passed, N failed" last.  Asserts on outcomes only, never on timing.
# The namespace part needs root, /dev/net/tun and `ip netns`; without them it
# is skipped, saying why.
set -u
cd "$(dirname "$0")/../.." || exit 1
BUILD=${BUILD:-build}
HOST=$PWD/$BUILD/bin/mirage-host
FREEZE=$PWD/$BUILD/bin/mirage-freeze
ROOT=$PWD/apps/website/htdocs
TMP=$(mktemp -d)
NS=mgdirect$$
SOCK=$TMP/control.sock
CLIENT=(python3 "$PWD/tests/e2e/direct.py")
# shellcheck source=tests/tap.sh
. tests/tap.sh
SERVER="" DHCPD=""

in_ns() { ip netns exec "$NS" "$@"; }
# has TEXT PATTERN...: TEXT matches every PATTERN (grep -E)
has() {
	local text=$1
	shift
	for p in "$@"; do grep -qE -- "$p" <<<"$text" || return 1; done
}
stop_server() {
	[ -n "$SERVER" ] || return 0
	kill -TERM "$SERVER" 2>/dev/null
	wait "$SERVER" 2>/dev/null
	SERVER=""
}
cleanup() {
	stop_server
	[ -z "$DHCPD" ] || { kill "$DHCPD" 2>/dev/null; wait "$DHCPD" 2>/dev/null; }
	ip netns del "$NS" 2>/dev/null
	rm -rf "$TMP"
}
trap cleanup EXIT

# ---- without privileges -------------------------------------------------------
out=$("$HOST" inspect net.direct)
check "inspect net.direct shows its slots (netif, time, random)" \
	grep -qE '^    netif +network 1.0, default netif.tap \(unix\), netif.xen \(xen\)' <<<"$out"
check "inspect net.direct shows its parameters (ipv4, gateway, memory)" \
	has "$out" '^    ipv4 .*"dhcp"' '^    gateway ' '^    memory ' 
check "inspect netif.tap shows its parameter dev (default tap0)" \
	grep -qE '^    dev +string, default "tap0"' <("$HOST" inspect netif.tap)
out=$(NET=direct "$HOST" describe configs/website.cfg)
check "NET=direct: website.cfg's http runs on net.direct over netif.tap, by DHCP" \
	has "$out" '^  net +net.direct' '^  netif +netif.tap' 'ipv4 = dhcp' 
check "without NET: website.cfg stays on net.socket" \
	grep -q '^  net  *net.socket' <("$HOST" describe configs/website.cfg)
out=$(NET=fast "$HOST" check configs/website.cfg 2>&1)
check "NET=fast: an error naming the choices" \
	grep -q 'environment variable NET is "fast": expected one of socket, direct, or unset' <<<"$out"

reason=""
if [ "$(id -u)" != 0 ]; then reason="not root"
elif [ ! -c /dev/net/tun ]; then reason="no /dev/net/tun"
elif ! ip netns add "$NS" 2>/dev/null; then reason="ip netns add fails"
fi
if [ -n "$reason" ]; then
	skip "the website on net.direct over a tap in a network namespace" "$reason"
	finish
	exit
fi
in_ns ip link set lo up
in_ns ip tuntap add dev tap0 mode tap
in_ns ip addr add 10.0.0.1/24 dev tap0
in_ns ip link set tap0 up

check "netif.tap without CAP_NET_ADMIN: the error says so and names ip tuntap add" \
	has "$(NET=direct setpriv --reuid=nobody --regid=nogroup --clear-groups --inh-caps=-all \
		"$HOST" configs/website.cfg 2>&1 </dev/null)" CAP_NET_ADMIN "ip tuntap add dev tap0 mode tap"

# start_in_ns ADDRESS COMMAND...: runs COMMAND in the namespace (SERVER) until
# http://ADDRESS:8080/ answers; ADDRESS "lease" waits for the DHCP lease and
# takes its address (LEASE).
start_in_ns() {
	local addr=$1
	shift
	# not through in_ns: a function would run in a subshell, and SERVER
	# must be the server's own pid (ip netns exec and env exec it)
	ip netns exec "$NS" "$@" >"$TMP/server.out" 2>"$TMP/server.err" &
	SERVER=$!
	for _ in $(seq 300); do
		if [ "$addr" = lease ]; then
			LEASE=$(sed -n 's/.*DHCP lease: address \([0-9.]*\)\/.*/\1/p' "$TMP/server.err")
			[ -n "$LEASE" ] && addr=$LEASE
		fi
		[ "$addr" != lease ] && in_ns curl -s -o /dev/null --max-time 2 "http://$addr:8080/" &&
			return 0
		kill -0 "$SERVER" 2>/dev/null || return 1
		sleep 0.1
	done
	return 1
}
# same ADDRESS PATH FILE [CURL ARGS...]: the response's body is FILE's bytes
same() { cmp -s <(in_ns curl -s --max-time 10 "${@:4}" "http://$1:8080$2") "$ROOT$3"; }

# ---- the website at 10.0.0.2 ------------------------------------------------------
if start_in_ns 10.0.0.2 env NET=direct IPV4=10.0.0.2/24 "$HOST" configs/website.cfg -vv \
	--control "$SOCK" --set devices.main.access_log=false; then
	ok "NET=direct IPV4=10.0.0.2/24 mirage-host configs/website.cfg serves in the namespace"
else
	not_ok "NET=direct IPV4=10.0.0.2/24 mirage-host configs/website.cfg serves in the namespace" \
		"$(cat "$TMP/server.err")"
	finish
	exit 1
fi
check "the static address is logged" grep -q "net: static: address 10.0.0.2/24, gateway none" "$TMP/server.err"
check "ping 10.0.0.2 answers (ICMP echo, ARP)" in_ns ping -q -c 3 -W 5 10.0.0.2 >/dev/null
check "curl gets / byte for byte" same 10.0.0.2 / /index.html
check "curl gets files/1m.txt byte for byte" same 10.0.0.2 /files/1m.txt /files/1m.txt
# the server closes as soon as such a response is written (busybox wget's way)
check "with Connection: close too (closed, not reset)" \
	same 10.0.0.2 /files/1k.txt /files/1k.txt -H "Connection: close"

paths=(/ /about.html /style.css /files/1k.txt /docs/ /docs/running.html /files/1m.txt /about.html)
files=(index.html about.html style.css files/1k.txt docs/index.html docs/running.html files/1m.txt about.html)
want=""
for f in "${files[@]}"; do want="$want 200:$(stat -c %s "$ROOT/$f")"; done
got=$(in_ns "${CLIENT[@]}" pipeline 10.0.0.2 8080 "${paths[@]}" 2>&1)
check "8 pipelined requests come back in order" [ "$got" = "${want# }" ]
got=$(in_ns "${CLIENT[@]}" concurrent 10.0.0.2 8080 200 /files/1k.txt 2>&1)
check "200 connections at once all get their file ($got)" [ "$got" = "200 of 200" ]

# A client that pipelines requests for the 1 MiB file and reads nothing: the
# server's window closes (the client's sending blocks after little) and the
# server's memory stops growing.
read -r state sent _ before stuck later < <(in_ns "${CLIENT[@]}" stall 10.0.0.2 8080 "$SERVER" /files/1m.txt 2>&1)
# (the client's 128 KiB send buffer, the server's 91 KiB window, a request
# head in http's buffer: well below 1 MiB)
window_shut() { [ "$state" = blocked ] && [ "${sent:-0}" -lt 1048576 ]; }
rss_flat() { [ -n "${later:-}" ] && [ $((later - stuck)) -lt 1024 ] && [ $((stuck - before)) -lt 16384 ]; }
check "a client that stops reading is stopped: the window closes ($state after $sent bytes)" window_shut
check "and the server's memory stops growing (RSS ${before:-?} -> ${stuck:-?} -> ${later:-?} KiB)" rss_flat
check "the site still serves after it" same 10.0.0.2 /files/1k.txt /files/1k.txt

# Hot swap of http over the stack: the successor adopts the listener
# (tcp_listener_retarget); at its connection limit it holds the listener
# (tcp_listener_hold) and the rest wait in the backlog, none refused.
"$HOST" ctl "$SOCK" swap http http.server port=8080 address= max_connections=4 >"$TMP/swap.out" 2>&1
check "ctl swap http over net.direct is applied" grep -q "applied" "$TMP/swap.out"
check "the new http took the stack's listener over" \
	grep -q "took over the listener on port 8080" "$TMP/server.err"
check "and serves" same 10.0.0.2 /files/1k.txt /files/1k.txt
got=$(in_ns "${CLIENT[@]}" concurrent 10.0.0.2 8080 20 /files/1k.txt 2>&1)
check "20 connections at once with max_connections=4: the rest wait, all served ($got)" \
	[ "$got" = "20 of 20" ]
stop_server

# ---- UDP and an outgoing TCP connection (tests/fixtures/netecho.c) ---------------
cat >"$TMP/echo.cfg" <<CFG
name = "netecho";
plugin_path = [ "$PWD/$BUILD/plugins", "$PWD/$BUILD/tests/fixtures" ];
devices = {
  net  = { impl = "net.direct"; ipv4 = "10.0.0.2/24"; };
  main = { impl = "netecho"; udp_port = 7; peer = "10.0.0.1"; peer_port = 9999; };
};
CFG
ip netns exec "$NS" "${CLIENT[@]}" tcpserve 10.0.0.1 9999 "hello back" >"$TMP/tcpserve.out" 2>&1 &
tcpserve=$!
for _ in $(seq 100); do
	in_ns ss -ltn | grep -q '10.0.0.1:9999 ' && break
	sleep 0.05
done
ip netns exec "$NS" "$HOST" "$TMP/echo.cfg" -v >"$TMP/echo.out" 2>&1 &
SERVER=$!
wait "$tcpserve"
check "tcp_connect: the peer in the namespace got the line" \
	grep -q "^hello over tcp from 10.0.0.2$" "$TMP/tcpserve.out"
got=$(in_ns "${CLIENT[@]}" udp 10.0.0.2 7 "ping over udp")
check "udp: a datagram comes back from 10.0.0.2:7 ($got)" [ "$got" = "ping over udp from 10.0.0.2:7" ]
stop_server
check "tcp: the answer arrived and the peer's close was seen" \
	has "$(cat "$TMP/echo.out")" 'tcp: got "hello back"' "tcp: the peer closed"

# A second net.direct in one program: lwIP's globals allow one.
cat >"$TMP/two.cfg" <<CFG
name = "two";
plugin_path = [ "$PWD/$BUILD/plugins" ];
devices = {
  tap1 = { impl = "netif.tap"; dev = "tap1"; };
  tap2 = { impl = "netif.tap"; dev = "tap2"; };
  net1 = { impl = "net.direct"; ipv4 = "10.0.1.2/24"; deps = { netif = "tap1"; }; };
  net2 = { impl = "net.direct"; ipv4 = "10.0.2.2/24"; deps = { netif = "tap2"; }; };
  main = { impl = "hello"; count = 1; interval_ms = 0; };
};
CFG
out=$(in_ns "$HOST" "$TMP/two.cfg" 2>&1); rc=$?
check "a second net.direct is refused, saying why (rc=$rc)" \
	has "$rc $out" '^[1-9]' "one net.direct per program"

# ---- DHCP from busybox udhcpd in the namespace -----------------------------------
cat >"$TMP/udhcpd.conf" <<CFG
start 10.0.0.50
end 10.0.0.60
interface tap0
lease_file $TMP/leases
pidfile $TMP/udhcpd.pid
option subnet 255.255.255.0
option router 10.0.0.1
option lease 600
CFG
touch "$TMP/leases"
ip netns exec "$NS" busybox udhcpd -f "$TMP/udhcpd.conf" >"$TMP/udhcpd.out" 2>&1 &
DHCPD=$!
LEASE=""
if start_in_ns lease env NET=direct "$HOST" configs/website.cfg -v; then
	ok "NET=direct without IPV4: the stack gets its address from udhcpd ($LEASE)"
	check "the lease (address, gateway) is logged" \
		grep -q "net: DHCP lease: address $LEASE/24, gateway 10.0.0.1" "$TMP/server.err"
	check "curl gets / from the leased address" same "$LEASE" / /index.html
else
	not_ok "NET=direct without IPV4: the stack gets its address from udhcpd" \
		"$(cat "$TMP/server.err" "$TMP/udhcpd.out")"
fi
stop_server

# ---- frozen, over jumbo frames ------------------------------------------------------
# (netif.tap takes the device's MTU; lwIP's segments grow to 8960 bytes)
in_ns ip link set tap0 mtu 9000
if NET=direct IPV4=10.0.0.2/24 "$FREEZE" configs/website.cfg --target unix -o "$TMP/website-direct" \
	>"$TMP/freeze.out" 2>&1; then
	ok "mirage-freeze --target unix of the direct website"
	if start_in_ns 10.0.0.2 "$TMP/website-direct" -v; then
		ok "the frozen direct website serves in the namespace"
		check "the tap's MTU 9000 is taken" grep -q "tap tap0, MTU 9000" "$TMP/server.err"
		check "it serves files/1m.txt byte for byte over jumbo frames" \
			same 10.0.0.2 /files/1m.txt /files/1m.txt
	else
		not_ok "the frozen direct website serves in the namespace" "$(cat "$TMP/server.err")"
	fi
	stop_server
else
	not_ok "mirage-freeze --target unix of the direct website" "$(cat "$TMP/freeze.out")"
fi
finish
