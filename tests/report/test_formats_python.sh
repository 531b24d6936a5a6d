#!/usr/bin/env bash
# tests/report/test_formats_python.sh - json and csv read back by Python's
# own parsers: the json parses, is exactly what json.dumps(indent=2)
# writes for the same data (2-space pretty-printing, key order), and
# agrees with the csv value by value; the csv parses (RFC 4180) with 14
# fields per row. Skips (77) without python3.
set -u

SRC=${AG_SOURCE_DIR:-$(cd "$(dirname "$0")/../.." && pwd)}
AG_NO_DEMO=1
. "$SRC/tests/lib/common.sh"
python_emit report_test_emit_yaml json csv

"$py" - "$tmp/out.json" "$tmp/out.csv" <<'EOF'
import csv, json, sys

raw = open(sys.argv[1], encoding='utf-8').read()
data = json.loads(raw)
errors = []
if json.dumps(data, indent=2, ensure_ascii=False) + '\n' != raw:
    errors.append('json is not in json.dumps(indent=2) form')
keys = ['namespace', 'workload', 'container', 'cpu', 'memory', 'pods', 'status']
rkeys = ['target', 'lowerBound', 'upperBound', 'uncappedTarget', 'request', 'limit',
         'recommendedLimit']
for o in data:
    if list(o) != keys or list(o['cpu']) != rkeys or list(o['memory']) != rkeys:
        errors.append('keys out of order in %r' % o)
if data[1]['container'] != 'side"car\\':
    errors.append('escaped container name read back as %r' % data[1]['container'])

rows = list(csv.reader(open(sys.argv[2], newline='', encoding='utf-8')))
head = rows[0]
if len(rows) != 1 + 2 * len(data) or any(len(r) != 14 for r in rows):
    errors.append('csv has %d rows, expected %d, of 14 fields' % (len(rows), 1 + 2 * len(data)))
col = {'target': 'target', 'lowerBound': 'lower_bound', 'upperBound': 'upper_bound',
       'uncappedTarget': 'uncapped_target', 'recommendedLimit': 'recommended_limit',
       'request': 'current_request', 'limit': 'current_limit'}
for i, o in enumerate(data):
    for j, res in enumerate(('cpu', 'memory')):
        row = dict(zip(head, rows[1 + 2 * i + j]))
        if (row['namespace'], row['workload_kind'], row['workload_name'], row['container'],
                row['resource']) != (o['namespace'], o['workload']['kind'],
                                     o['workload']['name'], o['container'], res):
            errors.append('csv row %d names differ from json' % (1 + 2 * i + j))
        for k, c in col.items():
            v = o[res][k]
            cell = row[c]
            if (v is None) != (cell == '') or (v is not None and float(cell) != v):
                errors.append('csv %s %s %s = %r, json %r' % (o['container'], res, c, cell, v))
        if row['status'] != o['status'][res] or int(row['pods']) != o['pods']:
            errors.append('csv status/pods differ for %s %s' % (o['container'], res))

if errors:
    for e in errors:
        print('FAIL:', e)
    sys.exit(1)
print('ok: json (%d items) and csv (%d rows) read back and agree' % (len(data), len(rows) - 1))
EOF
