#!/usr/bin/env bash
# scripts/serve-demo.sh (make serve-demo) - augur serve on a laptop: a real
# Prometheus (Debian's package) on 127.0.0.1 holding the demo cluster's 8
# days of history (data/demo, moved to end a minute ago), and augur serve
# reading it, with its web page, /metrics and API on
# http://127.0.0.1:${AUGUR_DEMO_PORT:-8089}/ until Ctrl-C. Prometheus also
# scrapes augur's /metrics. Everything lives in a temporary directory,
# removed on exit.
set -u
AUGUR=${1:-build/release/augur}
SRC=$(cd "$(dirname "$0")/.." && pwd)
PORT=${AUGUR_DEMO_PORT:-8089}
. "$SRC/tests/lib/common.sh" || exit 1
. "$SRC/tests/lib/prometheus.sh" || exit 1
T=$(mktemp -d)
trap 'prom_stop; rm -rf "$T"' EXIT
trap 'exit 0' INT TERM

demo_shift "$T"
echo "serve-demo: backfilling the demo cluster into a local Prometheus..." >&2
prom_start "${SHIFTED[@]}" || exit 1
printf 'global:\n  scrape_interval: 15s\nscrape_configs:\n  - job_name: augur\n    static_configs:\n      - targets: ["127.0.0.1:%s"]\n' "$PORT" > "$PROM_DIR/prometheus.yml"
curl -sf -X POST "$PROM_URL/-/reload" >/dev/null 2>&1 || kill -HUP "$PROM_PID"
cat >&2 <<MSG
serve-demo: Prometheus at $PROM_URL
serve-demo: augur at http://127.0.0.1:$PORT/  (web page; /metrics, /api/v1/workloads, /readyz)
serve-demo: Ctrl-C stops both
MSG
"$AUGUR" serve --prometheus "$PROM_URL" --listen "127.0.0.1:$PORT" --db "$T/augur.db" --interval 30s
