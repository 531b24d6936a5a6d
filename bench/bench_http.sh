#!/usr/bin/env bash
# bench/bench_http.sh - the daemon's HTTP server under wrk (issue #5,
# section 6: /metrics and the JSON API hold 1,000 requests/s on loopback
# with p99 <= 50 ms). Starts bench_http (a view of N workload-containers,
# the per-client rate limiter set to 1e9/s), then per endpoint:
#   1. closed loop: wrk -t2 -c32 -d${DUR}s --latency  -> requests/s reached
#   2. paced at ${RATE}/s in total: wrk -t2 -c${PC} with a Lua delay() hook
#      (each connection waits a random 0..2d ms before each request, d =
#      PC/RATE s minus the mean closed-loop-free latency measured in a
#      short calibration run) -> p50/p99 at ~RATE requests/s
# and prints a markdown table. Debian's wrk is wrk 4 (no -R), hence the
# Lua pacing. A case "EP gzip" sends Accept-Encoding: gzip, as Prometheus
# does (response bytes are then the compressed bytes). CASES picks the
# cases (default: all). Run by hand:
#   bench/bench_http.sh build/h-bench/bench_http [N=1000] [DUR=20] [RATE=1000]
#   CASES='/metrics;/metrics gzip' bench/bench_http.sh build/h1-bench/bench_http
set -u
BIN=${1:?usage: bench_http.sh path/to/bench_http [N] [DUR] [RATE]}
N=${2:-1000}
DUR=${3:-20}
RATE=${4:-1000}
PC=${PC:-20}
CASES=${CASES:-/metrics;/metrics gzip;/api/v1/recommendations;/api/v1/workloads}
command -v wrk >/dev/null || { echo "wrk not installed (apt-get install -y wrk)" >&2; exit 77; }
T=$(mktemp -d)
SRV=
cleanup() { [ -n "$SRV" ] && kill "$SRV" 2>/dev/null && wait "$SRV" 2>/dev/null; rm -rf "$T"; }
trap cleanup EXIT

"$BIN" "$N" > "$T/port" 2> "$T/server.log" &
SRV=$!
for _ in $(seq 300); do [ -s "$T/port" ] && break; sleep 0.1; done
PORT=$(head -1 "$T/port")
[ -n "$PORT" ] || { echo "bench_http did not start: $(cat "$T/server.log")" >&2; exit 1; }
B="http://127.0.0.1:$PORT"
cat "$T/server.log" >&2

# wrk's latency lines: "50%  1.23ms" -> milliseconds
to_ms() { awk -v v="$1" 'BEGIN { if (v ~ /us$/) { sub(/us$/, "", v); print v / 1000 }
  else if (v ~ /ms$/) { sub(/ms$/, "", v); print v + 0 }
  else if (v ~ /m$/) { sub(/m$/, "", v); print v * 60000 }
  else { sub(/s$/, "", v); print v * 1000 } }'; }
pct() { to_ms "$(awk -v p="$2" '$1 == p {print $2}' "$1")"; }
rps() { awk '/^Requests\/sec:/ {print $2}' "$1"; }
errs() { awk '/Non-2xx|Socket errors/ {printf "%s; ", $0}' "$1"; }

{
  echo "| endpoint | response bytes | closed loop req/s (-c32) | closed p50 / p99 ms | paced req/s | paced p50 / p99 / max ms | errors |"
  echo "|---|---|---|---|---|---|---|"
} > "$T/table"

IFS=';' read -r -a cases <<< "$CASES"
for case in "${cases[@]}"; do
  ep=${case%% *}
  H=()
  label="\`$ep\`"
  if [ "$case" != "$ep" ]; then
    H=(-H 'Accept-Encoding: gzip')
    label="\`$ep\` (gzip)"
  fi
  bytes=$(curl -s "${H[@]}" -o /dev/null -w '%{size_download}' "$B$ep")
  code=$(curl -s "${H[@]}" -o /dev/null -w '%{http_code}' "$B$ep")
  echo "== $case: HTTP $code, $bytes bytes; load: $(cut -d' ' -f1-3 /proc/loadavg)" >&2
  wrk -t2 -c32 -d"${DUR}s" --latency "${H[@]}" "$B$ep" > "$T/closed" 2>&1
  cat "$T/closed" >&2
  # calibration: the mean latency at a low paced rate, to subtract from the delay
  d_ms=$(awk -v c="$PC" -v r="$RATE" 'BEGIN { printf "%d", c * 1000 / r }')
  printf 'math.randomseed(42)\nfunction delay() return math.random(0, 2 * %d) end\n' "$d_ms" > "$T/pace.lua"
  wrk -t2 -c"$PC" -d5s --latency -s "$T/pace.lua" "${H[@]}" "$B$ep" > "$T/cal" 2>&1
  mean=$(to_ms "$(awk '$1 == "Latency" {print $2; exit}' "$T/cal")")
  d_adj=$(awk -v d="$d_ms" -v m="$mean" 'BEGIN { x = d - m; if (x < 0) x = 0; printf "%d", x + 0.5 }')
  printf 'math.randomseed(42)\nfunction delay() return math.random(0, 2 * %d) end\n' "$d_adj" > "$T/pace.lua"
  echo "-- paced: $PC connections, delay uniform 0..$((2 * d_adj)) ms (mean latency at calibration $mean ms); load: $(cut -d' ' -f1-3 /proc/loadavg)" >&2
  wrk -t2 -c"$PC" -d"${DUR}s" --latency -s "$T/pace.lua" "${H[@]}" "$B$ep" > "$T/paced" 2>&1
  cat "$T/paced" >&2
  max=$(to_ms "$(awk '$1 == "Latency" {print $4; exit}' "$T/paced")")
  printf '| %s | %s | %s | %s / %s | %s | %s / %s / %s | %s |\n' "$label" "$bytes" "$(rps "$T/closed")" \
    "$(pct "$T/closed" 50%)" "$(pct "$T/closed" 99%)" "$(rps "$T/paced")" \
    "$(pct "$T/paced" 50%)" "$(pct "$T/paced" 99%)" "$max" "$(errs "$T/closed")$(errs "$T/paced")" >> "$T/table"
done
echo "load average at the end: $(cut -d' ' -f1-3 /proc/loadavg)" >&2
cat "$T/table"
