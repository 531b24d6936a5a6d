/*
 * tests/recommend/test_crane.c - the Crane online recommender on
 * hand-made series: the value-weighted p99 of Crane's linear histogram
 * (checked against a brute-force count), the 168 h window, the optional
 * decay, OOM protection, DSP on a pure daily sinusoid (the next hour's
 * peak within a few percent) and its fallback to PERCENTILE, recommend()
 * twice gives the same answer, out-of-memory in init.
 */
#include <math.h>
#include "ag_test.h"
#include "augur/online.h"
#include "util/alloc.h"

#define MIN_MS 60000LL
#define STEP_MS (5 * MIN_MS)
#define HOUR_MS 3600000LL
#define DAY_MS 86400000LL
#define T0 (19675 * DAY_MS) /* 2023-11-14 00:00 UTC */
#define MIB 1048576.0

static const double nan2[AG_NRES] = {NAN, NAN};

static ag_online *new_crane(const ag_online_params *pp, int64_t step_ms)
{
    ag_online_spec spec;
    ag_online *r = NULL;

    memset(&spec, 0, sizeof spec);
    spec.request[AG_CPU] = spec.request[AG_MEMORY] = NAN;
    spec.limit[AG_CPU] = spec.limit[AG_MEMORY] = NAN;
    spec.replicas = 1;
    spec.step_ms = step_ms;
    assert_int_equal(ag_online_new(pp, &spec, &r), AG_OK);
    return r;
}

static void params(ag_online_params *p, ag_crane_variant v)
{
    ag_online_params_default(p, AG_ONLINE_CRANE);
    p->crane.variant = v;
    p->crane.half_life_ms = 0; /* Crane's own histogram does not decay */
}

/* What Crane answers for these samples, counted by brute force: weight
 * max(1e-5, v) (x 2^(t / half-life)), linear buckets, the end of the
 * first bucket reaching p of the total weight, x 1.15, whole millicores
 * (size 0.1) or bytes. */
static double brute(const double *v, const int64_t *t, size_t n, double size, double p,
                    int64_t half_life)
{
    static double w[1001];
    double total = 0, cum = 0, est;
    int b = 0, top = 0;

    memset(w, 0, sizeof w);
    for (size_t i = 0; i < n; i++) {
        double x = v[i] / size, wt = v[i] > 1e-5 ? v[i] : 1e-5;
        int k = x >= 1000 ? 1000 : (int)x;
        if (half_life > 0)
            wt *= exp2((double)(t[i] - t[0]) / (double)half_life);
        w[k] += wt;
        total += wt;
        if (k > top)
            top = k;
    }
    for (b = 0; b < top; b++) {
        cum += w[b];
        if (cum >= p * total)
            break;
    }
    est = (b < 1000 ? (b + 1) * size : b * size) * (1 + 0.15);
    return size < 1 ? trunc(est * 1000) / 1000 : trunc(est);
}

static void test_percentile_weighted(void **state)
{
    ag_online_params p;
    ag_online *r;
    ag_rec out;
    static double cpu[1000], mem[1000];
    static int64_t t[1000];
    (void)state;

    params(&p, AG_CRANE_PERCENTILE);
    r = new_crane(&p, MIN_MS);
    assert_int_equal(ag_online_recommend(r, T0, nan2, &out), AG_OK);
    assert_int_equal(out.status[AG_CPU], AG_REC_NO_DATA);
    /* 99% of the samples at 0.25 cores, 1% at 3: by count p99 would be
     * the 0.25 bucket; weighted by value it is the 3-core one */
    for (int i = 0; i < 1000; i++) {
        t[i] = T0 + (i + 1) * MIN_MS;
        cpu[i] = i % 100 == 7 ? 3.0 : 0.25;
        mem[i] = 2e8 + 1e6 * (i % 37) + (i % 100 == 7 ? 1.5e9 : 0);
        ag_online_observe(r, 0, AG_CPU, t[i], cpu[i]);
        ag_online_observe(r, 0, AG_MEMORY, t[i], mem[i]);
    }
    assert_int_equal(ag_online_recommend(r, t[999], nan2, &out), AG_OK);
    assert_int_equal(out.status[AG_CPU], AG_REC_OK);
    assert_int_equal(out.samples[AG_CPU], 1000);
    assert_true(out.res[AG_CPU].target == brute(cpu, t, 1000, 0.1, 0.99, 0));
    assert_true(out.res[AG_CPU].target > 3.0); /* the 3-core bucket x 1.15 */
    assert_true(out.res[AG_MEMORY].target == brute(mem, t, 1000, 100 * MIB, 0.99, 0));
    assert_true(out.res[AG_MEMORY].target > 1.5e9);
    assert_double_near(out.res[AG_CPU].lower, out.res[AG_CPU].target / 1.15, 1e-12);
    assert_double_near(out.res[AG_CPU].upper, out.res[AG_CPU].target * 1.15, 1e-12);
    assert_true(isnan(out.res[AG_CPU].limit));
    /* other percentiles */
    ag_online_free(r);
    p.crane.percentile = 0.5;
    r = new_crane(&p, MIN_MS);
    for (int i = 0; i < 1000; i++) {
        ag_online_observe(r, 0, AG_CPU, t[i], cpu[i]);
        ag_online_observe(r, 0, AG_MEMORY, t[i], mem[i]);
    }
    assert_int_equal(ag_online_recommend(r, t[999], nan2, &out), AG_OK);
    assert_true(out.res[AG_CPU].target == brute(cpu, t, 1000, 0.1, 0.5, 0));
    assert_true(out.res[AG_MEMORY].target == brute(mem, t, 1000, 100 * MIB, 0.5, 0));
    /* the smallest answer: the first bucket's end x 1.15, truncated as Go does */
    ag_online_free(r);
    r = new_crane(&p, MIN_MS);
    ag_online_observe(r, 0, AG_CPU, T0, 0);
    assert_int_equal(ag_online_recommend(r, T0, nan2, &out), AG_OK);
    assert_true(out.res[AG_CPU].target == 0.114);
    ag_online_free(r);
}

/* Samples older than history_ms (168 h) leave the histogram. */
static void test_window(void **state)
{
    ag_online_params p;
    ag_online *r;
    ag_rec out;
    double lo = trunc(6 * 0.1 * (1 + 0.15) * 1000) / 1000; /* 0.5 -> bucket 5 */
    (void)state;

    params(&p, AG_CRANE_PERCENTILE);
    r = new_crane(&p, STEP_MS);
    for (int i = 1; i <= 9 * 288; i++) {
        int64_t t = T0 + i * STEP_MS;
        ag_online_observe(r, 0, AG_CPU, t, i <= 288 ? 2.0 : 0.5);
        ag_online_observe(r, 0, AG_MEMORY, t, 1e9);
        if (t == T0 + 7 * DAY_MS + 12 * HOUR_MS) {
            assert_int_equal(ag_online_recommend(r, t, nan2, &out), AG_OK);
            assert_true(out.res[AG_CPU].target > 2.0); /* half of day 1 still in */
        }
        if (t == T0 + 8 * DAY_MS + STEP_MS) {
            assert_int_equal(ag_online_recommend(r, t, nan2, &out), AG_OK);
            assert_true(out.res[AG_CPU].target == lo);
            assert_int_equal(out.samples[AG_CPU], 7 * 288 + 1); /* both ends in */
        }
    }
    /* no sample for longer than the window: nothing to say */
    assert_int_equal(ag_online_recommend(r, T0 + 17 * DAY_MS, nan2, &out), AG_OK);
    assert_int_equal(out.status[AG_CPU], AG_REC_NO_DATA);
    assert_int_equal(out.samples[AG_CPU], 0);
    ag_online_free(r);
}

/* half_life_ms > 0: samples also weighted by 2^(t / half-life). */
static void test_decay(void **state)
{
    ag_online_params p;
    ag_online *a, *b;
    ag_rec oa, ob;
    static double v[3 * 288];
    static int64_t t[3 * 288];
    (void)state;

    params(&p, AG_CRANE_PERCENTILE);
    p.crane.percentile = 0.5;
    a = new_crane(&p, STEP_MS);
    p.crane.half_life_ms = 24 * HOUR_MS;
    b = new_crane(&p, STEP_MS);
    for (int i = 0; i < 3 * 288; i++) {
        t[i] = T0 + (i + 1) * STEP_MS;
        v[i] = i < 288 ? 1.0 : 0.3;
        ag_online_observe(a, 0, AG_CPU, t[i], v[i]);
        ag_online_observe(b, 0, AG_CPU, t[i], v[i]);
    }
    assert_int_equal(ag_online_recommend(a, t[3 * 288 - 1], nan2, &oa), AG_OK);
    assert_int_equal(ag_online_recommend(b, t[3 * 288 - 1], nan2, &ob), AG_OK);
    assert_true(oa.res[AG_CPU].target == brute(v, t, 3 * 288, 0.1, 0.5, 0));
    assert_true(ob.res[AG_CPU].target == brute(v, t, 3 * 288, 0.1, 0.5, 24 * HOUR_MS));
    assert_true(oa.res[AG_CPU].target > 1.0);
    assert_true(ob.res[AG_CPU].target < 0.5);
    assert_int_equal(oa.status[AG_MEMORY], AG_REC_NO_DATA);
    ag_online_free(a);
    ag_online_free(b);
}

static void test_oom(void **state)
{
    ag_online_params p;
    ag_online *r;
    ag_rec out;
    int64_t t_oom = T0 + DAY_MS, t;
    double base = trunc(10 * 100 * MIB * 1.15); /* 1e9 -> bucket 9 */
    (void)state;

    params(&p, AG_CRANE_PERCENTILE);
    r = new_crane(&p, STEP_MS);
    for (t = T0 + STEP_MS; t <= t_oom; t += STEP_MS) {
        ag_online_observe(r, 0, AG_CPU, t, 0.5);
        ag_online_observe(r, 0, AG_MEMORY, t, 1e9);
    }
    assert_int_equal(ag_online_recommend(r, t_oom, nan2, &out), AG_OK);
    assert_true(out.res[AG_MEMORY].target == base);
    ag_online_oom(r, 0, t_oom, NAN); /* no request: Crane records nothing */
    ag_online_oom(r, 0, t_oom, 1.5e9);
    assert_int_equal(ag_online_recommend(r, t_oom, nan2, &out), AG_OK);
    assert_true(out.res[AG_MEMORY].target == 1.8e9); /* 1.5e9 x 1.2 > 1.5e9 + 100 Mi */
    assert_int_equal(out.ooms, 1);
    ag_online_oom(r, 0, t_oom + HOUR_MS, 2e8); /* small: + 100 Mi wins, max stays */
    for (t = t_oom + HOUR_MS; t <= t_oom + 8 * DAY_MS; t += HOUR_MS) {
        ag_online_observe(r, 0, AG_MEMORY, t, 1e9);
        assert_int_equal(ag_online_recommend(r, t, nan2, &out), AG_OK);
        if (t - t_oom <= 7 * DAY_MS) {
            assert_true(out.res[AG_MEMORY].target == 1.8e9);
        } else { /* the small OOM's protection (2e8 + 100 Mi) is below the estimate */
            assert_true(out.res[AG_MEMORY].target == base);
            assert_true(out.ooms <= 1);
        }
    }
    ag_online_free(r);
}

static double sine(int64_t t, double mean, double amp)
{
    return mean + amp * sin(2 * M_PI * (double)((t - T0) % DAY_MS) / (double)DAY_MS);
}

/* DSP on a pure daily sinusoid: after 3 days, the request at t is within
 * 2% of 1.15 x the true peak over [t, t + 1 h], all the next day. */
static void test_dsp_sine(void **state)
{
    ag_online_params p;
    ag_online *r;
    ag_rec out;
    int64_t t;
    (void)state;

    params(&p, AG_CRANE_DSP);
    r = new_crane(&p, STEP_MS);
    for (t = T0 + STEP_MS; t <= T0 + 4 * DAY_MS; t += STEP_MS) {
        ag_online_observe(r, 0, AG_CPU, t, sine(t, 2, 1));
        ag_online_observe(r, 0, AG_MEMORY, t, sine(t, 2e9, 1e9));
        if (t >= T0 + 3 * DAY_MS && t % HOUR_MS == 0) {
            double peak_c = 0, peak_m = 0;
            for (int64_t s = t; s <= t + HOUR_MS; s += STEP_MS) {
                peak_c = fmax(peak_c, sine(s, 2, 1));
                peak_m = fmax(peak_m, sine(s, 2e9, 1e9));
            }
            assert_int_equal(ag_online_recommend(r, t, nan2, &out), AG_OK);
            assert_int_equal(out.status[AG_CPU], AG_REC_OK);
            assert_double_near(out.res[AG_CPU].target / (1.15 * peak_c), 1, 0.02);
            assert_double_near(out.res[AG_MEMORY].target / (1.15 * peak_m), 1, 0.02);
        }
    }
    ag_online_free(r);
}

/* With less than two days of data, or no period, DSP answers as
 * PERCENTILE does. */
static void test_dsp_fallback(void **state)
{
    ag_online_params pp, pd;
    ag_online *a, *b;
    ag_rec oa, ob;
    int64_t t;
    (void)state;

    params(&pp, AG_CRANE_PERCENTILE);
    params(&pd, AG_CRANE_DSP);
    for (int flat = 0; flat < 2; flat++) {
        int64_t end = flat ? T0 + 3 * DAY_MS : T0 + 36 * HOUR_MS;
        a = new_crane(&pp, STEP_MS);
        b = new_crane(&pd, STEP_MS);
        for (t = T0 + STEP_MS; t <= end; t += STEP_MS) {
            double c = flat ? 0.7 : sine(t, 2, 1), m = flat ? 1e9 : sine(t, 2e9, 1e9);
            ag_online_observe(a, 0, AG_CPU, t, c);
            ag_online_observe(b, 0, AG_CPU, t, c);
            ag_online_observe(a, 0, AG_MEMORY, t, m);
            ag_online_observe(b, 0, AG_MEMORY, t, m);
            if (t % (6 * HOUR_MS) == 0) {
                assert_int_equal(ag_online_recommend(a, t, nan2, &oa), AG_OK);
                assert_int_equal(ag_online_recommend(b, t, nan2, &ob), AG_OK);
                assert_memory_equal(&oa, &ob, sizeof oa);
            }
        }
        ag_online_free(a);
        ag_online_free(b);
    }
}

/* Preprocessing: a 30-minute gap is filled in; a gap over an hour drops
 * everything before it (here leaving 1.5 days: PERCENTILE again). */
static void test_dsp_gaps(void **state)
{
    ag_online_params pp, pd;
    (void)state;

    params(&pp, AG_CRANE_PERCENTILE);
    params(&pd, AG_CRANE_DSP);
    for (int big = 0; big < 2; big++) {
        int64_t g0 = big ? T0 + 2 * DAY_MS + 12 * HOUR_MS : T0 + 2 * DAY_MS;
        int64_t g1 = g0 + (big ? 2 * HOUR_MS : 30 * MIN_MS), t, now = T0 + 4 * DAY_MS;
        ag_online *a = new_crane(&pp, STEP_MS), *b = new_crane(&pd, STEP_MS);
        ag_rec oa, ob;
        for (t = T0 + STEP_MS; t <= now; t += STEP_MS) {
            if (t > g0 && t < g1)
                continue;
            ag_online_observe(a, 0, AG_CPU, t, sine(t, 2, 1));
            ag_online_observe(b, 0, AG_CPU, t, sine(t, 2, 1));
        }
        assert_int_equal(ag_online_recommend(a, now, nan2, &oa), AG_OK);
        assert_int_equal(ag_online_recommend(b, now, nan2, &ob), AG_OK);
        if (big) {
            assert_true(ob.res[AG_CPU].target == oa.res[AG_CPU].target);
        } else {
            double peak = 0;
            for (int64_t s = now; s <= now + HOUR_MS; s += STEP_MS)
                peak = fmax(peak, sine(s, 2, 1));
            assert_double_near(ob.res[AG_CPU].target / (1.15 * peak), 1, 0.02);
            assert_true(fabs(ob.res[AG_CPU].target - oa.res[AG_CPU].target) > 0.5);
        }
        ag_online_free(a);
        ag_online_free(b);
    }
}

/* A weekly pattern (weekdays busy, weekends quiet, the same every day of
 * each kind) with two weeks of history: the week is found and the
 * weekend is predicted quiet. */
static void test_dsp_week(void **state)
{
    ag_online_params p;
    ag_online *r;
    ag_rec out;
    int64_t t, end = T0 + 14 * DAY_MS + 4 * DAY_MS; /* T0 is a Tuesday */
    (void)state;

    params(&p, AG_CRANE_DSP);
    p.crane.dsp_refit_ms = 12 * HOUR_MS;
    r = new_crane(&p, 15 * MIN_MS);
    for (t = T0 + 15 * MIN_MS; t <= end; t += 15 * MIN_MS) {
        int64_t day = (t - 1 - T0) / DAY_MS; /* 0 = Tuesday */
        int weekend = day % 7 == 4 || day % 7 == 5;
        double v = weekend ? 0.5 : sine(t, 3, 1);
        ag_online_observe(r, 0, AG_CPU, t, v);
        ag_online_observe(r, 0, AG_MEMORY, t, 1e9);
    }
    /* the end is a Saturday 00:00: Saturday morning is quiet, not a weekday
     * (right at the step the prediction is smeared: components faster
     * than an hour are dropped) */
    assert_int_equal(ag_online_recommend(r, end + 6 * HOUR_MS, nan2, &out), AG_OK);
    assert_double_near(out.res[AG_CPU].target, 0.5 * 1.15, 0.05);
    ag_online_free(r);
}

static void test_recommend_twice(void **state)
{
    ag_online_params p;
    (void)state;

    for (int v = AG_CRANE_PERCENTILE; v <= AG_CRANE_DSP; v++) {
        ag_online *r;
        params(&p, (ag_crane_variant)v);
        p.crane.half_life_ms = v ? 0 : 24 * HOUR_MS;
        r = new_crane(&p, STEP_MS);
        for (int64_t t = T0 + STEP_MS; t <= T0 + 3 * DAY_MS; t += STEP_MS) {
            ag_online_observe(r, 0, AG_CPU, t, sine(t, 1, 0.5) + 0.01 * (t / STEP_MS % 7));
            ag_online_observe(r, 0, AG_MEMORY, t, sine(t, 1e9, 2e8));
            if (t % (2 * HOUR_MS) == 0) {
                ag_rec a, b;
                assert_int_equal(ag_online_recommend(r, t, nan2, &a), AG_OK);
                assert_int_equal(ag_online_recommend(r, t, nan2, &b), AG_OK);
                assert_memory_equal(&a, &b, sizeof a);
            }
        }
        ag_online_free(r);
    }
}

static void test_bad_params_and_oom_init(void **state)
{
    ag_online_params p;
    ag_online_spec spec;
    ag_online *r = NULL;
    (void)state;

    memset(&spec, 0, sizeof spec);
    spec.request[AG_CPU] = 1, spec.limit[AG_CPU] = 2;
    spec.request[AG_MEMORY] = spec.limit[AG_MEMORY] = NAN;
    spec.replicas = 3;
    spec.step_ms = MIN_MS;
    params(&p, AG_CRANE_PERCENTILE);
    p.crane.percentile = 0;
    assert_int_equal(ag_online_new(&p, &spec, &r), AG_EINVAL);
    assert_null(r);
    params(&p, AG_CRANE_DSP);
    p.crane.dsp_history_ms = DAY_MS;
    assert_int_equal(ag_online_new(&p, &spec, &r), AG_EINVAL);
    for (int v = AG_CRANE_PERCENTILE; v <= AG_CRANE_DSP; v++) {
        long n;
        params(&p, (ag_crane_variant)v);
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
        /* the spec's limit:request ratio is kept */
        ag_online_observe(r, 1, AG_CPU, T0, 0.45);
        {
            ag_rec out;
            assert_int_equal(ag_online_recommend(r, T0, nan2, &out), AG_OK);
            assert_double_near(out.res[AG_CPU].limit, 2 * out.res[AG_CPU].target, 1e-12);
        }
        ag_online_free(r);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_percentile_weighted),
        cmocka_unit_test(test_window),
        cmocka_unit_test(test_decay),
        cmocka_unit_test(test_oom),
        cmocka_unit_test(test_dsp_sine),
        cmocka_unit_test(test_dsp_fallback),
        cmocka_unit_test(test_dsp_gaps),
        cmocka_unit_test(test_dsp_week),
        cmocka_unit_test(test_recommend_twice),
        cmocka_unit_test(test_bad_params_and_oom_init),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
