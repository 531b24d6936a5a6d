#!/usr/bin/env python3
"""tests/k8s/fake_apiserver.py - a test API server for lib/k8s.

NOT a Kubernetes API server: a replay of recorded, real-shaped responses
(tests/k8s/data/) on 127.0.0.1, plain HTTP, just stateful enough for the
VPA writer: status patches are applied to the stored VPAs (so a second
sync sees what the first wrote) and bump their resourceVersion.

  fake_apiserver.py --data DIR --log FILE [--token T] [--page-size N]
                    [--conflict NS/NAME]...

Prints the port it listens on (port 0: the kernel picks) on the first line
of stdout, then serves until killed. Every request is appended to FILE as
one JSON object a line: method, path, query (parsed), content_type,
authorization, body (text).

Routes:
  GET  /apis/autoscaling.k8s.io/v1/verticalpodautoscalers   the list
       (limit/continue pagination, pages of min(limit, --page-size))
  GET  /apis/autoscaling.k8s.io/v1/namespaces/NS/verticalpodautoscalers/N
  PATCH .../verticalpodautoscalers/N/status  application/json-patch+json,
       op add /status only; 409 Conflict on the first patch of each
       --conflict VPA (whose resourceVersion is bumped meanwhile, as if
       another writer had been first)
  GET  /api/v1/namespaces/default/pods          pods_list.json
  GET  ...pods?watch=1                          watch_pods.jsonl, streamed;
       resourceVersion=expired answers HTTP 410
  GET  /apis/apps/v1/namespaces/default/replicasets/N   replicaset_N.json
  GET  /apis/batch/v1/namespaces/default/jobs/N         job_N.json
Anything else: 404 with a Status. A wrong bearer token: 401.
"""
import argparse
import copy
import json
import os
import sys
import threading
import urllib.parse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

VPA_PREFIX = "/apis/autoscaling.k8s.io/v1"


def status(code, reason, message):
    return {"kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Failure",
            "message": message, "reason": reason, "code": code}


class State:
    def __init__(self, args):
        self.args = args
        self.lock = threading.Lock()
        with open(os.path.join(args.data, "vpa_list.json")) as f:
            lst = json.load(f)
        self.vpas = lst["items"]
        self.rv = int(lst["metadata"]["resourceVersion"])
        self.conflict_left = set(args.conflict or [])
        self.log = open(args.log, "a")

    def record(self, entry):
        with self.lock:
            self.log.write(json.dumps(entry) + "\n")
            self.log.flush()

    def find(self, ns, name):
        for v in self.vpas:
            if v["metadata"]["namespace"] == ns and v["metadata"]["name"] == name:
                return v
        return None

    def bump(self, v):
        self.rv += 1
        v["metadata"]["resourceVersion"] = str(self.rv)


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.0"  # one request per connection, close ends bodies

    def log_message(self, fmt, *a):
        pass

    def send_json(self, code, obj):
        body = json.dumps(obj).encode()
        self.send_response(code)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def data(self, name):
        p = os.path.join(self.server.st.args.data, name)
        if not os.path.isfile(p):
            return None
        with open(p) as f:
            return json.load(f)

    def handle_any(self, method):
        st = self.server.st
        u = urllib.parse.urlsplit(self.path)
        q = urllib.parse.parse_qs(u.query)
        n = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(n).decode("utf-8", "replace") if n else ""
        st.record({"method": method, "path": u.path, "query": q,
                   "content_type": self.headers.get("Content-Type"),
                   "authorization": self.headers.get("Authorization"), "body": body})
        if st.args.token and self.headers.get("Authorization") != "Bearer " + st.args.token:
            return self.send_json(401, status(401, "Unauthorized", "Unauthorized"))
        parts = u.path.strip("/").split("/")
        with st.lock:
            return self.route(method, u.path, parts, q, body)

    def route(self, method, path, parts, q, body):
        st = self.server.st
        if method == "GET" and path == VPA_PREFIX + "/verticalpodautoscalers":
            limit = int(q.get("limit", ["0"])[0] or 0) or len(st.vpas)
            if st.args.page_size:
                limit = min(limit, st.args.page_size)
            start = int(q.get("continue", ["0"])[0])
            items = st.vpas[start:start + limit]
            md = {"resourceVersion": str(st.rv)}
            if start + limit < len(st.vpas):
                md["continue"] = str(start + limit)
            return self.send_json(200, {"apiVersion": "autoscaling.k8s.io/v1",
                                        "kind": "VerticalPodAutoscalerList", "metadata": md,
                                        "items": copy.deepcopy(items)})
        if path.startswith(VPA_PREFIX + "/namespaces/") and len(parts) in (7, 8) and \
                parts[5] == "verticalpodautoscalers":
            ns, name = parts[4], parts[6]
            v = st.find(ns, name)
            if v is None:
                return self.send_json(404, status(404, "NotFound",
                                      'verticalpodautoscalers.autoscaling.k8s.io "%s" not found'
                                      % name))
            if method == "GET" and len(parts) == 7:
                return self.send_json(200, v)
            if method == "PATCH" and len(parts) == 8 and parts[7] == "status":
                return self.patch_status(v, ns, name, body)
        if method == "GET" and path == "/api/v1/namespaces/default/pods":
            if q.get("watch", ["0"])[0] in ("1", "true"):
                return self.watch(q)
            return self.send_json(200, self.data("pods_list.json"))
        if method == "GET" and len(parts) == 7 and parts[3] == "namespaces" and parts[4] == "default":
            kind = {"replicasets": "replicaset", "jobs": "job"}.get(parts[5])
            obj = self.data("%s_%s.json" % (kind, parts[6])) if kind else None
            if obj is not None:
                return self.send_json(200, obj)
            return self.send_json(404, status(404, "NotFound", '%s "%s" not found'
                                              % (parts[5], parts[6])))
        return self.send_json(404, status(404, "NotFound", "the server could not find the "
                                          "requested resource"))

    def patch_status(self, v, ns, name, body):
        st = self.server.st
        if self.headers.get("Content-Type") != "application/json-patch+json":
            return self.send_json(415, status(415, "UnsupportedMediaType",
                                              "the body of the request was in an unknown format"))
        try:
            ops = json.loads(body)
        except ValueError as e:
            return self.send_json(400, status(400, "BadRequest", "invalid JSON patch: %s" % e))
        key = ns + "/" + name
        if key in st.conflict_left:
            st.conflict_left.discard(key)
            st.bump(v)
            return self.send_json(409, status(409, "Conflict",
                                  'Operation cannot be fulfilled on verticalpodautoscalers.'
                                  'autoscaling.k8s.io "%s": the object has been modified; '
                                  'please apply your changes to the latest version and try again'
                                  % name))
        if not isinstance(ops, list) or not all(isinstance(o, dict) for o in ops):
            return self.send_json(400, status(400, "BadRequest", "a JSON patch is an array"))
        for o in ops:
            if o.get("op") != "add" or o.get("path") != "/status":
                return self.send_json(422, status(422, "Invalid", "unsupported patch op"))
            v["status"] = o.get("value")
        st.bump(v)
        return self.send_json(200, v)

    def watch(self, q):
        if q.get("resourceVersion", [""])[0] == "expired":
            return self.send_json(410, status(410, "Expired",
                                              "too old resource version: 1 (60500)"))
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.end_headers()
        with open(os.path.join(self.server.st.args.data, "watch_pods.jsonl")) as f:
            for line in f:
                self.wfile.write(line.encode())
                self.wfile.flush()

    def do_GET(self):
        self.handle_any("GET")

    def do_PATCH(self):
        self.handle_any("PATCH")

    def do_PUT(self):
        self.handle_any("PUT")

    def do_POST(self):
        self.handle_any("POST")

    def do_DELETE(self):
        self.handle_any("DELETE")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--data", required=True)
    ap.add_argument("--log", required=True)
    ap.add_argument("--token", default="")
    ap.add_argument("--page-size", type=int, default=0)
    ap.add_argument("--conflict", action="append")
    args = ap.parse_args()
    srv = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    srv.daemon_threads = True
    srv.st = State(args)
    print(srv.server_address[1], flush=True)
    srv.serve_forever()


if __name__ == "__main__":
    main()
