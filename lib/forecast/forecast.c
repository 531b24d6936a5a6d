/*
 * forecast/forecast.c - the forecasting framework: from one raw series to
 * calibrated quantile forecasts with the model chosen by backtest.
 *
 * Steps: sanitise the input (gaps, Inf, negatives, scale to O(1)), settle
 * the seasonal context (day, week), run every available model from a few
 * rolling origins near the end of the history, turn each model's backtest
 * residuals into conformal quantiles, score the models (and a weighted
 * ensemble of the best) by the caller's loss, then fit the winner on the
 * recent window and forecast. Degenerate inputs (all missing, one point,
 * constant, too short to backtest) take a defined short path and say so.
 * The models themselves never see NaN, Inf or huge magnitudes.
 */
#include <float.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <pthread.h>
#include <cblas.h>
#include "augur/forecast.h"
#include "forecast/conformal.h"
#include "forecast/model.h"
#include "util/alloc.h"

#define DAY_MS 86400000LL
#define MAX_HORIZON ((size_t)1 << 20)
#define MAX_ORIGINS 64
/* Shortest history (after cleaning) worth a backtest. */
#define MIN_BACKTEST 8
/* Models fit on at most this many recent steps, and at most 4 weeks. */
#define MAX_FIT ((size_t)50000)
/* Scaled forecasts are capped here: the series' max is 1, anything beyond
 * a million times it is a runaway extrapolation, not a forecast. */
#define MAX_SCALED 1e6
/* The ensemble mixes at most this many of the best models. */
#define ENS_MAX 3
#define DEFAULT_SEED 0x9E3779B97F4A7C15ULL

static const double default_q[] = {0.5, 0.9, 0.95, 0.99};

void ag_fc_request_default(ag_fc_request *r, size_t horizon)
{
    memset(r, 0, sizeof *r);
    r->horizon = horizon;
    r->nq = sizeof default_q / sizeof default_q[0];
    memcpy(r->quantiles, default_q, sizeof default_q);
    r->model = NULL;
    r->loss = AG_FC_LOSS_PINBALL;
    r->loss_q = 0.95;
}

ag_err ag_fc_request_use_global(ag_fc_request *r, const ag_fc_global *g)
{
    if (!r || !g)
        return AG_EINVAL;
    if (r->nglobals >= sizeof r->globals / sizeof r->globals[0])
        return AG_ETOOBIG;
    r->globals[r->nglobals++] = g;
    return AG_OK;
}

void ag_forecast_clear(ag_forecast *f)
{
    if (!f)
        return;
    ag__free(f->mean);
    ag__free(f->q);
    ag__free(f->scores);
    memset(f, 0, sizeof *f);
}

/* ---- input cleaning ---------------------------------------------------- */

/* The cleaned, scaled series the models see, and what cleaning did. */
typedef struct clean {
    double *y; /* [n] finite, >= 0, scaled by 1/scale */
    size_t n;
    size_t skip;   /* raw index of y[0] */
    size_t lead;   /* missing steps dropped at the start of the window */
    double scale;  /* max |value| of the window, > 0 unless all zero */
    size_t filled; /* missing or infinite values interpolated */
    size_t neg;    /* negative values clamped to 0 */
    int all_missing;
    double last_known; /* when the window is all missing: last finite raw value, else NAN */
    double *cov;       /* [ncov * n] covariates, cleaned and scaled likewise */
    ag_fc_series *covs;
} clean;

static void clean_free(clean *c)
{
    ag__free(c->y);
    ag__free(c->cov);
    ag__free(c->covs);
}

/* Interpolates NaN runs of v[0..n) linearly, holds the last value over a
 * trailing run. v[0] must be finite. */
static void interpolate(double *v, size_t n)
{
    size_t i = 1;

    while (i < n) {
        size_t j = i;
        if (!isnan(v[i])) {
            i++;
            continue;
        }
        while (j < n && isnan(v[j]))
            j++;
        for (size_t k = i; k < j; k++)
            v[k] = j < n ? v[i - 1] + (v[j] - v[i - 1]) * (double)(k - i + 1) / (double)(j - i + 1)
                         : v[i - 1];
        i = j;
    }
}

/* Copies raw[skip..skip+n) into dst with NaN for non-finite values and
 * negatives clamped; returns the max |value| (0 when none). */
static double copy_window(const double *raw, size_t skip, size_t n, double *dst, size_t *filled,
                          size_t *neg)
{
    double mx = 0.0;

    for (size_t i = 0; i < n; i++) {
        double v = raw[skip + i];
        if (!isfinite(v)) {
            (*filled)++;
            v = NAN;
        } else if (v < 0) {
            (*neg)++;
            v = 0.0;
        }
        if (v > mx)
            mx = v;
        dst[i] = v;
    }
    return mx;
}

static size_t fit_window(const ag_fc_series *in)
{
    size_t w = MAX_FIT;
    if (in->step_ms > 0 && 28 * DAY_MS / in->step_ms < (int64_t)w)
        w = (size_t)(28 * DAY_MS / in->step_ms);
    return w < 16 ? 16 : w;
}

static ag_err clean_input(const ag_fc_series *in, const ag_fc_request *req, clean *c)
{
    size_t w = fit_window(in), start, first;

    memset(c, 0, sizeof *c);
    c->last_known = NAN;
    start = in->n > w ? in->n - w : 0;
    first = start;
    while (first < in->n && !isfinite(in->v[first]))
        first++;
    if (first == in->n) {
        c->all_missing = 1;
        for (size_t i = start; i-- > 0;)
            if (isfinite(in->v[i])) {
                c->last_known = in->v[i] < 0 ? 0.0 : in->v[i];
                break;
            }
        return AG_OK;
    }
    c->skip = first;
    c->lead = first - start;
    c->n = in->n - first;
    c->y = ag__malloc(c->n * sizeof *c->y);
    if (!c->y)
        return AG_ENOMEM;
    c->scale = copy_window(in->v, first, c->n, c->y, &c->filled, &c->neg);
    interpolate(c->y, c->n);
    if (c->scale > 0)
        for (size_t i = 0; i < c->n; i++)
            c->y[i] /= c->scale;
    if (req->ncov == 0)
        return AG_OK;
    c->cov = ag__malloc(req->ncov * c->n * sizeof *c->cov);
    c->covs = ag__calloc(req->ncov, sizeof *c->covs);
    if (!c->cov || !c->covs)
        return AG_ENOMEM;
    for (size_t k = 0; k < req->ncov; k++) {
        double *d = c->cov + k * c->n, mx;
        size_t f = 0, ng = 0, i0 = 0;
        mx = copy_window(req->cov[k].v, first, c->n, d, &f, &ng);
        while (i0 < c->n && isnan(d[i0]))
            i0++;
        for (size_t i = 0; i < c->n; i++) /* leading gap: first known value */
            if (i < i0)
                d[i] = i0 < c->n ? d[i0] : 0.0;
        if (i0 < c->n)
            interpolate(d + i0, c->n - i0);
        for (size_t i = 0; mx > 0 && i < c->n; i++)
            d[i] /= mx;
        c->covs[k] = (ag_fc_series){req->cov[k].t0_ms + (int64_t)first * req->cov[k].step_ms,
                                    req->cov[k].step_ms, d, c->n};
    }
    return AG_OK;
}

/* ---- seasonal context -------------------------------------------------- */

/* Autocorrelation of y at lag. */
static double acf(const double *y, size_t n, size_t lag)
{
    double mu = 0, num = 0, den = 0;

    if (lag == 0 || lag >= n)
        return 0.0;
    for (size_t i = 0; i < n; i++)
        mu += y[i];
    mu /= (double)n;
    for (size_t i = 0; i < n; i++)
        den += (y[i] - mu) * (y[i] - mu);
    for (size_t i = lag; i < n; i++)
        num += (y[i] - mu) * (y[i - lag] - mu);
    return den > 0 ? num / den : 0.0;
}

/* The day (and week) in steps when the step divides them and the history
 * covers two of them; the period the detector finds significant wins,
 * else the day is kept when its autocorrelation is clearly positive. */
static void settle_context(const clean *c, const ag_fc_series *in, const ag_fc_request *req,
                           ag__fc_ctx *ctx)
{
    size_t day = 0, cand[2], nc = 0, p;

    memset(ctx, 0, sizeof *ctx);
    ctx->t0_ms = in->t0_ms + (int64_t)c->skip * in->step_ms;
    ctx->step_ms = in->step_ms;
    ctx->seed = req->seed ? req->seed : DEFAULT_SEED;
    ctx->cov = c->covs;
    ctx->ncov = c->covs ? req->ncov : 0;
    if (DAY_MS % in->step_ms == 0)
        day = (size_t)(DAY_MS / in->step_ms);
    if (day > 1 && c->n >= 2 * day)
        cand[nc++] = day;
    if (day > 0 && c->n >= 14 * day) {
        cand[nc++] = 7 * day;
        ctx->week = 7 * day;
    }
    if (c->n < 16)
        return;
    p = ag__fc_detect_period(c->y, c->n, cand, nc, ctx->seed);
    if (p >= 2 && p <= c->n / 2)
        ctx->period = p;
    else if (nc > 0 && acf(c->y, c->n, day) > 0.3)
        ctx->period = day;
}

/* The context a model sees when fitted on only len steps. */
static ag__fc_ctx ctx_at(const ag__fc_ctx *full, size_t len, size_t skip)
{
    ag__fc_ctx x = *full;

    if (x.period && len < 2 * x.period)
        x.period = 0;
    if (x.week && len < 2 * x.week)
        x.week = 0;
    x.t0_ms += (int64_t)skip * x.step_ms;
    return x;
}

/* ---- candidates and backtest ------------------------------------------- */

typedef struct cand {
    const char *name;
    const ag__fc_model *m; /* local model, or */
    const ag_fc_global *g; /* a global one; both NULL: the ensemble */
    double *fc;            /* [k * hb] backtest forecasts (in the shared block) */
    uint64_t ran;          /* origins it forecast */
    size_t nran;
    int ok; /* backtested: a candidate for the choice */
    ag__fc_calib cal;
    double loss, mae, mse, cover, mase, weight;
    char note[96];
} cand;

typedef struct plan {
    size_t k, hb;               /* origins, steps forecast from each */
    size_t origin[MAX_ORIGINS]; /* end (exclusive) of each origin's history */
    size_t win;                 /* the final fit sees at most win steps, */
    size_t win_bt;              /* a backtest fit at most win_bt */
} plan;

/* Keeps a forecast within the history's range widened by twice its span
 * on each side. A multiplicative or trend model can explode on a series
 * that is mostly idle with rare bursts (seen: 1e7 x the history in
 * bench/bench_forecast); no usage forecast that far outside what the
 * series ever did is credible, and one such value poisons the backtest
 * loss and the ensemble. */
static void clamp_to_history(const double *y, size_t n, double *out, size_t h)
{
    double lo, hi, span;

    if (n == 0)
        return;
    lo = hi = y[0];
    for (size_t i = 1; i < n; i++) {
        if (y[i] < lo)
            lo = y[i];
        if (y[i] > hi)
            hi = y[i];
    }
    span = hi - lo;
    for (size_t i = 0; i < h; i++) {
        if (out[i] > hi + 2 * span)
            out[i] = hi + 2 * span;
        if (out[i] < lo - 2 * span)
            out[i] = lo - 2 * span;
    }
}

static ag_err run_model(const cand *cd, const ag__fc_ctx *ctx, const double *y, size_t n, size_t h,
                        double *out)
{
    ag_err rc;

    if (cd->m) {
        size_t ml = cd->m->min_len(ctx);
        if (ml == 0 || ml > n)
            return AG_ENODATA;
        rc = cd->m->forecast(ctx, y, n, h, out);
    } else {
        rc = ag__fc_global_forecast(cd->g, ctx, y, n, h, out);
    }
    if (rc != AG_OK)
        return rc;
    for (size_t i = 0; i < h; i++)
        if (!isfinite(out[i]))
            return AG_EINVAL;
    clamp_to_history(y, n, out, h);
    return AG_OK;
}

/* Forecasts of one model from one origin, with the history it may see. */
static ag_err run_at(const cand *cd, const ag__fc_ctx *ctx, const clean *c, const plan *p,
                     size_t end, size_t h, double *out)
{
    size_t win = end == c->n ? p->win : p->win_bt;
    size_t len = end < win ? end : win, skip = end - len;
    ag__fc_ctx x = ctx_at(ctx, len, skip);
    size_t ncov = x.ncov;
    ag_fc_series covs[8];

    /* Covariates must end where the history ends: no peeking ahead. */
    if (ncov > 8)
        ncov = 8;
    for (size_t i = 0; i < ncov; i++) {
        covs[i] = c->covs[i];
        covs[i].v += skip;
        covs[i].n = len;
        covs[i].t0_ms += (int64_t)skip * covs[i].step_ms;
    }
    x.cov = ncov ? covs : NULL;
    x.ncov = ncov;
    return run_model(cd, &x, c->y + skip, len, h, out);
}

/* Steps of history the available local models need (the earliest
 * origin's), among those that can be backtested at all. */
static size_t needed_history(const ag__fc_ctx *ctx, size_t omax)
{
    size_t need = 2;
    for (size_t i = 0; i < ag__fc_nmodels; i++) {
        size_t ml = ag__fc_models[i]->min_len(ctx);
        if (ml > need && ml <= omax)
            need = ml;
    }
    return need;
}

/* The backtest fits on a shorter window than the final fit (it runs k
 * times per model): enough for the seasons the models use and for the
 * most demanding model, no more. The scores measure a model slightly
 * handicapped, alike for all. */
static size_t bt_window(const ag__fc_ctx *ctx, size_t need, size_t win)
{
    size_t w = 1024;

    if (ctx->period && 4 * ctx->period > w)
        w = 4 * ctx->period;
    if (ctx->week && 2 * ctx->week + ctx->period > w)
        w = 2 * ctx->week + ctx->period;
    if (need > w)
        w = need;
    return w < win ? w : win;
}

/* Origins: k of them, the last forecasting the last hb steps, spread
 * back over at least a day so the residuals see every time of day, none
 * earlier than need steps of history. */
static void plan_origins(const clean *c, const ag__fc_ctx *ctx, const ag_fc_request *req, plan *p)
{
    size_t omax, span, stride, k, need;

    p->hb = req->horizon > 6 ? req->horizon : 6;
    if (p->hb > c->n / 2)
        p->hb = c->n / 2;
    omax = c->n - p->hb;
    need = needed_history(ctx, omax);
    if (need < 2)
        need = 2;
    if (need > omax)
        need = omax;
    k = req->backtest_origins;
    if (k == 0) {
        k = (60 + p->hb - 1) / p->hb;
        k = k < 5 ? 5 : k > 12 ? 12 : k;
    }
    if (k > MAX_ORIGINS)
        k = MAX_ORIGINS;
    if (k > omax - need + 1)
        k = omax - need + 1;
    span = (k - 1) * p->hb;
    if (ctx->period > span)
        span = ctx->period;
    if (span > omax - need)
        span = omax - need;
    stride = k > 1 ? span / (k - 1) : 0;
    if (k > 1 && stride == 0) {
        k = span + 1;
        stride = 1;
    }
    p->k = k;
    for (size_t i = 0; i < k; i++)
        p->origin[i] = omax - (k - 1 - i) * stride;
    p->win_bt = bt_window(ctx, need, p->win);
}

/* The request's loss of residuals r against calibrated offsets. */
static void score(cand *cd, const clean *c, const plan *p, const ag_fc_request *req, double *off,
                  double mase_den)
{
    double q = req->loss_q, pin = 0, mae = 0, mse = 0, cov = 0;
    size_t cnt = 0;

    ag__fc_calib_offsets(&cd->cal, q, off, p->hb);
    for (size_t o = 0; o < p->k; o++) {
        if (!(cd->ran >> o & 1))
            continue;
        for (size_t h = 0; h < p->hb; h++) {
            double r = c->y[p->origin[o] + h] - cd->fc[o * p->hb + h];
            double u = r - off[h];
            pin += u >= 0 ? q * u : (q - 1) * u;
            mae += fabs(r);
            mse += r * r;
            cov += u <= 0;
            cnt++;
        }
    }
    pin /= (double)cnt;
    mae /= (double)cnt;
    mse /= (double)cnt;
    cd->mae = mae;
    cd->mse = mse;
    cd->cover = cov / (double)cnt;
    cd->mase = mae / fmax(mase_den, 1e-9);
    cd->loss = req->loss == AG_FC_LOSS_MAE ? mae : req->loss == AG_FC_LOSS_MSE ? mse : pin;
}

/* Collects residuals of the origins cd ran and calibrates on them. */
static ag_err calibrate(cand *cd, const clean *c, const plan *p, double *res)
{
    size_t j = 0;

    for (size_t o = 0; o < p->k; o++) {
        if (!(cd->ran >> o & 1))
            continue;
        for (size_t h = 0; h < p->hb; h++)
            res[j * p->hb + h] = c->y[p->origin[o] + h] - cd->fc[o * p->hb + h];
        j++;
    }
    return ag__fc_calib_build(&cd->cal, res, j, p->hb);
}

static ag_err backtest(cand *cd, const ag__fc_ctx *ctx, const clean *c, const plan *p)
{
    cd->ran = 0;
    cd->nran = 0;
    for (size_t o = 0; o < p->k; o++) {
        ag_err rc = run_at(cd, ctx, c, p, p->origin[o], p->hb, cd->fc + o * p->hb);
        if (rc == AG_ENOMEM)
            return rc;
        if (rc == AG_OK) {
            cd->ran |= (uint64_t)1 << o;
            cd->nran++;
        }
    }
    return AG_OK;
}

/* Mean |y_t - y_{t-m}| over the history: the seasonal naive's in-sample
 * error that MASE is scaled by. */
static double naive_mae(const clean *c, size_t m)
{
    double s = 0;
    if (m == 0 || m >= c->n)
        m = 1;
    if (c->n <= m)
        return 0.0;
    for (size_t i = m; i < c->n; i++)
        s += fabs(c->y[i] - c->y[i - m]);
    return s / (double)(c->n - m);
}

static int by_loss(const cand *a, const cand *b)
{
    return (a->loss > b->loss) - (a->loss < b->loss);
}

/* Weights 1/loss^2 over the best few models, on the origins they all ran;
 * the ensemble is backtested and calibrated like any other candidate. */
static ag_err build_ensemble(cand *cs, size_t nc, cand *ens, const clean *c, const plan *p,
                             const ag_fc_request *req, double *res, double *off, double den)
{
    size_t top[ENS_MAX], nt = 0;
    uint64_t ran = ~(uint64_t)0;
    double wsum = 0;

    for (size_t i = 0; i < nc; i++) {
        size_t j;
        if (!cs[i].ok)
            continue;
        if (nt < ENS_MAX) {
            top[nt++] = i;
        } else if (by_loss(&cs[i], &cs[top[nt - 1]]) < 0) {
            top[nt - 1] = i;
        } else {
            continue;
        }
        for (j = nt - 1; j > 0 && by_loss(&cs[top[j]], &cs[top[j - 1]]) < 0; j--) {
            size_t t = top[j];
            top[j] = top[j - 1];
            top[j - 1] = t;
        }
    }
    if (nt < 2)
        return AG_OK;
    for (size_t i = 0; i < nt; i++) {
        double l = fmax(cs[top[i]].loss, 1e-12);
        cs[top[i]].weight = 1.0 / (l * l);
        wsum += cs[top[i]].weight;
        ran &= cs[top[i]].ran;
    }
    for (size_t i = 0; i < nt; i++)
        cs[top[i]].weight /= wsum;
    ens->ran = ran & (p->k >= 64 ? ~(uint64_t)0 : (((uint64_t)1 << p->k) - 1));
    ens->nran = (size_t)__builtin_popcountll(ens->ran);
    if (ens->nran * 2 < p->k || ens->nran == 0) {
        snprintf(ens->note, sizeof ens->note, "members share too few backtest origins");
        return AG_OK;
    }
    for (size_t o = 0; o < p->k; o++)
        for (size_t h = 0; h < p->hb; h++) {
            double v = 0;
            for (size_t i = 0; i < nt; i++)
                v += cs[top[i]].weight * cs[top[i]].fc[o * p->hb + h];
            ens->fc[o * p->hb + h] = v;
        }
    if (calibrate(ens, c, p, res) != AG_OK)
        return AG_ENOMEM;
    score(ens, c, p, req, off, den);
    ens->ok = 1;
    ens->weight = 1.0;
    snprintf(ens->note, sizeof ens->note, "%zu best models weighted by 1/loss^2", nt);
    return AG_OK;
}

/* ---- output ------------------------------------------------------------ */

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* Back to the caller's units: clamped at 0, never NaN or Inf. */
static double unscale(double v, double scale)
{
    if (!(v > 0))
        return 0.0; /* also maps NaN to 0 */
    if (v > MAX_SCALED)
        v = MAX_SCALED;
    v *= scale > 0 ? scale : 1.0;
    return isfinite(v) ? v : DBL_MAX;
}

static ag_err alloc_output(ag_forecast *out, const ag_fc_series *in, const ag_fc_request *req)
{
    out->t0_ms = in->t0_ms + (int64_t)in->n * in->step_ms;
    out->step_ms = in->step_ms;
    out->horizon = req->horizon;
    out->nq = req->nq ? req->nq : sizeof default_q / sizeof default_q[0];
    memcpy(out->quantiles, req->nq ? req->quantiles : default_q, out->nq * sizeof(double));
    qsort(out->quantiles, out->nq, sizeof(double), cmp_double);
    out->mean = ag__calloc(out->horizon, sizeof *out->mean);
    out->q = ag__calloc(out->horizon * out->nq, sizeof *out->q);
    return out->mean && out->q ? AG_OK : AG_ENOMEM;
}

/* A flat forecast at level (scaled by scale) whose quantiles are level
 * plus off_q * sqrt(h+1) with off_q from the sorted diffs d[0..nd). */
static void flat_forecast(ag_forecast *out, double level, double scale, const double *d, size_t nd)
{
    for (size_t k = 0; k < out->nq; k++) {
        double o = nd ? ag__fc_conformal_quantile(d, nd, out->quantiles[k]) : 0.0;
        for (size_t h = 0; h < out->horizon; h++) {
            out->mean[h] = unscale(level, scale);
            out->q[k * out->horizon + h] = unscale(level + o * sqrt((double)(h + 1)), scale);
        }
    }
}

/* Writes mean and quantiles from scaled point forecasts f and cd's
 * calibration. */
static void write_forecast(ag_forecast *out, const double *f, const ag__fc_calib *cal, double scale,
                           double *off)
{
    size_t H = out->horizon;

    for (size_t h = 0; h < H; h++)
        out->mean[h] = unscale(f[h], scale);
    for (size_t k = 0; k < out->nq; k++) {
        ag__fc_calib_offsets(cal, out->quantiles[k], off, H);
        for (size_t h = 0; h < H; h++)
            out->q[k * H + h] = unscale(f[h] + off[h], scale);
    }
    /* Offsets are monotone in q already; sorting guards the clamps. */
    for (size_t h = 0; h < H; h++)
        for (size_t k = 1; k < out->nq; k++)
            if (out->q[k * H + h] < out->q[(k - 1) * H + h])
                out->q[k * H + h] = out->q[(k - 1) * H + h];
}

static void appendf(char *buf, size_t cap, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static void appendf(char *buf, size_t cap, const char *fmt, ...)
{
    size_t len = strlen(buf);
    va_list ap;
    if (len + 1 >= cap)
        return;
    va_start(ap, fmt);
    vsnprintf(buf + len, cap - len, fmt, ap);
    va_end(ap);
}

static const char *loss_name(const ag_fc_request *req, char *buf, size_t cap)
{
    if (req->loss == AG_FC_LOSS_MAE)
        return "MAE";
    if (req->loss == AG_FC_LOSS_MSE)
        return "MSE";
    snprintf(buf, cap, "pinball@%g", req->loss_q);
    return buf;
}

/* ---- validation -------------------------------------------------------- */

static int known_model(const char *name)
{
    for (const char *const *n = ag_fc_model_names(); *n; n++)
        if (strcmp(*n, name) == 0)
            return 1;
    return 0;
}

static ag_err check_request(const ag_fc_series *in, const ag_fc_request *req, ag_errinfo *ei)
{
    if (!in || in->step_ms <= 0 || (in->n && !in->v)) {
        ag_errinfo_set(ei, "forecast: the input series needs step_ms > 0 and values");
        return AG_EINVAL;
    }
    if (req->horizon == 0 || req->horizon > MAX_HORIZON) {
        ag_errinfo_set(ei, "forecast: horizon %zu out of range 1..%zu steps", req->horizon,
                       MAX_HORIZON);
        return AG_EINVAL;
    }
    if (req->nq > AG_FC_MAX_QUANTILES) {
        ag_errinfo_set(ei, "forecast: %zu quantiles, at most %d", req->nq, AG_FC_MAX_QUANTILES);
        return AG_EINVAL;
    }
    for (size_t k = 0; k < req->nq; k++)
        if (!(req->quantiles[k] > 0 && req->quantiles[k] < 1)) {
            ag_errinfo_set(ei, "forecast: quantile %g is not strictly between 0 and 1",
                           req->quantiles[k]);
            return AG_EINVAL;
        }
    if (req->loss_q != 0 && !(req->loss_q > 0 && req->loss_q < 1)) {
        ag_errinfo_set(ei, "forecast: loss quantile %g is not strictly between 0 and 1",
                       req->loss_q);
        return AG_EINVAL;
    }
    if ((unsigned)req->loss > AG_FC_LOSS_MSE || req->nglobals > 4 || (req->ncov && !req->cov)) {
        ag_errinfo_set(ei, "forecast: bad loss, globals or covariates in the request");
        return AG_EINVAL;
    }
    for (size_t k = 0; k < req->ncov; k++)
        if (req->cov[k].n != in->n || (in->n && !req->cov[k].v) || req->cov[k].step_ms <= 0) {
            ag_errinfo_set(ei, "forecast: covariate %zu has %zu values, the series %zu", k,
                           req->cov[k].n, in->n);
            return AG_EINVAL;
        }
    if (req->model && strcmp(req->model, "auto") != 0 && !known_model(req->model)) {
        char names[256] = "";
        for (const char *const *n = ag_fc_model_names(); *n; n++)
            appendf(names, sizeof names, "%s%s", names[0] ? ", " : "", *n);
        ag_errinfo_set(ei, "forecast: unknown model \"%s\" (valid: auto, %s)", req->model, names);
        return AG_EINVAL;
    }
    return AG_OK;
}

/* ---- the short paths ---------------------------------------------------- */

/* Series too short or too degenerate to backtest. Returns 1 when it wrote
 * the forecast. */
static int short_path(const clean *c, ag_forecast *out, double *tmp)
{
    if (c->all_missing) {
        double v = isnan(c->last_known) ? 0.0 : c->last_known;
        flat_forecast(out, v, 1.0, NULL, 0);
        snprintf(out->model, sizeof out->model, "none");
        if (isnan(c->last_known))
            snprintf(out->reason, sizeof out->reason,
                     "no finite value in the input: flat zero forecast");
        else
            snprintf(out->reason, sizeof out->reason,
                     "no finite value in the recent window: flat at the last known value");
        return 1;
    }
    snprintf(out->model, sizeof out->model, "seasonal_naive");
    if (c->n == 1) {
        flat_forecast(out, c->y[0], c->scale, NULL, 0);
        snprintf(out->reason, sizeof out->reason, "only one point: its value, no band");
        return 1;
    }
    {
        double lo = c->y[0], hi = c->y[0];
        for (size_t i = 1; i < c->n; i++) {
            lo = fmin(lo, c->y[i]);
            hi = fmax(hi, c->y[i]);
        }
        if (hi - lo <= 1e-12 * fmax(hi, 1e-300) || c->scale == 0) {
            flat_forecast(out, c->y[c->n - 1], c->scale, NULL, 0);
            snprintf(out->reason, sizeof out->reason,
                     "constant series: zero-width band at its value");
            return 1;
        }
    }
    if (c->n < MIN_BACKTEST) {
        size_t nd = c->n - 1;
        for (size_t i = 0; i < nd; i++)
            tmp[i] = c->y[i + 1] - c->y[i];
        qsort(tmp, nd, sizeof *tmp, cmp_double);
        flat_forecast(out, c->y[c->n - 1], c->scale, tmp, nd);
        snprintf(out->reason, sizeof out->reason,
                 "history too short to backtest (%zu points): last value, band from "
                 "step-to-step changes",
                 c->n);
        return 1;
    }
    return 0;
}

/* ---- the main path ------------------------------------------------------ */

typedef struct work {
    cand *cs; /* [nc]: local models, globals, the ensemble last */
    size_t nc;
    double *fcblk;    /* [nc * k * hb] */
    double *res;      /* [k * hb] */
    double *off;      /* [max(hb, H)] */
    double *f;        /* [H] final point forecast, and [H] member scratch */
    ag__fc_calib sel; /* `auto`'s band: residuals of the choice (choice_calib) */
} work;

static void work_free(work *w)
{
    if (w->cs)
        for (size_t i = 0; i < w->nc; i++)
            ag__fc_calib_clear(&w->cs[i].cal);
    ag__fc_calib_clear(&w->sel);
    ag__free(w->cs);
    ag__free(w->fcblk);
    ag__free(w->res);
    ag__free(w->off);
    ag__free(w->f);
    memset(w, 0, sizeof *w);
}

static ag_err work_alloc(work *w, const ag_fc_request *req, const plan *p)
{
    size_t hmax = p->hb > req->horizon ? p->hb : req->horizon;

    w->nc = ag__fc_nmodels + req->nglobals + 1;
    w->cs = ag__calloc(w->nc, sizeof *w->cs);
    w->fcblk = ag__malloc(w->nc * p->k * p->hb * sizeof *w->fcblk);
    w->res = ag__malloc(p->k * p->hb * sizeof *w->res);
    w->off = ag__malloc(hmax * sizeof *w->off);
    w->f = ag__malloc(2 * req->horizon * sizeof *w->f);
    if (!w->cs || !w->fcblk || !w->res || !w->off || !w->f)
        return AG_ENOMEM;
    for (size_t i = 0; i < w->nc; i++) {
        cand *cd = &w->cs[i];
        cd->fc = w->fcblk + i * p->k * p->hb;
        cd->loss = cd->mase = cd->cover = NAN;
        if (i < ag__fc_nmodels) {
            cd->m = ag__fc_models[i];
            cd->name = cd->m->name;
        } else if (i + 1 < w->nc) {
            cd->g = req->globals[i - ag__fc_nmodels];
            cd->name = ag__fc_global_name(cd->g);
        } else {
            cd->name = "ensemble";
        }
    }
    return AG_OK;
}

/* Backtests, calibrates and scores every candidate. */
static ag_err evaluate(work *w, const ag__fc_ctx *ctx, const clean *c, const plan *p,
                       const ag_fc_request *req)
{
    double den = naive_mae(c, ctx->period);
    size_t nbt = w->nc - 1;
    ag_err rc;

    for (size_t i = 0; i < nbt; i++) {
        cand *cd = &w->cs[i];
        if (cd->m) {
            size_t ml = cd->m->min_len(ctx);
            if (ml == 0) {
                /* min_len 0: the model needs what this series lacks (the
                 * seasonal models need a detected period) */
                snprintf(cd->note, sizeof cd->note, "%s",
                         ctx->period ? "cannot fit this series" : "needs a seasonal period; none detected");
                continue;
            }
            if (ml > c->n) {
                snprintf(cd->note, sizeof cd->note, "needs %zu steps of history, has %zu", ml,
                         c->n);
                continue;
            }
        }
        if ((rc = backtest(cd, ctx, c, p)) != AG_OK)
            return rc;
        if (cd->nran == 0 || cd->nran * 2 < p->k) {
            snprintf(cd->note, sizeof cd->note, "ran at %zu of %zu backtest origins", cd->nran,
                     p->k);
            continue;
        }
        if ((rc = calibrate(cd, c, p, w->res)) != AG_OK)
            return rc;
        score(cd, c, p, req, w->off, den);
        cd->ok = 1;
    }
    return build_ensemble(w->cs, nbt, &w->cs[nbt], c, p, req, w->res, w->off, den);
}

/* The candidate to use: the named one when it was backtested, else the
 * lowest loss. Writes a fallback note into why. */
static cand *choose(work *w, const ag_fc_request *req, char *why, size_t cap)
{
    cand *best = NULL;
    const char *name = req->model && strcmp(req->model, "auto") != 0 ? req->model : NULL;

    for (size_t i = 0; i < w->nc; i++)
        if (w->cs[i].ok && (!best || w->cs[i].loss < best->loss))
            best = &w->cs[i];
    if (!name)
        return best;
    for (size_t i = 0; i < w->nc; i++)
        if (strcmp(w->cs[i].name, name) == 0) {
            if (w->cs[i].ok)
                return &w->cs[i];
            snprintf(why, cap, "%s cannot run: %s; ", name,
                     w->cs[i].note[0] ? w->cs[i].note : "failed");
            return best;
        }
    snprintf(why, cap, "%s: no trained global model attached; ", name);
    return best;
}

/* The band of a model chosen by backtest. Its own residuals are the ones
 * it was chosen for being small on (with ~60 of them and a dozen
 * candidates, the winner's p95 rank is often a lucky draw): calibrating
 * on them makes the band too narrow (bench, before: 92.4% of held-out
 * actuals under `auto`'s p95). Instead calibrate on the residuals of the
 * choice procedure, cross-validated over the origins: at each origin the
 * errors of the model chosen on the other origins (conformal.c). When the
 * choice is stable these are the winner's own residuals; when it is not,
 * the band pays for that. Cost: about one more calibration per candidate
 * (each sorted once, the left-out origin skipped while reading the order
 * statistics). Leaves w->sel empty when too few origins. */
static ag_err choice_calib(work *w, const clean *c, const plan *p, const ag_fc_request *req)
{
    size_t nm = 0, nout = 0;
    const double **rs = ag__malloc(w->nc * sizeof *rs);
    uint64_t *ran = ag__malloc(w->nc * sizeof *ran);
    ag_err rc = AG_ENOMEM;

    if (!rs || !ran)
        goto out;
    /* The backtest forecasts are done with (scored, final fit made): turn
     * them into residuals in place rather than copy a large block. */
    for (size_t i = 0; i < w->nc; i++) {
        cand *cd = &w->cs[i];
        if (!cd->ok)
            continue;
        for (size_t o = 0; o < p->k; o++)
            for (size_t h = 0; h < p->hb; h++)
                cd->fc[o * p->hb + h] =
                    cd->ran >> o & 1 ? c->y[p->origin[o] + h] - cd->fc[o * p->hb + h] : 0.0;
        rs[nm] = cd->fc;
        ran[nm++] = cd->ran;
    }
    rc = ag__fc_choice_residuals(rs, ran, nm, p->k, p->hb, (int)req->loss, req->loss_q, w->res,
                                 &nout);
    if (rc == AG_OK && nout * 2 >= p->k && nout > 0)
        rc = ag__fc_calib_build(&w->sel, w->res, nout, p->hb);
out:
    ag__free(rs);
    ag__free(ran);
    return rc;
}

/* Fits cd on the recent window and forecasts H steps into f. */
static ag_err final_fit(work *w, const cand *cd, const ag__fc_ctx *ctx, const clean *c,
                        const plan *p, size_t H, double *f)
{
    ag_err rc;

    if (cd->m || cd->g)
        return run_at(cd, ctx, c, p, c->n, H, f);
    for (size_t h = 0; h < H; h++)
        f[h] = 0;
    for (size_t i = 0; i + 1 < w->nc; i++) {
        const cand *m = &w->cs[i];
        if (!(m->weight > 0))
            continue;
        if ((rc = run_at(m, ctx, c, p, c->n, H, w->f + H)) != AG_OK)
            return rc;
        for (size_t h = 0; h < H; h++)
            f[h] += m->weight * w->f[H + h];
    }
    return AG_OK;
}

/* A loss in the caller's units (the models work on the series / scale). */
static double loss_units(double loss, const clean *c, const ag_fc_request *req)
{
    double s = c->scale > 0 ? c->scale : 1.0;
    double v = loss * (req->loss == AG_FC_LOSS_MSE ? s * s : s);
    return isfinite(v) ? v : DBL_MAX;
}

/* "chosen by backtest (...): best 0.012 < next 0.015 ...", in the
 * caller's units. */
static void explain(const work *w, const cand *chosen, const clean *c, const ag_fc_request *req,
                    const plan *p, ag_forecast *out)
{
    const cand *order[32];
    size_t n = 0;
    char lb[32];
    int asked = req->model && strcmp(req->model, chosen->name) == 0;

    for (size_t i = 0; i < w->nc && n < 32; i++)
        if (w->cs[i].ok && &w->cs[i] != chosen)
            order[n++] = &w->cs[i];
    for (size_t i = 1; i < n; i++)
        for (size_t j = i; j > 0 && by_loss(order[j], order[j - 1]) < 0; j--) {
            const cand *t = order[j];
            order[j] = order[j - 1];
            order[j - 1] = t;
        }
    appendf(out->reason, sizeof out->reason, "%s (%s, %zu origins x %zu steps): %s %.4g",
            asked ? "as requested" : "chosen by backtest", loss_name(req, lb, sizeof lb), p->k,
            p->hb, chosen->name, loss_units(chosen->loss, c, req));
    /* Chosen by backtest, the chosen one is the best and the rest follow
     * in order: a chain of '<'. Asked for, it may not be: list the others
     * by loss instead of a chain that would read wrongly. */
    for (size_t i = 0; i < n && i < 4; i++)
        appendf(out->reason, sizeof out->reason, "%s%s %.4g",
                asked ? (i ? ", " : "; the others: ")
                      : (order[i]->loss == chosen->loss ? " = " : " < "),
                order[i]->name, loss_units(order[i]->loss, c, req));
}

static ag_err fill_scores(const work *w, const clean *c, const ag_fc_request *req, ag_forecast *out)
{
    out->scores = ag__calloc(w->nc, sizeof *out->scores);
    if (!out->scores)
        return AG_ENOMEM;
    out->nscores = w->nc;
    for (size_t i = 0; i < w->nc; i++) {
        const cand *cd = &w->cs[i];
        ag_fc_score *sc = &out->scores[i];
        snprintf(sc->model, sizeof sc->model, "%s", cd->name);
        snprintf(sc->note, sizeof sc->note, "%s", cd->note);
        sc->loss = sc->mase = sc->coverage = NAN;
        sc->weight = cd->weight;
        if (!cd->ok)
            continue;
        sc->loss = loss_units(cd->loss, c, req);
        sc->mase = cd->mase;
        sc->coverage = cd->cover;
    }
    return AG_OK;
}

static ag_err main_path(const clean *c, const ag__fc_ctx *ctx, const ag_fc_request *req0,
                        ag_forecast *out)
{
    ag_fc_request req = *req0;
    work w = {0};
    plan p = {0};
    cand *chosen;
    char why[160] = "";
    ag_err rc;

    if (req.loss_q == 0)
        req.loss_q = 0.95;
    p.win = fit_window(&(ag_fc_series){0, ctx->step_ms, NULL, 0});
    plan_origins(c, ctx, &req, &p);
    if ((rc = work_alloc(&w, &req, &p)) != AG_OK)
        goto out;
    if ((rc = evaluate(&w, ctx, c, &p, &req)) != AG_OK)
        goto out;
    chosen = choose(&w, &req, why, sizeof why);
    if ((rc = fill_scores(&w, c, &req, out)) != AG_OK)
        goto out;
    while (chosen) {
        rc = final_fit(&w, chosen, ctx, c, &p, req.horizon, w.f);
        if (rc == AG_ENOMEM)
            goto out;
        if (rc == AG_OK)
            break;
        /* It backtested but cannot fit the full window: next best. */
        appendf(why, sizeof why, "%s failed on the full history; ", chosen->name);
        chosen->ok = 0;
        chosen = choose(&w, &(ag_fc_request){.model = NULL}, why, sizeof why);
    }
    rc = AG_OK;
    if (!chosen) { /* nothing backtested (every model unavailable): last value */
        const cand *sn = &w.cs[0];
        double d[1] = {0};
        flat_forecast(out, c->y[c->n - 1], c->scale, d, 0);
        snprintf(out->model, sizeof out->model, "seasonal_naive");
        snprintf(out->reason, sizeof out->reason, "%s", why);
        appendf(out->reason, sizeof out->reason, "no model could be backtested (%s): last value",
                sn->note[0] ? sn->note : "none available");
        goto out;
    }
    snprintf(out->model, sizeof out->model, "%s", chosen->name);
    snprintf(out->reason, sizeof out->reason, "%s", why);
    explain(&w, chosen, c, &req, &p, out);
    if (!req.model || strcmp(req.model, chosen->name) != 0) /* chosen, not asked for */
        if ((rc = choice_calib(&w, c, &p, &req)) != AG_OK)
            goto out;
    write_forecast(out, w.f, w.sel.nb ? &w.sel : &chosen->cal, c->scale, w.off);
out:
    work_free(&w);
    return rc;
}

static void add_notes(const clean *c, ag_forecast *out)
{
    if (c->lead)
        appendf(out->reason, sizeof out->reason, "; %zu leading missing steps dropped", c->lead);
    if (c->filled)
        appendf(out->reason, sizeof out->reason, "; %zu missing or infinite values interpolated",
                c->filled);
    if (c->neg)
        appendf(out->reason, sizeof out->reason, "; %zu negative values clamped to 0", c->neg);
}

/* The matrices here are small (a few thousand rows, a few dozen columns):
 * OpenBLAS' threads cost more than they save (1.8 ms against 0.28 ms for
 * one AR fit, measured), and augur runs series side by side instead. */
static void blas_single_thread(void)
{
    openblas_set_num_threads(1);
}

ag_err ag_forecast_series(const ag_fc_series *in, const ag_fc_request *req, ag_forecast *out,
                          ag_errinfo *ei)
{
    static pthread_once_t blas_once = PTHREAD_ONCE_INIT;
    clean c;
    ag__fc_ctx ctx;
    ag_err rc;
    double *tmp = NULL;

    pthread_once(&blas_once, blas_single_thread);
    if (!out)
        return AG_EINVAL;
    memset(out, 0, sizeof *out);
    if (!req) {
        ag_errinfo_set(ei, "forecast: no request");
        return AG_EINVAL;
    }
    if ((rc = check_request(in, req, ei)) != AG_OK)
        return rc;
    if ((rc = alloc_output(out, in, req)) != AG_OK)
        goto fail;
    if ((rc = clean_input(in, req, &c)) != AG_OK)
        goto fail_clean;
    tmp = ag__malloc(MIN_BACKTEST * sizeof *tmp);
    if (!tmp) {
        rc = AG_ENOMEM;
        goto fail_clean;
    }
    if (!short_path(&c, out, tmp)) {
        settle_context(&c, in, req, &ctx);
        out->period_steps = (int64_t)ctx.period;
        if ((rc = main_path(&c, &ctx, req, out)) != AG_OK)
            goto fail_clean;
    }
    add_notes(&c, out);
    ag__free(tmp);
    clean_free(&c);
    return AG_OK;
fail_clean:
    ag__free(tmp);
    clean_free(&c);
fail:
    ag_forecast_clear(out);
    if (rc == AG_ENOMEM)
        ag_errinfo_set(ei, "forecast: out of memory");
    return rc;
}
