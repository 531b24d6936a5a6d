#!/usr/bin/env bash
# A real VictoriaMetrics (Debian package victoria-metrics) started by this
# test on 127.0.0.1 and loaded with the demo data through its import API:
# `augur recommend --prometheus` must give exactly the recommendations
# computed offline from the same files, for both algorithms, and import
# from VictoriaMetrics must work. A synthetic namespace with scrape gaps, a
# series that stops and a counter reset checks the live CPU series point by
# point against Prometheus' irate semantics (MetricsQL would otherwise pair
# a lone sample with the one before the window). Errors from the server
# (unknown path, a query it refuses) must exit 1 with a clear message.
set -u
AUGUR=${AG_AUGUR:?}
SRC=${AG_SOURCE_DIR:?}
. "$SRC/tests/lib/common.sh"
. "$SRC/tests/lib/victoriametrics.sh"
T=$(mktemp -d)
trap 'vm_stop; rm -rf "$T"' EXIT


# Synthetic namespace "syn", 2024-01-01 (outside the demo window), 5-minute
# samples: "gap" misses samples 50, 51 and 80 and its counter resets to 3.3
# at 120; "stop" ends half-way; "offgrid" is scraped 7 s after each step.
SYN_T0=1704067200
SYN_END=$((SYN_T0 + 300 * 200))
python3 - "$SYN_T0" > "$T/syn.om" <<'EOF'
import sys
t0 = int(sys.argv[1])
cpu, mem = [], []
def add(pod, i, off, c, m):
    lab = '{namespace="syn",pod="%s",container="c"}' % pod
    cpu.append("container_cpu_usage_seconds_total%s %s %d" % (lab, repr(round(c, 3)), t0 + 300 * i + off))
    mem.append("container_memory_working_set_bytes%s %d %d" % (lab, m, t0 + 300 * i + off))
c = 0.0
for i in range(200):
    c = 3.3 if i == 120 else c + 10 + (i % 7) * 1.37
    if i not in (50, 51, 80):
        add("gap", i, 0, c, 1000000 + i * 1000)
c = 0.0
for i in range(100):
    c += 5 + i % 3
    add("stop", i, 0, c, 2000000 + i * 7)
c = 0.0
for i in range(200):
    c += 2.5 + (i % 5) * 0.1
    add("offgrid", i, 7, c, 3000000 + (i % 11) * 100)
print("# TYPE container_cpu_usage_seconds counter")
print("\n".join(cpu))
print("# TYPE container_memory_working_set_bytes gauge")
print("\n".join(mem))
print("# EOF")
EOF

t_start=$(date +%s.%N)
vm_start "${DEMO[@]}" "$T/syn.om" || exit 1
echo "victoria-metrics $(dpkg-query -W -f='${Version}' victoria-metrics 2>/dev/null) at $VM_URL, loaded in $(python3 -c "import sys; print('%.1f' % (float(sys.argv[2]) - float(sys.argv[1])))" "$t_start" "$(date +%s.%N)") s"

for algo in vpa krr; do
  "$AUGUR" recommend --no-store --algorithm $algo --end "$END" "${INPUTS[@]}" -o json > "$T/file-$algo.json" 2>"$T/err-file"; rc=$?
  check '[ $rc -eq 0 ]' "offline $algo: $(cat "$T/err-file")"
  "$AUGUR" recommend --no-store --algorithm $algo --end "$END" --prometheus "$VM_URL" -o json > "$T/vm-$algo.json" 2>"$T/err-vm"; rc=$?
  check '[ $rc -eq 0 ]' "victoriametrics $algo: $(cat "$T/err-vm")"
  check 'cmp -s "$T/file-$algo.json" "$T/vm-$algo.json"' "$algo: VictoriaMetrics result differs from the file result: $(diff <(python3 -m json.tool "$T/file-$algo.json") <(python3 -m json.tool "$T/vm-$algo.json") | head -20)"
  check '[ $(python3 -c "import json,sys; print(len(json.load(open(sys.argv[1]))))" "$T/vm-$algo.json") -ge 5 ]' "$algo: results are not empty"
done

# the /prometheus prefix VictoriaMetrics also serves the API under
"$AUGUR" recommend --no-store --end "$END" --prometheus "$VM_URL/prometheus" -o json > "$T/vm-prefix.json" 2>"$T/err"; rc=$?
check '[ $rc -eq 0 ] && cmp -s "$T/file-vpa.json" "$T/vm-prefix.json"' "URL with /prometheus prefix: $(cat "$T/err")"

# import from VictoriaMetrics into a store, then recommend from the store
"$AUGUR" import --db "$T/v.db" --prometheus "$VM_URL" --end "$END" --history 8d 2>"$T/imp"; rc=$?
check '[ $rc -eq 0 ] && grep -q "new samples" "$T/imp"' "import from VictoriaMetrics: $(cat "$T/imp")"
"$AUGUR" recommend --db "$T/v.db" --no-store --end "$END" -o json > "$T/store.json" 2>/dev/null; rc=$?
check 'cmp -s "$T/file-vpa.json" "$T/store.json"' "store (from VictoriaMetrics) result equals file result"

# The synthetic namespace, point by point. Expected, as Prometheus computes
# it on the 300 s grid: CPU at t when (t - 600 s + 1 ms, t] holds two
# samples, their rate (the later value after a reset); memory at t when
# (t - 300 s + 1 ms, t] holds a sample. VictoriaMetrics removes counter
# resets by adding the pre-reset value to every later sample, so the rates
# after the reset may differ in the last bits: allow 1e-12 relative.
"$AUGUR" import -q --db "$T/syn.db" --prometheus "$VM_URL" --namespace syn --end "$SYN_END" --history 1d 2>"$T/imp"; rc=$?
check '[ $rc -eq 0 ]' "import of the synthetic namespace: $(cat "$T/imp")"
python3 - "$T/syn.om" "$T/syn.db" "$SYN_END" > "$T/syn.out" 2>&1 <<'EOF'
import sqlite3, struct, sys
om, db, end = sys.argv[1], sys.argv[2], int(sys.argv[3]) * 1000
raw = {}
for line in open(om):
    if line.startswith("#"):
        continue
    sel, v, t = line.split()
    name, lab = sel.split("{")
    pod = lab.split('pod="')[1].split('"')[0]
    res = 0 if name.startswith("container_cpu") else 1
    raw.setdefault((pod, res), []).append((int(t) * 1000, float(v)))
want = {}
for (pod, res), pts in raw.items():
    w = 600000 - 1 if res == 0 else 300000 - 1
    for g in range(end - 86400000, end + 1, 300000):
        inw = [p for p in pts if g - w <= p[0] <= g]
        if res == 1 and inw:
            want[(pod, res, g)] = inw[-1][1]
        elif res == 0 and len(inw) >= 2:
            (t1, v1), (t2, v2) = inw[-2], inw[-1]
            want[(pod, res, g)] = (v2 - v1 if v2 >= v1 else v2) / ((t2 - t1) / 1000)
def varint(b, i):
    x = shift = 0
    while True:
        x |= (b[i] & 0x7f) << shift
        shift += 7
        i += 1
        if not b[i - 1] & 0x80:
            return x, i
def chunk(start, b):
    # The store's chunk format (lib/store/chunk.c): format byte, count,
    # then per sample a delta-of-delta varint time and an XOR'd value.
    assert b[0] == 1
    n, i = varint(b, 1)
    t, d, bits = start, 0, 0
    for k in range(n):
        u, i = varint(b, i)
        if k == 0:
            t = start + u
        else:
            d += (u >> 1) ^ -(u & 1)
            t += d
        h = b[i]
        i += 1
        if h != 64:
            lead, trail = h >> 3, h & 7
            x = int.from_bytes(b[i:i + 8 - lead - trail], "big") << (8 * trail)
            i += 8 - lead - trail
            bits ^= x
        yield t, struct.unpack("<d", bits.to_bytes(8, "little"))[0]
    assert i == len(b)
got = {}
con = sqlite3.connect(db)
for pod, res, start, data in con.execute(
        "SELECT c.pod, s.resource, s.start_ms, s.data FROM chunk s "
        "JOIN container c ON c.id = s.container_id WHERE c.namespace = 'syn'"):
    for t, v in chunk(start, data):
        got[(pod, res, t)] = v
bad = 0
for k in sorted(set(want) | set(got)):
    a, b = want.get(k), got.get(k)
    if a is None or b is None or abs(a - b) > 1e-12 * abs(a):
        bad += 1
        if bad <= 10:
            print("point %s: expected %s, got %s" % (k, a, b))
inexact = sum(1 for k in want if k in got and got[k] != want[k])
print("%d points expected, %d read, %d wrong, %d not bit-identical" % (len(want), len(got), bad, inexact))
sys.exit(1 if bad or not want else 0)
EOF
rc=$?
check '[ $rc -eq 0 ]' "synthetic namespace point by point: $(cat "$T/syn.out")"
tail -1 "$T/syn.out"

# errors: a path that is not the API (VictoriaMetrics answers 400 with a
# plain-text body, not 404), a stopped server, and a query the server
# refuses (422 with the JSON envelope: too many points per series)
"$AUGUR" recommend --no-store --end "$END" --prometheus "$VM_URL/nothing-here" >/dev/null 2>"$T/err"; rc=$?
check '[ $rc -eq 1 ] && grep -q "HTTP 400" "$T/err" && grep -q "unsupported path" "$T/err"' "unknown path reported: rc=$rc $(cat "$T/err")"
vm_stop
"$AUGUR" recommend --no-store --end "$END" --prometheus "$VM_URL" >/dev/null 2>"$T/err"; rc=$?
check '[ $rc -eq 1 ]' "stopped server -> exit 1: rc=$rc $(cat "$T/err")"
VM_FLAGS=-search.maxPointsPerTimeseries=1000
vm_start "${DEMO[0]}" || exit 1
"$AUGUR" recommend --no-store --end "$END" --prometheus "$VM_URL" >/dev/null 2>"$T/err"; rc=$?
check '[ $rc -eq 1 ] && grep -q "HTTP 422" "$T/err" && grep -q "maxPointsPerTimeseries" "$T/err" && grep -q "query_range" "$T/err"' "refused query reported: rc=$rc $(cat "$T/err")"

finish
