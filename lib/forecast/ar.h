/*
 * forecast/ar.h - what the autoregression (ar.c) fitted, for tests and
 * --explain. Owned by ar.c's author (f3).
 */
#ifndef AG_FORECAST_AR_H
#define AG_FORECAST_AR_H

#include <stddef.h>
#include "forecast/model.h"

#define AG__FC_AR_MAXLAGS 5 /* 1..3, the period, the week */

typedef struct ag__fc_ar_info {
    size_t nlags;
    size_t lag[AG__FC_AR_MAXLAGS];  /* lags used, in steps */
    double coef[AG__FC_AR_MAXLAGS]; /* their coefficients (scale-free) */
    int hod, dow;                   /* Fourier harmonics of hour-of-day, day-of-week */
    size_t rows;                    /* fitted rows (the recent window) */
    int constant;                   /* the window was constant: no fit, y[n-1] repeated */
} ag__fc_ar_info;

/* Fits the model of ag__fc_model_ar on y[0..n) and describes it in *info.
 * Returns AG_ENODATA when n is below the model's min_len, AG_ENOMEM. */
ag_err ag__fc_ar_fit(const ag__fc_ctx *ctx, const double *y, size_t n, ag__fc_ar_info *info);

#endif
