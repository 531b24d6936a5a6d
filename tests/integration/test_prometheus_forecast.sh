#!/usr/bin/env bash
# A real Prometheus (Debian package) started by this test on 127.0.0.1,
# backfilled with the demo data via promtool: `augur forecast --prometheus`
# must give the forecasts computed offline from the same files (json and
# csv), and record its run in the store like any other source.
set -u
AUGUR=${AG_AUGUR:?}
SRC=${AG_SOURCE_DIR:?}
. "$SRC/tests/lib/common.sh"
. "$SRC/tests/lib/prometheus.sh"
T=$(mktemp -d)
trap 'prom_stop; rm -rf "$T"' EXIT


prom_start "${DEMO[@]}" || exit 1

# Equal up to floating-point noise: Prometheus computes the CPU rates
# itself, so the inputs may differ in the last bits.
same() {
  python3 - "$1" "$2" <<'PY'
import json, math, sys
a, b = json.load(open(sys.argv[1])), json.load(open(sys.argv[2]))
def eq(x, y, path):
    if isinstance(x, float) or isinstance(y, float):
        if not math.isclose(x, y, rel_tol=1e-6, abs_tol=1e-9):
            sys.exit(f"{path}: {x} != {y}")
    elif isinstance(x, dict):
        if set(x) != set(y): sys.exit(f"{path}: keys differ")
        for k in x: eq(x[k], y[k], f"{path}.{k}")
    elif isinstance(x, list):
        if len(x) != len(y): sys.exit(f"{path}: {len(x)} != {len(y)} entries")
        for i, (u, v) in enumerate(zip(x, y)): eq(u, v, f"{path}[{i}]")
    elif x != y:
        sys.exit(f"{path}: {x!r} != {y!r}")
eq(a, b, "$")
PY
}

for model in auto seasonal_naive; do
  "$AUGUR" forecast --no-store --model $model --end "$END" --horizon 12h "${INPUTS[@]}" -o json --explain > "$T/file-$model.json" 2>"$T/err-file"; rc=$?
  check '[ $rc -eq 0 ]' "offline $model: $(cat "$T/err-file")"
  "$AUGUR" forecast --no-store --model $model --end "$END" --horizon 12h --prometheus "$PROM_URL" -o json --explain > "$T/prom-$model.json" 2>"$T/err-prom"; rc=$?
  check '[ $rc -eq 0 ]' "prometheus $model: $(cat "$T/err-prom")"
  same "$T/file-$model.json" "$T/prom-$model.json" > "$T/diff" 2>&1
  check '[ $? -eq 0 ]' "$model: Prometheus forecast differs from the file forecast: $(head -5 "$T/diff")"
  check '[ $(python3 -c "import json,sys; print(len(json.load(open(sys.argv[1]))))" "$T/prom-$model.json") -ge 10 ]' "$model: forecasts are not empty"
done

# csv: same rows (timestamps, names, quantiles), values within rounding
"$AUGUR" forecast --no-store --end "$END" --horizon 6h "${INPUTS[@]}" -o csv > "$T/file.csv" 2>/dev/null
"$AUGUR" forecast --no-store --end "$END" --horizon 6h --prometheus "$PROM_URL" -o csv > "$T/prom.csv" 2>/dev/null
check '[ "$(cut -d, -f1-6 "$T/file.csv" | md5sum)" = "$(cut -d, -f1-6 "$T/prom.csv" | md5sum)" ] && [ $(wc -l < "$T/prom.csv") -gt 100 ]' "csv rows equal"
check 'paste -d, "$T/file.csv" "$T/prom.csv" | tail -n +2 | awk -F, "{d=\$7-\$14; if (d<0) d=-d; if (d > 1e-5 * (\$7 < 0 ? -\$7 : \$7) + 2e-6) exit 1}"' "csv values equal within rounding"

# the run is recorded with a prometheus source
"$AUGUR" forecast --db "$T/p.db" --end "$END" --horizon 2h --prometheus "$PROM_URL" -q -o csv > /dev/null 2>"$T/err"; rc=$?
"$AUGUR" history --db "$T/p.db" > "$T/hist" 2>&1
check '[ $rc -eq 0 ] && grep -q "forecast:auto" "$T/hist" && grep -q "prometheus:" "$T/hist"' "run recorded: $(cat "$T/err" "$T/hist")"

prom_stop
"$AUGUR" forecast --no-store --end "$END" --prometheus "$PROM_URL" >/dev/null 2>"$T/err"; rc=$?
check '[ $rc -eq 1 ]' "stopped server -> exit 1"

finish
