/*
 * tests/forecast/test_spectral.c - period detection (ag__fc_detect_period)
 * and the spectral model: a noisy daily 5-minute series gives the day, a
 * period nobody proposed is found, white noise gives nothing (over many
 * seeds), a pure sine comes back with its period and amplitude within 1%,
 * and constant, zero, huge, NaN and short inputs give defined answers.
 */
#include <math.h>
#include "ag_test.h"
#include "forecast/model.h"
#include "util/alloc.h"

#define PI 3.14159265358979323846
#define DAY 288 /* 5-minute steps */
#define WEEK (7 * DAY)

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

/* A week of 5-minute CPU-like usage: a daily shape with a 12 h harmonic,
 * noise of the same size as the daily swing. */
static void daily_series(double *y, size_t n, uint64_t seed, double noise)
{
    rng_state = seed;
    for (size_t t = 0; t < n; t++) {
        double ph = 2 * PI * (double)t / DAY;
        y[t] = 5 + 2 * sin(ph) + 0.8 * sin(2 * ph + 1) + noise * nrand();
    }
}

static ag__fc_ctx ctx_of(size_t period)
{
    ag__fc_ctx c = {0};
    c.period = period;
    c.t0_ms = 1700000000000LL;
    c.step_ms = 300000;
    return c;
}

static void test_detect_daily_with_candidates(void **st)
{
    static double y[WEEK];
    const size_t cand[] = {DAY, WEEK};
    (void)st;
    for (uint64_t s = 1; s <= 5; s++) {
        daily_series(y, WEEK, s * 7919, 2.0);
        assert_int_equal(ag__fc_detect_period(y, WEEK, cand, 2, s), DAY);
    }
}

/* Nobody says "day": the FFT proposes a bin near it (bins 7 and 8 of
 * 2048 are 293 and 256 steps) and the ACF moves it onto the day. */
static void test_detect_daily_without_candidates(void **st)
{
    static double y[WEEK];
    (void)st;
    for (uint64_t s = 1; s <= 5; s++) {
        size_t p;
        daily_series(y, WEEK, s * 104729, 2.0);
        p = ag__fc_detect_period(y, WEEK, NULL, 0, s);
        if (!(p >= DAY - 3 && p <= DAY + 3))
            fail_msg("seed %llu: period %zu, want %d +- 3", (unsigned long long)s, p, DAY);
    }
    /* Golden: this seed's exact answer. */
    daily_series(y, WEEK, 42, 2.0);
    assert_int_equal(ag__fc_detect_period(y, WEEK, NULL, 0, 42), DAY);
}

/* A 100-step cycle while the caller only proposes the day and the week. */
static void test_detect_non_candidate_period(void **st)
{
    static double y[WEEK];
    const size_t cand[] = {DAY, WEEK};
    size_t p;
    (void)st;
    rng_state = 99;
    for (size_t t = 0; t < WEEK; t++)
        y[t] = 3 + sin(2 * PI * (double)t / 100) + 0.7 * nrand();
    p = ag__fc_detect_period(y, WEEK, cand, 2, 7);
    if (!(p >= 99 && p <= 101))
        fail_msg("period %zu, want 100 +- 1", p);
}

/* White noise: no period, for the default seed and rarely for any other. */
static void test_detect_white_noise(void **st)
{
    static double y[WEEK];
    const size_t cand[] = {DAY, WEEK};
    int hits = 0, hits_cand = 0;
    (void)st;
    rng_state = 2024;
    for (size_t t = 0; t < WEEK; t++)
        y[t] = 5 + nrand();
    assert_int_equal(ag__fc_detect_period(y, WEEK, NULL, 0, 0), 0);
    assert_int_equal(ag__fc_detect_period(y, WEEK, cand, 2, 0), 0);
    for (uint64_t s = 1; s <= 100; s++) {
        rng_state = s * 2654435761ULL;
        for (size_t t = 0; t < WEEK; t++)
            y[t] = 5 + nrand();
        hits += ag__fc_detect_period(y, WEEK, NULL, 0, s) != 0;
        hits_cand += ag__fc_detect_period(y, WEEK, cand, 2, s) != 0;
    }
    if (hits > 3 || hits_cand > 3)
        fail_msg("white noise: %d / 100 false periods (%d with candidates), want <= 3", hits,
                 hits_cand);
}

/* A random walk has a huge low-frequency spectrum but no period. */
static void test_detect_random_walk(void **st)
{
    static double y[WEEK];
    int hits = 0;
    (void)st;
    for (uint64_t s = 1; s <= 20; s++) {
        rng_state = s * 40503;
        y[0] = 10;
        for (size_t t = 1; t < WEEK; t++)
            y[t] = y[t - 1] + nrand();
        hits += ag__fc_detect_period(y, WEEK, NULL, 0, s) != 0;
    }
    if (hits > 2)
        fail_msg("random walk: %d / 20 false periods, want <= 2", hits);
}

/* A strong trend must not hide the season. */
static void test_detect_trend_and_season(void **st)
{
    static double y[WEEK];
    (void)st;
    daily_series(y, WEEK, 5, 1.0);
    for (size_t t = 0; t < WEEK; t++)
        y[t] += 0.01 * (double)t;
    assert_int_equal(ag__fc_detect_period(y, WEEK, (const size_t[]){DAY}, 1, 1), DAY);
    {
        size_t p = ag__fc_detect_period(y, WEEK, NULL, 0, 1);
        if (!(p >= DAY - 3 && p <= DAY + 3))
            fail_msg("period %zu, want %d +- 3", p, DAY);
    }
}

static void test_detect_bad_inputs(void **st)
{
    static double y[WEEK];
    const size_t cand[] = {DAY, 0, 1, 5000};
    (void)st;
    for (size_t t = 0; t < WEEK; t++)
        y[t] = 7.5;
    assert_int_equal(ag__fc_detect_period(y, WEEK, cand, 4, 0), 0); /* constant */
    for (size_t t = 0; t < WEEK; t++)
        y[t] = 0;
    assert_int_equal(ag__fc_detect_period(y, WEEK, cand, 4, 0), 0); /* zeros */
    for (size_t t = 0; t < WEEK; t++)
        y[t] = 3 - 0.25 * (double)t;
    assert_int_equal(ag__fc_detect_period(y, WEEK, cand, 4, 0), 0); /* a line */
    /* Huge and negative: scale-free, the day is found. */
    daily_series(y, WEEK, 3, 1.0);
    for (size_t t = 0; t < WEEK; t++)
        y[t] *= -1e300;
    assert_int_equal(ag__fc_detect_period(y, WEEK, cand, 4, 0), DAY);
    y[100] = NAN;
    assert_int_equal(ag__fc_detect_period(y, WEEK, cand, 4, 0), 0);
    y[100] = INFINITY;
    assert_int_equal(ag__fc_detect_period(y, WEEK, cand, 4, 0), 0);
    assert_int_equal(ag__fc_detect_period(NULL, WEEK, cand, 4, 0), 0);
    assert_int_equal(ag__fc_detect_period(y, 5, cand, 4, 0), 0);
    /* Candidates that cannot fit twice: ignored, nothing else to find. */
    daily_series(y, 500, 3, 0.0);
    assert_int_equal(ag__fc_detect_period(y, 500, (const size_t[]){DAY}, 1, 0), 0);
    ag__alloc_fail_after(1);
    assert_int_equal(ag__fc_detect_period(y, WEEK, cand, 4, 0), 0);
    ag__alloc_fail_after(0);
}

/* The known answer: a pure sine gives back its period and its
 * amplitude within 1%. */
static void test_spectral_pure_sine(void **st)
{
    static double y[WEEK], out[2 * DAY];
    const double amp = 3.0, level = 10.0;
    ag__fc_ctx c;
    double mx = -INFINITY, mn = INFINITY;
    (void)st;
    for (size_t t = 0; t < WEEK; t++)
        y[t] = level + amp * sin(2 * PI * (double)t / DAY);
    c = ctx_of(ag__fc_detect_period(y, WEEK, NULL, 0, 0));
    assert_int_equal(c.period, DAY);
    assert_int_equal(ag__fc_model_spectral.forecast(&c, y, WEEK, 2 * DAY, out), AG_OK);
    for (size_t i = 0; i < 2 * DAY; i++) {
        mx = fmax(mx, out[i]);
        mn = fmin(mn, out[i]);
        assert_double_near(out[i], level + amp * sin(2 * PI * (double)(WEEK + i) / DAY), 1e-9);
    }
    assert_double_near((mx - mn) / 2, amp, 0.01 * amp);
    assert_double_near((mx + mn) / 2, level, 0.01 * level);
}

/* Noise of half the amplitude: the harmonics above the noise survive and
 * the forecast is closer to the true shape than the last day repeated. */
static void test_spectral_noisy_beats_last_day(void **st)
{
    static double y[WEEK + DAY], out[DAY];
    ag__fc_ctx c = ctx_of(DAY);
    double e_sp = 0, e_naive = 0;
    (void)st;
    daily_series(y, WEEK + DAY, 11, 1.0);
    assert_int_equal(ag__fc_model_spectral.forecast(&c, y, WEEK, DAY, out), AG_OK);
    for (size_t i = 0; i < DAY; i++) {
        double ph = 2 * PI * (double)(WEEK + i) / DAY;
        double truth = 5 + 2 * sin(ph) + 0.8 * sin(2 * ph + 1);
        e_sp += fabs(out[i] - truth);
        e_naive += fabs(y[WEEK - DAY + i] - truth);
    }
    e_sp /= DAY, e_naive /= DAY;
    if (!(e_sp < 0.5 * e_naive) || !(e_sp < 0.3))
        fail_msg("spectral MAE to the truth %.4f, seasonal naive %.4f", e_sp, e_naive);
}

/* A non-power-of-two period and a mean shift in the last period: the
 * level follows the last period. */
static void test_spectral_level_and_odd_period(void **st)
{
    static double y[700], out[100];
    ag__fc_ctx c = ctx_of(100);
    (void)st;
    for (size_t t = 0; t < 700; t++)
        y[t] = (t >= 600 ? 20 : 10) + cos(2 * PI * (double)t / 100);
    assert_int_equal(ag__fc_model_spectral.forecast(&c, y, 700, 100, out), AG_OK);
    for (size_t i = 0; i < 100; i++)
        assert_double_near(out[i], 20 + cos(2 * PI * (double)i / 100), 1e-9);
}

static void test_spectral_min_len_and_bad_inputs(void **st)
{
    static double y[WEEK], out[DAY];
    ag__fc_ctx c0 = ctx_of(0), c = ctx_of(DAY);
    (void)st;
    assert_int_equal(ag__fc_model_spectral.min_len(&c0), 0);
    assert_int_equal(ag__fc_model_spectral.min_len(&c), 2 * DAY);
    assert_int_equal(ag__fc_model_spectral.forecast(&c0, y, WEEK, DAY, out), AG_ENODATA);
    assert_int_equal(ag__fc_model_spectral.forecast(&c, y, 2 * DAY - 1, DAY, out), AG_ENODATA);
    assert_int_equal(ag__fc_model_spectral.forecast(&c, NULL, WEEK, DAY, out), AG_EINVAL);
    /* Zeros, constant, huge: finite, exact where the answer is known. */
    assert_int_equal(ag__fc_model_spectral.forecast(&c, y, WEEK, DAY, out), AG_OK);
    for (size_t i = 0; i < DAY; i++)
        assert_true(out[i] == 0);
    for (size_t t = 0; t < WEEK; t++)
        y[t] = 4.25;
    assert_int_equal(ag__fc_model_spectral.forecast(&c, y, WEEK, DAY, out), AG_OK);
    for (size_t i = 0; i < DAY; i++)
        assert_double_near(out[i], 4.25, 1e-12);
    daily_series(y, WEEK, 8, 1.0);
    for (size_t t = 0; t < WEEK; t++)
        y[t] *= 1e305;
    assert_int_equal(ag__fc_model_spectral.forecast(&c, y, WEEK, DAY, out), AG_OK);
    for (size_t i = 0; i < DAY; i++)
        assert_true(isfinite(out[i]) && out[i] > 0);
    y[WEEK - 1] = NAN;
    assert_int_equal(ag__fc_model_spectral.forecast(&c, y, WEEK, DAY, out), AG_EINVAL);
    daily_series(y, WEEK, 8, 1.0);
    ag__alloc_fail_after(1);
    assert_int_equal(ag__fc_model_spectral.forecast(&c, y, WEEK, DAY, out), AG_ENOMEM);
    ag__alloc_fail_after(0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_detect_daily_with_candidates),
        cmocka_unit_test(test_detect_daily_without_candidates),
        cmocka_unit_test(test_detect_non_candidate_period),
        cmocka_unit_test(test_detect_white_noise),
        cmocka_unit_test(test_detect_random_walk),
        cmocka_unit_test(test_detect_trend_and_season),
        cmocka_unit_test(test_detect_bad_inputs),
        cmocka_unit_test(test_spectral_pure_sine),
        cmocka_unit_test(test_spectral_noisy_beats_last_day),
        cmocka_unit_test(test_spectral_level_and_odd_period),
        cmocka_unit_test(test_spectral_min_len_and_bad_inputs),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
