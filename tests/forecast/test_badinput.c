/*
 * tests/forecast/test_badinput.c - inputs that must give a defined
 * forecast and a reason, never NaN or Inf: all missing, empty, one point,
 * constant, enormous, negative, infinite, mostly missing, and random
 * garbage bit patterns.
 */
#include <float.h>
#include "fc_util.h"

static void run(const double *v, size_t n, size_t H, const char *model, ag_forecast *f)
{
    ag_fc_series s = fc_series(v, n);
    ag_fc_request req;
    ag_errinfo ei = {{0}};
    ag_err rc;

    ag_fc_request_default(&req, H);
    req.model = model;
    rc = ag_forecast_series(&s, &req, f, &ei);
    if (rc != AG_OK)
        fail_msg("n=%zu H=%zu: %s", n, H, ag_errinfo_str(&ei, rc));
    fc_check_sane(f, H);
}

static void test_all_missing(void **st)
{
    double v[50];
    ag_forecast f;
    (void)st;
    for (size_t i = 0; i < 50; i++)
        v[i] = i % 2 ? NAN : INFINITY;
    run(v, 50, 10, NULL, &f);
    assert_non_null(strstr(f.reason, "no finite value"));
    for (size_t i = 0; i < 10 * f.nq; i++)
        assert_true(f.q[i] == 0);
    ag_forecast_clear(&f);
    run(NULL, 0, 3, NULL, &f); /* empty */
    assert_true(f.mean[2] == 0);
    assert_non_null(strstr(f.reason, "no finite value"));
    ag_forecast_clear(&f);
}

static void test_short(void **st)
{
    double v[5] = {NAN, 7.5, NAN, NAN, NAN};
    double w[5] = {3, 4, 3, 5, 4};
    ag_forecast f;
    (void)st;
    run(v, 5, 4, NULL, &f); /* one value, then missing: held */
    assert_double_near(f.mean[3], 7.5, 0);
    assert_double_near(f.q[(f.nq - 1) * 4 + 3], 7.5, 0);
    assert_non_null(strstr(f.reason, "leading"));
    ag_forecast_clear(&f);
    run(v + 1, 1, 4, "ar", &f); /* one point */
    assert_non_null(strstr(f.reason, "one point"));
    assert_double_near(f.mean[0], 7.5, 0);
    ag_forecast_clear(&f);
    run(w, 5, 4, NULL, &f); /* too short to backtest: a band anyway */
    assert_non_null(strstr(f.reason, "too short"));
    assert_double_near(f.mean[0], 4, 0);
    assert_true(f.q[(f.nq - 1) * 4 + 3] > f.q[(f.nq - 1) * 4]);
    ag_forecast_clear(&f);
}

static void test_constant(void **st)
{
    double v[2000];
    ag_forecast f;
    (void)st;
    for (size_t i = 0; i < 2000; i++)
        v[i] = i == 100 ? NAN : 0.25;
    run(v, 2000, 288, NULL, &f);
    assert_non_null(strstr(f.reason, "constant"));
    for (size_t i = 0; i < 288 * f.nq; i++)
        assert_double_near(f.q[i], 0.25, 0);
    assert_double_near(f.mean[287], 0.25, 0);
    ag_forecast_clear(&f);
    for (size_t i = 0; i < 2000; i++)
        v[i] = 0;
    run(v, 2000, 12, "hw_mul", &f);
    assert_non_null(strstr(f.reason, "constant"));
    assert_true(f.q[12 * f.nq - 1] == 0);
    ag_forecast_clear(&f);
}

/* Enormous and negative values: scaled, clamped, finite. */
static void test_extremes(void **st)
{
    size_t n = 3 * FC_DAY;
    double *v = malloc(n * sizeof *v);
    ag_forecast f;
    (void)st;
    for (size_t i = 0; i < n; i++)
        v[i] = 1e300 * fc_daily(i);
    run(v, n, 48, NULL, &f);
    assert_true(f.mean[0] > 1e299 && f.mean[0] < 1e301);
    ag_forecast_clear(&f);
    for (size_t i = 0; i < n; i++)
        v[i] = (i % 2) ? DBL_MAX : DBL_MAX / 3;
    run(v, n, 48, NULL, &f);
    ag_forecast_clear(&f);
    /* A steep climb to the top of the doubles: drift must not overflow. */
    for (size_t i = 0; i < n; i++)
        v[i] = DBL_MAX / (double)n * (double)(i + 1);
    run(v, n, 2000, "drift", &f);
    assert_true(f.mean[1999] <= DBL_MAX);
    ag_forecast_clear(&f);
    for (size_t i = 0; i < n; i++)
        v[i] = fc_daily(i) - 2.5; /* partly negative */
    run(v, n, 12, NULL, &f);
    assert_non_null(strstr(f.reason, "negative values clamped to 0"));
    ag_forecast_clear(&f);
    for (size_t i = 0; i < n; i++)
        v[i] = -1 - (double)i; /* all negative: all zero, constant */
    run(v, n, 12, NULL, &f);
    assert_non_null(strstr(f.reason, "constant"));
    assert_true(f.mean[0] == 0);
    ag_forecast_clear(&f);
    for (size_t i = 0; i < n; i++)
        v[i] = (i % 97 == 0) ? INFINITY : (i % 89 == 0) ? -INFINITY : 1e-300 * fc_daily(i);
    run(v, n, 12, NULL, &f);
    assert_non_null(strstr(f.reason, "interpolated"));
    ag_forecast_clear(&f);
    free(v);
}

/* Random bit patterns (NaN, Inf, denormals, huge) and random mixes of
 * ordinary values, over lengths, horizons and every model name. */
static void test_garbage(void **st)
{
    static double v[1500];
    const char *const *names = ag_fc_model_names();
    fc_rng r = {2024};
    (void)st;
    for (int it = 0; it < 60; it++) {
        size_t n = (size_t)(fc_urand(&r) * 1500), H = 1 + (size_t)(fc_urand(&r) * 300);
        const char *model = it % 3 == 0 ? NULL : names[(size_t)it % 11];
        ag_forecast f;
        for (size_t i = 0; i < n; i++) {
            uint64_t bits = r.s;
            fc_urand(&r);
            switch (it % 4) {
            case 0:
                memcpy(&v[i], &bits, sizeof bits);
                break;
            case 1:
                v[i] = fc_urand(&r) < 0.3 ? NAN : 1e6 * fc_nrand(&r);
                break;
            case 2:
                v[i] = fc_urand(&r) < 0.01 ? 1e308 : fc_daily(i) * fc_urand(&r);
                break;
            default:
                v[i] = (i / 50) % 2 ? NAN : (double)(i % 7);
            }
        }
        run(v, n, H, model, &f);
        ag_forecast_clear(&f);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_all_missing), cmocka_unit_test(test_short),
        cmocka_unit_test(test_constant),    cmocka_unit_test(test_extremes),
        cmocka_unit_test(test_garbage),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
