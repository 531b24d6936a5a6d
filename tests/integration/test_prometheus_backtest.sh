#!/usr/bin/env bash
# augur backtest against a real Prometheus (Debian package) started by this
# test on 127.0.0.1 and backfilled with the demo data: the replay of the
# history read from Prometheus equals the replay of the same files, and
# the HTML report is written.
set -u
AUGUR=${AG_AUGUR:?}
SRC=${AG_SOURCE_DIR:?}
. "$SRC/tests/lib/common.sh"
. "$SRC/tests/lib/prometheus.sh"
T=$(mktemp -d)
trap 'prom_stop; rm -rf "$T"' EXIT

prom_start "${DEMO[@]}" || exit 1

"$AUGUR" backtest -q --end "$END" --history 8d "${INPUTS[@]}" --compare vpa -o json \
  | sed '/"source"/d; /replay_cpu_s/d' > "$T/file.json"; rc=$?
check '[ $rc -eq 0 ] && [ -s "$T/file.json" ]' "backtest from files"
"$AUGUR" backtest -q --end "$END" --history 8d --prometheus "$PROM_URL" --compare vpa -o json \
  --html "$T/r.html" 2>"$T/err" | sed '/"source"/d; /replay_cpu_s/d' > "$T/prom.json"
check '[ -s "$T/prom.json" ]' "backtest --prometheus: $(cat "$T/err")"
check 'cmp -s "$T/file.json" "$T/prom.json"' "the replay from Prometheus equals the replay from files: $(diff "$T/file.json" "$T/prom.json" | head -10)"
check 'grep -q "<svg" "$T/r.html"' "HTML report from Prometheus"
check 'python3 -c "import json,sys; d=json.load(open(sys.argv[1])); assert d[\"runs\"][0][\"total\"][\"cpu_requested\"] > 0" "$T/prom.json"' "non-empty replay"

prom_stop
"$AUGUR" backtest -q --end "$END" --prometheus "$PROM_URL" >/dev/null 2>"$T/err"; rc=$?
check '[ $rc -eq 1 ]' "stopped server -> exit 1: $(cat "$T/err")"

finish
