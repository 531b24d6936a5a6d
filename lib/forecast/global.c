/*
 * forecast/global.c - global learned models: one model trained on many
 * series at once (gradient-boosted trees through XGBoost, gbt.c, or a
 * small N-BEATS-style MLP on BLAS, mlp.c), then used to forecast any one
 * series. This file checks inputs, builds the scale-free origin features
 * (features.c) and turns the models' normalised output back into finite
 * values in the series' units.
 */
#include <math.h>
#include <string.h>

#include "forecast/features.h"
#include "util/alloc.h"

enum { KIND_GBT, KIND_MLP };

struct ag_fc_global {
    int kind;
    ag__fc_feat feat;
    int with_cov; /* trained with covariates */
    ag__fc_gbt *gbt;
    ag__fc_mlp *mlp;
};

ag_err ag_fc_global_train(const char *kind, const ag_fc_series *series, const ag_fc_series *cov,
                          size_t n, size_t horizon, uint64_t seed, ag_fc_global **out,
                          ag_errinfo *ei)
{
    ag__fc_trainset ts;
    ag_fc_global *g = NULL;
    ag_err err;

    if (!out) {
        ag_errinfo_set(ei, "ag_fc_global_train: out is NULL");
        return AG_EINVAL;
    }
    *out = NULL;
    int k = kind && strcmp(kind, "gbt") == 0 ? KIND_GBT : kind && strcmp(kind, "mlp") == 0 ? KIND_MLP : -1;
    if (k < 0) {
        ag_errinfo_set(ei, "global model: unknown kind '%s' (expected gbt or mlp)",
                       kind ? kind : "(null)");
        return AG_EINVAL;
    }
    err = ag__fc_trainset_init(&ts, series, cov, n, horizon, ei);
    if (err)
        return err;
    g = ag__calloc(1, sizeof *g);
    if (!g) {
        ag_errinfo_set(ei, "global model: out of memory");
        err = AG_ENOMEM;
        goto out;
    }
    g->kind = k;
    g->feat = ts.feat;
    g->with_cov = cov != NULL;
    if (seed == 0)
        seed = 0x61677572; /* "agur": the documented fixed default */
    err = k == KIND_GBT ? ag__fc_gbt_train(&ts, seed, &g->gbt, ei)
                        : ag__fc_mlp_train(&ts, seed, &g->mlp, ei);
    if (err)
        goto out;
    *out = g;
    g = NULL;
out:
    ag_fc_global_free(g);
    ag__fc_trainset_free(&ts);
    return err;
}

void ag_fc_global_free(ag_fc_global *g)
{
    if (!g)
        return;
    ag__fc_gbt_free(g->gbt);
    ag__fc_mlp_free(g->mlp);
    ag__free(g);
}

const char *ag__fc_global_name(const ag_fc_global *g)
{
    if (!g)
        return "none";
    return g->kind == KIND_GBT ? "gbt" : "mlp";
}

/* Points *cov at the first covariate cleaned over y's n steps, or NULL
 * when there is none or it is all missing. *buf is the caller's to free. */
static ag_err clean_cov(const ag__fc_ctx *ctx, size_t n, double **buf, const double **cov)
{
    *buf = NULL;
    *cov = NULL;
    if (!ctx->cov || ctx->ncov == 0 || !ctx->cov[0].v || ctx->cov[0].n == 0)
        return AG_OK;
    size_t cn = ctx->cov[0].n < n ? ctx->cov[0].n : n;
    *buf = ag__malloc(n * sizeof **buf);
    if (!*buf)
        return AG_ENOMEM;
    if (!ag__fc_clean(ctx->cov[0].v, cn, *buf))
        return AG_OK;
    for (size_t j = cn; j < n; j++)
        (*buf)[j] = (*buf)[cn - 1];
    *cov = *buf;
    return AG_OK;
}

ag_err ag__fc_global_forecast(const ag_fc_global *g, const ag__fc_ctx *ctx, const double *y,
                              size_t n, size_t h, double *out)
{
    float x0[AG__FC_NORIGIN];
    double *cbuf = NULL, *z = NULL;
    ag_err err = AG_OK;

    if (!g || !ctx || !y || !out || h == 0)
        return AG_EINVAL;
    if (h > g->feat.horizon || ctx->step_ms != g->feat.step_ms)
        return AG_EINVAL; /* trained for a shorter horizon or another step */
    if (n < ag__fc_feat_min_len(&g->feat))
        return AG_ENODATA;
    for (size_t i = n - ag__fc_feat_min_len(&g->feat); i < n; i++)
        if (!isfinite(y[i]))
            return AG_EINVAL; /* models see clean series; refuse rather than guess */
    z = ag__malloc(h * sizeof *z);
    if (!z)
        return AG_ENOMEM;
    const double *cov = NULL;
    if (g->with_cov && (err = clean_cov(ctx, n, &cbuf, &cov)) != AG_OK)
        goto out;
    size_t o = n - 1;
    int64_t t_o = ctx->t0_ms + (int64_t)o * ctx->step_ms;
    double s = ag__fc_feat_scale(y, o);
    ag__fc_feat_origin(&g->feat, y, o, t_o, cov, s, x0);
    err = g->kind == KIND_GBT ? ag__fc_gbt_predict(g->gbt, &g->feat, y, o, t_o, x0, s, h, z)
                              : ag__fc_mlp_predict(g->mlp, &g->feat, y, o, t_o, x0, s, h, z);
    if (err)
        goto out;
    /* Usage is never negative: when the history is not, neither is the forecast. */
    int nonneg = 1;
    for (size_t i = 0; i < n && nonneg; i++)
        nonneg = y[i] >= 0;
    for (size_t i = 0; i < h; i++) {
        double v = z[i] * s;
        out[i] = isfinite(v) ? v : y[o];
        if (nonneg && out[i] < 0)
            out[i] = 0;
    }
out:
    ag__free(z);
    ag__free(cbuf);
    return err;
}
