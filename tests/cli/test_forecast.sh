#!/usr/bin/env bash
# End-to-end tests of `augur forecast` on the bundled demo data: the
# stable csv (header, row count, timestamps after the data end on the
# asked step, quantiles ordered), json, --explain, --plot (well-formed,
# self-contained SVG), the run and its points in the store, and bad
# options exiting 2 with a message.
set -u
AUGUR=${AG_AUGUR:?}
SRC=${AG_SOURCE_DIR:?}
. "$SRC/tests/lib/common.sh"
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT

command -v python3 >/dev/null || { echo "skip: no python3" >&2; exit 77; }

"$AUGUR" forecast --help > "$T/help" 2>&1; rc=$?
check '[ $rc -eq 0 ] && grep -q "Usage: augur forecast" "$T/help" && grep -q -- "--quantiles" "$T/help"' "forecast --help"
"$AUGUR" --help | grep -q forecast; check '[ $? -eq 0 ]' "forecast listed in augur --help"

# ---- csv: 6h ahead in 1h steps, two quantiles ----
"$AUGUR" forecast --no-store -q "${INPUTS[@]}" --horizon 6h --step 1h --quantiles 0.95,0.5 -o csv > "$T/a.csv" 2>"$T/err"; rc=$?
check '[ $rc -eq 0 ]' "forecast -o csv: $(cat "$T/err")"
check '[ "$(head -1 "$T/a.csv")" = "timestamp,namespace,workload,container,resource,quantile,value" ]' "csv header"
# recommend's csv has one row per workload-container and resource: the same set
"$AUGUR" recommend --no-store -q "${INPUTS[@]}" -o csv > "$T/rec.csv" 2>/dev/null
python3 - "$T/a.csv" "$T/rec.csv" "$END" 3600 6 > "$T/csvcheck" 2>&1 <<'EOF'
import csv, sys
rows = list(csv.DictReader(open(sys.argv[1])))
rec = list(csv.DictReader(open(sys.argv[2])))
end, step, h = int(sys.argv[3]), int(sys.argv[4]), int(sys.argv[5])
series = {(r["namespace"], r["workload"], r["container"], r["resource"]) for r in rows}
wcs = {(r["namespace"], r["workload_name"], r["container"]) for r in rec}
assert len(wcs) >= 5, wcs
assert len(series) == len(wcs) * 2, (len(series), len(wcs))
assert len(rows) == len(series) * h * 3, len(rows)  # mean + 2 quantiles
ts = sorted({int(r["timestamp"]) for r in rows})
assert ts == [end + step * (i + 1) for i in range(h)], ts
assert {r["quantile"] for r in rows} == {"mean", "0.5", "0.95"}
assert {r["resource"] for r in rows} == {"cpu", "memory"}
v = {}
for r in rows:
    x = float(r["value"])
    assert x >= 0 and x == x, r
    v[(r["namespace"], r["workload"], r["container"], r["resource"], r["timestamp"], r["quantile"])] = x
for k in v:
    if k[5] == "0.5":
        assert v[k] <= v[k[:5] + ("0.95",)] + 1e-9, k
    if k[3] == "memory":
        assert v[k] == int(v[k]), k  # whole bytes
print("ok", len(rows))
EOF
check 'grep -q "^ok" "$T/csvcheck"' "csv rows: $(cat "$T/csvcheck")"

# defaults: 24h in 1h steps, quantiles 0.5 0.9 0.95 0.99 -> 5 rows per step
"$AUGUR" forecast --no-store -q "${INPUTS[@]}" -o csv > "$T/d.csv" 2>/dev/null; rc=$?
n_series=$(tail -n +2 "$T/a.csv" | cut -d, -f2-5 | sort -u | wc -l)
check '[ $rc -eq 0 ] && [ $(($(wc -l < "$T/d.csv") - 1)) -eq $((n_series * 24 * 5)) ]' "default csv has series x 24 x 5 rows"
check '[ "$(tail -n +2 "$T/d.csv" | cut -d, -f6 | sort -u | tr "\n" " ")" = "0.5 0.9 0.95 0.99 mean " ]' "default quantiles"
# 5-minute steps over 2h
"$AUGUR" forecast --no-store -q "${INPUTS[@]}" --horizon 2h --step 5m --quantiles 0.9 -o csv > "$T/m.csv" 2>/dev/null; rc=$?
check '[ $rc -eq 0 ] && [ "$(tail -n +2 "$T/m.csv" | cut -d, -f1 | sort -un | head -2 | tr "\n" " ")" = "$((END + 300)) $((END + 600)) " ] && [ $(($(wc -l < "$T/m.csv") - 1)) -eq $((n_series * 24 * 2)) ]' "5-minute steps"

# ---- json, --explain ----
"$AUGUR" forecast --no-store -q "${INPUTS[@]}" --horizon 3h -o json --explain > "$T/a.json" 2>"$T/err"; rc=$?
python3 - "$T/a.json" > "$T/jsoncheck" 2>&1 <<'EOF'
import json, sys
d = json.load(open(sys.argv[1]))
assert len(d) >= 10
for s in d:
    assert s["resource"] in ("cpu", "memory") and s["model"] and "reason" in s
    assert s["step"] == 3600 and len(s["points"]) == 3 and s["start"] == 1709856000 + 3600
    assert len(s["scores"]) >= 1 and all("model" in x and "loss" in x for x in s["scores"])
    for p in s["points"]:
        assert set(p["q"]) == {"0.5", "0.9", "0.95", "0.99"}
        assert p["q"]["0.5"] <= p["q"]["0.9"] <= p["q"]["0.95"] <= p["q"]["0.99"]
print("ok")
EOF
check '[ $rc -eq 0 ] && grep -q "^ok" "$T/jsoncheck"' "json --explain: $(cat "$T/err" "$T/jsoncheck")"
"$AUGUR" forecast --no-store -q "${INPUTS[@]}" --horizon 3h -o json > "$T/b.json" 2>/dev/null
check '! grep -q "\"scores\"" "$T/b.json"' "json without --explain has no scores"

# ---- table ----
"$AUGUR" forecast --no-store -q "${INPUTS[@]}" --explain > "$T/tab" 2>&1; rc=$?
check '[ $rc -eq 0 ] && grep -q "PEAK P50" "$T/tab" && grep -q "PEAK P95" "$T/tab" && grep -q "why:" "$T/tab" && grep -q "LOSS" "$T/tab"' "table --explain: $(head -5 "$T/tab")"
check 'grep -Eq " [0-9]+m +[0-9]+m$" "$T/tab" && grep -Eq "[0-9]+(Mi|Gi) +[0-9]+(Mi|Gi)$" "$T/tab"' "table in Kubernetes units"

# ---- --plot ----
"$AUGUR" forecast --no-store -q --input "$SRC/data/demo/shop.om" --plot "$T/f.svg" > /dev/null 2>"$T/err"; rc=$?
python3 - "$T/f.svg" > "$T/svgcheck" 2>&1 <<'EOF'
import re, sys, xml.etree.ElementTree as ET
root = ET.parse(sys.argv[1]).getroot()
ns = "{http://www.w3.org/2000/svg}"
assert root.tag == ns + "svg"
paths = root.iter(ns + "path")
ds = [p.get("d") for p in paths]
assert len(ds) >= 6 * 3, len(ds)  # 6 panels: history, mean, bands
text = open(sys.argv[1]).read()
assert not re.search(r"nan|inf", text, re.I), "NaN in the SVG"
assert "href" not in text and "<script" not in text
assert "frontend" in text and "cart" in text and "Mi<" in text
print("ok")
EOF
check '[ $rc -eq 0 ] && grep -q "^ok" "$T/svgcheck"' "--plot SVG: $(cat "$T/err" "$T/svgcheck")"
"$AUGUR" forecast --no-store -q --input "$SRC/data/demo/shop.om" --plot "$T/no/such/dir/f.svg" > /dev/null 2>"$T/err"; rc=$?
check '[ $rc -eq 1 ] && grep -q "no/such/dir" "$T/err"' "--plot to a bad path -> 1"

# ---- the store: the run and its points ----
"$AUGUR" forecast --db "$T/s.db" -q "${INPUTS[@]}" --horizon 4h -o csv > "$T/s.csv" 2>"$T/err"; rc=$?
check '[ $rc -eq 0 ]' "forecast with store: $(cat "$T/err")"
"$AUGUR" history --db "$T/s.db" > "$T/hist" 2>&1
check 'grep -q "forecast:auto" "$T/hist"' "augur history lists the forecast run: $(cat "$T/hist")"
rows=$(python3 -c "import sqlite3,sys; print(sqlite3.connect(sys.argv[1]).execute('select count(*) from forecast').fetchone()[0])" "$T/s.db" 2>&1)
check '[ "$rows" = "$(($(wc -l < "$T/s.csv") - 1))" ]' "store holds every csv row as a forecast point ($rows)"
id=$("$AUGUR" history --db "$T/s.db" -o json | python3 -c "import json,sys; print(json.load(sys.stdin)[0]['id'])")
"$AUGUR" history --db "$T/s.db" --show "$id" > "$T/shown.json" 2>&1
check 'python3 -c "import json,sys; d=json.load(open(sys.argv[1])); assert d and \"points\" in d[0]" "$T/shown.json"' "history --show prints the forecast json"
# the store alone is a data source
"$AUGUR" forecast --db "$T/s.db" --no-store -q --horizon 4h -o csv > "$T/s2.csv" 2>"$T/err"; rc=$?
check '[ $rc -eq 0 ] && cmp -s "$T/s.csv" "$T/s2.csv"' "forecast from the store equals forecast from files: $(cat "$T/err")"
"$AUGUR" forecast --db "$T/s.db" --no-store -q --model seasonal_naive --horizon 2h -o json > "$T/sn.json" 2>"$T/err"; rc=$?
check '[ $rc -eq 0 ] && python3 -c "import json,sys; assert all(s[\"model\"] == \"seasonal_naive\" for s in json.load(open(sys.argv[1])))" "$T/sn.json"' "--model seasonal_naive: $(cat "$T/err")"

# ---- bad options exit 2 with a message ----
bad_option() {
  local want=$1; shift
  "$AUGUR" forecast --no-store -q "${INPUTS[@]}" "$@" > /dev/null 2>"$T/err"; local rc=$?
  check '[ $rc -eq 2 ] && grep -qi -- "$want" "$T/err"' "forecast $* -> 2 with '$want': rc=$rc $(cat "$T/err")"
}
bad_option "not a duration" --horizon soon
bad_option "not a duration" --horizon 0h
bad_option "not a duration" --step x
bad_option "longer than --horizon" --horizon 1h --step 2h
bad_option "whole number" --horizon 90m --step 1h
bad_option "between 0 and 1" --quantiles 0.5,1
bad_option "between 0 and 1" --quantiles 0
bad_option "between 0 and 1" --quantiles 0.5,,0.9
bad_option "between 0 and 1" --quantiles abc
bad_option "between 0 and 1" --quantiles 0.5,-0.1
bad_option "too many" --quantiles 0.01,0.02,0.03,0.04,0.05,0.06,0.07,0.08,0.09,0.1,0.2,0.3,0.4,0.5,0.6,0.7,0.8
bad_option "not auto or a model" --model prophet
bad_option "not one of table, json, csv" -o yaml
bad_option "not one of" -o xml
bad_option "does not apply" --algorithm vpa
bad_option "at most" --horizon 30d --step 1m

finish
