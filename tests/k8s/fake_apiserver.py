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
AugurPolicy routes (lib/k8s/policy.c; see "AugurPolicy" below):
  GET  /apis/augur.dev/v1alpha1/augurpolicies   augurpolicy_list.json, paged as
       the VPAs; --no-augur-crd answers 404 as an API server without the CRD
  GET  /apis/augur.dev/v1alpha1/namespaces/NS/augurpolicies/N
  PATCH .../augurpolicies/N/status  application/merge-patch+json: the patch's
       status is merged (RFC 7386) into the stored object, resourceVersion
       bumped; a metadata.resourceVersion in the patch that is not the
       object's gives 409, as does the first patch of each --conflict NS/N
  GET  /api/v1/namespaces                       cluster_namespaces.json
  GET  /apis/apps/v1/{deployments,statefulsets,daemonsets},
       /apis/batch/v1/{jobs,cronjobs}           cluster_<plural>.json
  PATCH .../augurpolicies/N  application/merge-patch+json of spec (as
       `kubectl patch --type merge`): applied, generation bumped
Actuator routes (lib/k8s/actuate.c; see "the actuator" below), over the
objects of actuate_objects.json (namespaces other than default):
  GET   /apis/{apps,batch}/v1/namespaces/NS/PLURAL/N   deployments,
        statefulsets, daemonsets, replicasets, cronjobs, jobs
  PATCH same (not replicasets, jobs)  application/strategic-merge-patch+json:
        applied to the stored object (containers merged by name), its
        generation bumped when the spec changes (observedGeneration stays:
        the rollout is then in progress); 422 for an invalid quantity or a
        request above its limit
  GET   /api/v1/namespaces/NS/pods?labelSelector=k=v,...   the pods matching;
        .../pods/N one pod
  PATCH /api/v1/namespaces/NS/pods/N/resize  strategic merge of
        spec.containers[].resources only (else 422); the pod then has the
        condition PodResizeInProgress; --no-resize answers 404 as a server
        before Kubernetes 1.33
  GET   /apis/policy/v1/namespaces/NS/poddisruptionbudgets
Anything else: 404 with a Status. A wrong bearer token: 401.
"""
import argparse
import copy
import json
import os
import re
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
        self.augur = AugurPolicies(args)
        self.act = Actuated(args)

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
        if augur_route(self, method, path, parts, q, body):
            return None
        if actuate_route(self, method, path, parts, q, body):
            return None
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


# ---- AugurPolicy (lib/k8s/policy.c) ----------------------------------------

AUGUR_PREFIX = "/apis/augur.dev/v1alpha1"
# Cluster-wide lists the policy resolver reads: path -> (data file, list kind, apiVersion).
AUGUR_LISTS = {
    "/api/v1/namespaces": ("cluster_namespaces.json", "NamespaceList", "v1"),
    "/apis/apps/v1/deployments": ("cluster_deployments.json", "DeploymentList", "apps/v1"),
    "/apis/apps/v1/statefulsets": ("cluster_statefulsets.json", "StatefulSetList", "apps/v1"),
    "/apis/apps/v1/daemonsets": ("cluster_daemonsets.json", "DaemonSetList", "apps/v1"),
    "/apis/batch/v1/jobs": ("cluster_jobs.json", "JobList", "batch/v1"),
    "/apis/batch/v1/cronjobs": ("cluster_cronjobs.json", "CronJobList", "batch/v1"),
}


class AugurPolicies:
    """The stored AugurPolicies (status patches land here)."""

    def __init__(self, args):
        self.items, self.rv = [], 0
        p = os.path.join(args.data, "augurpolicy_list.json")
        if os.path.isfile(p):
            with open(p) as f:
                lst = json.load(f)
            self.items = lst["items"]
            self.rv = int(lst["metadata"]["resourceVersion"])
        self.conflict_left = set(args.conflict or [])

    def find(self, ns, name):
        for o in self.items:
            if o["metadata"]["namespace"] == ns and o["metadata"]["name"] == name:
                return o
        return None

    def bump(self, o):
        self.rv += 1
        o["metadata"]["resourceVersion"] = str(self.rv)


def merge_patch(target, patch):
    """RFC 7386 JSON merge patch."""
    if not isinstance(patch, dict):
        return copy.deepcopy(patch)
    if not isinstance(target, dict):
        target = {}
    for k, v in patch.items():
        if v is None:
            target.pop(k, None)
        else:
            target[k] = merge_patch(target.get(k), v)
    return target


def send_page(h, q, items, kind, api, rv):
    st = h.server.st
    limit = int(q.get("limit", ["0"])[0] or 0) or len(items)
    if st.args.page_size:
        limit = min(limit, st.args.page_size)
    start = int(q.get("continue", ["0"])[0])
    md = {"resourceVersion": str(rv)}
    if start + limit < len(items):
        md["continue"] = str(start + limit)
    h.send_json(200, {"apiVersion": api, "kind": kind, "metadata": md,
                      "items": copy.deepcopy(items[start:start + limit])})


def augur_route(h, method, path, parts, q, body):
    """Serves the AugurPolicy routes; False when the request is not one."""
    st = h.server.st
    ap = st.augur
    if method == "GET" and path in AUGUR_LISTS:
        name, kind, api = AUGUR_LISTS[path]
        lst = h.data(name)
        if lst is None:
            return False
        send_page(h, q, lst["items"], kind, api, lst["metadata"]["resourceVersion"])
        return True
    if not path.startswith(AUGUR_PREFIX + "/"):
        return False
    if st.args.no_augur_crd:
        h.send_json(404, status(404, "NotFound", "the server could not find the requested resource"))
        return True
    if method == "GET" and path == AUGUR_PREFIX + "/augurpolicies":
        send_page(h, q, ap.items, "AugurPolicyList", "augur.dev/v1alpha1", ap.rv)
        return True
    if len(parts) not in (7, 8) or parts[3] != "namespaces" or parts[5] != "augurpolicies":
        return False
    ns, name = parts[4], parts[6]
    o = ap.find(ns, name)
    if o is None:
        h.send_json(404, status(404, "NotFound", 'augurpolicies.augur.dev "%s" not found' % name))
        return True
    if method == "GET" and len(parts) == 7:
        h.send_json(200, o)
        return True
    if method == "PATCH" and len(parts) == 7:
        # `kubectl patch --type merge` of the object: spec and metadata
        # change, status does not (it has its own subresource); a spec
        # change bumps metadata.generation
        if h.headers.get("Content-Type") != "application/merge-patch+json":
            h.send_json(415, status(415, "UnsupportedMediaType",
                                    "the body of the request was in an unknown format"))
            return True
        patch = json.loads(body)
        patch.pop("status", None)
        if "spec" in patch:
            o["spec"] = merge_patch(o.get("spec"), patch["spec"])
            o["metadata"]["generation"] = int(o["metadata"].get("generation", 1)) + 1
        ap.bump(o)
        h.send_json(200, o)
        return True
    if method != "PATCH" or len(parts) != 8 or parts[7] != "status":
        return False
    if h.headers.get("Content-Type") != "application/merge-patch+json":
        h.send_json(415, status(415, "UnsupportedMediaType",
                                "the body of the request was in an unknown format"))
        return True
    try:
        patch = json.loads(body)
    except ValueError as e:
        h.send_json(400, status(400, "BadRequest", "invalid merge patch: %s" % e))
        return True
    if not isinstance(patch, dict):
        h.send_json(400, status(400, "BadRequest", "a merge patch of an object is an object"))
        return True
    key = ns + "/" + name
    want_rv = (patch.get("metadata") or {}).get("resourceVersion")
    if key in ap.conflict_left:
        ap.conflict_left.discard(key)
        ap.bump(o)  # another writer was first
        want_rv = "stale"
    if want_rv is not None and want_rv != o["metadata"]["resourceVersion"]:
        h.send_json(409, status(409, "Conflict",
                                'Operation cannot be fulfilled on augurpolicies.augur.dev "%s": '
                                'the object has been modified; please apply your changes to the '
                                'latest version and try again' % name))
        return True
    # The status subresource takes status only; the rest of the patch is ignored.
    if "status" in patch:
        if patch["status"] is None:
            o.pop("status", None)
        else:
            o["status"] = merge_patch(o.get("status"), patch["status"])
    ap.bump(o)
    h.send_json(200, o)
    return True


# ---- the actuator (lib/k8s/actuate.c) ---------------------------------------

ACT_KINDS = {("apps/v1", "deployments"): "Deployment", ("apps/v1", "statefulsets"): "StatefulSet",
             ("apps/v1", "daemonsets"): "DaemonSet", ("apps/v1", "replicasets"): "ReplicaSet",
             ("batch/v1", "cronjobs"): "CronJob", ("batch/v1", "jobs"): "Job"}
SMP = "application/strategic-merge-patch+json"
QTY = re.compile(r"^(\+|-)?(([0-9]+(\.[0-9]*)?)|(\.[0-9]+))(([KMGTPE]i)|[numkMGTPE]|"
                 r"([eE](\+|-)?(([0-9]+(\.[0-9]*)?)|(\.[0-9]+))))?$")
SUFFIX = {"n": 1e-9, "u": 1e-6, "m": 1e-3, "": 1, "k": 1e3, "M": 1e6, "G": 1e9, "T": 1e12,
          "P": 1e15, "E": 1e18, "Ki": 2 ** 10, "Mi": 2 ** 20, "Gi": 2 ** 30, "Ti": 2 ** 40,
          "Pi": 2 ** 50, "Ei": 2 ** 60}


def quantity(s):
    """A Kubernetes quantity as a float; ValueError when malformed."""
    if isinstance(s, (int, float)) and not isinstance(s, bool):
        return float(s)
    if not isinstance(s, str) or not QTY.match(s):
        raise ValueError("quantities must match the regular expression '%s'" % QTY.pattern)
    m = re.match(r"^([+-]?[0-9.]+(?:[eE][+-]?[0-9.]+)?)([a-zA-Z]*)$", s)
    return float(m.group(1)) * SUFFIX[m.group(2)]


class Actuated:
    """Workloads, ReplicaSets, pods and PodDisruptionBudgets (actuate_objects.json)."""

    def __init__(self, args):
        self.items = []
        p = os.path.join(args.data, "actuate_objects.json")
        if os.path.isfile(p):
            with open(p) as f:
                self.items = json.load(f)["items"]
        self.rv = 90000

    def find(self, kind, ns, name):
        for o in self.items:
            m = o["metadata"]
            if o["kind"] == kind and m["namespace"] == ns and m["name"] == name:
                return o
        return None

    def bump(self, o):
        self.rv += 1
        o["metadata"]["resourceVersion"] = str(self.rv)


def strategic_merge(target, patch):
    """The strategic merge patch of core/v1 and apps/v1 as far as augur uses
    it: maps merge, null deletes, containers (and the like) merge by name,
    other lists are replaced."""
    if not isinstance(patch, dict) or not isinstance(target, dict):
        return copy.deepcopy(patch)
    for k, v in patch.items():
        if v is None:
            target.pop(k, None)
        elif k in ("containers", "initContainers") and isinstance(v, list) and \
                isinstance(target.get(k), list):
            for pc in v:
                mine = [c for c in target[k] if c.get("name") == pc.get("name")]
                if mine:
                    strategic_merge(mine[0], pc)
                else:
                    target[k].append(copy.deepcopy(pc))
        else:
            target[k] = strategic_merge(target.get(k), v)
    return target


def invalid_resources(containers, where):
    """What the API server's validation would refuse in containers[].resources."""
    for i, c in enumerate(containers or []):
        r = c.get("resources") or {}
        try:
            req = {k: quantity(v) for k, v in (r.get("requests") or {}).items()}
            lim = {k: quantity(v) for k, v in (r.get("limits") or {}).items()}
        except ValueError as e:
            return "%s[%d].resources: %s" % (where, i, e)
        for k, v in req.items():
            if k in lim and v > lim[k]:
                return "%s[%d].resources.requests[%s]: must be less than or equal to %s limit" \
                    % (where, i, k, k)
    return None


def selector_match(selector, labels):
    """An equality-based labelSelector query value ("k=v,k2!=v2") against labels."""
    for term in filter(None, (selector or "").split(",")):
        if "!=" in term:
            k, v = term.split("!=", 1)
            if labels.get(k) == v:
                return False
        else:
            k, v = term.replace("==", "=").split("=", 1)
            if labels.get(k) != v:
                return False
    return True


def actuate_route(h, method, path, parts, q, body):
    """Serves the actuator's routes; False when the request is not one."""
    st = h.server.st
    act = st.act
    if not act.items:
        return False
    # /api/v1/namespaces/NS/pods[/NAME[/resize]]
    if len(parts) >= 5 and parts[:3] == ["api", "v1", "namespaces"] and parts[4] == "pods" and \
            parts[3] != "default":
        ns = parts[3]
        if method == "GET" and len(parts) == 5:
            sel = q.get("labelSelector", [""])[0]
            pods = [o for o in act.items if o["kind"] == "Pod" and o["metadata"]["namespace"] == ns
                    and selector_match(sel, o["metadata"].get("labels") or {})]
            h.send_json(200, {"apiVersion": "v1", "kind": "PodList",
                              "metadata": {"resourceVersion": str(act.rv)},
                              "items": copy.deepcopy(pods)})
            return True
        if len(parts) == 6 and method == "GET":
            pod = act.find("Pod", ns, parts[5])
            if pod is None:
                h.send_json(404, status(404, "NotFound", 'pods "%s" not found' % parts[5]))
            else:
                h.send_json(200, pod)
            return True
        if len(parts) == 7 and parts[6] == "resize" and method == "PATCH":
            if st.args.no_resize:  # an API server before 1.33: no such subresource
                h.send_json(404, status(404, "NotFound",
                                        "the server could not find the requested resource"))
                return True
            pod = act.find("Pod", ns, parts[5])
            if pod is None:
                h.send_json(404, status(404, "NotFound", 'pods "%s" not found' % parts[5]))
                return True
            return actuate_resize(h, pod, body)
        return False
    # /apis/GROUP/VERSION/namespaces/NS/PLURAL[/NAME]
    if len(parts) in (6, 7) and parts[0] == "apis" and parts[3] == "namespaces":
        api, ns, plural = parts[1] + "/" + parts[2], parts[4], parts[5]
        if (api, plural) == ("policy/v1", "poddisruptionbudgets") and len(parts) == 6 and \
                method == "GET":
            pdbs = [o for o in act.items if o["kind"] == "PodDisruptionBudget" and
                    o["metadata"]["namespace"] == ns]
            h.send_json(200, {"apiVersion": "policy/v1", "kind": "PodDisruptionBudgetList",
                              "metadata": {"resourceVersion": str(act.rv)},
                              "items": copy.deepcopy(pdbs)})
            return True
        kind = ACT_KINDS.get((api, plural))
        if kind is None or len(parts) != 7 or ns == "default":
            return False
        o = act.find(kind, ns, parts[6])
        if o is None:
            h.send_json(404, status(404, "NotFound", '%s.%s "%s" not found'
                                    % (plural, parts[1], parts[6])))
            return True
        if method == "GET":
            h.send_json(200, o)
            return True
        if method == "PATCH" and kind not in ("ReplicaSet", "Job"):
            return actuate_patch(h, o, body)
        h.send_json(405, status(405, "MethodNotAllowed", "the server does not allow this method "
                                "on the requested resource"))
        return True
    return False


def patch_body(h, body):
    if h.headers.get("Content-Type") != SMP:
        h.send_json(415, status(415, "UnsupportedMediaType",
                                "the body of the request was in an unknown format"))
        return None
    try:
        p = json.loads(body)
    except ValueError as e:
        h.send_json(400, status(400, "BadRequest", "invalid strategic merge patch: %s" % e))
        return None
    if not isinstance(p, dict):
        h.send_json(400, status(400, "BadRequest", "a strategic merge patch is an object"))
        return None
    return p


def actuate_patch(h, o, body):
    """A strategic merge patch of a workload: applied, generation bumped
    when the spec changes (the controller has not seen it yet)."""
    act = h.server.st.act
    p = patch_body(h, body)
    if p is None:
        return True
    new = strategic_merge(copy.deepcopy(o), p)
    tmpl = new["spec"].get("template") or \
        new["spec"].get("jobTemplate", {}).get("spec", {}).get("template", {})
    bad = invalid_resources(tmpl.get("spec", {}).get("containers"), "spec.template.spec.containers")
    if bad:
        h.send_json(422, status(422, "Invalid", '%s "%s" is invalid: %s'
                                % (o["kind"], o["metadata"]["name"], bad)))
        return True
    if new["spec"] != o["spec"]:
        new["metadata"]["generation"] = o["metadata"].get("generation", 1) + 1
    o.clear()
    o.update(new)
    act.bump(o)
    h.send_json(200, o)
    return True


def actuate_resize(h, pod, body):
    """PATCH pods/NAME/resize: only containers' resources may change; the
    resize is then in progress (condition PodResizeInProgress)."""
    act = h.server.st.act
    p = patch_body(h, body)
    if p is None:
        return True
    spec = p.get("spec")
    if set(p) != {"spec"} or not isinstance(spec, dict) or set(spec) != {"containers"} or \
            not all(isinstance(c, dict) and set(c) <= {"name", "resources"} and "name" in c
                    for c in spec["containers"]):
        h.send_json(422, status(422, "Invalid", 'Pod "%s" is invalid: spec: Forbidden: only '
                                'cpu and memory resources are mutable' % pod["metadata"]["name"]))
        return True
    names = {c["name"] for c in pod["spec"]["containers"]}
    for c in spec["containers"]:
        if c["name"] not in names:
            h.send_json(422, status(422, "Invalid", 'Pod "%s" is invalid: spec.containers: '
                                    'no container "%s"' % (pod["metadata"]["name"], c["name"])))
            return True
    new = strategic_merge(copy.deepcopy(pod), p)
    bad = invalid_resources(new["spec"]["containers"], "spec.containers")
    if bad:
        h.send_json(422, status(422, "Invalid", 'Pod "%s" is invalid: %s'
                                % (pod["metadata"]["name"], bad)))
        return True
    pod.clear()
    pod.update(new)
    pod["status"].setdefault("conditions", []).append(
        {"type": "PodResizeInProgress", "status": "True", "lastProbeTime": None,
         "lastTransitionTime": "2024-05-03T12:00:00Z"})
    act.bump(pod)
    h.send_json(200, pod)
    return True


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--data", required=True)
    ap.add_argument("--log", required=True)
    ap.add_argument("--token", default="")
    ap.add_argument("--page-size", type=int, default=0)
    ap.add_argument("--conflict", action="append")
    ap.add_argument("--no-augur-crd", action="store_true")
    ap.add_argument("--no-resize", action="store_true")
    args = ap.parse_args()
    srv = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    srv.daemon_threads = True
    srv.st = State(args)
    print(srv.server_address[1], flush=True)
    srv.serve_forever()


if __name__ == "__main__":
    main()
