#!/usr/bin/env bash
# bench/bench_ingest.sh - how fast is ingestion from a live Prometheus,
# compared with curl merely downloading the same answers?
#
# Builds 1,000 containers x 14 days at a 60 s step (CPU counter and memory
# working set) as OpenMetrics, backfills it with promtool, starts
# prometheus on 127.0.0.1, then times
#   (a) ag_prom_fetch() over the whole window (bench_ingest fetch; or the
#       CLI, `augur import --prometheus URL --db tmp.db`, with AUGUR=path)
#   (b) curl --compressed downloading exactly the URLs (a) requested, one
#       curl process with keep-alive, bodies to /dev/null
# and prints the ratio (a)/(b). Also times the JSON parser alone over one
# saved query_range body. Run by hand:
#   bench/bench_ingest.sh [NCONT] [DAYS]      (defaults 1000 14)
# Env: BUILD (default build/h4-bench), KEEP=1 keeps the temp dir,
#      RUNS (default 3) timed runs of each.
set -euo pipefail

SRC=$(cd "$(dirname "$0")/.." && pwd)
NCONT=${1:-1000}
DAYS=${2:-14}
RUNS=${RUNS:-3}
BUILD=${BUILD:-$SRC/build/h4-bench}
TEND=1700006400 # a whole hour; the step grid and the data line up
TSTART=$((TEND - DAYS * 86400))

for p in prometheus promtool curl cc python3; do
    command -v $p >/dev/null || { echo "bench_ingest: $p is needed" >&2; exit 1; }
done
if [ ! -x "$BUILD/bench_ingest" ]; then
    cmake -S "$SRC" -B "$BUILD" -DCMAKE_BUILD_TYPE=Release -DAG_BENCH=ON -DAG_TESTS=OFF \
        -DAG_AREAS="util;series;source" >/dev/null
    cmake --build "$BUILD" --target bench_ingest -j2 >/dev/null
fi

TMP=$(mktemp -d /tmp/ag_bench_ingest.XXXXXX)
PID=
cleanup() {
    if [ -n "$PID" ]; then
        kill -TERM "$PID" 2>/dev/null || true
        for _ in $(seq 100); do kill -0 "$PID" 2>/dev/null || break; sleep 0.1; done
        kill -KILL "$PID" 2>/dev/null || true
    fi
    [ "${KEEP:-0}" = 1 ] && echo "kept $TMP" || rm -rf "$TMP"
}
trap cleanup EXIT

echo "== generating $NCONT containers x $DAYS days at 60 s"
cc -O2 -o "$TMP/ingest_gen" "$SRC/bench/ingest_gen.c"
t=$(date +%s)
"$TMP/ingest_gen" "$TMP" "$NCONT" "$DAYS" 60 "$TEND"
du -sh "$TMP"/day_*.om | tail -1
echo "== backfilling with promtool (one day at a time)"
for f in "$TMP"/day_*.om; do
    promtool tsdb create-blocks-from openmetrics "$f" "$TMP/tsdb" >"$TMP/promtool.log" 2>&1 ||
        { cat "$TMP/promtool.log"; exit 1; }
    rm -f "$f"
done
echo "   generated + backfilled in $(( $(date +%s) - t )) s; tsdb $(du -sh "$TMP/tsdb" | cut -f1)"

PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
URL=http://127.0.0.1:$PORT
printf 'global:\n  scrape_interval: 1m\nscrape_configs: []\n' >"$TMP/prometheus.yml"
prometheus --storage.tsdb.path="$TMP/tsdb" --web.listen-address=127.0.0.1:$PORT \
    --config.file="$TMP/prometheus.yml" --storage.tsdb.retention.time=100y \
    --log.level=warn >"$TMP/prometheus.log" 2>&1 &
PID=$!
for _ in $(seq 600); do
    curl -fs "$URL/-/ready" >/dev/null 2>&1 && break
    kill -0 $PID 2>/dev/null || { cat "$TMP/prometheus.log"; exit 1; }
    sleep 0.1
done
curl -fs "$URL/-/ready" >/dev/null || { echo "prometheus not ready"; exit 1; }

echo "== warm-up fetch (verbose: records the URLs)"
"$BUILD/bench_ingest" fetch "$URL" "$TSTART" "$TEND" verbose 2>"$TMP/verbose.log"
grep -E '^augur: prom:   GET ' "$TMP/verbose.log" | sed 's/^augur: prom:   GET //' >"$TMP/urls"
echo "   $(wc -l <"$TMP/urls") requests, $(grep -c query_range "$TMP/urls") of them query_range"
: >"$TMP/curl.cfg"
while read -r u; do printf 'url = "%s"\noutput = "/dev/null"\n' "$u" >>"$TMP/curl.cfg"; done <"$TMP/urls"

time_it() { # prints wall seconds of "$@"
    local a b
    a=$(date +%s.%N)
    "$@" >/dev/null
    b=$(date +%s.%N)
    python3 -c "print(f'{$b - $a:.3f}')"
}
A=()
B=()
for i in $(seq "$RUNS"); do
    B+=("$(time_it curl -s --compressed -K "$TMP/curl.cfg")")
    if [ -n "${AUGUR:-}" ]; then
        A+=("$(time_it "$AUGUR" import --prometheus "$URL" --db "$TMP/tmp.db" --end "$TEND")")
        rm -f "$TMP/tmp.db"
    else
        A+=("$(time_it "$BUILD/bench_ingest" fetch "$URL" "$TSTART" "$TEND")")
    fi
    echo "   run $i: augur ${A[-1]} s, curl ${B[-1]} s"
done
"$BUILD/bench_ingest" fetch "$URL" "$TSTART" "$TEND"

echo "== bytes on the wire vs decoded (first query_range)"
U=$(grep -m1 query_range "$TMP/urls")
curl -s --compressed -o "$TMP/one.json" -w 'gzip on the wire %{size_download} bytes in %{time_total} s\n' "$U"
echo "decoded $(stat -c %s "$TMP/one.json") bytes"
echo "== JSON parser alone over that body"
"$BUILD/bench_ingest" parse "$TMP/one.json" 5

python3 - "${A[@]}" -- "${B[@]}" <<'EOF'
import statistics, sys
args = sys.argv[1:]
i = args.index('--')
a = [float(x) for x in args[:i]]
b = [float(x) for x in args[i + 1:]]
ma, mb = statistics.median(a), statistics.median(b)
print(f"median: augur {ma:.2f} s, curl {mb:.2f} s, ratio (a)/(b) = {ma / mb:.2f} (target <= 1.3)")
EOF
