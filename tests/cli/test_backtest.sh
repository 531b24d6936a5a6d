#!/usr/bin/env bash
# augur backtest end to end on the demo data and on synthetic workloads:
# the table, the JSON (parsed back), the HTML page (parsed back), the
# decision CSV (the requested core-hours recomputed from it and the trace
# equal the report's), determinism, and bad input giving a clear error.
set -u
AUGUR=${AG_AUGUR:?}
SRC=${AG_SOURCE_DIR:?}
. "$SRC/tests/lib/common.sh"
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT

"$AUGUR" backtest --end "$END" "${INPUTS[@]}" --compare vpa,krr > "$T/table" 2>"$T/err"; rc=$?
check '[ $rc -eq 0 ]' "backtest on the demo data: $(cat "$T/err")"
check 'grep -q "^Had you applied augur stable over the last" "$T/table"' "the summary sentence: $(cat "$T/table")"
for run in "augur stable" vpa krr "as is"; do
  check 'grep -q "^$run" "$T/table"' "a row for $run"
done
check 'grep -q "payments  *StatefulSet/db  *postgres" "$T/table"' "a row per workload-container"

# json: parsed back; the runs and their totals are there
"$AUGUR" backtest -q --end "$END" "${INPUTS[@]}" --compare vpa -o json > "$T/bt.json"; rc=$?
check '[ $rc -eq 0 ]' "-o json"
check 'python3 - "$T/bt.json" <<PY
import json, sys
d = json.load(open(sys.argv[1]))
labels = [r["label"] for r in d["runs"]]
assert labels == ["augur stable", "vpa"], labels
assert len(d["runs"][0]["workloads"]) == 8, len(d["runs"][0]["workloads"])
t = d["runs"][0]["total"]
assert t["cpu_requested"] > 0 and t["mem_requested"] > 0
assert 0 <= t["cpu_slack"] <= 1, t
assert d["baseline"]["total"]["evictions"] == 0
PY' "json shape: $(head -c 300 "$T/bt.json")"

# the decision CSV: header, one row per change and event, and the
# requested core-seconds recomputed from it and the input equal the report
"$AUGUR" backtest -q --end "$END" --input "synth:sinusoidal:cpu=0.5,mem=512Mi,days=6,step=5m,replicas=2,noise=0.1" --compare none -o json --emit-decisions "$T/d.csv" > "$T/s.json"; rc=$?
check '[ $rc -eq 0 ]' "--emit-decisions"
check '[ "$(head -1 "$T/d.csv")" = "time,namespace,workload,container,resource,request,limit,lower,upper,event,pod" ]' "decision CSV header: $(head -1 "$T/d.csv")"
"$AUGUR" backtest -q --input "synth:sinusoidal:cpu=0.5,mem=512Mi,days=6,step=5m,replicas=2,noise=0.1" --algorithm static --compare none -o json > /dev/null
check 'python3 - "$T/d.csv" "$T/s.json" <<PY
import csv, json, sys, datetime
rows = list(csv.DictReader(open(sys.argv[1])))
rep = json.load(open(sys.argv[2]))
ts = lambda s: datetime.datetime.strptime(s, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=datetime.timezone.utc).timestamp()
# the synthetic workload: samples every 300 s from 2024-01-01, 6 days; warm-up 24 h
t0 = ts("2024-01-01T00:00:00Z")
req = 0.0
for pod in ("sinusoidal-0", "sinusoidal-1"):
    ch = [(ts(r["time"]), float(r["request"])) for r in rows
          if r["pod"] == pod and r["resource"] == "cpu" and r["event"] == "" and r["request"]]
    for k in range(6 * 288):
        t = t0 + 300 * k
        if t <= t0 + 86400:
            continue
        cur = [v for (when, v) in ch if when < t]
        req += (cur[-1] if cur else 0) * 300
got = rep["runs"][0]["total"]["cpu_requested"]
assert abs(req - got) <= 1e-6 * got, (req, got)
PY' "requested core-seconds recomputed from the decision CSV"

# the HTML page: well formed, one chart per workload-container resource, the frontier
"$AUGUR" backtest -q --end "$END" "${INPUTS[@]}" --compare vpa --sweep --html "$T/r.html" > /dev/null; rc=$?
check '[ $rc -eq 0 ] && [ -s "$T/r.html" ]' "--html"
check 'python3 - "$T/r.html" <<PY
import sys
from html.parser import HTMLParser
class P(HTMLParser):
    def __init__(s):
        super().__init__(); s.stack = []; s.svg = 0
    def handle_starttag(s, tag, a):
        if tag in ("br", "meta", "img", "hr", "input", "link"): return
        s.stack.append(tag); s.svg += tag == "svg"
    def handle_startendtag(s, tag, a): pass
    def handle_endtag(s, tag):
        assert s.stack and s.stack[-1] == tag, (tag, s.stack[-5:])
        s.stack.pop()
p = P(); p.feed(open(sys.argv[1]).read()); p.close()
assert not p.stack, p.stack
assert p.svg >= 10, p.svg
PY' "HTML parses and holds the charts"
check 'grep -qi "pareto" "$T/r.html" && ! grep -q "<script" "$T/r.html" && ! grep -q "http://\|https://" "$T/r.html"' "HTML: frontier, no scripts, no links"

# determinism: the same run twice gives the same bytes
"$AUGUR" backtest -q --end "$END" "${INPUTS[@]}" --compare all -o json | sed '/replay_cpu_s/d' > "$T/a.json"
"$AUGUR" backtest -q --end "$END" "${INPUTS[@]}" --compare all -o json | sed '/replay_cpu_s/d' > "$T/b.json"
check 'cmp -s "$T/a.json" "$T/b.json"' "two runs give the same report"

# bad input: clear errors, exit 2 for usage, 1 for data
"$AUGUR" backtest --algorithm nope "${INPUTS[@]}" >/dev/null 2>"$T/err"; rc=$?
check '[ $rc -eq 2 ] && grep -q "nope" "$T/err"' "unknown algorithm: $(cat "$T/err")"
"$AUGUR" backtest --policy fast "${INPUTS[@]}" >/dev/null 2>"$T/err"; rc=$?
check '[ $rc -eq 2 ] && grep -q "stable or cost-saving" "$T/err"' "bad policy: $(cat "$T/err")"
"$AUGUR" backtest --mode sometimes "${INPUTS[@]}" >/dev/null 2>"$T/err"; rc=$?
check '[ $rc -eq 2 ] && grep -q "in-place" "$T/err"' "bad mode: $(cat "$T/err")"
"$AUGUR" backtest --augur-cpu-risk 2 "${INPUTS[@]}" >/dev/null 2>"$T/err"; rc=$?
check '[ $rc -eq 2 ] && grep -q "augur-cpu-risk" "$T/err"' "bad parameter: $(cat "$T/err")"
"$AUGUR" backtest --compare vpa,bogus "${INPUTS[@]}" >/dev/null 2>"$T/err"; rc=$?
check '[ $rc -eq 2 ] && grep -q "bogus" "$T/err"' "bad --compare: $(cat "$T/err")"
"$AUGUR" backtest -o yaml "${INPUTS[@]}" >/dev/null 2>"$T/err"; rc=$?
check '[ $rc -eq 2 ]' "-o yaml is not a backtest format"
"$AUGUR" backtest --input "synth:sinusoidal:cpu=-1" >/dev/null 2>"$T/err"; rc=$?
check '[ $rc -eq 1 ] && grep -q "cpu" "$T/err"' "bad synthetic spec: $(cat "$T/err")"
"$AUGUR" backtest --input "$T/missing.om" >/dev/null 2>"$T/err"; rc=$?
check '[ $rc -eq 1 ] && grep -q "missing.om" "$T/err"' "missing file: $(cat "$T/err")"
"$AUGUR" backtest "${INPUTS[@]}" --html /nonexistent/dir/r.html >/dev/null 2>"$T/err"; rc=$?
check '[ $rc -eq 1 ] && grep -q "r.html" "$T/err"' "unwritable --html: $(cat "$T/err")"
# a malformed line is reported as file:line and skipped; the replay goes on
{ head -2000 "${DEMO[0]}"; echo 'container_memory_working_set_bytes{namespace="x",pod="p",container="c"} 12abc 1709251200'; } > "$T/bad.om"
"$AUGUR" backtest -q --input "$T/bad.om" --compare none -o json > "$T/bad.json" 2>"$T/err"; rc=$?
check '[ $rc -eq 0 ] && grep -q "bad.om:2001" "$T/err"' "malformed line reported with file:line: $(cat "$T/err")"
check 'python3 -c "import json,sys; json.load(open(sys.argv[1]))" "$T/bad.json"' "report still written after a malformed line"

"$AUGUR" backtest --help > "$T/help"; rc=$?
check '[ $rc -eq 0 ] && grep -q -- "--emit-decisions" "$T/help" && grep -q -- "--augur-cpu-risk" "$T/help"' "--help"

finish
