/*
 * tests/forecast/test_ar.c - the autoregression with calendar features:
 * it recovers the coefficient of an AR(1) process, uses the seasonal and
 * calendar terms to beat the naive forecast on a daily pattern, picks its
 * terms from what the history supports, and gives finite, defined
 * forecasts for constant, zero, huge, explosive and short inputs.
 */
#include <math.h>
#include "ag_test.h"
#include "forecast/ar.h"
#include "forecast/model.h"
#include "util/alloc.h"

#define PI 3.14159265358979323846
#define DAY 288
#define WEEK (7 * DAY)
#define T0 1700006400000LL /* 2023-11-15 00:00 UTC */

static uint64_t rng_state;
static double urand(void)
{
    rng_state ^= rng_state << 13;
    rng_state ^= rng_state >> 7;
    rng_state ^= rng_state << 17;
    return ((double)(rng_state >> 11) + 0.5) / 9007199254740992.0;
}
static double nrand(void)
{
    double u = urand(), v = urand();
    return sqrt(-2 * log(u)) * cos(2 * PI * v);
}

static ag__fc_ctx ctx_of(size_t period, size_t week, int64_t step_ms)
{
    ag__fc_ctx c = {0};
    c.period = period;
    c.week = week;
    c.t0_ms = T0;
    c.step_ms = step_ms;
    return c;
}

static void test_ar1_coefficient(void **st)
{
    static double y[WEEK];
    const double phis[] = {0.7, -0.4, 0.95};
    (void)st;
    for (size_t k = 0; k < 3; k++) {
        ag__fc_ctx c = ctx_of(0, 0, 300000);
        ag__fc_ar_info info;
        rng_state = 77 + k;
        y[0] = 0;
        for (size_t t = 1; t < WEEK; t++)
            y[t] = phis[k] * y[t - 1] + nrand();
        for (size_t t = 0; t < WEEK; t++)
            y[t] += 50; /* a level the intercept must absorb */
        assert_int_equal(ag__fc_ar_fit(&c, y, WEEK, &info), AG_OK);
        assert_int_equal(info.nlags, 3);
        assert_int_equal(info.lag[0], 1);
        assert_int_equal(info.hod, 3); /* a week of 5-minute rows */
        assert_int_equal(info.dow, 0); /* needs two weeks of rows */
        assert_int_equal(info.rows, WEEK - 3);
        /* Standard error sqrt((1 - phi^2) / n) <= 0.022: allow ~3.5 of it. */
        assert_double_near(info.coef[0], phis[k], 0.08);
        assert_double_near(info.coef[1], 0, 0.08);
        assert_double_near(info.coef[2], 0, 0.08);
    }
}

/* One step ahead of an AR(1) is phi (y - mean) + mean; far ahead, the mean. */
static void test_ar1_forecast_decays_to_mean(void **st)
{
    static double y[WEEK], out[200];
    ag__fc_ctx c = ctx_of(0, 0, 0); /* no step: no calendar terms */
    double mean = 0;
    (void)st;
    rng_state = 5;
    y[0] = 0;
    for (size_t t = 1; t < WEEK; t++)
        y[t] = 0.8 * y[t - 1] + nrand();
    y[WEEK - 1] = 6; /* a shock at the end */
    for (size_t t = 0; t < WEEK; t++)
        mean += y[t] / WEEK;
    assert_int_equal(ag__fc_model_ar.forecast(&c, y, WEEK, 200, out), AG_OK);
    assert_double_near(out[0], mean + 0.8 * (6 - mean), 0.6);
    assert_double_near(out[199], mean, 0.15);
    for (size_t i = 1; i < 200; i++)
        assert_true(out[i] <= out[i - 1] + 0.05); /* monotone decay, no oscillation */
}

/* A daily pattern with autocorrelated noise: trained on a week, the AR
 * forecast of the next day beats the naive one (last value repeated) by a
 * wide margin and uses the period lag and the hour-of-day terms. */
static void test_ar_daily_beats_naive(void **st)
{
    static double y[WEEK + DAY], out[DAY];
    ag__fc_ctx c = ctx_of(DAY, 0, 300000);
    ag__fc_ar_info info;
    double e_ar = 0, e_naive = 0, noise = 0;
    (void)st;
    rng_state = 31;
    for (size_t t = 0; t < WEEK + DAY; t++) {
        double ph = 2 * PI * (double)t / DAY;
        noise = 0.6 * noise + 0.3 * nrand();
        y[t] = 4 + 2 * sin(ph) + cos(3 * ph) + noise;
    }
    assert_int_equal(ag__fc_ar_fit(&c, y, WEEK, &info), AG_OK);
    assert_int_equal(info.nlags, 4);
    assert_int_equal(info.lag[3], DAY);
    assert_int_equal(info.hod, 3);
    assert_int_equal(ag__fc_model_ar.forecast(&c, y, WEEK, DAY, out), AG_OK);
    for (size_t i = 0; i < DAY; i++) {
        e_ar += fabs(out[i] - y[WEEK + i]);
        e_naive += fabs(y[WEEK - 1] - y[WEEK + i]);
    }
    e_ar /= DAY, e_naive /= DAY;
    if (!(e_ar < 0.4 * e_naive) || !(e_ar < 0.5))
        fail_msg("AR MAE %.4f, naive MAE %.4f", e_ar, e_naive);
}

/* The calendar alone: no period in the context, an hour-of-day pattern
 * with the noise of a real series; the hour terms carry the forecast. */
static void test_ar_calendar_terms(void **st)
{
    static double y[3 * DAY + DAY], out[DAY];
    ag__fc_ctx c = ctx_of(0, 0, 300000);
    double e_ar = 0, e_naive = 0;
    (void)st;
    rng_state = 8;
    for (size_t t = 0; t < 4 * DAY; t++)
        y[t] = 10 + 3 * cos(2 * PI * (double)t / DAY) + 0.5 * nrand();
    assert_int_equal(ag__fc_model_ar.forecast(&c, y, 3 * DAY, DAY, out), AG_OK);
    for (size_t i = 0; i < DAY; i++) {
        e_ar += fabs(out[i] - y[3 * DAY + i]);
        e_naive += fabs(y[3 * DAY - 1] - y[3 * DAY + i]);
    }
    if (!(e_ar < 0.3 * e_naive))
        fail_msg("AR MAE %.4f, naive MAE %.4f", e_ar / DAY, e_naive / DAY);
}

/* Two weeks of 5-minute rows are capped at the recent window; hourly
 * steps over five weeks bring the day-of-week terms and the weekly lag. */
static void test_ar_term_choice(void **st)
{
    static double y[5 * 168];
    ag__fc_ctx c = ctx_of(24, 168, 3600000);
    ag__fc_ar_info info;
    (void)st;
    rng_state = 3;
    for (size_t t = 0; t < 5 * 168; t++)
        y[t] = 1 + sin(2 * PI * (double)t / 24) + (t % 168 >= 120 ? -0.5 : 0) + 0.1 * nrand();
    assert_int_equal(ag__fc_ar_fit(&c, y, 5 * 168, &info), AG_OK);
    assert_int_equal(info.nlags, 5);
    assert_int_equal(info.lag[3], 24);
    assert_int_equal(info.lag[4], 168);
    assert_int_equal(info.rows, 4 * 168);
    assert_int_equal(info.hod, 3);
    assert_int_equal(info.dow, 3);
    /* Too short for the weekly lag: dropped, not an error. */
    assert_int_equal(ag__fc_ar_fit(&c, y, 168 + 10, &info), AG_OK);
    assert_int_equal(info.nlags, 4);
    assert_int_equal(info.dow, 0);
    assert_int_equal(ag__fc_model_ar.min_len(&c), 27);
}

static void assert_all(const double *out, size_t h, double want)
{
    for (size_t i = 0; i < h; i++)
        assert_true(out[i] == want);
}

static void test_ar_nasty_inputs(void **st)
{
    static double y[WEEK], out[WEEK];
    ag__fc_ctx c = ctx_of(DAY, 0, 300000);
    ag__fc_ar_info info;
    (void)st;
    /* Zeros and a constant: repeated exactly, flagged constant. */
    assert_int_equal(ag__fc_model_ar.forecast(&c, y, WEEK, WEEK, out), AG_OK);
    assert_all(out, WEEK, 0);
    for (size_t t = 0; t < WEEK; t++)
        y[t] = 0.3;
    assert_int_equal(ag__fc_model_ar.forecast(&c, y, WEEK, WEEK, out), AG_OK);
    assert_all(out, WEEK, 0.3);
    assert_int_equal(ag__fc_ar_fit(&c, y, WEEK, &info), AG_OK);
    assert_true(info.constant);
    /* Huge and negative values: finite, within the widened range. */
    rng_state = 4;
    for (size_t t = 0; t < WEEK; t++)
        y[t] = -1e300 * (2 + sin(2 * PI * (double)t / DAY) + 0.1 * nrand());
    assert_int_equal(ag__fc_model_ar.forecast(&c, y, WEEK, WEEK, out), AG_OK);
    for (size_t i = 0; i < WEEK; i++)
        assert_true(isfinite(out[i]) && out[i] < 0 && out[i] > -5e300);
    /* Exponential growth: the recursive forecast would explode; clamped. */
    for (size_t t = 0; t < 200; t++)
        y[t] = pow(1.05, (double)t);
    c = ctx_of(0, 0, 300000);
    assert_int_equal(ag__fc_model_ar.forecast(&c, y, 200, WEEK, out), AG_OK);
    for (size_t i = 0; i < WEEK; i++)
        assert_true(isfinite(out[i]) && out[i] <= 1.5 * pow(1.05, 199) + 1);
    /* Alternating spikes. */
    for (size_t t = 0; t < WEEK; t++)
        y[t] = t % 2 ? 1e9 : 0;
    assert_int_equal(ag__fc_model_ar.forecast(&c, y, WEEK, 100, out), AG_OK);
    assert_double_near(out[0], 0, 1e-3 * 1e9); /* the ridge shrinks a little */
    assert_double_near(out[1], 1e9, 1e-3 * 1e9);
    /* Short, NaN, NULL. */
    assert_int_equal(ag__fc_model_ar.forecast(&c, y, 26, 5, out), AG_ENODATA);
    assert_int_equal(ag__fc_model_ar.forecast(&c, y, 27, 5, out), AG_OK);
    y[50] = NAN;
    assert_int_equal(ag__fc_model_ar.forecast(&c, y, WEEK, 5, out), AG_EINVAL);
    assert_int_equal(ag__fc_model_ar.forecast(&c, NULL, WEEK, 5, out), AG_EINVAL);
    assert_int_equal(ag__fc_model_ar.forecast(&c, y, WEEK, 5, NULL), AG_EINVAL);
    y[50] = 0;
    ag__alloc_fail_after(1);
    assert_int_equal(ag__fc_model_ar.forecast(&c, y, WEEK, 5, out), AG_ENOMEM);
    ag__alloc_fail_after(0);
}

/* Golden output on a seeded series (fixes the design, the ridge and the
 * solver; update deliberately if the model changes). */
static void test_ar_golden(void **st)
{
    static double y[2 * DAY], out[3];
    ag__fc_ctx c = ctx_of(DAY, 0, 300000);
    (void)st;
    rng_state = 1234;
    for (size_t t = 0; t < 2 * DAY; t++)
        y[t] = 2 + sin(2 * PI * (double)t / DAY) + 0.2 * nrand();
    assert_int_equal(ag__fc_model_ar.forecast(&c, y, 2 * DAY, 3, out), AG_OK);
    assert_double_near(out[0], 1.9741520887447652, 1e-9);
    assert_double_near(out[1], 1.9708092362926037, 1e-9);
    assert_double_near(out[2], 1.9494462154643222, 1e-9);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_ar1_coefficient),      cmocka_unit_test(test_ar1_forecast_decays_to_mean),
        cmocka_unit_test(test_ar_daily_beats_naive), cmocka_unit_test(test_ar_calendar_terms),
        cmocka_unit_test(test_ar_term_choice),       cmocka_unit_test(test_ar_nasty_inputs),
        cmocka_unit_test(test_ar_golden),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
