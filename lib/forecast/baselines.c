/*
 * forecast/baselines.c - the two reference models every other model must
 * beat: seasonal naive (repeat the last season) and drift (a random walk
 * with the average historical slope). They are exact, cost O(h), need
 * almost no history, and the seasonal naive is what MASE is scaled by.
 */
#include "forecast/model.h"

/* The season the seasonal naive repeats: the week when two weeks are
 * known, else the main period when one full period is known, else 1 (the
 * naive last value). */
static size_t season(const ag__fc_ctx *ctx, size_t n)
{
    if (ctx->week > 1 && n >= 2 * ctx->week)
        return ctx->week;
    if (ctx->period > 1 && n >= ctx->period)
        return ctx->period;
    return 1;
}

static size_t snaive_min_len(const ag__fc_ctx *ctx)
{
    (void)ctx;
    return 1;
}

static ag_err snaive_forecast(const ag__fc_ctx *ctx, const double *y, size_t n, size_t h,
                              double *out)
{
    size_t m;

    if (n == 0)
        return AG_ENODATA;
    m = season(ctx, n);
    for (size_t i = 0; i < h; i++)
        out[i] = y[n - m + i % m];
    return AG_OK;
}

static size_t drift_min_len(const ag__fc_ctx *ctx)
{
    (void)ctx;
    return 2;
}

/* The slope is the average change over the history, so the line through
 * the first and last values is continued (exact on a straight line). */
static ag_err drift_forecast(const ag__fc_ctx *ctx, const double *y, size_t n, size_t h,
                             double *out)
{
    double slope;

    (void)ctx;
    if (n < 2)
        return AG_ENODATA;
    slope = (y[n - 1] - y[0]) / (double)(n - 1);
    for (size_t i = 0; i < h; i++)
        out[i] = y[n - 1] + slope * (double)(i + 1);
    return AG_OK;
}

const ag__fc_model ag__fc_model_seasonal_naive = {"seasonal_naive", snaive_min_len,
                                                  snaive_forecast};
const ag__fc_model ag__fc_model_drift = {"drift", drift_min_len, drift_forecast};
