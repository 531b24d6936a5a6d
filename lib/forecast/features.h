/*
 * forecast/features.h - the inputs of the global learned models (gbt.c,
 * mlp.c) and the internals global.c dispatches to.
 *
 * A global model is trained on many series of different magnitudes (CPU
 * in cores, memory in bytes), so every feature is scale-free: values are
 * divided by the series' recent scale s (mean |y| of the last AG__FC_LAGS
 * values) and the model's output is multiplied back by s. Normalised
 * values are clipped to +-AG__FC_CLIP so one burst after an idle stretch
 * cannot dominate a squared-error fit.
 *
 * One "origin" row describes the series at its last observed index o:
 *   [0, L)        lags y[o - j] / s, j = 0..L-1
 *   [L, L+9)      mean, std, max / s over the last 12, L and day steps
 *   [.., +4)      sin/cos of hour-of-day and day-of-week at o
 *   [.., +1+LC)   covariate present flag, covariate lags / its own scale
 * The gbt adds the target step h as a feature (direct strategy, horizon
 * as a feature); the mlp outputs the whole h-step block at once.
 */
#ifndef AG_FORECAST_FEATURES_H
#define AG_FORECAST_FEATURES_H

#include <stddef.h>
#include <stdint.h>
#include "forecast/model.h"

#define AG__FC_LAGS 48      /* lags of the series (4 h at 5 min) */
#define AG__FC_COV_LAGS 12  /* lags of the covariate */
#define AG__FC_CLIP 20.0    /* normalised values are clipped to +-this */
#define AG__FC_MAX_H 4096   /* longest horizon a global model trains for */
#define AG__FC_NORIGIN (AG__FC_LAGS + 9 + 4 + 1 + AG__FC_COV_LAGS)

/* What the features of one trained model look like. */
typedef struct ag__fc_feat {
    size_t horizon; /* H: steps the model was trained for */
    size_t day;     /* steps per day, 0 when the step does not divide a day */
    int use_day;    /* training series held a day + H: day features on, and
                       forecasts need a day of history */
    int64_t step_ms;
} ag__fc_feat;

/* The shortest history the model forecasts from. */
size_t ag__fc_feat_min_len(const ag__fc_feat *f);

/* Recent scale of y[0..o]: mean |y| over the last AG__FC_LAGS values,
 * falling back to the max |y| there and then 1, so it is never 0. */
double ag__fc_feat_scale(const double *y, size_t o);

/* Fills x[0..AG__FC_NORIGIN) for origin o (last observed index) of the
 * clean series y; t_o = time of y[o]. cov: clean covariate aligned with
 * y (at least o + 1 values) or NULL. */
void ag__fc_feat_origin(const ag__fc_feat *f, const double *y, size_t o, int64_t t_o,
                        const double *cov, double s, float *x);

/* The seasonal reference of step h (1-based) after o: y at the same time
 * of day on the latest day <= o, or y[o] without day features; / s. */
float ag__fc_feat_ref(const ag__fc_feat *f, const double *y, size_t o, size_t h, double s);

/* sin/cos of hour-of-day and day-of-week at t_ms into x[0..4). */
void ag__fc_feat_calendar(int64_t t_ms, float *x);

/* Clip a normalised value to +-AG__FC_CLIP; NaN becomes 0. */
float ag__fc_clip(double v);

/* Forward-fills NaN/inf of v[0..n) into out (leading gaps take the first
 * finite value). Returns 0 when v holds no finite value at all. */
int ag__fc_clean(const double *v, size_t n, double *out);

/* Deterministic PRNG (splitmix64) for sampling and initialisation. */
uint64_t ag__fc_rand(uint64_t *state);
double ag__fc_randu(uint64_t *state); /* uniform [0, 1) */

/* The training set both models sample: usable series, their origins. */
typedef struct ag__fc_trainset {
    const ag_fc_series *series, *cov;
    size_t n;
    ag__fc_feat feat;
    size_t nusable; /* series long enough to give a training row */
    double *y, *c;  /* scratch: one clean series and its covariate */
    int cov_ok;     /* ts->c holds a covariate for the loaded series */
    size_t cap;
} ag__fc_trainset;

/* Checks the series and fills ts (frees with ag__fc_trainset_free). */
ag_err ag__fc_trainset_init(ag__fc_trainset *ts, const ag_fc_series *series,
                            const ag_fc_series *cov, size_t n, size_t horizon, ag_errinfo *ei);
void ag__fc_trainset_free(ag__fc_trainset *ts);
/* Cleans series i into ts->y (and ts->c). Returns the valid origin range
 * [*lo, *hi] (0 when series i gives no row). */
int ag__fc_trainset_load(ag__fc_trainset *ts, size_t i, size_t *lo, size_t *hi);

/* The two global model kinds (gbt.c, mlp.c). train samples rows from ts;
 * predict writes the normalised forecasts z[0..h) (to be multiplied by
 * s) of the clean series y at origin o (time t_o), x0 = its origin row.
 * global.c checks the inputs and unscales. */
typedef struct ag__fc_gbt ag__fc_gbt;
typedef struct ag__fc_mlp ag__fc_mlp;

ag_err ag__fc_gbt_train(ag__fc_trainset *ts, uint64_t seed, ag__fc_gbt **out, ag_errinfo *ei);
ag_err ag__fc_gbt_predict(const ag__fc_gbt *m, const ag__fc_feat *f, const double *y, size_t o,
                          int64_t t_o, const float *x0, double s, size_t h, double *z);
void ag__fc_gbt_free(ag__fc_gbt *m);

ag_err ag__fc_mlp_train(ag__fc_trainset *ts, uint64_t seed, ag__fc_mlp **out, ag_errinfo *ei);
ag_err ag__fc_mlp_predict(const ag__fc_mlp *m, const ag__fc_feat *f, const double *y, size_t o,
                          int64_t t_o, const float *x0, double s, size_t h, double *z);
void ag__fc_mlp_free(ag__fc_mlp *m);

#endif
