#!/usr/bin/env bash
# tests/report/test_backtest_json.sh - the backtest report of the
# hand-made fixture (tests/report/test_backtest.c, run with an argument)
# read back by Python's own parsers: the json parses, has the shape
# documented in docs/backtest.md and the numbers worked out by hand, NaN
# as null; the html parses with html.parser with every element closed,
# one <svg> per chart and the two frontier plots, the hostile workload
# name read back intact, nothing to fetch. Skips (77) without python3.
set -u

SRC=${AG_SOURCE_DIR:-$(cd "$(dirname "$0")/../.." && pwd)}
AG_NO_DEMO=1
. "$SRC/tests/lib/common.sh"
python_emit report_test_backtest json html

"$py" - "$tmp/out.json" "$tmp/out.html" <<'EOF'
import html.parser, json, math, sys

errors = []
def check(cond, what):
    if not cond:
        errors.append(what)

# ---- json ----
raw = open(sys.argv[1], encoding='utf-8').read()
def no_nan(tok):
    raise ValueError('non-standard number %s' % tok)
d = json.loads(raw, parse_constant=no_nan)
check(list(d) == ['window', 'mode', 'limits', 'source', 'baseline', 'runs', 'sweep'],
      'top-level keys %r' % list(d))
check(d['window'] == {'start': 1709251200, 'end': 1709942400, 'warmup_s': 86400,
                      'span_s': 604800}, 'window %r' % d['window'])
check((d['mode'], d['limits'], d['source']) == ('recreate', 'recommender', 'file demo.om'),
      'mode, limits, source')
metrics = ['container_seconds', 'cpu_demand', 'cpu_used', 'cpu_requested', 'cpu_idle_request',
           'cpu_throttled', 'cpu_at_risk', 'cpu_lost', 'mem_demand', 'mem_requested',
           'mem_idle_request', 'mem_lost', 'down_seconds', 'intervals', 'ooms', 'mem_at_risk',
           'evictions', 'restarts', 'resizes', 'disruptions', 'decisions']
summary = ['cpu_slack', 'mem_slack', 'cpu_throttled_share', 'cpu_at_risk_share',
           'ooms_per_cday', 'mem_at_risk_per_cday', 'disruptions_per_cday', 'core_hours',
           'gib_hours', 'container_days']
means = ['span_s', 'mean_cpu_request', 'mean_mem_request', 'mean_replicas']
head = ['label', 'algorithm', 'policy', 'knob', 'replay_cpu_s']
runs = [d['baseline']] + d['runs']
check([r['label'] for r in runs] == ['static (as is)', 'augur cost-saving', 'vpa', 'krr'],
      'run labels')
for r in runs:
    check(list(r) == head + ['total', 'workloads'], 'run keys %r' % list(r))
    check(list(r['knob']) == ['name', 'value'], 'knob keys')
    check(list(r['total']) == metrics + summary + means, 'total keys of %s' % r['label'])
    check(len(r['workloads']) == 2, 'workloads of %s' % r['label'])
    for w in r['workloads']:
        check(list(w) == ['namespace', 'workload', 'container', 'replicas'] + metrics + summary
              + means + ['first_request', 'last_request'], 'workload keys')
    # the total is the sum of the workloads
    for k in metrics:
        s = sum(w[k] for w in r['workloads'])
        check(abs(r['total'][k] - s) <= 1e-9 * max(1, abs(s)), '%s total %s' % (r['label'], k))
run = d['runs'][0]
check((run['algorithm'], run['policy'], run['knob']) == ('augur', 'cost-saving',
      {'name': 'risk', 'value': 0.05}), 'run head')
check(d['baseline']['policy'] is None, 'baseline policy is null')
t = run['total']
check((t['ooms'], t['mem_at_risk'], t['evictions'], t['restarts'], t['disruptions']) ==
      (2, 14, 1, 2, 3), 'run counts %r' % t)
check(abs(t['mean_cpu_request'] - 1.95) < 1e-9, 'mean cores %r' % t['mean_cpu_request'])
check(abs(t['mean_mem_request'] - 4.5 * 2**30) < 1e-3, 'mean bytes')
check(abs(d['baseline']['total']['mean_cpu_request'] - 3.5) < 1e-9, 'baseline cores')
check(abs(t['container_days'] - 28) < 1e-9, 'container-days')
shop, db = run['workloads']
check((shop['namespace'], shop['workload'], shop['container'], shop['replicas']) ==
      ('shop', {'kind': 'Deployment', 'name': '<b>&"x"'}, 'app', 3), 'shop names %r' % shop)
check((db['namespace'], db['workload']['name'], db['replicas']) == ('db', 'pg', 1), 'db names')
check(abs(shop['mean_cpu_request'] - 0.75) < 1e-9 and shop['ooms'] == 2, 'shop figures')
check(abs(shop['cpu_slack'] - 0.2) < 1e-9 and abs(shop['mem_slack'] - 0.25) < 1e-9,
      'shop slack')
# krr requests no memory: undefined shares are null, never NaN
krr = d['runs'][2]
check(krr['total']['mem_slack'] is None, 'krr mem_slack %r' % krr['total']['mem_slack'])
check(all(w['mem_slack'] is None for w in krr['workloads']), 'krr workload mem_slack')
# the sweep
check(len(d['sweep']) == 7, 'sweep points')
for s in d['sweep']:
    check(list(s) == head + ['summary', 'pareto_front', 'pareto'], 'sweep keys %r' % list(s))
    check(list(s['summary']) == summary, 'sweep summary keys')
    check(s['pareto_front'] == (s['pareto']['memory'] or s['pareto']['cpu']), 'pareto_front')
mem = [s['label'] for s in d['sweep'] if s['pareto']['memory']]
cpu = [s['label'] for s in d['sweep'] if s['pareto']['cpu']]
check(mem == ['augur 0.01', 'augur 0.05', 'augur 0.1'], 'memory frontier %r' % mem)
check(cpu == ['vpa p80', 'augur 0.01', 'augur 0.05', 'augur 0.1'], 'cpu frontier %r' % cpu)
check(d['sweep'][6]['summary']['mem_slack'] is None, 'krr sweep mem_slack')

# ---- html ----
VOID = {'meta', 'br', 'hr', 'img', 'link', 'input', 'col', 'area', 'base', 'wbr', 'source'}
class Check(html.parser.HTMLParser):
    def __init__(self):
        super().__init__()
        self.stack, self.errors, self.svgs, self.text = [], [], 0, []
        self.tags = set()
    def handle_starttag(self, tag, attrs):
        self.tags.add(tag)
        for k, v in attrs:
            if k in ('href', 'src', 'xlink:href', 'action') or k.startswith('on'):
                self.errors.append('attribute %s=%r' % (k, v))
            if v is not None and ('url(' in v or 'nan' in v.lower()):
                self.errors.append('attribute %s=%r' % (k, v))
        if tag == 'svg':
            self.svgs += 1
        if tag not in VOID:
            self.stack.append(tag)
    def handle_startendtag(self, tag, attrs):
        self.tags.add(tag)
    def handle_endtag(self, tag):
        if not self.stack or self.stack[-1] != tag:
            self.errors.append('</%s> closes %r' % (tag, self.stack[-1:]))
        else:
            self.stack.pop()
    def handle_data(self, data):
        self.text.append(data)

page = open(sys.argv[2], encoding='utf-8').read()
p = Check()
p.feed(page)
p.close()
errors += ['html: ' + e for e in p.errors]
check(not p.stack, 'html: unclosed %r' % p.stack)
check(p.svgs == 2 + 2 * 2, 'html: %d <svg>, expected 6' % p.svgs)
check(not {'script', 'link', 'img', 'iframe', 'object', 'embed'} & p.tags,
      'html: tags %r' % (p.tags & {'script', 'link', 'img', 'iframe', 'object', 'embed'}))
text = ''.join(p.text)
check('shop / Deployment <b>&"x"' in text, 'html: hostile name not read back intact')
check('2 OOM kills (baseline: 0)' in text, 'html: the sentence')
check('http' not in page, 'html: a URL in the page')

if errors:
    for e in errors:
        print('FAIL:', e)
    sys.exit(1)
print('ok: backtest json (%d runs, %d sweep points) and html (%d svg) read back'
      % (len(runs), len(d['sweep']), p.svgs))
EOF
