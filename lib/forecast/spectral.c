/* forecast/spectral.c - PLACEHOLDER while being written: the model says it cannot run. */
#include "forecast/model.h"
static size_t never(const ag__fc_ctx *ctx) { (void)ctx; return 0; }
static ag_err none(const ag__fc_ctx *c, const double *y, size_t n, size_t h, double *o) { (void)c; (void)y; (void)n; (void)h; (void)o; return AG_ENODATA; }
const ag__fc_model ag__fc_model_spectral = {"spectral", never, none};
size_t ag__fc_detect_period(const double *y, size_t n, const size_t *c, size_t nc, uint64_t s)
{
    (void)y; (void)n; (void)c; (void)nc; (void)s;
    return 0;
}
ag_err ag__fft(double *re, double *im, size_t n, int inverse)
{
    (void)re; (void)im; (void)n; (void)inverse;
    return AG_ENODATA;
}
