#!/usr/bin/env bash
# tests/report/test_vpa_schema.sh - the yaml report against the real VPA API.
#
# Prints the yaml of the hand-made set (report_test_emit_yaml) and checks,
# with python3 (Debian python3-yaml and python3-jsonschema):
#  - every VerticalPodAutoscaler document validates against the
#    openAPIV3Schema of autoscaling.k8s.io/v1 in the VPA CRD
#    (../shared/reference/kubernetes/vpa-v1-crd-gen.yaml), and has no field
#    the API server would prune as unknown; metadata names are valid;
#  - every patch document parses, has the strategic-merge shape for its
#    workload kind, the kubectl comment naming that workload, requests
#    equal to the VPA's targets and quantities Kubernetes accepts;
#  - a deliberately broken VPA fails the validation (the check is not vacuous).
# Skips (77) when the reference or the python modules are absent.
set -u

src=${AG_SOURCE_DIR:-$(cd "$(dirname "$0")/../.." && pwd)}
bin=${AG_BINARY_DIR:-$src/build}
crd="$src/../shared/reference/kubernetes/vpa-v1-crd-gen.yaml"
emit="$bin/report_test_emit_yaml"

if [ ! -f "$crd" ]; then
    echo "skip: $crd is absent (../shared/reference)"
    exit 77
fi
if [ ! -x "$emit" ]; then
    echo "FAIL: $emit was not built"
    exit 1
fi
py=""
for p in /usr/bin/python3 python3; do
    if command -v "$p" >/dev/null 2>&1 && "$p" -c 'import yaml, jsonschema' 2>/dev/null; then
        py=$p
        break
    fi
done
if [ -z "$py" ]; then
    echo "skip: python3 with yaml and jsonschema is absent" \
        "(apt-get install python3-yaml python3-jsonschema)"
    exit 77
fi

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
if ! "$emit" yaml >"$tmp/out.yaml"; then
    echo "FAIL: $emit yaml exited with an error"
    exit 1
fi

"$py" - "$crd" "$tmp/out.yaml" <<'EOF'
import copy, re, sys
import jsonschema, yaml

crd_path, out_path = sys.argv[1], sys.argv[2]
QTY = re.compile(r'^(\+|-)?(([0-9]+(\.[0-9]*)?)|(\.[0-9]+))'
                 r'(([KMGTPE]i)|[numkMGTPE]|([eE](\+|-)?(([0-9]+(\.[0-9]*)?)|(\.[0-9]+))))?$')
DNS1123_SUB = re.compile(r'^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$')
DNS1123_LABEL = re.compile(r'^[a-z0-9]([-a-z0-9]*[a-z0-9])?$')
SUFFIX = {'n': 1e-9, 'u': 1e-6, 'm': 1e-3, '': 1, 'k': 1e3, 'M': 1e6, 'G': 1e9, 'T': 1e12,
          'Ki': 2**10, 'Mi': 2**20, 'Gi': 2**30, 'Ti': 2**40}
errors = []

def fail(msg):
    errors.append(msg)

def qty(s):
    m = re.match(r'^([0-9.]+)([a-zA-Z]*)$', s)
    return float(m.group(1)) * SUFFIX[m.group(2)]

schema = None
for doc in yaml.safe_load_all(open(crd_path)):
    if doc and doc.get('kind') == 'CustomResourceDefinition' and \
            doc['spec']['names']['kind'] == 'VerticalPodAutoscaler':
        for v in doc['spec']['versions']:
            if v['name'] == 'v1':
                schema = v['schema']['openAPIV3Schema']
if schema is None:
    print('FAIL: no v1 VerticalPodAutoscaler schema in', crd_path)
    sys.exit(1)
validator = jsonschema.Draft7Validator(schema)

def pruned(obj, sch, path):
    """Fields a structural schema does not declare: the API server drops them."""
    out = []
    if isinstance(obj, dict) and isinstance(sch, dict):
        props = sch.get('properties')
        addl = sch.get('additionalProperties')
        if sch.get('x-kubernetes-preserve-unknown-fields') or path == '.metadata':
            return out
        for k, v in obj.items():
            if props is not None and k in props:
                out += pruned(v, props[k], path + '.' + k)
            elif isinstance(addl, dict):
                out += pruned(v, addl, path + '.' + k)
            else:
                out.append(path + '.' + k)
    elif isinstance(obj, list) and isinstance(sch, dict) and 'items' in sch:
        for i, v in enumerate(obj):
            out += pruned(v, sch['items'], '%s[%d]' % (path, i))
    return out

def check_vpa(d, where):
    errs = ['%s: %s at %s' % (where, e.message, '/'.join(map(str, e.absolute_path)))
            for e in validator.iter_errors(d)]
    for p in pruned(d, schema, ''):
        errs.append('%s: unknown field %s (would be pruned)' % (where, p))
    if d.get('apiVersion') != 'autoscaling.k8s.io/v1' or d.get('kind') != 'VerticalPodAutoscaler':
        errs.append('%s: apiVersion/kind' % where)
    md = d.get('metadata') or {}
    name, ns = md.get('name', ''), md.get('namespace', '')
    if not (isinstance(name, str) and len(name) <= 253 and DNS1123_SUB.match(name)):
        errs.append('%s: metadata.name %r is not a DNS subdomain' % (where, name))
    if not (isinstance(ns, str) and len(ns) <= 63 and DNS1123_LABEL.match(ns)):
        errs.append('%s: metadata.namespace %r is not a DNS label' % (where, ns))
    return errs

raw = open(out_path).read()
texts = raw.split('\n---\n')
docs = []
for i, t in enumerate(texts):
    if i == 0:
        if not t.lstrip().startswith('#'):
            fail('stream does not start with a comment')
        continue
    try:
        docs.append((t, yaml.safe_load(t)))
    except yaml.YAMLError as e:
        fail('document %d does not parse: %s' % (i, e))
if len(list(yaml.safe_load_all(raw))) != len(docs):
    fail('the stream and its split documents differ')

vpas = 0
patches = 0
last_vpa = None
for i, (text, d) in enumerate(docs, 1):
    where = 'document %d' % i
    if not isinstance(d, dict):
        fail('%s: not a mapping: %r' % (where, d))
        continue
    if d.get('kind') == 'VerticalPodAutoscaler':
        vpas += 1
        for e in check_vpa(d, where):
            fail(e)
        last_vpa = d
        continue
    # A patch document: kind-less, right after its workload's VPA.
    patches += 1
    if last_vpa is None:
        fail('%s: patch without a VPA before it' % where)
        continue
    ref = last_vpa['spec']['targetRef']
    first = text.split('\n', 1)[0]
    want = '# kubectl patch %s %s -n %s --type strategic --patch-file ' % (
        ref['kind'].lower(), ref['name'], last_vpa['metadata']['namespace'])
    if not first.startswith(want):
        fail('%s: comment %r, expected it to start with %r' % (where, first, want))
    if set(d) != {'spec'}:
        fail('%s: top-level keys %s, expected only spec' % (where, sorted(d)))
        continue
    tmpl = d['spec'].get('jobTemplate', {}).get('spec', {}) if ref['kind'] == 'CronJob' \
        else d['spec']
    pod = (tmpl.get('template') or {}).get('spec') or {}
    conts = pod.get('containers')
    if not isinstance(conts, list) or not conts:
        fail('%s: no spec...template.spec.containers list' % where)
        continue
    recs = {c['containerName']: c for c in
            last_vpa['status']['recommendation']['containerRecommendations']}
    names = [c.get('name') for c in conts]
    if len(set(names)) != len(names):
        fail('%s: container names repeat: %s' % (where, names))
    for c in conts:
        if set(c) != {'name', 'resources'} or not isinstance(c['name'], str):
            fail('%s: container entry %r' % (where, c))
            continue
        res = c['resources']
        if not res or not set(res) <= {'requests', 'limits'}:
            fail('%s: resources %r' % (where, res))
            continue
        for kind, m in res.items():
            for r, q in m.items():
                if r not in ('cpu', 'memory') or not isinstance(q, str) or not QTY.match(q):
                    fail('%s: %s.%s = %r is not a quantity string' % (where, kind, r, q))
        if c['name'] not in recs:
            fail('%s: container %r has no recommendation in the VPA' % (where, c['name']))
            continue
        if res.get('requests', {}) != recs[c['name']]['target']:
            fail('%s: requests %r differ from the VPA target %r' %
                 (where, res.get('requests'), recs[c['name']]['target']))
        for r, q in res.get('limits', {}).items():
            if r in res.get('requests', {}) and qty(q) < qty(res['requests'][r]):
                fail('%s: %s limit %s below the request' % (where, r, q))

if vpas != 5 or patches != 3:
    fail('expected 5 VPAs and 3 patches, got %d and %d' % (vpas, patches))

# The check must be able to fail: break a valid VPA in three ways.
good = next(d for _, d in docs if d.get('kind') == 'VerticalPodAutoscaler')
bad1 = copy.deepcopy(good); bad1['spec']['updatePolicy']['updateMode'] = 'Sometimes'
crs = 'status', 'recommendation', 'containerRecommendations'
bad2 = copy.deepcopy(good); del bad2[crs[0]][crs[1]][crs[2]][0]['target']
bad3 = copy.deepcopy(good); bad3['spec']['targetRef']['namespace'] = 'x'
bad4 = copy.deepcopy(good); bad4[crs[0]][crs[1]][crs[2]][0]['target']['cpu'] = '1 core'
for n, b in enumerate((bad1, bad2, bad3, bad4), 1):
    if not check_vpa(b, 'broken %d' % n):
        fail('broken VPA %d passed validation' % n)

if errors:
    for e in errors:
        print('FAIL:', e)
    sys.exit(1)
print('ok: %d VerticalPodAutoscaler documents valid against %s, %d patches well-formed'
      % (vpas, crd_path, patches))
EOF
