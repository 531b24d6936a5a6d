/*
 * tests/forecast/fc_util.h - helpers shared by the framework tests
 * (test_framework, test_baselines, test_calibration, test_badinput):
 * a seeded generator, synthetic series and the invariants every forecast
 * must satisfy.
 */
#ifndef AG_TEST_FC_UTIL_H
#define AG_TEST_FC_UTIL_H

#include <math.h>
#include <string.h>
#include "ag_test.h"
#include "augur/forecast.h"

#define FC_PI 3.14159265358979323846
#define FC_STEP (5 * 60 * 1000LL) /* 5 minutes */
#define FC_DAY 288                /* steps of FC_STEP in a day */
#define FC_T0 1700006400000LL     /* a midnight, UTC */

typedef struct fc_rng {
    uint64_t s;
} fc_rng;

static inline double fc_urand(fc_rng *r)
{
    r->s ^= r->s << 13;
    r->s ^= r->s >> 7;
    r->s ^= r->s << 17;
    return ((double)(r->s >> 11) + 0.5) / 9007199254740992.0;
}

static inline double fc_nrand(fc_rng *r)
{
    double u = fc_urand(r), v = fc_urand(r);
    return sqrt(-2 * log(u)) * cos(2 * FC_PI * v);
}

/* A daily usage shape: base load, a day peak and a faster wiggle. */
static inline double fc_daily(size_t i)
{
    double x = 2 * FC_PI * (double)(i % FC_DAY) / FC_DAY;
    return 2.0 + sin(x) + 0.4 * cos(3 * x);
}

static inline ag_fc_series fc_series(const double *v, size_t n)
{
    ag_fc_series s = {FC_T0, FC_STEP, v, n};
    return s;
}

/* The invariants of every successful forecast: finite, >= 0, quantiles
 * non-decreasing in q, a reason, scores consistent. */
static inline void fc_check_sane(const ag_forecast *f, size_t horizon)
{
    assert_int_equal(f->horizon, horizon);
    assert_non_null(f->mean);
    assert_non_null(f->q);
    assert_true(f->nq >= 1 && f->nq <= AG_FC_MAX_QUANTILES);
    assert_true(f->model[0] != '\0');
    assert_true(f->reason[0] != '\0');
    for (size_t h = 0; h < horizon; h++) {
        if (!(isfinite(f->mean[h]) && f->mean[h] >= 0))
            fail_msg("mean[%zu] = %g (model %s, %s)", h, f->mean[h], f->model, f->reason);
        for (size_t k = 0; k < f->nq; k++) {
            double v = f->q[k * horizon + h];
            if (!(isfinite(v) && v >= 0))
                fail_msg("q[%zu][%zu] = %g (model %s, %s)", k, h, v, f->model, f->reason);
            if (k > 0 && v < f->q[(k - 1) * horizon + h])
                fail_msg("quantiles decrease at step %zu: %g < %g", h, v,
                         f->q[(k - 1) * horizon + h]);
        }
    }
    for (size_t k = 1; k < f->nq; k++)
        assert_true(f->quantiles[k] >= f->quantiles[k - 1]);
}

static inline const ag_fc_score *fc_score(const ag_forecast *f, const char *model)
{
    for (size_t i = 0; i < f->nscores; i++)
        if (strcmp(f->scores[i].model, model) == 0)
            return &f->scores[i];
    return NULL;
}

/* Index of quantile q in f, or fails. */
static inline size_t fc_qidx(const ag_forecast *f, double q)
{
    for (size_t k = 0; k < f->nq; k++)
        if (fabs(f->quantiles[k] - q) < 1e-12)
            return k;
    fail_msg("quantile %g not in the forecast", q);
    return 0;
}

#endif
