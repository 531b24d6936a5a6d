/*
 * tests/sim/test_sim.c - the replay simulator on hand-made traces with
 * known answers: throttling to the core-second, an OOM kill at a known
 * step and its restart, an eviction exactly when the request leaves the
 * recommender's bounds, the eviction cap, causality (a changed future
 * never changes a past decision), determinism, the metrics recomputed
 * from the emitted decisions, bad options and out-of-memory.
 */
#include <math.h>
#include "ag_test.h"
#include "augur/online.h"
#include "augur/sim.h"
#include "util/alloc.h"

#define MIN_MS 60000LL
#define HOUR_MS 3600000LL
#define DAY_MS 86400000LL
#define GIB 1073741824.0
#define T0 1700000000000LL /* 2023-11-14T22:13:20Z */

#define MAXREP 8

typedef struct fixture {
    ag_container c[MAXREP];
    ag_container *m[MAXREP];
    ag_wcontainer wc;
    char pods[MAXREP][16];
} fixture;

static void fx_setup(fixture *f, size_t n)
{
    memset(f, 0, sizeof *f);
    for (size_t i = 0; i < n; i++) {
        ag_container *c = &f->c[i];
        snprintf(f->pods[i], sizeof f->pods[i], "web-%d", (int)(i % MAXREP));
        c->ns = "default";
        c->pod = f->pods[i];
        c->container = "app";
        c->owner_kind = "StatefulSet";
        c->owner_name = "web";
        for (int r = 0; r < AG_NRES; r++)
            c->request[r] = c->limit[r] = NAN;
        f->m[i] = c;
    }
    f->wc.ns = "default";
    f->wc.kind = "StatefulSet";
    f->wc.name = "web";
    f->wc.container = "app";
    f->wc.n = n;
    f->wc.members = f->m;
    for (int r = 0; r < AG_NRES; r++)
        f->wc.request[r] = f->wc.limit[r] = NAN;
}

static void fx_spec(fixture *f, double creq, double clim, double mreq, double mlim)
{
    for (size_t i = 0; i < f->wc.n; i++) {
        f->c[i].request[AG_CPU] = creq;
        f->c[i].limit[AG_CPU] = clim;
        f->c[i].request[AG_MEMORY] = mreq;
        f->c[i].limit[AG_MEMORY] = mlim;
    }
    f->wc.request[AG_CPU] = creq;
    f->wc.limit[AG_CPU] = clim;
    f->wc.request[AG_MEMORY] = mreq;
    f->wc.limit[AG_MEMORY] = mlim;
}

static void fx_free(fixture *f)
{
    for (size_t i = 0; i < f->wc.n; i++)
        for (int r = 0; r < AG_NRES; r++)
            ag_samples_clear(&f->c[i].usage[r]);
}

/* Recorded events. */
typedef struct ev {
    int64_t t;
    int res;
    double req, lim, lower, upper;
    char pod[16], event[8];
} ev;

typedef struct evlog {
    ev v[20000];
    size_t n;
} evlog;

static void on_event(void *ud, const ag_sim_event *e)
{
    evlog *l = ud;
    ev *x;

    if (l->n >= sizeof l->v / sizeof l->v[0])
        return;
    x = &l->v[l->n++];
    x->t = e->t_ms;
    x->res = e->res;
    x->req = e->request;
    x->lim = e->limit;
    x->lower = e->lower;
    x->upper = e->upper;
    snprintf(x->pod, sizeof x->pod, "%s", e->pod);
    snprintf(x->event, sizeof x->event, "%s", e->event);
}

static int same_double(double a, double b)
{
    return a == b || (isnan(a) && isnan(b));
}

static int same_ev(const ev *a, const ev *b)
{
    return a->t == b->t && a->res == b->res && same_double(a->req, b->req) &&
           same_double(a->lim, b->lim) && same_double(a->lower, b->lower) &&
           same_double(a->upper, b->upper) && !strcmp(a->pod, b->pod) &&
           !strcmp(a->event, b->event);
}

static ag_sim_metrics run(const ag_sim_opts *o, const ag_online_params *p, fixture *f)
{
    ag_sim_result res;
    ag_sim_metrics tot;
    ag_errinfo ei = {{0}};

    assert_int_equal(ag_sim_run(o, p, &f->wc, 1, &res, &tot, &ei), AG_OK);
    ag_sim_results_clear(&res, 1);
    return tot;
}

/* CPU of 1.5 cores for 10 minutes against request 0.5 / limit 1: every
 * sample after the first (metrics count samples after the warm-up, here
 * 0) is throttled by 0.5 core for 60 s and at risk by 1 core. */
static void test_throttling_exact(void **state)
{
    fixture f;
    ag_sim_opts o;
    ag_online_params p;
    ag_sim_metrics m;

    (void)state;
    fx_setup(&f, 1);
    fx_spec(&f, 0.5, 1.0, NAN, NAN);
    for (int i = 0; i < 11; i++)
        ag_samples_push(&f.c[0].usage[AG_CPU], T0 + i * MIN_MS, i < 6 ? 0.25 : 1.5);
    ag_sim_opts_default(&o);
    o.warmup_ms = 0;
    ag_online_params_default(&p, AG_ONLINE_STATIC);
    m = run(&o, &p, &f);
    /* samples 1..10 counted; 6..10 are the hot ones */
    assert_int_equal(m.intervals, 10);
    assert_double_near(m.container_seconds, 600, 1e-9);
    assert_double_near(m.cpu_demand, (5 * 0.25 + 5 * 1.5) * 60, 1e-9);
    assert_double_near(m.cpu_throttled, 5 * 0.5 * 60, 1e-9);
    assert_double_near(m.cpu_at_risk, 5 * 1.0 * 60, 1e-9);
    assert_double_near(m.cpu_used, (5 * 0.25 + 5 * 1.0) * 60, 1e-9);
    assert_double_near(m.cpu_requested, 10 * 0.5 * 60, 1e-9);
    assert_double_near(m.cpu_idle_request, 5 * 0.25 * 60, 1e-9);
    assert_int_equal(m.ooms, 0);
    assert_int_equal(m.evictions, 0);
    fx_free(&f);
}

/* Memory 0.5 GiB with one sample of 2 GiB (limit 1 GiB) at step 5: one
 * OOM kill there, the next minute fully down (restart 60 s), events
 * "oom" at step 5 and "restart" at step 6; a request of 0.75 GiB makes
 * the samples at 0.9 GiB memory at risk. */
static void test_oom_known_step(void **state)
{
    fixture f;
    ag_sim_opts o;
    ag_online_params p;
    ag_sim_metrics m;
    static evlog log;
    size_t noom = 0, nrestart = 0;

    (void)state;
    fx_setup(&f, 1);
    fx_spec(&f, NAN, NAN, 0.75 * GIB, GIB);
    for (int i = 0; i < 12; i++) {
        double v = i == 5 ? 2 * GIB : (i == 9 || i == 10 ? 0.9 * GIB : 0.5 * GIB);
        ag_samples_push(&f.c[0].usage[AG_MEMORY], T0 + i * MIN_MS, v);
    }
    ag_sim_opts_default(&o);
    o.warmup_ms = 0;
    o.on_event = on_event;
    o.event_ud = &log;
    log.n = 0;
    ag_online_params_default(&p, AG_ONLINE_STATIC);
    m = run(&o, &p, &f);
    assert_int_equal(m.ooms, 1);
    assert_int_equal(m.restarts, 1);
    assert_int_equal(m.disruptions, 1);
    assert_int_equal(m.mem_at_risk, 2);
    assert_double_near(m.down_seconds, 60, 1e-9);
    assert_double_near(m.mem_lost, 0.5 * GIB * 60, 1);
    for (size_t i = 0; i < log.n; i++) {
        if (!strcmp(log.v[i].event, "oom")) {
            noom++;
            assert_int_equal(log.v[i].t, T0 + 5 * MIN_MS);
            assert_double_near(log.v[i].lim, GIB, 0);
        }
        if (!strcmp(log.v[i].event, "restart")) {
            nrestart++;
            assert_int_equal(log.v[i].t, T0 + 6 * MIN_MS);
        }
    }
    assert_int_equal(noom, 1);
    assert_int_equal(nrestart, 1);
    fx_free(&f);
}

/* A crash loop: memory above the limit for a while; restarts double
 * (60, 120, 240 s, capped at 300 s) and OOMs only happen while up. */
static void test_crash_loop_backoff(void **state)
{
    fixture f;
    ag_sim_opts o;
    ag_online_params p;
    ag_sim_metrics m;

    (void)state;
    fx_setup(&f, 1);
    fx_spec(&f, NAN, NAN, GIB, GIB);
    for (int i = 0; i < 40; i++)
        ag_samples_push(&f.c[0].usage[AG_MEMORY], T0 + i * MIN_MS, 2 * GIB);
    ag_sim_opts_default(&o);
    o.warmup_ms = 0;
    o.mode = AG_MODE_OFF;
    ag_online_params_default(&p, AG_ONLINE_STATIC);
    m = run(&o, &p, &f);
    /* kills at minutes 0 (not counted: the warm-up edge), 2, 5, 10, 16, 22, 28, 34 */
    assert_int_equal(m.ooms, 7);
    fx_free(&f);
}

/* The updater evicts exactly at the first decision where the request is
 * outside the recommender's [lower, upper]: found by running the same
 * online VPA by hand on the same samples. */
static void test_evict_when_outside_bounds(void **state)
{
    fixture f;
    ag_sim_opts o;
    ag_online_params p;
    ag_online *r;
    ag_online_spec spec = {{NAN, NAN}, {NAN, NAN}, 1, 5 * MIN_MS};
    static evlog log;
    int64_t expect = -1, warm = 2 * DAY_MS, got = -1;
    double req = NAN;
    const int n = 5 * 288;

    (void)state;
    fx_setup(&f, 1);
    for (int i = 0; i < n; i++) {
        double cpu = i < 3 * 288 ? 0.2 : 1.0; /* a jump on day 3 */
        ag_samples_push(&f.c[0].usage[AG_CPU], T0 + i * 5 * MIN_MS, cpu);
        ag_samples_push(&f.c[0].usage[AG_MEMORY], T0 + i * 5 * MIN_MS, 0.5 * GIB);
    }
    ag_sim_opts_default(&o);
    o.warmup_ms = warm;
    o.lifetime_ms = 100 * DAY_MS; /* only the bounds rule */
    o.on_event = on_event;
    o.event_ud = &log;
    log.n = 0;
    ag_online_params_default(&p, AG_ONLINE_VPA);
    run(&o, &p, &f);

    /* by hand: decisions every 5 minutes after each sample */
    assert_int_equal(ag_online_new(&p, &spec, &r), AG_OK);
    for (int i = 0; i < n && expect < 0; i++) {
        int64_t t = T0 + i * 5 * MIN_MS;
        ag_rec rec;
        double cur[2] = {req, NAN};
        ag_online_observe(r, 0, AG_CPU, t, f.c[0].usage[AG_CPU].v[i].v);
        ag_online_observe(r, 0, AG_MEMORY, t, 0.5 * GIB);
        ag_online_recommend(r, t, cur, &rec);
        if (t - T0 < warm)
            continue;
        if (isnan(req)) {
            req = rec.res[AG_CPU].target; /* pods created at the end of the warm-up */
            continue;
        }
        if (req < rec.res[AG_CPU].lower || req > rec.res[AG_CPU].upper)
            expect = t;
    }
    ag_online_free(r);
    assert_true(expect > 0);
    if (getenv("AG_DEBUG"))
        for (size_t i = 0; i < log.n; i++)
            fprintf(stderr, "%lld %d %g %g [%g %g] %s\n", (long long)(log.v[i].t - T0) / 60000,
                    log.v[i].res, log.v[i].req, log.v[i].lim, log.v[i].lower, log.v[i].upper,
                    log.v[i].event);
    if (getenv("AG_DEBUG"))
        fprintf(stderr, "expect %lld\n", (long long)(expect - T0) / 60000);
    for (size_t i = 0; i < log.n && got < 0; i++)
        if (!strcmp(log.v[i].event, "evict"))
            got = log.v[i].t;
    assert_int_equal(got, expect);
    fx_free(&f);
}

/* Four replicas all wanting an update: at most two are evicted at once
 * (eviction tolerance 0.5); the other two follow after the first two are
 * back. */
static void test_eviction_cap(void **state)
{
    fixture f;
    ag_sim_opts o;
    ag_online_params p;
    static evlog log;
    int64_t first = -1;
    size_t at_first = 0, total = 0;

    (void)state;
    ag_sim_opts_default(&o);
    o.mode = AG_MODE_RECREATE;
    o.on_event = on_event;
    o.event_ud = &log;
    fx_setup(&f, 4);
    fx_spec(&f, 1.0, NAN, GIB, NAN);
    for (size_t k = 0; k < 4; k++)
        for (int i = 0; i < 24 * 60; i++)
            ag_samples_push(&f.c[k].usage[AG_CPU], T0 + i * MIN_MS, i < 600 ? 0.1 : 2.0);
    log.n = 0;
    o.warmup_ms = 2 * HOUR_MS;
    ag_online_params_default(&p, AG_ONLINE_VPA);
    run(&o, &p, &f);
    for (size_t i = 0; i < log.n; i++)
        if (!strcmp(log.v[i].event, "evict") && log.v[i].res == AG_CPU) {
            if (first < 0)
                first = log.v[i].t;
            at_first += log.v[i].t == first;
            total++;
        }
    assert_true(total >= 4);
    assert_int_equal(at_first, 2);
    fx_free(&f);
}

/* A daily pattern with noise, two replicas, 6 days. */
static void fill_pattern(fixture *f, int days, uint64_t seed, int64_t change_at, double factor)
{
    uint64_t x = seed;

    for (size_t k = 0; k < f->wc.n; k++)
        for (int i = 0; i < days * 288; i++) {
            int64_t t = T0 + i * 5 * MIN_MS;
            double u, cpu, mem;
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            u = (double)(x >> 11) / 9007199254740992.0;
            cpu = 0.5 + 0.3 * sin(2 * M_PI * i / 288.0) + 0.1 * u;
            mem = (0.6 + 0.2 * sin(2 * M_PI * i / 288.0) + 0.05 * u) * GIB;
            if (change_at >= 0 && t >= change_at) {
                cpu *= factor;
                mem *= factor;
            }
            ag_samples_push(&f->c[k].usage[AG_CPU], t, cpu);
            ag_samples_push(&f->c[k].usage[AG_MEMORY], t, mem);
        }
}

static void causality_for(ag_online_kind kind)
{
    fixture a, b;
    ag_sim_opts o;
    ag_online_params p;
    static evlog la, lb;
    int64_t change = T0 + 4 * DAY_MS + 7 * HOUR_MS;
    size_t i, before = 0;

    fx_setup(&a, 2);
    fx_setup(&b, 2);
    fx_spec(&a, 1, 2, GIB, 1.5 * GIB);
    fx_spec(&b, 1, 2, GIB, 1.5 * GIB);
    fill_pattern(&a, 6, 42, -1, 1);
    fill_pattern(&b, 6, 42, change, 3.0);
    ag_sim_opts_default(&o);
    o.on_event = on_event;
    ag_online_params_default(&p, kind);
    o.event_ud = &la;
    la.n = 0;
    run(&o, &p, &a);
    o.event_ud = &lb;
    lb.n = 0;
    run(&o, &p, &b);
    /* every row before the change is the same in both runs, in order */
    for (i = 0; i < la.n && i < lb.n && la.v[i].t < change; i++) {
        if (!same_ev(&la.v[i], &lb.v[i]))
            fail_msg("%s: row %zu at t=%lld differs before the change", ag_online_kind_name(kind),
                     i, (long long)la.v[i].t);
        before++;
    }
    assert_true(i < lb.n && lb.v[i].t >= change);
    assert_true(before > 4);
    /* and the future did change something */
    assert_true(la.n != lb.n || !same_ev(&la.v[la.n - 1], &lb.v[lb.n - 1]));
    fx_free(&a);
    fx_free(&b);
}

static void test_causality(void **state)
{
    (void)state;
    causality_for(AG_ONLINE_VPA);
    causality_for(AG_ONLINE_KRR);
    causality_for(AG_ONLINE_AUGUR);
}

static void test_determinism(void **state)
{
    fixture f;
    ag_sim_opts o;
    ag_online_params p;
    ag_sim_metrics m1, m2;
    static evlog l1, l2;

    (void)state;
    fx_setup(&f, 3);
    fx_spec(&f, 0.3, 0.6, 0.5 * GIB, 0.7 * GIB);
    fill_pattern(&f, 4, 7, -1, 1);
    ag_sim_opts_default(&o);
    o.on_event = on_event;
    o.seed = 99;
    for (int k = 0; k < AG_ONLINE_NKINDS; k++) {
        ag_online_params_default(&p, (ag_online_kind)k);
        o.event_ud = &l1;
        l1.n = 0;
        m1 = run(&o, &p, &f);
        o.event_ud = &l2;
        l2.n = 0;
        m2 = run(&o, &p, &f);
        assert_memory_equal(&m1, &m2, sizeof m1);
        assert_int_equal(l1.n, l2.n);
        for (size_t i = 0; i < l1.n; i++)
            assert_true(same_ev(&l1.v[i], &l2.v[i]));
    }
    fx_free(&f);
}

/* The requested core-seconds and the OOM count recomputed from the
 * decision rows and the trace alone equal the simulator's. */
static void test_metrics_from_decisions(void **state)
{
    fixture f;
    ag_sim_opts o;
    ag_online_params p;
    ag_sim_metrics m;
    static evlog log;
    double requested = 0, mreq = 0;
    uint64_t ooms = 0;

    (void)state;
    fx_setup(&f, 2);
    fx_spec(&f, 0.3, 0.6, 0.5 * GIB, 0.7 * GIB);
    fill_pattern(&f, 4, 11, -1, 1);
    ag_sim_opts_default(&o);
    o.on_event = on_event;
    o.event_ud = &log;
    log.n = 0;
    ag_online_params_default(&p, AG_ONLINE_AUGUR);
    ag_augur_params_policy(&p.augur, AG_POLICY_COST_SAVING);
    m = run(&o, &p, &f);
    for (size_t k = 0; k < f.wc.n; k++) {
        for (int r = 0; r < AG_NRES; r++) {
            const ag_samples *s = &f.c[k].usage[r];
            for (size_t i = 0; i < s->n; i++) {
                int64_t t = s->v[i].t_ms;
                double req = NAN;
                if (t <= T0 + o.warmup_ms)
                    continue;
                /* the value in force during (t - step, t]: the last row before t */
                for (size_t j = 0; j < log.n && log.v[j].t < t; j++)
                    if (!strcmp(log.v[j].pod, f.c[k].pod) && log.v[j].res == r &&
                        log.v[j].event[0] == '\0')
                        req = log.v[j].req;
                if (r == AG_CPU)
                    requested += req * 300;
                else
                    mreq += req * 300;
            }
        }
    }
    for (size_t j = 0; j < log.n; j++)
        if (!strcmp(log.v[j].event, "oom") && log.v[j].t > T0 + o.warmup_ms)
            ooms++;
    assert_double_near(requested, m.cpu_requested, 1e-6 * m.cpu_requested);
    assert_double_near(mreq, m.mem_requested, 1e-6 * m.mem_requested);
    assert_int_equal(ooms, m.ooms);
    fx_free(&f);
}

static void test_summary_and_pareto(void **state)
{
    ag_sim_metrics m = {0};
    ag_sim_summary s;
    double x[] = {0.1, 5, 0.2, 1, 0.3, 0.5, 0.25, 2, 0.1, 6};
    int front[5];

    (void)state;
    m.container_seconds = 2 * 86400;
    m.cpu_requested = 100;
    m.cpu_idle_request = 25;
    m.cpu_demand = 80;
    m.cpu_throttled = 8;
    m.ooms = 3;
    m.mem_requested = 0;
    ag_sim_summarize(&m, &s);
    assert_double_near(s.cpu_slack, 0.25, 1e-12);
    assert_double_near(s.cpu_throttled_share, 0.1, 1e-12);
    assert_double_near(s.ooms_per_cday, 1.5, 1e-12);
    assert_true(isnan(s.mem_slack));
    ag_sim_pareto(x, 5, 2, front);
    assert_int_equal(front[0], 1);
    assert_int_equal(front[1], 1);
    assert_int_equal(front[2], 1);
    assert_int_equal(front[3], 0); /* (0.25, 2) is dominated by (0.2, 1) */
    assert_int_equal(front[4], 0); /* (0.1, 6) by (0.1, 5) */
}

static void test_bad_options(void **state)
{
    fixture f;
    ag_sim_opts o;
    ag_online_params p;
    ag_sim_result res;
    ag_errinfo ei = {{0}};

    (void)state;
    fx_setup(&f, 1);
    ag_samples_push(&f.c[0].usage[AG_CPU], T0, 1);
    ag_online_params_default(&p, AG_ONLINE_VPA);
    ag_sim_opts_default(&o);
    o.interval_ms = 0;
    assert_int_equal(ag_sim_run(&o, &p, &f.wc, 1, &res, NULL, &ei), AG_EINVAL);
    assert_non_null(strstr(ei.msg, "interval"));
    ag_sim_opts_default(&o);
    o.eviction_tolerance = 2;
    assert_int_equal(ag_sim_run(&o, &p, &f.wc, 1, &res, NULL, &ei), AG_EINVAL);
    ag_sim_opts_default(&o);
    p.rec.vpa.target_cpu_percentile = 7;
    assert_int_equal(ag_sim_run(&o, &p, &f.wc, 1, &res, NULL, &ei), AG_EINVAL);
    assert_non_null(strstr(ei.msg, "default/web/app"));
    ag_online_params_default(&p, AG_ONLINE_AUGUR);
    p.augur.cpu_risk = 0;
    assert_int_equal(ag_sim_run(&o, &p, &f.wc, 1, &res, NULL, &ei), AG_EINVAL);
    /* nothing to replay is fine */
    ag_online_params_default(&p, AG_ONLINE_VPA);
    assert_int_equal(ag_sim_run(&o, &p, &f.wc, 0, &res, NULL, &ei), AG_OK);
    fx_free(&f);
}

static void test_out_of_memory(void **state)
{
    fixture f;
    ag_sim_opts o;
    ag_online_params p;
    ag_sim_result res;
    ag_errinfo ei = {{0}};

    (void)state;
    fx_setup(&f, 2);
    fill_pattern(&f, 2, 3, -1, 1);
    ag_sim_opts_default(&o);
    o.chart_step_ms = HOUR_MS;
    for (int k = 0; k < AG_ONLINE_NKINDS; k++) {
        ag_online_params_default(&p, (ag_online_kind)k);
        for (long n = 1; n < 40; n++) {
            ag_err rc;
            ag__alloc_fail_after(n);
            rc = ag_sim_run(&o, &p, &f.wc, 1, &res, NULL, &ei);
            ag__alloc_fail_after(0);
            if (rc == AG_OK) {
                ag_sim_results_clear(&res, 1);
                break;
            }
            assert_int_equal(rc, AG_ENOMEM);
        }
    }
    fx_free(&f);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_throttling_exact),   cmocka_unit_test(test_oom_known_step),
        cmocka_unit_test(test_crash_loop_backoff), cmocka_unit_test(test_evict_when_outside_bounds),
        cmocka_unit_test(test_eviction_cap),       cmocka_unit_test(test_causality),
        cmocka_unit_test(test_determinism),        cmocka_unit_test(test_metrics_from_decisions),
        cmocka_unit_test(test_summary_and_pareto), cmocka_unit_test(test_bad_options),
        cmocka_unit_test(test_out_of_memory),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
