/*
 * forecast/model.h - the interface every local forecasting model
 * implements, and the internals the forecast files share.
 *
 * A local model fits one series and returns point forecasts; uncertainty
 * is NOT the model's job: forecast.c turns rolling-origin backtest
 * residuals into calibrated quantiles (conformal prediction) for every
 * model alike. Models see a clean series: no NaN (gaps filled), finite.
 */
#ifndef AG_FORECAST_MODEL_H
#define AG_FORECAST_MODEL_H

#include <stddef.h>
#include <stdint.h>
#include "augur/forecast.h"

/* What a model may know about the series besides its values. */
typedef struct ag__fc_ctx {
    size_t period;   /* main seasonal period in steps (usually the day), 0 = none */
    size_t week;     /* weekly period in steps when >= 2 weeks of history, else 0 */
    int64_t t0_ms;   /* time of y[0], for calendar features */
    int64_t step_ms; /* spacing of y */
    uint64_t seed;
    const ag_fc_series *cov; /* covariates aligned with y[0..n), may be NULL */
    size_t ncov;
} ag__fc_ctx;

typedef struct ag__fc_model {
    const char *name;
    /* The shortest history (in steps) the model can fit with ctx; a
     * longer history is needed for backtesting it (forecast.c adds that). */
    size_t (*min_len)(const ag__fc_ctx *ctx);
    /* Fits on y[0..n) and writes the point forecasts of the h steps after
     * y[n-1] into out[0..h). Must not allocate per call more than O(n);
     * must write finite values (or return an error). */
    ag_err (*forecast)(const ag__fc_ctx *ctx, const double *y, size_t n, size_t h, double *out);
} ag__fc_model;

/* The local models, in the order "auto" tries them (forecast/registry.c). */
extern const ag__fc_model *const ag__fc_models[];
extern const size_t ag__fc_nmodels;

/* Local models, one per file. */
extern const ag__fc_model ag__fc_model_seasonal_naive; /* baselines.c */
extern const ag__fc_model ag__fc_model_drift;          /* baselines.c */
extern const ag__fc_model ag__fc_model_ses;            /* ets.c */
extern const ag__fc_model ag__fc_model_holt;           /* ets.c (damped trend) */
extern const ag__fc_model ag__fc_model_hw_add;         /* ets.c */
extern const ag__fc_model ag__fc_model_hw_mul;         /* ets.c */
extern const ag__fc_model ag__fc_model_spectral;       /* spectral.c */
extern const ag__fc_model ag__fc_model_ar;             /* ar.c */

/* Seasonal period detection (spectral.c): FFT periodogram peaks above a
 * noise threshold from shuffled copies, cross-checked with the
 * autocorrelation. Returns the period in steps, 0 when none is
 * significant. candidates: periods worth testing first (e.g. the day in
 * steps), ncand may be 0. */
size_t ag__fc_detect_period(const double *y, size_t n, const size_t *candidates, size_t ncand,
                            uint64_t seed);

/* In-place complex FFT of length n (any n; power of two fastest):
 * re/im arrays. inverse: 0 forward, 1 inverse (scaled by 1/n). (fft.c) */
ag_err ag__fft(double *re, double *im, size_t n, int inverse);

/* Global models (gbt.c, mlp.c): forecast one series with a trained model. */
ag_err ag__fc_global_forecast(const ag_fc_global *g, const ag__fc_ctx *ctx, const double *y,
                              size_t n, size_t h, double *out);
const char *ag__fc_global_name(const ag_fc_global *g);

#endif
