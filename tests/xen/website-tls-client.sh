# shellcheck shell=sh
# dom0's side of the website-tls guest (guests.mk puts ADDR, SUM_INDEX,
# SUM_1M and CA, the test certificate, above these lines): once the site
# listens on HTTPS, openssl s_client (Debian's, in the dom0 initramfs: busybox
# wget has no TLS that checks a certificate) checks the certificate against
# CA and reports the version and cipher; / and files/1m.txt are fetched over
# HTTPS and checked by sha256; TLS 1.1 is refused; plain HTTP serves beside.
# Run by dom0-init.sh with GUEST and LOG set.  Each fetch is tried 3 times,
# and the failed tries are counted and printed.
n=0
until grep -q "https: listening on" "$LOG"; do
	n=$((n + 1))
	[ $n -le 2000 ] || { echo "website-tls-client: the site never said it listens on HTTPS"; exit 1; }
	usleep 20000
done
printf '%s\n' "$CA" >/tmp/ca.pem
now_ms() {
	read -r up _ </proc/uptime
	cs=${up#*.}
	echo $(( ${up%.*} * 1000 + ${cs#0} * 10 ))
}
failed=0
sclient() { timeout 20 openssl s_client -connect "$ADDR:8443" -CAfile /tmp/ca.pem -verify_return_error "$@"; }
for try in 1 2 3; do
	out=$(sclient </dev/null 2>&1) && break
	failed=$((failed + 1))
done
echo "$out" | grep -E "^New, |Verify return code"
echo "$out" | grep -q "^New, TLSv1.2, Cipher is ECDHE-ECDSA-AES128-GCM-SHA256" || { echo "handshake: not TLS 1.2 with ECDHE-ECDSA-AES128-GCM"; exit 1; }
echo "$out" | grep -q "Verify return code: 0 (ok)" || { echo "the certificate does not verify against the CA"; exit 1; }
# get PATH FILE: the body of PATH over HTTPS into FILE
get() {
	printf 'GET %s HTTP/1.1\r\nHost: %s\r\nConnection: close\r\n\r\n' "$1" "$ADDR" |
		sclient -quiet -ign_eof 2>/dev/null >/tmp/response || return 1
	sed '1,/^\r*$/d' /tmp/response >"$2" # the body: after the head's empty line
}
fetch() { # PATH FILE SUM
	for try in 1 2 3; do
		t0=$(now_ms)
		if get "$1" "$2"; then
			ms=$(( $(now_ms) - t0 ))
			got=$(sha256sum "$2" | cut -d' ' -f1)
			size=$(wc -c <"$2")
			if [ "$got" = "$3" ]; then
				echo "fetched $1 over HTTPS: $size bytes in $ms ms, sha256 matches"
				# what a try with other bytes got wrong, for the record
				[ -e /tmp/bad ] && echo "(the try with other bytes differed in $(cmp -l /tmp/bad "$2" | wc -l) bytes, the first: $(cmp /tmp/bad "$2"))"
				rm -f /tmp/bad
				return 0
			fi
			echo "try $try: $1 over HTTPS: $size bytes, sha256 $got, expected $3"
			cp "$2" /tmp/bad
			# where it differs from the same file over plain HTTP
			[ -s /tmp/plain ] && echo "  $(cmp -l /tmp/plain "$2" | wc -l) bytes differ from plain HTTP's; the first: $(cmp -l /tmp/plain "$2" | head -3 | tr '\n' ' ')"
		else
			echo "try $try: s_client for $1 failed"
		fi
		failed=$((failed + 1))
	done
	return 1
}
fetch / /tmp/index.html "$SUM_INDEX" || exit 1
# the same file over plain HTTP, to see where a try with other bytes differs
wget -q -O /tmp/plain "http://$ADDR:8080/files/1m.txt" || rm -f /tmp/plain
# guests.list requires its "fetched" line; the checks below run either way
fetch /files/1m.txt /tmp/1m.txt "$SUM_1M" || echo "could not fetch /files/1m.txt intact over HTTPS in 3 tries"
rm -f /tmp/1m.txt /tmp/response
if sclient -tls1_1 </dev/null >/tmp/old 2>&1 && grep -q "^New, TLS" /tmp/old; then
	echo "TLS 1.1 was accepted"
	exit 1
fi
echo "TLS 1.1 refused"
wget -q -O /tmp/plain.html "http://$ADDR:8080/" && [ "$(sha256sum </tmp/plain.html | cut -d' ' -f1)" = "$SUM_INDEX" ] ||
	{ echo "plain HTTP beside it failed"; exit 1; }
echo "plain HTTP served beside it"
[ "$failed" = 0 ] || echo "($failed tries of s_client failed in dom0 and were run again)"
