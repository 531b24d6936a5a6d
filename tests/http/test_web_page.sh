#!/usr/bin/env bash
# tests/http/test_web_page.sh - the web page in headless Chromium: served
# by `http_test_http --serve` (the hand-made view of test_http.c), loaded
# with --dump-dom; the rendered table must hold both workload-containers
# with the right numbers, and #sort=cpu_savings / #sort=-cpu_savings must
# order the rows. Skips (77) without /usr/bin/chromium or python3.
set -u

SRC=${AG_SOURCE_DIR:-$(cd "$(dirname "$0")/../.." && pwd)}
CHROMIUM=/usr/bin/chromium
BIN=${AG_BINARY_DIR:-build/dev}/http_test_http
if [ ! -x "$CHROMIUM" ]; then
    echo "skip: $CHROMIUM is absent" >&2
    exit 77
fi
if ! command -v python3 >/dev/null; then
    echo "skip: python3 is absent" >&2
    exit 77
fi
if [ ! -x "$BIN" ]; then
    echo "FAIL: $BIN is not built" >&2
    exit 1
fi

tmp=$(mktemp -d)
mkfifo "$tmp/stdin"
"$BIN" --serve <"$tmp/stdin" >"$tmp/port" 2>"$tmp/serve.err" &
srv=$!
exec 3>"$tmp/stdin" # the server runs until this closes
cleanup() {
    exec 3>&-
    wait "$srv" 2>/dev/null
    rm -rf "$tmp"
}
trap cleanup EXIT

for _ in $(seq 100); do
    [ -s "$tmp/port" ] && break
    sleep 0.1
done
port=$(head -n1 "$tmp/port")
if [ -z "$port" ]; then
    echo "FAIL: the fixture server did not start: $(cat "$tmp/serve.err")" >&2
    exit 1
fi

dump() { # dump URL-SUFFIX OUT
    timeout 60 "$CHROMIUM" --headless --no-sandbox --disable-gpu --disable-quic --no-first-run \
        --disable-background-networking --disable-component-update --disable-sync \
        --disable-dev-shm-usage --user-data-dir="$(mktemp -d -p "$tmp")" \
        --virtual-time-budget=5000 --dump-dom "http://127.0.0.1:$port/$1" >"$2" 2>"$tmp/chromium.err"
}

fail=0
check() { # check FILE EXPR DESCRIPTION
    if ! python3 "$SRC/tests/http/dom_rows.py" "$1" "$2"; then
        echo "FAIL: $3" >&2
        fail=1
    fi
}

if ! dump "" "$tmp/plain.html"; then
    echo "FAIL: chromium: $(tail -5 "$tmp/chromium.err")" >&2
    exit 1
fi
check "$tmp/plain.html" "len(rows) == 2" "two rows"
check "$tmp/plain.html" \
    "(lambda r: r['_ws'] == 'Deployment/api' and r['cpu_request'] == '1' and r['cpu_target'] == '251m' and r['cpu_savings'] == '+749m' and r['mem_request'] == '1Gi' and r['mem_target'] == '300Mi' and r['pods'] == '3' and r['recommender'] == 'vpa' and r['risk'] == 'low')(rows[0])" \
    "the api row's numbers"
check "$tmp/plain.html" \
    "rows[1]['_ws'] == 'StatefulSet/db' and rows[1]['recommender'] == 'augur stable' and rows[1]['cpu_savings'] == '-250m' and rows[1]['risk'] == 'high (2 OOM)' and rows[1]['_c'] == 'side\"car\\\\\\nx'" \
    "the db row's numbers and its escaped name"
grep -q 'applying every recommendation frees' "$tmp/plain.html" || { echo "FAIL: no summary" >&2; fail=1; }

dump "#sort=cpu_savings" "$tmp/asc.html"
check "$tmp/asc.html" "[r['_ws'] for r in rows] == ['StatefulSet/db', 'Deployment/api']" "sort=cpu_savings ascending"
grep -q 'sorted-asc' "$tmp/asc.html" || { echo "FAIL: no sorted-asc header" >&2; fail=1; }
dump "#sort=-cpu_savings" "$tmp/desc.html"
check "$tmp/desc.html" "[r['_ws'] for r in rows] == ['Deployment/api', 'StatefulSet/db']" "sort=-cpu_savings descending"
dump "#sort=-risk" "$tmp/risk.html"
check "$tmp/risk.html" "[r['_ws'] for r in rows] == ['StatefulSet/db', 'Deployment/api']" "sort=-risk"
dump "#sort=-workload" "$tmp/name.html"
check "$tmp/name.html" "[r['_ws'] for r in rows] == ['StatefulSet/db', 'Deployment/api']" "sort=-workload"

[ "$fail" = 0 ] && echo "ok: the web page renders and sorts"
exit "$fail"
