#!/usr/bin/env bash
# tests/http/test_backtest_api.sh - POST /api/v1/backtests end to end: a
# store built with `augur import` from the demo data, `augur serve` over
# it (its Prometheus is absent: the loop fails and backs off, the HTTP
# server and the backtests work all the same), jobs with and without
# options run by the real runner (src/serve_backtest.c), and each job's
# result compared with what `augur backtest -o json` prints for the same
# store and options (all but replay_cpu_s, the replay's CPU time). Also
# a job starting after the store's data fails with a message, and DELETE
# removes it.
set -u
AUGUR=${AG_AUGUR:?}
SRC=${AG_SOURCE_DIR:?}
. "$SRC/tests/lib/common.sh"
command -v python3 >/dev/null || { echo "skip: python3 is absent" >&2; exit 77; }
command -v curl >/dev/null || { echo "skip: curl is absent" >&2; exit 77; }
T=$(mktemp -d)
PID=
trap '[ -n "$PID" ] && kill "$PID" 2>/dev/null && wait "$PID" 2>/dev/null; rm -rf "$T"' EXIT

"$AUGUR" import -q --db "$T/a.db" "${INPUTS[@]}" 2>"$T/imp"; rc=$?
check '[ $rc -eq 0 ]' "augur import: $(cat "$T/imp")"

"$AUGUR" serve --prometheus http://127.0.0.1:9 --db "$T/a.db" --listen 127.0.0.1:0 \
  --api-token tok --interval 1h --timeout 1s >"$T/log" 2>&1 &
PID=$!
PORT=
for _ in $(seq 100); do
  PORT=$(sed -n 's/.*msg="serving".* port=\([0-9]*\).*/\1/p' "$T/log" | head -1)
  [ -n "$PORT" ] && break
  kill -0 "$PID" 2>/dev/null || break
  sleep 0.1
done
if [ -z "$PORT" ]; then
  echo "FAIL: augur serve did not start: $(cat "$T/log")" >&2
  exit 1
fi
A="http://127.0.0.1:$PORT"

# post BODY -> the job's id (and its Location checked)
post() {
  curl -s -D "$T/h" -o "$T/post" -w '%{http_code}' -H 'Authorization: Bearer tok' \
    -H 'Content-Type: application/json' --data "$1" "$A/api/v1/backtests" > "$T/code"
  python3 - "$T/post" "$T/h" "$(cat "$T/code")" <<'PY'
import json, sys
body = json.load(open(sys.argv[1]))
assert sys.argv[3] == "202", (sys.argv[3], body)
assert body["status"] == "queued", body
loc = [l.split(":", 1)[1].strip() for l in open(sys.argv[2]) if l.lower().startswith("location:")]
assert loc == ["/api/v1/backtests/%d" % body["id"]], loc
print(body["id"])
PY
}
# wait_job ID -> the job's JSON in $T/job.ID once it has finished
wait_job() {
  for _ in $(seq 1200); do
    curl -sf "$A/api/v1/backtests/$1" > "$T/job.$1" || return 1
    st=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["status"])' "$T/job.$1")
    [ "$st" = done ] || [ "$st" = failed ] && return 0
    sleep 0.1
  done
  return 1
}
# same JOBFILE CLIJSON: the job's result is the CLI's JSON (but replay_cpu_s)
same() {
  python3 - "$1" "$2" <<'PY'
import json, sys
job = json.load(open(sys.argv[1]))
cli = json.load(open(sys.argv[2]))
assert job["status"] == "done", job
def strip(x):
    if isinstance(x, dict):
        return {k: strip(v) for k, v in x.items() if k != "replay_cpu_s"}
    if isinstance(x, list):
        return [strip(v) for v in x]
    return x
a, b = strip(job["result"]), strip(cli)
if a != b:
    for k in sorted(set(a) | set(b)):
        if a.get(k) != b.get(k):
            print("differs at", k, json.dumps(a.get(k))[:300], "vs", json.dumps(b.get(k))[:300])
    sys.exit(1)
assert len(cli["runs"]) >= 1 and cli["runs"][0]["workloads"], "an empty backtest proves little"
PY
}

FROM=$((END - 4 * 86400))
J1=$(post "{\"recommender\": \"augur\", \"policy\": \"cost-saving\", \"namespace\": \"payments\", \"from\": $FROM, \"to\": $END, \"mode\": \"in-place\"}")
J2=$(post '{}')
J3=$(post "{\"recommender\": \"vpa\", \"selector\": \"container!=istio-proxy\", \"from\": \"$(date -u -d @"$((END - 3 * 86400))" +%Y-%m-%dT%H:%M:%SZ)\"}")
J4=$(post "{\"from\": $((END + 86400))}")
check '[ -n "$J1" ] && [ -n "$J2" ] && [ -n "$J3" ] && [ -n "$J4" ]' "the jobs were accepted: $(cat "$T/post")"

"$AUGUR" backtest -q --db "$T/a.db" --algorithm augur --policy cost-saving --namespace payments \
  --end "$END" --history 4d --mode in-place -o json > "$T/cli1.json" 2>"$T/err"; rc=$?
check '[ $rc -eq 0 ]' "augur backtest (1): $(cat "$T/err")"
"$AUGUR" backtest -q --db "$T/a.db" -o json > "$T/cli2.json" 2>"$T/err"; rc=$?
check '[ $rc -eq 0 ]' "augur backtest (2): $(cat "$T/err")"
"$AUGUR" backtest -q --db "$T/a.db" --algorithm vpa --selector 'container!=istio-proxy' \
  --history 3d -o json > "$T/cli3.json" 2>"$T/err"; rc=$?
check '[ $rc -eq 0 ]' "augur backtest (3): $(cat "$T/err")"

check 'wait_job "$J1"' "job $J1 finished: $(cat "$T/job.$J1" 2>/dev/null)"
check 'same "$T/job.$J1" "$T/cli1.json"' "job $J1 = augur backtest --policy cost-saving ... -o json"
check 'wait_job "$J2"' "job $J2 finished"
check 'same "$T/job.$J2" "$T/cli2.json"' "job $J2 (defaults) = augur backtest -o json"
check 'wait_job "$J3"' "job $J3 finished"
check 'same "$T/job.$J3" "$T/cli3.json"' "job $J3 (from without to) = augur backtest --history 3d"
check 'wait_job "$J4"' "job $J4 finished"
check 'python3 -c "
import json, sys
j = json.load(open(sys.argv[1]))
assert j[\"status\"] == \"failed\" and \"after the newest sample\" in j[\"error\"], j
assert \"result\" not in j, j
" "$T/job.$J4"' "from after the store's data fails, saying why: $(cat "$T/job.$J4")"

# the list, newest first; DELETE of a finished job
curl -sf "$A/api/v1/backtests" > "$T/list"
check 'python3 -c "
import json, sys
items = json.load(open(sys.argv[1]))[\"items\"]
assert [i[\"id\"] for i in items] == [$J4, $J3, $J2, $J1], items
assert all(\"result\" not in i for i in items)
assert items[3][\"request\"][\"policy\"] == \"cost-saving\"
" "$T/list"' "GET /api/v1/backtests: $(head -c 400 "$T/list")"
code=$(curl -s -o /dev/null -w '%{http_code}' -X DELETE -H 'Authorization: Bearer tok' "$A/api/v1/backtests/$J4")
check '[ "$code" = 204 ]' "DELETE a finished job: $code"
code=$(curl -s -o /dev/null -w '%{http_code}' "$A/api/v1/backtests/$J4")
check '[ "$code" = 404 ]' "the deleted job is gone: $code"
# the daemon's loop kept failing (no Prometheus) and its runs say so
curl -sf "$A/api/v1/runs" > "$T/runs"
check 'python3 -c "
import json, sys
items = json.load(open(sys.argv[1]))[\"items\"]
assert items and items[0][\"status\"] == \"failed\" and items[0][\"error\"], items
" "$T/runs"' "GET /api/v1/runs lists the failed loop: $(head -c 300 "$T/runs")"

kill -TERM "$PID"
wait "$PID"; rc=$?
PID=
check '[ $rc -eq 0 ]' "augur serve stopped cleanly on SIGTERM ($rc): $(tail -5 "$T/log")"
finish
