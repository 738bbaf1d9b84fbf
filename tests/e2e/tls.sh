#!/usr/bin/env bash
# shellcheck disable=SC2016  # bash -c scripts take their values as $1, $2
# TLS end to end (configs/website-tls.cfg: tls.openssl, or tls.bearssl with
# TLS=bearssl, under one http.server, plain HTTP beside it): HTTPS with curl --cacert, hosted and
# frozen; the versions and ciphers openssl s_client negotiates and those
# refused (TLS 1.0/1.1, CBC, RSA key exchange); bytes that are no TLS and a
# ClientHello cut short close only their connection; the HTTPS server
# swapped and held at its connection limit; the certificate
# rotated by ctl swap under wrk load with no failed request, while an open
# download finishes on the old one.  Certificates are made here (ECDSA
# P-256, one RSA for the key exchange check).  Loopback only; every wait is
# a bounded poll.  Prints "ok"/"not ok" per check and "N passed, N failed".
# What differs by implementation: BearSSL has TLS 1.2 only, resumes by
# session ID (no tickets), and reads cert and key from a store (kvro.dir
# over the certificates' folder), so they are named, not paths.
set -u
cd "$(dirname "$0")/../.." || exit 1
BUILD=${BUILD:-build}
SAN=${SAN:-}
HOST=$PWD/$BUILD/bin/mirage-host
FREEZE=$PWD/$BUILD/bin/mirage-freeze
TMP=$(mktemp -d)
SOCK=$TMP/control.sock
# shellcheck source=tests/e2e/website.sh
. tests/e2e/website.sh
trap 'stop_server; rm -rf "$TMP"' EXIT
# shellcheck source=tests/e2e/control.sh
. tests/e2e/control.sh
TLSPY=tests/e2e/tls.py
export TLS=${TLS:-openssl} # configs/website-tls.cfg reads it too
IMPL=tls.$TLS
case $TLS in openssl | bearssl) ;; *) echo "tls.sh: TLS is openssl or bearssl, not '$TLS'" >&2; exit 2 ;; esac
# certs NAME: the parameters that name certificate NAME and its key
certs() {
	if [ "$TLS" = bearssl ]; then
		echo "cert=$1.pem key=$1.key"
	else
		echo "cert=$TMP/certs/$1.pem key=$TMP/certs/$1.key"
	fi
}
# cert_args: the server's options for the certificate "server"
cert_args() {
	if [ "$TLS" = bearssl ]; then
		echo "--set devices.certs.root=$TMP/certs"
	else
		echo "--set devices.tls.cert=$CA --set devices.tls.key=$TMP/certs/server.key"
	fi
}
# swap ARGS...: ctl swap, quietly; its status
swap() { ctl swap "$@" >/dev/null; }

for tool in openssl curl python3; do
	command -v $tool >/dev/null || { not_ok "$tool is installed"; finish; exit 1; }
done
for c in server:ec new:ec rsa:rsa; do
	bash scripts/tls-cert.sh "$TMP/certs" "${c%:*}" "${c#*:}" ||
		{ not_ok "scripts/tls-cert.sh makes the ${c%:*} certificate"; finish; exit 1; }
done
CA=$TMP/certs/server.pem
# clients of the rotation trust both certificates
cat "$CA" "$TMP/certs/new.pem" >"$TMP/certs/both.pem"
check "the test certificate is ECDSA P-256" \
	grep -q "prime256v1\|P-256" <(openssl x509 -in "$CA" -noout -text)
check "its key is private to its owner" test "$(stat -c %a "$TMP/certs/server.key")" = 600

# A site of its own: the website's pages and a file too big for the
# kernel's buffers, so that a slow download is still running at a swap.
SITE=$TMP/site
mkdir -p "$SITE"
cp -r apps/website/htdocs/. "$SITE/"
head -c $((8 << 20)) /dev/urandom >"$SITE/big.bin"

if [ "$TLS" = bearssl ]; then
	# shellcheck disable=SC2046
	out=$("$HOST" configs/website-tls.cfg --plugin-path "$BUILD/tests/fixtures" --set devices.rnd=weakrandom \
		$(cert_args) --set devices.https.port=0 --set devices.http.port=0 2>&1); rc=$?
	check "it refuses to start on a random device that is no entropy source" \
		bash -c '[ "$1" = 1 ] && grep -q "reports no entropy source" <<<"$2"' _ $rc "$out"
fi
# shellcheck disable=SC2207 # cert_args' words have no spaces
SERVER_ARGS=(-v --control "$SOCK" --set devices.https.port=0 $(cert_args)
	--set devices.fs.root="$SITE" --set devices.main.access_log=false
	--set devices.secure.access_log=false)
if ! start_server configs/website-tls.cfg; then
	not_ok "the website starts on HTTPS and HTTP" "$(cat "$TMP/server.err")"
	finish
	exit 1
fi
SPORT=$(sed -n 's|.*https: listening on http://127.0.0.1:\([0-9]*\)/.*|\1|p' "$TMP/server.err" | head -1)
if [ -z "$SPORT" ]; then
	not_ok "the HTTPS port is logged" "$(cat "$TMP/server.err")"
	finish
	exit 1
fi
ok "the website starts on HTTPS (port $SPORT, $IMPL) and HTTP (port $PORT)"
SURL() { echo "https://127.0.0.1:$SPORT$1"; }

# ---- HTTPS and HTTP, side by side --------------------------------------------------
check "curl --cacert over HTTPS gets the index" \
	cmp -s <(curl -sS --cacert "$CA" "$(SURL /)") "$SITE/index.html"
check "the certificate names localhost too" \
	cmp -s <(curl -sS --cacert "$CA" "https://localhost:$SPORT/") "$SITE/index.html"
check "a 1 MiB file over HTTPS arrives intact" \
	cmp -s <(curl -sS --cacert "$CA" "$(SURL /files/1m.txt)") "$SITE/files/1m.txt"
ka=()
for _ in $(seq 10); do ka+=(-o /dev/null "$(SURL /files/1k.txt)"); done
out=$(curl -sS --cacert "$CA" -w '%{http_code}:%{num_connects} ' "${ka[@]}")
check "ten keep-alive requests on one session" test "$out" = "200:1 $(printf '200:0 %.0s' $(seq 9))"
check "plain HTTP is served beside it" cmp -s <(curl -sS "$(URL /)") "$SITE/index.html"
check "plain HTTP on the HTTPS port is no request" \
	bash -c '! curl -s -m 5 -o /dev/null "http://127.0.0.1:$1/"' _ "$SPORT"

# ---- versions and ciphers ------------------------------------------------------------
# sclient ARGS...: openssl s_client's report of one handshake
sclient() { timeout 10 openssl s_client -connect "127.0.0.1:$SPORT" -CAfile "$CA" "$@" </dev/null 2>&1; }
# negotiated VERSION CIPHER-REGEX ARGS...: the handshake succeeds with them
negotiated() {
	local v=$1 c=$2 out
	shift 2
	out=$(sclient "$@")
	grep -Eq "^New, $v, Cipher is $c\$" <<<"$out" && grep -q "Verify return code: 0 (ok)" <<<"$out" && return
	grep -E "^New|alert|Verify" <<<"$out" | head -3
	return 1
}
# resumes VERSION: a session of that version resumes with its ticket
resumes() {
	# a request and its answer: TLS 1.3's ticket comes after the handshake
	printf 'GET / HTTP/1.1\r\nHost: test\r\nConnection: close\r\n\r\n' |
		timeout 10 openssl s_client -connect "127.0.0.1:$SPORT" -CAfile "$CA" -ign_eof \
			"-$1" -sess_out "$TMP/sess.$1" >/dev/null 2>&1
	grep -q "^Reused, " <(sclient "-$1" -sess_in "$TMP/sess.$1")
}
# refused ALERT ARGS...: the server ends the handshake with that alert
# (BearSSL answers an older version's hello in a TLS 1.2 record, which
# such a client reports as a wrong version number; the log says which
# alert it was)
refused() {
	local alert=$1 out
	shift
	out=$(sclient "$@")
	grep -q "^New, (NONE), Cipher is (NONE)" <<<"$out" && grep -q "alert $alert" <<<"$out" && return
	[ "$TLS" = bearssl ] && [ "$alert" = "protocol version" ] &&
		grep -q "^New, (NONE), Cipher is (NONE)" <<<"$out" && grep -q "wrong version number" <<<"$out" && return
	grep -E "^New|alert" <<<"$out" | head -3
	return 1
}
if [ "$TLS" = bearssl ]; then
	check "TLS 1.2 is negotiated by default (BearSSL has no TLS 1.3), ECDHE with AES-GCM" \
		negotiated TLSv1.2 "ECDHE-ECDSA-AES128-GCM-SHA256"
	check "a client of TLS 1.3 only is refused" refused "handshake failure" -tls1_3
else
	check "TLS 1.3 is negotiated by default, with an AEAD suite" \
		negotiated TLSv1.3 "TLS_(AES_(128|256)_GCM_SHA(256|384)|CHACHA20_POLY1305_SHA256)"
fi
check "TLS 1.2: ECDHE-ECDSA with AES-GCM" negotiated TLSv1.2 "ECDHE-ECDSA-AES(128|256)-GCM-SHA(256|384)" -tls1_2
check "TLS 1.2: ECDHE-ECDSA with ChaCha20-Poly1305" negotiated TLSv1.2 ECDHE-ECDSA-CHACHA20-POLY1305 \
	-tls1_2 -cipher ECDHE-ECDSA-CHACHA20-POLY1305
if [ "$TLS" = bearssl ]; then
	check "a TLS 1.2 session resumes with its session ID" resumes tls1_2
else
	check "a TLS 1.3 session resumes with its ticket" resumes tls1_3
	check "a TLS 1.2 session resumes with its ticket" resumes tls1_2
fi
check "ALPN: http/1.1 is chosen from h2,http/1.1" \
	grep -q "^ALPN protocol: http/1.1" <(sclient -alpn h2,http/1.1)
check "ALPN: a client that offers only h2 is refused" refused "no application protocol" -alpn h2
# the client offers the old version (the server's alert proves it);
# refused for the version, not only for want of a cipher (TLS 1.0 and 1.1
# have no AEAD cipher)
check "TLS 1.0 is refused" refused "protocol version" -tls1
check "TLS 1.1 is refused" refused "protocol version" -tls1_1
check "TLS 1.2 with CBC ciphers only is refused" \
	refused "handshake failure" -tls1_2 -cipher "ECDHE-ECDSA-AES128-SHA256:ECDHE-ECDSA-AES256-SHA384:ECDHE-ECDSA-AES128-SHA:ECDHE-ECDSA-AES256-SHA"
check "the refusals are logged, at info, with the library's reason" \
	grep -q "tls: 127.0.0.1: TLS handshake failed: .*protocol" "$TMP/server.err"

# ---- bytes that are no TLS -------------------------------------------------------------
out=$(python3 "$TLSPY" garbage "$SPORT" 2>&1)
check "an HTTP request and random bytes on the TLS port: each connection is closed" test -z "$out"
[ -z "$out" ] || echo "    $out"
out=$(python3 "$TLSPY" truncated "$SPORT" "$CA" 2>&1)
check "a ClientHello cut short waits alone, and closes alone at the client's end" test -z "$out"
[ -z "$out" ] || echo "    $out"
check "the server serves on" cmp -s <(curl -sS --cacert "$CA" "$(SURL /)") "$SITE/index.html"

# ---- the RSA key exchange, with an RSA certificate --------------------------------------
# With an ECDSA certificate RSA key exchange cannot happen anyway; an RSA
# one makes the refusal mean something.
# shellcheck disable=SC2046 # certs' words have no spaces
check "ctl swap tls to the RSA certificate" swap tls "$IMPL" $(certs rsa)
CA_SAVE=$CA
CA=$TMP/certs/rsa.pem
check "RSA certificate: TLS 1.2 with ECDHE-RSA and AES-GCM" \
	negotiated TLSv1.2 "ECDHE-RSA-AES(128|256)-GCM-SHA(256|384)" -tls1_2
check "RSA certificate: RSA key exchange is refused (AEAD and CBC)" \
	refused "handshake failure" -tls1_2 -cipher "AES128-GCM-SHA256:AES256-GCM-SHA384:AES128-SHA256:AES128-SHA"
check "RSA certificate: ECDHE with CBC is refused" \
	refused "handshake failure" -tls1_2 -cipher "ECDHE-RSA-AES128-SHA256:ECDHE-RSA-AES128-SHA"
CA=$CA_SAVE
# shellcheck disable=SC2046
check "ctl swap tls back to the ECDSA certificate" swap tls "$IMPL" $(certs server)

# ---- certificate rotation under load ----------------------------------------------------
old=$(python3 "$TLSPY" fingerprint "$SPORT" "$CA")
python3 "$TLSPY" slow "$SPORT" "$CA" /big.bin "$TMP/big.out" >"$TMP/slow.fp" &
SLOW=$!
# shellcheck disable=SC2317 # called through eventually
started() { [ -s "$TMP/big.out.part" ]; }
eventually started
if command -v wrk >/dev/null; then
	wrk -t1 -c16 -d4s "$(SURL /files/1k.txt)" >"$TMP/wrk.out" 2>&1 &
	WRK=$!
	sleep 0.5 # wrk's connections are open
else
	WRK=""
	skip "rotation under wrk load" "wrk is missing (bash scripts/deps.sh bench); curl loops only"
fi
# a keep-alive curl loop beside wrk: its status codes are checked one by one
urls=()
for _ in $(seq 300); do urls+=(-o /dev/null "$(SURL /files/1k.txt)"); done
curl -s --cacert "$TMP/certs/both.pem" -w '%{http_code}\n' "${urls[@]}" >"$TMP/codes" &
CURL=$!
swaps=0
for i in 1 2 3 4 5; do # new, server, ..., new
	c=$([ $((i % 2)) = 1 ] && echo new || echo server)
	# shellcheck disable=SC2046
	swap tls "$IMPL" $(certs "$c") && swaps=$((swaps + 1))
	sleep 0.3
done
check "5 certificate swaps under load were applied" test "$swaps" = 5
kill -0 "$SLOW" 2>/dev/null || echo "# note: the slow download ended before the swaps were done"
wait "$CURL"
if [ "$(grep -c '^200$' "$TMP/codes")" = 300 ]; then
	ok "300 keep-alive HTTPS requests across the swaps: every one 200"
else
	not_ok "300 keep-alive HTTPS requests across the swaps: every one 200" \
		"status codes: $(sort "$TMP/codes" | uniq -c | tr '\n' ' ')"
fi
if [ -n "$WRK" ]; then
	wait "$WRK"
	reqs=$(sed -n 's/^ *\([0-9]*\) requests in.*/\1/p' "$TMP/wrk.out")
	if [ "${reqs:-0}" -gt 0 ] && ! grep -Eq "Socket errors|Non-2xx" "$TMP/wrk.out"; then
		ok "wrk -c16 over HTTPS across the swaps: $reqs requests, no socket error, no non-2xx"
	else
		not_ok "wrk over HTTPS across the swaps: no errors" "$(cat "$TMP/wrk.out")"
	fi
fi
touch "$TMP/big.out.fast"
wait "$SLOW"
check "the download open during the swaps completes intact" \
	cmp -s <(tail -c $((8 << 20)) "$TMP/big.out") "$SITE/big.bin"
check "and was served with the certificate it began with" test "$(head -1 "$TMP/slow.fp")" = "$old"
check "new connections get the certificate swapped in last" \
	test "$(python3 "$TLSPY" fingerprint "$SPORT" "$TMP/certs/both.pem")" = \
	"$(openssl x509 -in "$TMP/certs/new.pem" -outform DER | sha256sum | cut -d' ' -f1)"
n=$(ctl graph | grep -c "^tls $IMPL ")
check "ctl graph shows one tls device" test "$n" = 1

# ---- the HTTPS server itself swapped, and held at its connection limit ------------------
# (http.server hands its TLS listener over, retargeted; at max_connections it
# holds the listener, and clients wait in the backlog instead of being refused)
check "ctl swap https http.server max_connections=2: applied" \
	swap https http.server port="$SPORT" max_connections=2
held=()
for _ in 1 2 3 4 5 6; do
	curl -s -m 60 --cacert "$TMP/certs/both.pem" -o /dev/null -w '%{http_code}\n' "$(SURL /big.bin)" \
		>>"$TMP/held.codes" &
	held+=($!)
done
wait "${held[@]}"
check "six downloads at once through a server that holds at two: all 200" \
	test "$(grep -c '^200$' "$TMP/held.codes")" = 6

# ---- a bad certificate: the swap is refused, the old one serves on -----------------------
bad=$(certs new | sed 's/key=.*/key=/')$(certs server | sed 's/.*key=//')
# shellcheck disable=SC2086 # two words
out=$(ctl swap tls "$IMPL" $bad 2>&1); rc=$?
check "a swap to a key that is not the certificate's fails, not applied" \
	bash -c '[ "$1" = 1 ] && grep -q "not applied" <<<"$2" && grep -q "is not the key of the certificate" <<<"$2"' _ $rc "$out"
check "and HTTPS serves on, with the certificate it had" \
	cmp -s <(curl -sS --cacert "$TMP/certs/new.pem" "$(SURL /)") "$SITE/index.html"

stop_server
check "the host exits 0 on SIGTERM" test "$SERVER_RC" = 0
check "no device left memory, timers or watches behind" \
	test -z "$(grep -E 'left [0-9]+ (bytes|timers|watches)' "$TMP/server.err")"
[ "$SAN" != 1 ] || check "no sanitizer report" test -z "$(grep -E 'Sanitizer|runtime error' "$TMP/server.err")"

# ---- frozen -------------------------------------------------------------------------------
# The same config linked into one program (mirage-freeze --target unix).
if "$FREEZE" -q configs/website-tls.cfg --target unix -o "$TMP/website-tls" 2>"$TMP/freeze.err"; then
	ok "mirage-freeze --target unix of configs/website-tls.cfg"
	if [ "$TLS" = bearssl ]; then # BearSSL is inside; libcrypto is random.openssl's
		check "the frozen program links no libssl, no loader" \
			bash -c 'l=$(ldd "$1"); ! grep -Eq "libssl|libffi|libconfig" <<<"$l"' _ "$TMP/website-tls"
	else
		check "the frozen program links OpenSSL, no loader" \
			bash -c 'l=$(ldd "$1"); grep -q libssl <<<"$l" && ! grep -Eq "libffi|libconfig" <<<"$l"' _ "$TMP/website-tls"
	fi
	# shellcheck disable=SC2207
	SERVER_ARGS=(-v --set devices.https.port=0 $(cert_args) --set devices.fs.root="$SITE")
	for _ in 1 2 3 4 5; do # another port when one is taken
		PORT=$((20000 + RANDOM % 40000))
		await_server "$TMP/website-tls" --set devices.http.port=$PORT "${SERVER_ARGS[@]}" && break
		stop_server # SERVER is empty after it
	done
	if [ -n "$SERVER" ]; then
		SPORT=$(sed -n 's|.*https: listening on http://127.0.0.1:\([0-9]*\)/.*|\1|p' "$TMP/server.err" | head -1)
		check "frozen: curl --cacert over HTTPS gets the index" \
			cmp -s <(curl -sS --cacert "$CA" "$(SURL /)") "$SITE/index.html"
		check "frozen: TLS 1.1 is refused" refused "protocol version" -tls1_1
		stop_server
		check "frozen: exits 0 on SIGTERM" test "$SERVER_RC" = 0
	else
		not_ok "the frozen website starts" "$(cat "$TMP/server.err")"
	fi
else
	not_ok "mirage-freeze --target unix of configs/website-tls.cfg" "$(cat "$TMP/freeze.err")"
fi

finish
