/*
 * tests/forecast/test_resample.c - ag_fc_resample: the (t - step, t]
 * cells, mean and max, gap filling up to max_gap, edges, bad arguments
 * and out-of-memory.
 */
#include <math.h>
#include "ag_test.h"
#include "augur/forecast.h"
#include "util/alloc.h"

static void test_mean_max(void **st)
{
    /* Cells at 0, 10, 20, 30 (ms): (-10,0], (0,10], (10,20], (20,30]. */
    const ag_sample s[] = {{-5, 1},   {0, 3},  {1, 10},        {10, 20},
                           {15, NAN}, {20, 4}, {25, INFINITY}, {31, 99}};
    double *v = NULL;
    size_t n = 0;
    (void)st;
    assert_int_equal(ag_fc_resample(s, 8, 0, 30, 10, AG_FC_MEAN, 0, &v, &n), AG_OK);
    assert_int_equal(n, 4);
    assert_double_near(v[0], 2, 1e-12);  /* -5 and 0 */
    assert_double_near(v[1], 15, 1e-12); /* 1 and 10 */
    assert_double_near(v[2], 4, 1e-12);  /* NaN skipped */
    assert_true(isnan(v[3]));            /* Inf skipped, 31 is past the end */
    free(v);
    assert_int_equal(ag_fc_resample(s, 8, 0, 30, 10, AG_FC_MAX, 0, &v, &n), AG_OK);
    assert_double_near(v[0], 3, 0);
    assert_double_near(v[1], 20, 0);
    assert_double_near(v[2], 4, 0);
    free(v);
    /* Grid not aligned with the samples, one cell. */
    assert_int_equal(ag_fc_resample(s, 8, 7, 7, 10, AG_FC_MAX, 0, &v, &n), AG_OK);
    assert_int_equal(n, 1);
    assert_double_near(v[0], 10, 0); /* (-3, 7]: 0 and 1 */
    free(v);
}

static void test_gaps(void **st)
{
    /* Values in cells 2, 3, 6 and 11: a gap of 2 cells, then one of 4. */
    const ag_sample s[] = {{0, 1}, {60, 2}, {240, 5}, {540, 0}};
    double *v = NULL;
    size_t n = 0;
    (void)st;
    assert_int_equal(ag_fc_resample(s, 4, -120, 660, 60, AG_FC_MEAN, 3, &v, &n), AG_OK);
    assert_int_equal(n, 14);
    assert_true(isnan(v[0]) && isnan(v[1])); /* leading: never filled */
    assert_double_near(v[2], 1, 0);
    assert_double_near(v[4], 3, 1e-12); /* 2 -> 5 over cells 3..6 */
    assert_double_near(v[5], 4, 1e-12);
    for (size_t i = 7; i < 11; i++)
        assert_true(isnan(v[i])); /* 4 missing > max_gap 3 */
    assert_double_near(v[11], 0, 0);
    assert_true(isnan(v[12]) && isnan(v[13])); /* trailing: never filled */
    free(v);
    assert_int_equal(ag_fc_resample(s, 4, 0, 540, 60, AG_FC_MEAN, 4, &v, &n), AG_OK);
    assert_int_equal(n, 10);
    for (size_t i = 5; i < 9; i++)
        assert_double_near(v[i], 5 - (double)(i - 4), 1e-12);
    free(v);
    /* No samples: all NaN. */
    assert_int_equal(ag_fc_resample(NULL, 0, 0, 100, 50, AG_FC_MEAN, 10, &v, &n), AG_OK);
    assert_int_equal(n, 3);
    assert_true(isnan(v[0]) && isnan(v[2]));
    free(v);
}

static void test_bad_args(void **st)
{
    const ag_sample s[] = {{10, 1}, {5, 2}};
    double *v = (double *)1;
    size_t n = 7;
    (void)st;
    assert_int_equal(ag_fc_resample(s, 2, 0, 100, 10, AG_FC_MEAN, 0, &v, &n), AG_EINVAL);
    assert_null(v); /* unsorted */
    assert_int_equal(n, 0);
    assert_int_equal(ag_fc_resample(s, 1, 0, 100, 0, AG_FC_MEAN, 0, &v, &n), AG_EINVAL);
    assert_int_equal(ag_fc_resample(s, 1, 100, 0, 10, AG_FC_MEAN, 0, &v, &n), AG_EINVAL);
    assert_int_equal(ag_fc_resample(s, 1, 0, 100, 10, (ag_fc_agg)7, 0, &v, &n), AG_EINVAL);
    assert_int_equal(ag_fc_resample(NULL, 1, 0, 100, 10, AG_FC_MEAN, 0, &v, &n), AG_EINVAL);
    assert_int_equal(ag_fc_resample(s, 1, 0, 100, 10, AG_FC_MEAN, 0, NULL, &n), AG_EINVAL);
    assert_int_equal(ag_fc_resample(s, 1, INT64_MIN, INT64_MAX, 1, AG_FC_MEAN, 0, &v, &n),
                     AG_ETOOBIG);
    assert_int_equal(ag_fc_resample(s, 1, 0, INT64_MAX, 1, AG_FC_MEAN, 0, &v, &n), AG_ETOOBIG);
    /* Extreme sample times next to a normal grid: skipped, no overflow. */
    {
        const ag_sample x[] = {{INT64_MIN, 1}, {0, 2}, {INT64_MAX, 3}};
        assert_int_equal(ag_fc_resample(x, 3, 0, 10, 10, AG_FC_MEAN, 0, &v, &n), AG_OK);
        assert_int_equal(n, 2);
        assert_double_near(v[0], 2, 0);
        assert_true(isnan(v[1]));
        free(v);
    }
}

static void test_oom(void **st)
{
    const ag_sample s[] = {{0, 1}, {60, 2}};
    double *v = NULL;
    size_t n = 0;
    (void)st;
    for (long k = 1; k <= 2; k++) {
        ag__alloc_fail_after(k);
        assert_int_equal(ag_fc_resample(s, 2, 0, 600, 60, AG_FC_MAX, 2, &v, &n), AG_ENOMEM);
        ag__alloc_fail_after(0);
        assert_null(v);
    }
    assert_int_equal(ag_fc_resample(s, 2, 0, 600, 60, AG_FC_MAX, 2, &v, &n), AG_OK);
    free(v);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_mean_max),
        cmocka_unit_test(test_gaps),
        cmocka_unit_test(test_bad_args),
        cmocka_unit_test(test_oom),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
