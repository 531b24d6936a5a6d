/*
 * forecast/ar.c - linear autoregression with calendar features.
 *
 * y[t] = c + sum_l a_l y[t - l] + Fourier terms of the hour of day and of
 * the day of week at t, with lags 1..3 plus the seasonal period and the
 * week when the context knows them. Least squares with a light ridge on
 * the standardised series (so a singular design - a constant column, a
 * lag equal to the period - still solves), fitted on a bounded recent
 * window (AR_MAX_ROWS rows) because the model must fit in well under a
 * millisecond; forecasts are recursive, each step feeding the next one's
 * lags, and clamped to the fitted window's range widened by half its
 * span so an explosive fit cannot run away over a week-long horizon.
 *
 * The normal equations are formed with one BLAS dsyrk and solved by
 * Cholesky (LAPACKE_dposv): with <= 18 standardised columns and the ridge
 * they are well conditioned, and it is several times faster than a QR
 * (dgels) of the 2016 x 18 design. Calendar terms are in UTC.
 */
#include <cblas.h>
#include <lapacke.h>
#include <math.h>
#include <string.h>
#include "forecast/ar.h"
#include "util/alloc.h"

#define AR_P 3             /* short lags 1..AR_P */
#define AR_MAX_ROWS 2016   /* fit on at most this many recent rows */
#define AR_MIN_ROWS 24     /* fewer rows: no fit */
#define AR_SEASONAL_ROWS 72 /* rows a seasonal lag must leave */
#define AR_HOD 3           /* hour-of-day harmonics */
#define AR_DOW 3           /* day-of-week harmonics */
#define AR_MAXK (1 + AG__FC_AR_MAXLAGS + 2 * AR_HOD + 2 * AR_DOW)
#define AR_RIDGE 1e-4      /* times the row count, on the standardised scale */
#define AR_EXACT_EVERY 64  /* recompute a phasor exactly this often */

#define DAY_MS 86400000LL
#define WEEK_MS (7 * DAY_MS)

typedef struct ar_spec {
    size_t lag[AG__FC_AR_MAXLAGS], nlags, maxlag;
    int hod, dow;
    size_t k;    /* columns: intercept, lags, 2 * hod, 2 * dow */
    size_t rows; /* fitted rows: targets y[n - rows .. n) */
} ar_spec;

/* cos/sin of the phase of t_ms within period_ms, advanced one step at a
 * time by a rotation (exact every AR_EXACT_EVERY steps). */
typedef struct phasor {
    double c, s, rc, rs;
    int64_t t_ms, step_ms, period_ms;
    size_t since;
} phasor;

static void phasor_exact(phasor *p)
{
    int64_t r = p->t_ms % p->period_ms;
    double ang = 2.0 * M_PI * (double)(r < 0 ? r + p->period_ms : r) / (double)p->period_ms;
    p->c = cos(ang);
    p->s = sin(ang);
    p->since = 0;
}

static void phasor_init(phasor *p, int64_t t_ms, int64_t step_ms, int64_t period_ms)
{
    double ang = 2.0 * M_PI * (double)(step_ms % period_ms) / (double)period_ms;
    p->t_ms = t_ms;
    p->step_ms = step_ms;
    p->period_ms = period_ms;
    p->rc = cos(ang);
    p->rs = sin(ang);
    phasor_exact(p);
}

static void phasor_next(phasor *p)
{
    double c = p->c;
    p->t_ms += p->step_ms;
    if (++p->since == AR_EXACT_EVERY) {
        phasor_exact(p);
        return;
    }
    p->c = c * p->rc - p->s * p->rs;
    p->s = c * p->rs + p->s * p->rc;
}

/* Harmonics 1..nh of the phasor into x: cos k, sin k pairs. */
static size_t harmonics(const phasor *p, int nh, double *x)
{
    double c = p->c, s = p->s;
    for (int k = 0; k < nh; k++) {
        x[2 * k] = c;
        x[2 * k + 1] = s;
        double c2 = c * p->c - s * p->s;
        s = c * p->s + s * p->c;
        c = c2;
    }
    return 2 * (size_t)nh;
}

/* Which lags and calendar terms y[0..n) supports. 0 when too short. */
static int choose(const ag__fc_ctx *ctx, size_t n, ar_spec *sp)
{
    size_t extra[2] = {ctx->period, ctx->week};
    int64_t span;

    memset(sp, 0, sizeof *sp);
    if (n < AR_P + AR_MIN_ROWS)
        return 0;
    for (size_t l = 1; l <= AR_P; l++)
        sp->lag[sp->nlags++] = l;
    sp->maxlag = AR_P;
    for (size_t i = 0; i < 2; i++) {
        size_t l = extra[i];
        if (l > sp->maxlag && n >= l + AR_SEASONAL_ROWS) {
            sp->lag[sp->nlags++] = l;
            sp->maxlag = l;
        }
    }
    sp->rows = n - sp->maxlag < AR_MAX_ROWS ? n - sp->maxlag : AR_MAX_ROWS;
    /* Calendar terms need a few steps per cycle and two cycles of rows. */
    span = ctx->step_ms > 0 ? (int64_t)sp->rows * ctx->step_ms : 0;
    if (ctx->step_ms > 0 && ctx->step_ms * 4 * AR_HOD <= DAY_MS && span >= 2 * DAY_MS)
        sp->hod = AR_HOD;
    if (ctx->step_ms > 0 && ctx->step_ms * 4 * AR_DOW <= WEEK_MS && span >= 2 * WEEK_MS)
        sp->dow = AR_DOW;
    sp->k = 1 + sp->nlags + 2 * (size_t)sp->hod + 2 * (size_t)sp->dow;
    return 1;
}

/* One design row for target index t (z indexed from y[base]). */
static void row(const ar_spec *sp, const double *z, size_t t, size_t base, const phasor *day,
                const phasor *week, double *x)
{
    size_t j = 0;
    x[j++] = 1.0;
    for (size_t i = 0; i < sp->nlags; i++)
        x[j++] = z[t - sp->lag[i] - base];
    if (sp->hod)
        j += harmonics(day, sp->hod, x + j);
    if (sp->dow)
        harmonics(week, sp->dow, x + j);
}

/* Mean and standard deviation of y[lo..hi), overflow-safe (scaled by the
 * largest magnitude first). Returns 0 when not finite. */
static int moments(const double *y, size_t lo, size_t hi, double *mu, double *sd, double *mn,
                   double *mx)
{
    double m = 0, s = 0, ss = 0, cnt = (double)(hi - lo);

    *mn = *mx = y[lo];
    for (size_t i = lo; i < hi; i++) {
        if (!isfinite(y[i]))
            return 0;
        m = fmax(m, fabs(y[i]));
        *mn = fmin(*mn, y[i]);
        *mx = fmax(*mx, y[i]);
    }
    if (m == 0) {
        *mu = *sd = 0;
        return 1;
    }
    for (size_t i = lo; i < hi; i++)
        s += y[i] / m;
    s /= cnt;
    for (size_t i = lo; i < hi; i++)
        ss += (y[i] / m - s) * (y[i] / m - s);
    *mu = s * m;
    *sd = sqrt(ss / cnt) * m;
    return 1;
}

/*
 * Fits on y[0..n) and, when out is not NULL, writes h recursive forecasts.
 * info (may be NULL) gets the fitted lags.
 */
static ag_err ar_run(const ag__fc_ctx *ctx, const double *y, size_t n, size_t h, double *out,
                     ag__fc_ar_info *info)
{
    ar_spec sp;
    size_t base, t0, R, k;
    double mu, sd, ymin, ymax, zlo, zhi, span, A[AR_MAXK * AR_MAXK], b[AR_MAXK], x[AR_MAXK];
    double *buf = NULL, *z, *X, *tv;
    phasor day = {0}, week = {0};
    ag_err err = AG_OK;

    if (!ctx || !y)
        return AG_EINVAL;
    if (!choose(ctx, n, &sp))
        return AG_ENODATA;
    R = sp.rows, k = sp.k;
    t0 = n - R;
    base = t0 - sp.maxlag;
    if (!moments(y, base, n, &mu, &sd, &ymin, &ymax))
        return AG_EINVAL;
    if (info) {
        memset(info, 0, sizeof *info);
        info->nlags = sp.nlags;
        memcpy(info->lag, sp.lag, sizeof sp.lag);
        info->hod = sp.hod, info->dow = sp.dow, info->rows = R;
    }
    if (!(sd > 1e-12 * fmax(fabs(mu), 1e-300))) {
        /* Constant (to rounding): nothing to regress on. */
        if (info)
            info->constant = 1;
        for (size_t i = 0; out && i < h; i++)
            out[i] = y[n - 1];
        return AG_OK;
    }
    buf = ag__malloc((n - base + h + R * k + R) * sizeof *buf);
    if (!buf)
        return AG_ENOMEM;
    z = buf, X = z + (n - base + h), tv = X + R * k;
    for (size_t i = base; i < n; i++)
        z[i - base] = (y[i] - mu) / sd;
    span = (ymax - ymin) / sd;
    zlo = (ymin - mu) / sd - span / 2;
    zhi = (ymax - mu) / sd + span / 2;

    if (ctx->step_ms > 0) {
        phasor_init(&day, ctx->t0_ms + (int64_t)t0 * ctx->step_ms, ctx->step_ms, DAY_MS);
        phasor_init(&week, ctx->t0_ms + (int64_t)t0 * ctx->step_ms, ctx->step_ms, WEEK_MS);
    }
    for (size_t r = 0; r < R; r++) {
        row(&sp, z, t0 + r, base, &day, &week, x);
        for (size_t j = 0; j < k; j++)
            X[j * R + r] = x[j];
        tv[r] = z[t0 + r - base];
        if (ctx->step_ms > 0)
            phasor_next(&day), phasor_next(&week);
    }
    cblas_dsyrk(CblasColMajor, CblasUpper, CblasTrans, (int)k, (int)R, 1.0, X, (int)R, 0.0, A,
                (int)k);
    cblas_dgemv(CblasColMajor, CblasTrans, (int)R, (int)k, 1.0, X, (int)R, tv, 1, 0.0, b, 1);
    for (size_t j = 1; j < k; j++)
        A[j * k + j] += AR_RIDGE * (double)R;
    if (LAPACKE_dposv(LAPACK_COL_MAJOR, 'U', (int)k, 1, A, (int)k, b, (int)k) != 0) {
        err = AG_ENODATA;
        goto out;
    }
    for (size_t i = 0; info && i < sp.nlags; i++)
        info->coef[i] = b[1 + i];

    for (size_t i = 0; out && i < h; i++) {
        double v = 0;
        row(&sp, z, n + i, base, &day, &week, x);
        for (size_t j = 0; j < k; j++)
            v += b[j] * x[j];
        v = isfinite(v) ? fmin(fmax(v, zlo), zhi) : 0.0;
        z[n + i - base] = v;
        out[i] = mu + sd * v;
        if (!isfinite(out[i]))
            out[i] = y[n - 1];
        if (ctx->step_ms > 0)
            phasor_next(&day), phasor_next(&week);
    }
out:
    ag__free(buf);
    return err;
}

ag_err ag__fc_ar_fit(const ag__fc_ctx *ctx, const double *y, size_t n, ag__fc_ar_info *info)
{
    return ar_run(ctx, y, n, 0, NULL, info);
}

static size_t ar_min_len(const ag__fc_ctx *ctx)
{
    (void)ctx;
    return AR_P + AR_MIN_ROWS;
}

static ag_err ar_forecast(const ag__fc_ctx *ctx, const double *y, size_t n, size_t h, double *out)
{
    if (!out)
        return AG_EINVAL;
    return ar_run(ctx, y, n, h, out, NULL);
}

const ag__fc_model ag__fc_model_ar = {"ar", ar_min_len, ar_forecast};
