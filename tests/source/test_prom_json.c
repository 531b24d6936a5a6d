/*
 * tests/source/test_prom_json.c - the streaming Prometheus API JSON parser:
 * envelopes (matrix, vector, scalar, error, warnings), escapes, key order,
 * chunked feeding, truncation, caps, and the number readers.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include "ag_test.h"
#include "augur/source.h"
#include "series/series_int.h"
#include "source/prom_int.h"

static ag_container *find(ag_dataset *ds, const char *ns, const char *pod, const char *c)
{
    for (size_t i = 0; i < ag_dataset_count(ds); i++) {
        ag_container *k = ag_dataset_at(ds, i);
        if (!strcmp(k->ns, ns) && !strcmp(k->pod, pod) && !strcmp(k->container, c))
            return k;
    }
    return NULL;
}

static ag_err parse(ag_dataset *ds, ag_prom_kind kind, const char *json, ag_errinfo *ei)
{
    ag_ingest_stats st = {0};
    ei->msg[0] = '\0';
    return ag_prom_parse_response(ds, kind, json, strlen(json), NULL, &st, NULL, ei);
}

static const char *MATRIX =
    "{\"status\":\"success\",\"data\":{\"resultType\":\"matrix\",\"result\":["
    "{\"metric\":{\"namespace\":\"shop\",\"pod\":\"api-7d9f8b6c5-x2x7q\",\"container\":\"api\"},"
    "\"values\":[[1700000000,\"0.25\"],[1700000060.5,\"0.125\"],[1700000120.123,\"1e-3\"],"
    "[1700000180,\"NaN\"],[1700000240,\"+Inf\"]]},"
    "{\"metric\":{\"namespace\":\"shop\",\"pod\":\"api-7d9f8b6c5-x2x7q\",\"container\":\"POD\"},"
    "\"values\":[[1700000000,\"9\"]]},"
    "{\"metric\":{\"namespace\":\"shop\",\"pod\":\"api-7d9f8b6c5-x2x7q\",\"container\":\"\"},"
    "\"values\":[[1700000000,\"9\"]]},"
    "{\"metric\":{\"pod\":\"db-0\",\"container\":\"pg\",\"namespace\":\"data\",\"image\":\"x\"},"
    "\"values\":[[1700000000,\"2\"]]}]}}";

static void test_matrix(void **state)
{
    ag_dataset *ds = ag_dataset_new();
    ag_errinfo ei;
    ag_ingest_stats st = {0};
    ag_container *c;
    (void)state;

    assert_int_equal(
        ag_prom_parse_response(ds, AG_PROM_CPU_RATE, MATRIX, strlen(MATRIX), NULL, &st, NULL, &ei),
        AG_OK);
    assert_int_equal(ag_dataset_count(ds), 2); /* POD and "" skipped */
    c = find(ds, "shop", "api-7d9f8b6c5-x2x7q", "api");
    assert_non_null(c);
    assert_int_equal(c->usage[AG_CPU].n, 5);
    assert_int_equal(c->usage[AG_CPU].v[0].t_ms, 1700000000000LL);
    assert_true(c->usage[AG_CPU].v[0].v == 0.25);
    assert_int_equal(c->usage[AG_CPU].v[1].t_ms, 1700000060500LL);
    assert_true(c->usage[AG_CPU].v[1].v == 0.125);
    assert_int_equal(c->usage[AG_CPU].v[2].t_ms, 1700000120123LL);
    assert_true(c->usage[AG_CPU].v[2].v == 1e-3);
    assert_true(isnan(c->usage[AG_CPU].v[3].v));
    assert_true(isinf(c->usage[AG_CPU].v[4].v) && c->usage[AG_CPU].v[4].v > 0);
    assert_int_equal(c->usage[AG_MEMORY].n, 0);
    c = find(ds, "data", "db-0", "pg");
    assert_non_null(c);
    assert_int_equal(c->usage[AG_CPU].n, 1);
    assert_true(c->usage[AG_CPU].v[0].v == 2.0);
    assert_int_equal(st.lines, 8); /* every point read, skipped series included */
    ag_dataset_free(ds);
}

static void test_vector_memory(void **state)
{
    const char *j = "{\"status\":\"success\",\"data\":{\"resultType\":\"vector\",\"result\":["
                    "{\"metric\":{\"namespace\":\"a\",\"pod\":\"p\",\"container\":\"c\"},"
                    "\"value\":[1700000000.001,\"123456789\"]}]}}";
    ag_dataset *ds = ag_dataset_new();
    ag_errinfo ei;
    ag_container *c;
    (void)state;

    assert_int_equal(parse(ds, AG_PROM_MEMORY, j, &ei), AG_OK);
    c = find(ds, "a", "p", "c");
    assert_non_null(c);
    assert_int_equal(c->usage[AG_MEMORY].n, 1);
    assert_int_equal(c->usage[AG_MEMORY].v[0].t_ms, 1700000000001LL);
    assert_true(c->usage[AG_MEMORY].v[0].v == 123456789.0);
    ag_dataset_free(ds);
}

static void test_scalar(void **state)
{
    const char *sc = "{\"status\":\"success\",\"data\":{\"resultType\":\"scalar\","
                     "\"result\":[1700000000,\"15\"]}}";
    const char *vec = "{\"status\":\"success\",\"data\":{\"resultType\":\"vector\",\"result\":"
                      "[{\"metric\":{},\"value\":[1700000000,\"241\"]}]}}";
    const char *empty =
        "{\"status\":\"success\",\"data\":{\"resultType\":\"vector\",\"result\":[]}}";
    const char *two = "{\"status\":\"success\",\"data\":{\"resultType\":\"vector\",\"result\":["
                      "{\"metric\":{\"a\":\"1\"},\"value\":[1,\"1\"]},"
                      "{\"metric\":{\"a\":\"2\"},\"value\":[1,\"2\"]}]}}";
    double v = 0;
    ag_errinfo ei;
    (void)state;

    assert_int_equal(
        ag_prom_parse_response(NULL, AG_PROM_SCALAR, sc, strlen(sc), NULL, NULL, &v, &ei), AG_OK);
    assert_true(v == 15.0);
    assert_int_equal(
        ag_prom_parse_response(NULL, AG_PROM_SCALAR, vec, strlen(vec), NULL, NULL, &v, &ei), AG_OK);
    assert_true(v == 241.0);
    assert_int_equal(
        ag_prom_parse_response(NULL, AG_PROM_SCALAR, empty, strlen(empty), NULL, NULL, &v, &ei),
        AG_OK);
    assert_true(isnan(v));
    assert_int_equal(
        ag_prom_parse_response(NULL, AG_PROM_SCALAR, two, strlen(two), NULL, NULL, &v, &ei),
        AG_EPARSE);
    assert_non_null(strstr(ei.msg, "single number"));
}

static void test_error_envelope(void **state)
{
    const char *j = "{\"status\":\"error\",\"errorType\":\"bad_data\","
                    "\"error\":\"1:5: parse error: unexpected \\\"}\\\"\"}";
    ag_dataset *ds = ag_dataset_new();
    ag_errinfo ei;
    (void)state;

    assert_int_equal(parse(ds, AG_PROM_CPU_RATE, j, &ei), AG_EPROM);
    assert_non_null(strstr(ei.msg, "bad_data"));
    assert_non_null(strstr(ei.msg, "parse error: unexpected \"}\""));
    ag_dataset_free(ds);
}

typedef struct wlog {
    int n;
    char last[1024];
} wlog;

static void on_warn(void *ud, const char *msg)
{
    wlog *w = ud;
    w->n++;
    snprintf(w->last, sizeof w->last, "%s", msg);
}

static void test_warnings(void **state)
{
    const char *j = "{\"status\":\"success\",\"warnings\":[\"partial response: store "
                    "eu-1 unavailable\"],\"infos\":[\"metric might not be a counter\"],"
                    "\"data\":{\"resultType\":\"matrix\",\"result\":["
                    "{\"metric\":{\"namespace\":\"a\",\"pod\":\"p\",\"container\":\"c\"},"
                    "\"values\":[[1,\"1\"]]}]}}";
    ag_dataset *ds = ag_dataset_new();
    ag_errinfo ei;
    wlog w = {0};
    ag_read_opts o = {0};
    (void)state;

    o.warn = on_warn;
    o.warn_ud = &w;
    assert_int_equal(
        ag_prom_parse_response(ds, AG_PROM_CPU_RATE, j, strlen(j), &o, NULL, NULL, &ei), AG_OK);
    assert_int_equal(w.n, 2);
    assert_non_null(strstr(w.last, "might not be a counter"));
    assert_int_equal(ag_dataset_count(ds), 1);
    ag_dataset_free(ds);
}

static void test_escapes(void **state)
{
    const char *j =
        "{\"status\":\"success\",\"data\":{\"resultType\":\"vector\",\"result\":["
        "{\"metric\":{\"namespace\":\"caf\\u00e9\",\"pod\":\"p\\ud83d\\ude00\\\"q\\\\\","
        "\"label_team\":\"a\\/b\\n\",\"label_x\\u0041\":\"\\ud800z\"},"
        "\"value\":[1,\"1\"]}]}}";
    ag_dataset *ds = ag_dataset_new();
    ag_errinfo ei;
    const char *k = NULL, *n = NULL;
    (void)state;

    assert_int_equal(parse(ds, AG_PROM_LABELS, j, &ei), AG_OK);
    assert_int_equal(ag_dataset_set_owner(ds, "caf\xc3\xa9", "p\xf0\x9f\x98\x80\"q\\", "Job", "j"),
                     AG_OK);
    assert_int_equal(ag_dataset_get_owner(ds, "caf\xc3\xa9", "p\xf0\x9f\x98\x80\"q\\", &k, &n), 1);
    /* The labels landed on the pod with the decoded names. */
    {
        ag__pod *pod = ag__dataset_pod(ds, "caf\xc3\xa9", "p\xf0\x9f\x98\x80\"q\\");
        assert_non_null(pod);
        assert_string_equal(ag__pod_label(pod, "team"), "a/b\n");
        assert_string_equal(ag__pod_label(pod, "xA"), "\xef\xbf\xbdz"); /* lone surrogate */
    }
    ag_dataset_free(ds);
}

static void test_key_order(void **state)
{
    /* data before status, values before metric, resultType after result,
     * unknown keys and whitespace everywhere. */
    const char *j =
        " {\n \"data\" : { \"result\" : [ { \"values\" : [ [ 1700000000 , \"3\" ] ,"
        "[1700000015,\"4\"] ] , \"extra\": {\"x\":[1,2,{\"y\":null}]},"
        " \"metric\" : { \"container\":\"c\", \"pod\" : \"p\", \"namespace\":\"n\" } } ] ,"
        " \"resultType\" : \"matrix\" } , \"status\" : \"success\" } \n";
    ag_dataset *ds = ag_dataset_new();
    ag_errinfo ei;
    ag_container *c;
    (void)state;

    assert_int_equal(parse(ds, AG_PROM_MEMORY, j, &ei), AG_OK);
    c = find(ds, "n", "p", "c");
    assert_non_null(c);
    assert_int_equal(c->usage[AG_MEMORY].n, 2);
    assert_int_equal(c->usage[AG_MEMORY].v[1].t_ms, 1700000015000LL);
    assert_true(c->usage[AG_MEMORY].v[1].v == 4.0);
    ag_dataset_free(ds);
}

/* Serialises what a dataset holds, to compare two parses. */
static char *dump(ag_dataset *ds)
{
    size_t cap = 1 << 16, n = 0;
    char *s = malloc(cap);
    assert_non_null(s);
    s[0] = '\0';
    for (size_t i = 0; i < ag_dataset_count(ds); i++) {
        ag_container *c = ag_dataset_at(ds, i);
        n += (size_t)snprintf(s + n, cap - n, "%s/%s/%s req=%a lim=%a:", c->ns, c->pod,
                              c->container, c->request[AG_CPU], c->limit[AG_MEMORY]);
        for (int r = 0; r < AG_NRES; r++)
            for (size_t k = 0; k < c->usage[r].n && n < cap - 64; k++)
                n += (size_t)snprintf(s + n, cap - n, " %d:%lld=%a", r,
                                      (long long)c->usage[r].v[k].t_ms, c->usage[r].v[k].v);
        n += (size_t)snprintf(s + n, cap - n, " oom=%zu\n", c->oom.n);
        assert_true(n < cap - 64);
    }
    return s;
}

static ag_err parse_chunked(ag_dataset *ds, int kind, const char *j, size_t len, size_t chunk,
                            ag_errinfo *ei)
{
    ag__prom_parser p;
    ag_ingest_stats st = {0};
    ag_err rc = AG_OK;

    ag__prom_parser_init(&p, ds, kind, "chunked", NULL, &st, 0, ei);
    for (size_t i = 0; i < len && rc == AG_OK; i += chunk)
        rc = ag__prom_parser_feed(&p, j + i, len - i < chunk ? len - i : chunk);
    if (rc == AG_OK)
        rc = ag__prom_parser_end(&p);
    ag__prom_parser_free(&p);
    return rc;
}

static const char *ESCAPED =
    "{\"status\":\"success\",\"data\":{\"resultType\":\"matrix\",\"result\":["
    "{\"metric\":{\"namespace\":\"n\\u00e9\",\"pod\":\"p\\\\1\",\"container\":\"c\\ud83d\\ude00\"},"
    "\"values\":[[1700000000.25,\"0.1234567890123456789\"],[1700000060,\"12345678901234567890\"],"
    " [ 1700000120 , \"-0\" ] ]}]},\"warnings\":[]}";

static void test_chunked_same(void **state)
{
    const char *inputs[] = {MATRIX, ESCAPED};
    (void)state;

    for (size_t k = 0; k < 2; k++) {
        ag_dataset *whole = ag_dataset_new(), *bytes;
        ag_errinfo ei;
        char *a, *b;
        size_t len = strlen(inputs[k]);

        assert_int_equal(parse(whole, AG_PROM_CPU_RATE, inputs[k], &ei), AG_OK);
        a = dump(whole);
        assert_true(strlen(a) > 10);
        for (size_t chunk = 1; chunk <= 13; chunk += 3) {
            bytes = ag_dataset_new();
            assert_int_equal(parse_chunked(bytes, AG_PROM_CPU_RATE, inputs[k], len, chunk, &ei),
                             AG_OK);
            b = dump(bytes);
            assert_string_equal(a, b);
            free(b);
            ag_dataset_free(bytes);
        }
        free(a);
        ag_dataset_free(whole);
    }
}

static void test_truncated(void **state)
{
    size_t len = strlen(MATRIX);
    (void)state;

    /* Every proper prefix is incomplete JSON: always AG_EPARSE, never a crash. */
    for (size_t n = 0; n < len; n++) {
        ag_dataset *ds = ag_dataset_new();
        ag_errinfo ei;
        ag_err rc = ag_prom_parse_response(ds, AG_PROM_CPU_RATE, MATRIX, n, NULL, NULL, NULL, &ei);
        if (rc != AG_EPARSE)
            fail_msg("prefix %zu: rc %d (%s)", n, rc, ei.msg);
        assert_non_null(strstr(ei.msg, "byte "));
        ag_dataset_free(ds);
    }
}

static void test_malformed(void **state)
{
    static const char *bad[] = {
        "[1,2]",
        "{\"status\":\"success\",}",
        "{\"status\" \"success\"}",
        "{\"status\":\"success\"}}",
        "{\"status\":\"success\"} x",
        "{\"status\":\"maybe\"}",
        "{\"data\":{}}",
        "{\"status\":\"success\",\"data\":{\"result\":[{\"metric\":{\"pod\":1}}]}}",
        "{\"status\":\"success\",\"data\":{\"result\":[{\"metric\":{},\"values\":[[1,\"x\"]]}]}}",
        "{\"status\":\"success\",\"data\":{\"result\":[{\"metric\":{},\"values\":[[1]]}]}}",
        "{\"status\":\"success\",\"data\":{\"result\":[{\"metric\":{},\"values\":[[1,\"1\",2]]}]}}",
        "{\"status\":\"success\",\"data\":{\"result\":[{\"metric\":{},\"values\":[1]}]}}",
        "{\"status\":\"success\",\"data\":{\"result\":[{\"metric\":{},\"values\":[[01,\"1\"]]}]}}",
        "{\"status\":\"success\",\"x\":\"a\\qb\"}",
        "{\"status\":\"success\",\"x\":\"a\tb\"}",
        "{\"status\":\"success\",\"x\":tru}",
        "{\"status\":\"success\",\"x\":\"\\u12G4\"}",
    };
    (void)state;

    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        ag_dataset *ds = ag_dataset_new();
        ag_errinfo ei;
        ag_err rc = parse(ds, AG_PROM_CPU_RATE, bad[i], &ei);
        if (rc != AG_EPARSE)
            fail_msg("input %zu: rc %d (%s)", i, rc, ei.msg);
        assert_non_null(strstr(ei.msg, "response: byte "));
        ag_dataset_free(ds);
    }
}

static void test_caps(void **state)
{
    ag_dataset *ds = ag_dataset_new();
    ag_read_opts o = {0};
    ag_errinfo ei;
    ag__prom_parser p;
    ag_ingest_stats st = {0};
    char *j = malloc(4096);
    (void)state;

    assert_non_null(j);
    snprintf(j, 4096,
             "{\"status\":\"success\",\"data\":{\"result\":[{\"metric\":"
             "{\"namespace\":\"%0300d\"}}]}}",
             7);
    o.max_line = 100; /* label values longer than 100 bytes are refused */
    assert_int_equal(
        ag_prom_parse_response(ds, AG_PROM_CPU_RATE, j, strlen(j), &o, NULL, NULL, &ei),
        AG_ETOOBIG);
    assert_non_null(strstr(ei.msg, "longer than 100"));
    /* The same string split across chunks hits the cap too. */
    ag__prom_parser_init(&p, ds, AG_PROM_CPU_RATE, "q", &o, &st, 0, &ei);
    {
        ag_err rc = AG_OK;
        for (size_t i = 0; j[i] && rc == AG_OK; i += 7)
            rc = ag__prom_parser_feed(&p, j + i, strlen(j + i) < 7 ? strlen(j + i) : 7);
        assert_int_equal(rc, AG_ETOOBIG);
    }
    ag__prom_parser_free(&p);
    /* max_response caps the body. */
    ag__prom_parser_init(&p, ds, AG_PROM_CPU_RATE, "q", NULL, &st, 50, &ei);
    assert_int_equal(ag__prom_parser_feed(&p, MATRIX, 40), AG_OK);
    assert_int_equal(ag__prom_parser_feed(&p, MATRIX + 40, 40), AG_ETOOBIG);
    assert_non_null(strstr(ei.msg, "larger than 50 bytes"));
    ag__prom_parser_free(&p);
    /* Nesting depth. */
    {
        char deep[300];
        size_t n = (size_t)snprintf(deep, sizeof deep, "{\"status\":\"success\",\"x\":");
        for (int i = 0; i < 100; i++)
            deep[n++] = '[';
        deep[n] = '\0';
        assert_int_equal(parse(ds, AG_PROM_CPU_RATE, deep, &ei), AG_EPARSE);
        assert_non_null(strstr(ei.msg, "deeper"));
    }
    free(j);
    ag_dataset_free(ds);
}

static void test_metadata_kinds(void **state)
{
    const char *owner =
        "{\"status\":\"success\",\"data\":{\"resultType\":\"vector\",\"result\":["
        "{\"metric\":{\"namespace\":\"n\",\"pod\":\"api-5d8f7c9b4-x2x7q\","
        "\"owner_kind\":\"ReplicaSet\",\"owner_name\":\"api-5d8f7c9b4\","
        "\"owner_is_controller\":\"true\"},\"value\":[1,\"1\"]},"
        "{\"metric\":{\"namespace\":\"n\",\"pod\":\"lonely\",\"owner_kind\":\"<none>\","
        "\"owner_name\":\"<none>\"},\"value\":[1,\"1\"]}]}}";
    const char *req =
        "{\"status\":\"success\",\"data\":{\"resultType\":\"vector\",\"result\":["
        "{\"metric\":{\"namespace\":\"n\",\"pod\":\"p\",\"container\":\"c\","
        "\"resource\":\"cpu\",\"unit\":\"core\"},\"value\":[1700000000,\"0.25\"]},"
        "{\"metric\":{\"namespace\":\"n\",\"pod\":\"p\",\"container\":\"c\","
        "\"resource\":\"memory\",\"unit\":\"byte\"},\"value\":[1700000000,\"268435456\"]},"
        "{\"metric\":{\"namespace\":\"n\",\"pod\":\"p\",\"container\":\"c\","
        "\"resource\":\"nvidia.com/gpu\"},\"value\":[1700000000,\"1\"]}]}}";
    const char *lim = "{\"status\":\"success\",\"data\":{\"resultType\":\"vector\",\"result\":["
                      "{\"metric\":{\"namespace\":\"n\",\"pod\":\"p\",\"container\":\"c\","
                      "\"resource\":\"cpu\"},\"value\":[1700000000,\"1\"]}]}}";
    const char *oom = "{\"status\":\"success\",\"data\":{\"resultType\":\"matrix\",\"result\":["
                      "{\"metric\":{\"namespace\":\"n\",\"pod\":\"p\",\"container\":\"c\"},"
                      "\"values\":[[100,\"2\"],[160,\"2\"],[220,\"3\"],[280,\"5\"],[340,\"0\"],"
                      "[400,\"1\"]]}]}}";
    ag_dataset *ds = ag_dataset_new();
    ag_errinfo ei;
    const char *k, *nm;
    ag_container *c;
    (void)state;

    assert_int_equal(parse(ds, AG_PROM_OWNER, owner, &ei), AG_OK);
    assert_int_equal(ag_dataset_get_owner(ds, "n", "api-5d8f7c9b4-x2x7q", &k, &nm), 1);
    assert_string_equal(k, "ReplicaSet");
    assert_string_equal(nm, "api-5d8f7c9b4");
    assert_int_equal(ag_dataset_get_owner(ds, "n", "lonely", &k, &nm), 0);
    assert_int_equal(ag_dataset_count(ds), 0);

    assert_int_equal(parse(ds, AG_PROM_REQUESTS, req, &ei), AG_OK);
    assert_int_equal(parse(ds, AG_PROM_LIMITS, lim, &ei), AG_OK);
    c = find(ds, "n", "p", "c");
    assert_non_null(c);
    assert_true(c->request[AG_CPU] == 0.25);
    assert_true(c->request[AG_MEMORY] == 268435456.0);
    assert_true(c->limit[AG_CPU] == 1.0);
    assert_true(isnan(c->limit[AG_MEMORY]));
    assert_int_equal(c->spec_t_ms[AG_CPU], 1700000000000LL);

    /* 2,2,3,5,0,1: increases at 220 and 280, a reset to 0 (no kill), then 1. */
    assert_int_equal(parse(ds, AG_PROM_OOM_COUNTER, oom, &ei), AG_OK);
    assert_int_equal(c->oom.n, 3);
    assert_int_equal(c->oom.v[0].t_ms, 220000);
    assert_int_equal(c->oom.v[1].t_ms, 280000);
    assert_int_equal(c->oom.v[2].t_ms, 400000);
    ag_dataset_free(ds);
}

static void test_label_values(void **state)
{
    const char *j = "{\"status\":\"success\",\"data\":[\"default\",\"kube-system\",\"shop\"]}";
    ag__prom_parser p;
    ag_ingest_stats st = {0};
    ag_errinfo ei;
    (void)state;

    ag__prom_parser_init(&p, NULL, AG__PROM_LABEL_VALUES, "ns", NULL, &st, 0, &ei);
    assert_int_equal(ag__prom_parser_feed(&p, j, strlen(j)), AG_OK);
    assert_int_equal(ag__prom_parser_end(&p), AG_OK);
    assert_int_equal(p.nnames, 3);
    assert_string_equal(p.names[1], "kube-system");
    ag__prom_parser_free(&p);
}

static void test_numbers(void **state)
{
    static const char *ok[] = {"0",
                               "1",
                               "-1",
                               "0.1",
                               "1e-3",
                               "1E+10",
                               "123456789012345678901",
                               "0.1234567890123456789",
                               "3.14159",
                               "1e22",
                               "1e23",
                               "4.9e-324",
                               "1.7976931348623157e308",
                               "-0",
                               ".5",
                               "5.",
                               "0.000001234"};
    static const char *bad[] = {"", "x", "1.2.3", "0x10", "1e", "--1", "+", "1 ", "NaNx", "In"};
    double v;
    int64_t t;
    (void)state;

    for (size_t i = 0; i < sizeof ok / sizeof ok[0]; i++) {
        double want = strtod(ok[i], NULL);
        if (ag__prom_parse_value(ok[i], strlen(ok[i]), &v) != 0)
            fail_msg("rejected %s", ok[i]);
        if (memcmp(&v, &want, sizeof v) != 0)
            fail_msg("%s -> %a, strtod %a", ok[i], v, want);
    }
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        if (ag__prom_parse_value(bad[i], strlen(bad[i]), &v) == 0)
            fail_msg("accepted '%s'", bad[i]);
    assert_int_equal(ag__prom_parse_value("NaN", 3, &v), 0);
    assert_true(isnan(v));
    assert_int_equal(ag__prom_parse_value("-Inf", 4, &v), 0);
    assert_true(isinf(v) && v < 0);
    assert_int_equal(ag__prom_parse_value("+Inf", 4, &v), 0);
    assert_true(isinf(v) && v > 0);
    /* Random doubles in shortest and 17-digit form read back bit-exact. */
    srand(42);
    for (int i = 0; i < 20000; i++) {
        double x = ldexp((double)rand() / RAND_MAX, rand() % 80 - 40), y;
        char b[64];
        snprintf(b, sizeof b, i % 2 ? "%.17g" : "%.15g", x);
        y = strtod(b, NULL);
        assert_int_equal(ag__prom_parse_value(b, strlen(b), &v), 0);
        if (memcmp(&v, &y, sizeof v) != 0)
            fail_msg("%s -> %a, strtod %a", b, v, y);
    }
    assert_int_equal(ag__prom_parse_time("1700000000.123", 14, &t), 0);
    assert_int_equal(t, 1700000000123LL);
    assert_int_equal(ag__prom_parse_time("1700000000.1", 12, &t), 0);
    assert_int_equal(t, 1700000000100LL);
    assert_int_equal(ag__prom_parse_time("1700000000.0005", 15, &t), 0);
    assert_int_equal(t, 1700000000001LL);
    assert_int_equal(ag__prom_parse_time("1.7e9", 5, &t), 0);
    assert_int_equal(t, 1700000000000LL);
    assert_int_equal(ag__prom_parse_time("17x", 3, &t), -1);
    /* the largest whole seconds taken, and one digit more (found by the
     * fuzzer: 9700000100000060 s overflowed the milliseconds) */
    assert_int_equal(ag__prom_parse_time("999999999999999", 15, &t), 0);
    assert_int_equal(t, 999999999999999000LL);
    assert_int_equal(ag__prom_parse_time("9700000100000060", 16, &t), -1);
    assert_int_equal(ag__prom_parse_time("-9700000100000060.5", 19, &t), -1);
    assert_int_equal(ag__prom_parse_time("1.", 2, &t), -1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_matrix),       cmocka_unit_test(test_vector_memory),
        cmocka_unit_test(test_scalar),       cmocka_unit_test(test_error_envelope),
        cmocka_unit_test(test_warnings),     cmocka_unit_test(test_escapes),
        cmocka_unit_test(test_key_order),    cmocka_unit_test(test_chunked_same),
        cmocka_unit_test(test_truncated),    cmocka_unit_test(test_malformed),
        cmocka_unit_test(test_caps),         cmocka_unit_test(test_metadata_kinds),
        cmocka_unit_test(test_label_values), cmocka_unit_test(test_numbers),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
