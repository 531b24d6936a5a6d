/*
 * tests/forecast/test_calibration.c - conformal calibration: on a series
 * with known Gaussian noise the p95 sits where the noise says, and on
 * held-out data it is exceeded about 5% of the time (fixed seeds, many
 * replications). Also the conformal order statistic, the horizon
 * buckets and the selection-aware residuals of `auto` directly.
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

/* Every bucket comes out sorted, ties and reversed runs included, with
 * the same residuals it was given (the sort is conformal.c's own). */
static void test_buckets_sorted(void **st)
{
    size_t k = 7, hb = 200;
    double *res = malloc(k * hb * sizeof *res), in = 0, got = 0;
    ag__fc_calib c;
    fc_rng r = {9};
    (void)st;
    for (size_t i = 0; i < k * hb; i++) {
        res[i] = i % 3 == 0 ? (double)(i % 5) : i % 3 == 1 ? -(double)i : fc_nrand(&r);
        in += res[i];
    }
    assert_int_equal(ag__fc_calib_build(&c, res, k, hb), AG_OK);
    for (size_t b = 0; b < c.nb; b++) {
        const double *x = c.res + k * c.start[b];
        size_t n = k * (c.start[b + 1] - c.start[b]);
        for (size_t i = 1; i < n; i++)
            assert_true(x[i - 1] <= x[i]);
    }
    for (size_t i = 0; i < k * hb; i++)
        got += c.res[i];
    assert_double_near(got, in, 1e-6 * fabs(in) + 1e-9);
    ag__fc_calib_clear(&c);
    free(res);
}

/* The choice residuals come, at each origin, from the model chosen on the
 * other origins. A is perfect except at origin 2, B is off by 1
 * everywhere: on all of them B wins (its band at +1 costs nothing, A's at
 * +5 does), so the winner's own band is +1; left out, origin 2 goes to A,
 * whose error there is 5, and the band of the choice says 5. */
static void test_choice_residuals(void **st)
{
    enum { K = 5, HB = 12 };
    double a[K * HB], b[K * HB], out[K * HB], off[HB];
    const double *res[2] = {a, b};
    uint64_t ran[2] = {0x1f, 0x1f};
    size_t n = 0, at2 = 0;
    ag__fc_calib c;
    (void)st;
    for (size_t i = 0; i < K * HB; i++) {
        a[i] = i / HB == 2 ? 5.0 : 0.0;
        b[i] = 1.0;
    }
    assert_int_equal(ag__fc_choice_residuals(res, ran, 2, K, HB, AG_FC_LOSS_PINBALL, 0.95, out, &n),
                     AG_OK);
    assert_int_equal(n, K);
    for (size_t i = 0; i < K * HB; i++) {
        assert_true(out[i] == (i / HB == 2 ? 5.0 : 1.0));
        at2 += out[i] == 5.0;
    }
    assert_int_equal(at2, HB);
    assert_int_equal(ag__fc_calib_build(&c, out, n, HB), AG_OK);
    ag__fc_calib_offsets(&c, 0.95, off, HB);
    assert_double_near(off[0], 5.0, 0);
    ag__fc_calib_clear(&c);
    /* An origin no model ran at yields no row; by MAE too, A wins only
     * the fold without origin 2 (MAE 0 against B's 1). */
    ran[0] = ran[1] = 0x1e;
    assert_int_equal(ag__fc_choice_residuals(res, ran, 2, K, HB, AG_FC_LOSS_MAE, 0.95, out, &n),
                     AG_OK);
    assert_int_equal(n, K - 1);
    assert_true(out[1 * HB] == 5.0); /* the second row is origin 2 */
    assert_true(out[0] == 1.0 && out[3 * HB] == 1.0);
}

/* Pinball loss at q of residuals r[0..n) against offsets off[i % hb]. */
static double pinball(const double *r, size_t n, size_t hb, const double *off, double q)
{
    double s = 0;
    for (size_t i = 0; i < n; i++) {
        double u = r[i] - off[i % hb];
        s += u >= 0 ? q * u : (q - 1) * u;
    }
    return s / (double)n;
}

/* Selection bias: ten equally good models (N(0, 1) errors, 5 origins x
 * 12 steps); the one with the lowest backtest pinball has a p95 band from
 * its own residuals that covers fresh errors clearly less than 95% of the
 * time. The band from the choice residuals is back at 95% or above. */
static void test_choice_selection_bias(void **st)
{
    enum { M = 10, K = 5, HB = 12, REPS = 400 };
    static double r[M][K * HB];
    double out[K * HB], off[HB];
    const double *res[M];
    uint64_t ran[M];
    double own = 0, sel = 0;
    fc_rng g = {77};
    (void)st;
    for (int rep = 0; rep < REPS; rep++) {
        ag__fc_calib c;
        double best = INFINITY, best_off = 0;
        size_t n;
        for (size_t m = 0; m < M; m++) {
            double l;
            for (size_t i = 0; i < K * HB; i++)
                r[m][i] = fc_nrand(&g);
            res[m] = r[m];
            ran[m] = (1u << K) - 1;
            assert_int_equal(ag__fc_calib_build(&c, r[m], K, HB), AG_OK);
            ag__fc_calib_offsets(&c, 0.95, off, HB);
            ag__fc_calib_clear(&c);
            l = pinball(r[m], K * HB, HB, off, 0.95);
            if (l < best) {
                best = l;
                best_off = off[0];
            }
        }
        /* P(N(0, 1) <= x) = erfc(-x / sqrt(2)) / 2 */
        own += 0.5 * erfc(-best_off / sqrt(2));
        assert_int_equal(
            ag__fc_choice_residuals(res, ran, M, K, HB, AG_FC_LOSS_PINBALL, 0.95, out, &n), AG_OK);
        assert_int_equal(n, K);
        assert_int_equal(ag__fc_calib_build(&c, out, n, HB), AG_OK);
        ag__fc_calib_offsets(&c, 0.95, off, HB);
        ag__fc_calib_clear(&c);
        sel += 0.5 * erfc(-off[0] / sqrt(2));
    }
    own /= REPS;
    sel /= REPS;
    printf("selection bias: winner's own p95 covers %.4f, choice residuals' %.4f\n", own, sel);
    assert_true(own < 0.94);
    assert_true(sel >= 0.945);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_conformal_rank),
        cmocka_unit_test(test_buckets_widen),
        cmocka_unit_test(test_buckets_sorted),
        cmocka_unit_test(test_choice_residuals),
        cmocka_unit_test(test_choice_selection_bias),
        cmocka_unit_test(test_width_seasonal_naive),
        cmocka_unit_test(test_coverage_auto),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
