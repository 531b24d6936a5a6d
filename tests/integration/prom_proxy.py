#!/usr/bin/env python3
"""A proxy in front of a real Prometheus for the serve fault tests: it
forwards every request, except while the file named by --mode-file holds
"garbage", when it answers 200 with a truncated, invalid JSON body.
Prints its port; serves on 127.0.0.1 only."""
import argparse
import http.server
import os
import urllib.error
import urllib.request

ap = argparse.ArgumentParser()
ap.add_argument("--upstream", required=True)
ap.add_argument("--mode-file", required=True)
args = ap.parse_args()


class H(http.server.BaseHTTPRequestHandler):
    def log_message(self, *a):
        pass

    def _mode(self):
        try:
            with open(args.mode_file) as f:
                return f.read().strip()
        except OSError:
            return ""

    def _answer(self, body=None):
        if self._mode() == "garbage":
            out = b'{"status":"success","data":{"resultType":"matrix","result":[{"metric":{"na'
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(out)))
            self.end_headers()
            self.wfile.write(out)
            return
        req = urllib.request.Request(args.upstream + self.path, data=body, method=self.command)
        for k in ("Content-Type", "Authorization"):
            if self.headers.get(k):
                req.add_header(k, self.headers[k])
        try:
            with urllib.request.urlopen(req, timeout=30) as r:
                code, data, ctype = r.status, r.read(), r.headers.get("Content-Type", "")
        except urllib.error.HTTPError as e:
            code, data, ctype = e.code, e.read(), e.headers.get("Content-Type", "")
        self.send_response(code)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def do_GET(self):
        self._answer()

    def do_POST(self):
        n = int(self.headers.get("Content-Length") or 0)
        self._answer(self.rfile.read(n))


srv = http.server.ThreadingHTTPServer(("127.0.0.1", 0), H)
print(srv.server_address[1], flush=True)
srv.serve_forever()
