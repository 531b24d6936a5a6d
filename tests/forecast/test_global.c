/*
 * tests/forecast/test_global.c - the global learned models (gbt, mlp):
 * they learn a family of noisy daily sines well enough to beat the naive
 * forecast on held-out days, are deterministic for a seed, refuse bad
 * input with a clear message, never write NaN and survive OOM.
 */
#include <math.h>
#include <unistd.h>

#include "ag_test.h"
#include "augur/forecast.h"
#include "forecast/model.h"
#include "util/alloc.h"

#define STEP_MS 300000LL /* 5 minutes: 288 steps a day */
#define DAYS 3
#define LEN (288 * DAYS)
#define NS 12
#define H 36

typedef struct synth {
    double v[NS][LEN];
    double c[NS][LEN]; /* covariate: a lagged, scaled copy */
    ag_fc_series s[NS], cov[NS];
    ag_fc_series full[NS];
} synth;

static double gauss(uint64_t *st)
{
    double u = 0;
    for (int i = 0; i < 12; i++) {
        *st = *st * 6364136223846793005ULL + 1442695040888963407ULL;
        u += (double)(*st >> 11) / 9007199254740992.0;
    }
    return u - 6;
}

/* NS daily sines of different phase, amplitude and level with noise; the
 * training series stop H steps early, full[] keeps the held-out tail. */
static synth *make_synth(void)
{
    synth *sy = calloc(1, sizeof *sy);
    uint64_t st = 42;
    assert_non_null(sy);
    for (int i = 0; i < NS; i++) {
        double level = 10.0 * (1 + i % 5), amp = level * (0.2 + 0.05 * (i % 7));
        double ph = 2 * M_PI * i / NS;
        for (int t = 0; t < LEN; t++) {
            sy->v[i][t] = level + amp * sin(2 * M_PI * t / 288.0 + ph) + 0.05 * amp * gauss(&st);
            sy->c[i][t] = 1000.0 * (1 + 0.5 * sin(2 * M_PI * (t - 6) / 288.0 + ph));
        }
        int64_t t0 = 1700000000000LL + i * 3600000LL;
        sy->s[i] = (ag_fc_series){t0, STEP_MS, sy->v[i], LEN - H};
        sy->cov[i] = (ag_fc_series){t0, STEP_MS, sy->c[i], LEN - H};
        sy->full[i] = (ag_fc_series){t0, STEP_MS, sy->v[i], LEN};
    }
    return sy;
}

static ag__fc_ctx ctx_of(const ag_fc_series *s)
{
    ag__fc_ctx c = {0};
    c.period = 288;
    c.t0_ms = s->t0_ms;
    c.step_ms = s->step_ms;
    c.seed = 1;
    return c;
}

/* Mean absolute error of the model and of the naive (last value)
 * forecast over the held-out last H steps of every series. */
static void held_out_mae(const ag_fc_global *g, const synth *sy, double *mae_m, double *mae_n)
{
    double out[H], em = 0, en = 0;
    for (int i = 0; i < NS; i++) {
        ag__fc_ctx c = ctx_of(&sy->s[i]);
        assert_int_equal(ag__fc_global_forecast(g, &c, sy->v[i], LEN - H, H, out), AG_OK);
        for (int h = 0; h < H; h++) {
            assert_true(isfinite(out[h]));
            em += fabs(out[h] - sy->v[i][LEN - H + h]);
            en += fabs(sy->v[i][LEN - H - 1] - sy->v[i][LEN - H + h]);
        }
    }
    *mae_m = em / (NS * H);
    *mae_n = en / (NS * H);
}

static void beats_naive(const char *kind)
{
    synth *sy = make_synth();
    ag_fc_global *g = NULL;
    ag_errinfo ei = {{0}};
    double mm, mn;

    assert_int_equal(ag_fc_global_train(kind, sy->s, NULL, NS, H, 7, &g, &ei), AG_OK);
    assert_non_null(g);
    assert_string_equal(ag__fc_global_name(g), kind);
    held_out_mae(g, sy, &mm, &mn);
    fprintf(stderr, "%s: held-out MAE %.3f, naive %.3f\n", kind, mm, mn);
    assert_true(mm < 0.7 * mn);
    ag_fc_global_free(g);
    free(sy);
}

static void test_gbt_beats_naive(void **state)
{
    (void)state;
    beats_naive("gbt");
}

static void test_mlp_beats_naive(void **state)
{
    (void)state;
    beats_naive("mlp");
}

static void deterministic(const char *kind)
{
    synth *sy = make_synth();
    ag_fc_global *a = NULL, *b = NULL;
    double oa[H], ob[H];
    ag__fc_ctx c = ctx_of(&sy->s[3]);

    assert_int_equal(ag_fc_global_train(kind, sy->s, NULL, 8, H, 99, &a, NULL), AG_OK);
    assert_int_equal(ag_fc_global_train(kind, sy->s, NULL, 8, H, 99, &b, NULL), AG_OK);
    assert_int_equal(ag__fc_global_forecast(a, &c, sy->v[3], LEN - H, H, oa), AG_OK);
    assert_int_equal(ag__fc_global_forecast(b, &c, sy->v[3], LEN - H, H, ob), AG_OK);
    assert_memory_equal(oa, ob, sizeof oa);
    ag_fc_global_free(a);
    ag_fc_global_free(b);
    free(sy);
}

static void test_gbt_deterministic(void **state)
{
    (void)state;
    deterministic("gbt");
}

static void test_mlp_deterministic(void **state)
{
    (void)state;
    deterministic("mlp");
}

/* Trained with covariates, the models forecast with and without them. */
static void test_covariates(void **state)
{
    (void)state;
    synth *sy = make_synth();
    const char *kinds[] = {"gbt", "mlp"};
    double out[H];

    for (int k = 0; k < 2; k++) {
        ag_fc_global *g = NULL;
        assert_int_equal(ag_fc_global_train(kinds[k], sy->s, sy->cov, NS, H, 5, &g, NULL), AG_OK);
        double mm, mn;
        held_out_mae(g, sy, &mm, &mn); /* no covariate at forecast time */
        assert_true(mm < mn);
        ag__fc_ctx c = ctx_of(&sy->s[2]);
        c.cov = &sy->cov[2];
        c.ncov = 1;
        assert_int_equal(ag__fc_global_forecast(g, &c, sy->v[2], LEN - H, H, out), AG_OK);
        double e = 0, en = 0;
        for (int h = 0; h < H; h++) {
            e += fabs(out[h] - sy->v[2][LEN - H + h]);
            en += fabs(sy->v[2][LEN - H - 1] - sy->v[2][LEN - H + h]);
        }
        assert_true(e < en);
        ag_fc_global_free(g);
    }
    free(sy);
}

static void test_bad_input(void **state)
{
    (void)state;
    synth *sy = make_synth();
    ag_fc_global *g = (ag_fc_global *)sy; /* must be reset to NULL on error */
    ag_errinfo ei = {{0}};

    assert_int_equal(ag_fc_global_train("gbt", sy->s, NULL, 0, H, 1, &g, &ei), AG_ENODATA);
    assert_null(g);
    assert_non_null(strstr(ei.msg, "n = 0"));
    assert_int_equal(ag_fc_global_train("mlp", NULL, NULL, 3, H, 1, &g, &ei), AG_ENODATA);

    ag_fc_series shorts[NS];
    for (int i = 0; i < NS; i++) {
        shorts[i] = sy->s[i];
        shorts[i].n = 60; /* < 48 lags + 36 steps */
    }
    assert_int_equal(ag_fc_global_train("gbt", shorts, NULL, NS, H, 1, &g, &ei), AG_ENODATA);
    assert_non_null(strstr(ei.msg, "long enough"));
    assert_int_equal(ag_fc_global_train("mlp", shorts, NULL, NS, H, 1, &g, &ei), AG_ENODATA);
    assert_non_null(strstr(ei.msg, "long enough"));

    assert_int_equal(ag_fc_global_train("lstm", sy->s, NULL, NS, H, 1, &g, &ei), AG_EINVAL);
    assert_non_null(strstr(ei.msg, "lstm"));
    assert_int_equal(ag_fc_global_train(NULL, sy->s, NULL, NS, H, 1, &g, &ei), AG_EINVAL);
    assert_int_equal(ag_fc_global_train("gbt", sy->s, NULL, NS, 0, 1, &g, &ei), AG_EINVAL);

    ag_fc_series mixed[2] = {sy->s[0], sy->s[1]};
    mixed[1].step_ms = 60000;
    assert_int_equal(ag_fc_global_train("gbt", mixed, NULL, 2, H, 1, &g, &ei), AG_EINVAL);
    assert_non_null(strstr(ei.msg, "series 1"));

    /* All-NaN series give no rows. */
    static double nan_v[LEN];
    for (int t = 0; t < LEN; t++)
        nan_v[t] = NAN;
    ag_fc_series nans = {0, STEP_MS, nan_v, LEN};
    assert_int_equal(ag_fc_global_train("mlp", &nans, NULL, 1, H, 1, &g, &ei), AG_ENODATA);
    assert_null(g);

    ag_fc_global_free(NULL);
    assert_string_equal(ag__fc_global_name(NULL), "none");
    free(sy);
}

/* Forecast-time checks and odd series: defined results, never NaN. */
static void test_forecast_edges(void **state)
{
    (void)state;
    synth *sy = make_synth();
    ag_fc_global *g = NULL;
    double out[H + 1];
    static double y[LEN];

    assert_int_equal(ag_fc_global_train("gbt", sy->s, NULL, 6, H, 3, &g, NULL), AG_OK);
    ag__fc_ctx c = ctx_of(&sy->s[0]);
    assert_int_equal(ag__fc_global_forecast(g, &c, sy->v[0], 100, H, out), AG_ENODATA);
    assert_int_equal(ag__fc_global_forecast(g, &c, sy->v[0], LEN - H, H + 1, out), AG_EINVAL);
    assert_int_equal(ag__fc_global_forecast(NULL, &c, sy->v[0], LEN - H, H, out), AG_EINVAL);
    c.step_ms = 60000;
    assert_int_equal(ag__fc_global_forecast(g, &c, sy->v[0], LEN - H, H, out), AG_EINVAL);
    c.step_ms = STEP_MS;

    const double fills[] = {0.0, 5.0, 1e300, -3.0};
    for (size_t k = 0; k < sizeof fills / sizeof fills[0]; k++) {
        for (int t = 0; t < LEN; t++)
            y[t] = fills[k];
        assert_int_equal(ag__fc_global_forecast(g, &c, y, LEN, H, out), AG_OK);
        for (int h = 0; h < H; h++) {
            assert_true(isfinite(out[h]));
            if (fills[k] >= 0)
                assert_true(out[h] >= 0);
        }
    }
    /* A burst after a long idle stretch: bounded, finite. */
    for (int t = 0; t < LEN; t++)
        y[t] = t == LEN - 1 ? 1e6 : 0.001;
    assert_int_equal(ag__fc_global_forecast(g, &c, y, LEN, H, out), AG_OK);
    for (int h = 0; h < H; h++)
        assert_true(isfinite(out[h]) && out[h] >= 0 && out[h] <= 1e6 * 25);
    y[LEN - 3] = NAN;
    assert_int_equal(ag__fc_global_forecast(g, &c, y, LEN, H, out), AG_EINVAL);
    ag_fc_global_free(g);
    free(sy);
}

/* Gaps in training data are forward-filled, not propagated. */
static void test_train_with_gaps(void **state)
{
    (void)state;
    synth *sy = make_synth();
    ag_fc_global *g = NULL;
    double out[H];

    for (int i = 0; i < NS; i++)
        for (int t = 0; t < LEN; t += 17)
            sy->v[i][t] = NAN;
    sy->v[0][0] = sy->v[0][1] = NAN; /* leading gap */
    assert_int_equal(ag_fc_global_train("mlp", sy->s, NULL, NS, H, 2, &g, NULL), AG_OK);
    for (int t = 0; t < LEN; t += 17)
        sy->v[1][t] = sy->v[1][t + 1];
    ag__fc_ctx c = ctx_of(&sy->s[1]);
    assert_int_equal(ag__fc_global_forecast(g, &c, sy->v[1], LEN - H, H, out), AG_OK);
    for (int h = 0; h < H; h++)
        assert_true(isfinite(out[h]));
    ag_fc_global_free(g);
    free(sy);
}

/* Every allocation of ours may fail: a clean AG_ENOMEM, no leak (ASan). */
static void test_oom(void **state)
{
    (void)state;
    synth *sy = make_synth();
    const char *kinds[] = {"gbt", "mlp"};

    for (int k = 0; k < 2; k++) {
        ag_err err = AG_ENOMEM;
        long n;
        for (n = 1; n < 200 && err == AG_ENOMEM; n++) {
            ag_fc_global *g = NULL;
            ag_errinfo ei = {{0}};
            ag__alloc_fail_after(n);
            err = ag_fc_global_train(kinds[k], sy->s, NULL, 3, 12, 1, &g, &ei);
            if (err == AG_OK) {
                double out[12];
                ag__fc_ctx c = ctx_of(&sy->s[0]);
                ag_err fe = AG_ENOMEM;
                for (long m = 1; m < 50 && fe == AG_ENOMEM; m++) {
                    ag__alloc_fail_after(m);
                    fe = ag__fc_global_forecast(g, &c, sy->v[0], LEN - H, 12, out);
                }
                ag__alloc_fail_after(0);
                assert_int_equal(fe, AG_OK);
            } else {
                ag__alloc_fail_after(0);
                assert_int_equal(err, AG_ENOMEM);
                assert_null(g);
                assert_true(ei.msg[0] != '\0');
            }
            ag_fc_global_free(g);
        }
        ag__alloc_fail_after(0);
        assert_int_equal(err, AG_OK);
        assert_true(n > 2); /* some allocation was actually failed */
    }
    free(sy);
}

int main(int argc, char **argv)
{
    /* XGBoost's OpenMP threads busy-wait between rounds by default, which
     * on a loaded 2-core machine multiplies the CPU time several times;
     * the policy is read when libgomp loads, so re-run with it set. */
    (void)argc;
    if (!getenv("OMP_WAIT_POLICY")) {
        setenv("OMP_WAIT_POLICY", "PASSIVE", 1);
        execv("/proc/self/exe", argv);
    }
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_gbt_beats_naive),
        cmocka_unit_test(test_mlp_beats_naive),
        cmocka_unit_test(test_gbt_deterministic),
        cmocka_unit_test(test_mlp_deterministic),
        cmocka_unit_test(test_covariates),
        cmocka_unit_test(test_bad_input),
        cmocka_unit_test(test_forecast_edges),
        cmocka_unit_test(test_train_with_gaps),
        cmocka_unit_test(test_oom),
    };
    if (getenv("AG_TEST_FILTER")) /* e.g. AG_TEST_FILTER='test_mlp*' */
        cmocka_set_test_filter(getenv("AG_TEST_FILTER"));
    return cmocka_run_group_tests_name(AG_TEST_NAME, tests, NULL, NULL);
}
