/*
 * tests/forecast/test_ets.c - the exponential smoothing models (ses, holt,
 * hw_add, hw_mul) called directly through their ag__fc_model interface:
 * known answers on noise-free series, golden outputs on a seeded noisy
 * series, weekly-season choice, and bad inputs that must not give NaN.
 */
#include <math.h>
#include "ag_test.h"
#include "forecast/model.h"
#include "forecast/optim.h"
#include "util/alloc.h"

#define PI 3.14159265358979323846

static const ag__fc_model *const models[] = {&ag__fc_model_ses, &ag__fc_model_holt,
                                             &ag__fc_model_hw_add, &ag__fc_model_hw_mul};

static ag__fc_ctx ctx_of(size_t period, size_t week)
{
    ag__fc_ctx c = {0};
    c.period = period;
    c.week = week;
    c.step_ms = 3600 * 1000;
    return c;
}

/* Deterministic standard-normal-ish noise (xorshift64 + Box-Muller). */
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

static void assert_rel(const double *got, const double *want, size_t h, double rel)
{
    for (size_t k = 0; k < h; k++)
        if (!(fabs(got[k] - want[k]) <= rel * fabs(want[k])))
            fail_msg("step %zu: got %.17g, want %.17g (relative tolerance %g)", k, got[k], want[k],
                     rel);
}

static void test_min_len(void **st)
{
    ag__fc_ctx c0 = ctx_of(0, 0), c24 = ctx_of(24, 0);
    double y[47] = {0}, out[4];
    (void)st;
    assert_int_equal(ag__fc_model_ses.min_len(&c0), 3);
    assert_int_equal(ag__fc_model_holt.min_len(&c0), 5);
    assert_int_equal(ag__fc_model_hw_add.min_len(&c0), 0);
    assert_int_equal(ag__fc_model_hw_mul.min_len(&c0), 0);
    assert_int_equal(ag__fc_model_hw_add.min_len(&c24), 48);
    assert_int_equal(ag__fc_model_hw_mul.min_len(&c24), 48);
    for (size_t i = 0; i < 47; i++)
        y[i] = (double)(i % 5);
    /* One point short of min_len is refused, not extrapolated. */
    assert_int_equal(ag__fc_model_ses.forecast(&c0, y, 2, 4, out), AG_ENODATA);
    assert_int_equal(ag__fc_model_holt.forecast(&c0, y, 4, 4, out), AG_ENODATA);
    assert_int_equal(ag__fc_model_hw_add.forecast(&c24, y, 47, 4, out), AG_ENODATA);
    assert_int_equal(ag__fc_model_hw_mul.forecast(&c24, y, 47, 4, out), AG_ENODATA);
    assert_int_equal(ag__fc_model_hw_add.forecast(&c0, y, 47, 4, out), AG_EINVAL);
    assert_int_equal(ag__fc_model_ses.forecast(&c0, y, 3, 4, out), AG_OK);
    assert_int_equal(ag__fc_model_holt.forecast(&c0, y, 5, 4, out), AG_OK);
}

/* A noise-free line: holt fits phi = 1 and extrapolates it exactly. */
static void test_holt_linear(void **st)
{
    ag__fc_ctx c = ctx_of(0, 0);
    double y[60], out[30], want[30];
    (void)st;
    for (size_t i = 0; i < 60; i++)
        y[i] = 5 + 0.7 * (double)i;
    for (size_t k = 0; k < 30; k++)
        want[k] = 5 + 0.7 * (double)(60 + k);
    assert_int_equal(ag__fc_model_holt.forecast(&c, y, 60, 30, out), AG_OK);
    assert_rel(out, want, 30, 1e-6);
    /* Falling and large: 1e9 bytes shrinking by 3 MB a step. */
    for (size_t i = 0; i < 60; i++)
        y[i] = 1e9 - 3e6 * (double)i;
    for (size_t k = 0; k < 30; k++)
        want[k] = 1e9 - 3e6 * (double)(60 + k);
    assert_int_equal(ag__fc_model_holt.forecast(&c, y, 60, 30, out), AG_OK);
    assert_rel(out, want, 30, 1e-6);
    /* hw_add has the same damped trend: a seasonal pattern on a line. */
    c = ctx_of(24, 0);
    double z[24 * 5], zo[48], zw[48];
    for (size_t i = 0; i < 24 * 5; i++)
        z[i] = 100 + 0.5 * (double)i + 10 * sin(2 * PI * (double)i / 24);
    for (size_t k = 0; k < 48; k++)
        zw[k] = 100 + 0.5 * (double)(120 + k) + 10 * sin(2 * PI * (double)(120 + k) / 24);
    assert_int_equal(ag__fc_model_hw_add.forecast(&c, z, 120, 48, zo), AG_OK);
    assert_rel(zo, zw, 48, 1e-6);
}

/* Level + additive daily pattern (with a spike hour) comes back exactly. */
static void test_hw_add_seasonal(void **st)
{
    ag__fc_ctx c = ctx_of(24, 0);
    double y[24 * 4], out[72], want[72];
    (void)st;
    for (size_t i = 0; i < 96; i++)
        y[i] = 2.5 + sin(2 * PI * (double)i / 24) + (i % 24 == 5 ? 3 : 0);
    for (size_t k = 0; k < 72; k++) {
        size_t t = 96 + k;
        want[k] = 2.5 + sin(2 * PI * (double)t / 24) + (t % 24 == 5 ? 3 : 0);
    }
    assert_int_equal(ag__fc_model_hw_add.forecast(&c, y, 96, 72, out), AG_OK);
    assert_rel(out, want, 72, 1e-6);
}

/* Level x multiplicative pattern (mean 1) comes back within 1e-3. */
static void test_hw_mul_seasonal(void **st)
{
    ag__fc_ctx c = ctx_of(24, 0);
    double y[24 * 5], out[48], want[48];
    (void)st;
    for (size_t i = 0; i < 120; i++)
        y[i] = 40 * (1 + 0.5 * sin(2 * PI * (double)i / 24));
    for (size_t k = 0; k < 48; k++)
        want[k] = 40 * (1 + 0.5 * sin(2 * PI * (double)(120 + k) / 24));
    assert_int_equal(ag__fc_model_hw_mul.forecast(&c, y, 120, 48, out), AG_OK);
    assert_rel(out, want, 48, 1e-3);
    /* The same pattern on a growing level: the amplitude grows too. */
    for (size_t i = 0; i < 120; i++)
        y[i] = (40 + 0.2 * (double)i) * (1 + 0.5 * sin(2 * PI * (double)i / 24));
    for (size_t k = 0; k < 48; k++) {
        double t = (double)(120 + k);
        want[k] = (40 + 0.2 * t) * (1 + 0.5 * sin(2 * PI * t / 24));
    }
    assert_int_equal(ag__fc_model_hw_mul.forecast(&c, y, 120, 48, out), AG_OK);
    assert_rel(out, want, 48, 2e-2);
}

static void test_constant(void **st)
{
    ag__fc_ctx c = ctx_of(24, 0);
    static const double levels[] = {3.25, 0, -7, 1e12};
    double y[100], out[50];
    (void)st;
    for (size_t v = 0; v < sizeof levels / sizeof levels[0]; v++) {
        for (size_t i = 0; i < 100; i++)
            y[i] = levels[v];
        for (size_t k = 0; k < 4; k++) {
            assert_int_equal(models[k]->forecast(&c, y, 100, 50, out), AG_OK);
            for (size_t j = 0; j < 50; j++)
                assert_true(out[j] == levels[v]);
        }
    }
}

/* ses forecasts flat, and follows a level shift (alpha fitted high). */
static void test_ses_level_shift(void **st)
{
    ag__fc_ctx c = ctx_of(0, 0);
    double y[80], out[10];
    (void)st;
    rng_state = 7;
    for (size_t i = 0; i < 80; i++)
        y[i] = (i < 40 ? 2 : 10) + 0.01 * nrand();
    assert_int_equal(ag__fc_model_ses.forecast(&c, y, 80, 10, out), AG_OK);
    for (size_t k = 0; k < 10; k++) {
        assert_true(out[k] == out[0]);
        assert_double_near(out[k], 10, 0.05);
    }
}

/* A weekday/weekend pattern: with ctx->week and three weeks of history,
 * hw_add and hw_mul must pick the weekly season and get the weekend right. */
static void test_weekly_choice(void **st)
{
    size_t day = 24, week = 7 * 24, n = 3 * week;
    ag__fc_ctx c = ctx_of(day, week), cd = ctx_of(day, 0);
    double y[3 * 7 * 24], out[7 * 24], want[7 * 24];
    (void)st;
    for (size_t i = 0; i < n + week; i++) {
        size_t d = (i / day) % 7;
        double v = (d >= 5 ? 2 : 6) + sin(2 * PI * (double)i / 24);
        if (i < n)
            y[i] = v;
        else
            want[i - n] = v;
    }
    for (size_t k = 2; k < 4; k++) {
        assert_int_equal(models[k]->forecast(&c, y, n, week, out), AG_OK);
        assert_rel(out, want, week, 1e-3);
        /* Without the week the daily season cannot see the weekend. */
        assert_int_equal(models[k]->forecast(&cd, y, n, week, out), AG_OK);
        double worst = 0;
        for (size_t j = 0; j < week; j++)
            worst = fmax(worst, fabs(out[j] - want[j]));
        assert_true(worst > 0.5);
    }
}

/* Fixed outputs on a seeded noisy daily series (level, trend, season, noise).
 * AG_GOLDEN_PRINT=1 prints the values instead, to regenerate the table
 * after a deliberate change of the models. */
static void test_golden(void **st)
{
    static const double golden[4][6] = {
        {12.1068711431, 12.1068711431, 12.1068711431, 12.1068711431, 12.1068711431, 12.1068711431},
        {12.30254786, 12.8004120948, 14.138181387, 15.0332310989, 15.4858978159, 15.5560685599},
        {12.7425521316, 13.6845078615, 16.018801306, 13.5803660493, 12.4558414368, 12.4880216734},
        {12.9631765873, 13.7106495966, 16.3291333954, 13.8044916376, 12.4793402006, 12.4806358637},
    };
    static const size_t at[6] = {0, 1, 5, 11, 23, 47};
    ag__fc_ctx c = ctx_of(24, 0);
    double y[24 * 7], out[48];
    (void)st;
    rng_state = 42;
    for (size_t i = 0; i < 24 * 7; i++)
        y[i] = 10 + 0.02 * (double)i + 3 * sin(2 * PI * (double)i / 24) + 0.5 * nrand();
    for (size_t k = 0; k < 4; k++) {
        assert_int_equal(models[k]->forecast(&c, y, 24 * 7, 48, out), AG_OK);
        for (size_t j = 0; j < 6; j++) {
            if (getenv("AG_GOLDEN_PRINT"))
                printf("%s[%zu] = %.12g\n", models[k]->name, at[j], out[at[j]]);
            else
                assert_double_near(out[at[j]], golden[k][j], 1e-6 * fabs(golden[k][j]));
        }
    }
}

/* Zeros, spikes, 1e12, negatives, alternating signs, denormals: all fit,
 * with finite output. */
static void test_nasty(void **st)
{
    enum { N = 24 * 4, H = 48 };
    ag__fc_ctx c = ctx_of(24, 0);
    double y[N], out[H];
    (void)st;
    for (int kind = 0; kind < 8; kind++) {
        for (size_t i = 0; i < N; i++) {
            switch (kind) {
            case 0:
                y[i] = 0;
                break;
            case 1:
                y[i] = i % 37 == 3 ? 1e12 : 0;
                break;
            case 2:
                y[i] = 1e12 + (double)(i % 24) * 1e11;
                break;
            case 3:
                y[i] = i % 2 ? -5 : 5;
                break;
            case 4:
                y[i] = i == N - 1 ? 1e12 : 1;
                break;
            case 5:
                y[i] = (double)(i % 3) * 4.9e-324;
                break;
            case 6:
                y[i] = i % 24 == 0 ? 1e15 : 1e-15;
                break;
            default:
                y[i] = -1e12 * (double)(i % 7);
                break;
            }
        }
        for (size_t k = 0; k < 4; k++) {
            memset(out, 0, sizeof out);
            ag_err rc = models[k]->forecast(&c, y, N, H, out);
            if (rc != AG_OK)
                fail_msg("kind %d model %s: rc %d", kind, models[k]->name, rc);
            for (size_t j = 0; j < H; j++)
                if (!isfinite(out[j]))
                    fail_msg("kind %d model %s: out[%zu] = %g", kind, models[k]->name, j, out[j]);
        }
    }
    /* A range beyond DBL_MAX: finite forecasts or a refusal, never inf. */
    for (size_t i = 0; i < N; i++)
        y[i] = i % 2 ? -1.5e308 : 1.5e308;
    for (size_t k = 0; k < 4; k++) {
        ag_err rc = models[k]->forecast(&c, y, N, H, out);
        assert_true(rc == AG_OK || rc == AG_ETOOBIG || rc == AG_ENODATA);
        for (size_t j = 0; rc == AG_OK && j < H; j++)
            assert_true(isfinite(out[j]));
    }
    /* Non-finite input is refused (models are meant to get clean series). */
    y[10] = NAN;
    for (size_t k = 0; k < 4; k++)
        assert_int_equal(models[k]->forecast(&c, y, N, H, out), AG_EINVAL);
}

static void test_oom(void **st)
{
    ag__fc_ctx c = ctx_of(24, 0);
    double y[96], out[4];
    (void)st;
    for (size_t i = 0; i < 96; i++)
        y[i] = (double)(i % 24);
    for (size_t k = 0; k < 4; k++) {
        ag__alloc_fail_after(1);
        assert_int_equal(models[k]->forecast(&c, y, 96, 4, out), AG_ENOMEM);
        ag__alloc_fail_after(0);
    }
}

static double rosenbrock(const double *x, void *arg)
{
    (void)arg;
    return 100 * (x[1] - x[0] * x[0]) * (x[1] - x[0] * x[0]) + (1 - x[0]) * (1 - x[0]);
}

static double bowl_outside(const double *x, void *arg)
{
    (void)arg;
    return (x[0] - 3) * (x[0] - 3) + (x[1] + 0.5) * (x[1] + 0.5);
}

/* The minimiser alone: an interior minimum, and one outside the box lands
 * exactly on the bounds. */
static void test_nelder_mead(void **st)
{
    double x[2] = {-1, 1}, lo[2] = {-2, -2}, hi[2] = {2, 2}, step[2] = {0.5, 0.5};
    (void)st;
    double f = ag__fc_nelder_mead(rosenbrock, NULL, 2, x, lo, hi, step, 2000, 1e-14);
    assert_true(f < 1e-6);
    assert_double_near(x[0], 1, 1e-2);
    assert_double_near(x[1], 1, 2e-2);
    double y[2] = {0.5, 0.5}, lo2[2] = {0, 0}, hi2[2] = {1, 1};
    f = ag__fc_nelder_mead(bowl_outside, NULL, 2, y, lo2, hi2, step, 200, 1e-12);
    assert_true(y[0] == 1 && y[1] == 0);
    assert_double_near(f, 4.25, 1e-12);
    assert_true(isnan(ag__fc_nelder_mead(rosenbrock, NULL, 0, x, lo, hi, step, 10, 0)));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_min_len),         cmocka_unit_test(test_holt_linear),
        cmocka_unit_test(test_hw_add_seasonal), cmocka_unit_test(test_hw_mul_seasonal),
        cmocka_unit_test(test_constant),        cmocka_unit_test(test_ses_level_shift),
        cmocka_unit_test(test_weekly_choice),   cmocka_unit_test(test_golden),
        cmocka_unit_test(test_nasty),           cmocka_unit_test(test_oom),
        cmocka_unit_test(test_nelder_mead),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
