/*
 * tests/recommend/test_vpa.c - the VPA recommender: golden ports of
 * logic/estimator_test.go and model/container_test.go (kubernetes/
 * autoscaler vertical-pod-autoscaler/pkg/recommender), then end-to-end
 * runs on hand-made series whose answers are computed by hand from the
 * VPA's formulas (bucket ends, 15% margin, confidence).
 */
#include <math.h>
#include "ag_test.h"
#include "augur/recommend.h"
#include "recommend/histogram.h"
#include "recommend/rec_int.h"
#include "rec_fixture.h"

/* The VPA bucket end above v: first * (1.05^(b+1) - 1) / 0.05. */
static double bucket_end(double v, double first)
{
    int b = (int)(log(v * 0.05 / first + 1) / log(1.05));
    return first * (pow(1.05, b + 1) - 1) / 0.05;
}

/* v + trunc(v * 0.15) in whole units (ResourceAmount arithmetic). */
static int64_t with_margin(int64_t v)
{
    return v + (int64_t)((double)v * 0.15);
}

/* estimator_test.go TestPercentileEstimator */
static void TestPercentileEstimator(void **state)
{
    ag__hist c, m;
    (void)state;
    ag__hist_init(&c, ag__vpa_cpu_opts());
    ag__hist_add(&c, 1.0, 1.0);
    ag__hist_add(&c, 2.0, 1.0);
    ag__hist_add(&c, 3.0, 1.0);
    ag__hist_init(&m, ag__vpa_mem_opts());
    ag__hist_add(&m, 1e9, 1.0);
    ag__hist_add(&m, 2e9, 1.0);
    ag__hist_add(&m, 3e9, 1.0);
    /* InEpsilon 5%: histogram rounding */
    assert_true(fabs(ag__hist_percentile(&c, 0.2) - 1.0) / 1.0 <= 0.05);
    assert_true(fabs(ag__hist_percentile(&m, 0.5) - 2e9) / 2e9 <= 0.05);
}

/* estimator_test.go TestConfidenceMultiplier: 9 CPU samples every 2
 * minutes give confidence 9/(60*24) = 0.00625, and 3.14 cores scaled by
 * (1 + 0.1/0.00625)^2 is 907.46 cores. */
static void TestConfidenceMultiplier(void **state)
{
    ag_container c;
    ag_container *m[1] = {&c};
    ag_wcontainer wc;
    ag_rec_params p;
    ag_rec out;
    (void)state;
    fx_init(&c);
    for (int i = 0; i < 9; i++)
        assert_int_equal(ag_samples_push(&c.usage[AG_CPU], i * 2 * MIN_MS, 1.0), AG_OK);
    fx_wc(&wc, m, 1);
    ag_rec_params_default(&p);
    p.vpa.cpu_sample_interval_ms = 2 * MIN_MS; /* one VPA sample per input sample */
    assert_int_equal(ag_recommend_vpa(&p.vpa, &wc, 100 * MIN_MS, &out), AG_OK);
    assert_true(out.confidence_days == 0.00625);
    assert_int_equal(out.samples[AG_CPU], 9);
    assert_true(ag__vpa_conf_scale(3140, 0.1, 2.0, 0.00625) / 1000.0 == 907.46);
    fx_free(&c);
}

/* estimator_test.go TestConfidenceMultiplierNoHistory */
static void TestConfidenceMultiplierNoHistory(void **state)
{
    (void)state;
    assert_true(ag__vpa_conf_scale(3140, 1.0, 1.0, 0.0) == (int64_t)1e14);
    assert_true(ag__vpa_conf_scale(3140, 1.0, -1.0, 0.0) == 0);
}

/* estimator_test.go TestMarginEstimator */
static void TestMarginEstimator(void **state)
{
    (void)state;
    /* Go folds the constants 3.14*1.1 exactly: 3.454 */
    assert_true(ag__vpa_margin(3140, 0.1) / 1000.0 == 3.454);
    assert_true((double)ag__vpa_margin(3140000000LL, 0.1) == 3.454e9);
}

static void run1(ag_container *c, const ag_rec_params *p, int64_t now, ag_rec *out)
{
    ag_container *m[1] = {c};
    ag_wcontainer wc;
    fx_wc(&wc, m, 1);
    assert_int_equal(ag_recommend_vpa(&p->vpa, &wc, now, out), AG_OK);
}

/* The memory target for one peak value v (bytes). */
static double mem_target(double v)
{
    return (double)with_margin((int64_t)bucket_end(v, 1e7));
}

/* container_test.go TestRecordOOMIncreasedByBumpUp: request 1000Mi, the
 * OOM peak is 1200Mi (20%). */
static void TestRecordOOMIncreasedByBumpUp(void **state)
{
    ag_container c;
    ag_rec_params p;
    ag_rec out;
    (void)state;
    fx_init(&c);
    c.request[AG_MEMORY] = 1000 * MIB;
    assert_int_equal(ag_samples_push(&c.oom, TEST_TS, 0), AG_OK);
    ag_rec_params_default(&p);
    run1(&c, &p, TEST_TS, &out);
    assert_int_equal(out.ooms, 1);
    assert_int_equal(out.status[AG_MEMORY], AG_REC_OK);
    assert_true(out.res[AG_MEMORY].target == mem_target(1200 * MIB));
    fx_free(&c);
}

/* container_test.go TestRecordOOMIncreasedByMin: 1Mi grows by 100Mi. */
static void TestRecordOOMIncreasedByMin(void **state)
{
    ag_container c;
    ag_rec_params p;
    ag_rec out;
    (void)state;
    fx_init(&c);
    c.request[AG_MEMORY] = 1 * MIB;
    assert_int_equal(ag_samples_push(&c.oom, TEST_TS, 0), AG_OK);
    ag_rec_params_default(&p);
    p.vpa.pod_min_memory_bytes = 0;
    run1(&c, &p, TEST_TS, &out);
    assert_true(out.res[AG_MEMORY].target == mem_target(101 * MIB));
    fx_free(&c);
}

/* container_test.go TestRecordOOMMaxedWithKnownSample: a 3000Mi sample,
 * then an OOM with request 1000Mi: the peak becomes 3600Mi (the 3000Mi
 * peak is subtracted). */
static void TestRecordOOMMaxedWithKnownSample(void **state)
{
    ag_container c;
    ag_rec_params p;
    ag_rec out;
    (void)state;
    fx_init(&c);
    c.request[AG_MEMORY] = 1000 * MIB;
    assert_int_equal(ag_samples_push(&c.usage[AG_MEMORY], TEST_TS, 3000 * MIB), AG_OK);
    assert_int_equal(ag_samples_push(&c.oom, TEST_TS, 0), AG_OK);
    ag_rec_params_default(&p);
    run1(&c, &p, TEST_TS, &out);
    /* p50 would be 3000Mi's bucket if the old peak had stayed */
    assert_true(out.res[AG_MEMORY].target == mem_target(3600 * MIB));
    /* no CPU history: confidence 0, the lower bound falls to the minimum */
    assert_true(out.res[AG_MEMORY].lower == 250 * MIB);
    fx_free(&c);
}

/* container_test.go TestRecordOOMInNewWindow: a 2000Mi sample, an OOM two
 * intervals later opens a new window with 2400Mi; both peaks count. */
static void TestRecordOOMInNewWindow(void **state)
{
    ag_container c;
    ag_rec_params p;
    ag_rec out;
    (void)state;
    fx_init(&c);
    c.request[AG_MEMORY] = 1000 * MIB;
    assert_int_equal(ag_samples_push(&c.usage[AG_MEMORY], TEST_TS, 2000 * MIB), AG_OK);
    assert_int_equal(ag_samples_push(&c.oom, TEST_TS + 2 * DAY_MS, 0), AG_OK);
    ag_rec_params_default(&p);
    run1(&c, &p, TEST_TS + 2 * DAY_MS, &out);
    assert_int_equal(out.ooms, 1);
    /* max(request 1000Mi, peak of the new window 0) * 1.2 = 1200Mi? No: the
     * OOM opens the new window, memoryPeak is still 2000Mi when RecordOOM
     * reads it, so 2400Mi, the target (p90, newer peak weighs 4x) */
    assert_true(out.res[AG_MEMORY].target == mem_target(2400 * MIB));
    assert_true(out.res[AG_MEMORY].lower == mem_target(2400 * MIB) ||
                out.res[AG_MEMORY].lower < mem_target(2400 * MIB));
    fx_free(&c);
}

/* container_test.go TestAggregateContainerUsageSamples (what is
 * observable without mocks): three CPU samples half an interval apart are
 * all counted, a negative CPU and a negative memory sample are not; memory
 * 5 and 10 bytes share one window (one peak), 2 bytes opens the next. */
static void TestAggregateContainerUsageSamples(void **state)
{
    ag_container c;
    ag_rec_params p;
    ag_rec out;
    int64_t step = DAY_MS / 2;
    (void)state;
    fx_init(&c);
    assert_int_equal(ag_samples_push(&c.usage[AG_CPU], TEST_TS, 3.14), AG_OK);
    assert_int_equal(ag_samples_push(&c.usage[AG_CPU], TEST_TS + step, 6.28), AG_OK);
    assert_int_equal(ag_samples_push(&c.usage[AG_CPU], TEST_TS + 2 * step, 1.57), AG_OK);
    assert_int_equal(ag_samples_push(&c.usage[AG_CPU], TEST_TS + 4 * step, -1.0), AG_OK);
    assert_int_equal(ag_samples_push(&c.usage[AG_MEMORY], TEST_TS, 5), AG_OK);
    assert_int_equal(ag_samples_push(&c.usage[AG_MEMORY], TEST_TS + step, 10), AG_OK);
    assert_int_equal(ag_samples_push(&c.usage[AG_MEMORY], TEST_TS + 2 * step, 2), AG_OK);
    assert_int_equal(ag_samples_push(&c.usage[AG_MEMORY], TEST_TS + 4 * step, -1000), AG_OK);
    ag_rec_params_default(&p);
    p.vpa.cpu_sample_interval_ms = step;
    run1(&c, &p, TEST_TS + 4 * step, &out);
    assert_int_equal(out.samples[AG_CPU], 3);
    assert_int_equal(out.samples[AG_MEMORY], 3);
    fx_free(&c);
}

/* 8 days of 1-minute samples: constant 0.5 core and 300 MiB. */
static void fill_const(ag_container *c, int64_t t0, int n, double cores, double bytes)
{
    for (int i = 0; i < n; i++) {
        assert_int_equal(ag_samples_push(&c->usage[AG_CPU], t0 + i * MIN_MS, cores), AG_OK);
        assert_int_equal(ag_samples_push(&c->usage[AG_MEMORY], t0 + i * MIN_MS, bytes), AG_OK);
    }
}

static void test_e2e_constant(void **state)
{
    ag_container c;
    ag_rec_params p;
    ag_rec out;
    int64_t t0 = 1700000000000LL / MIN_MS * MIN_MS, now;
    int n = 8 * 1440;
    int64_t cpu_m, mem_b;
    double conf;
    (void)state;
    fx_init(&c);
    c.request[AG_CPU] = 1.0;
    c.limit[AG_CPU] = 2.0;
    fill_const(&c, t0, n, 0.5, 300 * MIB);
    now = t0 + (n - 1) * MIN_MS;
    ag_rec_params_default(&p);
    run1(&c, &p, now, &out);
    assert_int_equal(out.status[AG_CPU], AG_REC_OK);
    assert_int_equal(out.samples[AG_CPU], n);
    /* confidence = min((n-1) minutes in days, n / 1440) */
    conf = (double)(n - 1) / 1440.0;
    assert_double_near(out.confidence_days, conf, 1e-12);
    /* target: end of the bucket of 0.5 core = 0.51134 -> 511m, +15% = 587m */
    cpu_m = with_margin((int64_t)(bucket_end(0.5, 0.01) * 1000));
    assert_int_equal(cpu_m, 587);
    assert_true(out.res[AG_CPU].target == cpu_m / 1000.0);
    assert_true(out.res[AG_CPU].uncapped == out.res[AG_CPU].target);
    assert_true(out.res[AG_CPU].upper == (double)(int64_t)(cpu_m * (1 + 1 / conf)) / 1000.0);
    assert_true(out.res[AG_CPU].lower == (double)(int64_t)(cpu_m * pow(1 + 0.001 / conf, -2)) / 1000.0);
    /* the request:limit ratio 1:2 is kept */
    assert_double_near(out.res[AG_CPU].limit, 2 * 0.587, 1e-12);
    /* memory: 8 daily peaks of 300 MiB, the end of its bucket + 15% */
    mem_b = with_margin((int64_t)bucket_end(300 * MIB, 1e7));
    assert_true(out.res[AG_MEMORY].target == (double)mem_b);
    assert_true(isnan(out.res[AG_MEMORY].limit));
    assert_int_equal(out.samples[AG_MEMORY], n);

    /* causality: a spike after now changes nothing */
    for (int i = 1; i <= 600; i++) {
        assert_int_equal(ag_samples_push(&c.usage[AG_CPU], now + i * MIN_MS, 50.0), AG_OK);
        assert_int_equal(ag_samples_push(&c.usage[AG_MEMORY], now + i * MIN_MS, 50e9), AG_OK);
    }
    assert_int_equal(ag_samples_push(&c.oom, now + MIN_MS, 0), AG_OK);
    {
        ag_rec out2;
        run1(&c, &p, now, &out2);
        assert_memory_equal(&out.res, &out2.res, sizeof out.res);
        assert_int_equal(out2.ooms, 0);
        /* ...but counts once now moves past it */
        run1(&c, &p, now + 600 * MIN_MS, &out2);
        assert_true(out2.res[AG_CPU].upper > out.res[AG_CPU].upper);
    }
    fx_free(&c);
}

/* A 5-minute trace: each sample stands for the five minutes before it. */
static void test_e2e_coarse_input(void **state)
{
    ag_container c;
    ag_rec_params p;
    ag_rec out;
    int64_t t0 = 1700000100000LL; /* a multiple of 5 min */
    int n = 8 * 288;
    (void)state;
    fx_init(&c);
    for (int i = 0; i < n; i++)
        assert_int_equal(ag_samples_push(&c.usage[AG_CPU], t0 + i * 5 * MIN_MS, 0.5), AG_OK);
    ag_rec_params_default(&p);
    run1(&c, &p, t0 + (n - 1) * 5 * MIN_MS, &out);
    assert_int_equal(out.samples[AG_CPU], 5 * n);
    /* first grid sample at t0 - 4min, last at the last sample */
    assert_double_near(out.confidence_days, (5.0 * n - 1) / 1440.0, 1e-12);
    assert_int_equal(out.status[AG_MEMORY], AG_REC_NO_DATA);
    assert_true(isnan(out.res[AG_MEMORY].target));
    fx_free(&c);
}

/* Two pods feed one histogram; per-pod minimums split over containers. */
static void test_e2e_members_and_minimums(void **state)
{
    ag_container a, b;
    ag_container *m[2] = {&a, &b};
    ag_wcontainer wc;
    ag_rec_params p;
    ag_rec out;
    int64_t t0 = 1700000000000LL / MIN_MS * MIN_MS;
    (void)state;
    fx_init(&a);
    fx_init(&b);
    fill_const(&a, t0, 1440, 0.001, 1 * MIB);
    fill_const(&b, t0, 1440, 0.001, 1 * MIB);
    fx_wc(&wc, m, 2);
    ag_rec_params_default(&p);
    assert_int_equal(ag_recommend_vpa(&p.vpa, &wc, t0 + 1439 * MIN_MS, &out), AG_OK);
    assert_int_equal(out.samples[AG_CPU], 2880);
    assert_true(out.res[AG_CPU].target == 0.025);
    assert_true(out.res[AG_MEMORY].target == 250 * MIB);
    p.vpa.containers_per_pod = 2;
    assert_int_equal(ag_recommend_vpa(&p.vpa, &wc, t0 + 1439 * MIN_MS, &out), AG_OK);
    assert_true(out.res[AG_CPU].target == 0.012); /* trunc(25 * 0.5) millicores */
    assert_true(out.res[AG_MEMORY].target == 125 * MIB);
    fx_free(&a);
    fx_free(&b);
}

/* Memory peaks per day: the biggest value of each day counts once. */
static void test_e2e_daily_peaks(void **state)
{
    ag_container c;
    ag_rec_params p;
    ag_rec out;
    int64_t t0 = 1700000000000LL / MIN_MS * MIN_MS;
    (void)state;
    fx_init(&c);
    /* every day: 1439 minutes at 200 MiB and one minute at 2000 MiB */
    for (int i = 0; i < 8 * 1440; i++) {
        double v = (i % 1440 == 700) ? 2000 * MIB : 200 * MIB;
        assert_int_equal(ag_samples_push(&c.usage[AG_MEMORY], t0 + i * MIN_MS, v), AG_OK);
    }
    ag_rec_params_default(&p);
    run1(&c, &p, t0 + 8 * DAY_MS, &out);
    /* all eight peaks are 2000 MiB: even p50 is there */
    assert_true(out.res[AG_MEMORY].target == mem_target(2000 * MIB));
    fx_free(&c);
}

static void test_bad_params(void **state)
{
    ag_container c;
    ag_container *m[1] = {&c};
    ag_wcontainer wc;
    ag_rec_params p;
    ag_rec out;
    (void)state;
    fx_init(&c);
    fx_wc(&wc, m, 1);
    ag_rec_params_default(&p);
    p.vpa.target_cpu_percentile = 1.5;
    assert_int_equal(ag_recommend_vpa(&p.vpa, &wc, 0, &out), AG_EINVAL);
    ag_rec_params_default(&p);
    p.vpa.cpu_half_life_ms = 0;
    assert_int_equal(ag_recommend(&p, &wc, 0, &out), AG_EINVAL);
    ag_rec_params_default(&p);
    assert_int_equal(ag_recommend(&p, &wc, 0, &out), AG_OK);
    assert_int_equal(out.status[AG_CPU], AG_REC_NO_DATA);
    assert_int_equal(out.status[AG_MEMORY], AG_REC_NO_DATA);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(TestPercentileEstimator),
        cmocka_unit_test(TestConfidenceMultiplier),
        cmocka_unit_test(TestConfidenceMultiplierNoHistory),
        cmocka_unit_test(TestMarginEstimator),
        cmocka_unit_test(TestRecordOOMIncreasedByBumpUp),
        cmocka_unit_test(TestRecordOOMIncreasedByMin),
        cmocka_unit_test(TestRecordOOMMaxedWithKnownSample),
        cmocka_unit_test(TestRecordOOMInNewWindow),
        cmocka_unit_test(TestAggregateContainerUsageSamples),
        cmocka_unit_test(test_e2e_constant),
        cmocka_unit_test(test_e2e_coarse_input),
        cmocka_unit_test(test_e2e_members_and_minimums),
        cmocka_unit_test(test_e2e_daily_peaks),
        cmocka_unit_test(test_bad_params),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
