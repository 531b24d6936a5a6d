#!/usr/bin/env python3
"""tests/k8s/check_log.py - checks the request log of fake_apiserver.py
after test_k8s's VPA test (two syncs; the first patch of shop/web-vpa
answered 409).

  check_log.py LOG TOKEN CRD

- every request carries "Authorization: Bearer TOKEN";
- the list is read with limit and continue (the server pages by 2);
- exactly three PATCHes, all on .../status with Content-Type
  application/json-patch+json: shop/web-vpa (409), a GET of it, shop/web-vpa
  again, shop/report-vpa; none for the VPAs of other recommenders, none in
  the second sync (nothing changed);
- every patch body is [{"op":"add","path":"/status","value":...}] whose
  value validates against status in the openAPIV3Schema of the VPA CRD
  (../shared/reference/kubernetes/vpa-v1-crd-gen.yaml), with no field the
  API server would prune. The schema check is skipped, with a message,
  when the CRD or python3-jsonschema/yaml are absent.
Exit 0 when all hold, 1 with the failures listed otherwise.

  check_log.py --augurpolicy LOG TOKEN CRD RESOLVES

checks the log after test_policy's AugurPolicy tests instead (see
check_augurpolicy() below).
"""
import json
import os
import re
import sys


def check_augurpolicy(log_path, token, crd_path, resolves):
    """The log of test_policy.c's resolve and status syncs:
    - every request carries "Authorization: Bearer TOKEN";
    - in each of the RESOLVES resolves, augurpolicies and each of the five
      workload collections are listed once (first pages: no continue) and
      with limit=500; namespaces at most once;
    - every PATCH is on .../augurpolicies/NAME/status, Content-Type
      application/merge-patch+json, a body {metadata: {resourceVersion},
      status} whose status validates against the status schema of the
      AugurPolicy CRD (CRD) and has no field the API server would prune;
      timestamps are RFC 3339;
    - the first PATCH of shop/web (answered 409) is followed by a GET of it
      and the PATCH again.
    Returns the exit code."""
    reqs = [json.loads(l) for l in open(log_path) if l.strip()]
    errs = []
    api = "/apis/augur.dev/v1alpha1"
    for r in reqs:
        if r["authorization"] != "Bearer " + token:
            errs.append("%s %s: Authorization %r" % (r["method"], r["path"], r["authorization"]))
    for path in [api + "/augurpolicies", "/apis/apps/v1/deployments", "/apis/apps/v1/statefulsets",
                 "/apis/apps/v1/daemonsets", "/apis/batch/v1/jobs", "/apis/batch/v1/cronjobs",
                 "/api/v1/namespaces"]:
        first = [r for r in reqs if r["method"] == "GET" and r["path"] == path and
                 "continue" not in r["query"]]
        if (len(first) > resolves) if path.endswith("/namespaces") else (len(first) != resolves):
            errs.append("%s listed %d times in %d resolves" % (path, len(first), resolves))
        for r in first:
            if r["query"].get("limit") != ["500"]:
                errs.append("%s without limit=500: %r" % (path, r["query"]))
    patches = [r for r in reqs if r["method"] == "PATCH"]
    web = api + "/namespaces/shop/augurpolicies/web"
    seq = [(r["method"], r["path"]) for r in reqs]
    if ("PATCH", web + "/status") in seq:
        i = seq.index(("PATCH", web + "/status"))
        if seq[i + 1:i + 3] != [("GET", web), ("PATCH", web + "/status")]:
            errs.append("after the 409: %r, expected a GET of the policy and the PATCH again"
                        % seq[i + 1:i + 3])
    else:
        errs.append("no PATCH of shop/web")
    pat = re.compile(r"^" + re.escape(api) + r"/namespaces/[a-z0-9-]+/augurpolicies/[a-z0-9.-]+/status$")
    stamp = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(Z|[+-]\d\d:\d\d)$")
    bodies = []
    for r in patches:
        if not pat.match(r["path"]):
            errs.append("PATCH %s: not an AugurPolicy's status subresource" % r["path"])
        if r["content_type"] != "application/merge-patch+json":
            errs.append("%s: Content-Type %r" % (r["path"], r["content_type"]))
        try:
            b = json.loads(r["body"])
        except ValueError as e:
            errs.append("%s: body is not JSON: %s" % (r["path"], e))
            continue
        if not isinstance(b, dict) or set(b) - {"metadata", "status"} or \
                set(b.get("metadata") or {}) - {"resourceVersion"} or not isinstance(b.get("status"), dict):
            errs.append("%s: not {metadata: {resourceVersion}, status: {...}}: %.300s" % (r["path"], r["body"]))
            continue
        st = b["status"]
        times = [st.get("lastUpdateTime")] + [e.get("time") for e in st.get("recommendations") or []
                                              if "time" in e]
        times += [c.get("lastTransitionTime") for c in st.get("conditions") or []]
        for t in times:
            if not isinstance(t, str) or not stamp.match(t):
                errs.append("%s: timestamp %r is not RFC 3339" % (r["path"], t))
        bodies.append((r["path"], st))
    try:
        import jsonschema
        import yaml
    except ImportError:
        jsonschema = None
    if jsonschema is None:
        print("skip: schema check: python3-jsonschema / python3-yaml are absent")
    else:
        schema = None
        for doc in yaml.safe_load_all(open(crd_path)):
            if doc and doc.get("kind") == "CustomResourceDefinition" and \
                    doc["spec"]["names"]["kind"] == "AugurPolicy":
                for v in doc["spec"]["versions"]:
                    if v["name"] == "v1alpha1":
                        schema = v["schema"]["openAPIV3Schema"]["properties"]["status"]
        if schema is None:
            errs.append("no v1alpha1 AugurPolicy status schema in %s" % crd_path)
        else:
            val = jsonschema.Draft7Validator(schema)

            def pruned(where, node, sch, path):
                if isinstance(node, dict) and "properties" in sch:
                    for k, v in node.items():
                        if k not in sch["properties"]:
                            errs.append("%s: unknown field %s.%s" % (path, where, k))
                        else:
                            pruned(where + "." + k, v, sch["properties"][k], path)
                elif isinstance(node, dict) and isinstance(sch.get("additionalProperties"), dict):
                    for k, v in node.items():
                        pruned(where + "." + k, v, sch["additionalProperties"], path)
                elif isinstance(node, list) and "items" in sch:
                    for i, v in enumerate(node):
                        pruned("%s[%d]" % (where, i), v, sch["items"], path)

            for path, st in bodies:
                for e in val.iter_errors(st):
                    errs.append("%s: schema: %s at %s" % (path, e.message, list(e.absolute_path)))
                pruned("status", st, schema, path)
            broken = {"conditions": [{"type": "Ready", "status": "Yes", "reason": "not camel",
                                      "message": "", "lastTransitionTime": "now"}],
                      "recommendations": [{"namespace": "a", "container": "c", "target": {"cpu": "1x"}}]}
            if len(list(val.iter_errors(broken))) < 3:
                errs.append("the schema check accepts a broken status")
            print("schema: %d AugurPolicy status patches validated" % len(bodies))
    if not bodies:
        errs.append("no status patch")
    for e in errs:
        print("FAIL:", e)
    return 1 if errs else 0


if len(sys.argv) == 6 and sys.argv[1] == "--augurpolicy":
    sys.exit(check_augurpolicy(sys.argv[2], sys.argv[3], sys.argv[4], int(sys.argv[5])))

log_path, token, crd_path = sys.argv[1], sys.argv[2], sys.argv[3]
reqs = [json.loads(l) for l in open(log_path) if l.strip()]
errors = []


def fail(msg):
    errors.append(msg)


for r in reqs:
    if r["authorization"] != "Bearer " + token:
        fail("%s %s: Authorization %r" % (r["method"], r["path"], r["authorization"]))

VPA = "/apis/autoscaling.k8s.io/v1"
lists = [r for r in reqs if r["method"] == "GET" and r["path"] == VPA + "/verticalpodautoscalers"]
if len(lists) != 4:
    fail("expected 4 list requests (2 syncs x 2 pages), got %d" % len(lists))
for i, r in enumerate(lists):
    if r["query"].get("limit") != ["500"]:
        fail("list without limit=500: %r" % r["query"])
    if (i % 2 == 1) != ("continue" in r["query"]):
        fail("list request %d: continue %r" % (i, r["query"].get("continue")))

patches = [r for r in reqs if r["method"] == "PATCH"]
want = [VPA + "/namespaces/shop/verticalpodautoscalers/web-vpa/status",
        VPA + "/namespaces/shop/verticalpodautoscalers/web-vpa/status",
        VPA + "/namespaces/shop/verticalpodautoscalers/report-vpa/status"]
got = [r["path"] for r in patches]
if got != want:
    fail("patched %r, expected %r" % (got, want))
seq = [(r["method"], r["path"]) for r in reqs]
try:
    i = seq.index(("PATCH", want[0]))
    if seq[i + 1] != ("GET", want[0][:-len("/status")]) or seq[i + 2] != ("PATCH", want[0]):
        fail("after the 409: %r, expected a GET of the VPA and the PATCH again" % seq[i + 1:i + 3])
except ValueError:
    pass
for r in patches:
    if r["content_type"] != "application/json-patch+json":
        fail("%s: Content-Type %r" % (r["path"], r["content_type"]))
    if not r["path"].endswith("/status"):
        fail("%s: not the status subresource" % r["path"])

bodies = []
for r in patches:
    try:
        ops = json.loads(r["body"])
    except ValueError as e:
        fail("%s: body is not JSON: %s" % (r["path"], e))
        continue
    if not (isinstance(ops, list) and len(ops) == 1 and ops[0].get("op") == "add" and
            ops[0].get("path") == "/status" and isinstance(ops[0].get("value"), dict)):
        fail("%s: not [{op: add, path: /status, value: {...}}]: %s" % (r["path"], r["body"]))
        continue
    bodies.append((r["path"], ops[0]["value"]))

try:
    import jsonschema
    import yaml
except ImportError:
    jsonschema = None
if not os.path.isfile(crd_path):
    print("skip: schema check: %s is absent" % crd_path)
elif jsonschema is None:
    print("skip: schema check: python3-jsonschema / python3-yaml are absent")
else:
    schema = None
    for doc in yaml.safe_load_all(open(crd_path)):
        if doc and doc.get("kind") == "CustomResourceDefinition" and \
                doc["spec"]["names"]["kind"] == "VerticalPodAutoscaler":
            for v in doc["spec"]["versions"]:
                if v["name"] == "v1":
                    schema = v["schema"]["openAPIV3Schema"]["properties"]["status"]
    if schema is None:
        fail("no v1 VerticalPodAutoscaler status schema in %s" % crd_path)
    else:
        val = jsonschema.Draft7Validator(schema)

        def pruned(node, sch, where):
            """Fields a structural schema would drop as unknown."""
            if isinstance(node, dict) and "properties" in sch:
                for k, v in node.items():
                    if k not in sch["properties"]:
                        if not sch.get("additionalProperties"):
                            fail("%s: unknown field %s.%s" % (path, where, k))
                    else:
                        pruned(v, sch["properties"][k], where + "." + k)
            elif isinstance(node, dict) and isinstance(sch.get("additionalProperties"), dict):
                for k, v in node.items():
                    pruned(v, sch["additionalProperties"], where + "." + k)
            elif isinstance(node, list) and "items" in sch:
                for i, v in enumerate(node):
                    pruned(v, sch["items"], "%s[%d]" % (where, i))

        for path, value in bodies:
            for e in val.iter_errors(value):
                fail("%s: schema: %s at %s" % (path, e.message, list(e.absolute_path)))
            pruned(value, schema, "status")
        # The check is not vacuous: a broken status fails it.
        broken = {"conditions": [{"type": "RecommendationProvided"}],
                  "recommendation": {"containerRecommendations": [{"target": {"cpu": "1x"}}]}}
        if not list(val.iter_errors(broken)):
            fail("the schema check accepts a broken status")
        print("schema: %d patch bodies validated" % len(bodies))

for e in errors:
    print("FAIL:", e)
sys.exit(1 if errors else 0)
