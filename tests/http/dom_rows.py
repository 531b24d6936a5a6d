"""tests/http/dom_rows.py FILE EXPR: parses the DOM Chromium dumped of the
web page into rows (dicts: cell key -> text, key + '.v' -> data-v, '_ws'
workload, '_c' container) and exits 0 when EXPR (Python, over `rows`) holds."""
import html.parser
import sys


class P(html.parser.HTMLParser):
    def __init__(self):
        super().__init__()
        self.rows = []
        self.cell = None

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == 'tr' and 'data-index' in a:
            self.rows.append({'_ws': a['data-workload'], '_c': a['data-container']})
        elif tag == 'td' and self.rows and 'data-k' in a:
            self.cell = a['data-k']
            self.rows[-1][self.cell] = ''
            self.rows[-1][self.cell + '.v'] = a.get('data-v')

    def handle_endtag(self, tag):
        if tag == 'td':
            self.cell = None

    def handle_data(self, d):
        if self.cell:
            self.rows[-1][self.cell] += d


p = P()
p.feed(open(sys.argv[1], encoding='utf-8').read())
rows = p.rows
ok = eval(sys.argv[2])
if not ok:
    print(rows, file=sys.stderr)
sys.exit(0 if ok else 1)
