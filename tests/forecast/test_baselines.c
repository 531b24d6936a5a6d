/*
 * tests/forecast/test_baselines.c - seasonal naive and drift: exact on
 * the series they model (a repeating season, a straight line), directly
 * through the model interface and through ag_forecast_series.
 */
#include "fc_util.h"
#include "forecast/model.h"

static void test_seasonal_naive_direct(void **st)
{
    const ag__fc_model *m = &ag__fc_model_seasonal_naive;
    ag__fc_ctx ctx = {0};
    double y[40], out[25];
    (void)st;
    for (size_t i = 0; i < 40; i++)
        y[i] = (double)(i % 7) * 1.5 + (double)(i / 7) * 0.01;
    assert_int_equal(m->min_len(&ctx), 1);
    /* No period: the last value. */
    assert_int_equal(m->forecast(&ctx, y, 40, 25, out), AG_OK);
    for (size_t h = 0; h < 25; h++)
        assert_true(out[h] == y[39]);
    /* Period 7: the last 7 values repeated. */
    ctx.period = 7;
    assert_int_equal(m->forecast(&ctx, y, 40, 25, out), AG_OK);
    for (size_t h = 0; h < 25; h++)
        assert_true(out[h] == y[33 + h % 7]);
    /* The week wins once two of them are known, not before. */
    ctx.week = 14;
    assert_int_equal(m->forecast(&ctx, y, 27, 25, out), AG_OK);
    assert_true(out[0] == y[20] && out[6] == y[26] && out[7] == y[20]);
    assert_int_equal(m->forecast(&ctx, y, 40, 25, out), AG_OK);
    for (size_t h = 0; h < 25; h++)
        assert_true(out[h] == y[26 + h % 14]);
    /* One point: that point. */
    assert_int_equal(m->forecast(&ctx, y, 1, 3, out), AG_OK);
    assert_true(out[2] == y[0]);
}

static void test_drift_direct(void **st)
{
    const ag__fc_model *m = &ag__fc_model_drift;
    ag__fc_ctx ctx = {0};
    double y[50], out[30];
    (void)st;
    for (size_t i = 0; i < 50; i++)
        y[i] = 3.0 + 0.25 * (double)i;
    assert_int_equal(m->min_len(&ctx), 2);
    assert_int_equal(m->forecast(&ctx, y, 50, 30, out), AG_OK);
    for (size_t h = 0; h < 30; h++)
        assert_double_near(out[h], 3.0 + 0.25 * (double)(50 + h), 1e-12);
    /* The slope is first-to-last, whatever happens in between. */
    y[10] = 100;
    assert_int_equal(m->forecast(&ctx, y, 50, 1, out), AG_OK);
    assert_double_near(out[0], 3.0 + 0.25 * 50, 1e-12);
    assert_int_equal(m->forecast(&ctx, y, 1, 1, out), AG_ENODATA);
}

/* Through the framework: three days of an exact daily shape; the
 * seasonal naive gives the last day back, and the band has no width
 * because every backtest residual is zero. */
static void test_seasonal_naive_series(void **st)
{
    size_t n = 3 * FC_DAY, H = FC_DAY;
    double *v = malloc(n * sizeof *v);
    ag_fc_request req;
    ag_forecast f;
    ag_fc_series s;
    (void)st;
    for (size_t i = 0; i < n; i++)
        v[i] = 1000.0 * fc_daily(i);
    s = fc_series(v, n);
    ag_fc_request_default(&req, H);
    req.model = "seasonal_naive";
    assert_int_equal(ag_forecast_series(&s, &req, &f, NULL), AG_OK);
    fc_check_sane(&f, H);
    assert_string_equal(f.model, "seasonal_naive");
    assert_int_equal(f.period_steps, FC_DAY);
    assert_int_equal(f.t0_ms, FC_T0 + (int64_t)n * FC_STEP);
    for (size_t h = 0; h < H; h++) {
        assert_double_near(f.mean[h], v[n - FC_DAY + h], 1e-9);
        for (size_t k = 0; k < f.nq; k++)
            assert_double_near(f.q[k * H + h], f.mean[h], 1e-9);
    }
    ag_forecast_clear(&f);
    free(v);
}

static void test_drift_series(void **st)
{
    size_t n = 500, H = 48;
    double v[500];
    ag_fc_request req;
    ag_forecast f;
    ag_fc_series s;
    (void)st;
    for (size_t i = 0; i < n; i++)
        v[i] = 5.0 + 0.01 * (double)i;
    s = fc_series(v, n);
    ag_fc_request_default(&req, H);
    req.model = "drift";
    assert_int_equal(ag_forecast_series(&s, &req, &f, NULL), AG_OK);
    fc_check_sane(&f, H);
    assert_string_equal(f.model, "drift");
    for (size_t h = 0; h < H; h++) {
        assert_double_near(f.mean[h], 5.0 + 0.01 * (double)(n + h), 1e-9);
        assert_double_near(f.q[(f.nq - 1) * H + h], f.mean[h], 1e-9);
    }
    ag_forecast_clear(&f);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_seasonal_naive_direct),
        cmocka_unit_test(test_drift_direct),
        cmocka_unit_test(test_seasonal_naive_series),
        cmocka_unit_test(test_drift_series),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
