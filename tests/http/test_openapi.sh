#!/usr/bin/env bash
# tests/http/test_openapi.sh - docs/openapi.yaml against the server: it
# parses (python3-yaml), is OpenAPI 3 in structure (every operation has
# responses, every $ref resolves), and its paths are exactly the routes
# the server serves (`http_test_http --routes`). Skips (77) without
# python3 or its yaml module.
set -u

SRC=${AG_SOURCE_DIR:-$(cd "$(dirname "$0")/../.." && pwd)}
BIN=${AG_BINARY_DIR:-build/dev}/http_test_http
if ! python3 -c 'import yaml' 2>/dev/null; then
    echo "skip: python3 with yaml is absent" >&2
    exit 77
fi
if [ ! -x "$BIN" ]; then
    echo "FAIL: $BIN is not built" >&2
    exit 1
fi
routes=$(mktemp)
trap 'rm -f "$routes"' EXIT
"$BIN" --routes >"$routes" || { echo "FAIL: $BIN --routes" >&2; exit 1; }
python3 - "$SRC/docs/openapi.yaml" "$SRC/docs/http-api.md" "$routes" <<'PYEOF'
import re, sys, yaml
doc = yaml.safe_load(open(sys.argv[1], encoding='utf-8'))
md = open(sys.argv[2], encoding='utf-8').read()
routes = set(l.strip() for l in open(sys.argv[3]) if l.strip())
errors = []
if not str(doc.get('openapi', '')).startswith('3.'):
    errors.append('not openapi 3')
for k in ('info', 'paths', 'components'):
    if k not in doc:
        errors.append('missing ' + k)
paths = set(doc['paths'])
if paths != routes:
    errors.append('paths differ: only in openapi.yaml %s, only served %s'
                  % (sorted(paths - routes), sorted(routes - paths)))
for p, item in doc['paths'].items():
    for m, op in item.items():
        if m not in ('get', 'post', 'put', 'patch', 'delete', 'head', 'options'):
            errors.append('%s: unknown key %s' % (p, m))
        elif not op.get('responses'):
            errors.append('%s %s: no responses' % (p, m))
    for name in re.findall(r'{(\w+)}', p):
        params = item['get'].get('parameters', [])
        if not any(x.get('name') == name and x.get('in') == 'path' for x in params):
            errors.append('%s: path parameter %s undeclared' % (p, name))
    if '`%s' % re.sub(r'{\w+}', '', p).rstrip('/') not in md and p != '/':
        errors.append('%s is not in docs/http-api.md' % p)

def refs(x):
    if isinstance(x, dict):
        for k, v in x.items():
            if k == '$ref':
                yield v
            else:
                yield from refs(v)
    elif isinstance(x, list):
        for v in x:
            yield from refs(v)

for r in refs(doc):
    node = doc
    for part in r.lstrip('#/').split('/'):
        node = node.get(part) if isinstance(node, dict) else None
    if node is None:
        errors.append('dangling $ref ' + r)
for e in errors:
    print('FAIL:', e, file=sys.stderr)
sys.exit(1 if errors else 0)
PYEOF
