/*
 * tests/forecast/test_calibration.c - conformal calibration: on a series
 * with known Gaussian noise the p95 sits where the noise says, and on
 * held-out data it is exceeded about 5% of the time (fixed seeds, many
 * replications). Also the conformal order statistic and the horizon
 * buckets directly.
 */
#include "fc_util.h"
#include "forecast/conformal.h"

#define SIGMA 0.2

/* A replication: n + H steps of daily shape + N(0, SIGMA^2) noise. */
static void noisy(double *v, size_t n, fc_rng *r)
{
    for (size_t i = 0; i < n; i++)
        v[i] = fc_daily(i) + SIGMA * fc_nrand(r);
}

/* Forecasts from the first n steps, counts held-out actuals under the p95
 * and sums (p95 - mean) / SIGMA. */
static void replicate(const char *model, size_t n, size_t H, int reps, uint64_t seed,
                      double *coverage, double *width)
{
    double *v = malloc((n + H) * sizeof *v);
    fc_rng r = {seed};
    size_t under = 0, total = 0;
    double w = 0;

    for (int rep = 0; rep < reps; rep++) {
        ag_fc_series s;
        ag_fc_request req;
        ag_forecast f;
        size_t k;
        noisy(v, n + H, &r);
        s = fc_series(v, n);
        ag_fc_request_default(&req, H);
        req.model = model;
        assert_int_equal(ag_forecast_series(&s, &req, &f, NULL), AG_OK);
        fc_check_sane(&f, H);
        k = fc_qidx(&f, 0.95);
        for (size_t h = 0; h < H; h++) {
            under += v[n + h] <= f.q[k * H + h];
            w += (f.q[k * H + h] - f.mean[h]) / SIGMA;
            total++;
        }
        ag_forecast_clear(&f);
    }
    *coverage = (double)under / (double)total;
    *width = w / (double)total;
    free(v);
}

/* The seasonal naive's error is the difference of two independent
 * noises: sigma * sqrt(2); its p95 is mean + 1.645 sqrt(2) sigma, a bit
 * more from the finite-sample rank (58th of 60 residuals ~ q 0.96). */
static void test_width_seasonal_naive(void **st)
{
    double cov, width;
    (void)st;
    replicate("seasonal_naive", 3 * FC_DAY, 12, 200, 11, &cov, &width);
    printf("seasonal_naive h=12: coverage %.4f, (p95 - mean) / sigma %.3f\n", cov, width);
    assert_true(width > 1.645 * sqrt(2) * 0.95 && width < 1.645 * sqrt(2) * 1.15);
    assert_true(cov >= 0.93 && cov <= 0.97);
}

/* Coverage over many replications, 1 h and 24 h ahead, by the chosen
 * model: the choice must not break the calibration. */
static void test_coverage_auto(void **st)
{
    double cov, width;
    (void)st;
    replicate(NULL, 4 * FC_DAY, 12, 150, 21, &cov, &width);
    printf("auto h=12: coverage %.4f, (p95 - mean) / sigma %.3f\n", cov, width);
    assert_true(cov >= 0.93 && cov <= 0.97);
    /* Good models forecast the shape, leaving about the noise itself. */
    assert_true(width > 1.645 * 0.9 && width < 1.645 * sqrt(2) * 1.15);
    replicate(NULL, 4 * FC_DAY, FC_DAY, 40, 22, &cov, &width);
    printf("auto h=288: coverage %.4f, (p95 - mean) / sigma %.3f\n", cov, width);
    assert_true(cov >= 0.93 && cov <= 0.97);
}

static void test_conformal_rank(void **st)
{
    double r[19];
    (void)st;
    for (int i = 0; i < 19; i++)
        r[i] = i + 1;
    /* ceil(20 * 0.95) = 19: the max; ceil(20 * 0.5) = 10. */
    assert_double_near(ag__fc_conformal_quantile(r, 19, 0.95), 19, 0);
    assert_double_near(ag__fc_conformal_quantile(r, 19, 0.5), 10, 0);
    assert_double_near(ag__fc_conformal_quantile(r, 19, 0.99), 19, 0);
    /* floor(20 * 0.05) = 1: the min; floor(20 * 0.01) = 0 -> the min too. */
    assert_double_near(ag__fc_conformal_quantile(r, 19, 0.05), 1, 0);
    assert_double_near(ag__fc_conformal_quantile(r, 19, 0.01), 1, 0);
    assert_double_near(ag__fc_conformal_quantile(r, 19, 0.25), 5, 0);
    assert_double_near(ag__fc_conformal_quantile(r, 0, 0.5), 0, 0);
}

/* Residuals that grow with the step give offsets that grow with it, are
 * ordered in q, and keep growing past the calibrated steps. */
static void test_buckets_widen(void **st)
{
    size_t k = 6, hb = 100;
    double *res = malloc(k * hb * sizeof *res), off50[150], off95[150], off05[150];
    ag__fc_calib c;
    fc_rng r = {5};
    (void)st;
    for (size_t o = 0; o < k; o++)
        for (size_t h = 0; h < hb; h++)
            res[o * hb + h] = sqrt((double)h + 1) * fc_nrand(&r);
    assert_int_equal(ag__fc_calib_build(&c, res, k, hb), AG_OK);
    assert_true(c.nb >= 5);
    assert_int_equal(c.start[0], 0);
    assert_int_equal(c.start[c.nb], hb);
    for (size_t b = 0; b < c.nb; b++)
        assert_true(k * (c.start[b + 1] - c.start[b]) >= 40);
    ag__fc_calib_offsets(&c, 0.95, off95, 150);
    ag__fc_calib_offsets(&c, 0.5, off50, 150);
    ag__fc_calib_offsets(&c, 0.05, off05, 150);
    for (size_t h = 0; h < 150; h++)
        assert_true(off05[h] <= off50[h] && off50[h] <= off95[h]);
    assert_true(off95[90] > 2 * off95[0]);
    assert_true(off95[149] > off95[99]);
    assert_true(off05[149] < off05[99]);
    ag__fc_calib_clear(&c);
    /* No residuals: zero offsets. */
    assert_int_equal(ag__fc_calib_build(&c, res, 0, hb), AG_OK);
    ag__fc_calib_offsets(&c, 0.95, off95, 10);
    assert_double_near(off95[9], 0, 0);
    ag__fc_calib_clear(&c);
    free(res);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_conformal_rank),
        cmocka_unit_test(test_buckets_widen),
        cmocka_unit_test(test_width_seasonal_naive),
        cmocka_unit_test(test_coverage_auto),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
