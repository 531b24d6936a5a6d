/*
 * tests/export/test_remote_write.c - the remote-write encoder: a
 * hand-built view is encoded, the snappy block uncompressed and the
 * protobuf walked here, independently of the encoder, to check every
 * series name, label (sorted, __name__ first), value and timestamp; the
 * empty view; bad extra labels; out of memory at each allocation.
 *
 * Also the driver of tests/integration/test_remote_write.sh:
 *   test_remote_write --push URL T0_MS [EXTRA_LABELS]
 * pushes the fixture view computed at T0_MS (its forecasts starting then),
 * and prints "rc=N" and the error on one line; exit
 * 0 on success, 1 otherwise.
 */
#include <math.h>
#include <snappy-c.h>
#include "ag_test.h"
#include "augur/export.h"
#include "util/alloc.h"

#define T0 1767225600000LL /* 2026-01-01T00:00:00Z */
#define HOUR 3600000LL

/* ---- the fixture view ---- */

static double fc_cpu[2 * 24]; /* q[k * 24 + h] = (k + 1) + h / 100 */
static double fc_mem[12];     /* 2 h steps: 1e9 + h * 1e6, the first NaN */

static void set_wc(char *ns, char *kind, char *name, char *container, const char *a, const char *b,
                   const char *c, const char *d)
{
    snprintf(ns, AG_VIEW_NAME, "%s", a);
    snprintf(kind, 64, "%s", b);
    snprintf(name, AG_VIEW_NAME, "%s", c);
    snprintf(container, AG_VIEW_NAME, "%s", d);
}

static void fixture(ag_view *v, ag_view_fc *fcs, ag_view_rec *recs, int64_t t0)
{
    memset(v, 0, sizeof *v);
    memset(fcs, 0, 2 * sizeof *fcs);
    memset(recs, 0, 2 * sizeof *recs);
    for (size_t h = 0; h < 24; h++) {
        fc_cpu[h] = 1 + (double)h / 100;
        fc_cpu[24 + h] = 2 + (double)h / 100;
    }
    for (size_t h = 0; h < 12; h++)
        fc_mem[h] = 1e9 + (double)h * 1e6;
    fc_mem[0] = NAN; /* left out */

    set_wc(fcs[0].ns, fcs[0].kind, fcs[0].name, fcs[0].container, "shop", "Deployment", "web",
           "app");
    fcs[0].resource = AG_CPU;
    fcs[0].t0_ms = t0;
    fcs[0].step_ms = HOUR;
    fcs[0].horizon = 24;
    fcs[0].nq = 2;
    fcs[0].quantiles[0] = 0.5;
    fcs[0].quantiles[1] = 0.9;
    fcs[0].q = fc_cpu;
    fcs[1] = fcs[0];
    fcs[1].resource = AG_MEMORY;
    fcs[1].horizon = 12;
    fcs[1].step_ms = 2 * HOUR;
    fcs[1].t0_ms = t0 + HOUR;
    fcs[1].nq = 1;
    fcs[1].quantiles[0] = 0.95;
    fcs[1].q = fc_mem;

    set_wc(recs[0].ns, recs[0].kind, recs[0].name, recs[0].container, "shop", "Deployment", "web",
           "app");
    recs[0].rec.res[AG_CPU] = (ag_rec_res){0.25, 0.1, 0.5, 0.25, NAN};
    recs[0].rec.res[AG_MEMORY] = (ag_rec_res){268435456, 2e8, 3e8, 268435456, 536870912};
    set_wc(recs[1].ns, recs[1].kind, recs[1].name, recs[1].container, "batch", "CronJob", "report",
           "main");
    recs[1].rec.status[AG_CPU] = AG_REC_NO_DATA; /* left out */
    recs[1].rec.res[AG_CPU] = (ag_rec_res){1, 1, 1, 1, 1};
    recs[1].rec.res[AG_MEMORY] = (ag_rec_res){1e6, 1e6, 1e6, 1e6, NAN};

    v->computed_ms = t0;
    v->algorithm = "vpa";
    v->fcs = fcs;
    v->nfcs = 2;
    v->recs = recs;
    v->nrecs = 2;
}

/* ---- a protobuf reader, written from the wire format ---- */

#define MAXL 16
#define MAXS 8
#define MAXT 64

typedef struct dlabel {
    char name[64], value[300];
} dlabel;

typedef struct dseries {
    dlabel l[MAXL];
    size_t nl;
    double v[MAXS];
    int64_t t[MAXS];
    size_t ns;
} dseries;

typedef struct cur {
    const unsigned char *p, *end;
} cur;

static uint64_t rd_varint(cur *c)
{
    uint64_t v = 0;
    for (int shift = 0; shift < 64; shift += 7) {
        assert_true(c->p < c->end);
        unsigned char b = *c->p++;
        v |= (uint64_t)(b & 0x7f) << shift;
        if (!(b & 0x80))
            return v;
    }
    fail_msg("varint too long");
    return 0;
}

/* A length-delimited field's content as a sub-cursor. */
static cur rd_bytes(cur *c)
{
    uint64_t n = rd_varint(c);
    cur s;
    assert_true(n <= (uint64_t)(c->end - c->p));
    s.p = c->p;
    s.end = c->p + n;
    c->p += n;
    return s;
}

static void rd_str(cur *c, char *out, size_t cap)
{
    cur s = rd_bytes(c);
    size_t n = (size_t)(s.end - s.p);
    assert_true(n < cap);
    memcpy(out, s.p, n);
    out[n] = '\0';
}

static void rd_label(cur c, dlabel *l)
{
    int seen = 0;
    while (c.p < c.end) {
        uint64_t tag = rd_varint(&c);
        if (tag == ((1 << 3) | 2))
            rd_str(&c, l->name, sizeof l->name), seen |= 1;
        else if (tag == ((2 << 3) | 2))
            rd_str(&c, l->value, sizeof l->value), seen |= 2;
        else
            fail_msg("unexpected tag %llu in Label", (unsigned long long)tag);
    }
    assert_int_equal(seen, 3);
}

static void rd_sample(cur c, double *v, int64_t *t)
{
    *v = 0;
    *t = 0;
    while (c.p < c.end) {
        uint64_t tag = rd_varint(&c);
        if (tag == ((1 << 3) | 1)) {
            uint64_t bits = 0;
            assert_true(c.end - c.p >= 8);
            for (int i = 0; i < 8; i++)
                bits |= (uint64_t)c.p[i] << (8 * i);
            c.p += 8;
            memcpy(v, &bits, sizeof *v);
        } else if (tag == ((2 << 3) | 0)) {
            *t = (int64_t)rd_varint(&c);
        } else {
            fail_msg("unexpected tag %llu in Sample", (unsigned long long)tag);
        }
    }
}

static void rd_series(cur c, dseries *s)
{
    memset(s, 0, sizeof *s);
    while (c.p < c.end) {
        uint64_t tag = rd_varint(&c);
        if (tag == ((1 << 3) | 2)) {
            assert_true(s->nl < MAXL);
            rd_label(rd_bytes(&c), &s->l[s->nl++]);
        } else if (tag == ((2 << 3) | 2)) {
            assert_true(s->ns < MAXS);
            rd_sample(rd_bytes(&c), &s->v[s->ns], &s->t[s->ns]);
            s->ns++;
        } else {
            fail_msg("unexpected tag %llu in TimeSeries", (unsigned long long)tag);
        }
    }
}

/* Uncompresses and decodes a request into ts[]; returns the count. */
static size_t decode(const char *z, size_t zlen, dseries *ts)
{
    size_t plen, n = 0;
    char *pb;
    cur c;

    assert_int_equal(snappy_uncompressed_length(z, zlen, &plen), SNAPPY_OK);
    pb = malloc(plen ? plen : 1);
    assert_non_null(pb);
    assert_int_equal(snappy_uncompress(z, zlen, pb, &plen), SNAPPY_OK);
    c.p = (const unsigned char *)pb;
    c.end = c.p + plen;
    while (c.p < c.end) {
        uint64_t tag = rd_varint(&c);
        assert_int_equal(tag, (1 << 3) | 2);
        assert_true(n < MAXT);
        rd_series(rd_bytes(&c), &ts[n++]);
    }
    free(pb);
    return n;
}

/* "name=value,..." of a series, for exact comparison. */
static const char *labels_str(const dseries *s, char *buf, size_t cap)
{
    size_t k = 0;
    buf[0] = '\0';
    for (size_t i = 0; i < s->nl; i++)
        k += (size_t)snprintf(buf + k, cap - k, "%s%s=%s", i ? "," : "", s->l[i].name,
                              s->l[i].value);
    return buf;
}

static void check_sorted(const dseries *s)
{
    assert_true(s->nl > 0);
    assert_string_equal(s->l[0].name, "__name__");
    for (size_t i = 1; i < s->nl; i++)
        assert_true(strcmp(s->l[i - 1].name, s->l[i].name) < 0);
}

/* ---- tests ---- */

static void test_encode(void **state)
{
    ag_view v;
    ag_view_fc fcs[2];
    ag_view_rec recs[2];
    static dseries ts[MAXT];
    char *z = NULL, buf[1024];
    size_t zlen = 0, n;
    (void)state;

    fixture(&v, fcs, recs, T0);
    assert_int_equal(ag_rw_encode(&v, NULL, &z, &zlen, NULL), AG_OK);
    assert_non_null(z);
    n = decode(z, zlen, ts);
    ag__free(z);
    assert_int_equal(n, 8 + 4 + 5 + 4);
    for (size_t i = 0; i < n; i++)
        check_sorted(&ts[i]);

    /* forecasts at the view's time, one series per quantile and horizon:
     * the step ending 1h, 6h, 24h after the forecast start */
    static const char *const hz[] = {"1h", "6h", "24h"};
    static const size_t idx[] = {0, 5, 23};
    for (size_t k = 0; k < 2; k++)
        for (size_t h = 0; h < 3; h++) {
            char want[512];
            const dseries *s = &ts[k * 3 + h];
            snprintf(want, sizeof want,
                     "__name__=augur_forecast_cpu_cores,container=app,horizon=%s,kind=Deployment,"
                     "namespace=shop,quantile=%s,workload=web",
                     hz[h], k ? "0.9" : "0.5");
            assert_string_equal(labels_str(s, buf, sizeof buf), want);
            assert_int_equal(s->ns, 1);
            assert_true(s->v[0] == fc_cpu[k * 24 + idx[h]]);
            assert_int_equal(s->t[0], T0);
        }
    /* 2 h steps: 6h is the 3rd, 24h the 12th; 1h (the NaN first step) left out */
    assert_string_equal(labels_str(&ts[6], buf, sizeof buf),
                        "__name__=augur_forecast_memory_bytes,container=app,horizon=6h,"
                        "kind=Deployment,namespace=shop,quantile=0.95,workload=web");
    assert_true(ts[6].v[0] == 1.002e9);
    assert_int_equal(ts[6].t[0], T0);
    assert_string_equal(labels_str(&ts[7], buf, sizeof buf),
                        "__name__=augur_forecast_memory_bytes,container=app,horizon=24h,"
                        "kind=Deployment,namespace=shop,quantile=0.95,workload=web");
    assert_true(ts[7].v[0] == 1.011e9);

    /* CPU recommendations: rec 0 without its NaN limit; rec 1 has no CPU data */
    static const char *const cpu_bounds[] = {"target", "lower", "upper", "uncapped"};
    static const double cpu_vals[] = {0.25, 0.1, 0.5, 0.25};
    for (size_t k = 0; k < 4; k++) {
        char want[512];
        const dseries *s = &ts[8 + k];
        snprintf(want, sizeof want,
                 "__name__=augur_recommendation_cpu_cores,bound=%s,container=app,kind=Deployment,"
                 "namespace=shop,workload=web",
                 cpu_bounds[k]);
        assert_string_equal(labels_str(s, buf, sizeof buf), want);
        assert_int_equal(s->ns, 1);
        assert_double_near(s->v[0], cpu_vals[k], 1e-12);
        assert_int_equal(s->t[0], T0);
    }
    static const char *const mem_bounds[] = {"target", "lower", "upper", "uncapped", "limit"};
    static const double mem_vals[] = {268435456, 2e8, 3e8, 268435456, 536870912};
    for (size_t k = 0; k < 5; k++) {
        char want[512];
        const dseries *s = &ts[12 + k];
        snprintf(want, sizeof want,
                 "__name__=augur_recommendation_memory_bytes,bound=%s,container=app,"
                 "kind=Deployment,namespace=shop,workload=web",
                 mem_bounds[k]);
        assert_string_equal(labels_str(s, buf, sizeof buf), want);
        assert_true(s->v[0] == mem_vals[k]);
        assert_int_equal(s->t[0], T0);
    }
    for (size_t k = 0; k < 4; k++) {
        char want[512];
        const dseries *s = &ts[17 + k];
        snprintf(want, sizeof want,
                 "__name__=augur_recommendation_memory_bytes,bound=%s,container=main,"
                 "kind=CronJob,namespace=batch,workload=report",
                 mem_bounds[k]);
        assert_string_equal(labels_str(s, buf, sizeof buf), want);
        assert_true(s->v[0] == 1e6);
    }
}

static void test_extra_labels(void **state)
{
    ag_view v;
    ag_view_fc fcs[2];
    ag_view_rec recs[2];
    static dseries ts[MAXT];
    char *z = NULL, buf[1024];
    size_t zlen = 0, n;
    (void)state;

    fixture(&v, fcs, recs, T0);
    assert_int_equal(ag_rw_encode(&v, "env=prod,cluster=a,_z=x y", &z, &zlen, NULL), AG_OK);
    n = decode(z, zlen, ts);
    ag__free(z);
    assert_int_equal(n, 21);
    for (size_t i = 0; i < n; i++)
        check_sorted(&ts[i]);
    assert_string_equal(labels_str(&ts[0], buf, sizeof buf),
                        "__name__=augur_forecast_cpu_cores,_z=x y,cluster=a,container=app,"
                        "env=prod,horizon=1h,kind=Deployment,namespace=shop,quantile=0.5,"
                        "workload=web");
    assert_string_equal(labels_str(&ts[20], buf, sizeof buf),
                        "__name__=augur_recommendation_memory_bytes,_z=x y,bound=uncapped,"
                        "cluster=a,container=main,env=prod,kind=CronJob,namespace=batch,"
                        "workload=report");
}

static void test_bad_extra_labels(void **state)
{
    static const char *const bad[] = {
        "cluster",
        "=a",
        "Cluster=a",
        "__x=a",
        "a=",
        "a=b,a=c",
        "a=b,",
        ",a=b",
        "a=b\n",
        "a-b=c",
        "9a=b",
        "namespace=x",
        "bound=x",
        "quantile=x",
        "a=b,,c=d",
        "a=\xc3\xa9",
        "a b=c",
        "horizon=1h",
        "a=b,c=d,e=f,g=h,i=j,k=l,m=n,o=p,q=r,s=t,u=v,w=x,y=z,aa=1,bb=2,cc=3,dd=4",
    };
    ag_view v;
    ag_view_fc fcs[2];
    ag_view_rec recs[2];
    char *z = (char *)"x";
    size_t zlen = 1;
    (void)state;

    fixture(&v, fcs, recs, T0);
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        ag_errinfo ei = {{0}};
        ag_err rc = ag_rw_encode(&v, bad[i], &z, &zlen, &ei);
        if (rc != AG_EINVAL)
            fail_msg("extra labels '%s': rc %d, want AG_EINVAL", bad[i], rc);
        assert_null(z);
        assert_int_equal(zlen, 0);
        assert_non_null(strstr(ei.msg, "extra labels"));
    }
    /* 16 is the most */
    assert_int_equal(ag_rw_encode(&v,
                                  "a=b,c=d,e=f,g=h,i=j,k=l,m=n,o=p,q=r,s=t,u=v,w=x,y=z,aa=1,bb=2,"
                                  "cc=3",
                                  &z, &zlen, NULL),
                     AG_OK);
    ag__free(z);
    assert_int_equal(ag_rw_encode(&v, "", &z, &zlen, NULL), AG_OK);
    ag__free(z);
}

static void test_empty(void **state)
{
    ag_view v;
    ag_view_fc fcs[2];
    ag_view_rec recs[2];
    static dseries ts[MAXT];
    static double nans[48];
    char *z = NULL;
    size_t zlen = 0;
    (void)state;

    memset(&v, 0, sizeof v);
    assert_int_equal(ag_rw_encode(&v, NULL, &z, &zlen, NULL), AG_OK);
    assert_non_null(z);
    assert_int_equal(decode(z, zlen, ts), 0);
    ag__free(z);

    /* nothing finite: no series at all */
    fixture(&v, fcs, recs, T0);
    v.nrecs = 0;
    v.nfcs = 1;
    for (size_t i = 0; i < 48; i++)
        nans[i] = NAN;
    fcs[0].q = nans;
    assert_int_equal(ag_rw_encode(&v, NULL, &z, &zlen, NULL), AG_OK);
    assert_int_equal(decode(z, zlen, ts), 0);
    ag__free(z);

    assert_int_equal(ag_rw_encode(NULL, NULL, &z, &zlen, NULL), AG_EINVAL);
    assert_null(z);
}

static void test_oom(void **state)
{
    ag_view v;
    ag_view_fc fcs[2];
    ag_view_rec recs[2];
    char *z = NULL;
    size_t zlen;
    long n;
    (void)state;

    fixture(&v, fcs, recs, T0);
    for (n = 1; n < 1000; n++) {
        ag_err rc;
        ag__alloc_fail_after(n);
        rc = ag_rw_encode(&v, "cluster=a", &z, &zlen, NULL);
        ag__alloc_fail_after(0);
        if (rc == AG_OK)
            break;
        assert_int_equal(rc, AG_ENOMEM);
        assert_null(z);
    }
    assert_true(n > 1 && n < 1000); /* at least one allocation failed first */
    ag__free(z);
}

static void test_push_errors(void **state)
{
    ag_view v;
    ag_view_fc fcs[2];
    ag_view_rec recs[2];
    ag_errinfo ei = {{0}};
    ag_rw_opts o = {.url = "http://127.0.0.1:1/api/v1/write", .timeout_ms = 2000};
    (void)state;

    fixture(&v, fcs, recs, T0);
    /* port 1 on loopback: nothing listens */
    assert_int_equal(ag_rw_push(&o, &v, &ei), AG_ENET);
    assert_non_null(strstr(ei.msg, "127.0.0.1:1"));
    o.url = NULL;
    assert_int_equal(ag_rw_push(&o, &v, &ei), AG_EINVAL);
    o.url = "ftp://127.0.0.1/x";
    assert_int_not_equal(ag_rw_push(&o, &v, &ei), AG_OK);
    o.url = "http://127.0.0.1:1/api/v1/write";
    o.extra_labels = "Bad=x";
    assert_int_equal(ag_rw_push(&o, &v, &ei), AG_EINVAL);
}

static int push_main(int argc, char **argv)
{
    ag_view v;
    ag_view_fc fcs[2];
    ag_view_rec recs[2];
    ag_errinfo ei = {{0}};
    ag_rw_opts o = {.url = argv[2], .timeout_ms = 10000};
    ag_err rc;

    if (argc > 4)
        o.extra_labels = argv[4];
    fixture(&v, fcs, recs, (int64_t)strtoll(argv[3], NULL, 10));
    rc = ag_rw_push(&o, &v, &ei);
    printf("rc=%d %s\n", (int)rc, rc == AG_OK ? "ok" : ag_errinfo_str(&ei, rc));
    return rc == AG_OK ? 0 : 1;
}

int main(int argc, char **argv)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_encode),
        cmocka_unit_test(test_extra_labels),
        cmocka_unit_test(test_bad_extra_labels),
        cmocka_unit_test(test_empty),
        cmocka_unit_test(test_oom),
        cmocka_unit_test(test_push_errors),
    };

    if (argc > 3 && !strcmp(argv[1], "--push"))
        return push_main(argc, argv);
    return cmocka_run_group_tests(tests, NULL, NULL);
}
