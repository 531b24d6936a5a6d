/* forecast/baselines.c - PLACEHOLDER while being written: the model says it cannot run. */
#include "forecast/model.h"
static size_t never(const ag__fc_ctx *ctx) { (void)ctx; return 0; }
static ag_err none(const ag__fc_ctx *c, const double *y, size_t n, size_t h, double *o) { (void)c; (void)y; (void)n; (void)h; (void)o; return AG_ENODATA; }
const ag__fc_model ag__fc_model_seasonal_naive = {"seasonal_naive", never, none};
const ag__fc_model ag__fc_model_drift = {"drift", never, none};
