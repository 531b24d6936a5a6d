#!/usr/bin/env bash
# Static checks of deploy/: every YAML loads and every object is named; the
# AugurPolicy CRD is structural and the examples validate against the CRDs'
# own schemas (AugurPolicy: ours; VerticalPodAutoscaler: the VPA's CRD in
# ../shared/reference/kubernetes, skipped when absent); the Deployment's
# probes hit /healthz and /readyz on the Service's port; RBAC is least
# privilege; the Grafana dashboard's PromQL names only augur's metrics and
# kube-state-metrics'; the Helm chart's .Values references exist in
# values.yaml (helm itself is not installed: its templates are not
# rendered). With kubectl, `kubectl kustomize` must build both
# kustomizations. Needs python3 with yaml and jsonschema; skips (77)
# without them.
set -u
SRC=${AG_SOURCE_DIR:-$(cd "$(dirname "$0")/../.." && pwd)}
py=$(command -v python3 || true)
if [ -z "$py" ]; then echo "skip: python3 is absent"; exit 77; fi
if ! "$py" -c 'import yaml, jsonschema' 2>/dev/null; then
  echo "skip: python3 lacks yaml or jsonschema (python3-yaml, python3-jsonschema)"; exit 77
fi
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
kz=none
if command -v kubectl >/dev/null 2>&1; then
  kz=ok
  for d in deploy/kubernetes deploy/kubernetes/actuator; do
    if ! timeout 20 kubectl kustomize "$SRC/$d" > "$T/$(echo "$d" | tr / _).yaml" 2> "$T/kz.err"; then
      echo "FAIL: kubectl kustomize $d: $(head -c 500 "$T/kz.err")"; kz=fail
    fi
  done
fi
exec "$py" - "$SRC" "$T" "$kz" <<'PY'
import glob, json, os, re, sys
import yaml, jsonschema

src, tmp, kz = sys.argv[1], sys.argv[2], sys.argv[3]
deploy = os.path.join(src, "deploy")
passed = failed = skipped = 0
def check(cond, what):
    global passed, failed
    if cond: passed += 1
    else:
        failed += 1
        print("FAIL:", what)
    return cond
def skip(what):
    global skipped
    skipped += 1
    print("skip:", what)
def rel(p): return os.path.relpath(p, src)
if kz == "fail": check(False, "kubectl kustomize (above)")
elif kz == "ok": check(True, "kustomize")
else: skip("kubectl is absent: the kustomizations were not built")

# ---- 1. every YAML outside the Helm templates loads; objects are named
objs = []          # (file, object)
for p in sorted(glob.glob(os.path.join(deploy, "**", "*.y*ml"), recursive=True)):
    if "/templates/" in p: continue
    try:
        docs = [d for d in yaml.safe_load_all(open(p)) if d is not None]
    except yaml.YAMLError as e:
        check(False, f"{rel(p)}: {e}"); continue
    check(len(docs) > 0, f"{rel(p)}: no document")
    if os.path.basename(p) in ("Chart.yaml", "values.yaml"): continue
    for d in docs:
        ok = isinstance(d, dict) and isinstance(d.get("apiVersion"), str) and isinstance(d.get("kind"), str)
        if not check(ok, f"{rel(p)}: a document without apiVersion/kind"): continue
        if d["kind"] in ("Kustomization", "Component"): continue
        check(isinstance(d.get("metadata"), dict) and isinstance(d["metadata"].get("name"), str)
              and d["metadata"]["name"], f"{rel(p)}: {d['kind']} without metadata.name")
        objs.append((p, d))
def find(kind, under="kubernetes", name=None):
    return [o for p, o in objs if o["kind"] == kind and os.path.dirname(p) == os.path.join(deploy, under)
            and (name is None or o["metadata"]["name"] == name)]

# the kustomization lists every file of its directory (and they exist)
for kf in ("kubernetes/kustomization.yaml", "kubernetes/actuator/kustomization.yaml", "crds/kustomization.yaml"):
    k = yaml.safe_load(open(os.path.join(deploy, kf)))
    d = os.path.dirname(os.path.join(deploy, kf))
    for r in k.get("resources", []):
        check(os.path.exists(os.path.join(d, r)), f"{kf}: resource {r} missing")
    mine = {os.path.basename(f) for f in glob.glob(os.path.join(d, "*.yaml"))} - {"kustomization.yaml"}
    check(mine <= set(k.get("resources", [])), f"{kf}: does not list {sorted(mine - set(k.get('resources', [])))}")
check("actuator-rbac.yaml" not in open(os.path.join(deploy, "kubernetes/kustomization.yaml")).read()
      and "actuator" not in yaml.safe_load(open(os.path.join(deploy, "kubernetes/kustomization.yaml")))["resources"],
      "the default kustomization must not bind the actuator")

# ---- 2. the CRD is structural
def structural(s, path, errs, in_junctor=False):
    if not isinstance(s, dict):
        errs.append(f"{path}: not a mapping"); return
    for k in ("$ref", "definitions", "patternProperties", "dependencies", "additionalItems", "id", "$schema"):
        if k in s: errs.append(f"{path}: {k} is not allowed")
    if s.get("uniqueItems") is True: errs.append(f"{path}: uniqueItems: true is not allowed")
    if in_junctor:
        for k in ("description", "type", "default", "additionalProperties", "nullable"):
            if k in s and not (k == "type" and s.get(k) in ("integer", "string")):
                errs.append(f"{path}: {k} inside anyOf/allOf/oneOf/not")
    else:
        if "type" not in s and not s.get("x-kubernetes-int-or-string") and not s.get("x-kubernetes-preserve-unknown-fields"):
            errs.append(f"{path}: no type")
        if s.get("x-kubernetes-int-or-string") and s.get("anyOf") != [{"type": "integer"}, {"type": "string"}]:
            errs.append(f"{path}: x-kubernetes-int-or-string without anyOf [integer, string]")
    t = s.get("type")
    if t is not None and t not in ("object", "array", "string", "integer", "number", "boolean"):
        errs.append(f"{path}: unknown type {t}")
    if "properties" in s and "additionalProperties" in s:
        errs.append(f"{path}: properties and additionalProperties together")
    if t == "array" and "items" not in s: errs.append(f"{path}: array without items")
    if (s.get("properties") or s.get("additionalProperties")) and t not in (None, "object"):
        errs.append(f"{path}: properties on a {t}")
    if "enum" in s and t is not None:
        py = {"string": str, "integer": int, "number": (int, float), "boolean": bool}.get(t)
        for e in s["enum"]:
            if py and (not isinstance(e, py) or (t != "boolean" and isinstance(e, bool))):
                errs.append(f"{path}: enum value {e!r} is not a {t} (unquoted Off/On/True?)")
    if s.get("x-kubernetes-list-type") == "map":
        keys = s.get("x-kubernetes-list-map-keys") or []
        if not keys: errs.append(f"{path}: list-type map without list-map-keys")
        for k in keys:
            if k not in (s.get("items", {}).get("required") or []):
                errs.append(f"{path}: list-map key {k} not required")
    if s.get("x-kubernetes-list-type") == "set" and s.get("items", {}).get("type") in ("object", "array"):
        errs.append(f"{path}: list-type set of non-scalars")
    for k, v in (s.get("properties") or {}).items():
        structural(v, f"{path}.{k}", errs)
    if isinstance(s.get("additionalProperties"), dict):
        structural(s["additionalProperties"], f"{path}.*", errs)
    if "items" in s: structural(s["items"], f"{path}[]", errs)
    for j in ("anyOf", "allOf", "oneOf"):
        for i, sub in enumerate(s.get(j, [])):
            structural(sub, f"{path}.{j}[{i}]", errs, True)
    if "not" in s: structural(s["not"], f"{path}.not", errs, True)

def to_jsonschema(s, strict):
    """The OpenAPI v3.0 subset of a CRD as a draft-4 JSON schema. strict:
    refuse unknown fields where the schema lists properties (the API server
    would prune them silently; in an example they are typos)."""
    if isinstance(s, list): return [to_jsonschema(x, strict) for x in s]
    if not isinstance(s, dict): return s
    out = {}
    for k, v in s.items():
        if k.startswith("x-kubernetes-") or k in ("nullable", "default", "example", "externalDocs"): continue
        if k == "properties": out[k] = {n: to_jsonschema(x, strict) for n, x in v.items()}
        elif k in ("items", "additionalProperties", "not"): out[k] = to_jsonschema(v, strict) if isinstance(v, dict) else v
        elif k in ("anyOf", "allOf", "oneOf"): out[k] = to_jsonschema(v, strict)
        else: out[k] = v
    if s.get("x-kubernetes-int-or-string") and "anyOf" not in out:
        out["anyOf"] = [{"type": "integer"}, {"type": "string"}]
    if s.get("nullable") and "type" in out:
        out["type"] = [out["type"], "null"]
    if (strict and "properties" in s and "additionalProperties" not in s
            and not s.get("x-kubernetes-preserve-unknown-fields")):
        out["additionalProperties"] = False
    return out

def crd_version_schema(crd, version):
    for v in crd["spec"]["versions"]:
        if v["name"] == version: return v["schema"]["openAPIV3Schema"]
    return None

crds = [o for p, o in objs if o["kind"] == "CustomResourceDefinition" and "/deploy/crds/" in p]
check(len(crds) == 1, f"deploy/crds: {len(crds)} CRDs, want 1")
crd = crds[0]
check(crd["metadata"]["name"] == "augurpolicies.augur.dev"
      and crd["metadata"]["name"] == f"{crd['spec']['names']['plural']}.{crd['spec']['group']}", "CRD name")
check(crd["apiVersion"] == "apiextensions.k8s.io/v1" and crd["spec"]["scope"] == "Namespaced"
      and crd["spec"]["names"]["kind"] == "AugurPolicy", "CRD group/scope/kind")
vers = crd["spec"]["versions"]
check([v["name"] for v in vers] == ["v1alpha1"] and vers[0]["served"] and vers[0]["storage"], "v1alpha1 served and stored")
check(vers[0].get("subresources", {}).get("status") == {}, "status subresource")
cols = {c["name"]: c for c in vers[0].get("additionalPrinterColumns", [])}
check({"Policy", "Act", "Age"} <= set(cols), f"printer columns {sorted(cols)}")
root = crd_version_schema(crd, "v1alpha1")
errs = []
structural(root, "openAPIV3Schema", errs)
check(root.get("type") == "object", "root type object")
md = root["properties"].get("metadata", {})
check(set(md.get("properties", {})) <= {"name", "generateName"}, "metadata may only restrict name/generateName")
for e in errs: check(False, f"CRD not structural: {e}")
check(not errs, "CRD structural")
def at(s, path):
    for k in path.split("."): s = s["properties"][k]
    return s
for c in cols.values():
    if c["jsonPath"].startswith(".spec."):
        try: at(root, c["jsonPath"][1:])
        except KeyError: check(False, f"printer column {c['name']}: {c['jsonPath']} not in the schema")
spec = at(root, "spec")
for f in ("selector", "namespaceSelector", "namespaces", "policy", "riskBudget", "bounds", "horizon", "act",
          "updateMode", "maxUnavailableShare"):
    check(f in spec["properties"], f"spec.{f} missing")
check(at(root, "spec.policy")["enum"] == ["stable", "cost-saving"], "policy enum")
check(at(root, "spec.updateMode")["enum"] == ["Off", "Initial", "Recreate", "InPlaceOrRecreate"], "updateMode enum")
check(at(root, "spec.act").get("default") is False, "act defaults to false")
for f in ("status.recommendations", "status.conditions", "status.lastUpdateTime"):
    try: at(root, f)
    except KeyError: check(False, f"{f} missing")
item = at(root, "status.recommendations")["items"]
check({"namespace", "workload", "container", "target", "lowerBound", "upperBound", "reason", "time"} <= set(item["properties"]),
      "status.recommendations[] fields")
cond = at(root, "status.conditions")["items"]
check(set(cond["required"]) == {"type", "status", "reason", "message", "lastTransitionTime"}, "conditions: metav1.Condition")

aug_schema = to_jsonschema(root, True)
V = jsonschema.Draft4Validator
V.check_schema(aug_schema)
# defaults validate against their own schema
def defaults(s, path):
    if not isinstance(s, dict): return
    if "default" in s:
        es = list(V(to_jsonschema(s, True)).iter_errors(s["default"]))
        check(not es, f"{path}: default {s['default']!r} is invalid: {es[:1]}")
    for k, v in (s.get("properties") or {}).items(): defaults(v, f"{path}.{k}")
    if isinstance(s.get("items"), dict): defaults(s["items"], f"{path}[]")
defaults(root, "openAPIV3Schema")

def validate(obj, schema, what):
    es = sorted(V(schema).iter_errors(obj), key=lambda e: list(e.path))
    for e in es[:5]:
        check(False, f"{what}: {'.'.join(map(str, e.path))}: {e.message}")
    check(not es, f"{what} validates")
    return not es

# ---- 3. the examples
pols = find("AugurPolicy", "examples")
check(len(pols) >= 1, "deploy/examples: no AugurPolicy")
for o in pols:
    check(o["apiVersion"] == "augur.dev/v1alpha1", "AugurPolicy apiVersion")
    validate(o, aug_schema, f"AugurPolicy {o['metadata']['name']}")
# the schema refuses what it should
def bad(mutate, what):
    o = json.loads(json.dumps(pols[0])); mutate(o["spec"])
    check(list(V(aug_schema).iter_errors(o)), f"the schema should refuse {what}")
bad(lambda s: s.update(policy="compact"), "policy compact")
bad(lambda s: s.update(updateMode="Auto"), "updateMode Auto")
bad(lambda s: s["riskBudget"].update(cpu=1), "riskBudget.cpu 1")
bad(lambda s: s["riskBudget"].update(memory=0), "riskBudget.memory 0")
bad(lambda s: s.update(maxUnavailableShare=1.5), "maxUnavailableShare 1.5")
bad(lambda s: s["bounds"]["minAllowed"].update(cpu="50 millicores"), "a malformed quantity")
bad(lambda s: s.update(horizon="1 day"), "horizon '1 day'")
bad(lambda s: s.update(act="yes"), "act 'yes'")
bad(lambda s: s["selector"]["matchExpressions"].append({"key": "a", "operator": "Like"}), "operator Like")
bad(lambda s: s.update(polcy="stable"), "an unknown field")
status = {"lastUpdateTime": "2024-05-01T10:00:00Z", "observedGeneration": 2,
          "recommendations": [{"namespace": "shop", "workload": {"kind": "Deployment", "name": "cart"},
                               "container": "app", "target": {"cpu": "627m", "memory": "524Mi"},
                               "lowerBound": {"cpu": "400m", "memory": 500000000}, "upperBound": {"cpu": "1", "memory": "1Gi"},
                               "reason": "forecast p70 of the next 24h", "time": "2024-05-01T10:00:00Z"}],
          "conditions": [{"type": "RecommendationProvided", "status": "True", "reason": "Computed",
                          "message": "6 containers", "lastTransitionTime": "2024-05-01T10:00:00Z", "observedGeneration": 2}]}
o = json.loads(json.dumps(pols[0])); o["status"] = status
validate(o, aug_schema, "an AugurPolicy status as augur writes it")

vpas = find("VerticalPodAutoscaler", "examples")
check(len(vpas) == 1, "deploy/examples: want one VerticalPodAutoscaler")
for o in vpas:
    check(o.get("spec", {}).get("recommenders") == [{"name": "augur"}], "VPA example: spec.recommenders [{name: augur}]")
    check("updatePolicy" in o["spec"] and "resourcePolicy" in o["spec"], "VPA example: updatePolicy, resourcePolicy")
vpa_crd_path = os.path.join(src, "..", "shared", "reference", "kubernetes", "vpa-v1-crd-gen.yaml")
if not os.path.exists(vpa_crd_path):
    skip(f"{vpa_crd_path} is absent: the VPA example is not validated against the VPA CRD")
else:
    vcrd = [d for d in yaml.safe_load_all(open(vpa_crd_path))
            if d and d["metadata"]["name"] == "verticalpodautoscalers.autoscaling.k8s.io"][0]
    vs = to_jsonschema(crd_version_schema(vcrd, "v1"), True)
    for o in vpas:
        check(o["apiVersion"] == "autoscaling.k8s.io/v1", "VPA example apiVersion")
        validate(o, vs, f"VPA example {o['metadata']['name']} against the VPA CRD")
        # and what augur writes into its status, in the shape the VPA recommender writes
        v = json.loads(json.dumps(o))
        v["status"] = {"recommendation": {"containerRecommendations": [
            {"containerName": "app", "target": {"cpu": "627m", "memory": "549453824"},
             "lowerBound": {"cpu": "400m", "memory": "500Mi"}, "upperBound": {"cpu": "1", "memory": "1Gi"},
             "uncappedTarget": {"cpu": "627m", "memory": "549453824"}}]},
            "conditions": [{"type": "RecommendationProvided", "status": "True", "lastTransitionTime": "2024-05-01T10:00:00Z"}]}
        validate(v, vs, "a VPA status.recommendation as augur writes it")

# ---- 4. the Deployment, Service, ConfigMap
deps, svcs = find("Deployment"), find("Service")
check(len(deps) == 1 and len(svcs) == 1, "one Deployment and one Service in deploy/kubernetes")
dep, svc = deps[0], svcs[0]
ds = dep["spec"]
check(ds["replicas"] == 1, "one replica")
check(ds["selector"]["matchLabels"].items() <= ds["template"]["metadata"]["labels"].items(), "selector matches the pod labels")
check(svc["spec"]["selector"].items() <= ds["template"]["metadata"]["labels"].items(), "the Service selects augur's pod")
pod = ds["template"]["spec"]
check(pod["serviceAccountName"] == find("ServiceAccount")[0]["metadata"]["name"], "service account")
c = [c for c in pod["containers"] if c["name"] == "augur"][0]
check(c["image"] == "ghcr.io/augur-dev/augur:0.1.0", "image placeholder")
check(c["args"] == ["serve", "--config", "/etc/augur/augur.yaml"], "args")
sport = [p for p in svc["spec"]["ports"] if p["name"] == "http"]
check(len(sport) == 1 and sport[0]["port"] == 8080, "Service port 8080 named http")
tp = sport[0].get("targetPort", sport[0]["port"])
cport = [p for p in c["ports"] if p.get("name") == tp or p["containerPort"] == tp]
check(len(cport) == 1, f"Service targetPort {tp} is a container port")
def probe_ok(name, path):
    pr = c.get(name)
    if not check(pr and "httpGet" in pr, f"{name} missing"): return
    g = pr["httpGet"]
    check(g["path"] == path, f"{name} path {g['path']}, want {path}")
    check(g["port"] in (cport[0].get("name"), cport[0]["containerPort"]), f"{name} port {g['port']} is not the Service's")
probe_ok("readinessProbe", "/readyz"); probe_ok("livenessProbe", "/healthz")
if "startupProbe" in c: probe_ok("startupProbe", "/healthz")
r = c.get("resources", {})
check({"cpu", "memory"} <= set(r.get("requests", {})) and "memory" in r.get("limits", {}), "requests and limits")
sc, psc = c.get("securityContext", {}), pod.get("securityContext", {})
check(sc.get("readOnlyRootFilesystem") is True and sc.get("allowPrivilegeEscalation") is False, "read-only root, no escalation")
check(sc.get("capabilities", {}).get("drop") == ["ALL"] and not sc.get("capabilities", {}).get("add"), "drop ALL capabilities")
check((sc.get("runAsNonRoot") or psc.get("runAsNonRoot")) is True, "runAsNonRoot")
check((sc.get("seccompProfile") or psc.get("seccompProfile") or {}).get("type") == "RuntimeDefault", "seccomp RuntimeDefault")
mounts = {m["mountPath"]: m["name"] for m in c.get("volumeMounts", [])}
vols = {v["name"]: v for v in pod.get("volumes", [])}
check("/var/lib/augur" in mounts and ("emptyDir" in vols.get(mounts["/var/lib/augur"], {})
      or "persistentVolumeClaim" in vols.get(mounts["/var/lib/augur"], {})), "a writable volume at /var/lib/augur")
check(vols.get(mounts.get("/etc/augur"), {}).get("configMap", {}).get("name") == find("ConfigMap")[0]["metadata"]["name"],
      "the ConfigMap mounted at /etc/augur")
cfg = yaml.safe_load(find("ConfigMap")[0]["data"]["augur.yaml"])
def scalars(v):  # augur's config file: mappings of scalars or lists of scalars (docs/config.md)
    if isinstance(v, dict): return all(isinstance(k, str) and scalars(x) for k, x in v.items())
    if isinstance(v, list): return all(not isinstance(x, (dict, list)) for x in v)
    return True
check(isinstance(cfg, dict) and scalars(cfg), "augur.yaml: a mapping of scalars (docs/config.md)")
check("&" not in re.sub(r"#.*", "", find("ConfigMap")[0]["data"]["augur.yaml"]), "augur.yaml: no anchors")
check(str(cfg.get("listen", "")).rsplit(":", 1)[-1] == str(cport[0]["containerPort"]), "listen matches the container port")
check(str(cfg.get("db", "")).startswith("/var/lib/augur/"), "db on /var/lib/augur")
check(isinstance(cfg.get("prometheus"), dict) and "url" in cfg["prometheus"], "prometheus.url")
sms = find("ServiceMonitor")
check(len(sms) == 1 and sms[0]["apiVersion"] == "monitoring.coreos.com/v1", "a ServiceMonitor")
for sm in sms:
    ep = sm["spec"]["endpoints"]
    check(any(e.get("port") == "http" and e.get("path") == "/metrics" for e in ep), "ServiceMonitor scrapes http /metrics")
    check(sm["spec"]["selector"]["matchLabels"].items() <= svc["metadata"]["labels"].items(), "ServiceMonitor selects the Service")

# ---- 5. RBAC
READ = {"get", "list", "watch"}
def rbac_ok(role, what, writable):
    for rule in role["rules"]:
        for k in ("apiGroups", "resources", "verbs"):
            check("*" not in rule.get(k, []), f"{what}: '*' in {k}")
        check("nonResourceURLs" not in rule, f"{what}: nonResourceURLs")
        res, verbs = set(rule["resources"]), set(rule["verbs"])
        check(not res & {"secrets", "configmaps", "serviceaccounts", "clusterroles", "clusterrolebindings", "roles",
                         "rolebindings", "nodes", "pods/exec", "pods/eviction"},
              f"{what}: rule on {sorted(res)}")
        check(not verbs & {"create", "delete", "deletecollection", "escalate", "bind", "impersonate", "approve"},
              f"{what}: verbs {sorted(verbs)}")
        write = verbs - READ
        if write:
            check(res <= writable, f"{what}: write verbs {sorted(write)} on {sorted(res)}")
def rules_of(role):
    return {(g, r): set(rule["verbs"]) for rule in role["rules"] for g in rule["apiGroups"] for r in rule["resources"]}
roles = {o["metadata"]["name"]: o for o in find("ClusterRole")}
acts = {o["metadata"]["name"]: o for o in find("ClusterRole", "kubernetes/actuator")}
check(set(roles) == {"augur"} and set(acts) == {"augur-actuator"}, f"ClusterRoles {sorted(roles)} {sorted(acts)}")
rbac_ok(roles["augur"], "ClusterRole augur", {"verticalpodautoscalers/status", "augurpolicies/status"})
got = rules_of(roles["augur"])
want = {("", "pods"): READ, ("", "namespaces"): {"list"}, ("apps", "replicasets"): READ, ("apps", "deployments"): READ, ("apps", "statefulsets"): READ,
        ("apps", "daemonsets"): READ, ("batch", "jobs"): READ, ("batch", "cronjobs"): READ,
        ("policy", "poddisruptionbudgets"): READ, ("autoscaling.k8s.io", "verticalpodautoscalers"): READ,
        ("autoscaling.k8s.io", "verticalpodautoscalers/status"): {"update", "patch"},
        ("augur.dev", "augurpolicies"): READ, ("augur.dev", "augurpolicies/status"): {"update", "patch"}}
check(got == want, f"ClusterRole augur grants exactly {sorted(want)}; differs: {sorted(k for k in set(got) | set(want) if got.get(k) != want.get(k))}")
rbac_ok(acts["augur-actuator"], "ClusterRole augur-actuator", {"deployments", "statefulsets", "daemonsets", "cronjobs", "pods/resize"})
# exactly what lib/k8s/actuate.c sends beyond ClusterRole augur's reads
check(rules_of(acts["augur-actuator"]) == {("apps", "deployments"): {"patch"}, ("apps", "statefulsets"): {"patch"},
      ("apps", "daemonsets"): {"patch"}, ("batch", "cronjobs"): {"patch"}, ("", "pods/resize"): {"patch"},
      ("", "pods"): {"list"}, ("policy", "poddisruptionbudgets"): {"list"}},
      "augur-actuator: patch workloads and pods/resize, list pods and PodDisruptionBudgets")
sa = find("ServiceAccount")[0]["metadata"]
for b, role in [(o, o["roleRef"]["name"]) for o in find("ClusterRoleBinding") + find("ClusterRoleBinding", "kubernetes/actuator")]:
    check(role in roles or role in acts, f"binding {b['metadata']['name']} to unknown {role}")
    check(b["subjects"] == [{"kind": "ServiceAccount", "name": sa["name"], "namespace": sa["namespace"]}],
          f"binding {b['metadata']['name']} subjects")
check([b["roleRef"]["name"] for b in find("ClusterRoleBinding")] == ["augur"], "only ClusterRole augur is bound by default")
if kz == "ok":
    built = [d for d in yaml.safe_load_all(open(os.path.join(tmp, "deploy_kubernetes.yaml"))) if d]
    kinds = sorted(d["kind"] for d in built)
    check(kinds == sorted(["Namespace", "CustomResourceDefinition", "ServiceAccount", "ClusterRole", "ClusterRoleBinding",
                           "ConfigMap", "Deployment", "Service", "ServiceMonitor"]), f"kustomize build: {kinds}")
    check(all(d["metadata"].get("namespace") == "augur" for d in built
              if d["kind"] in ("ServiceAccount", "ConfigMap", "Deployment", "Service", "ServiceMonitor")), "kustomize: namespace augur")
    check(not any(d["metadata"]["name"] == "augur-actuator" for d in built), "kustomize: no actuator by default")

# ---- 6. the Grafana dashboard
dpath = os.path.join(deploy, "grafana", "augur-dashboard.json")
try:
    dash = json.load(open(dpath))
except ValueError as e:
    check(False, f"{rel(dpath)}: {e}"); dash = {"panels": [], "templating": {"list": []}}
check(isinstance(dash.get("schemaVersion"), int) and dash["schemaVersion"] >= 36, "dashboard schemaVersion")
names = {v["name"] for v in dash["templating"]["list"]}
check({"namespace", "workload"} <= names, f"template variables {sorted(names)}")
METRICS = {"augur_recommendation_cpu_cores", "augur_recommendation_memory_bytes", "augur_forecast_cpu_cores",
           "augur_forecast_memory_bytes", "augur_loop_duration_seconds", "augur_last_success_timestamp_seconds",
           "augur_loops_total", "augur_loop_failures_total", "augur_fetch_errors_total", "augur_series_tracked",
           "augur_ready", "kube_pod_container_resource_requests", "kube_pod_container_resource_limits",
           "augur_kubernetes_status_writes_total", "augur_kubernetes_errors_total",
           "augur_augurpolicy_selected_workloads", "augur_actuator_pods_resized_total",
           "augur_actuator_templates_patched_total", "augur_actuator_blocked_total"}
LABELS = {"augur_recommendation_": {"namespace", "workload", "kind", "container", "bound"},
          "augur_forecast_": {"namespace", "workload", "kind", "container", "quantile", "horizon"},
          "kube_pod_container_resource_": {"namespace", "pod", "container", "resource", "unit", "node", "uid"},
          "augur_kubernetes_status_writes_total": {"object"}, "augur_kubernetes_errors_total": {"part"},
          "augur_actuator_blocked_total": {"reason"}}
BOUNDS = {"target", "lower", "upper", "uncapped", "limit"}
FUNCS = {"abs", "absent", "absent_over_time", "avg_over_time", "ceil", "changes", "clamp", "clamp_max", "clamp_min",
         "count_over_time", "delta", "deriv", "floor", "histogram_quantile", "idelta", "increase", "irate",
         "label_replace", "label_join", "last_over_time", "max_over_time", "min_over_time", "predict_linear",
         "quantile_over_time", "rate", "resets", "round", "scalar", "sort", "sort_desc", "sum_over_time", "time",
         "timestamp", "vector", "label_values", "query_result"}
AGGR = {"sum", "min", "max", "avg", "count", "stddev", "stdvar", "topk", "bottomk", "quantile", "count_values", "group"}
KW = {"by", "without", "on", "ignoring", "group_left", "group_right", "bool", "and", "or", "unless", "offset"}
exprs = []
def walk(p):
    for t in p.get("targets", []):
        if "expr" in t: exprs.append((p.get("title", "?"), t["expr"]))
    for q in p.get("panels", []): walk(q)
for p in dash["panels"]: walk(p)
for v in dash["templating"]["list"]:
    if v.get("type") == "query":
        q = v["query"]["query"] if isinstance(v["query"], dict) else v["query"]
        exprs.append((f"variable {v['name']}", q))
check(len(exprs) >= 10, f"only {len(exprs)} expressions")
used = set()
for title, e in exprs:
    x = re.sub(r"\$__\w+|\$\{\w+\}|\$\w+", "5m", e)
    x = re.sub(r'"(?:[^"\\]|\\.)*"', '""', x)
    check(x.count("(") == x.count(")") and x.count("{") == x.count("}") and x.count("[") == x.count("]"),
          f"{title}: unbalanced brackets in {e}")
    for m in re.finditer(r"([A-Za-z_:][A-Za-z0-9_:]*)\s*\{([^}]*)\}", re.sub(r'"(?:[^"\\]|\\.)*"', lambda q: q.group(0).replace(",", ";"), re.sub(r"\$__\w+|\$\{\w+\}|\$\w+", "v", e))):
        metric, body = m.group(1), m.group(2)
        for mm in re.finditer(r'(\w+)\s*(=~|!~|!=|=)\s*"([^"]*)"', body):
            lab = mm.group(1)
            for pre, labs in LABELS.items():
                if metric.startswith(pre):
                    check(lab in labs | {"job", "instance"}, f"{title}: {metric} has no label {lab}")
            if lab == "bound" and mm.group(2) == "=":
                check(mm.group(3) in BOUNDS, f"{title}: bound {mm.group(3)}")
    x = re.sub(r"\{[^}]*\}", "", x)
    x = re.sub(r"\[[^\]]*\]", "", x)
    x = re.sub(r"\b(by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)", " ", x)
    for m in re.finditer(r"[A-Za-z_:][A-Za-z0-9_:]*", x):
        tok = m.group(0)
        if re.match(r"\d", x[m.start() - 1:m.start()] or " "): continue  # 5m, 1e3
        follows = x[m.end():].lstrip()[:1]
        if tok in FUNCS or tok in AGGR:
            check(follows == "(", f"{title}: {tok} not called in {e}"); continue
        if tok in KW or tok in ("job", "namespace", "workload", "container", "horizon"): continue
        if check(tok in METRICS, f"{title}: unknown metric {tok} in {e}"): used.add(tok)
check({"augur_recommendation_cpu_cores", "augur_recommendation_memory_bytes", "augur_forecast_cpu_cores",
       "augur_forecast_memory_bytes", "kube_pod_container_resource_requests", "augur_ready",
       "augur_loop_failures_total"} <= used, f"dashboard leaves out {sorted(METRICS - used)}")
ids = []
def ids_of(p):
    ids.append(p.get("id"))
    for q in p.get("panels", []): ids_of(q)
for p in dash["panels"]: ids_of(p)
check(len(ids) == len(set(ids)), "panel ids unique")

# ---- 7. the Helm chart (not rendered: no helm here)
chart = os.path.join(deploy, "helm", "augur")
ch = yaml.safe_load(open(os.path.join(chart, "Chart.yaml")))
check(ch.get("apiVersion") == "v2" and ch.get("name") == "augur" and ch.get("version") and ch.get("appVersion"), "Chart.yaml")
values = yaml.safe_load(open(os.path.join(chart, "values.yaml")))
check(isinstance(values, dict), "values.yaml is a mapping")
check(values.get("actuator", {}).get("enabled") is False, "actuator.enabled defaults to false")
check("enabled" in values.get("serviceMonitor", {}), "serviceMonitor.enabled")
def has(v, path):
    for k in path:
        if not isinstance(v, dict) or k not in v: return False
        v = v[k]
    return True
defined, included = set(), set()
tpls = sorted(glob.glob(os.path.join(chart, "templates", "*")))
for p in tpls:
    t = open(p).read()
    for m in re.finditer(r"\.Values((?:\.[A-Za-z_][A-Za-z0-9_]*)+)", t):
        path = m.group(1).split(".")[1:]
        check(has(values, path), f"{rel(p)}: .Values.{'.'.join(path)} is not in values.yaml")
    acts_ = re.findall(r"\{\{-?\s*(if|with|range|define|end)\b", t)
    depth = 0
    for a in acts_:
        depth += -1 if a == "end" else 1
        if depth < 0: break
    check(depth == 0, f"{rel(p)}: unbalanced if/with/range/define ... end")
    check(t.count("{{") == t.count("}}"), f"{rel(p)}: unbalanced {{{{ }}}}")
    defined |= set(re.findall(r'define\s+"([^"]+)"', t))
    included |= set(re.findall(r'(?:include|template)\s+"([^"]+)"', t))
check(included <= defined, f"templates include undefined {sorted(included - defined)}")
tnames = {os.path.basename(p) for p in tpls}
check({"_helpers.tpl", "deployment.yaml", "service.yaml", "serviceaccount.yaml", "rbac.yaml", "actuator-rbac.yaml",
       "configmap.yaml", "servicemonitor.yaml"} <= tnames, f"chart templates {sorted(tnames)}")
check(re.match(r"\{\{-?\s*if \.Values\.actuator\.enabled", open(os.path.join(chart, "templates", "actuator-rbac.yaml")).read().lstrip()),
      "actuator RBAC behind actuator.enabled")
check(re.match(r"\{\{-?\s*if \.Values\.serviceMonitor\.enabled", open(os.path.join(chart, "templates", "servicemonitor.yaml")).read().lstrip()),
      "ServiceMonitor behind serviceMonitor.enabled")
# the chart's copies of the CRDs are those in deploy/crds, and its RBAC rules are the manifests'
for p in glob.glob(os.path.join(deploy, "crds", "*.yaml")):
    if os.path.basename(p) == "kustomization.yaml": continue
    q = os.path.join(chart, "crds", os.path.basename(p))
    check(os.path.exists(q) and open(q).read() == open(p).read(), f"{rel(q)} differs from {rel(p)}")
def tpl_rules(name):
    t = open(os.path.join(chart, "templates", name)).read()
    t = re.sub(r"(?m)^\s*\{\{[^}]*\}\}\s*$\n?", "", t)      # action-only lines
    t = re.sub(r"\{\{[^}]*\}\}", "x", t)
    docs = [d for d in yaml.safe_load_all(t) if isinstance(d, dict) and d.get("kind") == "ClusterRole"]
    return rules_of(docs[0])
check(tpl_rules("rbac.yaml") == want, "chart ClusterRole == deploy/kubernetes/rbac.yaml")
check(tpl_rules("actuator-rbac.yaml") == rules_of(acts["augur-actuator"]), "chart actuator ClusterRole == the manifests'")
dt = open(os.path.join(chart, "templates", "deployment.yaml")).read()
check("path: /healthz" in dt and "path: /readyz" in dt and "port: http" in dt, "chart probes /healthz, /readyz on http")
check(values.get("service", {}).get("port") == 8080 and values.get("port") == 8080, "chart port 8080")
skip("helm is not installed: the chart's templates are checked, not rendered")

print(f"{passed} passed, {failed} failed, {skipped} skipped")
sys.exit(1 if failed else 0)
PY
