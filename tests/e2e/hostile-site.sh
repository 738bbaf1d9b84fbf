# shellcheck shell=bash disable=SC2034 # ROOT is the sourcing script's
# tests/e2e/hostile-site.sh - sourced by attack.sh and hostile.sh: the
# website's files copied into a folder of the test's own ($TMP/root, which
# the tests may change under the server), and the clients of attack.py.
ROOT=$TMP/root
mkdir -p "$ROOT"
cp -r apps/website/htdocs/. "$ROOT/"
attack() { timeout 60 python3 tests/e2e/attack.py "$@"; }
