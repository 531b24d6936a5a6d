/*
 * tests/k8s/test_k8s.c - the Kubernetes client and the VPA writer.
 *
 * No Kubernetes API server runs here: the HTTP tests talk to
 * tests/k8s/fake_apiserver.py on 127.0.0.1, a replay of recorded,
 * real-shaped responses (tests/k8s/data/) that applies status patches to
 * its VPAs. After the VPA syncs, tests/k8s/check_log.py checks the
 * server's request log (methods, paths, headers, bodies against the VPA
 * CRD schema). Kubeconfig parsing runs on hand-written files.
 * Skips (77) when python3 is absent.
 */
#include <errno.h>
#include <math.h>
#include "augur/k8s.h"
#include "fake_server.h"
#include "util/alloc.h"

#define TOKEN "test-token-abc"
#define MIB (1024.0 * 1024.0)

static char tmpdir[256];

/* ---- helpers ------------------------------------------------------------ */

static void write_file(const char *path, const char *text)
{
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fputs(text, f);
    fclose(f);
}

static const char *tmp_path(char *buf, size_t len, const char *name)
{
    snprintf(buf, len, "%s/%s", tmpdir, name);
    return buf;
}

static void server_start(fake_server *s, const char *logname, const char *const *extra)
{
    fake_server_start(s, tmpdir, logname, TOKEN, NULL, extra);
}

/* ---- kubeconfig --------------------------------------------------------- */

static void test_kubeconfig_token(void **state)
{
    char p[512];
    ag_k8s_config c;
    ag_errinfo ei = {{0}};

    tmp_path(p, sizeof p, "kc-token.yaml");
    write_file(p, "apiVersion: v1\n"
                  "kind: Config\n"
                  "clusters:\n"
                  "- name: other\n"
                  "  cluster:\n"
                  "    server: https://other.example:6443\n"
                  "- name: prod\n"
                  "  cluster:\n"
                  "    server: https://10.0.0.1:6443/\n"
                  "    certificate-authority: certs/ca.pem\n"
                  "contexts:\n"
                  "- name: prod-admin\n"
                  "  context:\n"
                  "    cluster: prod\n"
                  "    user: admin\n"
                  "    namespace: shop\n"
                  "current-context: prod-admin\n"
                  "users:\n"
                  "- name: admin\n"
                  "  user:\n"
                  "    token: abc.def.ghi\n");
    assert_int_equal(ag_k8s_config_load(p, &c, &ei), AG_OK);
    assert_string_equal(c.server, "https://10.0.0.1:6443");
    assert_string_equal(c.token, "abc.def.ghi");
    assert_string_equal(c.ns, "shop");
    assert_non_null(strstr(c.ca_file, "/certs/ca.pem"));
    assert_int_equal(strncmp(c.ca_file, tmpdir, strlen(tmpdir)), 0);
    assert_null(c.cert_data);
    assert_string_equal(c.source, p);
    ag_k8s_config_free(&c);

    /* KUBECONFIG names it when no path is given (and not in a cluster). */
    unsetenv("KUBERNETES_SERVICE_HOST");
    setenv("KUBECONFIG", p, 1);
    assert_int_equal(ag_k8s_config_load(NULL, &c, &ei), AG_OK);
    assert_string_equal(c.token, "abc.def.ghi");
    ag_k8s_config_free(&c);
    unsetenv("KUBECONFIG");
}

static void test_kubeconfig_cert_data(void **state)
{
    char p[512];
    ag_k8s_config c;
    ag_errinfo ei = {{0}};

    /* base64 of "-----BEGIN CERTIFICATE-----\nCERT\n", of "KEY!" and "CA" */
    tmp_path(p, sizeof p, "kc-cert.yaml");
    write_file(p, "apiVersion: v1\n"
                  "kind: Config\n"
                  "current-context: kind-dev\n"
                  "clusters:\n"
                  "- cluster:\n"
                  "    certificate-authority-data: Q0E=\n"
                  "    server: https://127.0.0.1:41235\n"
                  "  name: kind-dev\n"
                  "contexts:\n"
                  "- context:\n"
                  "    cluster: kind-dev\n"
                  "    user: kind-dev\n"
                  "  name: kind-dev\n"
                  "users:\n"
                  "- name: kind-dev\n"
                  "  user:\n"
                  "    client-certificate-data: LS0tLS1CRUdJTiBDRVJUSUZJQ0FURS0tLS0tCkNFUlQK\n"
                  "    client-key-data: S0VZIQ==\n");
    assert_int_equal(ag_k8s_config_load(p, &c, &ei), AG_OK);
    assert_string_equal(c.server, "https://127.0.0.1:41235");
    assert_null(c.token);
    assert_null(c.ns);
    assert_int_equal(c.ca_data_len, 2);
    assert_memory_equal(c.ca_data, "CA", 2);
    assert_string_equal(c.cert_data, "-----BEGIN CERTIFICATE-----\nCERT\n");
    assert_int_equal(c.key_data_len, 4);
    assert_string_equal(c.key_data, "KEY!");
    ag_k8s_config_free(&c);
}

/* Every allocation of the parser failing in turn: AG_ENOMEM and an empty
 * config, never a leak (libyaml's own allocations are not counted). */
static void test_kubeconfig_oom(void **state)
{
    static const char text[] = "current-context: x\ncontexts:\n- name: x\n  context:\n"
                               "    cluster: c\n    user: u\n    namespace: ns\n"
                               "clusters:\n- name: c\n  cluster:\n    server: https://h:1\n"
                               "    certificate-authority: ca.pem\nusers:\n- name: u\n  user:\n"
                               "    client-certificate-data: Q0E=\n    client-key: k.pem\n";
    ag_k8s_config c;
    ag_errinfo ei = {{0}};
    long n;

    for (n = 1; n < 100; n++) {
        ag_err rc;
        ag__alloc_fail_after(n);
        rc = ag_k8s_config_parse("/etc/kc", text, sizeof text - 1, &c, &ei);
        ag__alloc_fail_after(0);
        if (rc == AG_OK)
            break;
        assert_int_equal(rc, AG_ENOMEM);
        assert_null(c.server);
    }
    assert_true(n < 100);
    assert_string_equal(c.ca_file, "/etc/ca.pem");
    assert_string_equal(c.key_file, "/etc/k.pem");
    ag_k8s_config_free(&c);
}

static void expect_error(const char *text, ag_err want, const char *needle1, const char *needle2)
{
    char p[512];
    ag_k8s_config c;
    ag_errinfo ei = {{0}};

    tmp_path(p, sizeof p, "kc-bad.yaml");
    write_file(p, text);
    assert_int_equal(ag_k8s_config_load(p, &c, &ei), want);
    if (!strstr(ei.msg, needle1) || (needle2 && !strstr(ei.msg, needle2)) || !strstr(ei.msg, p))
        fail_msg("message \"%s\" lacks \"%s\" / \"%s\" / the file", ei.msg, needle1,
                 needle2 ? needle2 : "");
    assert_null(c.server);
    ag_k8s_config_free(&c);
}

static void test_kubeconfig_errors(void **state)
{
    static const char base[] = "clusters:\n- name: c\n  cluster:\n    server: https://h:1\n"
                               "contexts:\n- name: x\n  context:\n    cluster: c\n    user: u\n";
    char text[1024];

    expect_error(base, AG_ECONFIG, "current-context", "not set");
    snprintf(text, sizeof text, "%scurrent-context: y\n", base);
    expect_error(text, AG_ECONFIG, "current-context \"y\"", "contexts");
    snprintf(text, sizeof text, "%scurrent-context: x\n", base);
    expect_error(text, AG_ECONFIG, "user \"u\"", "users");
    snprintf(text, sizeof text,
             "%scurrent-context: x\nusers:\n- name: u\n  user:\n    client-key-data: '*!'\n"
             "    client-certificate-data: Q0E=\n",
             base);
    expect_error(text, AG_ECONFIG, "users[name=u].client-key-data", "base64");
    snprintf(text, sizeof text,
             "%scurrent-context: x\nusers:\n- name: u\n  user:\n    client-certificate: c.pem\n",
             base);
    expect_error(text, AG_ECONFIG, "client-key", "together");
    snprintf(text, sizeof text,
             "%scurrent-context: x\nusers:\n- name: u\n  user:\n    exec:\n"
             "      command: aws\n",
             base);
    expect_error(text, AG_ECONFIG, "exec", "not supported");
    expect_error("clusters: [\n", AG_ECONFIG, "kubeconfig", NULL);
    expect_error("current-context: x\ncontexts:\n- name: x\n  context:\n    cluster: c\n"
                 "clusters:\n- name: c\n  cluster:\n    server: ftp://h\n",
                 AG_ECONFIG, "clusters[name=c].cluster.server", "http");
}

static void test_incluster(void **state)
{
    char dir[512], p[600];
    ag_k8s_config c;
    ag_errinfo ei = {{0}};

    tmp_path(dir, sizeof dir, "sa");
    mkdir(dir, 0700);
    snprintf(p, sizeof p, "%s/token", dir);
    write_file(p, "sa-token-xyz\n");
    snprintf(p, sizeof p, "%s/namespace", dir);
    write_file(p, "augur-system");
    unsetenv("KUBERNETES_SERVICE_HOST");
    assert_int_equal(ag_k8s_config_incluster(dir, &c, &ei), AG_ECONFIG);
    assert_non_null(strstr(ei.msg, "KUBERNETES_SERVICE_HOST"));
    ag_k8s_config_free(&c);
    setenv("KUBERNETES_SERVICE_HOST", "10.96.0.1", 1);
    setenv("KUBERNETES_SERVICE_PORT", "443", 1);
    assert_int_equal(ag_k8s_config_incluster(dir, &c, &ei), AG_OK);
    assert_string_equal(c.server, "https://10.96.0.1:443");
    assert_string_equal(c.token, "sa-token-xyz");
    assert_string_equal(c.ns, "augur-system");
    snprintf(p, sizeof p, "%s/ca.crt", dir);
    assert_string_equal(c.ca_file, p);
    ag_k8s_config_free(&c);
    unsetenv("KUBERNETES_SERVICE_HOST");
    unsetenv("KUBERNETES_SERVICE_PORT");
}

/* ---- the VPA writer ----------------------------------------------------- */

static ag_view_rec *add_rec(ag_view *v, const char *ns, const char *kind, const char *name,
                            const char *container)
{
    ag_view_rec *r = &v->recs[v->nrecs++];

    snprintf(r->ns, sizeof r->ns, "%s", ns);
    snprintf(r->kind, sizeof r->kind, "%s", kind);
    snprintf(r->name, sizeof r->name, "%s", name);
    snprintf(r->container, sizeof r->container, "%s", container);
    r->pods = 2;
    r->algorithm = "vpa";
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

static ag_view *make_view(void)
{
    ag_view *v = ag__calloc(1, sizeof *v);
    ag_view_rec *r;

    assert_non_null(v);
    v->recs = ag__calloc(16, sizeof *v->recs);
    assert_non_null(v->recs);
    v->algorithm = "vpa";
    r = add_rec(v, "shop", "Deployment", "web", "app");
    set_res(r, AG_CPU, 0.8, 0.6, 1.2);
    set_res(r, AG_MEMORY, 300 * MIB, 256 * MIB, 400 * MIB);
    r = add_rec(v, "shop", "Deployment", "web", "sidecar");
    set_res(r, AG_CPU, 0.02, 0.01, 0.05);
    set_res(r, AG_MEMORY, 64 * MIB, 32 * MIB, 3072 * MIB);
    r = add_rec(v, "shop", "Deployment", "web", "istio-proxy");
    set_res(r, AG_CPU, 0.3, 0.2, 0.4);
    set_res(r, AG_MEMORY, 100 * MIB, 90 * MIB, 110 * MIB);
    r = add_rec(v, "shop", "Deployment", "web", "logger");
    set_res(r, AG_CPU, 0.3, 0.2, 0.4);
    set_res(r, AG_MEMORY, 16 * MIB, 8 * MIB, 24 * MIB);
    r = add_rec(v, "shop", "Deployment", "web", "empty");
    r->rec.status[AG_CPU] = AG_REC_NO_DATA;
    r->rec.status[AG_MEMORY] = AG_REC_NOT_ENOUGH;
    r = add_rec(v, "shop", "StatefulSet", "web", "app"); /* same name, other kind */
    set_res(r, AG_CPU, 4, 4, 4);
    set_res(r, AG_MEMORY, 4096 * MIB, 4096 * MIB, 4096 * MIB);
    r = add_rec(v, "default", "Deployment", "api", "api");
    set_res(r, AG_CPU, 0.1, 0.05, 0.2);
    set_res(r, AG_MEMORY, 200 * MIB, 150 * MIB, 250 * MIB);
    r = add_rec(v, "default", "StatefulSet", "cache", "redis");
    set_res(r, AG_CPU, 0.1, 0.05, 0.2);
    set_res(r, AG_MEMORY, 200 * MIB, 150 * MIB, 250 * MIB);
    return v;
}

static const char *qty(json_t *crs, const char *container, const char *field, const char *res)
{
    size_t i;
    json_t *e;

    json_array_foreach(crs, i, e)
    {
        const char *n = json_string_value(json_object_get(e, "containerName"));
        if (n && strcmp(n, container) == 0)
            return json_string_value(json_object_get(json_object_get(e, field), res));
    }
    return NULL;
}

static int has_container(json_t *crs, const char *container)
{
    size_t i;
    json_t *e;

    json_array_foreach(crs, i, e)
    {
        if (strcmp(json_string_value(json_object_get(e, "containerName")), container) == 0)
            return 1;
    }
    return 0;
}

static void test_vpa_sync(void **state)
{
    static const char *const extra[] = {"--page-size", "2", "--conflict", "shop/web-vpa", NULL};
    ag_serve *sv = ag_serve_new();
    const ag_view *v;
    ag_k8s_vpa_stats st;
    ag_errinfo ei = {{0}};
    json_t *obj = NULL, *crs, *cond;
    fake_server s;
    ag_k8s *k;

    assert_non_null(sv);
    server_start(&s, "vpa-requests.jsonl", extra);
    k = fake_server_client(&s, TOKEN);
    ag_serve_publish(sv, make_view());
    v = ag_serve_acquire(sv);
    assert_non_null(v);

    assert_int_equal(ag_k8s_vpa_sync(k, v, "augur", &st, &ei), AG_OK);
    assert_int_equal(st.seen, 4);
    assert_int_equal(st.selected, 2);
    assert_int_equal(st.matched, 1);
    assert_int_equal(st.written, 2);
    assert_int_equal(st.unchanged, 0);
    assert_int_equal(st.conflicts, 1);
    assert_int_equal(st.errors, 0);

    /* What the server now holds. */
    assert_int_equal(ag_k8s_get(k,
                                "/apis/autoscaling.k8s.io/v1/namespaces/shop/"
                                "verticalpodautoscalers/web-vpa",
                                &obj, &ei),
                     AG_OK);
    crs = json_object_get(json_object_get(json_object_get(obj, "status"), "recommendation"),
                          "containerRecommendations");
    assert_int_equal(json_array_size(crs), 3); /* app, sidecar, logger */
    /* app: its own policy, maxAllowed cpu 500m; memory free. */
    assert_string_equal(qty(crs, "app", "target", "cpu"), "500m");
    assert_string_equal(qty(crs, "app", "lowerBound", "cpu"), "500m");
    assert_string_equal(qty(crs, "app", "upperBound", "cpu"), "500m");
    assert_string_equal(qty(crs, "app", "uncappedTarget", "cpu"), "800m");
    assert_string_equal(qty(crs, "app", "target", "memory"), "300Mi");
    assert_string_equal(qty(crs, "app", "lowerBound", "memory"), "256Mi");
    assert_string_equal(qty(crs, "app", "upperBound", "memory"), "400Mi");
    /* sidecar: "*" with minAllowed 100m / 128Mi and maxAllowed 2 / 1Gi. */
    assert_string_equal(qty(crs, "sidecar", "target", "cpu"), "100m");
    assert_string_equal(qty(crs, "sidecar", "lowerBound", "cpu"), "100m");
    assert_string_equal(qty(crs, "sidecar", "upperBound", "cpu"), "100m");
    assert_string_equal(qty(crs, "sidecar", "uncappedTarget", "cpu"), "20m");
    assert_string_equal(qty(crs, "sidecar", "target", "memory"), "128Mi");
    assert_string_equal(qty(crs, "sidecar", "upperBound", "memory"), "1Gi");
    assert_string_equal(qty(crs, "sidecar", "uncappedTarget", "memory"), "64Mi");
    /* logger: controlledResources [memory], minAllowed 32Mi. */
    assert_null(qty(crs, "logger", "target", "cpu"));
    assert_string_equal(qty(crs, "logger", "target", "memory"), "32Mi");
    assert_string_equal(qty(crs, "logger", "uncappedTarget", "memory"), "16Mi");
    /* mode Off and no-data containers are absent. */
    assert_false(has_container(crs, "istio-proxy"));
    assert_false(has_container(crs, "empty"));
    cond = json_array_get(json_object_get(json_object_get(obj, "status"), "conditions"), 0);
    assert_string_equal(json_string_value(json_object_get(cond, "type")), "RecommendationProvided");
    assert_string_equal(json_string_value(json_object_get(cond, "status")), "True");
    /* The status changed from False: a new transition time. */
    assert_string_not_equal(json_string_value(json_object_get(cond, "lastTransitionTime")),
                            "2024-05-02T09:14:08Z");
    json_decref(obj);

    assert_int_equal(ag_k8s_get(k,
                                "/apis/autoscaling.k8s.io/v1/namespaces/shop/"
                                "verticalpodautoscalers/report-vpa",
                                &obj, &ei),
                     AG_OK);
    assert_null(json_object_get(json_object_get(obj, "status"), "recommendation"));
    cond = json_array_get(json_object_get(json_object_get(obj, "status"), "conditions"), 0);
    assert_string_equal(json_string_value(json_object_get(cond, "status")), "False");
    json_decref(obj);

    /* Second sync: nothing changed, nothing written. */
    assert_int_equal(ag_k8s_vpa_sync(k, v, "augur", &st, &ei), AG_OK);
    assert_int_equal(st.seen, 4);
    assert_int_equal(st.written, 0);
    assert_int_equal(st.unchanged, 2);
    assert_int_equal(st.conflicts, 0);

    ag_serve_release(sv, v);
    ag_k8s_free(k);
    fake_server_stop(&s);
    ag_serve_free(sv);

    fake_server_check_log(&s, NULL, TOKEN, "../shared/reference/kubernetes/vpa-v1-crd-gen.yaml",
                          NULL);
}

static void test_vpa_unauthorized(void **state)
{
    /* A wrong token: the list fails with the API's 401 Status. */
    fake_server s;
    ag_k8s *k;
    ag_k8s_vpa_stats st;
    ag_errinfo ei = {{0}};
    ag_view v;

    memset(&v, 0, sizeof v);
    server_start(&s, "vpa-401.jsonl", NULL);
    k = fake_server_client(&s, "wrong-token");
    assert_int_equal(ag_k8s_vpa_sync(k, &v, "augur", &st, &ei), AG_EHTTP);
    assert_non_null(strstr(ei.msg, "HTTP 401"));
    assert_non_null(strstr(ei.msg, "Unauthorized"));
    ag_k8s_free(k);
    fake_server_stop(&s);
}

/* ---- list, watch, owners, errors ---------------------------------------- */

typedef struct seen {
    char types[8][16];
    char rvs[8][32];
    int n, stop_at;
    char *rv; /* the watch's resourceVersion, as it moves */
} seen;

static int on_event(void *ud, const char *type, json_t *obj)
{
    seen *s = ud;

    if (s->n < 8) {
        snprintf(s->types[s->n], sizeof s->types[0], "%s", type);
        snprintf(s->rvs[s->n], sizeof s->rvs[0], "%s", s->rv);
        s->n++;
    }
    return s->stop_at && s->n == s->stop_at;
}

static void test_list_watch(void **state)
{
    fake_server s;
    ag_k8s *k;
    json_t *items = NULL;
    char rv[64];
    seen w;
    ag_errinfo ei = {{0}};

    server_start(&s, "watch-requests.jsonl", NULL);
    k = fake_server_client(&s, TOKEN);
    assert_int_equal(ag_k8s_list(k, "/api/v1/namespaces/default/pods", &items, rv, sizeof rv, &ei),
                     AG_OK);
    assert_int_equal(json_array_size(items), 4);
    assert_string_equal(rv, "60010");
    json_decref(items);

    memset(&w, 0, sizeof w);
    w.rv = rv;
    assert_int_equal(
        ag_k8s_watch(k, "/api/v1/namespaces/default/pods", rv, sizeof rv, on_event, &w, 5, &ei),
        AG_EGONE);
    assert_non_null(strstr(ei.msg, "410"));
    assert_non_null(strstr(ei.msg, "too old resource version"));
    assert_int_equal(w.n, 4);
    assert_string_equal(w.types[0], "ADDED");
    assert_string_equal(w.rvs[0], "60011");
    assert_string_equal(w.types[1], "MODIFIED");
    assert_string_equal(w.rvs[1], "60012");
    assert_string_equal(w.types[2], "BOOKMARK");
    assert_string_equal(w.rvs[2], "60020"); /* the bookmark moved it */
    assert_string_equal(w.types[3], "DELETED");
    assert_string_equal(rv, "60021");

    /* The handler stops the watch. */
    memset(&w, 0, sizeof w);
    w.rv = rv;
    w.stop_at = 2;
    snprintf(rv, sizeof rv, "60010");
    assert_int_equal(
        ag_k8s_watch(k, "/api/v1/namespaces/default/pods", rv, sizeof rv, on_event, &w, 5, &ei),
        AG_OK);
    assert_int_equal(w.n, 2);
    assert_string_equal(rv, "60012");

    /* HTTP 410 on the watch request itself. */
    memset(&w, 0, sizeof w);
    w.rv = rv;
    snprintf(rv, sizeof rv, "expired");
    assert_int_equal(
        ag_k8s_watch(k, "/api/v1/namespaces/default/pods", rv, sizeof rv, on_event, &w, 5, &ei),
        AG_EGONE);
    assert_int_equal(w.n, 0);
    assert_string_equal(ag_strerror(AG_EGONE), "resource version gone (410): list again");
    ag_k8s_free(k);
    fake_server_stop(&s);
}

static void test_owners_and_errors(void **state)
{
    static const char *const want[4][2] = {{"Deployment", "web"},
                                           {"CronJob", "report"},
                                           {"Pod", "standalone"},
                                           {"ReplicaSet", "orphan-7c6d5"}};
    fake_server s;
    ag_k8s *k;
    ag_k8s_config c;
    json_t *items = NULL, *obj = NULL;
    char rv[64], kind[64], name[256], url[64];
    long status = 0;
    ag_errinfo ei = {{0}};

    server_start(&s, "owner-requests.jsonl", NULL);
    k = fake_server_client(&s, TOKEN);
    assert_int_equal(ag_k8s_list(k, "/api/v1/namespaces/default/pods", &items, rv, sizeof rv, &ei),
                     AG_OK);
    for (size_t i = 0; i < 4; i++) {
        assert_int_equal(ag_k8s_pod_owner(k, json_array_get(items, i), kind, sizeof kind, name,
                                          sizeof name, &ei),
                         AG_OK);
        assert_string_equal(kind, want[i][0]);
        assert_string_equal(name, want[i][1]);
    }
    json_decref(items);

    /* HTTP errors carry the status and the Status.message. */
    assert_int_equal(ag_k8s_request(k, "GET",
                                    "/apis/autoscaling.k8s.io/v1/namespaces/shop/"
                                    "verticalpodautoscalers/nope",
                                    NULL, NULL, &status, &obj, &ei),
                     AG_EHTTP);
    assert_int_equal(status, 404);
    assert_null(obj);
    assert_non_null(strstr(ei.msg, "HTTP 404"));
    assert_non_null(strstr(ei.msg, "\"nope\" not found"));
    ag_k8s_free(k);

    /* A body past the cap. */
    fake_server_config(&s, &c, url, sizeof url, TOKEN);
    c.max_body = 100;
    assert_int_equal(ag_k8s_new(&c, &k, &ei), AG_OK);
    assert_int_equal(ag_k8s_get(k, "/api/v1/namespaces/default/pods", &obj, &ei), AG_ETOOBIG);
    assert_null(obj);
    ag_k8s_free(k);
    fake_server_stop(&s);

    /* Nothing listens any more. */
    c.max_body = 0;
    c.timeout_ms = 2000;
    assert_int_equal(ag_k8s_new(&c, &k, &ei), AG_OK);
    assert_int_equal(ag_k8s_get(k, "/api/v1/namespaces/default/pods", &obj, &ei), AG_ENET);
    ag_k8s_free(k);
}

static void test_status_no_policy(void **state)
{
    /* Without a resourcePolicy every container with data is written,
     * unclamped; the StatefulSet of the same name is not mixed in. */
    ag_view *v = make_view();
    json_t *vpa =
        json_pack("{s:{s:s,s:s},s:{s:{s:s,s:s}}}", "metadata", "namespace", "shop", "name",
                  "web-vpa", "spec", "targetRef", "kind", "Deployment", "name", "web");
    json_t *st = ag_k8s_vpa_status(vpa, v, 0);

    assert_non_null(st);
    assert_int_equal(json_array_size(json_object_get(json_object_get(st, "recommendation"),
                                                     "containerRecommendations")),
                     4); /* app, sidecar, istio-proxy, logger (empty has no data) */
    assert_string_equal(
        qty(json_object_get(json_object_get(st, "recommendation"), "containerRecommendations"),
            "app", "target", "cpu"),
        "800m");
    json_decref(st);
    json_decref(vpa);
    ag_view_free(v);
}

static int setup(void **state)
{
    return fake_server_mkdtemp(tmpdir, sizeof tmpdir, "/tmp/ag-k8s-test-XXXXXX");
}

static int teardown(void **state)
{
    return fake_server_rmdir(tmpdir); /* AG_K8S_KEEP keeps the request logs for a look */
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_kubeconfig_token),
        cmocka_unit_test(test_kubeconfig_cert_data),
        cmocka_unit_test(test_kubeconfig_errors),
        cmocka_unit_test(test_kubeconfig_oom),
        cmocka_unit_test(test_incluster),
        cmocka_unit_test_teardown(test_vpa_sync, fake_server_stop_all),
        cmocka_unit_test_teardown(test_vpa_unauthorized, fake_server_stop_all),
        cmocka_unit_test_teardown(test_list_watch, fake_server_stop_all),
        cmocka_unit_test_teardown(test_owners_and_errors, fake_server_stop_all),
        cmocka_unit_test(test_status_no_policy),
    };

    fake_server_require_python();
    return cmocka_run_group_tests(tests, setup, teardown);
}
