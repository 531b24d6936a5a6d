/*
 * forecast/conformal.h - conformal calibration of point forecasts into
 * quantiles from rolling-origin backtest residuals (forecast/conformal.c).
 * Owned by the forecasting framework (f1).
 */
#ifndef AG_FORECAST_CONFORMAL_H
#define AG_FORECAST_CONFORMAL_H

#include <stddef.h>
#include <stdint.h>
#include "augur/err.h"

/* Residuals (actual - forecast) of k origins x hb steps, grouped into
 * horizon buckets that widen with the step so each holds enough of them,
 * each bucket sorted. */
typedef struct ag__fc_calib {
    size_t k, hb;  /* origins, steps per origin */
    size_t nb;     /* buckets */
    size_t *start; /* [nb + 1] first step of each bucket, start[nb] = hb */
    double *res;   /* [k * hb] bucket b's residuals at res[k * start[b]], sorted */
} ag__fc_calib;

/* Builds c from res[o * hb + h] (o < k, h < hb). Returns AG_ENOMEM or
 * AG_OK; c owns its arrays (ag__fc_calib_clear). */
ag_err ag__fc_calib_build(ag__fc_calib *c, const double *res, size_t k, size_t hb);
void ag__fc_calib_clear(ag__fc_calib *c);

/* Writes the calibrated offset of quantile q for steps 0..h-1 into off:
 * the finite-sample conformal quantile of the step's bucket,
 * interpolated between bucket centres, and beyond hb grown like
 * sqrt(step) (a random walk's spread). Non-decreasing in q at every step. */
void ag__fc_calib_offsets(const ag__fc_calib *c, double q, double *off, size_t h);

/* Residuals of the choice itself (cross-validated over origins): for each
 * origin o, the model a choice on the other origins would have made (by
 * pinball loss at q of bands calibrated on those origins, or MAE / MSE
 * for loss AG_FC_LOSS_MAE / _MSE), and that model's residuals at o.
 * res[m] holds model m's residuals [k * hb], valid at origins in ran[m].
 * Writes one row of hb per origin that some model ran at into out
 * ([k * hb]) and their count into *nout. Returns AG_ENOMEM or AG_OK.
 * Added by f7 (selection-aware calibration of `auto`). */
ag_err ag__fc_choice_residuals(const double *const *res, const uint64_t *ran, size_t nm, size_t k,
                               size_t hb, int loss, double q, double *out, size_t *nout);

/* The conformal order statistic of sorted r[0..n) at level q. */
double ag__fc_conformal_quantile(const double *r, size_t n, double q);

#endif
