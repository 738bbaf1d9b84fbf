#!/usr/bin/env bash
# tls-cert.sh [--help] DIR [NAME [ec|rsa]]: a self-signed certificate for
# localhost and 127.0.0.1, DIR/NAME.pem, and its key, DIR/NAME.key (mode
# 0600): ECDSA P-256 (ec, the default) or RSA 2048 (rsa).  NAME defaults to
# "server".  The certificate is its own CA: curl --cacert DIR/NAME.pem.
# For tests, benchmarks and `make run-tls`; valid for 30 days.
set -eu
case ${1:-} in
-h | --help | "")
	sed -n '2,7s/^# \{0,1\}//p' "$0"
	[ -n "${1:-}" ]; exit ;;
esac
dir=$1 name=${2:-server} alg=${3:-ec}
case $alg in
ec) newkey=(-newkey ec -pkeyopt ec_paramgen_curve:P-256) ;;
rsa) newkey=(-newkey rsa:2048) ;;
*) echo "tls-cert.sh: expected ec or rsa, found '$alg'" >&2; exit 2 ;;
esac
mkdir -p "$dir"
(umask 077; openssl req -x509 "${newkey[@]}" -nodes -days 30 -subj "/CN=localhost" \
	-addext "subjectAltName=DNS:localhost,IP:127.0.0.1" \
	-keyout "$dir/$name.key" -out "$dir/$name.pem" 2>/dev/null) ||
	{ echo "tls-cert.sh: openssl req failed for $dir/$name" >&2; exit 1; }
chmod 0644 "$dir/$name.pem"
