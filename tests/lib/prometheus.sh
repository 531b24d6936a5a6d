# tests/lib/prometheus.sh - start and stop a real Prometheus on 127.0.0.1
# over backfilled OpenMetrics files. Source it; call prom_start FILE...,
# use $PROM_URL, and prom_stop (also run on exit by the trap it installs).
# Exits 77 (skip) when prometheus or promtool is not installed.

command -v prometheus >/dev/null && command -v promtool >/dev/null || {
  echo "skip: prometheus/promtool not installed (scripts/install-deps.sh installs them)" >&2
  exit 77
}

PROM_DIR=$(mktemp -d)
PROM_PID=
PROM_URL=

prom_stop() {
  if [ -n "$PROM_PID" ] && kill -0 "$PROM_PID" 2>/dev/null; then
    kill -TERM "$PROM_PID" 2>/dev/null
    for _ in $(seq 50); do kill -0 "$PROM_PID" 2>/dev/null || break; sleep 0.1; done
    kill -KILL "$PROM_PID" 2>/dev/null
    wait "$PROM_PID" 2>/dev/null
  fi
  PROM_PID=
  rm -rf "$PROM_DIR"
}
trap prom_stop EXIT

free_port() {
  python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()'
}

# prom_start FILE...: backfill each OpenMetrics file, start Prometheus on
# a free loopback port, wait until ready (at most 60 s).
prom_start() {
  mkdir -p "$PROM_DIR/data"
  for f in "$@"; do
    promtool tsdb create-blocks-from openmetrics "$f" "$PROM_DIR/data" >"$PROM_DIR/backfill.log" 2>&1 || {
      echo "promtool backfill of $f failed:" >&2; cat "$PROM_DIR/backfill.log" >&2; return 1; }
  done
  printf 'global:\n  scrape_interval: 1m\nscrape_configs: []\n' > "$PROM_DIR/prometheus.yml"
  local port; port=$(free_port)
  PROM_URL="http://127.0.0.1:$port"
  prometheus --config.file="$PROM_DIR/prometheus.yml" --storage.tsdb.path="$PROM_DIR/data" \
    --storage.tsdb.retention.time=100y --web.listen-address="127.0.0.1:$port" \
    --log.level=warn >"$PROM_DIR/prometheus.log" 2>&1 &
  PROM_PID=$!
  for _ in $(seq 600); do
    if curl -sf "$PROM_URL/-/ready" >/dev/null 2>&1; then return 0; fi
    kill -0 "$PROM_PID" 2>/dev/null || break
    sleep 0.1
  done
  echo "prometheus did not become ready:" >&2; cat "$PROM_DIR/prometheus.log" >&2
  return 1
}
