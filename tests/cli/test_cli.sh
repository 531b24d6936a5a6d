#!/usr/bin/env bash
# End-to-end tests of the augur CLI on the bundled demo data: exit codes,
# help, output formats, the store (idempotent import, runs, history) and
# malformed input reported as file:line with the rest kept.
set -u
AUGUR=${AG_AUGUR:?}
SRC=${AG_SOURCE_DIR:?}
. "$SRC/tests/lib/common.sh"
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT


# usage errors exit 2, help exits 0
"$AUGUR" >/dev/null 2>&1; rc=$?; check '[ $rc -eq 2 ]' "no command -> 2"
"$AUGUR" frobnicate >/dev/null 2>&1; rc=$?; check '[ $rc -eq 2 ]' "unknown command -> 2"
for c in import recommend history; do
"$AUGUR" $c --help > "$T/help" 2>&1; rc=$?; check '[ $rc -eq 0 ] && grep -q Usage "$T/help"' "$c --help"
done
"$AUGUR" recommend --bogus >/dev/null 2>"$T/err"; rc=$?; check '[ $rc -eq 2 ] && grep -q "unknown option --bogus" "$T/err"' "unknown option"
"$AUGUR" recommend --algorithm nope >/dev/null 2>&1; rc=$?; check '[ $rc -eq 2 ]' "bad algorithm -> 2"
"$AUGUR" recommend -o xml >/dev/null 2>&1; rc=$?; check '[ $rc -eq 2 ]' "bad -o -> 2"
"$AUGUR" recommend --history 8days >/dev/null 2>&1; rc=$?; check '[ $rc -eq 2 ]' "bad history -> 2"
"$AUGUR" recommend --end yesterday >/dev/null 2>&1; rc=$?; check '[ $rc -eq 2 ]' "bad end -> 2"
"$AUGUR" recommend --target-cpu-percentile 1.5 --no-store "${INPUTS[@]}" >/dev/null 2>"$T/err"; rc=$?
check '[ $rc -eq 2 ]' "out-of-range parameter -> 2"
"$AUGUR" recommend --no-store --input "$T/missing.om" >/dev/null 2>"$T/err"; rc=$?
check '[ $rc -eq 1 ] && grep -q "missing.om" "$T/err"' "missing file -> 1 naming it"
"$AUGUR" recommend --no-store --prometheus http://127.0.0.1:1 --end 1700000000 >/dev/null 2>"$T/err"; rc=$?
check '[ $rc -eq 1 ] && grep -q "127.0.0.1:1" "$T/err"' "unreachable Prometheus -> 1 naming it"

# recommend on the demo: json is an array of objects with the documented keys
"$AUGUR" recommend --db "$T/a.db" "${INPUTS[@]}" -o json > "$T/vpa.json" 2>"$T/err"; rc=$?
check '[ $rc -eq 0 ]' "recommend -o json exit 0 ($(cat "$T/err"))"
python3 - "$T/vpa.json" <<'PY' || bad "json shape"
import json, sys
d = json.load(open(sys.argv[1]))
assert isinstance(d, list) and len(d) >= 5, len(d)
for o in d:
    for k in ("namespace", "workload", "container", "cpu", "memory"):
        assert k in o, k
    assert set(o["workload"]) >= {"kind", "name"}
    for r in ("cpu", "memory"):
        for k in ("target", "lowerBound", "upperBound", "uncappedTarget", "request", "limit"):
            assert k in o[r], (r, k)
        t = o[r]["target"]
        if t is not None:
            assert o[r]["lowerBound"] <= t <= o[r]["upperBound"], o
kinds = {o["workload"]["kind"] for o in d}
assert "Deployment" in kinds and "StatefulSet" in kinds, kinds
PY
ok

# table, yaml, csv
"$AUGUR" recommend --db "$T/a.db" -o table > "$T/table" 2>/dev/null; rc=$?
check '[ $rc -eq 0 ] && grep -q NAMESPACE "$T/table"' "table from the store"
"$AUGUR" recommend --db "$T/a.db" -o yaml > "$T/yaml" 2>/dev/null; rc=$?
check '[ $rc -eq 0 ] && grep -q "kind: VerticalPodAutoscaler" "$T/yaml"' "yaml"
"$AUGUR" recommend --db "$T/a.db" -o csv > "$T/csv" 2>/dev/null; rc=$?
check '[ $rc -eq 0 ] && head -1 "$T/csv" | grep -q "^namespace,"' "csv"

# the store gives the same answer as the files
"$AUGUR" recommend --db "$T/a.db" -o json > "$T/vpa2.json" 2>/dev/null; rc=$?
check 'cmp -s "$T/vpa.json" "$T/vpa2.json"' "store result equals file result"

# import twice: second time adds nothing
"$AUGUR" import --db "$T/b.db" "${INPUTS[@]}" 2>"$T/imp1"; rc=$?
check '[ $rc -eq 0 ] && grep -q "new samples" "$T/imp1"' "import"
"$AUGUR" import --db "$T/b.db" "${INPUTS[@]}" 2>"$T/imp2"; rc=$?
check 'grep -q " 0 new samples" "$T/imp2"' "second import adds no samples: $(cat "$T/imp2")"
n1=$(grep -o 'now holds [0-9]*' "$T/imp1"); n2=$(grep -o 'now holds [0-9]*' "$T/imp2")
check '[ -n "$n1" ] && [ "$n1" = "$n2" ]' "sample count unchanged by re-import ($n1 / $n2)"

# history lists runs; --show prints the stored json
"$AUGUR" history --db "$T/a.db" > "$T/hist" 2>&1; rc=$?
check '[ $(grep -c vpa "$T/hist") -ge 4 ]' "history lists the runs"
"$AUGUR" history --db "$T/a.db" --show 1 > "$T/show.json"; rc=$?
check 'cmp -s "$T/vpa.json" "$T/show.json"' "history --show returns the run's json"
"$AUGUR" history --db "$T/a.db" --show 999 >/dev/null 2>&1; rc=$?; check '[ $rc -eq 1 ]' "unknown run -> 1"

# krr, namespace and selector filters
"$AUGUR" recommend --no-store --algorithm krr "${INPUTS[@]}" -o json > "$T/krr.json" 2>/dev/null; rc=$?
check '[ $rc -eq 0 ] && python3 -c "import json,sys; d=json.load(open(sys.argv[1])); assert all(o[\"cpu\"][\"recommendedLimit\"] is None for o in d)" "$T/krr.json"' "krr has no CPU limit"
ns=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))[0]["namespace"])' "$T/vpa.json")
"$AUGUR" recommend --db "$T/a.db" -n "$ns" -o json > "$T/ns.json" 2>/dev/null; rc=$?
check 'python3 -c "import json,sys; d=json.load(open(sys.argv[1])); assert d and all(o[\"namespace\"]==sys.argv[2] for o in d)" "$T/ns.json" "$ns"' "--namespace filter"
"$AUGUR" recommend --db "$T/a.db" -l "namespace=$ns" -o json > "$T/sel.json" 2>/dev/null; rc=$?
check 'cmp -s "$T/ns.json" "$T/sel.json"' "--selector namespace= equals --namespace"

# config file: values apply, flags override
printf 'algorithm: krr\nvpa:\n  safety-margin: 0.5\n' > "$T/augur.yaml"
"$AUGUR" recommend --config "$T/augur.yaml" --no-store "${INPUTS[@]}" -o json > "$T/cfg.json" 2>/dev/null; rc=$?
check 'cmp -s "$T/krr.json" "$T/cfg.json"' "config file sets the algorithm"
printf 'algorithm: [unclosed\n' > "$T/bad.yaml"
"$AUGUR" recommend --config "$T/bad.yaml" --no-store "${INPUTS[@]}" >/dev/null 2>"$T/err"; rc=$?
check '[ $rc -eq 2 ] && grep -q "bad.yaml:" "$T/err"' "bad config names file:line"

# malformed lines: reported as file:line, the rest kept
head -c 2000000 "${DEMO[0]}" | grep -v '^# EOF' > "$T/m.om"
sed -i '5s/.*/container_memory_working_set_bytes{namespace="x" 12 oops/' "$T/m.om"
"$AUGUR" recommend --no-store --input "$T/m.om" -o json > "$T/m.json" 2>"$T/err"; rc=$?
check '[ $rc -eq 0 ] && grep -q "m.om:5:" "$T/err"' "malformed line named file:line"
check 'python3 -c "import json,sys; assert len(json.load(open(sys.argv[1])))>0" "$T/m.json"' "rest of malformed file kept"

finish
