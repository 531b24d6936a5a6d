/*
 * tests/k8s/test_policy.c - AugurPolicy objects: parsing and validation,
 * label selectors, resolving the selected workloads and writing status
 * (lib/k8s/policy.c), and the sorted lookup (lib/serve/wpolicy.c).
 *
 * The HTTP tests talk to tests/k8s/fake_apiserver.py on 127.0.0.1, a
 * replay of real-shaped lists (tests/k8s/data/augurpolicy_list.json,
 * cluster_*.json) that applies status merge patches to its policies.
 * Afterwards tests/k8s/check_log.py --augurpolicy checks the request log
 * (one list per collection per resolve, status patch bodies against the
 * CRD's openAPIV3Schema). Skips (77) when python3 is absent.
 */
#include <math.h>
#include "augur/k8s.h"
#include "augur/online.h"
#include "fake_server.h"
#include "util/alloc.h"

#define TOKEN "policy-token-7f3"
#define MIB (1024.0 * 1024.0)
#define API "/apis/augur.dev/v1alpha1/namespaces/"

static char tmpdir[256];

/* ---- helpers ------------------------------------------------------------ */

static void server_start(fake_server *s, const char *logname, const char *const *extra)
{
    fake_server_start(s, tmpdir, logname, TOKEN, NULL, extra);
}

static json_t *load(const char *text)
{
    json_error_t je;
    json_t *j = json_loads(text, 0, &je);

    if (!j)
        fail_msg("bad test JSON: %s: %s", je.text, text);
    return j;
}

/* An AugurPolicy shop/web with spec text. */
static json_t *policy_obj(const char *spec)
{
    char text[4096];

    snprintf(text, sizeof text,
             "{\"apiVersion\":\"augur.dev/v1alpha1\",\"kind\":\"AugurPolicy\","
             "\"metadata\":{\"name\":\"web\",\"namespace\":\"shop\",\"generation\":7,"
             "\"creationTimestamp\":\"2024-03-01T10:00:00Z\"},\"spec\":%s}",
             spec);
    return load(text);
}

/* ---- parsing ------------------------------------------------------------ */

/* deploy/examples/augurpolicy.yaml, as JSON. */
static const char example_spec[] =
    "{\"selector\":{\"matchLabels\":{\"tier\":\"web\"},\"matchExpressions\":["
    "{\"key\":\"app.kubernetes.io/name\",\"operator\":\"In\",\"values\":[\"cart\",\"frontend\"]},"
    "{\"key\":\"augur.dev/ignore\",\"operator\":\"DoesNotExist\"}]},"
    "\"namespaces\":[\"shop\"],\"policy\":\"stable\",\"riskBudget\":{\"cpu\":0.1,\"memory\":0.01},"
    "\"bounds\":{\"minAllowed\":{\"cpu\":\"50m\",\"memory\":\"64Mi\"},"
    "\"maxAllowed\":{\"cpu\":\"4\",\"memory\":\"8Gi\"}},\"horizon\":\"24h\",\"act\":false,"
    "\"updateMode\":\"Off\",\"maxUnavailableShare\":0.25}";

static void test_parse_example(void **state)
{
    json_t *obj = policy_obj(example_spec), *l;
    ag_k8s_policy_scope sc;
    ag_wpolicy w;
    ag_errinfo ei = {{0}};

    assert_int_equal(ag_k8s_policy_parse(obj, &w, &sc, &ei), AG_OK);
    assert_string_equal(w.policy_ns, "shop");
    assert_string_equal(w.policy_name, "web");
    assert_string_equal(w.ns, "");
    assert_int_equal(w.generation, 7);
    assert_int_equal(w.policy, AG_POLICY_STABLE);
    assert_double_near(w.cpu_risk, 0.1, 1e-12);
    assert_double_near(w.mem_risk, 0.01, 1e-12);
    assert_double_near(w.min_allowed[AG_CPU], 0.05, 1e-12);
    assert_double_near(w.min_allowed[AG_MEMORY], 64 * MIB, 1e-6);
    assert_double_near(w.max_allowed[AG_CPU], 4, 1e-12);
    assert_double_near(w.max_allowed[AG_MEMORY], 8192 * MIB, 1e-3);
    assert_int_equal(w.horizon_ms, 24 * 3600 * 1000LL);
    assert_int_equal(w.act, 0);
    assert_int_equal(w.mode, AG_ACT_OFF);
    assert_double_near(w.max_unavailable_share, 0.25, 1e-12);
    assert_int_equal(sc.nnamespaces, 1);
    assert_string_equal(sc.namespaces[0], "shop");
    assert_null(sc.ns_selector);
    assert_non_null(sc.selector);
    l = load("{\"tier\":\"web\",\"app.kubernetes.io/name\":\"cart\",\"team\":\"x\"}");
    assert_true(ag_k8s_selector_matches(sc.selector, l));
    json_object_set_new(l, "augur.dev/ignore", json_string("true"));
    assert_false(ag_k8s_selector_matches(sc.selector, l));
    json_decref(l);
    ag_k8s_policy_scope_free(&sc);
    assert_null(sc.selector);
    json_decref(obj);

    /* Another policy, act on; no scope wanted. */
    obj =
        policy_obj("{\"policy\":\"cost-saving\",\"act\":true,\"updateMode\":\"InPlaceOrRecreate\","
                   "\"horizon\":\"1h30m\",\"maxUnavailableShare\":1,"
                   "\"bounds\":{\"maxAllowed\":{\"cpu\":2,\"memory\":\"1G\"}},"
                   "\"namespaceSelector\":{}}");
    assert_int_equal(ag_k8s_policy_parse(obj, &w, NULL, &ei), AG_OK);
    assert_int_equal(w.policy, AG_POLICY_COST_SAVING);
    assert_int_equal(w.act, 1);
    assert_int_equal(w.mode, AG_ACT_INPLACE);
    assert_int_equal(w.horizon_ms, 90 * 60 * 1000LL);
    assert_double_near(w.max_unavailable_share, 1, 0);
    assert_double_near(w.max_allowed[AG_CPU], 2, 0);
    assert_double_near(w.max_allowed[AG_MEMORY], 1e9, 0);
    assert_true(isnan(w.min_allowed[AG_CPU]));
    json_decref(obj);
}

static void test_parse_defaults(void **state)
{
    json_t *obj = policy_obj("{}");
    ag_k8s_policy_scope sc;
    ag_wpolicy w;
    ag_errinfo ei = {{0}};

    assert_int_equal(ag_k8s_policy_parse(obj, &w, &sc, &ei), AG_OK);
    assert_int_equal(w.policy, AG_POLICY_STABLE);
    assert_true(isnan(w.cpu_risk) && isnan(w.mem_risk));
    for (int r = 0; r < AG_NRES; r++)
        assert_true(isnan(w.min_allowed[r]) && isnan(w.max_allowed[r]));
    assert_int_equal(w.horizon_ms, 24 * 3600 * 1000LL);
    assert_int_equal(w.act, 0);
    assert_int_equal(w.mode, AG_ACT_OFF);
    assert_double_near(w.max_unavailable_share, 0.25, 0);
    assert_non_null(sc.selector); /* empty: everything */
    assert_true(ag_k8s_selector_matches(sc.selector, NULL));
    assert_null(sc.ns_selector);
    assert_int_equal(sc.nnamespaces, 0);
    ag_k8s_policy_scope_free(&sc);
    json_decref(obj);

    /* JSON null is absent, as the API server would drop it. */
    obj = policy_obj("{\"horizon\":null,\"selector\":null,\"namespaceSelector\":null}");
    assert_int_equal(ag_k8s_policy_parse(obj, &w, &sc, &ei), AG_OK);
    assert_null(sc.ns_selector);
    assert_int_equal(w.horizon_ms, 24 * 3600 * 1000LL);
    ag_k8s_policy_scope_free(&sc);
    json_decref(obj);
}

/* Every bad field: AG_EINVAL naming the object and the field path. */
static void test_parse_errors(void **state)
{
    static const struct {
        const char *spec, *msg;
    } cases[] = {
        {"{\"bounds\":{\"maxAllowed\":{\"memory\":\"8Gx\"}}}",
         "spec.bounds.maxAllowed.memory: \"8Gx\" is not a quantity"},
        {"{\"bounds\":{\"minAllowed\":{\"cpu\":\"4\"},\"maxAllowed\":{\"cpu\":\"2\"}}}",
         "spec.bounds: minAllowed.cpu (4) is above maxAllowed.cpu (2)"},
        {"{\"bounds\":{\"minAllowed\":{\"memory\":\"2Gi\"},\"maxAllowed\":{\"memory\":\"1Gi\"}}}",
         "spec.bounds: minAllowed.memory (2Gi) is above maxAllowed.memory (1Gi)"},
        {"{\"bounds\":{\"minAllowed\":{\"memory\":\"-1Gi\"}}}",
         "spec.bounds.minAllowed.memory: \"-1Gi\" is negative"},
        {"{\"bounds\":{\"minAllowed\":{\"cpu\":true}}}",
         "spec.bounds.minAllowed.cpu: true is not a quantity"},
        {"{\"bounds\":{\"maxAllowed\":{\"nvidia.com/gpu\":\"1\"}}}",
         "spec.bounds.maxAllowed: \"nvidia.com/gpu\" is not a resource augur sizes"},
        {"{\"bounds\":[]}", "spec.bounds: an array is not an object"},
        {"{\"riskBudget\":{\"cpu\":0}}", "spec.riskBudget.cpu: 0 is not a number in (0, 1)"},
        {"{\"riskBudget\":{\"memory\":1.5}}",
         "spec.riskBudget.memory: 1.5 is not a number in (0, 1)"},
        {"{\"riskBudget\":{\"cpu\":\"0.1\"}}",
         "spec.riskBudget.cpu: \"0.1\" is not a number in (0, 1)"},
        {"{\"riskBudget\":{\"cpu\":1}}", "spec.riskBudget.cpu: 1 is not a number in (0, 1)"},
        {"{\"policy\":\"cheap\"}", "spec.policy: \"cheap\" is not stable or cost-saving"},
        {"{\"policy\":3}", "spec.policy: 3 is not stable or cost-saving"},
        {"{\"horizon\":\"300\"}", "spec.horizon: \"300\" is not a duration"},
        {"{\"horizon\":\"1y\"}", "spec.horizon: \"1y\" is not a duration"},
        {"{\"horizon\":\"1m1h\"}", "spec.horizon: \"1m1h\" is not a duration"},
        {"{\"horizon\":\"0s\"}", "spec.horizon: \"0s\" is not positive"},
        {"{\"act\":\"yes\"}", "spec.act: \"yes\" is not true or false"},
        {"{\"updateMode\":\"Auto\"}",
         "spec.updateMode: \"Auto\" is not Off, Initial, Recreate or InPlaceOrRecreate"},
        {"{\"maxUnavailableShare\":1.5}",
         "spec.maxUnavailableShare: 1.5 is not a number in [0, 1]"},
        {"{\"maxUnavailableShare\":-0.1}",
         "spec.maxUnavailableShare: -0.1 is not a number in [0, 1]"},
        {"{\"namespaces\":[\"shop\",\"Shop\"]}",
         "spec.namespaces[1]: \"Shop\" is not a namespace name"},
        {"{\"namespaces\":\"shop\"}", "spec.namespaces: \"shop\" is not an array"},
        {"{\"selector\":{\"matchExpressions\":[{\"key\":\"a\",\"operator\":\"Has\"}]}}",
         "spec.selector.matchExpressions[0].operator: \"Has\" is not In, NotIn, Exists or "
         "DoesNotExist"},
        {"{\"selector\":{\"matchExpressions\":[{\"key\":\"a\",\"operator\":\"In\"}]}}",
         "spec.selector.matchExpressions[0].values: must be non-empty for In"},
        {"{\"selector\":{\"matchExpressions\":[{\"key\":\"a\",\"operator\":\"NotIn\","
         "\"values\":[]}]}}",
         "spec.selector.matchExpressions[0].values: must be non-empty for NotIn"},
        {"{\"selector\":{\"matchExpressions\":[{\"key\":\"a\",\"operator\":\"In\","
         "\"values\":[\"x\"]},{\"key\":\"b\",\"operator\":\"Exists\",\"values\":[\"y\"]}]}}",
         "spec.selector.matchExpressions[1].values: must be empty for Exists"},
        {"{\"selector\":{\"matchExpressions\":[{\"operator\":\"Exists\"}]}}",
         "spec.selector.matchExpressions[0].key: required"},
        {"{\"selector\":{\"matchExpressions\":[{\"key\":\"a\"}]}}",
         "spec.selector.matchExpressions[0].operator: required"},
        {"{\"selector\":{\"matchExpressions\":[{\"key\":\"a/b/c\",\"operator\":\"Exists\"}]}}",
         "spec.selector.matchExpressions[0].key: \"a/b/c\" is not a label key"},
        {"{\"selector\":{\"matchExpressions\":[{\"key\":\"a\",\"operator\":\"In\","
         "\"values\":[\"ok\",\"not ok\"]}]}}",
         "spec.selector.matchExpressions[0].values[1]: \"not ok\" is not a label value"},
        {"{\"selector\":{\"matchExpressions\":{}}}",
         "spec.selector.matchExpressions: an object is not an array"},
        {"{\"selector\":{\"matchLabels\":{\"app\":\"a b\"}}}",
         "spec.selector.matchLabels.app: \"a b\" is not a label value"},
        {"{\"selector\":{\"matchLabels\":{\"-app\":\"a\"}}}",
         "spec.selector.matchLabels: \"-app\" is not a label key"},
        {"{\"selector\":{\"matchLabels\":{\"app\":1}}}",
         "spec.selector.matchLabels.app: 1 is not a label value"},
        {"{\"namespaceSelector\":\"team=shop\"}",
         "spec.namespaceSelector: \"team=shop\" is not a label selector (an object)"},
        {"{\"namespaceSelector\":{\"matchExpressions\":[{\"key\":\"env\",\"operator\":\"in\","
         "\"values\":[\"prod\"]}]}}",
         "spec.namespaceSelector.matchExpressions[0].operator: \"in\" is not In"},
        {"[]", "spec: an array is not an object"},
    };
    ag_k8s_policy_scope sc;
    ag_wpolicy w;
    ag_errinfo ei;
    json_t *obj;

    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        memset(&w, 0x5a, sizeof w);
        memset(&sc, 0x5a, sizeof sc);
        ei.msg[0] = '\0';
        obj = policy_obj(cases[i].spec);
        assert_int_equal(ag_k8s_policy_parse(obj, &w, &sc, &ei), AG_EINVAL);
        if (strncmp(ei.msg, "AugurPolicy shop/web: ", 22) != 0 || !strstr(ei.msg, cases[i].msg))
            fail_msg("case %zu: message \"%s\", expected \"AugurPolicy shop/web: %s\"", i, ei.msg,
                     cases[i].msg);
        assert_null(sc.selector);
        assert_null(sc.ns_selector);
        assert_null(sc.namespaces);
        assert_int_equal(((unsigned char *)&w)[0], 0x5a); /* untouched */
        json_decref(obj);
    }
    /* The message of the brief, whole. */
    obj = policy_obj("{\"bounds\":{\"maxAllowed\":{\"memory\":\"8Gx\"}}}");
    assert_int_equal(ag_k8s_policy_parse(obj, &w, NULL, &ei), AG_EINVAL);
    assert_string_equal(ei.msg,
                        "AugurPolicy shop/web: spec.bounds.maxAllowed.memory: \"8Gx\" is not a "
                        "quantity");
    json_decref(obj);

    /* The object itself. */
    obj = load("{\"metadata\":{\"namespace\":\"shop\"},\"spec\":{}}");
    assert_int_equal(ag_k8s_policy_parse(obj, &w, NULL, &ei), AG_EINVAL);
    assert_string_equal(ei.msg, "AugurPolicy shop/?: metadata.name: missing or too long");
    json_decref(obj);
    obj = load("{\"metadata\":{\"namespace\":\"shop\",\"name\":\"web\"}}");
    assert_int_equal(ag_k8s_policy_parse(obj, &w, NULL, &ei), AG_EINVAL);
    assert_string_equal(ei.msg, "AugurPolicy shop/web: spec: required");
    json_decref(obj);
    obj = load("[1]");
    assert_int_equal(ag_k8s_policy_parse(obj, &w, NULL, &ei), AG_EINVAL);
    assert_string_equal(ei.msg, "AugurPolicy ?/?: not a JSON object");
    json_decref(obj);
}

/* Every allocation failing in turn: AG_ENOMEM, an empty scope, no leak. */
static void test_parse_oom(void **state)
{
    json_t *obj = policy_obj(example_spec);
    ag_k8s_policy_scope sc;
    ag_wpolicy w;
    ag_errinfo ei = {{0}};
    long n;

    for (n = 1; n < 200; n++) {
        ag_err rc;
        ag__alloc_fail_after(n);
        rc = ag_k8s_policy_parse(obj, &w, &sc, &ei);
        ag__alloc_fail_after(0);
        if (rc == AG_OK)
            break;
        assert_int_equal(rc, AG_ENOMEM);
        assert_null(sc.selector);
        assert_null(sc.namespaces);
    }
    assert_true(n > 5 && n < 200);
    assert_int_equal(sc.nnamespaces, 1);
    ag_k8s_policy_scope_free(&sc);
    json_decref(obj);
}

/* ---- label selectors ----------------------------------------------------- */

static void test_selector_table(void **state)
{
    static const struct {
        const char *sel, *labels;
        int want;
    } cases[] = {
        {"{}", "{}", 1},
        {"{}", "null", 1},
        {"{\"matchLabels\":{},\"matchExpressions\":[]}", "{\"a\":\"1\"}", 1},
        {"{\"matchLabels\":{\"a\":\"1\"}}", "{\"a\":\"1\",\"b\":\"2\"}", 1},
        {"{\"matchLabels\":{\"a\":\"1\"}}", "{\"a\":\"2\"}", 0},
        {"{\"matchLabels\":{\"a\":\"1\"}}", "{}", 0},
        {"{\"matchLabels\":{\"a\":\"1\"}}", "null", 0},
        {"{\"matchLabels\":{\"a\":\"1\",\"b\":\"2\"}}", "{\"a\":\"1\"}", 0},
        {"{\"matchLabels\":{\"a\":\"\"}}", "{\"a\":\"\"}", 1},
        {"{\"matchLabels\":{\"a\":\"\"}}", "{}", 0},
        {"{\"matchExpressions\":[{\"key\":\"k\",\"operator\":\"In\",\"values\":[\"x\",\"y\"]}]}",
         "{\"k\":\"y\"}", 1},
        {"{\"matchExpressions\":[{\"key\":\"k\",\"operator\":\"In\",\"values\":[\"x\",\"y\"]}]}",
         "{\"k\":\"z\"}", 0},
        {"{\"matchExpressions\":[{\"key\":\"k\",\"operator\":\"In\",\"values\":[\"x\"]}]}", "{}",
         0},
        {"{\"matchExpressions\":[{\"key\":\"k\",\"operator\":\"NotIn\",\"values\":[\"x\"]}]}",
         "{\"k\":\"x\"}", 0},
        {"{\"matchExpressions\":[{\"key\":\"k\",\"operator\":\"NotIn\",\"values\":[\"x\"]}]}",
         "{\"k\":\"y\"}", 1},
        {"{\"matchExpressions\":[{\"key\":\"k\",\"operator\":\"NotIn\",\"values\":[\"x\"]}]}", "{}",
         1},
        {"{\"matchExpressions\":[{\"key\":\"k\",\"operator\":\"Exists\"}]}", "{\"k\":\"\"}", 1},
        {"{\"matchExpressions\":[{\"key\":\"k\",\"operator\":\"Exists\",\"values\":[]}]}", "{}", 0},
        {"{\"matchExpressions\":[{\"key\":\"k\",\"operator\":\"DoesNotExist\"}]}", "{}", 1},
        {"{\"matchExpressions\":[{\"key\":\"k\",\"operator\":\"DoesNotExist\"}]}", "{\"k\":\"v\"}",
         0},
        {"{\"matchExpressions\":[{\"key\":\"example.com/k\",\"operator\":\"Exists\"}]}",
         "{\"example.com/k\":\"v\"}", 1},
        {"{\"matchExpressions\":[{\"key\":\"example.com/k\",\"operator\":\"Exists\"}]}",
         "{\"k\":\"v\"}", 0},
        /* ANDed */
        {"{\"matchLabels\":{\"a\":\"1\"},\"matchExpressions\":[{\"key\":\"b\",\"operator\":"
         "\"NotIn\",\"values\":[\"2\"]}]}",
         "{\"a\":\"1\",\"b\":\"2\"}", 0},
        {"{\"matchLabels\":{\"a\":\"1\"},\"matchExpressions\":[{\"key\":\"b\",\"operator\":"
         "\"NotIn\",\"values\":[\"2\"]}]}",
         "{\"a\":\"1\",\"b\":\"3\"}", 1},
        {"{\"matchLabels\":{\"a\":\"1\"},\"matchExpressions\":[{\"key\":\"b\",\"operator\":"
         "\"NotIn\",\"values\":[\"2\"]}]}",
         "{\"a\":\"1\"}", 1},
        {"{\"matchLabels\":{\"a\":\"1\"},\"matchExpressions\":[{\"key\":\"b\",\"operator\":"
         "\"NotIn\",\"values\":[\"2\"]}]}",
         "{\"b\":\"3\"}", 0},
        {"{\"matchExpressions\":[{\"key\":\"a\",\"operator\":\"Exists\"},{\"key\":\"a\","
         "\"operator\":\"In\",\"values\":[\"1\"]}]}",
         "{\"a\":\"2\"}", 0},
    };
    ag_errinfo ei = {{0}};

    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        json_t *sel = load(cases[i].sel);
        json_t *labels = json_loads(cases[i].labels, JSON_DECODE_ANY, NULL);
        ag_k8s_selector *s = NULL;
        assert_int_equal(ag_k8s_selector_parse(sel, "sel", &s, &ei), AG_OK);
        if (ag_k8s_selector_matches(s, json_is_null(labels) ? NULL : labels) != cases[i].want)
            fail_msg("case %zu: %s against %s: expected %d", i, cases[i].sel, cases[i].labels,
                     cases[i].want);
        ag_k8s_selector_free(s);
        json_decref(sel);
        json_decref(labels);
    }
    /* NULL selectors match everything; the field names the messages. */
    assert_true(ag_k8s_selector_matches(NULL, NULL));
    {
        ag_k8s_selector *s = NULL;
        json_t *sel = load("{\"matchLabels\":[]}");
        assert_int_equal(ag_k8s_selector_parse(NULL, NULL, &s, &ei), AG_OK);
        assert_true(ag_k8s_selector_matches(s, NULL));
        ag_k8s_selector_free(s);
        assert_int_equal(ag_k8s_selector_parse(sel, "x.sel", &s, &ei), AG_EINVAL);
        assert_null(s);
        assert_string_equal(ei.msg, "x.sel.matchLabels: an array is not an object");
        json_decref(sel);
    }
}

/* ---- wpolicy ------------------------------------------------------------- */

static void test_wpolicy_find(void **state)
{
    static const char *const keys[][3] = {{"shop", "StatefulSet", "db"},
                                          {"batch", "CronJob", "report"},
                                          {"shop", "Deployment", "web"},
                                          {"shop", "Deployment", "cart"},
                                          {"default", "Deployment", "api"}};
    ag_wpolicy v[5];
    ag_act_mode m;

    memset(v, 0, sizeof v);
    for (int i = 0; i < 5; i++) {
        snprintf(v[i].ns, sizeof v[i].ns, "%s", keys[i][0]);
        snprintf(v[i].kind, sizeof v[i].kind, "%s", keys[i][1]);
        snprintf(v[i].name, sizeof v[i].name, "%s", keys[i][2]);
        v[i].generation = i;
    }
    ag_wpolicy_sort(v, 5);
    assert_string_equal(v[0].ns, "batch");
    assert_string_equal(v[2].name, "cart");
    assert_string_equal(v[4].kind, "StatefulSet");
    for (int i = 0; i < 5; i++) {
        const ag_wpolicy *f = ag_wpolicy_find(v, 5, keys[i][0], keys[i][1], keys[i][2]);
        assert_non_null(f);
        assert_int_equal(f->generation, i);
    }
    assert_null(ag_wpolicy_find(v, 5, "shop", "StatefulSet", "web")); /* other kind */
    assert_null(ag_wpolicy_find(v, 5, "shop", "Deployment", "zzz"));
    assert_null(ag_wpolicy_find(v, 5, "a", "Deployment", "web"));
    assert_null(ag_wpolicy_find(NULL, 0, "shop", "Deployment", "web"));
    assert_null(ag_wpolicy_find(v, 0, "shop", "Deployment", "web"));

    assert_string_equal(ag_act_mode_name(AG_ACT_INPLACE), "InPlaceOrRecreate");
    assert_string_equal(ag_act_mode_name(AG_ACT_INITIAL), "Initial");
    assert_int_equal(ag_act_mode_parse("Recreate", &m), AG_OK);
    assert_int_equal(m, AG_ACT_RECREATE);
    assert_int_equal(ag_act_mode_parse("Off", &m), AG_OK);
    assert_int_equal(m, AG_ACT_OFF);
    assert_int_equal(ag_act_mode_parse("off", &m), AG_EINVAL);
    assert_int_equal(ag_act_mode_parse(NULL, &m), AG_EINVAL);
}

/* ---- resolve -------------------------------------------------------------- */

/* What resolving tests/k8s/data gives, sorted. */
static const char *const want_sel[][5] = {
    {"batch", "CronJob", "report", "batch", "reports"},
    {"batch", "Job", "etl-backfill", "batch", "reports"},
    {"default", "Deployment", "api", "kube-system", "infra"},
    {"kube-system", "DaemonSet", "node-agent", "kube-system", "infra"},
    {"shop", "Deployment", "cart", "shop", "web"},
    {"shop", "Deployment", "checkout", "shop", "all-shop"},
    {"shop", "Deployment", "frontend", "shop", "web"},
    {"shop", "Deployment", "legacy", "shop", "all-shop"},
    {"shop", "StatefulSet", "db", "shop", "all-shop"},
    {"shop-canary", "Deployment", "cart-canary", "shop", "all-shop"},
    {"shop-canary", "Deployment", "frontend-canary", "kube-system", "infra"},
};
#define NWANT (sizeof want_sel / sizeof want_sel[0])

static void check_resolved(const ag_wpolicy *wp, size_t n, const ag_k8s_policy_stats *st)
{
    const ag_wpolicy *w;

    assert_int_equal(st->seen, 5);
    assert_int_equal(st->invalid, 1); /* default/broken */
    assert_int_equal(st->namespaces, 6);
    assert_int_equal(st->workloads, 14); /* 8 + 2 + 2 + 1 (+1 of the CronJob) + 1 */
    assert_int_equal(st->selected, NWANT);
    assert_int_equal(st->conflicts, 3); /* cart, frontend, frontend-canary */
    assert_int_equal(n, NWANT);
    for (size_t i = 0; i < NWANT; i++) {
        if (strcmp(wp[i].ns, want_sel[i][0]) || strcmp(wp[i].kind, want_sel[i][1]) ||
            strcmp(wp[i].name, want_sel[i][2]) || strcmp(wp[i].policy_ns, want_sel[i][3]) ||
            strcmp(wp[i].policy_name, want_sel[i][4]))
            fail_msg("entry %zu: %s %s/%s by %s/%s, expected %s %s/%s by %s/%s", i, wp[i].kind,
                     wp[i].ns, wp[i].name, wp[i].policy_ns, wp[i].policy_name, want_sel[i][1],
                     want_sel[i][0], want_sel[i][2], want_sel[i][3], want_sel[i][4]);
    }
    /* What each policy sets came along. */
    w = ag_wpolicy_find(wp, n, "shop-canary", "Deployment", "frontend-canary");
    assert_non_null(w);
    assert_int_equal(w->act, 1);
    assert_int_equal(w->mode, AG_ACT_INPLACE);
    assert_double_near(w->max_unavailable_share, 0.5, 0);
    assert_double_near(w->cpu_risk, 0.05, 0);
    assert_true(isnan(w->mem_risk));
    assert_int_equal(w->horizon_ms, 12 * 3600 * 1000LL);
    w = ag_wpolicy_find(wp, n, "shop", "Deployment", "frontend");
    assert_non_null(w);
    assert_int_equal(w->generation, 3);
    assert_double_near(w->max_allowed[AG_MEMORY], 8192 * MIB, 1e-3);
    assert_double_near(w->min_allowed[AG_CPU], 0.05, 1e-12);
    w = ag_wpolicy_find(wp, n, "batch", "CronJob", "report");
    assert_non_null(w);
    assert_int_equal(w->policy, AG_POLICY_COST_SAVING);
    assert_int_equal(w->horizon_ms, 7 * 86400 * 1000LL);
    /* Not selected: a CronJob's Job, a workload of the invalid policy,
     * one no policy covers, one whose labels do not match. */
    assert_null(ag_wpolicy_find(wp, n, "batch", "Job", "report-28573920"));
    assert_null(ag_wpolicy_find(wp, n, "default", "Deployment", "nginx"));
    assert_null(ag_wpolicy_find(wp, n, "kube-system", "DaemonSet", "kube-proxy"));
    assert_null(ag_wpolicy_find(wp, n, "batch", "StatefulSet", "warehouse"));
}

static ag_view_rec *add_rec(ag_view *v, const char *ns, const char *kind, const char *name,
                            const char *container)
{
    ag_view_rec *r = &v->recs[v->nrecs++];

    snprintf(r->ns, sizeof r->ns, "%s", ns);
    snprintf(r->kind, sizeof r->kind, "%s", kind);
    snprintf(r->name, sizeof r->name, "%s", name);
    snprintf(r->container, sizeof r->container, "%s", container);
    r->pods = 2;
    r->algorithm = "augur";
    r->policy = "stable";
    snprintf(r->reason, sizeof r->reason, "augur: stable, p90 of the hourly forecast");
    r->changed_ms = 1716200000000LL; /* 2024-05-20T10:13:20Z */
    for (int i = 0; i < AG_NRES; i++) {
        r->request[i] = r->limit[i] = NAN;
        r->rec.status[i] = AG_REC_OK;
        r->rec.res[i].limit = NAN;
    }
    return r;
}

static void set_res(ag_view_rec *r, int res, double target, double lower, double upper)
{
    r->rec.res[res].target = r->rec.res[res].uncapped = target;
    r->rec.res[res].lower = lower;
    r->rec.res[res].upper = upper;
}

/* A view; extra_cart more containers of shop/Deployment/cart. */
static ag_view *make_view(double frontend_cpu, size_t extra_cart)
{
    ag_view *v = ag__calloc(1, sizeof *v);
    ag_view_rec *r;

    assert_non_null(v);
    v->recs = ag__calloc(16 + extra_cart, sizeof *v->recs);
    assert_non_null(v->recs);
    v->algorithm = "augur";
    /* Out of order on purpose: the writer sorts. */
    r = add_rec(v, "shop", "Deployment", "frontend", "sidecar");
    set_res(r, AG_CPU, 0.02, 0.01, 0.05);
    set_res(r, AG_MEMORY, 48 * MIB, 40 * MIB, 64 * MIB);
    r = add_rec(v, "shop", "Deployment", "frontend", "app");
    set_res(r, AG_CPU, frontend_cpu, 0.5, 0.9);
    set_res(r, AG_MEMORY, 400 * MIB, 300 * MIB, 600 * MIB);
    r->reason[0] = '\0';
    r = add_rec(v, "shop", "Deployment", "cart", "app");
    set_res(r, AG_CPU, 0.25, NAN, NAN);
    r->rec.status[AG_MEMORY] = AG_REC_NO_DATA;
    r = add_rec(v, "shop", "Deployment", "checkout", "app"); /* all-shop: no data yet */
    r->rec.status[AG_CPU] = AG_REC_NO_DATA;
    r->rec.status[AG_MEMORY] = AG_REC_NOT_ENOUGH;
    r = add_rec(v, "batch", "CronJob", "report", "report");
    set_res(r, AG_CPU, 1.5, 1, 2);
    set_res(r, AG_MEMORY, 1024 * MIB, 900 * MIB, 1200 * MIB);
    r = add_rec(v, "default", "Deployment", "api", "api");
    set_res(r, AG_CPU, 0.1, 0.05, 0.2);
    r->rec.status[AG_MEMORY] = AG_REC_NO_DATA;
    r = add_rec(v, "default", "Deployment", "nginx", "nginx"); /* no (valid) policy */
    set_res(r, AG_CPU, 0.1, 0.05, 0.2);
    set_res(r, AG_MEMORY, 64 * MIB, 32 * MIB, 96 * MIB);
    r = add_rec(v, "shop", "StatefulSet", "frontend", "app"); /* same name, other kind */
    set_res(r, AG_CPU, 3, 3, 3);
    for (size_t i = 0; i < extra_cart; i++) {
        char c[32];
        snprintf(c, sizeof c, "worker-%04zu", i);
        r = add_rec(v, "shop", "Deployment", "cart", c);
        set_res(r, AG_CPU, 0.1, 0.05, 0.2);
        set_res(r, AG_MEMORY, 100 * MIB, 90 * MIB, 110 * MIB);
    }
    return v;
}

static json_t *get_policy(ag_k8s *k, const char *ns, const char *name)
{
    char path[256];
    json_t *obj = NULL;
    ag_errinfo ei = {{0}};

    snprintf(path, sizeof path, API "%s/augurpolicies/%s", ns, name);
    assert_int_equal(ag_k8s_get(k, path, &obj, &ei), AG_OK);
    return obj;
}

static json_t *cond(const json_t *obj, const char *type)
{
    json_t *c;
    size_t i;

    json_array_foreach(json_object_get(json_object_get(obj, "status"), "conditions"), i, c)
    {
        if (strcmp(json_string_value(json_object_get(c, "type")), type) == 0)
            return c;
    }
    fail_msg("no %s condition", type);
    return NULL;
}

static const char *cs(const json_t *obj, const char *type, const char *field)
{
    return json_string_value(json_object_get(cond(obj, type), field));
}

static json_t *recs_of(const json_t *obj)
{
    return json_object_get(json_object_get(obj, "status"), "recommendations");
}

static const char *rq(const json_t *e, const char *field, const char *res)
{
    return json_string_value(json_object_get(json_object_get(e, field), res));
}

static void test_resolve_and_status(void **state)
{
    static const char *const extra[] = {"--page-size", "2", "--conflict", "shop/web", NULL};
    char rpt[64];
    ag_k8s_policies *pols = NULL;
    ag_wpolicy *wp = NULL;
    size_t n = 0;
    ag_k8s_policy_stats st;
    ag_k8s_policy_status_stats ss;
    ag_errinfo ei = {{0}};
    ag_view *v;
    json_t *obj, *recs, *e;
    fake_server s;
    ag_k8s *k;

    server_start(&s, "policy-requests.jsonl", extra);
    k = fake_server_client(&s, TOKEN);

    assert_int_equal(ag_k8s_policies_resolve(k, &pols, &wp, &n, &st, &ei), AG_OK);
    check_resolved(wp, n, &st);

    /* 1: every policy gets a status; the 409 on shop/web is retried. */
    v = make_view(0.6, 0);
    assert_int_equal(ag_k8s_policy_status_sync(k, pols, v, &ss, &ei), AG_OK);
    assert_int_equal(ss.seen, 5);
    assert_int_equal(ss.written, 5);
    assert_int_equal(ss.unchanged, 0);
    assert_int_equal(ss.conflicts, 1);
    assert_int_equal(ss.errors, 0);
    assert_int_equal(ss.truncated, 0);

    obj = get_policy(k, "shop", "web");
    assert_int_equal(
        json_integer_value(json_object_get(json_object_get(obj, "status"), "observedGeneration")),
        3);
    assert_non_null(
        json_string_value(json_object_get(json_object_get(obj, "status"), "lastUpdateTime")));
    recs = recs_of(obj);
    assert_int_equal(json_array_size(recs), 3); /* cart/app, frontend/app, frontend/sidecar */
    e = json_array_get(recs, 0);
    assert_string_equal(json_string_value(json_object_get(e, "namespace")), "shop");
    assert_string_equal(json_string_value(json_object_get(json_object_get(e, "workload"), "kind")),
                        "Deployment");
    assert_string_equal(json_string_value(json_object_get(json_object_get(e, "workload"), "name")),
                        "cart");
    assert_string_equal(json_string_value(json_object_get(e, "container")), "app");
    assert_string_equal(rq(e, "target", "cpu"), "250m");
    assert_string_equal(rq(e, "lowerBound", "cpu"), "250m"); /* no bound: the target */
    assert_null(rq(e, "target", "memory"));                  /* no data */
    assert_string_equal(json_string_value(json_object_get(e, "reason")),
                        "augur: stable, p90 of the hourly forecast");
    assert_string_equal(json_string_value(json_object_get(e, "time")), "2024-05-20T10:13:20Z");
    e = json_array_get(recs, 1);
    assert_string_equal(json_string_value(json_object_get(e, "container")), "app");
    assert_string_equal(rq(e, "target", "cpu"), "600m");
    assert_string_equal(rq(e, "lowerBound", "cpu"), "500m");
    assert_string_equal(rq(e, "upperBound", "cpu"), "900m");
    assert_string_equal(rq(e, "target", "memory"), "400Mi");
    assert_string_equal(rq(e, "upperBound", "memory"), "600Mi");
    assert_null(json_object_get(e, "reason")); /* empty: left out */
    e = json_array_get(recs, 2);
    assert_string_equal(json_string_value(json_object_get(e, "container")), "sidecar");
    assert_string_equal(rq(e, "target", "memory"), "48Mi");
    /* Ready stayed True: its transition time is kept; the others are new. */
    assert_string_equal(cs(obj, "Ready", "status"), "True");
    assert_string_equal(cs(obj, "Ready", "lastTransitionTime"), "2024-03-01T10:00:05Z");
    assert_int_equal(json_integer_value(json_object_get(cond(obj, "Ready"), "observedGeneration")),
                     3);
    assert_string_equal(cs(obj, "RecommendationProvided", "status"), "True");
    assert_string_equal(cs(obj, "RecommendationProvided", "reason"), "Provided");
    assert_string_equal(cs(obj, "RecommendationProvided", "message"),
                        "2 of 2 selected workloads have a recommendation (3 containers)");
    snprintf(rpt, sizeof rpt, "%s", cs(obj, "RecommendationProvided", "lastTransitionTime"));
    assert_string_equal(cs(obj, "Conflict", "status"), "False");
    /* Another writer's condition stays. */
    assert_string_equal(cs(obj, "Acting", "reason"), "ActDisabled");
    assert_int_equal(json_array_size(json_object_get(json_object_get(obj, "status"), "conditions")),
                     4);
    json_decref(obj);

    /* The policy that lost three workloads, and has no data for its own. */
    obj = get_policy(k, "shop", "all-shop");
    assert_int_equal(json_array_size(recs_of(obj)), 0);
    assert_string_equal(cs(obj, "Conflict", "status"), "True");
    assert_string_equal(cs(obj, "Conflict", "reason"), "SelectedByOlderPolicy");
    assert_non_null(strstr(cs(obj, "Conflict", "message"),
                           "3 selected workloads are left to an older AugurPolicy"));
    assert_non_null(
        strstr(cs(obj, "Conflict", "message"), "Deployment shop/cart (AugurPolicy shop/web)"));
    assert_non_null(
        strstr(cs(obj, "Conflict", "message"),
               "Deployment shop-canary/frontend-canary (AugurPolicy kube-system/infra)"));
    assert_string_equal(cs(obj, "RecommendationProvided", "status"), "False");
    assert_string_equal(cs(obj, "RecommendationProvided", "reason"), "NoData");
    assert_string_equal(cs(obj, "RecommendationProvided", "message"),
                        "none of the 4 selected workloads has a recommendation yet (no or too "
                        "little usage data)");
    assert_string_equal(cs(obj, "Ready", "message"), "the spec is valid; it selects 4 workloads");
    json_decref(obj);

    /* The invalid one says why. */
    obj = get_policy(k, "default", "broken");
    assert_string_equal(cs(obj, "Ready", "status"), "False");
    assert_string_equal(cs(obj, "Ready", "reason"), "InvalidSpec");
    assert_string_equal(cs(obj, "Ready", "message"),
                        "AugurPolicy default/broken: spec.bounds: minAllowed.cpu (4) is above "
                        "maxAllowed.cpu (2)");
    assert_string_equal(cs(obj, "RecommendationProvided", "reason"), "InvalidSpec");
    assert_int_equal(
        json_integer_value(json_object_get(json_object_get(obj, "status"), "observedGeneration")),
        2);
    json_decref(obj);

    obj = get_policy(k, "kube-system", "infra"); /* api has cpu only; node-agent no rec */
    recs = recs_of(obj);
    assert_int_equal(json_array_size(recs), 1);
    assert_string_equal(rq(json_array_get(recs, 0), "target", "cpu"), "100m");
    assert_null(rq(json_array_get(recs, 0), "target", "memory"));
    assert_string_equal(cs(obj, "RecommendationProvided", "message"),
                        "1 of 3 selected workloads has a recommendation (1 container)");
    json_decref(obj);

    /* 2: nothing changed (but the time): no patch. */
    assert_int_equal(ag_k8s_policy_status_sync(k, pols, v, &ss, &ei), AG_OK);
    assert_int_equal(ss.written, 0);
    assert_int_equal(ss.unchanged, 5);
    assert_int_equal(ss.conflicts, 0);
    ag_view_free(v);

    /* 3: a new resolve reads back what was written: still nothing to do;
     * then one target moves: one patch, transition times kept. */
    ag_k8s_policies_free(pols);
    free(wp);
    assert_int_equal(ag_k8s_policies_resolve(k, &pols, &wp, &n, &st, &ei), AG_OK);
    check_resolved(wp, n, &st);
    v = make_view(0.6, 0);
    assert_int_equal(ag_k8s_policy_status_sync(k, pols, v, &ss, &ei), AG_OK);
    assert_int_equal(ss.written, 0);
    assert_int_equal(ss.unchanged, 5);
    ag_view_free(v);
    v = make_view(0.7, 0);
    assert_int_equal(ag_k8s_policy_status_sync(k, pols, v, &ss, &ei), AG_OK);
    assert_int_equal(ss.written, 1);
    assert_int_equal(ss.unchanged, 4);
    obj = get_policy(k, "shop", "web");
    assert_string_equal(rq(json_array_get(recs_of(obj), 1), "target", "cpu"), "700m");
    assert_string_equal(cs(obj, "Ready", "lastTransitionTime"), "2024-03-01T10:00:05Z");
    assert_string_equal(cs(obj, "RecommendationProvided", "lastTransitionTime"), rpt);
    json_decref(obj);
    ag_view_free(v);

    /* 4: a huge workload: the list is cut at AG_K8S_POLICY_MAX_RECS. */
    v = make_view(0.7, 1005);
    assert_int_equal(ag_k8s_policy_status_sync(k, pols, v, &ss, &ei), AG_OK);
    assert_int_equal(ss.written, 1);
    assert_int_equal(ss.truncated, 1);
    obj = get_policy(k, "shop", "web");
    assert_int_equal(json_array_size(recs_of(obj)), AG_K8S_POLICY_MAX_RECS);
    assert_string_equal(cs(obj, "RecommendationProvided", "status"), "True");
    assert_string_equal(cs(obj, "RecommendationProvided", "reason"), "Truncated");
    assert_string_equal(cs(obj, "RecommendationProvided", "message"),
                        "2 of 2 selected workloads have a recommendation; "
                        "status.recommendations lists the first 1000 of 1008 containers");
    json_decref(obj);
    ag_view_free(v);

    ag_k8s_policies_free(pols);
    free(wp);
    ag_k8s_free(k);
    fake_server_stop(&s);

    fake_server_check_log(&s, "--augurpolicy", TOKEN, "deploy/crds/augur.dev_augurpolicies.yaml",
                          "2");
}

/* Without the CRD (404) the resolve fails clearly; nothing is returned. */
static void test_resolve_no_crd(void **state)
{
    static const char *const extra[] = {"--no-augur-crd", NULL};
    ag_k8s_policies *pols = (ag_k8s_policies *)&pols;
    ag_wpolicy *wp = (ag_wpolicy *)&wp;
    size_t n = 99;
    ag_k8s_policy_stats st;
    ag_k8s_policy_status_stats ss;
    ag_errinfo ei = {{0}};
    fake_server s;
    ag_k8s *k;

    server_start(&s, "policy-404.jsonl", extra);
    k = fake_server_client(&s, TOKEN);
    assert_int_equal(ag_k8s_policies_resolve(k, &pols, &wp, &n, &st, &ei), AG_EHTTP);
    assert_null(pols);
    assert_null(wp);
    assert_int_equal(n, 0);
    assert_non_null(strstr(ei.msg, "listing AugurPolicies"));
    assert_non_null(strstr(ei.msg, "HTTP 404"));
    assert_non_null(strstr(ei.msg, "is the AugurPolicy CRD installed?"));
    /* The status writer without a handle does nothing. */
    assert_int_equal(ag_k8s_policy_status_sync(k, NULL, NULL, &ss, &ei), AG_OK);
    assert_int_equal(ss.seen, 0);
    ag_k8s_free(k);
    fake_server_stop(&s);
}

/* Every allocation of a resolve failing in turn: AG_ENOMEM, nothing
 * returned, nothing leaked. */
static void test_resolve_oom(void **state)
{
    ag_k8s_policies *pols = NULL;
    ag_wpolicy *wp = NULL;
    size_t n = 0;
    ag_errinfo ei = {{0}};
    fake_server s;
    ag_k8s *k;
    long i;

    server_start(&s, "policy-oom.jsonl", NULL);
    k = fake_server_client(&s, TOKEN);
    for (i = 1; i < 2000; i++) {
        ag_err rc;
        ag__alloc_fail_after(i);
        rc = ag_k8s_policies_resolve(k, &pols, &wp, &n, NULL, &ei);
        ag__alloc_fail_after(0);
        if (rc == AG_OK)
            break;
        /* lib/k8s/client.c reports a response buffer it could not grow as
         * AG_ETOOBIG ("response larger than ..."), whatever the cause. */
        if (rc != AG_ENOMEM && rc != AG_ETOOBIG)
            fail_msg("allocation %ld failing: %s (%s)", i, ag_strerror(rc), ei.msg);
        assert_null(pols);
        assert_null(wp);
        assert_int_equal(n, 0);
    }
    fprintf(stderr, "resolve: %ld allocations failed in turn\n", i - 1);
    assert_true(i > 50 && i < 2000);
    assert_int_equal(n, NWANT);
    ag_k8s_policies_free(pols);
    free(wp);
    ag_k8s_free(k);
    fake_server_stop(&s);
}

static int setup(void **state)
{
    return fake_server_mkdtemp(tmpdir, sizeof tmpdir, "/tmp/ag-policy-test-XXXXXX");
}

static int teardown(void **state)
{
    return fake_server_rmdir(tmpdir); /* AG_K8S_KEEP keeps the request logs for a look */
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_parse_example),
        cmocka_unit_test(test_parse_defaults),
        cmocka_unit_test(test_parse_errors),
        cmocka_unit_test(test_parse_oom),
        cmocka_unit_test(test_selector_table),
        cmocka_unit_test(test_wpolicy_find),
        cmocka_unit_test_teardown(test_resolve_and_status, fake_server_stop_all),
        cmocka_unit_test_teardown(test_resolve_no_crd, fake_server_stop_all),
        cmocka_unit_test_teardown(test_resolve_oom, fake_server_stop_all),
    };

    fake_server_require_python();
    return cmocka_run_group_tests(tests, setup, teardown);
}
