/*
 * tests/synth/test_synth.c - synthetic workloads: spec parsing and its
 * errors, each shape's known values (a step's before/after, a sinusoid's
 * peak and period, a trend's slope, low/high phases, bursts, a random
 * walk's bounds and increments), noise and replica scales, requests and
 * owners, determinism for a seed, the canonical form, the size cap and
 * out-of-memory.
 */
#include <math.h>
#include "ag_test.h"
#include "augur/synth.h"
#include "augur/util.h"
#include "util/alloc.h"

/* Parses spec and generates it at the spec's start into a new dataset. */
static ag_dataset *gen(const char *spec, ag_synth_spec *out)
{
    ag_synth_spec s;
    ag_errinfo ei = {{0}};
    ag_dataset *ds = ag_dataset_new();
    ag_err rc;

    assert_non_null(ds);
    rc = ag_synth_parse(spec, &s, &ei);
    if (rc != AG_OK)
        fail_msg("parse '%s': %s", spec, ag_errinfo_str(&ei, rc));
    rc = ag_synth_generate(ds, &s, s.start_ms, &ei);
    if (rc != AG_OK)
        fail_msg("generate '%s': %s", spec, ag_errinfo_str(&ei, rc));
    if (out)
        *out = s;
    return ds;
}

static ag_container *pod(ag_dataset *ds, const char *ns, const char *name)
{
    for (size_t i = 0; i < ag_dataset_count(ds); i++) {
        ag_container *c = ag_dataset_at(ds, i);
        if (strcmp(c->ns, ns) == 0 && strcmp(c->pod, name) == 0)
            return c;
    }
    fail_msg("no pod %s/%s", ns, name);
    return NULL;
}

static void test_names_and_defaults(void **state)
{
    const char *const *names = ag_synth_shape_names();
    const char *want[] = {"constant", "step",  "sinusoidal", "low_high",
                          "bursty",   "trend", "random_walk"};
    ag_synth_spec s;
    ag_errinfo ei = {{0}};
    int64_t t;

    (void)state;
    for (int i = 0; i < AG_SYNTH_NSHAPES; i++) {
        assert_string_equal(names[i], want[i]);
        assert_string_equal(ag_synth_shape_name((ag_synth_shape)i), want[i]);
    }
    assert_null(names[AG_SYNTH_NSHAPES]);
    assert_string_equal(ag_synth_shape_name((ag_synth_shape)99), "?");

    assert_int_equal(ag_time_parse("2024-01-01T00:00:00Z", &t), AG_OK);
    assert_int_equal(t, AG_SYNTH_DEFAULT_START_MS);

    assert_int_equal(ag_synth_parse("low_high", &s, &ei), AG_OK);
    assert_int_equal(s.shape, AG_SYNTH_LOW_HIGH);
    assert_double_near(s.base[AG_CPU], 0.5, 0);
    assert_double_near(s.base[AG_MEMORY], 536870912.0, 0);
    assert_double_near(s.noise[AG_CPU], 0, 0);
    assert_true(isnan(s.request[AG_CPU]) && isnan(s.limit[AG_MEMORY]));
    assert_int_equal(s.apply, AG_SYNTH_APPLY_BOTH);
    assert_int_equal(s.length_ms, 14 * 86400000LL);
    assert_int_equal(s.step_ms, 60000);
    assert_int_equal(s.start_ms, AG_SYNTH_DEFAULT_START_MS);
    assert_int_equal(s.replicas, 3);
    assert_int_equal(s.seed, 1);
    assert_string_equal(s.ns, "synth");
    assert_string_equal(s.name, "low-high");
    assert_string_equal(s.container, "app");
    assert_double_near(s.factor, 2, 0);
    assert_int_equal(s.low_ms, 12 * 3600000);
    assert_int_equal(s.max_points, AG_SYNTH_MAX_POINTS);
    assert_int_equal(ag_synth_points(&s), 14 * 1440);

    /* the prefix, '-' for '_', and an empty parameter list */
    assert_int_equal(ag_synth_parse("synth:random-walk:", &s, &ei), AG_OK);
    assert_int_equal(s.shape, AG_SYNTH_RANDOM_WALK);
    assert_string_equal(s.name, "random-walk");
    assert_true(ag_synth_is_spec("synth:step"));
    assert_false(ag_synth_is_spec("step.csv"));
    assert_false(ag_synth_is_spec(NULL));
}

static void test_parse_all_keys(void **state)
{
    ag_synth_spec s;
    ag_errinfo ei = {{0}};

    (void)state;
    assert_int_equal(ag_synth_parse("sinusoidal:cpu=0.5,mem=512Mi,amplitude=0.3,period=24h,"
                                    "noise=0.05,days=14,step=5m,replicas=3,seed=7,ns=synth,"
                                    "name=web,cpu-request=1,mem-request=1Gi,mem-limit=2Gi",
                                    &s, &ei),
                     AG_OK);
    assert_double_near(s.amplitude, 0.3, 0);
    assert_int_equal(s.period_ms, 86400000);
    assert_double_near(s.noise[AG_CPU], 0.05, 0);
    assert_double_near(s.noise[AG_MEMORY], 0.05, 0);
    assert_int_equal(s.step_ms, 300000);
    assert_int_equal(s.seed, 7);
    assert_string_equal(s.name, "web");
    assert_double_near(s.request[AG_CPU], 1, 0);
    assert_double_near(s.request[AG_MEMORY], 1073741824.0, 0);
    assert_double_near(s.limit[AG_MEMORY], 2147483648.0, 0);
    assert_true(isnan(s.limit[AG_CPU]));

    /* a resource's own noise key wins over "noise", in either order */
    assert_int_equal(ag_synth_parse("constant:cpu-noise=0,noise=0.2", &s, &ei), AG_OK);
    assert_double_near(s.noise[AG_CPU], 0, 0);
    assert_double_near(s.noise[AG_MEMORY], 0.2, 0);
    assert_int_equal(ag_synth_parse("constant:noise=0.2,mem-noise=0.1", &s, &ei), AG_OK);
    assert_double_near(s.noise[AG_CPU], 0.2, 0);
    assert_double_near(s.noise[AG_MEMORY], 0.1, 0);

    assert_int_equal(ag_synth_parse("trend:days=0.5,start=1700000000,seed=18446744073709551615,"
                                    "apply=mem,slope=-0.25,reset=1d,container=db,spread=0.5",
                                    &s, &ei),
                     AG_OK);
    assert_int_equal(s.length_ms, 43200000);
    assert_int_equal(s.start_ms, 1700000000000LL);
    assert_true(s.seed == UINT64_MAX);
    assert_int_equal(s.apply, AG_SYNTH_APPLY_MEM);
    assert_double_near(s.slope, -0.25, 0);
    assert_int_equal(s.reset_ms, 86400000);
    assert_string_equal(s.container, "db");
    assert_double_near(s.spread, 0.5, 0);
}

static void test_constant_layout(void **state)
{
    ag_synth_spec s;
    ag_dataset *ds = gen("constant:cpu=0.25,mem=100Mi,days=1,step=1h,replicas=2,ns=shop,"
                         "name=web,seed=3",
                         &s);
    const char *kind, *name;

    (void)state;
    assert_int_equal(ag_dataset_count(ds), 2);
    for (int i = 0; i < 2; i++) {
        ag_container *c = pod(ds, "shop", i ? "web-1" : "web-0");
        assert_string_equal(c->container, "app");
        assert_int_equal(c->usage[AG_CPU].n, 24);
        assert_int_equal(c->usage[AG_MEMORY].n, 24);
        assert_int_equal(c->cpu_counter.n, 0);
        assert_int_equal(c->oom.n, 0);
        for (size_t k = 0; k < 24; k++) {
            assert_int_equal(c->usage[AG_CPU].v[k].t_ms,
                             AG_SYNTH_DEFAULT_START_MS + (int64_t)k * 3600000);
            assert_int_equal(c->usage[AG_MEMORY].v[k].t_ms, c->usage[AG_CPU].v[k].t_ms);
            assert_double_near(c->usage[AG_CPU].v[k].v, 0.25, 0);
            assert_double_near(c->usage[AG_MEMORY].v[k].v, 104857600.0, 0);
        }
        assert_true(isnan(c->request[AG_CPU]) && isnan(c->limit[AG_CPU]));
        assert_int_equal(ag_dataset_get_owner(ds, "shop", c->pod, &kind, &name), 1);
        assert_string_equal(kind, "Deployment");
        assert_string_equal(name, "web");
    }
    ag_dataset_free(ds);
}

static void test_step(void **state)
{
    ag_dataset *ds = gen("step:cpu=1,mem=1Gi,factor=3,at=6h,days=1,step=1h,replicas=1", NULL);
    ag_container *c = pod(ds, "synth", "step-0");

    (void)state;
    for (size_t k = 0; k < 24; k++) {
        double f = k < 6 ? 1 : 3;
        assert_double_near(c->usage[AG_CPU].v[k].v, f, 0);
        assert_double_near(c->usage[AG_MEMORY].v[k].v, f * 1073741824.0, 0);
    }
    ag_dataset_free(ds);

    /* default: the step at half the length; a factor below 1 steps down */
    ds = gen("step:cpu=2,factor=0.5,days=2,step=1h,replicas=1", NULL);
    c = pod(ds, "synth", "step-0");
    assert_double_near(c->usage[AG_CPU].v[23].v, 2, 0);
    assert_double_near(c->usage[AG_CPU].v[24].v, 1, 0);
    assert_double_near(c->usage[AG_CPU].v[47].v, 1, 0);
    ag_dataset_free(ds);
}

static void test_sinusoid(void **state)
{
    ag_dataset *ds = gen("sinusoidal:cpu=1,mem=1Gi,amplitude=0.5,period=24h,days=3,step=1h,"
                         "replicas=1",
                         NULL);
    ag_container *c = pod(ds, "synth", "sinusoidal-0");
    const ag_samples *u = &c->usage[AG_CPU];

    (void)state;
    assert_int_equal(u->n, 72);
    /* sin(2 pi t / 24h): 1 at t=0, the peak at 6h, the trough at 18h, each day */
    for (int d = 0; d < 3; d++) {
        size_t best = 0;
        for (size_t k = 0; k < 24; k++)
            if (u->v[d * 24 + k].v > u->v[d * 24 + best].v)
                best = k;
        assert_int_equal(best, 6);
        assert_double_near(u->v[d * 24 + 0].v, 1.0, 1e-12);
        assert_double_near(u->v[d * 24 + 6].v, 1.5, 0);
        assert_double_near(u->v[d * 24 + 12].v, 1.0, 1e-12);
        assert_double_near(u->v[d * 24 + 18].v, 0.5, 1e-12);
        assert_double_near(u->v[d * 24 + 3].v, 1 + 0.5 * sin(M_PI / 4), 1e-12);
    }
    assert_double_near(c->usage[AG_MEMORY].v[6].v, 1.5 * 1073741824.0, 0);
    ag_dataset_free(ds);

    /* peak= moves the peak; the period is respected */
    ds = gen("sinusoidal:cpu=1,amplitude=1,period=8h,peak=14h,days=2,step=1h,replicas=1", NULL);
    u = &pod(ds, "synth", "sinusoidal-0")->usage[AG_CPU];
    for (size_t k = 0; k < 48; k++) {
        int at_peak = (k + 24 - 14) % 8 == 0, at_trough = (k + 24 - 14) % 8 == 4;
        if (at_peak)
            assert_double_near(u->v[k].v, 2, 0);
        else if (at_trough)
            assert_double_near(u->v[k].v, 0, 1e-12);
        else
            assert_true(u->v[k].v < 2 && u->v[k].v > 0);
    }
    ag_dataset_free(ds);
}

static void test_low_high(void **state)
{
    ag_dataset *ds = gen("low_high:cpu=1,mem=1Mi,factor=4,low-for=2h,high-for=1h,step=30m,"
                         "days=1,replicas=1",
                         NULL);
    const ag_samples *u = &pod(ds, "synth", "low-high-0")->usage[AG_CPU];

    (void)state;
    assert_int_equal(u->n, 48);
    for (size_t k = 0; k < 48; k++) /* 4 samples low, 2 high, repeating */
        assert_double_near(u->v[k].v, k % 6 < 4 ? 1 : 4, 0);
    ag_dataset_free(ds);
}

static void test_bursty(void **state)
{
    ag_dataset *ds = gen("bursty:cpu=1,mem=1Gi,factor=5,every=6h,burst=30m,step=5m,days=60,"
                         "replicas=2",
                         NULL);
    const ag_samples *u = &pod(ds, "synth", "bursty-0")->usage[AG_CPU];
    const ag_samples *w = &pod(ds, "synth", "bursty-1")->usage[AG_CPU];
    const ag_samples *m = &pod(ds, "synth", "bursty-0")->usage[AG_MEMORY];
    size_t bursts = 0, run = 0, high = 0;

    (void)state;
    for (size_t k = 0; k < u->n; k++) {
        double v = u->v[k].v;
        assert_true(v == 1 || v == 5);
        assert_double_near(w->v[k].v, v, 0);                /* replicas share the bursts */
        assert_double_near(m->v[k].v, v * 1073741824.0, 0); /* and both resources */
        if (v == 5) {
            high++;
            run++;
        }
        if (run && (v == 1 || k + 1 == u->n)) {
            assert_int_equal(run % 6, 0); /* 30 min = 6 samples; back-to-back bursts merge */
            bursts += run / 6;
            run = 0;
        }
    }
    /* gaps ~ Exp(6h) plus 30 min bursts: 60 days / 6.5 h = about 221 bursts */
    assert_true(bursts > 170 && bursts < 280);
    assert_int_equal(high, bursts * 6);
    ag_dataset_free(ds);
}

static void test_trend(void **state)
{
    ag_dataset *ds = gen("trend:cpu=1,mem=1Gi,slope=0.5,apply=mem,days=4,step=1h,replicas=1", NULL);
    ag_container *c = pod(ds, "synth", "trend-0");
    const ag_samples *m = &c->usage[AG_MEMORY];

    (void)state;
    for (size_t k = 0; k < 96; k++) {
        assert_double_near(m->v[k].v, nearbyint(1073741824.0 * (1 + 0.5 * (double)k / 24)), 0);
        assert_double_near(c->usage[AG_CPU].v[k].v, 1, 0); /* apply=mem: CPU stays flat */
    }
    /* slope: 0.5 Gi per day */
    assert_double_near((m->v[72].v - m->v[24].v) / 2, 0.5 * 1073741824.0, 1);
    ag_dataset_free(ds);

    /* reset=: a leak that restarts every day; a negative slope bottoms out at 0 */
    ds = gen("trend:cpu=1,slope=1,reset=1d,days=3,step=6h,replicas=1", NULL);
    c = pod(ds, "synth", "trend-0");
    for (size_t k = 0; k < 12; k++)
        assert_double_near(c->usage[AG_CPU].v[k].v, 1 + 0.25 * (double)(k % 4), 0);
    ag_dataset_free(ds);
    ds = gen("trend:cpu=1,slope=-0.5,days=4,step=1d,replicas=1", NULL);
    c = pod(ds, "synth", "trend-0");
    assert_double_near(c->usage[AG_CPU].v[1].v, 0.5, 0);
    assert_double_near(c->usage[AG_CPU].v[3].v, 0, 0);
    ag_dataset_free(ds);
}

static void test_random_walk(void **state)
{
    ag_dataset *ds = gen("random_walk:cpu=1,volatility=0.001,min=0,max=100,step=1h,days=500,"
                         "replicas=1",
                         NULL);
    const ag_samples *u = &pod(ds, "synth", "random-walk-0")->usage[AG_CPU];
    double s1 = 0, s2 = 0, sd;
    size_t n = u->n - 1;

    (void)state;
    assert_int_equal(u->n, 12000);
    assert_double_near(u->v[0].v, 1, 0);
    for (size_t k = 1; k < u->n; k++) {
        double d = u->v[k].v - u->v[k - 1].v;
        s1 += d;
        s2 += d * d;
    }
    sd = sqrt(s2 / n - (s1 / n) * (s1 / n));
    assert_double_near(sd, 0.001, 0.001 * 0.05); /* sd over 1 h = volatility */
    ag_dataset_free(ds);

    /* reflected into [min, max] */
    ds = gen("random_walk:cpu=1,volatility=0.5,min=0.5,max=1.5,step=5m,days=10,replicas=1", NULL);
    u = &pod(ds, "synth", "random-walk-0")->usage[AG_CPU];
    double lo = 2, hi = 0;
    for (size_t k = 0; k < u->n; k++) {
        lo = fmin(lo, u->v[k].v);
        hi = fmax(hi, u->v[k].v);
    }
    assert_true(lo >= 0.5 && hi <= 1.5);
    assert_true(lo < 0.6 && hi > 1.4); /* and it does wander over the range */
    ag_dataset_free(ds);
}

static void test_noise_and_spread(void **state)
{
    ag_dataset *ds = gen("constant:cpu=1,mem=1Gi,noise=0.1,cpu-noise=0.2,days=30,step=1m,"
                         "replicas=2,seed=11",
                         NULL);
    const ag_samples *a = &pod(ds, "synth", "constant-0")->usage[AG_CPU];
    const ag_samples *b = &pod(ds, "synth", "constant-1")->usage[AG_CPU];
    const ag_samples *m = &pod(ds, "synth", "constant-0")->usage[AG_MEMORY];
    double sa = 0, sl = 0, sl2 = 0, sab = 0, sm = 0;
    size_t n = a->n;

    (void)state;
    for (size_t k = 0; k < n; k++) {
        double la = log(a->v[k].v), lb = log(b->v[k].v);
        sa += a->v[k].v;
        sl += la;
        sl2 += la * la;
        sab += la * lb;
        sm += m->v[k].v;
        assert_true(m->v[k].v == nearbyint(m->v[k].v)); /* whole bytes */
    }
    assert_double_near(sa / n, 1, 0.01);                                /* mean 1 */
    assert_double_near(sqrt(sl2 / n - (sl / n) * (sl / n)), 0.2, 0.01); /* sigma */
    assert_double_near(sab / n, 0, 0.01); /* replicas independent: no correlation */
    assert_double_near(sm / n / 1073741824.0, 1, 0.005);
    ag_dataset_free(ds);

    /* spread: scales 0.8, 1, 1.2 */
    ds = gen("constant:cpu=1,mem=1000,spread=0.2,days=1,step=1h,replicas=3", NULL);
    assert_double_near(pod(ds, "synth", "constant-0")->usage[AG_CPU].v[5].v, 0.8, 1e-15);
    assert_double_near(pod(ds, "synth", "constant-1")->usage[AG_CPU].v[5].v, 1.0, 0);
    assert_double_near(pod(ds, "synth", "constant-2")->usage[AG_CPU].v[5].v, 1.2, 1e-15);
    assert_double_near(pod(ds, "synth", "constant-2")->usage[AG_MEMORY].v[0].v, 1200, 0);
    ag_dataset_free(ds);
}

static int same_samples(const ag_samples *a, const ag_samples *b)
{
    return a->n == b->n && memcmp(a->v, b->v, a->n * sizeof *a->v) == 0;
}

static void test_determinism(void **state)
{
    const char *spec = "bursty:cpu=1,noise=0.3,days=3,step=5m,replicas=3,seed=42";
    ag_dataset *a = gen(spec, NULL), *b = gen(spec, NULL);
    ag_dataset *c = gen("bursty:cpu=1,noise=0.3,days=3,step=5m,replicas=3,seed=43", NULL);
    ag_dataset *d = gen("bursty:cpu=1,noise=0.3,days=3,step=5m,replicas=5,seed=42", NULL);
    const ag_samples *w = &ag_dataset_at(d, 4)->usage[AG_CPU];
    size_t i;

    (void)state;
    assert_int_equal(ag_dataset_count(a), 3);
    for (i = 0; i < 3; i++) {
        for (int r = 0; r < AG_NRES; r++) {
            assert_true(
                same_samples(&ag_dataset_at(a, i)->usage[r], &ag_dataset_at(b, i)->usage[r]));
            assert_false(
                same_samples(&ag_dataset_at(a, i)->usage[r], &ag_dataset_at(c, i)->usage[r]));
            /* more replicas leave the first ones as they were */
            assert_true(
                same_samples(&ag_dataset_at(a, i)->usage[r], &ag_dataset_at(d, i)->usage[r]));
        }
    }
    /* replicas draw different noise */
    assert_false(
        same_samples(&ag_dataset_at(a, 0)->usage[AG_CPU], &ag_dataset_at(a, 1)->usage[AG_CPU]));
    assert_int_equal(w->n, 864);
    ag_dataset_free(a);
    ag_dataset_free(b);
    ag_dataset_free(c);
    ag_dataset_free(d);

    /* the same workload at another start: same values, shifted times */
    ag_synth_spec s;
    ag_errinfo ei = {{0}};
    a = gen("random_walk:noise=0.1,days=1,replicas=1", &s);
    b = ag_dataset_new();
    assert_int_equal(ag_synth_generate(b, &s, 1000, &ei), AG_OK);
    const ag_samples *x = &ag_dataset_at(a, 0)->usage[AG_MEMORY],
                     *y = &ag_dataset_at(b, 0)->usage[AG_MEMORY];
    assert_int_equal(x->n, y->n);
    for (i = 0; i < x->n; i++) {
        assert_int_equal(y->v[i].t_ms, 1000 + (int64_t)i * 60000);
        assert_true(x->v[i].v == y->v[i].v);
    }
    ag_dataset_free(a);
    ag_dataset_free(b);
}

static void test_requests_owners_group(void **state)
{
    ag_dataset *ds = gen("constant:cpu-request=1,mem-request=1Gi,mem-limit=2Gi,days=2,step=5m,"
                         "replicas=4,name=api,ns=shop,start=2024-03-01T00:00:00Z",
                         NULL);
    ag_container *c = pod(ds, "shop", "api-3");
    ag_wcontainer *wc;
    size_t n;
    int64_t t0;

    (void)state;
    assert_int_equal(ag_time_parse("2024-03-01T00:00:00Z", &t0), AG_OK);
    assert_double_near(c->request[AG_CPU], 1, 0);
    assert_double_near(c->request[AG_MEMORY], 1073741824.0, 0);
    assert_double_near(c->limit[AG_MEMORY], 2147483648.0, 0);
    assert_true(isnan(c->limit[AG_CPU]));
    assert_int_equal(c->spec_t_ms[AG_MEMORY], t0);
    assert_int_equal(c->usage[AG_CPU].v[0].t_ms, t0);

    assert_int_equal(ag_dataset_finish(ds, INT64_MIN, INT64_MAX, NULL), AG_OK);
    assert_int_equal(ag_dataset_group(ds, NULL, &wc, &n), AG_OK);
    assert_int_equal(n, 1);
    assert_string_equal(wc[0].ns, "shop");
    assert_string_equal(wc[0].kind, "Deployment");
    assert_string_equal(wc[0].name, "api");
    assert_string_equal(wc[0].container, "app");
    assert_int_equal(wc[0].n, 4);
    assert_double_near(wc[0].request[AG_CPU], 1, 0);
    assert_int_equal(wc[0].members[0]->usage[AG_CPU].n, 576);
    ag_wcontainers_free(wc, n);
    ag_dataset_free(ds);
}

static void test_two_workloads_and_duplicates(void **state)
{
    ag_synth_spec a, b;
    ag_errinfo ei = {{0}};
    ag_dataset *ds = ag_dataset_new();

    (void)state;
    assert_int_equal(ag_synth_parse("step:days=1,replicas=2", &a, &ei), AG_OK);
    assert_int_equal(ag_synth_parse("trend:days=1,replicas=2", &b, &ei), AG_OK);
    assert_int_equal(ag_synth_generate(ds, &a, a.start_ms, &ei), AG_OK);
    assert_int_equal(ag_synth_generate(ds, &b, b.start_ms, &ei), AG_OK);
    assert_int_equal(ag_dataset_count(ds), 4);
    /* the same workload again would collide with itself */
    assert_int_equal(ag_synth_generate(ds, &a, a.start_ms, &ei), AG_EINVAL);
    assert_non_null(strstr(ei.msg, "synth/step-0/app is already in the dataset"));
    ag_dataset_free(ds);
}

static void test_format_roundtrip(void **state)
{
    const char *specs[] = {
        "constant",
        "step:cpu=1.5,mem=1G,at=3h,factor=0.25,days=0.5,step=90s,replicas=2,seed=0",
        "sinusoidal:peak=13h30m,period=7d,amplitude=0.125,noise=0.3,cpu-request=250m,"
        "cpu-limit=1,mem-request=700Mi",
        "low_high:low-for=1h,high-for=45m,apply=cpu,ns=a.b_c,name=X-1,container=side",
        "bursty:every=3h,burst=1m,start=2030-06-01T12:00:00.5Z,spread=0.3",
        "trend:slope=-0.001,reset=12h,mem-noise=0.01",
        "random_walk:volatility=0.2,min=0.25,max=8,seed=18446744073709551615",
    };
    char buf[AG_SYNTH_SPEC_MAX], buf2[AG_SYNTH_SPEC_MAX], small[16];
    ag_synth_spec s, t;
    ag_errinfo ei = {{0}};

    (void)state;
    for (size_t i = 0; i < sizeof specs / sizeof specs[0]; i++) {
        size_t n;
        assert_int_equal(ag_synth_parse(specs[i], &s, &ei), AG_OK);
        n = ag_synth_format(&s, buf, sizeof buf);
        assert_int_equal(n, strlen(buf));
        if (ag_synth_parse(buf, &t, &ei) != AG_OK)
            fail_msg("'%s' does not parse back: %s", buf, ei.msg);
        assert_int_equal(ag_synth_format(&t, buf2, sizeof buf2), n);
        assert_string_equal(buf, buf2);
        assert_int_equal(t.shape, s.shape);
        assert_int_equal(t.length_ms, s.length_ms);
        assert_true(t.seed == s.seed);
        assert_true(t.base[AG_MEMORY] == s.base[AG_MEMORY]);
        /* truncation as snprintf */
        assert_int_equal(ag_synth_format(&s, small, sizeof small), n);
        assert_int_equal(strlen(small), sizeof small - 1);
    }
    assert_int_equal(ag_synth_parse("step:cpu=250m,mem=1Gi,days=2", &s, &ei), AG_OK);
    ag_synth_format(&s, buf, sizeof buf);
    assert_string_equal(buf, "step:cpu=0.25,mem=1073741824,cpu-noise=0,mem-noise=0,apply=both,"
                             "days=2,step=1m,replicas=3,spread=0,seed=1,"
                             "start=2024-01-01T00:00:00Z,ns=synth,name=step,container=app,"
                             "factor=2");
}

/* Every bad spec is AG_EINVAL and names what is wrong. */
static void test_bad_specs(void **state)
{
    static const struct {
        const char *spec, *needle;
    } bad[] = {
        {"", "unknown shape ''"},
        {"synth:", "unknown shape ''"},
        {"sine", "unknown shape 'sine'"},
        {"step:cpu", "'cpu' has no '=value'"},
        {"step:cpu=", "empty value for 'cpu'"},
        {"step:=1", "no key before '='"},
        {"step::", "':' has no '=value'"},
        {"step:cpu=abc", "bad value 'abc' for 'cpu'"},
        {"step:cpu=-1", "value '-1' for 'cpu' is out of range"},
        {"step:mem=1Xi", "bad value '1Xi' for 'mem'"},
        {"step:cpu=1,cpu=2", "key 'cpu' given twice"},
        {"step:noise=0.1,noise=0.2", "key 'noise' given twice"},
        {"step:amplitude=0.5",
         "key 'amplitude' does not apply to shape 'step' (it takes factor, at)"},
        {"constant:factor=2", "key 'factor' does not apply to shape 'constant'"},
        {"step:foo=1", "unknown key 'foo' (step takes factor, at"},
        {"step:averyveryveryverylongkeyname=1", "unknown key 'averyveryveryverylongkeyname'"},
        {"step:cpu=1,", "stray ','"},
        {"step:,cpu=1", "stray ','"},
        {"step:cpu=1 ", "bad value '1 ' for 'cpu'"},
        {"step:at=-1h", "bad value '-1h' for 'at'"},
        {"step:factor=inf", "bad value 'inf' for 'factor'"},
        {"step:factor=nan", "bad value 'nan' for 'factor'"},
        {"step:factor=0x10", "bad value '0x10' for 'factor'"},
        {"step:factor=1001", "value '1001' for 'factor' is out of range"},
        {"sinusoidal:amplitude=2", "value '2' for 'amplitude' is out of range"},
        {"sinusoidal:period=0", "value '0' for 'period' is out of range"},
        {"sinusoidal:period=day", "bad value 'day' for 'period'"},
        {"sinusoidal:peak=1y", "'peak'"}, /* 365 days: within range */
        {"step:days=0", "value '0' for 'days' is out of range"},
        {"step:days=x", "bad value 'x' for 'days'"},
        {"step:days=3661", "value '3661' for 'days' is out of range"},
        {"step:step=0", "value '0' for 'step' is out of range"},
        {"step:step=500ms", "value '500ms' for 'step' is out of range"},
        {"step:step=2d,days=1", "'step' (2d) is longer than the workload ('days' = 1)"},
        {"step:replicas=0", "value '0' for 'replicas' is out of range"},
        {"step:replicas=1.5", "bad value '1.5' for 'replicas'"},
        {"step:replicas=1001", "value '1001' for 'replicas' is out of range"},
        {"step:replicas=99999999999", "value '99999999999' for 'replicas' is out of range"},
        {"step:seed=-1", "bad value '-1' for 'seed'"},
        {"step:seed=abc", "bad value 'abc' for 'seed'"},
        {"step:seed=18446744073709551616", "bad value '18446744073709551616' for 'seed'"},
        {"step:ns=a b", "bad value 'a b' for 'ns'"},
        {"step:name=web/1", "bad value 'web/1' for 'name'"},
        {"step:container=0123456789012345678901234567890123456789012345678901234567890123",
         "for 'container'"},
        {"step:cpu-request=2,cpu-limit=1", "'cpu-request' (2) is above 'cpu-limit' (1)"},
        {"step:mem-request=2Gi,mem-limit=1Gi", "'mem-request'"},
        {"step:noise=3", "value '3' for 'noise' is out of range"},
        {"step:cpu-noise=-0.1", "value '-0.1' for 'cpu-noise' is out of range"},
        {"step:spread=1", "value '1' for 'spread' is out of range"},
        {"step:apply=gpu", "bad value 'gpu' for 'apply'"},
        {"step:start=yesterday", "bad value 'yesterday' for 'start'"},
        {"step:start=1969-12-31T23:59:59Z", "value '1969-12-31T23:59:59Z' for 'start' is out"},
        {"step:start=9999-12-31T00:00:00Z", "'start' (9999-12-31T00:00:00Z) plus 'days'"},
        {"random_walk:min=2,max=1", "'min' (2) must be below 'max' (1)"},
        {"random_walk:volatility=11", "'volatility'"},
        {"bursty:every=0", "value '0' for 'every' is out of range"},
        {"bursty:burst=x", "bad value 'x' for 'burst'"},
        {"low_high:low-for=0", "value '0' for 'low-for' is out of range"},
        {"low_high:high-for=", "empty value for 'high-for'"},
        {"trend:slope=nan", "bad value 'nan' for 'slope'"},
        {"trend:slope=2000", "value '2000' for 'slope' is out of range"},
        {"trend:reset=soon", "bad value 'soon' for 'reset'"},
    };
    ag_synth_spec s;

    (void)state;
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        ag_errinfo ei = {{0}};
        ag_err rc = ag_synth_parse(bad[i].spec, &s, &ei);
        if (strcmp(bad[i].spec, "sinusoidal:peak=1y") == 0) {
            assert_int_equal(rc, AG_OK); /* a check that the range is not too tight */
            continue;
        }
        if (rc != AG_EINVAL)
            fail_msg("'%s' gave %d, expected AG_EINVAL", bad[i].spec, rc);
        if (!strstr(ei.msg, bad[i].needle))
            fail_msg("'%s': message '%s' lacks '%s'", bad[i].spec, ei.msg, bad[i].needle);
    }
    {
        ag_errinfo ei = {{0}};
        assert_int_equal(ag_synth_parse(NULL, &s, &ei), AG_EINVAL);
        assert_int_equal(ag_synth_parse("step", NULL, &ei), AG_EINVAL);
        assert_int_equal(ag_synth_parse("step", &s, NULL), AG_OK);
        assert_int_equal(ag_synth_parse("step:cpu=x", &s, NULL), AG_EINVAL);
    }
}

static void test_caps(void **state)
{
    ag_synth_spec s;
    ag_errinfo ei = {{0}};
    ag_dataset *ds = ag_dataset_new();

    (void)state;
    /* 14 days at 15 s x 100 replicas: 8 064 000 points */
    assert_int_equal(ag_synth_parse("step:step=15s,replicas=100", &s, &ei), AG_ETOOBIG);
    assert_non_null(strstr(ei.msg, "100 replicas x 80640 points ('days' / 'step') is above the "
                                   "cap of 5000000 points"));
    /* 14 days at 1 m x 100: 2 016 000 points, fine to parse */
    assert_int_equal(ag_synth_parse("step:step=1m,replicas=100", &s, &ei), AG_OK);
    /* a caller's smaller cap */
    assert_int_equal(ag_synth_parse("step:days=1,step=1m,replicas=2", &s, &ei), AG_OK);
    s.max_points = 2 * 1440 - 1;
    assert_int_equal(ag_synth_generate(ds, &s, s.start_ms, &ei), AG_ETOOBIG);
    assert_int_equal(ag_dataset_count(ds), 0);
    s.max_points = 2 * 1440;
    assert_int_equal(ag_synth_generate(ds, &s, s.start_ms, &ei), AG_OK);
    assert_int_equal(ag_dataset_count(ds), 2);
    ag_dataset_free(ds);
}

/* A hand-filled spec is checked as a parsed one. */
static void test_generate_checks(void **state)
{
    ag_synth_spec s;
    ag_errinfo ei = {{0}};
    ag_dataset *ds = ag_dataset_new();

    (void)state;
    ag_synth_defaults(&s, AG_SYNTH_SINUSOIDAL);
    s.length_ms = 86400000;
    assert_int_equal(ag_synth_check(&s, &ei), AG_OK);
    s.amplitude = 5;
    assert_int_equal(ag_synth_generate(ds, &s, s.start_ms, &ei), AG_EINVAL);
    assert_non_null(strstr(ei.msg, "value '5' for 'amplitude' is out of range"));
    s.amplitude = 0.5;
    s.factor = -1; /* not a sinusoid's key: ignored */
    assert_int_equal(ag_synth_check(&s, &ei), AG_OK);
    s.period_ms = 0;
    assert_int_equal(ag_synth_check(&s, &ei), AG_EINVAL);
    assert_non_null(strstr(ei.msg, "value '0s' for 'period'"));
    s.period_ms = 3600000;
    snprintf(s.ns, sizeof s.ns, "has space");
    assert_int_equal(ag_synth_check(&s, &ei), AG_EINVAL);
    assert_non_null(strstr(ei.msg, "'ns'"));
    snprintf(s.ns, sizeof s.ns, "ok");
    memset(s.name, 'x', sizeof s.name); /* no NUL */
    assert_int_equal(ag_synth_check(&s, &ei), AG_EINVAL);
    assert_non_null(strstr(ei.msg, "'name'"));
    snprintf(s.name, sizeof s.name, "ok");
    s.replicas = 0;
    assert_int_equal(ag_synth_check(&s, &ei), AG_EINVAL);
    assert_non_null(strstr(ei.msg, "'replicas'"));
    s.replicas = 1;
    s.shape = (ag_synth_shape)42;
    assert_int_equal(ag_synth_check(&s, &ei), AG_EINVAL);
    s.shape = AG_SYNTH_SINUSOIDAL;
    s.apply = (ag_synth_apply)9;
    assert_int_equal(ag_synth_check(&s, &ei), AG_EINVAL);
    assert_non_null(strstr(ei.msg, "'apply'"));
    s.apply = AG_SYNTH_APPLY_CPU;
    assert_int_equal(ag_synth_generate(ds, &s, -1, &ei), AG_EINVAL);
    assert_non_null(strstr(ei.msg, "before 1970"));
    assert_int_equal(ag_synth_generate(ds, &s, INT64_MAX - 10, &ei), AG_EINVAL);
    assert_int_equal(ag_synth_generate(NULL, &s, 0, &ei), AG_EINVAL);
    assert_int_equal(ag_synth_generate(ds, NULL, 0, &ei), AG_EINVAL);
    assert_int_equal(ag_synth_check(NULL, &ei), AG_EINVAL);
    assert_int_equal(ag_dataset_count(ds), 0);
    assert_int_equal(ag_synth_generate(ds, &s, 0, &ei), AG_OK);
    assert_int_equal(ag_dataset_at(ds, 0)->usage[AG_CPU].v[0].t_ms, 0);
    assert_int_equal(ag_synth_points(NULL), 0);
    ag_dataset_free(ds);
}

static void test_out_of_memory(void **state)
{
    ag_synth_spec s;
    ag_errinfo ei = {{0}};
    long k;
    int ok = 0;

    (void)state;
    assert_int_equal(
        ag_synth_parse("bursty:cpu-request=1,noise=0.1,days=1,step=5m,replicas=3", &s, &ei), AG_OK);
    for (k = 1; k < 500 && !ok; k++) {
        ag_dataset *ds = ag_dataset_new();
        ag_err rc;
        assert_non_null(ds);
        memset(&ei, 0, sizeof ei);
        ag__alloc_fail_after(k);
        rc = ag_synth_generate(ds, &s, s.start_ms, &ei);
        ag__alloc_fail_after(0);
        if (rc == AG_OK) {
            ok = 1;
            assert_int_equal(ag_dataset_count(ds), 3);
        } else {
            assert_int_equal(rc, AG_ENOMEM);
            assert_non_null(strstr(ei.msg, "out of memory"));
        }
        ag_dataset_free(ds);
    }
    assert_true(ok);
    assert_true(k > 3); /* some allocations did fail first */
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_names_and_defaults),
        cmocka_unit_test(test_parse_all_keys),
        cmocka_unit_test(test_constant_layout),
        cmocka_unit_test(test_step),
        cmocka_unit_test(test_sinusoid),
        cmocka_unit_test(test_low_high),
        cmocka_unit_test(test_bursty),
        cmocka_unit_test(test_trend),
        cmocka_unit_test(test_random_walk),
        cmocka_unit_test(test_noise_and_spread),
        cmocka_unit_test(test_determinism),
        cmocka_unit_test(test_requests_owners_group),
        cmocka_unit_test(test_two_workloads_and_duplicates),
        cmocka_unit_test(test_format_roundtrip),
        cmocka_unit_test(test_bad_specs),
        cmocka_unit_test(test_caps),
        cmocka_unit_test(test_generate_checks),
        cmocka_unit_test(test_out_of_memory),
    };
    return cmocka_run_group_tests_name(AG_TEST_NAME, tests, NULL, NULL);
}
