/* forecast/global.c - PLACEHOLDER while being written. */
#include "forecast/model.h"
ag_err ag_fc_global_train(const char *kind, const ag_fc_series *series, const ag_fc_series *cov,
                          size_t n, size_t horizon, uint64_t seed, ag_fc_global **out,
                          ag_errinfo *ei)
{
    (void)kind; (void)series; (void)cov; (void)n; (void)horizon; (void)seed; (void)ei;
    *out = NULL;
    return AG_ENODATA;
}
void ag_fc_global_free(ag_fc_global *g) { (void)g; }
ag_err ag__fc_global_forecast(const ag_fc_global *g, const ag__fc_ctx *ctx, const double *y,
                              size_t n, size_t h, double *out)
{
    (void)g; (void)ctx; (void)y; (void)n; (void)h; (void)out;
    return AG_ENODATA;
}
const char *ag__fc_global_name(const ag_fc_global *g) { (void)g; return "none"; }
