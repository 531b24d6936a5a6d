/*
 * augur/forecast.h - quantile forecasts of CPU and memory usage.
 *
 * Pure: numbers in, numbers out. A forecast takes one regular series
 * (values at t0 + i * step, NAN where missing) and returns, for each of the
 * next `horizon` steps, a point forecast (the mean) and the requested
 * quantiles. Models: seasonal naive, drift, exponential smoothing (simple,
 * damped Holt, Holt-Winters additive and multiplicative), spectral (FFT
 * period detection), linear autoregression with calendar features, global
 * learned models (gradient-boosted trees, an MLP) and a backtest-weighted
 * ensemble. Every model's quantiles come from conformal calibration on
 * its own rolling-origin backtest residuals, so a p95 forecast is exceeded
 * about 5% of the time on held-out data. "auto" picks the model (or the
 * ensemble) by backtest loss and records every model's score.
 */
#ifndef AUGUR_FORECAST_H
#define AUGUR_FORECAST_H

#include <stddef.h>
#include <stdint.h>
#include "augur/err.h"
#include "augur/series.h"

#ifdef __cplusplus
extern "C" {
#endif

/* A regular series. Borrowed by every call that takes it. */
typedef struct ag_fc_series {
    int64_t t0_ms;   /* time of v[0] */
    int64_t step_ms; /* spacing; > 0 */
    const double *v; /* n values, NAN = missing */
    size_t n;
} ag_fc_series;

typedef enum ag_fc_agg { AG_FC_MEAN = 0, AG_FC_MAX = 1 } ag_fc_agg;

/* Resamples irregular, time-sorted samples onto the grid start_ms + i *
 * step_ms, i < n_out = (end_ms - start_ms) / step_ms + 1: each grid value
 * aggregates (mean, or max for memory peaks) the samples in (t - step,
 * t]; empty cells get NAN, then gaps of at most max_gap cells are filled
 * by linear interpolation. Caller owns *out (free with free()). */
ag_err ag_fc_resample(const ag_sample *s, size_t n, int64_t start_ms, int64_t end_ms,
                      int64_t step_ms, ag_fc_agg agg, size_t max_gap, double **out,
                      size_t *n_out);

/* How models are scored in the backtest. */
typedef enum ag_fc_loss {
    AG_FC_LOSS_PINBALL = 0, /* pinball loss at loss_q (default 0.95) */
    AG_FC_LOSS_MAE = 1,
    AG_FC_LOSS_MSE = 2,
} ag_fc_loss;

#define AG_FC_MAX_QUANTILES 16

typedef struct ag_fc_request {
    size_t horizon;        /* steps ahead, >= 1 */
    double quantiles[AG_FC_MAX_QUANTILES];
    size_t nq;             /* 0 = {0.5, 0.9, 0.95, 0.99} */
    const char *model;     /* "auto" (NULL) or a model name, see ag_fc_model_names() */
    ag_fc_loss loss;
    double loss_q;         /* 0 = 0.95 */
    size_t backtest_origins; /* rolling origins for scoring/calibration; 0 = automatic */
    uint64_t seed;         /* for anything random (shuffles); 0 = fixed default */
    const ag_fc_series *cov; /* optional covariates aligned with the input (e.g. memory for
                                a CPU forecast, replica count); borrowed; used by the global
                                models as lagged inputs */
    size_t ncov;
    const struct ag_fc_global *globals[4]; /* trained global models to consider (borrowed) */
    size_t nglobals;
} ag_fc_request;

/* Fills r with defaults for a horizon. */
void ag_fc_request_default(ag_fc_request *r, size_t horizon);

/* One model's backtest score, for --explain. */
typedef struct ag_fc_score {
    char model[32];
    double loss;     /* the request's loss, mean over origins; NAN = not run */
    double mase;     /* scaled by the seasonal naive's in-sample MAE */
    double coverage; /* share of actuals under the calibrated upper quantile */
    double weight;   /* ensemble weight */
    char note[96];   /* why not run / fallback */
} ag_fc_score;

typedef struct ag_forecast {
    int64_t t0_ms, step_ms; /* time of the first forecast step, spacing */
    size_t horizon;
    double *mean;           /* [horizon] point forecast */
    size_t nq;
    double quantiles[AG_FC_MAX_QUANTILES];
    double *q;              /* [nq * horizon]: q[k * horizon + h], non-decreasing in k */
    char model[32];         /* the model used ("ensemble" for the weighted mix) */
    char reason[256];       /* why this model (fallbacks: too short, constant, ...) */
    ag_fc_score *scores;    /* every model tried, nscores entries */
    size_t nscores;
    int64_t period_steps;   /* detected seasonal period in steps, 0 = none */
} ag_forecast;

/* Forecasts horizon steps after the last value of in. Never writes NaN:
 * all-NaN, constant, very short, enormous or negative input gives a
 * defined result (a simpler model, a zero-width band, values clamped at
 * 0 for usage) and says why in out->reason. Caller owns *out's arrays;
 * free with ag_forecast_clear(). */
ag_err ag_forecast_series(const ag_fc_series *in, const ag_fc_request *req, ag_forecast *out,
                          ag_errinfo *ei);
/* Frees what ag_forecast_series() allocated and zeroes f. */
void ag_forecast_clear(ag_forecast *f);

/* NULL-terminated static list of model names: "seasonal_naive", "drift",
 * "ses", "holt", "hw_add", "hw_mul", "spectral", "ar", "gbt", "mlp",
 * "ensemble". */
const char *const *ag_fc_model_names(void);

/* Global models trained on many series at once (gradient-boosted trees,
 * the MLP). Caller owns the model; free with ag_fc_global_free(). series
 * are borrowed for the call only. */
typedef struct ag_fc_global ag_fc_global;
/* kind: "gbt" or "mlp". cov: NULL or n covariate series aligned with
 * series (one each). */
ag_err ag_fc_global_train(const char *kind, const ag_fc_series *series,
                          const ag_fc_series *cov, size_t n, size_t horizon, uint64_t seed,
                          ag_fc_global **out, ag_errinfo *ei);
void ag_fc_global_free(ag_fc_global *g);
/* Makes ag_forecast_series() consider g (borrowed; must outlive the
 * calls) as one more model under its kind's name. AG_ETOOBIG when four
 * are attached already. */
ag_err ag_fc_request_use_global(ag_fc_request *r, const ag_fc_global *g);

#ifdef __cplusplus
}
#endif
#endif
