#!/usr/bin/env bash
# bench/bench_serve_loop.sh - `augur serve` keeping up (issue #5, section
# 6: 10,000 containers at 1-minute samples in real time, <= 1 core,
# <= 200 MB RSS). A real Prometheus on 127.0.0.1 backfilled (promtool
# tsdb create-blocks-from openmetrics) with bench/gen_serve_data.py's
# N containers x DAYS x 1-minute samples ending 3 minutes ago, then
#   augur serve --prometheus URL --db WORK/augur.db --interval 1m [--history H]
# for LOOPS loops, while Prometheus also scrapes bench/gen_serve_data.py
# --serve (the same pods' current values) every minute, so every loop after
# the first fetches the new minute as in production. Per loop (detected by augur_loops_total on /metrics,
# polled every 0.5 s): wall time since start, CPU time (utime+stime from
# /proc/PID/stat, delta since the previous loop), VmHWM and VmRSS from
# /proc/PID/status, and augur_loop_duration_seconds (the daemon's own).
# Run by hand:
#   bench/bench_serve_loop.sh build/h-bench/augur N DAYS [LOOPS=4] [HISTORY] [WORK=/tmp/augur-serve-bench]
# The generated file and the backfilled blocks are kept in WORK/nN-dDAYS
# (reused by a later run with the same N and DAYS if END is still recent:
# delete them to regenerate). Prometheus's own CPU is reported too.
set -u
AUGUR=${1:?usage: bench_serve_loop.sh augur N DAYS [LOOPS] [HISTORY] [WORK]}
N=${2:?N}
DAYS=${3:?DAYS}
LOOPS=${4:-4}
HIST=${5:-}
WORK=${6:-/tmp/augur-serve-bench}
SRC=$(cd "$(dirname "$0")/.." && pwd)
D="$WORK/n$N-d$DAYS"
mkdir -p "$D"
HZ=$(getconf CLK_TCK)
PROM_PID= AUG_PID= XPID=
cleanup() {
  for p in $AUG_PID $PROM_PID $XPID; do kill -TERM "$p" 2>/dev/null; done
  for p in $AUG_PID $PROM_PID $XPID; do wait "$p" 2>/dev/null; done
}
trap cleanup EXIT
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()'; }
cpu_ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; } # utime + stime
kb() { awk -v k="$2:" '$1 == k {print $2}' "/proc/$1/status"; }
load() { cut -d' ' -f1-3 /proc/loadavg; }

if [ ! -d "$D/tsdb" ]; then
  END=$(( $(date +%s) - 180 ))
  echo "generating N=$N DAYS=$DAYS END=$END; load $(load)" >&2
  t=$(date +%s.%N)
  python3 "$SRC/bench/gen_serve_data.py" "$N" "$DAYS" "$END" "$D/data.om" || exit 1
  t2=$(date +%s.%N)
  # --max-block-duration (a hidden flag): without it promtool re-reads the whole file per 2 h block
  promtool tsdb create-blocks-from openmetrics --max-block-duration=200h -q "$D/data.om" "$D/tsdb.tmp" >&2 || exit 1
  mv "$D/tsdb.tmp" "$D/tsdb"
  t3=$(date +%s.%N)
  echo "$END" > "$D/end"
  awk -v a="$t" -v b="$t2" -v c="$t3" -v s="$(stat -c %s "$D/data.om")" \
    'BEGIN { printf "generated %.0f MB in %.0f s, backfilled in %.0f s\n", s / 1e6, b - a, c - b }' >&2
  rm -f "$D/data.om"
fi
echo "data ends $(( $(date +%s) - $(cat "$D/end") )) s ago" >&2

# the live part: Prometheus scrapes the same N pods' current values every minute
XP=$(free_port)
python3 "$SRC/bench/gen_serve_data.py" --serve "$XP" "$N" > "$D/exporter.log" 2>&1 &
XPID=$!
PP=$(free_port)
printf 'global:\n  scrape_interval: 1m\nscrape_configs:\n  - job_name: live\n    static_configs:\n      - targets: ["127.0.0.1:%s"]\n' "$XP" > "$D/prometheus.yml"
prometheus --config.file="$D/prometheus.yml" --storage.tsdb.path="$D/tsdb" \
  --storage.tsdb.retention.time=100y --web.listen-address="127.0.0.1:$PP" \
  --log.level=warn > "$D/prometheus.log" 2>&1 &
PROM_PID=$!
for _ in $(seq 600); do curl -sf "http://127.0.0.1:$PP/-/ready" >/dev/null 2>&1 && break; sleep 0.1; done
curl -sf "http://127.0.0.1:$PP/-/ready" >/dev/null || { cat "$D/prometheus.log" >&2; exit 1; }

AP=$(free_port)
rm -f "$D"/augur.db*
ARGS=(serve --prometheus "http://127.0.0.1:$PP" --listen "127.0.0.1:$AP" --db "$D/augur.db" --interval 1m)
[ -n "$HIST" ] && ARGS+=(--history "$HIST")
echo "load before: $(load); $AUGUR ${ARGS[*]}" >&2
T0=$(date +%s.%N)
"$AUGUR" "${ARGS[@]}" > "$D/augur.log" 2>&1 &
AUG_PID=$!
P0=$(cpu_ticks "$PROM_PID")
echo "| loop | wall since start s | CPU this loop s | augur_loop_duration_seconds | VmHWM MB | VmRSS MB | Prometheus CPU this loop s | failures | load avg |"
echo "|---|---|---|---|---|---|---|---|---|"
prev_cpu=0 prev_loops=0 prev_p=$P0
while kill -0 "$AUG_PID" 2>/dev/null; do
  # a loop ends with a "published" or "fetch failed" log line; /metrics is read
  # only then (a /metrics render is not free: polling it would add to the CPU)
  loops=$(grep -cE 'msg="(published|fetch failed|loop failed)' "$D/augur.log")
  if [ "$loops" != "$prev_loops" ]; then
    c=$(cpu_ticks "$AUG_PID") p=$(cpu_ticks "$PROM_PID")
    m=$(curl -s --max-time 5 "http://127.0.0.1:$AP/metrics" 2>/dev/null | grep -E '^augur_(loops_total|loop_duration_seconds|loop_failures_total|series_tracked) ')
    dur=$(awk '$1 == "augur_loop_duration_seconds" {print $2}' <<<"$m")
    awk -v l="$loops" -v w="$(date +%s.%N)" -v t0="$T0" -v c="$c" -v pc="$prev_cpu" -v hz="$HZ" \
      -v d="$dur" -v h="$(kb "$AUG_PID" VmHWM)" -v r="$(kb "$AUG_PID" VmRSS)" -v p="$p" -v pp="$prev_p" -v ld="$(load)" -v f="$(awk '$1 == "augur_loop_failures_total" {print $2}' <<<"$m")" \
      'BEGIN { printf "| %d | %.1f | %.2f | %s | %.0f | %.0f | %.2f | %s | %s |\n", l, w - t0, (c - pc) / hz, d, h / 1024, r / 1024, (p - pp) / hz, f, ld }'
    prev_cpu=$c prev_loops=$loops prev_p=$p
    [ "$loops" -ge "$LOOPS" ] && break
  fi
  sleep 0.5
done
grep -E 'level=(warn|error)|published' "$D/augur.log" | tail -5 >&2
echo "series tracked: $(awk '$1 == "augur_series_tracked" {print $2}' <<<"$m"); final load: $(load)" >&2
