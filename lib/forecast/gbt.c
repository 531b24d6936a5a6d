/*
 * forecast/gbt.c - the global gradient-boosted-trees model, through the
 * XGBoost C API.
 *
 * Direct multi-horizon strategy with the horizon as a feature: one row
 * per (series, origin, step h) holds the origin's scale-free features
 * (features.c), h / H, the calendar of the target time and the seasonal
 * reference (the same time yesterday), and the label is y[o + h] / s. One
 * model then serves every h <= H, so horizons up to a week cost no more
 * models, only more rows at predict time. Training rows are sampled from
 * every usable series at evenly spread origins with a few random h each,
 * at most AG__FC_GBT_ROWS rows in all, so training time is bounded
 * whatever the cluster size; half the steps are drawn log-uniformly so
 * the short horizons (where the last values matter most) are not a 1-in-
 * 24 minority at H = 288.
 */
#include <math.h>
#include <string.h>
#include <xgboost/c_api.h>

#include "forecast/features.h"
#include "util/alloc.h"

#define AG__FC_GBT_ROWS 200000 /* training rows at most */
#define GBT_H_PER_ORIGIN 8     /* random steps h sampled per origin */
#define GBT_ROUNDS 120
#define GBT_COV_DROP 0.1 /* share of rows trained without the covariate */
#define NCOL (AG__FC_NORIGIN + 6)

struct ag__fc_gbt {
    BoosterHandle booster;
};

/* Completes a row: origin features, then the step-specific ones. */
static void fill_row(const ag__fc_feat *f, const float *x0, const double *y, size_t o,
                     int64_t t_o, double s, size_t h, float *row)
{
    memcpy(row, x0, AG__FC_NORIGIN * sizeof *row);
    float *x = row + AG__FC_NORIGIN;
    x[0] = (float)h / (float)f->horizon;
    ag__fc_feat_calendar(t_o + (int64_t)h * f->step_ms, x + 1);
    x[5] = ag__fc_feat_ref(f, y, o, h, s);
}

static ag_err xgb_fail(ag_errinfo *ei, const char *what)
{
    const char *m = XGBGetLastError();
    ag_errinfo_set(ei, "gbt: XGBoost %s failed: %s", what, m ? m : "(no message)");
    return m && strstr(m, "bad_alloc") ? AG_ENOMEM : AG_EINVAL;
}

/* Samples the training rows into *xp / *lp (caller frees), *rows set. */
static ag_err sample_rows(ag__fc_trainset *ts, uint64_t *rng, float **xp, float **lp,
                          size_t *rows, ag_errinfo *ei)
{
    const ag__fc_feat *f = &ts->feat;
    size_t k = f->horizon < GBT_H_PER_ORIGIN ? f->horizon : GBT_H_PER_ORIGIN;
    size_t per = AG__FC_GBT_ROWS / k / ts->nusable; /* origins per series */
    size_t cap = 0, r = 0, lo, hi;
    float x0[AG__FC_NORIGIN];

    if (per == 0)
        per = 1;
    for (size_t i = 0; i < ts->n; i++) {
        size_t need = ag__fc_feat_min_len(f) + f->horizon, len = ts->series[i].n;
        if (len >= need)
            cap += (per < len - need + 1 ? per : len - need + 1) * k;
    }
    *xp = ag__malloc(cap * NCOL * sizeof **xp);
    *lp = ag__malloc(cap * sizeof **lp);
    if (!*xp || !*lp) {
        ag_errinfo_set(ei, "gbt: out of memory for %zu training rows", cap);
        return AG_ENOMEM;
    }
    for (size_t i = 0; i < ts->n; i++) {
        if (!ag__fc_trainset_load(ts, i, &lo, &hi))
            continue;
        size_t range = hi - lo + 1, m = per < range ? per : range;
        double stride = (double)range / (double)m;
        for (size_t j = 0; j < m && r + k <= cap; j++) {
            size_t o = lo + (size_t)((double)j * stride + ag__fc_randu(rng) * stride);
            if (o > hi)
                o = hi;
            int64_t t_o = ts->series[i].t0_ms + (int64_t)o * f->step_ms;
            double s = ag__fc_feat_scale(ts->y, o);
            int cov = ts->cov_ok && ag__fc_randu(rng) >= GBT_COV_DROP;
            ag__fc_feat_origin(f, ts->y, o, t_o, cov ? ts->c : NULL, s, x0);
            for (size_t q = 0; q < k; q++, r++) {
                /* Half uniform, half log-uniform: short steps, where the
                 * recent level matters most, get enough rows. */
                double u = ag__fc_randu(rng);
                size_t h = q % 2 ? 1 + (size_t)(u * (double)f->horizon)
                                 : (size_t)ceil(pow((double)f->horizon, u));
                if (h < 1)
                    h = 1;
                if (h > f->horizon)
                    h = f->horizon;
                fill_row(f, x0, ts->y, o, t_o, s, h, *xp + r * NCOL);
                (*lp)[r] = ag__fc_clip(ts->y[o + h] / s);
            }
        }
    }
    *rows = r;
    if (r < 16) {
        ag_errinfo_set(ei, "gbt: only %zu training rows; need more or longer series", r);
        return AG_ENODATA;
    }
    return AG_OK;
}

static ag_err set_params(BoosterHandle b, uint64_t seed, ag_errinfo *ei)
{
    char sd[24];
    snprintf(sd, sizeof sd, "%llu", (unsigned long long)(seed & 0x7fffffff));
    const char *kv[][2] = {
        {"objective", "reg:squarederror"}, {"max_depth", "6"}, {"eta", "0.1"},
        {"nthread", "2"}, {"seed", sd}, {"tree_method", "hist"}, {"subsample", "0.8"},
        {"min_child_weight", "4"}, {"verbosity", "0"},
    };
    for (size_t i = 0; i < sizeof kv / sizeof kv[0]; i++)
        if (XGBoosterSetParam(b, kv[i][0], kv[i][1]) != 0)
            return xgb_fail(ei, "XGBoosterSetParam");
    return AG_OK;
}

ag_err ag__fc_gbt_train(ag__fc_trainset *ts, uint64_t seed, ag__fc_gbt **out, ag_errinfo *ei)
{
    uint64_t rng = seed;
    float *x = NULL, *lab = NULL;
    size_t rows = 0;
    DMatrixHandle d = NULL;
    ag__fc_gbt *m = NULL;
    ag_err err;

    *out = NULL;
    err = sample_rows(ts, &rng, &x, &lab, &rows, ei);
    if (err)
        goto out;
    m = ag__calloc(1, sizeof *m);
    if (!m) {
        ag_errinfo_set(ei, "gbt: out of memory");
        err = AG_ENOMEM;
        goto out;
    }
    if (XGDMatrixCreateFromMat(x, rows, NCOL, NAN, &d) != 0) {
        err = xgb_fail(ei, "XGDMatrixCreateFromMat");
        goto out;
    }
    ag__free(x); /* XGBoost keeps its own copy */
    x = NULL;
    if (XGDMatrixSetFloatInfo(d, "label", lab, rows) != 0) {
        err = xgb_fail(ei, "XGDMatrixSetFloatInfo");
        goto out;
    }
    if (XGBoosterCreate(&d, 1, &m->booster) != 0) {
        err = xgb_fail(ei, "XGBoosterCreate");
        goto out;
    }
    if ((err = set_params(m->booster, seed, ei)) != AG_OK)
        goto out;
    for (int it = 0; it < GBT_ROUNDS; it++) {
        if (XGBoosterUpdateOneIter(m->booster, it, d) != 0) {
            err = xgb_fail(ei, "XGBoosterUpdateOneIter");
            goto out;
        }
    }
    *out = m;
    m = NULL;
out:
    if (d)
        XGDMatrixFree(d);
    ag__fc_gbt_free(m);
    ag__free(x);
    ag__free(lab);
    return err;
}

ag_err ag__fc_gbt_predict(const ag__fc_gbt *m, const ag__fc_feat *f, const double *y, size_t o,
                          int64_t t_o, const float *x0, double s, size_t h, double *z)
{
    float *x = ag__malloc(h * NCOL * sizeof *x);
    DMatrixHandle d = NULL;
    bst_ulong len = 0;
    const float *res = NULL;
    ag_err err = AG_OK;

    if (!x)
        return AG_ENOMEM;
    for (size_t i = 0; i < h; i++)
        fill_row(f, x0, y, o, t_o, s, i + 1, x + i * NCOL);
    if (XGDMatrixCreateFromMat(x, h, NCOL, NAN, &d) != 0 ||
        XGBoosterPredict(m->booster, d, 0, 0, 0, &len, &res) != 0 || len != h) {
        err = AG_EINVAL; /* no errinfo here: XGBGetLastError() has the detail */
        goto out;
    }
    for (size_t i = 0; i < h; i++)
        z[i] = res[i];
out:
    if (d)
        XGDMatrixFree(d);
    ag__free(x);
    return err;
}

void ag__fc_gbt_free(ag__fc_gbt *m)
{
    if (!m)
        return;
    if (m->booster)
        XGBoosterFree(m->booster);
    ag__free(m);
}
