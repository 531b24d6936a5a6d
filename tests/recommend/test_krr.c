/*
 * tests/recommend/test_krr.c - robusta-dev/krr "simple" strategy on known
 * data: per-pod p95 (Prometheus interpolation), max x 1.15, rounding up
 * to 1m / 1Mi, floors 10m / 100Mi, points_required, OOM-kill data.
 */
#include <math.h>
#include "ag_test.h"
#include "augur/recommend.h"
#include "rec_fixture.h"

static void test_krr_known(void **state)
{
    ag_container a, b;
    ag_container *m[2] = {&a, &b};
    ag_wcontainer wc;
    ag_rec_params p;
    ag_rec out;
    (void)state;
    fx_init(&a);
    fx_init(&b);
    /* pod a: 0.01 .. 2.00 cores; p95 = rank 0.95*199 = 189.05 -> 1.9005 */
    for (int i = 1; i <= 200; i++) {
        assert_int_equal(ag_samples_push(&a.usage[AG_CPU], i * MIN_MS, 0.01 * i), AG_OK);
        assert_int_equal(ag_samples_push(&a.usage[AG_MEMORY], i * MIN_MS, i == 50 ? 4e8 : 1e8), AG_OK);
    }
    for (int i = 1; i <= 100; i++) {
        assert_int_equal(ag_samples_push(&b.usage[AG_CPU], i * MIN_MS, 0.5), AG_OK);
        assert_int_equal(ag_samples_push(&b.usage[AG_MEMORY], i * MIN_MS, 2e8), AG_OK);
    }
    fx_wc(&wc, m, 2);
    ag_rec_params_default(&p);
    p.algorithm = AG_ALGO_KRR;
    assert_int_equal(ag_recommend(&p, &wc, 1000 * MIN_MS, &out), AG_OK);
    assert_int_equal(out.status[AG_CPU], AG_REC_OK);
    assert_int_equal(out.samples[AG_CPU], 300);
    assert_double_near(out.res[AG_CPU].target, 1.901, 1e-12); /* ceil to 1m */
    assert_true(isnan(out.res[AG_CPU].limit));
    assert_true(out.res[AG_CPU].lower == out.res[AG_CPU].target);
    assert_true(out.res[AG_CPU].upper == out.res[AG_CPU].target);
    /* 4e8 * 1.15 = 4.6e8 = 438.69 Mi -> 439 Mi */
    assert_true(out.res[AG_MEMORY].target == 439 * MIB);
    assert_true(out.res[AG_MEMORY].limit == 439 * MIB);
    assert_true(isnan(out.confidence_days));

    /* OOM-kill data: pod b was killed at its 1 GiB limit -> 1.25 GiB */
    b.limit[AG_MEMORY] = 1024 * MIB;
    assert_int_equal(ag_samples_push(&b.oom, 60 * MIN_MS, 0), AG_OK);
    assert_int_equal(ag_recommend(&p, &wc, 1000 * MIN_MS, &out), AG_OK);
    assert_true(out.res[AG_MEMORY].target == 439 * MIB); /* off by default */
    assert_int_equal(ag_rec_params_set(&p, "krr-use-oomkill-data", "true", NULL), AG_OK);
    assert_int_equal(ag_recommend(&p, &wc, 1000 * MIN_MS, &out), AG_OK);
    assert_true(out.res[AG_MEMORY].target == 1280 * MIB);
    assert_int_equal(out.ooms, 1);

    /* causality: only the samples up to now (100 of a, 100 of b) */
    assert_int_equal(ag_recommend_krr(&p.krr, &wc, 100 * MIN_MS, &out), AG_OK);
    assert_int_equal(out.samples[AG_CPU], 200);
    /* a: 0.01..1.00 -> p95 = rank 94.05 -> 0.9505 -> 951m; b 0.5 */
    assert_double_near(out.res[AG_CPU].target, 0.951, 1e-12);
    fx_free(&a);
    fx_free(&b);
}

static void test_krr_floors_and_points(void **state)
{
    ag_container a;
    ag_container *m[1] = {&a};
    ag_wcontainer wc;
    ag_rec_params p;
    ag_rec out;
    (void)state;
    fx_init(&a);
    for (int i = 1; i <= 99; i++) {
        assert_int_equal(ag_samples_push(&a.usage[AG_CPU], i * MIN_MS, 0.001), AG_OK);
        assert_int_equal(ag_samples_push(&a.usage[AG_MEMORY], i * MIN_MS, 1e6), AG_OK);
    }
    fx_wc(&wc, m, 1);
    ag_rec_params_default(&p);
    assert_int_equal(ag_recommend_krr(&p.krr, &wc, 1000 * MIN_MS, &out), AG_OK);
    assert_int_equal(out.status[AG_CPU], AG_REC_NOT_ENOUGH);
    assert_int_equal(out.status[AG_MEMORY], AG_REC_NOT_ENOUGH);
    assert_true(isnan(out.res[AG_CPU].target));
    assert_int_equal(ag_samples_push(&a.usage[AG_CPU], 100 * MIN_MS, 0.001), AG_OK);
    assert_int_equal(ag_samples_push(&a.usage[AG_MEMORY], 100 * MIN_MS, 1e6), AG_OK);
    assert_int_equal(ag_recommend_krr(&p.krr, &wc, 1000 * MIN_MS, &out), AG_OK);
    assert_int_equal(out.status[AG_CPU], AG_REC_OK);
    assert_true(out.res[AG_CPU].target == 0.01);
    assert_true(out.res[AG_MEMORY].target == 100 * MIB);
    /* no data at all */
    assert_int_equal(ag_recommend_krr(&p.krr, &wc, 0, &out), AG_OK);
    assert_int_equal(out.status[AG_CPU], AG_REC_NO_DATA);
    assert_int_equal(out.status[AG_MEMORY], AG_REC_NO_DATA);
    p.krr.cpu_percentile = 0;
    assert_int_equal(ag_recommend_krr(&p.krr, &wc, 0, &out), AG_EINVAL);
    fx_free(&a);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_krr_known),
        cmocka_unit_test(test_krr_floors_and_points),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
