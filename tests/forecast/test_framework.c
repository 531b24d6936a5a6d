/*
 * tests/forecast/test_framework.c - ag_forecast_series as a whole: model
 * choice and scores, named models and their fallbacks, request
 * validation, the seasonal context, golden outputs with a fixed seed and
 * out-of-memory at every allocation.
 */
#include "fc_util.h"
#include "forecast/model.h"
#include "util/alloc.h"

/* Four days of a daily shape with mild noise. */
static double *periodic(size_t n, double noise, uint64_t seed)
{
    double *v = malloc(n * sizeof *v);
    fc_rng r = {seed};
    for (size_t i = 0; i < n; i++)
        v[i] = 100.0 * (fc_daily(i) + noise * fc_nrand(&r));
    return v;
}

static void test_auto_choice(void **st)
{
    size_t n = 4 * FC_DAY, H = 12;
    double *v = periodic(n, 0.05, 7);
    ag_fc_series s = fc_series(v, n);
    ag_fc_request req;
    ag_forecast f;
    const ag_fc_score *sn, *dr, *best = NULL;
    (void)st;
    ag_fc_request_default(&req, H);
    assert_int_equal(ag_forecast_series(&s, &req, &f, NULL), AG_OK);
    fc_check_sane(&f, H);
    assert_int_equal(f.period_steps, FC_DAY);
    /* Every registered local model and the ensemble has a row. */
    assert_int_equal(f.nscores, ag__fc_nmodels + 1);
    sn = fc_score(&f, "seasonal_naive");
    dr = fc_score(&f, "drift");
    assert_non_null(sn);
    assert_non_null(dr);
    assert_non_null(fc_score(&f, "ensemble"));
    assert_true(isfinite(sn->loss) && isfinite(dr->loss));
    assert_true(sn->loss < dr->loss);
    assert_true(sn->mase < dr->mase);
    for (size_t i = 0; i < f.nscores; i++) {
        const ag_fc_score *x = &f.scores[i];
        if (isnan(x->loss)) {
            assert_true(x->note[0] != '\0'); /* says why it did not run */
            continue;
        }
        assert_true(x->loss >= 0 && x->coverage >= 0 && x->coverage <= 1 && x->mase >= 0);
        if (!best || x->loss < best->loss)
            best = x;
    }
    /* The choice is the lowest loss and the reason says so. */
    assert_string_equal(f.model, best->model);
    assert_non_null(strstr(f.reason, "chosen by backtest"));
    assert_non_null(strstr(f.reason, f.model));
    /* Naming drift gives drift, with the same scores. */
    double dr_loss = dr->loss;
    ag_forecast_clear(&f);
    req.model = "drift";
    assert_int_equal(ag_forecast_series(&s, &req, &f, NULL), AG_OK);
    assert_string_equal(f.model, "drift");
    assert_non_null(strstr(f.reason, "as requested"));
    assert_double_near(fc_score(&f, "drift")->loss, dr_loss, 1e-12);
    ag_forecast_clear(&f);
    free(v);
}

/* With only the baselines in play (named), the pinball loss of the
 * seasonal naive beats drift's by a wide margin on a periodic series,
 * and the ensemble mixes the best models with weights summing to 1. */
static void test_ensemble(void **st)
{
    size_t n = 4 * FC_DAY, H = 24;
    double *v = periodic(n, 0.05, 9), wsum = 0;
    ag_fc_series s = fc_series(v, n);
    ag_fc_request req;
    ag_forecast f;
    size_t members = 0;
    (void)st;
    ag_fc_request_default(&req, H);
    req.model = "ensemble";
    assert_int_equal(ag_forecast_series(&s, &req, &f, NULL), AG_OK);
    fc_check_sane(&f, H);
    assert_string_equal(f.model, "ensemble");
    for (size_t i = 0; i < f.nscores; i++) {
        if (strcmp(f.scores[i].model, "ensemble") == 0 || !(f.scores[i].weight > 0))
            continue;
        members++;
        wsum += f.scores[i].weight;
    }
    assert_true(members >= 2 && members <= 3);
    assert_double_near(wsum, 1.0, 1e-9);
    ag_forecast_clear(&f);
    free(v);
}

static void test_named_and_fallback(void **st)
{
    double v[100] = {0};
    ag_fc_series s = fc_series(v, 100);
    ag_fc_request req;
    ag_forecast f;
    ag_errinfo ei = {{0}};
    (void)st;
    for (size_t i = 0; i < 100; i++)
        v[i] = 10 + (double)(i % 5);
    ag_fc_request_default(&req, 6);
    req.model = "prophet";
    assert_int_equal(ag_forecast_series(&s, &req, &f, &ei), AG_EINVAL);
    assert_non_null(strstr(ei.msg, "prophet"));
    assert_non_null(strstr(ei.msg, "seasonal_naive"));
    assert_non_null(strstr(ei.msg, "ensemble"));
    assert_null(f.mean);
    /* A global model that is not attached: the best local one, and why. */
    req.model = "gbt";
    assert_int_equal(ag_forecast_series(&s, &req, &f, &ei), AG_OK);
    fc_check_sane(&f, 6);
    assert_string_not_equal(f.model, "gbt");
    assert_non_null(strstr(f.reason, "gbt: no trained global model attached"));
    ag_forecast_clear(&f);
    ag_forecast_clear(&f); /* idempotent */
    /* "auto" is the same as NULL. */
    req.model = "auto";
    assert_int_equal(ag_forecast_series(&s, &req, &f, &ei), AG_OK);
    assert_non_null(strstr(f.reason, "chosen by backtest"));
    ag_forecast_clear(&f);
}

static void test_request_checks(void **st)
{
    double v[20] = {1, 2, 3};
    ag_fc_series s = fc_series(v, 20);
    ag_fc_request req;
    ag_forecast f;
    ag_errinfo ei = {{0}};
    int dummy[5];
    (void)st;
    ag_fc_request_default(&req, 0);
    assert_int_equal(ag_forecast_series(&s, &req, &f, &ei), AG_EINVAL);
    assert_non_null(strstr(ei.msg, "horizon"));
    ag_fc_request_default(&req, 3);
    req.quantiles[1] = 1.5;
    assert_int_equal(ag_forecast_series(&s, &req, &f, &ei), AG_EINVAL);
    assert_non_null(strstr(ei.msg, "1.5"));
    ag_fc_request_default(&req, 3);
    req.loss_q = -0.1;
    assert_int_equal(ag_forecast_series(&s, &req, &f, &ei), AG_EINVAL);
    ag_fc_request_default(&req, 3);
    req.nq = AG_FC_MAX_QUANTILES + 1;
    assert_int_equal(ag_forecast_series(&s, &req, &f, &ei), AG_EINVAL);
    ag_fc_request_default(&req, 3);
    s.step_ms = 0;
    assert_int_equal(ag_forecast_series(&s, &req, &f, &ei), AG_EINVAL);
    s.step_ms = FC_STEP;
    assert_int_equal(ag_forecast_series(&s, NULL, &f, &ei), AG_EINVAL);
    assert_int_equal(ag_forecast_series(NULL, &req, &f, &ei), AG_EINVAL);
    assert_int_equal(ag_forecast_series(&s, &req, NULL, &ei), AG_EINVAL);
    /* Covariates must line up with the series. */
    {
        ag_fc_series cov = fc_series(v, 19);
        req.cov = &cov;
        req.ncov = 1;
        assert_int_equal(ag_forecast_series(&s, &req, &f, &ei), AG_EINVAL);
        assert_non_null(strstr(ei.msg, "covariate"));
        req.ncov = 0;
    }
    /* Global models: four at most; they are borrowed, never touched here. */
    for (int i = 0; i < 4; i++)
        assert_int_equal(ag_fc_request_use_global(&req, (const ag_fc_global *)&dummy[i]), AG_OK);
    assert_int_equal(ag_fc_request_use_global(&req, (const ag_fc_global *)&dummy[4]), AG_ETOOBIG);
    assert_int_equal(req.nglobals, 4);
    assert_int_equal(ag_fc_request_use_global(&req, NULL), AG_EINVAL);
}

/* Unsorted requested quantiles come back sorted; defaults are 4. */
static void test_quantiles_and_defaults(void **st)
{
    double v[300] = {0};
    ag_fc_series s = fc_series(v, 300);
    ag_fc_request req;
    ag_forecast f;
    fc_rng r = {3};
    (void)st;
    for (size_t i = 0; i < 300; i++)
        v[i] = 50 + 5 * fc_nrand(&r);
    ag_fc_request_default(&req, 10);
    assert_int_equal(req.nq, 4);
    assert_null(req.model);
    assert_double_near(req.loss_q, 0.95, 0);
    req.nq = 3;
    req.quantiles[0] = 0.99;
    req.quantiles[1] = 0.1;
    req.quantiles[2] = 0.5;
    assert_int_equal(ag_forecast_series(&s, &req, &f, NULL), AG_OK);
    fc_check_sane(&f, 10);
    assert_int_equal(f.nq, 3);
    assert_double_near(f.quantiles[0], 0.1, 0);
    assert_double_near(f.quantiles[2], 0.99, 0);
    /* Noise: the p10-p99 band is wide, and around 50. */
    assert_true(f.q[2 * 10] - f.q[0] > 5);
    assert_true(f.q[10] > 35 && f.q[10] < 65);
    assert_int_equal(f.period_steps, 0);
    ag_forecast_clear(&f);
}

/* Golden: the seasonal naive on a seeded noisy series, p50/p95 at a few
 * steps. Changes here mean the calibration changed. */
static void test_golden(void **st)
{
    size_t n = 3 * FC_DAY, H = 36;
    double *v = periodic(n, 0.1, 12345);
    ag_fc_series s = fc_series(v, n);
    ag_fc_request req;
    ag_forecast f;
    static const size_t at[] = {0, 5, 17, 35};
    static const double gold_mean[] = {247.98396891230317, 261.94264139651199, 260.43967046449319,
                                       246.17934870133851};
    static const double gold_p95[] = {268.06607737950048, 283.35329669729259, 283.18857238239679,
                                      272.48207440904099};
    (void)st;
    ag_fc_request_default(&req, H);
    req.model = "seasonal_naive";
    assert_int_equal(ag_forecast_series(&s, &req, &f, NULL), AG_OK);
    fc_check_sane(&f, H);
    for (size_t i = 0; i < 4 && getenv("AG_PRINT_GOLDEN"); i++)
        printf("step %zu mean %.17g p95 %.17g\n", at[i], f.mean[at[i]],
               f.q[fc_qidx(&f, 0.95) * H + at[i]]);
    for (size_t i = 0; i < 4; i++) {
        assert_double_near(f.mean[at[i]], gold_mean[i], 1e-9);
        assert_double_near(f.q[fc_qidx(&f, 0.95) * H + at[i]], gold_p95[i], 1e-9);
    }
    ag_forecast_clear(&f);
    free(v);
}

static void test_oom(void **st)
{
    size_t n = 3 * FC_DAY;
    double *v = periodic(n, 0.1, 5);
    ag_fc_series s = fc_series(v, n);
    ag_fc_request req;
    ag_forecast f;
    ag_err rc = AG_ENOMEM;
    long k;
    (void)st;
    ag_fc_request_default(&req, 24);
    for (k = 1; k < 100000 && rc == AG_ENOMEM; k++) {
        ag__alloc_fail_after(k);
        rc = ag_forecast_series(&s, &req, &f, NULL);
        ag__alloc_fail_after(0);
        if (rc == AG_ENOMEM) {
            assert_null(f.mean);
            assert_null(f.scores);
        }
    }
    assert_int_equal(rc, AG_OK);
    assert_true(k > 5);
    fc_check_sane(&f, 24);
    ag_forecast_clear(&f);
    free(v);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_auto_choice),
        cmocka_unit_test(test_ensemble),
        cmocka_unit_test(test_named_and_fallback),
        cmocka_unit_test(test_request_checks),
        cmocka_unit_test(test_quantiles_and_defaults),
        cmocka_unit_test(test_golden),
        cmocka_unit_test(test_oom),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
