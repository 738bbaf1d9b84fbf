# shellcheck shell=sh
# dom0's side of the website guests (guests.mk puts ADDR, SUM_INDEX and
# SUM_1M above these lines): once the site listens, / and files/1m.txt
# fetched with busybox wget over netfront and checked by sha256; then
# sequential requests, each a new wget (dom0's process start dominates
# under TCG), and requests pipelined on one connection (busybox nc), timed.
# Run by dom0-init.sh with GUEST and LOG set; it ends a client whose guest
# ended or overran (no wget -T: busybox 1.35 crashes with it, every time;
# busybox timeout instead).
REQS=20
PIPELINED=100
now_ms() {
	read -r up _ </proc/uptime
	cs=${up#*.}
	echo $(( ${up%.*} * 1000 + ${cs#0} * 10 ))
}
n=0
until grep -q "listening on http" "$LOG"; do
	n=$((n + 1))
	[ $n -le 2000 ] || { echo "website-client: the site never said it listens"; exit 1; }
	usleep 20000
done
url=http://$ADDR:8080
crashes=0
# again CMD...: CMD, run again when it crashed (busybox 1.35's wget and nc,
# static, are seen now and then to die of SIGSEGV, exit 139, in this dom0;
# a wget that crashed had sent nothing); other failures are returned
again() {
	for try in 1 2 3; do
		"$@"
		rc=$?
		[ $rc = 139 ] || return $rc
		crashes=$((crashes + 1))
	done
	return 1
}
# retry_out CMD...: CMD's output, CMD run again (3 times at most) when it
# crashed (busybox's wc and sha256sum die now and then as wget does)
retry_out() {
	for try in 1 2 3; do
		out=$("$@") && { echo "$out"; return 0; }
		[ $? = 139 ] || return 1
		crashes=$((crashes + 1))
	done
	return 1
}
sum_of() { retry_out sha256sum "$1" | cut -d' ' -f1; }
# get PATH FILE: wget, ended when it has not finished in 20 s (a 1 MiB
# fetch takes ~1 s here), with what dom0 sees of the stall printed.  One
# stalled so in CI while the image's clock, after a TSC read behind Xen's
# stamp, read 292 years ahead and stayed there: no retransmission came due.
get() {
	again timeout 20 wget -q -O "$2" "$url$1"
	rc=$?
	[ $rc = 143 ] || return $rc # busybox timeout: its SIGTERM
	echo "stall: wget $url$1 had $(wc -c <"$2") bytes after 20 s; dom0's sockets and log:"
	netstat -tn
	dmesg | tail -n 5
	return $rc
}
fetch() { # PATH FILE SUM
	t0=$(now_ms)
	get "$1" "$2" || { echo "wget $url$1 failed"; return 1; }
	ms=$(( $(now_ms) - t0 ))
	got=$(sum_of "$2")
	size=$(retry_out wc -c "$2" | cut -d' ' -f1)
	if [ "$got" = "$3" ]; then
		echo "fetched $1: $size bytes in $ms ms, sha256 matches"
	else
		echo "fetched $1: $size bytes, sha256 $got, expected $3"
		return 1
	fi
}
fetch / /tmp/index.html "$SUM_INDEX" || exit 1
fetch /files/1m.txt /tmp/1m.txt "$SUM_1M" || exit 1
rm -f /tmp/1m.txt
t0=$(now_ms)
i=0
while [ $i -lt $REQS ]; do
	get /files/1k.txt /dev/null || { echo "request $i failed"; exit 1; }
	i=$((i + 1))
done
ms=$(( $(now_ms) - t0 + 1 ))
echo "$REQS sequential wget requests for files/1k.txt in $ms ms: $(( REQS * 1000 / ms )) req/s (TCG)"
i=0
: >/tmp/requests
while [ $i -lt $PIPELINED ]; do
	printf 'GET /files/1k.txt HTTP/1.1\r\nHost: %s\r\n\r\n' "$ADDR" >>/tmp/requests
	i=$((i + 1))
done
printf 'GET /files/1k.txt HTTP/1.1\r\nHost: %s\r\nConnection: close\r\n\r\n' "$ADDR" >>/tmp/requests
t0=$(now_ms)
again sh -c "timeout 60 nc $ADDR 8080 </tmp/requests >/tmp/responses"
ms=$(( $(now_ms) - t0 + 1 ))
got=$(grep -c '^HTTP/1.1 200' /tmp/responses)
echo "$got of $((PIPELINED + 1)) pipelined requests answered on one connection in $ms ms: $(( got * 1000 / ms )) req/s (TCG)"
[ "$crashes" = 0 ] || echo "(busybox crashed $crashes time(s) before sending; run again)"
[ "$got" = $((PIPELINED + 1)) ]
