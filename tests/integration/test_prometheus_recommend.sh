#!/usr/bin/env bash
# A real Prometheus (Debian package) started by this test on 127.0.0.1,
# backfilled with the demo data via promtool: `augur recommend --prometheus`
# must give exactly the recommendations computed offline from the same
# files, for both algorithms, and import from Prometheus must work.
set -u
AUGUR=${AG_AUGUR:?}
SRC=${AG_SOURCE_DIR:?}
. "$SRC/tests/lib/common.sh"
. "$SRC/tests/lib/prometheus.sh"
T=$(mktemp -d)
trap 'prom_stop; rm -rf "$T"' EXIT


prom_start "${DEMO[@]}" || exit 1

for algo in vpa krr; do
  "$AUGUR" recommend --no-store --algorithm $algo --end "$END" "${INPUTS[@]}" -o json > "$T/file-$algo.json" 2>"$T/err-file"; rc=$?
  check '[ $rc -eq 0 ]' "offline $algo: $(cat "$T/err-file")"
  "$AUGUR" recommend --no-store --algorithm $algo --end "$END" --prometheus "$PROM_URL" -o json > "$T/prom-$algo.json" 2>"$T/err-prom"; rc=$?
  check '[ $rc -eq 0 ]' "prometheus $algo: $(cat "$T/err-prom")"
  check 'cmp -s "$T/file-$algo.json" "$T/prom-$algo.json"' "$algo: Prometheus result differs from the file result: $(diff <(python3 -m json.tool "$T/file-$algo.json") <(python3 -m json.tool "$T/prom-$algo.json") | head -20)"
  check '[ $(python3 -c "import json,sys; print(len(json.load(open(sys.argv[1]))))" "$T/prom-$algo.json") -ge 5 ]' "$algo: results are not empty"
done

# import from Prometheus into a store, then recommend from the store
"$AUGUR" import --db "$T/p.db" --prometheus "$PROM_URL" --end "$END" --history 8d 2>"$T/imp"; rc=$?
check '[ $rc -eq 0 ] && grep -q "new samples" "$T/imp"' "import --prometheus: $(cat "$T/imp")"
"$AUGUR" recommend --db "$T/p.db" --no-store --end "$END" -o json > "$T/store.json" 2>/dev/null; rc=$?
check 'cmp -s "$T/file-vpa.json" "$T/store.json"' "store (from Prometheus) result equals file result"

# errors: a path that is not the API, and a stopped server
"$AUGUR" recommend --no-store --end "$END" --prometheus "$PROM_URL/nothing-here" >/dev/null 2>"$T/err"; rc=$?
check '[ $rc -eq 1 ] && grep -q "404" "$T/err"' "404 reported: $(cat "$T/err")"
prom_stop
"$AUGUR" recommend --no-store --end "$END" --prometheus "$PROM_URL" >/dev/null 2>"$T/err"; rc=$?
check '[ $rc -eq 1 ]' "stopped server -> exit 1"

finish
