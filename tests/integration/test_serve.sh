#!/usr/bin/env bash
# augur serve end to end with real parts on 127.0.0.1: a real Prometheus
# (Debian package) backfilled with the demo data moved to end now, and
# scraping augur's own /metrics; the daemon fetches from it, serves the
# API and /metrics, survives Prometheus going down (keeps the last good
# results, counts fetch errors, turns not-ready) and coming back, a
# kill -9 (restart from the store, nothing committed lost, no
# corruption), and stops cleanly on SIGTERM. Bad config: a clear error.
set -u
AUGUR=${AG_AUGUR:?}
SRC=${AG_SOURCE_DIR:?}
. "$SRC/tests/lib/common.sh"
. "$SRC/tests/lib/prometheus.sh"
T=$(mktemp -d)
AUGUR_PID=
PROXY_PID=
stop_augur() {
  if [ -n "$AUGUR_PID" ] && kill -0 "$AUGUR_PID" 2>/dev/null; then
    kill -KILL "$AUGUR_PID" 2>/dev/null; wait "$AUGUR_PID" 2>/dev/null
  fi
  AUGUR_PID=
}
trap 'stop_augur; [ -n "$PROXY_PID" ] && kill "$PROXY_PID" 2>/dev/null; prom_stop; rm -rf "$T"' EXIT

# the demo data, shifted so that it ends a minute ago
demo_shift "$T"

APORT=$(free_port)
# prom_start writes its own config; give it one that scrapes augur too
prom_start "${SHIFTED[@]}" || exit 1
printf 'global:\n  scrape_interval: 1s\nscrape_configs:\n  - job_name: augur\n    static_configs:\n      - targets: ["127.0.0.1:%s"]\n' "$APORT" > "$PROM_DIR/prometheus.yml"
curl -sf -X POST "$PROM_URL/-/reload" >/dev/null || kill -HUP "$PROM_PID"

# augur talks to Prometheus through a proxy that can be told to answer garbage
python3 "$SRC/tests/integration/prom_proxy.py" --upstream "$PROM_URL" --mode-file "$T/mode" > "$T/proxy.port" &
PROXY_PID=$!
for _ in $(seq 50); do [ -s "$T/proxy.port" ] && break; sleep 0.1; done
PROXY_URL="http://127.0.0.1:$(cat "$T/proxy.port")"

start_augur() {
  "$AUGUR" serve --prometheus "$PROXY_URL" --listen "127.0.0.1:$APORT" --db "$T/augur.db" \
    --interval 2s --forecast-interval 1h --timeout 3s --log-level debug >>"$T/augur.log" 2>&1 &
  AUGUR_PID=$!
}
wait_ready() { # wait_ready SECONDS: until /readyz answers 200
  for _ in $(seq $(( $1 * 10 ))); do
    [ "$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$APORT/readyz")" = 200 ] && return 0
    kill -0 "$AUGUR_PID" 2>/dev/null || return 1
    sleep 0.1
  done
  return 1
}

start_augur
check 'wait_ready 120' "augur serve became ready: $(tail -20 "$T/augur.log")"
A="http://127.0.0.1:$APORT"
check '[ "$(curl -s "$A/healthz")" = ok ] || curl -sf "$A/healthz" >/dev/null' "/healthz"
curl -sf "$A/api/v1/recommendations" > "$T/recs.json"
check 'python3 -c "
import json,sys
d=json.load(open(sys.argv[1]))
assert len(d) >= 5, len(d)
assert any(x[\"namespace\"]==\"payments\" and x[\"container\"]==\"postgres\" for x in d)
assert all(x[\"cpu\"][\"target\"] > 0 for x in d if x[\"status\"][\"cpu\"]==\"ok\")
" "$T/recs.json"' "/api/v1/recommendations: $(head -c 300 "$T/recs.json")"
curl -sf "$A/metrics" > "$T/metrics"
check 'grep -q "^augur_recommendation_cpu_cores{.*namespace=\"payments\"" "$T/metrics"' "/metrics has recommendations"
check 'grep -q "^augur_ready 1" "$T/metrics"' "/metrics: augur_ready 1"

# the real Prometheus scrapes augur's /metrics
got=
for _ in $(seq 100); do
  got=$(curl -s "$PROM_URL/api/v1/query" --data-urlencode 'query=count(augur_recommendation_cpu_cores{bound="target"})' | python3 -c 'import json,sys; r=json.load(sys.stdin)["data"]["result"]; print(r[0]["value"][1] if r else "")')
  [ -n "$got" ] && break
  sleep 0.2
done
check '[ -n "$got" ] && [ "$got" -ge 5 ]' "Prometheus scraped augur_recommendation_cpu_cores: '$got'"

# Prometheus down: the last good results stay served, errors are counted,
# readiness turns 503 once the data is stale (3 x interval)
kill -STOP "$PROM_PID"
sleep 8
code=$(curl -s -o "$T/recs2.json" -w '%{http_code}' --max-time 5 "$A/api/v1/recommendations")
check '[ "$code" = 200 ] && cmp -s "$T/recs.json" "$T/recs2.json"' "while Prometheus is down the last results are served ($code)"
code=$(curl -s -o /dev/null -w '%{http_code}' --max-time 5 "$A/readyz")
check '[ "$code" = 503 ]' "/readyz is 503 while the data is stale ($code)"
errs=$(curl -s --max-time 5 "$A/metrics" | awk '/^augur_fetch_errors_total/ {print $2}')
check '[ -n "$errs" ] && [ "${errs%.*}" -ge 1 ]' "augur_fetch_errors_total counts the failures ($errs)"
kill -CONT "$PROM_PID"
check 'wait_ready 120' "ready again once Prometheus is back: $(tail -5 "$T/augur.log")"

# Prometheus answering garbage: the same, and the log names the parse error
echo garbage > "$T/mode"
sleep 8
code=$(curl -s -o "$T/recs3.json" -w '%{http_code}' --max-time 5 "$A/api/v1/recommendations")
check '[ "$code" = 200 ] && python3 -c "import json,sys; assert len(json.load(open(sys.argv[1]))) >= 5" "$T/recs3.json"' "while Prometheus answers garbage the last results are served ($code)"
code=$(curl -s -o "$T/ready.json" -w '%{http_code}' --max-time 5 "$A/readyz")
check '[ "$code" = 503 ] && grep -q "fetch" "$T/ready.json"' "/readyz 503 naming the fetch error: $(cat "$T/ready.json")"
check 'grep -q "level=error msg=\"fetch failed\"" "$T/augur.log"' "fetch errors logged"
check 'grep -q "msg=\"backing off\"" "$T/augur.log"' "backs off"
rm -f "$T/mode"
check 'wait_ready 120' "ready again once the answers are sound: $(tail -5 "$T/augur.log")"

# kill -9, then restart on the same store: it comes back, the store is sound
kill -KILL "$AUGUR_PID"; wait "$AUGUR_PID" 2>/dev/null; AUGUR_PID=
check 'python3 -c "import sqlite3,sys; c=sqlite3.connect(sys.argv[1]); r=c.execute(\"pragma integrity_check\").fetchone()[0]; assert r==\"ok\", r; n=c.execute(\"select count(*) from container\").fetchone()[0]; assert n>=10, n" "$T/augur.db"' "store intact after kill -9"
# ... with Prometheus answering garbage: what the store gave is served
# (not ready until a fetch succeeds)
echo garbage > "$T/mode"
start_augur
for _ in $(seq 100); do grep -q "serving the store's recommendations" "$T/augur.log" && break; sleep 0.2; done
code=$(curl -s -o "$T/recs4.json" -w '%{http_code}' --max-time 5 "$A/api/v1/recommendations")
check '[ "$code" = 200 ] && python3 -c "import json,sys; assert len(json.load(open(sys.argv[1]))) >= 5" "$T/recs4.json"' "a restart while Prometheus fails serves the store's recommendations ($code)"
code=$(curl -s -o /dev/null -w '%{http_code}' --max-time 5 "$A/readyz")
check '[ "$code" = 503 ]' "... and is not ready ($code)"
rm -f "$T/mode"
check 'wait_ready 120' "ready after a restart on the same store: $(tail -5 "$T/augur.log")"

# SIGTERM: a clean exit, quickly
kill -TERM "$AUGUR_PID"
rc=124
for _ in $(seq 100); do kill -0 "$AUGUR_PID" 2>/dev/null || { wait "$AUGUR_PID"; rc=$?; break; }; sleep 0.1; done
AUGUR_PID=
check '[ $rc -eq 0 ]' "SIGTERM: exit 0 within 10 s (rc $rc)"
check 'grep -q "msg=\"stopping\"" "$T/augur.log"' "SIGTERM logged"
check 'grep -q "^ts=.* level=info msg=\"published\"" "$T/augur.log"' "logfmt lines with levels"

# Kubernetes: no API server can run here, so tests/k8s/fake_apiserver.py
# replays recorded-shape objects (tests/integration/k8s/) on 127.0.0.1. An
# AugurPolicy selects shop/frontend (cost-saving, act, InPlaceOrRecreate,
# share 0.5); a VPA names augur for shop/cart. augur serve --kubernetes
# --actuate: the policy's workload gets augur's recommender, both statuses
# are written, and the actuator resizes one of the two frontend pods at a time.
# The same daemon pushes by remote-write to a real VictoriaMetrics.
VM_ON=
if command -v victoria-metrics >/dev/null; then
  . "$SRC/tests/lib/victoriametrics.sh"
  printf 'augur_test_ready 1 %s\n' "$(date +%s)" > "$T/vm-seed.om"
  vm_start "$T/vm-seed.om" && VM_ON=1
else
  echo "skip (part): victoria-metrics not installed: the daemon's remote-write push is not checked" >&2
fi
KTOKEN=integration-token
python3 "$SRC/tests/k8s/fake_apiserver.py" --data "$SRC/tests/integration/k8s" --log "$T/kube.log" \
  --token "$KTOKEN" > "$T/kube.port" 2>"$T/kube.err" &
KUBE_PID=$!
trap 'stop_augur; kill "$KUBE_PID" 2>/dev/null; [ -n "$PROXY_PID" ] && kill "$PROXY_PID" 2>/dev/null; prom_stop; [ -n "$VM_ON" ] && vm_stop; rm -rf "$T"' EXIT
for _ in $(seq 50); do [ -s "$T/kube.port" ] && break; sleep 0.1; done
printf 'apiVersion: v1\nkind: Config\ncurrent-context: t\nclusters:\n- name: t\n  cluster:\n    server: http://127.0.0.1:%s\ncontexts:\n- name: t\n  context: {cluster: t, user: t, namespace: default}\nusers:\n- name: t\n  user: {token: %s}\n' \
  "$(cat "$T/kube.port")" "$KTOKEN" > "$T/kubeconfig"
"$AUGUR" serve --prometheus "$PROM_URL" --listen "127.0.0.1:$APORT" --db "$T/augur-k8s.db" \
  --interval 2s --timeout 3s --log-level debug --kubernetes "$T/kubeconfig" --actuate --policy-interval 2s \
  ${VM_ON:+--remote-write "$VM_URL/api/v1/write"} >>"$T/augur-k8s.log" 2>&1 &
AUGUR_PID=$!
check 'wait_ready 120' "augur serve --kubernetes became ready: $(tail -5 "$T/augur-k8s.log")"
for _ in $(seq 100); do grep -q '/pods/frontend-[a-z0-9-]*/resize' "$T/kube.log" && grep -q 'augurpolicies/frontend/status' "$T/kube.log" && break; sleep 0.2; done
sleep 5 # a few more steps: the share must hold across them
curl -sf "$A/api/v1/workloads" > "$T/wl.json"
# the policy's risk budget changes (kubectl patch --type merge): the
# frontend's recommender is replaced and replayed from the store
curl -sf -X PATCH -H "Authorization: Bearer $KTOKEN" -H 'Content-Type: application/merge-patch+json' \
  --data '{"spec": {"riskBudget": {"cpu": 0.3}}}' \
  "http://127.0.0.1:$(cat "$T/kube.port")/apis/augur.dev/v1alpha1/namespaces/shop/augurpolicies/frontend" >/dev/null
for _ in $(seq 100); do grep -q 'msg="replayed the store" containers=1 ' "$T/augur-k8s.log" && break; sleep 0.2; done
sleep 3
curl -sf "$A/api/v1/workloads" > "$T/wl2.json"
curl -sf "$A/metrics" > "$T/k8s-metrics"
check 'grep -q "^augur_actuator_pods_resized_total 1$" "$T/k8s-metrics" && grep -q "^augur_augurpolicy_selected_workloads 1$" "$T/k8s-metrics" && awk -F" " '"'"'/^augur_kubernetes_status_writes_total\{object="augurpolicy"\}/ {ok = $2 >= 1} END {exit !ok}'"'"' "$T/k8s-metrics"' \
  "/metrics counts the Kubernetes side: $(grep -E '^augur_(actuator|kubernetes|augurpolic)' "$T/k8s-metrics" | tr '\n' ' ')"
stop_augur
check 'python3 - "$T/wl.json" <<PY
import json, sys
w = {(x["namespace"], x["name"]): x for x in json.load(open(sys.argv[1]))}
f = w[("shop", "frontend")]
assert f["algorithm"] == "augur" and f["policy"] == "cost-saving", f
assert "augur cost-saving" in f["reason"] and "cpu 0.2 memory 0.02" in f["reason"], f["reason"]
assert w[("shop", "cart")]["algorithm"] == "vpa" and "policy" not in w[("shop", "cart")]
PY' "the AugurPolicy's workload gets augur's recommender with its policy: $(head -c 400 "$T/wl.json")"
check 'grep -q "msg=\"recommender changed\" namespace=shop workload=Deployment/frontend container=app recommender=augur" "$T/augur-k8s.log" && grep -q "msg=\"replayed the store\" containers=1 " "$T/augur-k8s.log" && python3 - "$T/wl2.json" <<PY
import json, sys
f = [x for x in json.load(open(sys.argv[1])) if x["name"] == "frontend"][0]
assert "cpu 0.3 memory 0.02" in f["reason"] and f["cpu"]["status"] == "ok" and f["memory"]["status"] == "ok", f
PY' "a changed policy: the recommender replaced and replayed from the store: $(grep -E 'recommender changed|replayed' "$T/augur-k8s.log" | head -3)"
check 'python3 - "$T/kube.log" "$KTOKEN" <<PY
import json, re, sys
log = [json.loads(l) for l in open(sys.argv[1])]
assert all(e["authorization"] == "Bearer " + sys.argv[2] for e in log)
q = re.compile(r"^[0-9]+(\.[0-9]+)?(m|Ki|Mi|Gi)?$")
st = [e for e in log if e["method"] == "PATCH" and e["path"].endswith("/augurpolicies/frontend/status")]
assert st, "no AugurPolicy status patch"
assert all(e["content_type"] == "application/merge-patch+json" for e in st)
recs = json.loads(st[-1]["body"])["status"]["recommendations"]
assert [(r["workload"]["kind"], r["workload"]["name"], r["container"]) for r in recs] == [("Deployment", "frontend", "app")], recs
assert all(q.match(str(r["target"][k])) for r in recs for k in ("cpu", "memory")), recs
vpa = [e for e in log if e["method"] == "PATCH" and e["path"].endswith("/verticalpodautoscalers/cart/status")]
assert vpa and all(e["content_type"] == "application/json-patch+json" for e in vpa)
rz = [e for e in log if e["method"] == "PATCH" and e["path"].endswith("/resize")]
assert rz, "no resize"
assert all(e["content_type"] == "application/strategic-merge-patch+json" for e in rz)
pods = {e["path"].split("/")[-2] for e in rz}
assert len(rz) == 1 and len(pods) == 1, [e["path"] for e in rz]  # share 0.5 of 2 pods, the first still resizing
c = json.loads(rz[0]["body"])["spec"]["containers"][0]
assert c["name"] == "app" and q.match(c["resources"]["requests"]["cpu"]) and c["resources"]["requests"]["cpu"] != "2", c
assert not [e for e in log if e["method"] == "PATCH" and "/deployments/" in e["path"]], "in place: no template patch"
PY' "the statuses written and one pod resized in place: $(grep -c . "$T/kube.log") requests, $(grep -o '"path": "[^"]*resize"' "$T/kube.log" | head -3)"
check 'grep -q "msg=\"actuator\" namespace=shop workload=Deployment/frontend mode=InPlaceOrRecreate decision=\"applied\" action=resize" "$T/augur-k8s.log"' "the actuator's decision logged: $(grep 'msg="actuator' "$T/augur-k8s.log" | head -3)"
kill "$KUBE_PID" 2>/dev/null; wait "$KUBE_PID" 2>/dev/null
if [ -n "$VM_ON" ]; then
  curl -sf "$VM_URL/internal/force_flush" >/dev/null
  vmq() { curl -sf "$VM_URL/api/v1/query" --data-urlencode "query=$1" | python3 -c 'import json,sys; r=json.load(sys.stdin)["data"]["result"]; print(len(r))'; }
  got=0
  for _ in $(seq 40); do got=$(vmq 'augur_forecast_cpu_cores{namespace="shop",workload="frontend"}'); [ "${got:-0}" -gt 0 ] && break; sleep 0.5; curl -sf "$VM_URL/internal/force_flush" >/dev/null; done
  check '[ "${got:-0}" -gt 0 ] && [ "$(vmq "augur_recommendation_cpu_cores{namespace=\"shop\",workload=\"frontend\",bound=\"target\"}")" = 1 ]' \
    "augur serve --remote-write: the daemon's forecasts and recommendations read back from VictoriaMetrics ($got forecast series)"
  vm_stop; VM_ON=
fi

# configuration: --check-config, a bad file, no Prometheus
printf 'prometheus:\n  url: %s\nlisten: 127.0.0.1:9\ninterval: 30s\n' "$PROM_URL" > "$T/ok.yaml"
"$AUGUR" serve --config "$T/ok.yaml" --check-config > "$T/cc" 2>&1; rc=$?
check '[ $rc -eq 0 ] && grep -q "configuration ok" "$T/cc" && grep -q "interval: 30s" "$T/cc"' "--check-config: $(cat "$T/cc")"
AUGUR_INTERVAL=45s "$AUGUR" serve --config "$T/ok.yaml" --check-config > "$T/cc" 2>&1
check 'grep -q "interval: 45s" "$T/cc"' "environment overrides the file: $(cat "$T/cc")"
AUGUR_INTERVAL=45s "$AUGUR" serve --config "$T/ok.yaml" --interval 50s --check-config > "$T/cc" 2>&1
check 'grep -q "interval: 50s" "$T/cc"' "flags override the environment: $(cat "$T/cc")"
printf 'prometheus:\n  url: [unclosed\n' > "$T/bad.yaml"
"$AUGUR" serve --config "$T/bad.yaml" > /dev/null 2>"$T/err"; rc=$?
check '[ $rc -eq 2 ] && grep -q "bad.yaml:[0-9]" "$T/err" && grep -q "YAML" "$T/err"' "bad config: exit 2 naming file:line: $(cat "$T/err")"
"$AUGUR" serve --prometheus http://127.0.0.1:9 --actuate --check-config > /dev/null 2>"$T/err"; rc=$?
check '[ $rc -eq 2 ] && grep -q "needs --kubernetes" "$T/err"' "--actuate without --kubernetes: $(cat "$T/err")"
printf 'interval: soon\nprometheus:\n  url: http://127.0.0.1:9\n' > "$T/bad2.yaml"
"$AUGUR" serve --config "$T/bad2.yaml" --check-config > /dev/null 2>"$T/err"; rc=$?
check '[ $rc -eq 2 ] && grep -q "interval" "$T/err"' "bad interval in the config: $(cat "$T/err")"
env -u AUGUR_PROMETHEUS_URL "$AUGUR" serve --no-store --check-config > /dev/null 2>"$T/err"; rc=$?
check '[ $rc -eq 2 ] && grep -q "Prometheus" "$T/err"' "no Prometheus: $(cat "$T/err")"

finish
