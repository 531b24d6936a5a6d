/*
 * forecast/registry.c - the local models "auto" chooses among, cheapest
 * first, and the list of every model name.
 */
#include "forecast/model.h"

const ag__fc_model *const ag__fc_models[] = {
    &ag__fc_model_seasonal_naive, &ag__fc_model_drift,  &ag__fc_model_ses,
    &ag__fc_model_holt,           &ag__fc_model_hw_add, &ag__fc_model_hw_mul,
    &ag__fc_model_spectral,       &ag__fc_model_ar,
};
const size_t ag__fc_nmodels = sizeof ag__fc_models / sizeof ag__fc_models[0];

const char *const *ag_fc_model_names(void)
{
    static const char *const names[] = {"seasonal_naive", "drift", "ses",  "holt",
                                        "hw_add",         "hw_mul", "spectral", "ar",
                                        "gbt",            "mlp",    "ensemble", NULL};
    return names;
}
