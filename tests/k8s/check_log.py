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
"""
import json
import os
import sys

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
