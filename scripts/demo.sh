#!/bin/sh
# make demo: recommend requests and limits for the bundled demo cluster
# (data/demo/, cut from public traces) with the VPA algorithm, then KRR,
# then forecast one namespace with an SVG plot, then replay the history
# under augur against the VPA and KRR (augur backtest).
set -eu
AUGUR=${1:-build/release/augur}
cd "$(dirname "$0")/.."
DB=build/demo.db
rm -f "$DB" "$DB-wal" "$DB-shm"
set -- data/demo/*.om
echo "== augur recommend --algorithm vpa --input data/demo/*.om"
"$AUGUR" recommend --db "$DB" --algorithm vpa $(printf -- '--input %s ' "$@")
echo
echo "== augur recommend --algorithm krr (from the store this time, no re-reading)"
"$AUGUR" recommend --db "$DB" --algorithm krr --history 8d
echo
echo "== augur forecast --namespace shop (next 24 h in 1 h steps, from the store)"
"$AUGUR" forecast --db "$DB" --namespace shop --horizon 24h --step 1h --plot build/demo-forecast.svg
echo "(history, forecast and quantile bands drawn in build/demo-forecast.svg)"
echo
echo "== augur backtest --compare vpa,krr (replay the demo's history under augur, from the store)"
"$AUGUR" backtest --db "$DB" --compare vpa,krr --sweep --html build/demo-backtest.html \
  --emit-decisions build/demo-decisions.csv
echo "(report with charts and the Pareto frontier in build/demo-backtest.html; every decision in build/demo-decisions.csv)"
echo
echo "== augur history"
"$AUGUR" history --db "$DB"
