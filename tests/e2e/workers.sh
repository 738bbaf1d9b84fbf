#!/usr/bin/env bash
# End-to-end tests of workers = N (host/unix/workers.h): N processes serve
# the website on one port, each with its own loop; a change (--watch, ctl)
# reaches every one and ctl says what each did; a worker that dies takes
# the host down with it, reported; SIGTERM ends them all, losing no
# access-log line.  Asserts on outcomes only, never on timing.
set -u
cd "$(dirname "$0")/../.." || exit 1
BUILD=${BUILD:-build}
HOST=$PWD/$BUILD/bin/mirage-host
FREEZE=$PWD/$BUILD/bin/mirage-freeze
ROOT=$PWD/apps/website/htdocs
TMP=$(mktemp -d)
# shellcheck source=tests/e2e/website.sh
. tests/e2e/website.sh
trap 'stop_server; rm -rf "$TMP"' EXIT
CTL=$TMP/ctl.sock

# the workers of process $1, sorted
workers_of() { pgrep -P "$1" | sort; }
# ctl_ready: until every worker answers on the control socket (5 s at most)
ctl_ready() {
	for _ in $(seq 50); do
		"$HOST" ctl "$CTL" status >/dev/null 2>&1 && return 0
		sleep 0.1
	done
	return 1
}
# gone PID...: none of them runs any more
gone() { for p in "$@"; do ! kill -0 "$p" 2>/dev/null || return 1; done; }

# ---- the key: workers = N; in the config, --set workers=N, checked ---------------
site_cfg() { # site_cfg ROOT: the website with workers = 2; over ROOT
	printf 'name = "website";\nplugin_path = [ "%s" ];\nworkers = 2;\ndevices = {\n  fs = { impl = "kvro.dir"; root = "%s"; };\n  http = { impl = "http.server"; port = 8080; };\n  main = { impl = "website"; };\n};\n' \
		"$PWD/$BUILD/plugins" "$1"
}
site_cfg "$ROOT" >"$TMP/site.cfg"
sed 's/^workers = 2;/workers = 0;/' "$TMP/site.cfg" >"$TMP/bad.cfg"
"$HOST" check "$TMP/bad.cfg" >/dev/null 2>"$TMP/bad.err"
check "workers = 0 is refused with its file and line" \
	grep -q "^$TMP/bad.cfg:3: workers: expected an integer from 1 to 64, found 0" "$TMP/bad.err"
"$HOST" check "$TMP/site.cfg" --target xen >/dev/null 2>"$TMP/xen.err"
check "workers = 2 is refused for target xen, saying why" \
	grep -q "workers: expected 1 for target xen (an image runs one loop; run more images), found 2" \
	"$TMP/xen.err"
"$HOST" check "$TMP/site.cfg" --set workers=many >/dev/null 2>"$TMP/set.err"
check "--set workers=many is refused" grep -q "workers: expected an integer from 1 to 64, found 'many'" \
	"$TMP/set.err"

# ---- two workers serve; both take connections ---------------------------------
SERVER_ARGS=(--watch --control "$CTL")
if ! start_server "$TMP/site.cfg" || ! ctl_ready; then
	not_ok "workers = 2 starts and answers" "$(cat "$TMP/server.err")"
	finish
	exit 1
fi
SUP=$SERVER
read -r -a PIDS <<<"$(workers_of "$SUP" | tr '\n' ' ')"
check "workers = 2: two worker processes under the host" [ "${#PIDS[@]}" = 2 ]
python3 tests/e2e/held.py "$PORT" 40 >"$TMP/held"
check "both workers hold some of 40 connections (counted by pid)" \
	[ "$(cut -d' ' -f1 "$TMP/held" | sort | tr '\n' ' ')" = "$(printf '%s ' "${PIDS[@]}")" ]
check "and all 40 are held by them" [ "$(awk '{ n += $2 } END { print n }' "$TMP/held")" = 40 ]
"$HOST" ctl "$CTL" status >"$TMP/status"
check "ctl status answers for each worker, by pid" \
	[ "$(grep -c "^worker [12] (pid \(${PIDS[0]}\|${PIDS[1]}\)): website (" "$TMP/status")" = 2 ]
"$HOST" ctl "$CTL" status --json >"$TMP/status.json"
check "ctl status --json is JSON with both workers" python3 -c '
import json, sys
r = json.load(open(sys.argv[1]))
assert r["ok"] and [w["worker"] for w in r["workers"]] == [1, 2], r
assert all(w["reply"]["name"] == "website" for w in r["workers"]), r' "$TMP/status.json"

python3 -c 'import socket, sys
s = socket.socket(socket.AF_UNIX); s.connect(sys.argv[1]); s.sendall(b"stat"); s.close()' "$CTL"
timeout 20 "$HOST" ctl "$CTL" status >/dev/null 2>&1
check "half a request to the control socket: the next one is answered (not held up)" [ $? = 0 ]
# ---- --watch: a saved config reaches every worker ------------------------------
mkdir "$TMP/site2"
cp -r "$ROOT/." "$TMP/site2/"
echo "the second site" >"$TMP/site2/second.txt"
site_cfg "$TMP/site2" >"$TMP/site.cfg.new"
mv "$TMP/site.cfg.new" "$TMP/site.cfg"
for _ in $(seq 50); do
	[ "$("$HOST" ctl "$CTL" graph | grep -c "^worker [12] (pid [0-9]*): fs kvro.dir .*root=\"$TMP/site2\"")" = 2 ] && break
	sleep 0.1
done
check "--watch: the saved config is applied by both workers" \
	[ "$("$HOST" ctl "$CTL" graph | grep -c "^worker [12] (pid [0-9]*): fs kvro.dir .*root=\"$TMP/site2\"")" = 2 ]
codes=$(for _ in $(seq 20); do curl -s -o /dev/null -w '%{http_code} ' "$(URL /second.txt)"; done)
check "and every connection is served from the new root" [ "$codes" = "$(printf '200 %.0s' $(seq 20))" ]
"$HOST" ctl "$CTL" reload >"$TMP/reload.out"
check "ctl reload reaches both workers" \
	[ "$(grep -c '^worker [12] (pid [0-9]*): config reloaded: nothing changed' "$TMP/reload.out")" = 2 ]

# ---- ctl swap under load: applied by both, no request fails --------------------
for i in $(seq 400); do
	curl -s -o /dev/null -w '%{http_code}\n' "$(URL "/files/1k.txt?load=$i")"
done >"$TMP/load.codes" &
LOAD=$!
swaps_ok=1
for impl in kvro.crunch.htdocs "kvro.dir root=$ROOT" kvro.crunch.htdocs "kvro.dir root=$ROOT"; do
	# shellcheck disable=SC2086 # impl is the implementation and its parameter
	"$HOST" ctl "$CTL" swap fs $impl >"$TMP/swap.out" 2>&1 || swaps_ok=0
	[ "$(grep -c "^worker [12] (pid [0-9]*): swap fs to ${impl%% *}: applied in" "$TMP/swap.out")" = 2 ] ||
		swaps_ok=0
done
wait $LOAD
check "4 swaps during 400 requests: each applied by both workers, ctl exits 0" [ $swaps_ok = 1 ]
check "no request failed meanwhile (400 times 200)" \
	[ "$(grep -c '^200$' "$TMP/load.codes")" = 400 ]
check "both workers serve the last swap's store" \
	[ "$("$HOST" ctl "$CTL" graph | grep -c "^worker [12] (pid [0-9]*): fs kvro.dir .*root=\"$ROOT\"")" = 2 ]

# ---- a worker that cannot answer: ctl says which, and fails ---------------------
rm "$CTL.worker2"
"$HOST" ctl "$CTL" swap fs kvro.crunch.htdocs >"$TMP/half.out" 2>&1
check "one worker not answering: ctl exits 1" [ $? = 1 ]
check "the reply names the worker that did not answer" \
	grep -q "^worker 2 (pid ${PIDS[1]}): no reply (No such file or directory)" "$TMP/half.out"
check "and says the other applied it, so that they differ" \
	grep -q "^1 of 2 workers applied it, the others did not: the workers differ now" "$TMP/half.out"

# ---- SIGTERM: every line logged, every worker gone ------------------------------
for i in $(seq 200); do curl -s -o /dev/null "$(URL "/files/1k.txt?last=$i")"; done
stop_server
check "SIGTERM: the host exits 0" [ "$SERVER_RC" = 0 ]
check "and no worker is left" gone "${PIDS[@]}"
check "no access-log line lost at exit (200 requests, 200 lines, each once)" \
	[ "$(grep -o 'last=[0-9]* HTTP/1.1" 200 1024$' "$TMP/server.out" | sort -u | wc -l)" = 200 ]
check "the control sockets are gone" [ ! -e "$CTL" ] && [ ! -e "$CTL.worker1" ]

# ---- a worker that dies: reported, the others stopped, the host's status --------
SERVER_ARGS=(--set workers=2)
start_server configs/website.cfg || not_ok "workers=2 starts again"
SUP=$SERVER
read -r -a PIDS <<<"$(workers_of "$SUP" | tr '\n' ' ')"
kill -SEGV "${PIDS[0]}"
wait "$SUP"
SERVER_RC=$? SERVER=""
check "a worker's fault: the host exits with the worker's status (70)" [ "$SERVER_RC" = 70 ]
check "the host says which worker ended and how" \
	grep -q "^mirage-host: worker 1 (pid ${PIDS[0]}) exited with status 70; stopping the other workers" \
	"$TMP/server.err"
check "and the other worker is stopped too" gone "${PIDS[@]}"

# ---- a frozen program: --set workers=N at boot -------------------------------------
if "$FREEZE" configs/website.cfg --target unix -o "$TMP/website" >/dev/null 2>"$TMP/freeze.err"; then
	"$TMP/website" --set workers=0 >/dev/null 2>"$TMP/w0.err"
	check "frozen: --set workers=0 is refused, status 2" \
		bash -c "[ $? = 2 ] && grep -q 'workers: expected an integer from 1 to 64' '$TMP/w0.err'"
	serve_free_port "$TMP/website" --set workers=2 || not_ok "frozen: workers=2 starts"
	SUP=$SERVER
	read -r -a PIDS <<<"$(workers_of "$SUP" | tr '\n' ' ')"
	check "frozen: two worker processes" [ "${#PIDS[@]}" = 2 ]
	python3 tests/e2e/held.py "$PORT" 40 >"$TMP/held"
	check "frozen: both workers take connections" [ "$(wc -l <"$TMP/held")" = 2 ]
	stop_server
	check "frozen: SIGTERM ends all, status 0" bash -c "[ '$SERVER_RC' = 0 ]" && check \
		"frozen: no worker left" gone "${PIDS[@]}"
else
	not_ok "freeze configs/website.cfg" "$(cat "$TMP/freeze.err")"
fi
finish
