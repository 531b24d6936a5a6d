/*
 * tests/http/test_http.c - the daemon's HTTP server against a hand-made
 * view: every endpoint over real HTTP (libcurl), JSON read back with
 * jansson, /metrics lines exactly, filters and pagination, the error
 * statuses, readiness, and views published while clients read; gzip
 * (decoded by libcurl and by zlib: one member, the same text), a view
 * kept until the response sending its bytes is freed, the loop's runs,
 * and the backtest jobs with a stub runner.
 *
 * Also a helper for the shell tests: `test_http --serve` serves the
 * fixture view on 127.0.0.1 (any port, printed on stdout) until stdin
 * closes; `test_http --routes` prints the route table.
 */
#include <arpa/inet.h>
#include <curl/curl.h>
#include <jansson.h>
#include <math.h>
#include <netinet/in.h>
#include <pthread.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>
#include <zlib.h>
#include "ag_test.h"
#include "augur/http.h"
#include "augur/report.h"
#include "augur/serve.h"
#include "augur/util.h"
#include "http/http_int.h"
#include "util/alloc.h"
#include "util/buf.h"

/* ---- the fixture view ---- */

#define WEIRD "side\"car\\\nx"

typedef struct fx_rec {
    const char *ns, *kind, *name, *container;
    int pods;
    double req[2], lim[2], target[2];
    uint32_t ooms;
} fx_rec;

static const fx_rec fx[] = {
    {"shop",
     "Deployment",
     "api",
     "app",
     3,
     {1, 1073741824},
     {2, 2147483648},
     {0.251, 314572801},
     0},
    {"shop",
     "StatefulSet",
     "db",
     WEIRD,
     2,
     {0.5, 268435456},
     {NAN, 268435456},
     {0.75, 400000000},
     2},
};
#define NFX 2

/* Forecast values: cpu q(k)(h) = 0.1 * (k + 1) + 0.01 * h cores; memory
 * 1e8 * (k + 1) + 1e6 * h bytes. 24 hourly steps, quantiles 0.5, 0.9. */
static double fx_q(int res, size_t k, size_t h)
{
    return res == AG_CPU ? 0.1 * (double)(k + 1) + 0.01 * (double)h
                         : 1e8 * (double)(k + 1) + 1e6 * (double)h;
}

#define T0 1700000000000LL
#define STEP 3600000LL

/* recs_json as `augur recommend -o json` writes it. */
static char *fx_json(const ag_view *v, size_t *len)
{
    ag_wcontainer wc[NFX];
    ag_report_item it[NFX];
    ag_report_opts o = {.algorithm = "vpa"};
    FILE *f = tmpfile();
    long n;
    char *s;

    assert_non_null(f);
    for (size_t i = 0; i < v->nrecs; i++) {
        memset(&wc[i], 0, sizeof wc[i]);
        wc[i].ns = v->recs[i].ns;
        wc[i].kind = v->recs[i].kind;
        wc[i].name = v->recs[i].name;
        wc[i].container = v->recs[i].container;
        wc[i].n = (size_t)v->recs[i].pods;
        for (int r = 0; r < 2; r++) {
            wc[i].request[r] = v->recs[i].request[r];
            wc[i].limit[r] = v->recs[i].limit[r];
        }
        it[i].wc = &wc[i];
        it[i].rec = v->recs[i].rec;
    }
    assert_int_equal(ag_report_write(f, AG_FMT_JSON, it, v->nrecs, &o), AG_OK);
    n = ftell(f);
    rewind(f);
    s = ag__malloc((size_t)n + 1);
    assert_non_null(s);
    assert_int_equal(fread(s, 1, (size_t)n, f), (size_t)n);
    s[n] = '\0';
    fclose(f);
    *len = (size_t)n;
    return s;
}

/* A view of n workload-containers computed age_ms ago, its data up to
 * T0, with room for two forecasts (CPU, memory) of each: recs[i] has
 * fcs[2 * i + r]. The caller fills them in. */
static ag_view *view_alloc(size_t n, int64_t age_ms)
{
    ag_view *v = ag__calloc(1, sizeof *v);

    v->computed_ms = ag_now_ms() - age_ms;
    v->data_end_ms = T0;
    v->algorithm = "vpa";
    v->nrecs = n;
    v->recs = ag__calloc(n, sizeof *v->recs);
    v->nfcs = 2 * n;
    v->fcs = ag__calloc(2 * n, sizeof *v->fcs);
    return v;
}

/* Forecast r of recs[i] (named already): its names, the model, p50 and
 * p90 of 24 steps from T0; q allocated (zero) for the caller to fill. */
static ag_view_fc *fc_init(ag_view *v, size_t i, int r, const char *model)
{
    ag_view_fc *f = &v->fcs[2 * i + (size_t)r];
    const ag_view_rec *x = &v->recs[i];

    memcpy(f->ns, x->ns, sizeof f->ns);
    memcpy(f->kind, x->kind, sizeof f->kind);
    memcpy(f->name, x->name, sizeof f->name);
    memcpy(f->container, x->container, sizeof f->container);
    snprintf(f->model, sizeof f->model, "%s", model);
    f->resource = r;
    f->t0_ms = T0;
    f->step_ms = STEP;
    f->horizon = 24;
    f->nq = 2;
    f->quantiles[0] = 0.5;
    f->quantiles[1] = 0.9;
    f->q = ag__calloc(2 * 24, sizeof *f->q);
    return f;
}

/* The fixture view; scale multiplies the CPU targets (views told apart). */
static ag_view *fx_view(double scale)
{
    ag_view *v = view_alloc(NFX, 5000);

    for (size_t i = 0; i < NFX; i++) {
        ag_view_rec *x = &v->recs[i];
        snprintf(x->ns, sizeof x->ns, "%s", fx[i].ns);
        snprintf(x->kind, sizeof x->kind, "%s", fx[i].kind);
        snprintf(x->name, sizeof x->name, "%s", fx[i].name);
        snprintf(x->container, sizeof x->container, "%s", fx[i].container);
        x->pods = fx[i].pods;
        x->algorithm = i == 1 ? "augur" : "vpa"; /* db: under an AugurPolicy */
        x->policy = i == 1 ? "stable" : NULL;
        snprintf(x->reason, sizeof x->reason, "%s",
                 i == 1 ? "augur stable: forecast of the coming hours" : "vpa: p90");
        x->rec.ooms = fx[i].ooms;
        x->rec.confidence_days = 8;
        for (int r = 0; r < 2; r++) {
            double t = fx[i].target[r] * (r == AG_CPU ? scale : 1);
            x->request[r] = fx[i].req[r];
            x->limit[r] = fx[i].lim[r];
            x->rec.res[r] = (ag_rec_res){t, t * 0.5, t * 2, t, r == AG_MEMORY ? t * 2 : NAN};
            x->rec.status[r] = AG_REC_OK;
            x->rec.samples[r] = 1000;
        }
        for (int r = 0; r < 2; r++) {
            ag_view_fc *f = fc_init(v, i, r, r == AG_CPU ? "ar" : "holt");
            for (size_t k = 0; k < 2; k++)
                for (size_t h = 0; h < 24; h++)
                    f->q[k * 24 + h] = fx_q(r, k, h);
            f->nhist = 48;
            f->history = ag__calloc(48, sizeof *f->history);
            for (size_t h = 0; h < 48; h++)
                f->history[h] = fx_q(r, 0, h % 24) * 0.9;
        }
    }
    v->recs_json = fx_json(v, &v->recs_json_len);
    return v;
}

static void fx_health(ag_serve *s, int ready, const char *err)
{
    ag_health h = {0};

    h.started_ms = T0 - 3600000;
    h.last_success_ms = T0;
    h.last_attempt_ms = T0;
    h.last_loop_seconds = 1.5;
    h.loops = 10;
    h.loop_failures = 1;
    h.fetch_errors = 2;
    h.series_tracked = 42;
    h.samples_ingested = 123456;
    h.ready = ready;
    snprintf(h.last_error, sizeof h.last_error, "%s", err);
    ag_serve_set_health(s, &h);
}

/* ---- an HTTP client ---- */

typedef struct resp {
    long code;
    ag_buf body;
    char ctype[128], cont[64], allow[64], retry[16], cenc[32], vary[64], location[128];
} resp;

static size_t on_body(char *p, size_t sz, size_t n, void *ud)
{
    resp *r = ud;
    return ag__buf_append(&r->body, p, sz * n) == AG_OK ? sz * n : 0;
}

static void header(const char *line, size_t n, const char *name, char *out, size_t cap)
{
    size_t k = strlen(name);
    if (n > k && strncasecmp(line, name, k) == 0) {
        const char *v = line + k;
        size_t m = n - k;
        while (m && (*v == ' '))
            v++, m--;
        while (m && (v[m - 1] == '\r' || v[m - 1] == '\n'))
            m--;
        snprintf(out, cap, "%.*s", (int)m, v);
    }
}

static size_t on_header(char *p, size_t sz, size_t n, void *ud)
{
    resp *r = ud;
    header(p, sz * n, "Content-Type:", r->ctype, sizeof r->ctype);
    header(p, sz * n, "X-Continue:", r->cont, sizeof r->cont);
    header(p, sz * n, "Allow:", r->allow, sizeof r->allow);
    header(p, sz * n, "Retry-After:", r->retry, sizeof r->retry);
    header(p, sz * n, "Content-Encoding:", r->cenc, sizeof r->cenc);
    header(p, sz * n, "Vary:", r->vary, sizeof r->vary);
    header(p, sz * n, "Location:", r->location, sizeof r->location);
    return sz * n;
}

/* Requests method path (body may be NULL) with an optional header;
 * accept: the Accept-Encoding to send (NULL: none), decoded by libcurl
 * unless raw. */
static void req_ex(int port, const char *method, const char *path, const char *hdr,
                   const char *body, size_t blen, const char *accept, int raw, resp *r)
{
    CURL *c = curl_easy_init();
    struct curl_slist *hl = NULL;
    char url[2048];
    CURLcode cc;

    memset(r, 0, sizeof *r);
    ag__buf_init(&r->body, 64 << 20);
    snprintf(url, sizeof url, "http://127.0.0.1:%d%s", port, path);
    curl_easy_setopt(c, CURLOPT_URL, url);
    curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, method);
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_body);
    curl_easy_setopt(c, CURLOPT_WRITEDATA, r);
    curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, on_header);
    curl_easy_setopt(c, CURLOPT_HEADERDATA, r);
    curl_easy_setopt(c, CURLOPT_TIMEOUT, 10L);
    curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
    if (strcmp(method, "HEAD") == 0)
        curl_easy_setopt(c, CURLOPT_NOBODY, 1L);
    if (accept && !raw)
        curl_easy_setopt(c, CURLOPT_ACCEPT_ENCODING, accept);
    if (accept && raw) {
        char ae[128];
        snprintf(ae, sizeof ae, "Accept-Encoding: %s", accept);
        hl = curl_slist_append(hl, ae);
    }
    hl = curl_slist_append(hl, "Expect:");
    if (hdr)
        hl = curl_slist_append(hl, hdr);
    curl_easy_setopt(c, CURLOPT_HTTPHEADER, hl);
    if (body) {
        curl_easy_setopt(c, CURLOPT_POSTFIELDS, body);
        curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE, (long)blen);
    }
    cc = curl_easy_perform(c);
    if (cc != CURLE_OK)
        r->code = -(long)cc;
    else
        curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &r->code);
    curl_slist_free_all(hl);
    curl_easy_cleanup(c);
}

static void req(int port, const char *method, const char *path, const char *hdr, const char *body,
                size_t blen, resp *r)
{
    req_ex(port, method, path, hdr, body, blen, NULL, 0, r);
}

static void get(int port, const char *path, resp *r)
{
    req(port, "GET", path, NULL, NULL, 0, r);
}

static void resp_free(resp *r)
{
    ag__buf_free(&r->body);
}

static json_t *parse(const resp *r)
{
    json_error_t e;
    json_t *j = json_loads(r->body.p ? r->body.p : "", 0, &e);
    if (!j)
        fail_msg("not JSON (%s): %s", e.text, r->body.p ? r->body.p : "");
    return j;
}

/* An error response: status, JSON {"error", "code"}, and msg inside. */
static void expect_error(const resp *r, long code, const char *msg)
{
    json_t *j;

    if (r->code != code)
        fail_msg("status %ld, expected %ld: %s", r->code, code, r->body.p ? r->body.p : "");
    assert_string_equal(r->ctype, "application/json");
    j = parse(r);
    assert_int_equal(json_integer_value(json_object_get(j, "code")), code);
    assert_true(json_is_string(json_object_get(j, "error")));
    if (msg && !strstr(json_string_value(json_object_get(j, "error")), msg))
        fail_msg("error '%s' does not say '%s'", json_string_value(json_object_get(j, "error")),
                 msg);
    json_decref(j);
}

/* ---- the server per test ---- */

typedef struct srv {
    ag_serve *s;
    ag_http *h;
    int port;
} srv;

static srv *srv_start(const ag_http_opts *o, int publish)
{
    srv *x = calloc(1, sizeof *x);
    ag_http_opts d = {.listen = "127.0.0.1:0", .bearer_token = "s3cret"};
    ag_errinfo ei = {{0}};

    x->s = ag_serve_new();
    if (publish) {
        ag_serve_publish(x->s, fx_view(1));
        fx_health(x->s, 1, "");
    }
    if (ag_http_start(o ? o : &d, x->s, &x->h, &ei) != AG_OK)
        fail_msg("ag_http_start: %s", ei.msg);
    x->port = ag_http_port(x->h);
    assert_true(x->port > 0);
    return x;
}

static void srv_stop(srv *x)
{
    ag_http_stop(x->h);
    ag_serve_free(x->s);
    free(x);
}

static int setup(void **state)
{
    *state = srv_start(NULL, 1);
    return 0;
}

static int teardown(void **state)
{
    srv_stop(*state);
    return 0;
}

/* ---- tests ---- */

static void test_health_and_ready(void **state)
{
    srv *x = srv_start(NULL, 0);
    resp r;
    json_t *j;

    (void)state;
    get(x->port, "/healthz", &r);
    assert_int_equal(r.code, 200);
    assert_string_equal(r.body.p, "ok\n");
    resp_free(&r);
    get(x->port, "/readyz", &r);
    expect_error(&r, 503, "no view");
    resp_free(&r);
    get(x->port, "/api/v1/recommendations", &r);
    assert_int_equal(r.code, 200);
    assert_string_equal(r.body.p, "[]\n");
    resp_free(&r);

    ag_serve_publish(x->s, fx_view(1));
    fx_health(x->s, 0, "fetch failed: connection refused");
    get(x->port, "/readyz", &r);
    expect_error(&r, 503, "last loop failed");
    j = parse(&r);
    assert_string_equal(json_string_value(json_object_get(j, "lastError")),
                        "fetch failed: connection refused");
    json_decref(j);
    resp_free(&r);

    fx_health(x->s, 1, "");
    get(x->port, "/readyz", &r);
    assert_int_equal(r.code, 200);
    resp_free(&r);
    srv_stop(x);
}

static void test_recommendations(void **state)
{
    srv *x = *state;
    const ag_view *v = ag_serve_acquire(x->s);
    resp r;
    json_t *j, *o;

    get(x->port, "/api/v1/recommendations", &r);
    assert_int_equal(r.code, 200);
    assert_string_equal(r.ctype, "application/json");
    assert_int_equal(r.body.len, v->recs_json_len);
    assert_memory_equal(r.body.p, v->recs_json, v->recs_json_len);
    resp_free(&r);

    /* A filter every item passes renders the very same bytes. */
    get(x->port, "/api/v1/recommendations?namespace=shop", &r);
    assert_int_equal(r.code, 200);
    assert_string_equal(r.body.p, v->recs_json);
    resp_free(&r);

    get(x->port, "/api/v1/recommendations?kind=StatefulSet", &r);
    assert_int_equal(r.code, 200);
    j = parse(&r);
    assert_int_equal(json_array_size(j), 1);
    o = json_array_get(j, 0);
    assert_string_equal(json_string_value(json_object_get(o, "container")), WEIRD);
    assert_string_equal(json_string_value(json_object_get(json_object_get(o, "workload"), "name")),
                        "db");
    assert_double_near(json_number_value(json_object_get(json_object_get(o, "cpu"), "target")),
                       0.75, 1e-12);
    assert_true(json_is_null(json_object_get(json_object_get(o, "cpu"), "limit")));
    assert_int_equal(json_integer_value(json_object_get(o, "pods")), 2);
    json_decref(j);
    resp_free(&r);

    get(x->port, "/api/v1/recommendations?workload=nope", &r);
    assert_int_equal(r.code, 200);
    assert_string_equal(r.body.p, "[]\n");
    resp_free(&r);
    get(x->port, "/api/v1/recommendations?container=side%22car%5C%0Ax&namespace=shop", &r);
    j = parse(&r);
    assert_int_equal(json_array_size(j), 1);
    json_decref(j);
    resp_free(&r);
    ag_serve_release(x->s, v);
}

static void test_workloads(void **state)
{
    srv *x = *state;
    resp r;
    json_t *j, *a, *b;

    get(x->port, "/api/v1/workloads", &r);
    assert_int_equal(r.code, 200);
    assert_string_equal(r.ctype, "application/json");
    j = parse(&r);
    assert_int_equal(json_array_size(j), 2);
    a = json_array_get(j, 0);
    assert_string_equal(json_string_value(json_object_get(a, "name")), "api");
    assert_string_equal(json_string_value(json_object_get(a, "kind")), "Deployment");
    assert_int_equal(json_integer_value(json_object_get(a, "pods")), 3);
    b = json_object_get(a, "cpu");
    assert_double_near(json_number_value(json_object_get(b, "request")), 1, 0);
    assert_double_near(json_number_value(json_object_get(b, "target")), 0.251, 1e-12);
    assert_double_near(json_number_value(json_object_get(b, "savings")), 0.749, 1e-12);
    assert_double_near(json_number_value(json_object_get(b, "savingsTotal")), 2.247, 1e-12);
    b = json_object_get(a, "memory");
    assert_double_near(json_number_value(json_object_get(b, "savings")), 1073741824.0 - 314572801.0,
                       0);
    assert_string_equal(json_string_value(json_object_get(json_object_get(a, "risk"), "level")),
                        "low");
    a = json_array_get(j, 1);
    b = json_object_get(a, "risk");
    assert_string_equal(json_string_value(json_object_get(b, "level")), "high");
    assert_int_equal(json_integer_value(json_object_get(b, "ooms")), 2);
    assert_true(json_array_size(json_object_get(b, "reasons")) >= 2);
    /* CPU target 0.75 above the 0.5 request: negative savings. */
    assert_double_near(json_number_value(json_object_get(json_object_get(a, "cpu"), "savings")),
                       -0.25, 1e-12);
    json_decref(j);
    resp_free(&r);
}

static void test_forecasts(void **state)
{
    srv *x = *state;
    resp r;
    json_t *j, *o, *vals, *hist;

    get(x->port, "/api/v1/forecasts?workload=api", &r);
    assert_int_equal(r.code, 200);
    j = parse(&r);
    assert_int_equal(json_array_size(j), 2);
    o = json_array_get(j, 1);
    assert_string_equal(json_string_value(json_object_get(o, "resource")), "memory");
    assert_string_equal(json_string_value(json_object_get(o, "unit")), "bytes");
    assert_string_equal(json_string_value(json_object_get(o, "model")), "holt");
    assert_double_near(json_number_value(json_object_get(o, "t0")), T0 / 1000.0, 0);
    assert_double_near(json_number_value(json_object_get(o, "step")), 3600, 0);
    assert_int_equal(json_array_size(json_object_get(o, "quantiles")), 2);
    vals = json_object_get(o, "values");
    assert_int_equal(json_array_size(vals), 2);
    assert_int_equal(json_array_size(json_array_get(vals, 1)), 24);
    assert_double_near(json_number_value(json_array_get(json_array_get(vals, 1), 5)),
                       fx_q(AG_MEMORY, 1, 5), 0);
    hist = json_object_get(o, "history");
    assert_int_equal(json_array_size(json_object_get(hist, "values")), 48);
    assert_double_near(json_number_value(json_object_get(hist, "t0")), (T0 - 48 * STEP) / 1000.0,
                       0);
    json_decref(j);
    resp_free(&r);

    get(x->port, "/api/v1/forecasts?resource=cpu", &r);
    j = parse(&r);
    assert_int_equal(json_array_size(j), 2);
    assert_string_equal(json_string_value(json_object_get(json_array_get(j, 0), "resource")),
                        "cpu");
    json_decref(j);
    resp_free(&r);
}

static void test_keda(void **state)
{
    srv *x = *state;
    resp r;
    json_t *j;

    /* 15m: the first step only; 0.9 is k = 1: 0.2 cores. */
    get(x->port, "/api/v1/keda/shop/api?metric=cpu&quantile=0.9&horizon=15m", &r);
    assert_int_equal(r.code, 200);
    j = parse(&r);
    assert_double_near(json_number_value(json_object_get(j, "value")), 0.2, 1e-12);
    json_decref(j);
    resp_free(&r);
    /* 6h: steps 0..5, the peak is step 5. Default quantile 0.9. */
    get(x->port, "/api/v1/keda/shop/api?metric=memory&horizon=6h", &r);
    j = parse(&r);
    assert_double_near(json_number_value(json_object_get(j, "value")), fx_q(AG_MEMORY, 1, 5), 0);
    json_decref(j);
    resp_free(&r);

    get(x->port, "/api/v1/keda/shop/api?metric=cpu&quantile=0.8", &r);
    expect_error(&r, 400, "quantile 0.8");
    resp_free(&r);
    get(x->port, "/api/v1/keda/shop/api?quantile=0.9", &r);
    expect_error(&r, 400, "'metric'");
    resp_free(&r);
    get(x->port, "/api/v1/keda/shop/nope?metric=cpu", &r);
    expect_error(&r, 404, "shop/nope");
    resp_free(&r);
    get(x->port, "/api/v1/keda/shop/api?metric=cpu&horizon=soon", &r);
    expect_error(&r, 400, "'horizon'");
    resp_free(&r);
}

/* A workload-scope CPU forecast (the workload's total) beside the per-pod
 * ones: KEDA serves it for cpu by default and the per-pod one with
 * scope=pod; /api/v1/forecasts lists it only with scope=workload; /metrics
 * leaves it out. */
static void test_keda_total(void **state)
{
    srv *x = *state;
    ag_view *v = fx_view(1);
    ag_view_fc *f, *more;
    resp r;
    json_t *j;

    more = ag__realloc(v->fcs, (v->nfcs + 1) * sizeof *v->fcs);
    assert_non_null(more);
    v->fcs = more;
    f = &v->fcs[v->nfcs];
    *f = v->fcs[2 * 0 + AG_CPU]; /* shop/api app, cpu */
    f->scope = AG_FC_SCOPE_WORKLOAD;
    f->q = ag__calloc(2 * 24, sizeof *f->q);
    f->history = NULL;
    f->nhist = 0;
    for (size_t h = 0; h < 48; h++)
        f->q[h] = 1.5 + (double)h / 100; /* p50 then p90 */
    v->nfcs++;
    ag_serve_publish(x->s, v);

    get(x->port, "/api/v1/keda/shop/api?metric=cpu&quantile=0.9&horizon=15m", &r);
    assert_int_equal(r.code, 200);
    j = parse(&r);
    assert_double_near(json_number_value(json_object_get(j, "value")), 1.5 + 24.0 / 100, 1e-12);
    json_decref(j);
    resp_free(&r);
    get(x->port, "/api/v1/keda/shop/api?metric=cpu&quantile=0.9&horizon=15m&scope=pod", &r);
    j = parse(&r);
    assert_double_near(json_number_value(json_object_get(j, "value")), 0.2, 1e-12);
    json_decref(j);
    resp_free(&r);
    get(x->port, "/api/v1/keda/shop/api?metric=cpu&scope=all", &r);
    expect_error(&r, 400, "'scope'");
    resp_free(&r);

    get(x->port, "/api/v1/forecasts?namespace=shop&workload=api&resource=cpu", &r);
    j = parse(&r);
    assert_int_equal(json_array_size(j), 1);
    assert_string_equal(json_string_value(json_object_get(json_array_get(j, 0), "scope")), "pod");
    json_decref(j);
    resp_free(&r);
    get(x->port, "/api/v1/forecasts?namespace=shop&workload=api&scope=workload", &r);
    j = parse(&r);
    assert_int_equal(json_array_size(j), 1);
    assert_string_equal(json_string_value(json_object_get(json_array_get(j, 0), "scope")),
                        "workload");
    json_decref(j);
    resp_free(&r);
    get(x->port, "/metrics", &r);
    assert_int_equal(r.code, 200);
    assert_null(strstr(r.body.p, " 1.74\n")); /* the total's p90 at step 0 is not exported */
    resp_free(&r);
}

/* The line of b starting with prefix, or NULL. */
static const char *line(const char *b, const char *prefix)
{
    size_t n = strlen(prefix);
    for (const char *p = b; p && *p; p = strchr(p, '\n') ? strchr(p, '\n') + 1 : NULL)
        if (strncmp(p, prefix, n) == 0)
            return p;
    return NULL;
}

static void expect_line(const char *b, const char *want)
{
    const char *p = line(b, want);
    if (!p || (p[strlen(want)] != '\n' && p[strlen(want)] != '\0'))
        fail_msg("no line '%s' in:\n%s", want, b);
}

static void check_metrics(const char *m)
{
    expect_line(m, "# HELP augur_recommendation_cpu_cores Recommended CPU request (and bounds, "
                   "limit) in cores.");
    expect_line(m, "# TYPE augur_recommendation_cpu_cores gauge");
    expect_line(m, "augur_recommendation_cpu_cores{namespace=\"shop\",workload=\"api\","
                   "kind=\"Deployment\",container=\"app\",bound=\"target\"} 0.251");
    expect_line(m, "augur_recommendation_memory_bytes{namespace=\"shop\",workload=\"api\","
                   "kind=\"Deployment\",container=\"app\",bound=\"limit\"} 629145602");
    /* The escaped label value: " \ and newline. */
    expect_line(m, "augur_recommendation_cpu_cores{namespace=\"shop\",workload=\"db\","
                   "kind=\"StatefulSet\",container=\"side\\\"car\\\\\\nx\",bound=\"upper\"} 1.5");
    /* No CPU limit recommended: no sample. */
    assert_null(line(m, "augur_recommendation_cpu_cores{namespace=\"shop\",workload=\"api\","
                        "kind=\"Deployment\",container=\"app\",bound=\"limit\"}"));
    expect_line(m, "augur_forecast_cpu_cores{namespace=\"shop\",workload=\"api\","
                   "kind=\"Deployment\",container=\"app\",quantile=\"0.9\",horizon=\"6h\"} 0.25");
    expect_line(m, "augur_forecast_memory_bytes{namespace=\"shop\",workload=\"api\","
                   "kind=\"Deployment\",container=\"app\",quantile=\"0.5\",horizon=\"24h\"} "
                   "123000000");
    expect_line(m, "augur_forecast_cpu_cores{namespace=\"shop\",workload=\"api\","
                   "kind=\"Deployment\",container=\"app\",quantile=\"0.5\",horizon=\"1h\"} 0.1");
    expect_line(m, "# TYPE augur_loops_total counter");
    expect_line(m, "augur_loops_total 10");
    expect_line(m, "augur_loop_failures_total 1");
    expect_line(m, "augur_fetch_errors_total 2");
    expect_line(m, "augur_series_tracked 42");
    expect_line(m, "augur_samples_ingested_total 123456");
    expect_line(m, "augur_loop_duration_seconds 1.5");
    expect_line(m, "augur_last_success_timestamp_seconds 1700000000");
    expect_line(m, "augur_ready 1");
    assert_non_null(line(m, "augur_view_age_seconds "));
}

static void test_metrics_http(void **state)
{
    srv *x = *state;
    resp r;

    get(x->port, "/healthz", &r);
    resp_free(&r);
    get(x->port, "/nope", &r);
    resp_free(&r);
    get(x->port, "/metrics", &r);
    assert_int_equal(r.code, 200);
    assert_string_equal(r.ctype, "text/plain; version=0.0.4; charset=utf-8");
    check_metrics(r.body.p);
    expect_line(r.body.p, "# TYPE augur_http_requests_total counter");
    assert_non_null(line(r.body.p, "augur_http_requests_total{code=\"200\"} "));
    expect_line(r.body.p, "augur_http_requests_total{code=\"404\"} 1");
    resp_free(&r);
}

static void test_metrics_direct(void **state)
{
    ag_view *v = fx_view(1);
    ag_health h = {.loops = 10,
                   .loop_failures = 1,
                   .fetch_errors = 2,
                   .series_tracked = 42,
                   .samples_ingested = 123456,
                   .last_loop_seconds = 1.5,
                   .last_success_ms = T0,
                   .ready = 1};
    ag_buf b;
    long n;

    (void)state;
    ag__buf_init(&b, 0);
    assert_int_equal(ag_http_metrics(v, &h, &b), AG_OK);
    check_metrics(b.p);
    assert_null(line(b.p, "augur_http_requests_total"));
    ag__buf_free(&b);

    /* No view: the daemon's own metrics only, not ready. */
    ag__buf_init(&b, 0);
    assert_int_equal(ag_http_metrics(NULL, &h, &b), AG_OK);
    expect_line(b.p, "augur_ready 0");
    assert_null(line(b.p, "augur_view_age_seconds"));
    assert_null(line(b.p, "augur_recommendation_cpu_cores{"));
    ag__buf_free(&b);

    /* A cap too small: AG_ETOOBIG. */
    ag__buf_init(&b, 100);
    assert_int_equal(ag_http_metrics(v, &h, &b), AG_ETOOBIG);
    ag__buf_free(&b);

    /* Every allocation failing in turn: AG_ENOMEM, no leak. */
    for (n = 1;; n++) {
        ag__buf_init(&b, 0);
        ag__alloc_fail_after(n);
        ag_err rc = ag_http_metrics(v, &h, &b);
        ag__alloc_fail_after(0);
        ag__buf_free(&b);
        if (rc == AG_OK)
            break;
        assert_int_equal(rc, AG_ENOMEM);
    }
    ag_view_free(v);
}

static void test_render_oom(void **state)
{
    ag_view *v = fx_view(1);
    ag__http_req q;
    ag_buf b;
    size_t next;

    (void)state;
    ag__http_req_init(&q);
    q.route = AG__R_WORKLOADS;
    for (int which = 0; which < 3; which++) {
        for (long n = 1;; n++) {
            ag_err rc;
            ag__buf_init(&b, 0);
            ag__alloc_fail_after(n);
            rc = which == 0   ? ag__http_recs_json(v, &q, &b, &next)
                 : which == 1 ? ag__http_workloads_json(v, &q, &b, &next)
                              : ag__http_forecasts_json(v, &q, &b, &next);
            ag__alloc_fail_after(0);
            ag__buf_free(&b);
            if (rc == AG_OK)
                break;
            assert_int_equal(rc, AG_ENOMEM);
        }
    }
    ag_view_free(v);
}

/* Pages of size 1..n of path collect every item exactly once. */
static void paginate(int port, const char *path, const char *key, size_t total)
{
    for (size_t lim = 1; lim <= total; lim++) {
        char url[512], cont[64] = "";
        json_t *all = json_array();
        int pages = 0;
        for (;;) {
            resp r;
            json_t *j;
            snprintf(url, sizeof url, "%s%slimit=%zu%s%s", path, strchr(path, '?') ? "&" : "?", lim,
                     cont[0] ? "&continue=" : "", cont);
            get(port, url, &r);
            assert_int_equal(r.code, 200);
            j = parse(&r);
            assert_true(json_array_size(j) <= lim);
            json_array_extend(all, j);
            json_decref(j);
            snprintf(cont, sizeof cont, "%s", r.cont);
            resp_free(&r);
            assert_true(++pages <= (int)total + 1);
            if (!cont[0])
                break;
        }
        assert_int_equal(json_array_size(all), total);
        for (size_t i = 0; i < total; i++)
            for (size_t k = i + 1; k < total; k++)
                assert_false(json_equal(json_array_get(all, i), json_array_get(all, k)));
        assert_int_equal(pages, (int)((total + lim - 1) / lim));
        (void)key;
        json_decref(all);
    }
}

static void test_pagination(void **state)
{
    srv *x = *state;
    resp a, b;

    paginate(x->port, "/api/v1/recommendations", "container", 2);
    paginate(x->port, "/api/v1/workloads", "container", 2);
    paginate(x->port, "/api/v1/forecasts", "resource", 4);
    paginate(x->port, "/api/v1/forecasts?namespace=shop", "resource", 4);

    /* Two pages of one: their items are those of the whole array. */
    get(x->port, "/api/v1/recommendations?limit=1", &a);
    assert_string_equal(a.cont, "o1");
    get(x->port, "/api/v1/recommendations?limit=1&continue=o1", &b);
    assert_string_equal(b.cont, "");
    {
        json_t *ja = parse(&a), *jb = parse(&b), *all;
        const ag_view *v = ag_serve_acquire(x->s);
        json_error_t e;
        all = json_loads(v->recs_json, 0, &e);
        assert_true(json_equal(json_array_get(all, 0), json_array_get(ja, 0)));
        assert_true(json_equal(json_array_get(all, 1), json_array_get(jb, 0)));
        ag_serve_release(x->s, v);
        json_decref(ja);
        json_decref(jb);
        json_decref(all);
    }
    resp_free(&a);
    resp_free(&b);
    /* Past the end: an empty page. */
    get(x->port, "/api/v1/workloads?continue=o9", &a);
    assert_int_equal(a.code, 200);
    assert_string_equal(a.body.p, "[]\n");
    resp_free(&a);
}

static void test_errors(void **state)
{
    srv *x = *state;
    resp r;
    char big[4096];

    get(x->port, "/nope", &r);
    expect_error(&r, 404, "/nope");
    resp_free(&r);
    get(x->port, "/api/v1/keda/shop", &r);
    expect_error(&r, 404, NULL);
    resp_free(&r);
    req(x->port, "PUT", "/metrics", "Authorization: Bearer s3cret", "x", 1, &r);
    expect_error(&r, 405, "PUT");
    assert_string_equal(r.allow, "GET, HEAD");
    resp_free(&r);
    req(x->port, "OPTIONS", "/api/v1/workloads", NULL, NULL, 0, &r);
    expect_error(&r, 405, NULL);
    resp_free(&r);
    get(x->port, "/api/v1/recommendations?limit=0", &r);
    expect_error(&r, 400, "'limit'");
    resp_free(&r);
    get(x->port, "/api/v1/recommendations?limit=abc", &r);
    expect_error(&r, 400, "'limit'");
    resp_free(&r);
    get(x->port, "/api/v1/recommendations?bogus=1", &r);
    expect_error(&r, 400, "'bogus'");
    resp_free(&r);
    get(x->port, "/api/v1/recommendations?continue=zz", &r);
    expect_error(&r, 400, "'continue'");
    resp_free(&r);
    get(x->port, "/api/v1/recommendations?namespace=a&namespace=b", &r);
    expect_error(&r, 400, "'namespace'");
    resp_free(&r);
    get(x->port, "/api/v1/recommendations?metric=cpu", &r);
    expect_error(&r, 400, "'metric'");
    resp_free(&r);
    get(x->port, "/metrics?limit=3", &r);
    expect_error(&r, 400, "'limit'");
    resp_free(&r);
    /* No backtest runner: 501, saying why. */
    get(x->port, "/api/v1/backtests", &r);
    expect_error(&r, 501, "no store");
    resp_free(&r);
    req(x->port, "POST", "/api/v1/backtests", "Authorization: Bearer s3cret", "{}", 2, &r);
    expect_error(&r, 501, "no store");
    resp_free(&r);
    get(x->port, "/api/v1/backtests/1", &r);
    expect_error(&r, 501, "no store");
    resp_free(&r);
    req(x->port, "DELETE", "/api/v1/backtests", "Authorization: Bearer s3cret", NULL, 0, &r);
    expect_error(&r, 405, "DELETE");
    assert_string_equal(r.allow, "GET, HEAD, POST");
    resp_free(&r);
    req(x->port, "POST", "/api/v1/backtests/1", "Authorization: Bearer s3cret", "{}", 2, &r);
    expect_error(&r, 405, NULL);
    assert_string_equal(r.allow, "GET, HEAD, DELETE");
    resp_free(&r);
    get(x->port, "/api/v1/runs?status=maybe", &r);
    expect_error(&r, 400, "'status'");
    resp_free(&r);
    get(x->port, "/api/v1/runs?namespace=a", &r);
    expect_error(&r, 400, "'namespace'");
    resp_free(&r);
    get(x->port, "/api/v1/workloads?status=ok", &r);
    expect_error(&r, 400, "'status'");
    resp_free(&r);
    /* State-changing: the token first. */
    req(x->port, "POST", "/api/v1/runs", NULL, "{}", 2, &r);
    expect_error(&r, 401, "bearer");
    resp_free(&r);
    req(x->port, "DELETE", "/api/v1/runs", "Authorization: Bearer wrong", NULL, 0, &r);
    expect_error(&r, 401, "bearer");
    resp_free(&r);
    req(x->port, "POST", "/api/v1/runs", "Authorization: Bearer s3cret", "{}", 2, &r);
    expect_error(&r, 405, NULL);
    resp_free(&r);
    req(x->port, "HEAD", "/api/v1/workloads", NULL, NULL, 0, &r);
    assert_int_equal(r.code, 200);
    assert_int_equal(r.body.len, 0);
    resp_free(&r);
    (void)big;
}

static void test_body_and_token_limits(void **state)
{
    ag_http_opts o = {.listen = "127.0.0.1:0", .bearer_token = "tok", .max_body = 100};
    srv *x = srv_start(&o, 1);
    ag_http_opts o2 = {.listen = "127.0.0.1:0"};
    srv *y;
    char body[1000];
    resp r;

    (void)state;
    memset(body, 'a', sizeof body);
    req(x->port, "POST", "/api/v1/runs", "Authorization: Bearer tok", body, sizeof body, &r);
    expect_error(&r, 413, "too large");
    resp_free(&r);
    req(x->port, "POST", "/api/v1/runs", "Authorization: Bearer tok", body, 100, &r);
    expect_error(&r, 405, NULL);
    resp_free(&r);
    /* Chunked, no Content-Length: counted as it arrives. */
    req(x->port, "POST", "/api/v1/runs", "Transfer-Encoding: chunked", NULL, 0, &r);
    expect_error(&r, 401, NULL);
    resp_free(&r);
    srv_stop(x);

    y = srv_start(&o2, 1);
    req(y->port, "POST", "/api/v1/runs", "Authorization: Bearer tok", "{}", 2, &r);
    expect_error(&r, 403, "disabled");
    resp_free(&r);
    srv_stop(y);
}

static void test_rate_limit(void **state)
{
    ag_http_opts o = {.listen = "127.0.0.1:0", .rate_per_s = 0.5, .burst = 3};
    srv *x = srv_start(&o, 1);
    resp r;

    (void)state;
    for (int i = 0; i < 3; i++) {
        get(x->port, "/healthz", &r);
        assert_int_equal(r.code, 200);
        resp_free(&r);
    }
    get(x->port, "/healthz", &r);
    expect_error(&r, 429, NULL);
    assert_true(atoi(r.retry) >= 1 && atoi(r.retry) <= 2);
    resp_free(&r);
    srv_stop(x);
}

static void test_page(void **state)
{
    srv *x = *state;
    resp r;

    get(x->port, "/", &r);
    assert_int_equal(r.code, 200);
    assert_string_equal(r.ctype, "text/html; charset=utf-8");
    assert_non_null(strstr(r.body.p, "<!doctype html>"));
    assert_non_null(strstr(r.body.p, "fetch(\"api/v1/workloads\")"));
    /* Self-contained: nothing fetched from elsewhere. */
    for (const char *p = strstr(r.body.p, "http://"); p; p = strstr(p + 1, "http://"))
        assert_memory_equal(p, "http://www.w3.org/2000/svg\"", 27); /* a namespace, no fetch */
    assert_null(strstr(r.body.p, "https://"));
    assert_null(strstr(r.body.p, "src="));
    assert_null(strstr(r.body.p, "href="));
    assert_null(strstr(r.body.p, "url("));
    assert_null(strstr(r.body.p, "@import"));
    resp_free(&r);
}

static void test_listen(void **state)
{
    ag_serve *s = ag_serve_new();
    ag_http *h = (ag_http *)1, *h2 = NULL;
    ag_errinfo ei = {{0}};
    const char *bad[] = {
        "nonsense", "127.0.0.1:99999", "127.0.0.1:", "[::1", "a:b:c", "127.0.0.1:8x"};
    char addr[64];

    (void)state;
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        ag_http_opts o = {.listen = bad[i]};
        assert_int_equal(ag_http_start(&o, s, &h, &ei), AG_EINVAL);
        assert_null(h);
        assert_non_null(strstr(ei.msg, "listen address"));
    }
    {
        ag_http_opts o = {.listen = "127.0.0.1:0"};
        assert_int_equal(ag_http_start(&o, s, &h, &ei), AG_OK);
        snprintf(addr, sizeof addr, "127.0.0.1:%d", ag_http_port(h));
        o.listen = addr;
        assert_int_equal(ag_http_start(&o, s, &h2, &ei), AG_ENET);
        assert_null(h2);
        ag_http_stop(h);
    }
    {
        ag_http_opts o = {.listen = "[::1]:0"};
        if (ag_http_start(&o, s, &h, &ei) == AG_OK) /* IPv6 may be absent */
            ag_http_stop(h);
    }
    ag_http_stop(NULL);
    ag_serve_free(s);
}

static void test_parse_target(void **state)
{
    ag__http_req r;
    const char *t;

    (void)state;
    t = "/api/v1/recommendations?namespace=a%20b&limit=5&continue=o1f";
    assert_int_equal(ag__http_parse_target(&r, t, strlen(t)), 0);
    assert_int_equal(r.route, AG__R_RECS);
    assert_string_equal(r.ns, "a b");
    assert_int_equal(r.limit, 5);
    assert_int_equal(r.offset, 31);
    t = "/api/v1/keda/ns1/web?metric=memory&quantile=0.95&horizon=1h30m";
    assert_int_equal(ag__http_parse_target(&r, t, strlen(t)), 0);
    assert_int_equal(r.route, AG__R_KEDA);
    assert_string_equal(r.path_ns, "ns1");
    assert_string_equal(r.path_workload, "web");
    assert_int_equal(r.metric, AG_MEMORY);
    assert_int_equal(r.horizon_ms, 5400000);
    t = "/metrics/";
    assert_int_equal(ag__http_parse_target(&r, t, strlen(t)), 0);
    assert_int_equal(r.route, AG__R_METRICS);
    t = "/api/v1/keda/a/b/c?metric=cpu";
    assert_int_equal(ag__http_parse_target(&r, t, strlen(t)), -2);
    t = "/x%00y";
    assert_int_equal(ag__http_parse_target(&r, t, strlen(t)), -3);
    t = "/api/v1/workloads?namespace=%zz";
    assert_int_equal(ag__http_parse_target(&r, t, strlen(t)), -1);
    assert_string_equal(r.bad, "namespace");
    t = "/api/v1/workloads?namespace=";
    assert_int_equal(ag__http_parse_target(&r, t, strlen(t)), -1);
    t = "/api/v1/workloads?limit=10001";
    assert_int_equal(ag__http_parse_target(&r, t, strlen(t)), -1);
    t = "/api/v1/workloads?limit=10000&&";
    assert_int_equal(ag__http_parse_target(&r, t, strlen(t)), 0);
    t = "/api/v1/keda/a/b?metric=cpu&quantile=1";
    assert_int_equal(ag__http_parse_target(&r, t, strlen(t)), -1);
    assert_string_equal(r.bad, "quantile");
    t = "/api/v1/keda/a/b?metric=cpu&quantile=nan";
    assert_int_equal(ag__http_parse_target(&r, t, strlen(t)), -1);
    t = "/api/v1/runs/12?limit=3";
    assert_int_equal(ag__http_parse_target(&r, t, strlen(t)), -1); /* runs/{id} takes none */
    t = "/api/v1/runs/12";
    assert_int_equal(ag__http_parse_target(&r, t, strlen(t)), 0);
    assert_int_equal(r.route, AG__R_RUN);
    assert_string_equal(r.path_id, "12");
    t = "/api/v1/backtests/7/";
    assert_int_equal(ag__http_parse_target(&r, t, strlen(t)), 0);
    assert_int_equal(r.route, AG__R_BACKTEST);
    assert_string_equal(r.path_id, "7");
    t = "/api/v1/runs?status=failed&limit=2&continue=o1f";
    assert_int_equal(ag__http_parse_target(&r, t, strlen(t)), 0);
    assert_int_equal(r.route, AG__R_RUNS);
    assert_int_equal(r.status, 0);
    t = "/api/v1/runs/1/2";
    assert_int_equal(ag__http_parse_target(&r, t, strlen(t)), -2);
    t = "/api/v1/backtests//";
    assert_int_equal(ag__http_parse_target(&r, t, strlen(t)), -2);
    t = "/api/v1/keda/a/b";
    assert_int_equal(ag__http_route_match(&r, t), AG__R_KEDA);
    assert_string_equal(r.path_ns, "a");
    assert_string_equal(r.path_workload, "b");
    {
        uint64_t id = 0;
        assert_int_equal(ag__http_path_id("42", &id), 0);
        assert_int_equal(id, 42);
        assert_int_equal(ag__http_path_id("0", &id), -1);
        assert_int_equal(ag__http_path_id("042", &id), -1);
        assert_int_equal(ag__http_path_id("4x", &id), -1);
        assert_int_equal(ag__http_path_id("", &id), -1);
        assert_int_equal(ag__http_path_id("9999999999999999999", &id), -1);
    }
    assert_true(ag__http_method_allowed(AG__R_BACKTESTS, "POST"));
    assert_true(ag__http_method_allowed(AG__R_BACKTESTS, "HEAD"));
    assert_false(ag__http_method_allowed(AG__R_BACKTESTS, "DELETE"));
    assert_true(ag__http_method_allowed(AG__R_BACKTEST, "DELETE"));
    assert_false(ag__http_method_allowed(AG__R_METRICS, "POST"));
    assert_false(ag__http_method_allowed(AG__R_METRICS, "ET"));
    assert_false(ag__http_method_allowed(AG__R_METRICS, "GET, HEAD"));
}

static void test_accept_encoding(void **state)
{
    (void)state;
    assert_true(ag__http_accepts_gzip("gzip"));
    assert_true(ag__http_accepts_gzip("deflate, gzip"));
    assert_true(ag__http_accepts_gzip("GZIP;q=0.5"));
    assert_true(ag__http_accepts_gzip("identity, x-gzip ; q=1"));
    assert_true(ag__http_accepts_gzip("*"));
    assert_true(ag__http_accepts_gzip("gzip;q=0.001"));
    assert_false(ag__http_accepts_gzip(NULL));
    assert_false(ag__http_accepts_gzip(""));
    assert_false(ag__http_accepts_gzip("identity"));
    assert_false(ag__http_accepts_gzip("deflate, br"));
    assert_false(ag__http_accepts_gzip("gzip;q=0"));
    assert_false(ag__http_accepts_gzip("gzip; q=0.000, br"));
    assert_false(ag__http_accepts_gzip("gzipx"));
    assert_false(ag__http_accepts_gzip("xgzip"));
}

/* ---- a view published while clients read ---- */

typedef struct reader {
    int port;
    const char *a, *b; /* the two possible bodies */
    volatile int stop;
    long ok, bad;
    char why[256];
} reader;

static void *read_loop(void *ud)
{
    reader *rd = ud;
    while (!rd->stop) {
        resp r;
        get(rd->port, "/api/v1/recommendations", &r);
        if (r.code == 200 && r.body.p &&
            (strcmp(r.body.p, rd->a) == 0 || strcmp(r.body.p, rd->b) == 0)) {
            rd->ok++;
        } else {
            if (!rd->bad)
                snprintf(rd->why, sizeof rd->why, "status %ld, %zu bytes", r.code, r.body.len);
            rd->bad++;
        }
        resp_free(&r);
        get(rd->port, "/metrics", &r);
        if (r.code != 200 || !line(r.body.p, "augur_ready 1")) {
            if (!rd->bad)
                snprintf(rd->why, sizeof rd->why, "metrics: status %ld", r.code);
            rd->bad++;
        }
        resp_free(&r);
    }
    return NULL;
}

static void test_publish_while_reading(void **state)
{
    ag_http_opts o = {.listen = "127.0.0.1:0", .rate_per_s = 1e9, .burst = 1000000000};
    srv *x = srv_start(&o, 1);
    ag_view *va = fx_view(1), *vb = fx_view(2);
    char *a = ag__strdup(va->recs_json), *b = ag__strdup(vb->recs_json);
    reader rd[3];
    pthread_t th[3];
    int64_t end;
    long published = 0;

    (void)state;
    ag_view_free(va);
    ag_view_free(vb);
    assert_string_not_equal(a, b);
    ag_serve_publish(x->s, fx_view(1));
    for (int i = 0; i < 3; i++) {
        rd[i] = (reader){.port = x->port, .a = a, .b = b};
        pthread_create(&th[i], NULL, read_loop, &rd[i]);
    }
    end = ag_now_ms() + 2000;
    while (ag_now_ms() < end) {
        ag_serve_publish(x->s, fx_view(published % 2 ? 1 : 2));
        published++;
        usleep(2000);
    }
    for (int i = 0; i < 3; i++)
        rd[i].stop = 1;
    for (int i = 0; i < 3; i++)
        pthread_join(th[i], NULL);
    for (int i = 0; i < 3; i++) {
        if (rd[i].bad)
            fail_msg("reader %d: %ld bad responses (first: %s)", i, rd[i].bad, rd[i].why);
        assert_true(rd[i].ok > 0);
    }
    assert_true(published > 10);
    ag__free(a);
    ag__free(b);
    srv_stop(x);
}

/* ---- gzip ---- */

/* m without the lines that change from one request to the next. */
static char *stable_lines(const char *m)
{
    ag_buf b;
    const char *p = m;

    ag__buf_init(&b, 0);
    while (p && *p) {
        const char *nl = strchr(p, '\n');
        size_t n = nl ? (size_t)(nl - p) + 1 : strlen(p);
        if (strncmp(p, "augur_http_requests_total{", 26) != 0 &&
            strncmp(p, "augur_view_age_seconds ", 23) != 0)
            assert_int_equal(ag__buf_append(&b, p, n), AG_OK);
        p += n;
    }
    return b.p ? ag__buf_steal(&b) : ag__strdup("");
}

/* Inflates a gzip stream, counting its members (RFC 1952). */
static void gunzip(const char *in, size_t n, ag_buf *out, int *members)
{
    z_stream z;
    char chunk[65536];
    int zr = Z_OK;

    memset(&z, 0, sizeof z);
    *members = 0;
    assert_int_equal(inflateInit2(&z, 16 + 15), Z_OK);
    z.next_in = (Bytef *)(uintptr_t)in;
    z.avail_in = (uInt)n;
    while (z.avail_in) {
        z.next_out = (Bytef *)chunk;
        z.avail_out = sizeof chunk;
        zr = inflate(&z, Z_NO_FLUSH);
        if (zr != Z_OK && zr != Z_STREAM_END)
            fail_msg("inflate: %d (%s) after %zu bytes", zr, z.msg ? z.msg : "", out->len);
        assert_int_equal(ag__buf_append(out, chunk, sizeof chunk - z.avail_out), AG_OK);
        if (zr == Z_STREAM_END) {
            (*members)++;
            inflateReset(&z);
        }
    }
    inflateEnd(&z);
    assert_int_equal(zr, Z_STREAM_END); /* it ends with a complete member */
}

/* path plain, gzip decoded by libcurl, and raw gzip decoded by zlib: the
 * same text (metrics: but for the lines that change per request). */
static void check_gzip(int port, const char *path, int metrics)
{
    resp plain, dec, raw;
    ag_buf z;
    int members;
    char *a, *b, *c;

    get(port, path, &plain);
    assert_int_equal(plain.code, 200);
    assert_string_equal(plain.cenc, "");
    assert_string_equal(plain.vary, "Accept-Encoding");
    req_ex(port, "GET", path, NULL, NULL, 0, "gzip", 0, &dec);
    assert_int_equal(dec.code, 200);
    assert_string_equal(dec.cenc, "gzip");
    assert_string_equal(dec.vary, "Accept-Encoding");
    assert_string_equal(dec.ctype, plain.ctype);
    req_ex(port, "GET", path, NULL, NULL, 0, "gzip", 1, &raw);
    assert_int_equal(raw.code, 200);
    assert_string_equal(raw.cenc, "gzip");
    assert_true(raw.body.len > 18);
    assert_memory_equal(raw.body.p, "\x1f\x8b\x08", 3);
    ag__buf_init(&z, 0);
    gunzip(raw.body.p, raw.body.len, &z, &members);
    assert_int_equal(members, 1); /* one member: every gzip client reads it whole */
    if (metrics) {
        a = stable_lines(plain.body.p);
        b = stable_lines(dec.body.p);
        c = stable_lines(z.p);
        assert_string_equal(a, b);
        assert_string_equal(a, c);
        assert_non_null(line(dec.body.p, "augur_http_requests_total{code=\"200\"} "));
        assert_non_null(line(z.p, "augur_http_requests_total{code=\"200\"} "));
        ag__free(a);
        ag__free(b);
        ag__free(c);
    } else {
        assert_int_equal(dec.body.len, plain.body.len);
        assert_memory_equal(dec.body.p, plain.body.p, plain.body.len);
        assert_int_equal(z.len, plain.body.len);
        assert_memory_equal(z.p, plain.body.p, plain.body.len);
    }
    assert_true(raw.body.len < plain.body.len);
    ag__buf_free(&z);
    resp_free(&plain);
    resp_free(&dec);
    resp_free(&raw);
}

static void test_gzip(void **state)
{
    srv *x = *state;
    resp r;

    for (int round = 0; round < 2; round++) { /* the second from the cached gzip */
        check_gzip(x->port, "/metrics", 1);
        check_gzip(x->port, "/api/v1/recommendations", 0);
        check_gzip(x->port, "/api/v1/workloads", 0);
    }
    /* a new view: new cached bytes, compressed again */
    ag_serve_publish(x->s, fx_view(3));
    check_gzip(x->port, "/metrics", 1);
    check_gzip(x->port, "/api/v1/recommendations", 0);
    /* q=0 refuses gzip; filtered lists are not cached (plain) */
    req_ex(x->port, "GET", "/metrics", NULL, NULL, 0, "gzip;q=0, identity", 1, &r);
    assert_int_equal(r.code, 200);
    assert_string_equal(r.cenc, "");
    expect_line(r.body.p, "augur_loops_total 10");
    resp_free(&r);
    req_ex(x->port, "GET", "/api/v1/workloads?namespace=shop", NULL, NULL, 0, "gzip", 1, &r);
    assert_int_equal(r.code, 200);
    assert_string_equal(r.cenc, "");
    assert_int_equal(r.body.p[0], '[');
    resp_free(&r);
    req_ex(x->port, "HEAD", "/metrics", NULL, NULL, 0, "gzip", 1, &r);
    assert_int_equal(r.code, 200);
    assert_string_equal(r.cenc, "gzip");
    assert_int_equal(r.body.len, 0);
    resp_free(&r);
}

/* A cached body's gzip member ended by different tails, and the body and
 * its gzip form under allocation failures. */
static void test_body_cache(void **state)
{
    ag_serve *s = ag_serve_new();
    ag__http_cache c;
    ag__http_body *b;
    ag_err rc;
    long before = ag__http_bodies_live();

    (void)state;
    ag_serve_publish(s, fx_view(1));
    assert_int_equal(ag__http_cache_init(&c, ag__http_metrics_view, 0), 0);
    for (long n = 1;; n++) {
        ag__alloc_fail_after(n);
        b = ag__http_cache_get(&c, s, ag_serve_acquire(s), 1, &rc);
        ag__alloc_fail_after(0);
        if (!b) {
            assert_int_equal(rc, AG_ENOMEM);
            continue;
        }
        if (b->gz) {
            ag__http_body_unref(b);
            break;
        }
        assert_true(b->gz_failed);
        ag__http_body_unref(b);
        ag__http_cache_free(&c); /* start again without a cached body */
        assert_int_equal(ag__http_cache_init(&c, ag__http_metrics_view, 0), 0);
    }
    b = ag__http_cache_get(&c, s, ag_serve_acquire(s), 1, &rc);
    assert_non_null(b);
    assert_non_null(b->gz);
    for (int t = 0; t < 3; t++) {
        const char *tail = t == 0 ? "" : t == 1 ? "x" : "augur_loops_total 10\n";
        ag_buf z, out, want;
        int members;
        ag__buf_init(&z, 0);
        ag__buf_init(&out, 0);
        ag__buf_init(&want, 0);
        assert_int_equal(ag__buf_append(&z, b->gz, b->gz_len), AG_OK);
        assert_int_equal(ag__http_gzip_tail(b, tail, strlen(tail), &z), AG_OK);
        gunzip(z.p, z.len, &out, &members);
        assert_int_equal(members, 1);
        assert_int_equal(ag__buf_append(&want, b->p, b->len), AG_OK);
        assert_int_equal(ag__buf_puts(&want, tail), AG_OK);
        assert_int_equal(out.len, want.len);
        assert_memory_equal(out.p, want.p, want.len);
        ag__buf_free(&z);
        ag__buf_free(&out);
        ag__buf_free(&want);
    }
    {
        ag_buf z, out;
        int members;
        ag__buf_init(&z, 0);
        ag__buf_init(&out, 0);
        assert_int_equal(ag__buf_append(&z, b->gz, b->gz_len), AG_OK);
        assert_int_equal(ag__buf_append(&z, b->gz_end, sizeof b->gz_end), AG_OK);
        gunzip(z.p, z.len, &out, &members);
        assert_int_equal(out.len, b->len);
        assert_memory_equal(out.p, b->p, b->len);
        ag__buf_free(&z);
        ag__buf_free(&out);
    }
    ag__http_body_unref(b);
    /* the cache holds the view: a new one published, the old one lives on
     * in the cached body until the cache renders the new view */
    ag_serve_publish(s, fx_view(2));
    assert_int_equal(ag__http_bodies_live(), before + 1);
    b = ag__http_cache_get(&c, s, ag_serve_acquire(s), 0, &rc);
    assert_non_null(b);
    assert_null(b->gz);
    assert_int_equal(ag__http_bodies_live(), before + 1); /* the old body went */
    ag__http_body_unref(b);
    ag__http_cache_free(&c);
    assert_int_equal(ag__http_bodies_live(), before);
    ag_serve_free(s);
}

/* ---- the view of a body being sent lives until the response is freed ---- */

/* n workload-containers with forecasts: ~3 KB of /metrics each. */
static ag_view *big_view(size_t n)
{
    ag_view *v = view_alloc(n, 1000);

    for (size_t i = 0; i < n; i++) {
        ag_view_rec *x = &v->recs[i];
        snprintf(x->ns, sizeof x->ns, "namespace-%zu", i % 17);
        snprintf(x->kind, sizeof x->kind, "Deployment");
        snprintf(x->name, sizeof x->name, "workload-number-%zu", i);
        snprintf(x->container, sizeof x->container, "application");
        x->pods = 3;
        x->algorithm = "vpa";
        for (int r = 0; r < 2; r++) {
            double t = (r == AG_CPU ? 0.123456789 : 123456789.0) * (1 + (double)i * 1e-3);
            x->request[r] = t * 2;
            x->limit[r] = t * 4;
            x->rec.res[r] = (ag_rec_res){t, t * 0.5, t * 2, t, r == AG_MEMORY ? t * 2 : NAN};
            x->rec.status[r] = AG_REC_OK;
        }
        for (int r = 0; r < 2; r++) {
            ag_view_fc *f = fc_init(v, i, r, "ar");
            for (size_t k = 0; k < 48; k++)
                f->q[k] = fx_q(r, k / 24, k % 24) * (1 + (double)i * 1.1e-4);
        }
    }
    return v;
}

static void test_view_kept_while_sending(void **state)
{
    ag_http_opts o = {.listen = "127.0.0.1:0", .rate_per_s = 1e9, .burst = 1000000000};
    srv *x = srv_start(&o, 0);
    long before = ag__http_bodies_live();
    struct sockaddr_in sa = {0};
    int fd, small = 4096;
    const char rq[] = "GET /metrics HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n";
    ag_buf got;
    char chunk[4096], *a, *b;
    const char *body;
    resp r;
    ssize_t k;

    (void)state;
    ag_serve_publish(x->s, big_view(3500));
    fx_health(x->s, 1, "");
    get(x->port, "/metrics", &r); /* renders the view's bytes: cached */
    assert_int_equal(r.code, 200);
    assert_true(r.body.len > 8u << 20); /* more than the sockets buffer */
    assert_int_equal(ag__http_bodies_live(), before + 1);

    /* a client that reads 4 KB and stops: the response stays in flight */
    fd = socket(AF_INET, SOCK_STREAM, 0);
    assert_true(fd >= 0);
    setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &small, sizeof small);
    sa.sin_family = AF_INET;
    sa.sin_port = htons((uint16_t)x->port);
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    assert_int_equal(connect(fd, (struct sockaddr *)&sa, sizeof sa), 0);
    assert_int_equal(send(fd, rq, sizeof rq - 1, 0), (ssize_t)(sizeof rq - 1));
    ag__buf_init(&got, 64 << 20);
    k = recv(fd, chunk, sizeof chunk, 0);
    assert_true(k > 0);
    assert_int_equal(ag__buf_append(&got, chunk, (size_t)k), AG_OK);
    usleep(200000);

    /* a new view, rendered by the next request: the old one is released
     * by the cache, and only the stalled response still holds it */
    ag_serve_publish(x->s, fx_view(1));
    {
        resp r2;
        get(x->port, "/metrics", &r2);
        check_metrics(r2.body.p);
        resp_free(&r2);
    }
    assert_int_equal(ag__http_bodies_live(), before + 2);

    /* the stalled response comes whole and unchanged (ASan would catch a
     * send from freed bytes) */
    while ((k = recv(fd, chunk, sizeof chunk, 0)) > 0)
        assert_int_equal(ag__buf_append(&got, chunk, (size_t)k), AG_OK);
    close(fd);
    body = strstr(got.p, "\r\n\r\n");
    assert_non_null(body);
    assert_non_null(strstr(got.p, "HTTP/1.1 200"));
    a = stable_lines(r.body.p);
    b = stable_lines(body + 4);
    assert_int_equal(strlen(a), strlen(b));
    assert_string_equal(a, b);
    ag__free(a);
    ag__free(b);
    ag__buf_free(&got);
    resp_free(&r);

    /* freed with the response: the old body, and so the old view */
    for (int i = 0; i < 200 && ag__http_bodies_live() != before + 1; i++)
        usleep(10000);
    assert_int_equal(ag__http_bodies_live(), before + 1);
    srv_stop(x);
    assert_int_equal(ag__http_bodies_live(), before);
}

/* ---- /api/v1/runs ---- */

static void record(ag_serve *s, uint64_t id)
{
    ag_loop_run r = {0};

    r.id = id;
    r.started_ms = T0 + (int64_t)id * 60000;
    r.ended_ms = r.started_ms + 1500;
    r.ok = id % 7 != 0;
    r.workloads = r.ok ? 8 : 0;
    r.forecasts = 16;
    r.samples = id * 10;
    r.refit = id % 60 == 1;
    if (!r.ok)
        snprintf(r.error, sizeof r.error, "fetch failed: run %llu", (unsigned long long)id);
    ag_serve_record_run(s, &r);
}

/* The ids of a runs page, checked newest first and below *prev. */
static size_t page_ids(const resp *r, uint64_t *ids, size_t max, uint64_t *prev)
{
    json_t *j = parse(r), *items = json_object_get(j, "items");
    size_t n = json_array_size(items);

    assert_int_equal(json_object_size(j), 1);
    assert_true(n <= max);
    for (size_t i = 0; i < n; i++) {
        ids[i] = (uint64_t)json_integer_value(json_object_get(json_array_get(items, i), "id"));
        assert_true(ids[i] < *prev);
        *prev = ids[i];
    }
    json_decref(j);
    return n;
}

static void test_runs(void **state)
{
    srv *x = srv_start(NULL, 1);
    resp r;
    json_t *j, *o;
    uint64_t ids[300], prev = UINT64_MAX, seen[300];
    size_t n, total = 0;
    char url[128], cont[64];

    (void)state;
    get(x->port, "/api/v1/runs", &r);
    assert_int_equal(r.code, 200);
    assert_string_equal(r.body.p, "{\"items\": []}\n");
    resp_free(&r);
    for (uint64_t id = 1; id <= 300; id++)
        record(x->s, id);

    get(x->port, "/api/v1/runs", &r);
    assert_int_equal(r.code, 200);
    assert_string_equal(r.ctype, "application/json");
    assert_string_equal(r.cont, "");
    n = page_ids(&r, ids, 300, &prev);
    assert_int_equal(n, AG_SERVE_RUNS); /* the ring keeps the newest 256 */
    assert_int_equal(ids[0], 300);
    assert_int_equal(ids[n - 1], 300 - AG_SERVE_RUNS + 1);
    j = parse(&r);
    o = json_array_get(json_object_get(j, "items"), 0);
    assert_string_equal(json_string_value(json_object_get(o, "status")), "ok");
    assert_double_near(json_number_value(json_object_get(o, "started")),
                       (double)(T0 + 300 * 60000) / 1000, 1e-6);
    assert_double_near(json_number_value(json_object_get(o, "ended")),
                       (double)(T0 + 300 * 60000 + 1500) / 1000, 1e-6);
    assert_double_near(json_number_value(json_object_get(o, "seconds")), 1.5, 1e-9);
    assert_int_equal(json_integer_value(json_object_get(o, "workloads")), 8);
    assert_int_equal(json_integer_value(json_object_get(o, "forecasts")), 16);
    assert_int_equal(json_integer_value(json_object_get(o, "samples")), 3000);
    assert_true(json_is_false(json_object_get(o, "refit")));
    assert_true(json_is_null(json_object_get(o, "error")));
    o = json_array_get(json_object_get(j, "items"), 6); /* 294 = 7 x 42 */
    assert_int_equal(json_integer_value(json_object_get(o, "id")), 294);
    assert_string_equal(json_string_value(json_object_get(o, "status")), "failed");
    assert_string_equal(json_string_value(json_object_get(o, "error")), "fetch failed: run 294");
    assert_int_equal(json_integer_value(json_object_get(o, "workloads")), 0);
    o = json_array_get(json_object_get(j, "items"), 59); /* 241 = 4 x 60 + 1 */
    assert_true(json_is_true(json_object_get(o, "refit")));
    json_decref(j);
    resp_free(&r);

    /* status filter: the multiples of 7 in 45..300 */
    get(x->port, "/api/v1/runs?status=failed", &r);
    prev = UINT64_MAX;
    n = page_ids(&r, ids, 300, &prev);
    assert_int_equal(n, 300 / 7 - 44 / 7);
    for (size_t i = 0; i < n; i++)
        assert_int_equal(ids[i] % 7, 0);
    resp_free(&r);
    get(x->port, "/api/v1/runs?status=ok&limit=3", &r);
    prev = UINT64_MAX;
    assert_int_equal(page_ids(&r, ids, 3, &prev), 3);
    assert_int_equal(ids[0], 300);
    assert_int_equal(ids[2], 298);
    resp_free(&r);

    /* pages of 100, with runs arriving between pages: every run of the
     * first listing once, none twice */
    prev = UINT64_MAX;
    snprintf(url, sizeof url, "/api/v1/runs?limit=100");
    for (int page = 0;; page++) {
        get(x->port, url, &r);
        assert_int_equal(r.code, 200);
        n = page_ids(&r, ids, 100, &prev);
        memcpy(seen + total, ids, n * sizeof ids[0]);
        total += n;
        snprintf(cont, sizeof cont, "%s", r.cont);
        resp_free(&r);
        if (page == 0)
            for (uint64_t id = 301; id <= 305; id++)
                record(x->s, id); /* evicts 45..49 */
        if (!cont[0])
            break;
        assert_true(page < 3);
        snprintf(url, sizeof url, "/api/v1/runs?limit=100&continue=%s", cont);
    }
    assert_int_equal(seen[0], 300);
    assert_int_equal(seen[total - 1], 50);
    assert_int_equal(total, 300 - 50 + 1);

    get(x->port, "/api/v1/runs/301", &r);
    assert_int_equal(r.code, 200);
    j = parse(&r);
    assert_int_equal(json_integer_value(json_object_get(j, "id")), 301);
    assert_string_equal(json_string_value(json_object_get(j, "status")), "failed");
    json_decref(j);
    resp_free(&r);
    get(x->port, "/api/v1/runs/49", &r); /* evicted */
    expect_error(&r, 404, "no such run");
    resp_free(&r);
    get(x->port, "/api/v1/runs/abc", &r);
    expect_error(&r, 404, "'abc'");
    resp_free(&r);
    get(x->port, "/api/v1/runs?limit=0", &r);
    expect_error(&r, 400, "'limit'");
    resp_free(&r);
    get(x->port, "/api/v1/runs?continue=zz", &r);
    expect_error(&r, 400, "'continue'");
    resp_free(&r);
    srv_stop(x);

    /* the slot numbers runs the loop gave no id */
    {
        ag_serve *s = ag_serve_new();
        ag_loop_run a = {0}, out[4];
        snprintf(a.error, sizeof a.error, "x");
        ag_serve_record_run(s, &a);
        ag_serve_record_run(s, &a);
        assert_int_equal(ag_serve_runs(s, out, 4), 2);
        assert_int_equal(out[0].id, 2);
        assert_int_equal(out[1].id, 1);
        assert_int_equal(ag_serve_runs(s, out, 1), 1);
        assert_int_equal(out[0].id, 2);
        ag_serve_free(s);
    }
}

/* ---- /api/v1/backtests with a stub runner ---- */

typedef struct stub {
    pthread_mutex_t mu;
    pthread_cond_t cv;
    int open; /* jobs wait at the gate until it opens */
    int calls, running;
    char last[1024]; /* the last request it got */
} stub;

static ag_err stub_run(void *ud, const char *request, size_t len, char **out, size_t *out_len,
                       ag_errinfo *ei)
{
    stub *st = ud;
    json_t *j = json_loadb(request, len, 0, NULL), *res;
    const char *ns = json_string_value(json_object_get(j, "namespace"));
    ag_err rc = AG_OK;

    pthread_mutex_lock(&st->mu);
    st->calls++;
    st->running = 1;
    snprintf(st->last, sizeof st->last, "%.*s", (int)len, request);
    pthread_cond_broadcast(&st->cv);
    while (!st->open)
        pthread_cond_wait(&st->cv, &st->mu);
    st->running = 0;
    pthread_mutex_unlock(&st->mu);
    *out = NULL;
    if (ns && !strcmp(ns, "fail")) {
        ag_errinfo_set(ei, "no samples in namespace fail");
        rc = AG_ENODATA;
    } else if (ns && !strcmp(ns, "huge")) {
        *out_len = AG__HTTP_BT_RESULT_MAX + 1;
        *out = malloc(*out_len);
        memset(*out, ' ', *out_len);
    } else if (ns && !strcmp(ns, "garbage")) {
        *out = strdup("{\"runs\": [1, 2");
        *out_len = strlen(*out);
    } else {
        res = json_pack("{s:O, s:[i, i], s:s}", "echo", j, "runs", 1, 2, "source", "store");
        *out = json_dumps(res, JSON_COMPACT);
        *out_len = strlen(*out);
        *out = realloc(*out, *out_len + 2);
        memcpy(*out + *out_len, "\n", 2); /* as the CLI prints it */
        (*out_len)++;
        json_decref(res);
    }
    json_decref(j);
    return rc;
}

static void gate(stub *st, int open)
{
    pthread_mutex_lock(&st->mu);
    st->open = open;
    pthread_cond_broadcast(&st->cv);
    pthread_mutex_unlock(&st->mu);
}

#define TOK "Authorization: Bearer s3cret"

static srv *bt_start(stub *st)
{
    ag_http_opts o = {.listen = "127.0.0.1:0",
                      .bearer_token = "s3cret",
                      .rate_per_s = 1e9,
                      .burst = 1000000000,
                      .backtest = stub_run,
                      .backtest_ud = st};

    memset(st, 0, sizeof *st);
    pthread_mutex_init(&st->mu, NULL);
    pthread_cond_init(&st->cv, NULL);
    return srv_start(&o, 1);
}

static void bt_stop(srv *x, stub *st)
{
    gate(st, 1); /* the stop waits for the job running */
    srv_stop(x);
    pthread_cond_destroy(&st->cv);
    pthread_mutex_destroy(&st->mu);
}

/* POSTs body: the job's id, or -status. */
static long submit(int port, const char *body)
{
    resp r;
    long id;
    json_t *j;
    char loc[64];

    req(port, "POST", "/api/v1/backtests", TOK, body, strlen(body), &r);
    if (r.code != 202) {
        id = -r.code;
        resp_free(&r);
        return id;
    }
    j = parse(&r);
    id = (long)json_integer_value(json_object_get(j, "id"));
    assert_true(id > 0);
    assert_string_equal(json_string_value(json_object_get(j, "status")), "queued");
    assert_int_equal(json_object_size(j), 2);
    snprintf(loc, sizeof loc, "/api/v1/backtests/%ld", id);
    assert_string_equal(r.location, loc);
    json_decref(j);
    resp_free(&r);
    return id;
}

/* GET /api/v1/backtests/id (new reference), waiting up to 10 s for status
 * when it is given. */
static json_t *job(int port, long id, const char *status)
{
    char url[64];

    snprintf(url, sizeof url, "/api/v1/backtests/%ld", id);
    for (int i = 0; i < 1000; i++) {
        resp r;
        json_t *j;
        get(port, url, &r);
        assert_int_equal(r.code, 200);
        j = parse(&r);
        resp_free(&r);
        if (!status || !strcmp(json_string_value(json_object_get(j, "status")), status))
            return j;
        json_decref(j);
        usleep(10000);
    }
    fail_msg("backtest %ld never became %s", id, status);
    return NULL;
}

static void test_backtest_validation(void **state)
{
    stub st;
    srv *x = bt_start(&st);
    static const struct {
        const char *body, *says;
    } bad[] = {
        {"", "not JSON"},
        {"{\"recommender\": ", "not JSON"},
        {"[1, 2]", "JSON object"},
        {"{\"foo\": 1}", "'foo'"},
        {"{\"recommender\": \"vpa\", \"limits\": \"upper\"}", "'limits'"},
        {"{\"recommender\": \"bogus\"}", "'recommender'"},
        {"{\"recommender\": 3}", "'recommender'"},
        {"{\"recommender\": \"\"}", "'recommender'"},
        {"{\"recommender\": \"vpa\", \"policy\": \"stable\"}", "'policy'"},
        {"{\"policy\": \"greedy\"}", "'policy'"},
        {"{\"mode\": \"auto-ish\"}", "'mode'"},
        {"{\"namespace\": 5}", "'namespace'"},
        {"{\"selector\": \"=x\"}", "missing key"},
        {"{\"from\": \"yesterday\"}", "'from'"},
        {"{\"to\": true}", "'to'"},
        {"{\"from\": -5}", "'from'"},
        {"{\"from\": 1700000000, \"to\": \"2023-11-14T22:13:20Z\"}", "'from'"},
        {"{\"mode\": \"off\", \"mode\": \"initial\"}", "not JSON"},
    };
    resp r;
    json_t *j, *want;
    long id;

    (void)state;
    gate(&st, 1);
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        req(x->port, "POST", "/api/v1/backtests", TOK, bad[i].body, strlen(bad[i].body), &r);
        if (r.code != 400)
            fail_msg("%s: %ld %s", bad[i].body, r.code, r.body.p);
        expect_error(&r, 400, bad[i].says);
        resp_free(&r);
    }
    assert_int_equal(st.calls, 0);

    /* a good one, normalised: times in Unix seconds, the default recommender */
    id = submit(x->port, "{\"policy\": \"cost-saving\", \"namespace\": \"shop\", \"selector\": "
                         "\"app=web\", \"from\": \"2023-11-14T22:13:20Z\", \"to\": 1700086400.5, "
                         "\"mode\": \"in-place\"}");
    assert_int_equal(id, 1);
    j = job(x->port, id, "done");
    want = json_pack("{s:s, s:s, s:s, s:s, s:i, s:f, s:s}", "recommender", "augur", "policy",
                     "cost-saving", "namespace", "shop", "selector", "app=web", "from", 1700000000,
                     "to", 1700086400.5, "mode", "in-place");
    if (!json_equal(json_object_get(j, "request"), want))
        fail_msg("request %s", json_dumps(json_object_get(j, "request"), 0));
    assert_true(json_equal(json_object_get(json_object_get(j, "result"), "echo"), want));
    json_decref(want);
    json_decref(j);
    /* no fields at all: the CLI's defaults */
    id = submit(x->port, "{}");
    j = job(x->port, id, "done");
    want = json_pack("{s:s}", "recommender", "augur");
    assert_true(json_equal(json_object_get(j, "request"), want));
    json_decref(want);
    json_decref(j);
    bt_stop(x, &st);
}

static void test_backtest_lifecycle(void **state)
{
    stub st;
    srv *x = bt_start(&st);
    resp r;
    json_t *j, *items, *res;
    long a, b, c;

    (void)state;
    a = submit(x->port, "{\"recommender\": \"vpa\", \"namespace\": \"shop\"}");
    /* the worker takes it and waits at the gate: running */
    pthread_mutex_lock(&st.mu);
    while (!st.running)
        pthread_cond_wait(&st.cv, &st.mu);
    pthread_mutex_unlock(&st.mu);
    j = job(x->port, a, "running");
    assert_true(json_number_value(json_object_get(j, "started")) > 1.7e9);
    assert_true(json_is_null(json_object_get(j, "finished")));
    assert_null(json_object_get(j, "result"));
    json_decref(j);
    b = submit(x->port, "{\"recommender\": \"krr\"}");
    c = submit(x->port, "{\"namespace\": \"fail\"}");
    assert_true(a < b && b < c);

    get(x->port, "/api/v1/backtests", &r);
    assert_int_equal(r.code, 200);
    j = parse(&r);
    items = json_object_get(j, "items");
    assert_int_equal(json_array_size(items), 3); /* newest first */
    assert_int_equal(json_integer_value(json_object_get(json_array_get(items, 0), "id")), c);
    assert_string_equal(json_string_value(json_object_get(json_array_get(items, 0), "status")),
                        "queued");
    assert_true(json_is_null(json_object_get(json_array_get(items, 0), "started")));
    assert_true(json_number_value(json_object_get(json_array_get(items, 0), "created")) > 1.7e9);
    assert_string_equal(json_string_value(json_object_get(json_array_get(items, 2), "status")),
                        "running");
    json_decref(j);
    resp_free(&r);

    /* DELETE: a running job stays, a queued one is cancelled */
    req(x->port, "DELETE", "/api/v1/backtests/1", TOK, NULL, 0, &r);
    expect_error(&r, 409, "running");
    resp_free(&r);
    req(x->port, "DELETE", "/api/v1/backtests/2", NULL, NULL, 0, &r);
    expect_error(&r, 401, NULL);
    resp_free(&r);
    req(x->port, "DELETE", "/api/v1/backtests/2", TOK, NULL, 0, &r);
    assert_int_equal(r.code, 204);
    assert_int_equal(r.body.len, 0);
    resp_free(&r);
    get(x->port, "/api/v1/backtests/2", &r);
    expect_error(&r, 404, "no such backtest");
    resp_free(&r);
    req(x->port, "DELETE", "/api/v1/backtests/2", TOK, NULL, 0, &r);
    expect_error(&r, 404, NULL);
    resp_free(&r);
    get(x->port, "/api/v1/backtests/x1", &r);
    expect_error(&r, 404, "'x1'");
    resp_free(&r);

    gate(&st, 1);
    j = job(x->port, a, "done");
    res = json_object_get(j, "result");
    assert_string_equal(
        json_string_value(json_object_get(json_object_get(res, "echo"), "recommender")), "vpa");
    assert_int_equal(json_array_size(json_object_get(res, "runs")), 2);
    assert_true(json_is_null(json_object_get(j, "error")));
    assert_true(json_number_value(json_object_get(j, "finished")) >=
                json_number_value(json_object_get(j, "started")));
    json_decref(j);
    /* the list leaves results out */
    get(x->port, "/api/v1/backtests", &r);
    assert_null(strstr(r.body.p, "\"result\""));
    resp_free(&r);
    j = job(x->port, c, "failed");
    assert_string_equal(json_string_value(json_object_get(j, "error")),
                        "no samples in namespace fail");
    assert_null(json_object_get(j, "result"));
    json_decref(j);
    assert_int_equal(st.calls, 2); /* b was cancelled before it ran */

    /* results too large or not JSON fail the job */
    a = submit(x->port, "{\"namespace\": \"huge\"}");
    j = job(x->port, a, "failed");
    assert_non_null(strstr(json_string_value(json_object_get(j, "error")), "too large"));
    json_decref(j);
    a = submit(x->port, "{\"namespace\": \"garbage\"}");
    j = job(x->port, a, "failed");
    assert_non_null(strstr(json_string_value(json_object_get(j, "error")), "invalid JSON"));
    json_decref(j);

    /* finished jobs are deleted */
    req(x->port, "DELETE", "/api/v1/backtests/1", TOK, NULL, 0, &r);
    assert_int_equal(r.code, 204);
    resp_free(&r);
    get(x->port, "/api/v1/backtests", &r);
    j = parse(&r);
    assert_int_equal(json_array_size(json_object_get(j, "items")), 3); /* 3 (failed), 4, 5 */
    json_decref(j);
    resp_free(&r);
    bt_stop(x, &st);
}

static void test_backtest_bound(void **state)
{
    stub st;
    srv *x = bt_start(&st);
    resp r;
    json_t *j, *items;
    long ids[AG__HTTP_BT_MAX_JOBS + 1];

    (void)state;
    for (int i = 0; i < AG__HTTP_BT_MAX_JOBS; i++)
        ids[i] = submit(x->port, "{\"recommender\": \"krr\"}");
    /* full of unfinished jobs (one running, 15 queued): 429 */
    req(x->port, "POST", "/api/v1/backtests", TOK, "{}", 2, &r);
    expect_error(&r, 429, "too many backtests");
    resp_free(&r);
    gate(&st, 1);
    json_decref(job(x->port, ids[AG__HTTP_BT_MAX_JOBS - 1], "done"));
    /* now the oldest finished job makes room */
    ids[AG__HTTP_BT_MAX_JOBS] = submit(x->port, "{}");
    assert_true(ids[AG__HTTP_BT_MAX_JOBS] > 0);
    get(x->port, "/api/v1/backtests", &r);
    j = parse(&r);
    items = json_object_get(j, "items");
    assert_int_equal(json_array_size(items), AG__HTTP_BT_MAX_JOBS);
    assert_int_equal(json_integer_value(json_object_get(json_array_get(items, 0), "id")),
                     ids[AG__HTTP_BT_MAX_JOBS]);
    assert_int_equal(
        json_integer_value(json_object_get(json_array_get(items, AG__HTTP_BT_MAX_JOBS - 1), "id")),
        ids[1]);
    json_decref(j);
    resp_free(&r);
    get(x->port, "/api/v1/backtests/1", &r);
    expect_error(&r, 404, NULL);
    resp_free(&r);
    /* stopping with jobs queued drops them (no leak, no wait) */
    json_decref(job(x->port, ids[AG__HTTP_BT_MAX_JOBS], "done"));
    gate(&st, 0);
    for (int i = 0; i < 3; i++)
        assert_true(submit(x->port, "{\"recommender\": \"static\"}") > 0);
    bt_stop(x, &st);
}

static void test_backtest_auth(void **state)
{
    stub st;
    srv *x = bt_start(&st);
    ag_http_opts o = {.listen = "127.0.0.1:0", .backtest = stub_run, .backtest_ud = &st};
    srv *y;
    resp r;

    (void)state;
    req(x->port, "POST", "/api/v1/backtests", NULL, "{}", 2, &r);
    expect_error(&r, 401, "bearer");
    resp_free(&r);
    req(x->port, "POST", "/api/v1/backtests", "Authorization: Bearer s3cre", "{}", 2, &r);
    expect_error(&r, 401, "bearer");
    resp_free(&r);
    req(x->port, "POST", "/api/v1/backtests", "Authorization: s3cret", "{}", 2, &r);
    expect_error(&r, 401, "bearer");
    resp_free(&r);
    /* reading needs no token */
    get(x->port, "/api/v1/backtests", &r);
    assert_int_equal(r.code, 200);
    assert_string_equal(r.body.p, "{\"items\": []}\n");
    resp_free(&r);
    assert_int_equal(st.calls, 0);
    y = srv_start(&o, 1);
    req(y->port, "POST", "/api/v1/backtests", TOK, "{}", 2, &r);
    expect_error(&r, 403, "disabled");
    resp_free(&r);
    req(y->port, "DELETE", "/api/v1/backtests/1", TOK, NULL, 0, &r);
    expect_error(&r, 403, "disabled");
    resp_free(&r);
    srv_stop(y);
    bt_stop(x, &st);
}

/* ---- helpers for the shell tests ---- */

static int serve_fixture(void)
{
    ag_serve *s = ag_serve_new();
    ag_http *h;
    ag_http_opts o = {.listen = "127.0.0.1:0"};
    ag_errinfo ei = {{0}};
    char c;

    ag_serve_publish(s, fx_view(1));
    fx_health(s, 1, "");
    if (ag_http_start(&o, s, &h, &ei) != AG_OK) {
        fprintf(stderr, "serve: %s\n", ei.msg);
        return 1;
    }
    printf("%d\n", ag_http_port(h));
    fflush(stdout);
    while (read(0, &c, 1) > 0) /* until stdin closes */
        ;
    ag_http_stop(h);
    ag_serve_free(s);
    return 0;
}

int main(int argc, char **argv)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_parse_target),
        cmocka_unit_test(test_metrics_direct),
        cmocka_unit_test(test_render_oom),
        cmocka_unit_test(test_listen),
        cmocka_unit_test(test_health_and_ready),
        cmocka_unit_test_setup_teardown(test_recommendations, setup, teardown),
        cmocka_unit_test_setup_teardown(test_workloads, setup, teardown),
        cmocka_unit_test_setup_teardown(test_forecasts, setup, teardown),
        cmocka_unit_test_setup_teardown(test_keda, setup, teardown),
        cmocka_unit_test_setup_teardown(test_keda_total, setup, teardown),
        cmocka_unit_test_setup_teardown(test_metrics_http, setup, teardown),
        cmocka_unit_test_setup_teardown(test_pagination, setup, teardown),
        cmocka_unit_test_setup_teardown(test_errors, setup, teardown),
        cmocka_unit_test_setup_teardown(test_page, setup, teardown),
        cmocka_unit_test(test_body_and_token_limits),
        cmocka_unit_test(test_rate_limit),
        cmocka_unit_test(test_publish_while_reading),
        cmocka_unit_test(test_accept_encoding),
        cmocka_unit_test_setup_teardown(test_gzip, setup, teardown),
        cmocka_unit_test(test_body_cache),
        cmocka_unit_test(test_view_kept_while_sending),
        cmocka_unit_test(test_runs),
        cmocka_unit_test(test_backtest_validation),
        cmocka_unit_test(test_backtest_lifecycle),
        cmocka_unit_test(test_backtest_bound),
        cmocka_unit_test(test_backtest_auth),
    };
    int rc;

    curl_global_init(CURL_GLOBAL_DEFAULT);
    if (argc > 1 && strcmp(argv[1], "--serve") == 0)
        return serve_fixture();
    if (argc > 1 && strcmp(argv[1], "--routes") == 0) {
        for (int i = 0; i < AG__R_COUNT; i++)
            printf("%s\n", ag__http_routes[i].path);
        return 0;
    }
    rc = cmocka_run_group_tests(tests, NULL, NULL);
    curl_global_cleanup();
    return rc;
}
