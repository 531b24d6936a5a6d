/*
 * tests/recommend/test_autopilot.c - the Autopilot online recommenders on
 * hand-made series with known answers: constant usage gives the bucket
 * (or the value) x (1 + margin); a spike holds S_max for N windows; S_avg
 * equals its closed form; the ML ensemble never moves on a constant
 * series and covers a high phase when overruns cost more; OOM floor;
 * recommend() twice gives the same answer; out-of-memory in init.
 */
#include <math.h>
#include "ag_test.h"
#include "augur/online.h"
#include "recommend/histogram.h"
#include "util/alloc.h"

#define MIN_MS 60000LL
#define WIN_MS (5 * MIN_MS)
#define HOUR_MS 3600000LL
#define DAY_MS 86400000LL
#define T0 (19675 * DAY_MS) /* 2023-11-14 00:00 UTC */

static ag_online *new_ap(ag_autopilot_variant v, ag_online_params *pp, int replicas)
{
    ag_online_params p;
    ag_online_spec spec;
    ag_online *r = NULL;

    if (!pp) {
        ag_online_params_default(&p, AG_ONLINE_AUTOPILOT);
        p.autopilot.variant = v;
        pp = &p;
    }
    memset(&spec, 0, sizeof spec);
    spec.request[AG_CPU] = spec.request[AG_MEMORY] = NAN;
    spec.limit[AG_CPU] = spec.limit[AG_MEMORY] = NAN;
    spec.replicas = replicas;
    spec.step_ms = WIN_MS;
    assert_int_equal(ag_online_new(pp, &spec, &r), AG_OK);
    return r;
}

/* The VPA bucket end for v: what a histogram recommender answers. */
static double bucket_end(const ag__hist_opts *o, double v)
{
    return o->start[ag__hist_find(o, v) + 1];
}

static void feed(ag_online *r, int64_t t, double cpu, double mem)
{
    ag_online_observe(r, 0, AG_CPU, t, cpu);
    ag_online_observe(r, 0, AG_MEMORY, t, mem);
}

static void test_constant(void **state)
{
    const ag__hist_opts *co = ag__vpa_cpu_opts(), *mo = ag__vpa_mem_opts();
    const ag_autopilot_variant vs[3] = {AG_AP_AVG, AG_AP_MAX, AG_AP_PCT};
    (void)state;

    for (int k = 0; k < 3; k++) {
        ag_online *r = new_ap(vs[k], NULL, 1);
        const double nan2[AG_NRES] = {NAN, NAN};
        ag_rec out;
        double cpu, mem;

        assert_int_equal(ag_online_recommend(r, T0, nan2, &out), AG_OK);
        assert_int_equal(out.status[AG_CPU], AG_REC_NO_DATA);
        assert_int_equal(out.status[AG_MEMORY], AG_REC_NO_DATA);
        for (int i = 1; i <= 2 * 288; i++)
            feed(r, T0 + i * WIN_MS, 0.5, 1e9);
        assert_int_equal(ag_online_recommend(r, T0 + 2 * DAY_MS, nan2, &out), AG_OK);
        assert_int_equal(out.status[AG_CPU], AG_REC_OK);
        assert_int_equal(out.status[AG_MEMORY], AG_REC_OK);
        assert_int_equal(out.samples[AG_CPU], 576);
        cpu = vs[k] == AG_AP_AVG ? 0.5 : bucket_end(co, 0.5);
        mem = vs[k] == AG_AP_PCT ? bucket_end(mo, 1e9) : 1e9;
        assert_double_near(out.res[AG_CPU].target, cpu * 1.1, 1e-12);
        assert_double_near(out.res[AG_MEMORY].target, mem * 1.1, 1e-3);
        assert_double_near(out.res[AG_CPU].lower, cpu, 1e-12);
        assert_double_near(out.res[AG_CPU].upper, cpu * 1.1 * 1.1, 1e-12);
        assert_true(out.res[AG_CPU].uncapped == out.res[AG_CPU].target);
        assert_true(isnan(out.res[AG_CPU].limit)); /* the spec has no ratio */
        ag_online_free(r);
    }
}

/* S_max: a spike holds for exactly N windows (the spike's and N - 1
 * more), then the recommendation falls back. */
static void test_max_spike(void **state)
{
    const ag__hist_opts *co = ag__vpa_cpu_opts();
    const double nan2[AG_NRES] = {NAN, NAN};
    ag_online *r = new_ap(AG_AP_MAX, NULL, 1);
    ag_rec out;
    int spike = 100;
    (void)state;

    for (int i = 1; i <= 200; i++) {
        int64_t t = T0 + i * WIN_MS;
        feed(r, t, i == spike ? 2.0 : 0.5, i == spike ? 3e9 : 1e9);
        assert_int_equal(ag_online_recommend(r, t, nan2, &out), AG_OK);
        if (i >= spike && i < spike + 12) {
            assert_double_near(out.res[AG_CPU].target, bucket_end(co, 2.0) * 1.1, 1e-12);
            assert_double_near(out.res[AG_MEMORY].target, 3e9 * 1.1, 1e-3);
        } else {
            assert_double_near(out.res[AG_CPU].target, bucket_end(co, 0.5) * 1.1, 1e-12);
            assert_double_near(out.res[AG_MEMORY].target, 1e9 * 1.1, 1e-3);
        }
    }
    ag_online_free(r);
}

/* S_avg = sum_k w_k avg_k / sum_k w_k, w_k = 2^(-(now - t_k) / half-life),
 * with a gap (windows with no data do not count). */
static void test_avg_closed_form(void **state)
{
    const double nan2[AG_NRES] = {NAN, NAN};
    ag_online *r = new_ap(AG_AP_AVG, NULL, 2);
    int64_t now = T0 + 400 * WIN_MS;
    double num[AG_NRES] = {0, 0}, den[AG_NRES] = {0, 0};
    ag_rec out;
    (void)state;

    for (int i = 1; i <= 400; i++) {
        int64_t t = T0 + i * WIN_MS;
        double c0 = i < 200 ? 1.0 : 0.25, c1 = 0.75, m0 = 2e9 + i * 1e6, m1 = 1e9;
        if (i > 250 && i < 300)
            continue; /* both replicas down */
        ag_online_observe(r, 0, AG_CPU, t, c0);
        ag_online_observe(r, 1, AG_CPU, t, c1);
        /* memory: the replica's peak in the window counts, not its samples */
        ag_online_observe(r, 0, AG_MEMORY, t - MIN_MS, m0 - 5e8);
        ag_online_observe(r, 0, AG_MEMORY, t, m0);
        ag_online_observe(r, 1, AG_MEMORY, t, m1);
        num[AG_CPU] += exp2(-(double)(now - t) / (12.0 * HOUR_MS)) * (c0 + c1) / 2;
        den[AG_CPU] += exp2(-(double)(now - t) / (12.0 * HOUR_MS));
        num[AG_MEMORY] += exp2(-(double)(now - t) / (48.0 * HOUR_MS)) * (m0 + m1) / 2;
        den[AG_MEMORY] += exp2(-(double)(now - t) / (48.0 * HOUR_MS));
    }
    assert_int_equal(ag_online_recommend(r, now, nan2, &out), AG_OK);
    assert_double_near(out.res[AG_CPU].target, num[AG_CPU] / den[AG_CPU] * 1.1, 1e-12);
    assert_double_near(out.res[AG_MEMORY].target / (num[AG_MEMORY] / den[AG_MEMORY] * 1.1), 1,
                       1e-12);
    ag_online_free(r);
}

/* S_pj of a two-level series: p95 lands on the level holding the last
 * 5% of the decayed weight. */
static void test_pct_levels(void **state)
{
    const ag__hist_opts *co = ag__vpa_cpu_opts();
    const double nan2[AG_NRES] = {NAN, NAN};
    ag_online *r = new_ap(AG_AP_PCT, NULL, 1);
    ag_rec out;
    (void)state;

    /* 1 in 10 windows at 1.0, the rest at 0.2: p95 -> 1.0's bucket */
    for (int i = 1; i <= 600; i++)
        feed(r, T0 + i * WIN_MS, i % 10 == 0 ? 1.0 : 0.2, 1e9);
    assert_int_equal(ag_online_recommend(r, T0 + 600 * WIN_MS, nan2, &out), AG_OK);
    assert_double_near(out.res[AG_CPU].target, bucket_end(co, 1.0) * 1.1, 1e-12);
    ag_online_free(r);
    /* 1 in 50: p95 stays on 0.2 */
    r = new_ap(AG_AP_PCT, NULL, 1);
    for (int i = 1; i <= 600; i++)
        feed(r, T0 + i * WIN_MS, i % 50 == 0 ? 1.0 : 0.2, 1e9);
    assert_int_equal(ag_online_recommend(r, T0 + 600 * WIN_MS, nan2, &out), AG_OK);
    assert_double_near(out.res[AG_CPU].target, bucket_end(co, 0.2) * 1.1, 1e-12);
    ag_online_free(r);
}

static void test_ml_constant(void **state)
{
    const ag__hist_opts *co = ag__vpa_cpu_opts(), *mo = ag__vpa_mem_opts();
    const double nan2[AG_NRES] = {NAN, NAN};
    ag_online *r = new_ap(AG_AP_ML, NULL, 1);
    ag_rec out;
    (void)state;

    for (int i = 1; i <= 2 * 288; i++) {
        int64_t t = T0 + i * WIN_MS;
        feed(r, t, 0.5, 1e9);
        assert_int_equal(ag_online_recommend(r, t, nan2, &out), AG_OK);
        assert_int_equal(out.status[AG_CPU], AG_REC_OK);
        /* the margin-0 model covers the bucket exactly: never a change */
        assert_true(out.res[AG_CPU].target == bucket_end(co, 0.5));
        assert_true(out.res[AG_MEMORY].target == bucket_end(mo, 1e9));
    }
    ag_online_free(r);
}

/* Phases of an hour at 1 core and an hour at 2 cores. */
static double ml_phases(double w_o, double w_u, double *min_target)
{
    ag_online_params p;
    const double nan2[AG_NRES] = {NAN, NAN};
    ag_online *r;
    ag_rec out;

    ag_online_params_default(&p, AG_ONLINE_AUTOPILOT);
    p.autopilot.w_o = w_o;
    p.autopilot.w_u = w_u;
    r = new_ap(AG_AP_ML, &p, 1);
    *min_target = INFINITY;
    for (int i = 1; i <= 3 * 288; i++) {
        int64_t t = T0 + i * WIN_MS;
        feed(r, t, (i / 12) % 2 ? 2.0 : 1.0, 1e9);
        assert_int_equal(ag_online_recommend(r, t, nan2, &out), AG_OK);
        if (i > 288 && out.res[AG_CPU].target < *min_target)
            *min_target = out.res[AG_CPU].target;
    }
    ag_online_free(r);
    return out.res[AG_CPU].target;
}

static void test_ml_phases(void **state)
{
    double lo, last;
    (void)state;

    /* overruns cost more: the limit covers the high phase, even in the low one */
    last = ml_phases(0.5, 0.25, &lo);
    assert_true(lo >= 2.0);
    assert_true(last >= 2.0 && last < 2.0 * 1.1 * 1.06);
    /* underruns cost more: the limit stays with the low phase */
    last = ml_phases(0.05, 1.0, &lo);
    assert_true(last < 2.0);
    assert_true(lo >= 1.0 && lo < 1.1);
}

static void test_oom(void **state)
{
    const double nan2[AG_NRES] = {NAN, NAN};
    ag_online *r = new_ap(AG_AP_MAX, NULL, 1);
    ag_rec out;
    int64_t t;
    (void)state;

    for (int i = 1; i <= 288; i++)
        feed(r, T0 + i * WIN_MS, 0.5, 1e9);
    t = T0 + 288 * WIN_MS;
    ag_online_oom(r, 0, t, 1.2e9);
    assert_int_equal(ag_online_recommend(r, t, nan2, &out), AG_OK);
    assert_double_near(out.res[AG_MEMORY].target, 1.2e9 * 1.1, 1e-3);
    assert_int_equal(out.ooms, 1);
    /* held for the memory half-life (48 h), then gone */
    assert_int_equal(ag_online_recommend(r, t + 47 * HOUR_MS, nan2, &out), AG_OK);
    assert_double_near(out.res[AG_MEMORY].target, 1.2e9 * 1.1, 1e-3);
    assert_int_equal(ag_online_recommend(r, t + 48 * HOUR_MS, nan2, &out), AG_OK);
    assert_double_near(out.res[AG_MEMORY].target, 1e9 * 1.1, 1e-3);
    assert_int_equal(out.ooms, 0);
    /* no request known: the recent peak stands in */
    t += 49 * HOUR_MS;
    feed(r, t - MIN_MS, 0.5, 1.5e9);
    ag_online_oom(r, 0, t, NAN);
    assert_int_equal(ag_online_recommend(r, t, nan2, &out), AG_OK);
    assert_double_near(out.res[AG_MEMORY].target, 1.5e9 * 1.1, 1e-3);
    assert_int_equal(out.ooms, 1);
    ag_online_free(r);
}

/* recommend() only reads (or folds in what is due): twice, same answer. */
static void test_recommend_twice(void **state)
{
    const double nan2[AG_NRES] = {NAN, NAN};
    (void)state;

    for (int v = AG_AP_ML; v <= AG_AP_PCT; v++) {
        ag_online *r = new_ap((ag_autopilot_variant)v, NULL, 3);
        for (int i = 1; i <= 500; i++) {
            int64_t t = T0 + i * MIN_MS;
            for (int k = 0; k < 3; k++) {
                ag_online_observe(r, k, AG_CPU, t, 0.3 + 0.2 * k + 0.1 * sin(i * 0.07));
                ag_online_observe(r, k, AG_MEMORY, t, 1e9 + 1e8 * k + 5e7 * cos(i * 0.05));
            }
            if (i % 7 == 0) {
                ag_rec a, b;
                assert_int_equal(ag_online_recommend(r, t, nan2, &a), AG_OK);
                assert_int_equal(ag_online_recommend(r, t, nan2, &b), AG_OK);
                assert_memory_equal(&a, &b, sizeof a);
            }
        }
        ag_online_free(r);
    }
}

static void test_limits_and_replicas(void **state)
{
    ag_online_params p;
    ag_online_spec spec;
    ag_online *r;
    ag_rec out;
    const double nan2[AG_NRES] = {NAN, NAN};
    (void)state;

    ag_online_params_default(&p, AG_ONLINE_AUTOPILOT);
    p.autopilot.variant = AG_AP_MAX;
    memset(&spec, 0, sizeof spec);
    spec.request[AG_CPU] = 1, spec.limit[AG_CPU] = 2;
    spec.request[AG_MEMORY] = 1e9, spec.limit[AG_MEMORY] = NAN;
    spec.replicas = 1; /* more replicas show up than announced */
    spec.step_ms = MIN_MS;
    assert_int_equal(ag_online_new(&p, &spec, &r), AG_OK);
    for (int i = 1; i <= 60; i++)
        for (int k = 0; k < 5; k++) {
            ag_online_observe(r, k, AG_CPU, T0 + i * MIN_MS, 0.1 * (k + 1));
            ag_online_observe(r, k, AG_MEMORY, T0 + i * MIN_MS, 1e8 * (k + 1));
        }
    assert_int_equal(ag_online_recommend(r, T0 + 60 * MIN_MS, nan2, &out), AG_OK);
    assert_double_near(out.res[AG_MEMORY].target, 5e8 * 1.1, 1e-3);
    assert_double_near(out.res[AG_CPU].limit, 2 * out.res[AG_CPU].target, 1e-12);
    assert_true(isnan(out.res[AG_MEMORY].limit));
    ag_online_free(r);
}

static void test_bad_params_and_oom_init(void **state)
{
    ag_online_params p;
    ag_online_spec spec;
    ag_online *r = NULL;
    long n;
    (void)state;

    memset(&spec, 0, sizeof spec);
    spec.request[AG_CPU] = spec.request[AG_MEMORY] = NAN;
    spec.limit[AG_CPU] = spec.limit[AG_MEMORY] = NAN;
    spec.replicas = 2;
    spec.step_ms = MIN_MS;
    ag_online_params_default(&p, AG_ONLINE_AUTOPILOT);
    p.autopilot.window_ms = 0;
    assert_int_equal(ag_online_new(&p, &spec, &r), AG_EINVAL);
    assert_null(r);
    ag_online_params_default(&p, AG_ONLINE_AUTOPILOT);
    p.autopilot.cpu_percentile = 1.5;
    assert_int_equal(ag_online_new(&p, &spec, &r), AG_EINVAL);
    ag_online_params_default(&p, AG_ONLINE_AUTOPILOT);
    p.autopilot.d = 0;
    assert_int_equal(ag_online_new(&p, &spec, &r), AG_EINVAL);
    for (int v = AG_AP_ML; v <= AG_AP_PCT; v++) {
        ag_online_params_default(&p, AG_ONLINE_AUTOPILOT);
        p.autopilot.variant = (ag_autopilot_variant)v;
        for (n = 1;; n++) {
            ag_err rc;
            ag__alloc_fail_after(n);
            rc = ag_online_new(&p, &spec, &r);
            ag__alloc_fail_after(0);
            if (rc == AG_OK)
                break;
            assert_int_equal(rc, AG_ENOMEM);
            assert_null(r);
        }
        assert_true(n > 3);
        ag_online_free(r);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_constant),
        cmocka_unit_test(test_max_spike),
        cmocka_unit_test(test_avg_closed_form),
        cmocka_unit_test(test_pct_levels),
        cmocka_unit_test(test_ml_constant),
        cmocka_unit_test(test_ml_phases),
        cmocka_unit_test(test_oom),
        cmocka_unit_test(test_recommend_twice),
        cmocka_unit_test(test_limits_and_replicas),
        cmocka_unit_test(test_bad_params_and_oom_init),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
