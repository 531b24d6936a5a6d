#!/usr/bin/env bash
# tests/integration/test_remote_write.sh - augur's remote-write against a
# real Prometheus (--web.enable-remote-write-receiver) and a real
# VictoriaMetrics on 127.0.0.1: the fixture view of
# tests/export/test_remote_write.c is pushed (its --push mode), then read
# back with PromQL over each server's HTTP API, values and labels checked;
# a wrong URL path must come back as AG_EHTTP with the status, and a port
# nobody listens on as AG_ENET. `augur serve --check-config` shows the
# --remote-write option. Skips (77) when a server binary is absent.
set -u
SRC=${AG_SOURCE_DIR:-$(cd "$(dirname "$0")/../.." && pwd)}
BIN=${AG_BINARY_DIR:-$SRC/build}
# shellcheck disable=SC2034 # read by common.sh
AG_NO_DEMO=1
# shellcheck source=../lib/common.sh
. "$SRC/tests/lib/common.sh"
# shellcheck source=../lib/prometheus.sh
. "$SRC/tests/lib/prometheus.sh"
# shellcheck source=../lib/victoriametrics.sh
. "$SRC/tests/lib/victoriametrics.sh"
trap 'prom_stop; vm_stop' EXIT

PUSH="$BIN/export_test_remote_write"
[ -x "$PUSH" ] || { echo "FAIL: $PUSH was not built"; exit 1; }
command -v python3 >/dev/null || { echo "skip: python3 is absent"; exit 77; }

# The view's time: a minute ago, whole seconds (queries take seconds).
T0_S=$(($(date +%s) - 60))
T0=$((T0_S * 1000))

# query URL PROMQL: the instant vector at T0 as "labels value" lines,
# labels sorted name=value joined by commas, sorted lines.
query() {
  curl -sf "$1/api/v1/query" --data-urlencode "query=$2" --data-urlencode "time=$T0_S" |
    python3 -c '
import json, sys
d = json.load(sys.stdin)
assert d["status"] == "success", d
rows = []
for r in d["data"]["result"]:
    m = r["metric"]
    rows.append(",".join("%s=%s" % (k, m[k]) for k in sorted(m)) + " " + r["value"][1])
print("\n".join(sorted(rows)))'
}

# checks URL: what both servers must answer after the push.
checks() {
  local url=$1 who=$2 got
  got=$(query "$url" 'count({__name__=~"augur_.*"})')
  check '[ "$got" = " 21" ]' "$who: want 21 augur series, got '$got'"
  got=$(query "$url" 'augur_forecast_cpu_cores{quantile="0.9",horizon="6h"}')
  check '[ "$got" = "__name__=augur_forecast_cpu_cores,cluster=ci,container=app,horizon=6h,kind=Deployment,namespace=shop,quantile=0.9,workload=web 2.05" ]' \
    "$who: forecast cpu 0.9 at 6h: '$got'"
  got=$(query "$url" 'augur_forecast_memory_bytes')
  check '[ "$(echo "$got" | awk "{print \$2}" | tr "\n" " ")" = "1011000000 1002000000 " ]' \
    "$who: forecast memory (24h, 6h; the NaN 1h left out): '$got'"
  got=$(query "$url" 'augur_recommendation_memory_bytes{namespace="shop",bound="limit"}')
  check '[ "${got##* }" = "536870912" ]' "$who: memory limit recommendation: '$got'"
  got=$(query "$url" 'augur_recommendation_cpu_cores{bound="target"}')
  check '[ "${got##* }" = "0.25" ] && [ "$(echo "$got" | wc -l)" = 1 ]' \
    "$who: cpu target (batch/report has no CPU data): '$got'"
  got=$(query "$url" 'count(augur_recommendation_memory_bytes{cluster="ci"})')
  check '[ "$got" = " 9" ]' "$who: 9 memory recommendation series with the extra label, got '$got'"
}

# ---- Prometheus, with the remote-write receiver ------------------------
mkdir -p "$PROM_DIR/data"
printf 'global:\n  scrape_interval: 1m\nscrape_configs: []\n' >"$PROM_DIR/prometheus.yml"
port=$(free_port)
PROM_URL="http://127.0.0.1:$port"
prometheus --config.file="$PROM_DIR/prometheus.yml" --storage.tsdb.path="$PROM_DIR/data" \
  --web.listen-address="127.0.0.1:$port" --web.enable-remote-write-receiver \
  --log.level=warn >"$PROM_DIR/prometheus.log" 2>&1 &
# shellcheck disable=SC2034 # prom_stop stops it
PROM_PID=$!
for _ in $(seq 600); do
  curl -sf "$PROM_URL/-/ready" >/dev/null 2>&1 && break
  sleep 0.1
done
curl -sf "$PROM_URL/-/ready" >/dev/null 2>&1 || {
  echo "FAIL: prometheus did not become ready:"; cat "$PROM_DIR/prometheus.log"; exit 1; }

out=$("$PUSH" --push "$PROM_URL/api/v1/write" "$T0" cluster=ci 2>&1)
check '[ "$out" = "rc=0 ok" ]' "push to Prometheus: $out"
checks "$PROM_URL" prometheus

out=$("$PUSH" --push "$PROM_URL/api/v1/wrong" "$T0" 2>&1)
check '[[ "$out" == "rc=-6 "*"HTTP 404"* ]]' "wrong path on Prometheus: want AG_EHTTP 404, got: $out"
out=$("$PUSH" --push "$PROM_URL/api/v1/write" "$T0" 'Bad=x' 2>&1)
check '[[ "$out" == "rc=-2 "*"extra labels"* ]]' "bad extra label: want AG_EINVAL, got: $out"
prom_stop
out=$("$PUSH" --push "$PROM_URL/api/v1/write" "$T0" 2>&1)
check '[[ "$out" == "rc=-7 "* ]]' "stopped Prometheus: want AG_ENET, got: $out"

# ---- VictoriaMetrics ----------------------------------------------------
vm_start /dev/null || { echo "FAIL: victoria-metrics did not start"; exit 1; }
out=$("$PUSH" --push "$VM_URL/api/v1/write" "$T0" cluster=ci 2>&1)
check '[ "$out" = "rc=0 ok" ]' "push to VictoriaMetrics: $out"
for _ in $(seq 40); do
  curl -sf "$VM_URL/internal/force_flush" >/dev/null 2>&1
  [ "$(query "$VM_URL" 'count({__name__=~"augur_.*"})')" = " 21" ] && break
  sleep 0.25
done
checks "$VM_URL" victoriametrics
out=$("$PUSH" --push "$VM_URL/api/v1/nowhere" "$T0" 2>&1)
check '[[ "$out" == "rc=-6 "*"HTTP 4"* ]]' "wrong path on VictoriaMetrics: want AG_EHTTP 4xx, got: $out"
vm_stop

# ---- the daemon's option ------------------------------------------------
if [ -n "${AG_AUGUR:-}" ] && [ -x "$AG_AUGUR" ]; then
  out=$("$AG_AUGUR" serve --prometheus http://127.0.0.1:1 --no-store --check-config \
    --remote-write http://127.0.0.1:2/api/v1/write 2>&1)
  check '[[ "$out" == *"remote-write: http://127.0.0.1:2/api/v1/write"* ]]' \
    "serve --check-config --remote-write: $out"
  out=$(AUGUR_REMOTE_WRITE_URL=http://127.0.0.1:3/api/v1/write "$AG_AUGUR" serve \
    --prometheus http://127.0.0.1:1 --no-store --check-config 2>&1)
  check '[[ "$out" == *"remote-write: http://127.0.0.1:3/api/v1/write"* ]]' \
    "AUGUR_REMOTE_WRITE_URL: $out"
  out=$("$AG_AUGUR" serve --prometheus http://127.0.0.1:1 --no-store --check-config \
    --remote-write ftp://x 2>&1)
  st=$?
  check '[ "$st" = 2 ] && [[ "$out" == *"--remote-write: '"'"'ftp://x'"'"' is not an http"* ]]' \
    "--remote-write ftp://x: want exit 2, got $st: $out"
fi

finish
