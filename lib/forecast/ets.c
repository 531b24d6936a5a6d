/*
 * forecast/ets.c - exponential smoothing: simple (ses), damped-trend Holt
 * (holt) and Holt-Winters with additive (hw_add) or multiplicative (hw_mul)
 * seasonality and a damped trend.
 *
 * All four are one state-space recursion in error-correction form
 * (Hyndman et al., "Forecasting with Exponential Smoothing", ETS(A,N,N),
 * ETS(A,Ad,N), ETS(A,Ad,A), ETS(A,Ad,M)): a level, an optional damped
 * trend and an optional ring of m seasonal states, each corrected by a
 * share of the one-step error. The smoothing parameters are fitted by
 * minimising the in-sample one-step squared error with Nelder-Mead
 * (optim.c). Initial states come from the classical heuristics (a line
 * through the first points; the first two seasons' means and deviations).
 *
 * Speed matters more than the last digit of the fit: forecast.c refits
 * every model at each rolling backtest origin of every series. So the
 * parameters are fitted on the most recent FIT_FLAT points (at least two
 * seasons) with at most about MAX_EVALS evaluations, each O(window) with no
 * allocation; the states at the window's start come from one pass over
 * the older history, and a last pass over the whole history with the
 * fitted parameters gives the final states.
 * The series is scaled to max |y| = 1 first, so parameters, tolerances
 * and the guards below do not depend on the unit (bytes or cores).
 */
#include <math.h>
#include <string.h>
#include "forecast/model.h"
#include "forecast/optim.h"
#include "util/alloc.h"

#define FIT_FLAT 512  /* points in the fitting window (at least 2 seasons for hw_*) */
#define MAX_EVALS 30  /* Nelder-Mead evaluations per fit (plus the simplex's and snapping) */
#define TREND_INIT 10 /* points the initial trend line is fitted to */
#define TINY 1e-9     /* guard for multiplicative denominators (scaled units) */

typedef struct ets {
    const double *y; /* scaled series */
    size_t n;
    size_t m;       /* season length, 0 = none */
    int trend, mul; /* damped trend; multiplicative seasonality */
    size_t from;    /* start of the current run (initial states belong to from - 1) */
    double l0, b0;  /* initial level and trend */
    double *s0;     /* [m] initial seasonal states, s0[j] for time from + j */
    double l, b;    /* states after a run */
    double *s;      /* [m] seasonal states after a run, ring indexed by (t - from) % m */
} ets;

typedef struct ets_par {
    double alpha, beta, phi, gamma;
} ets_par;

/* Parameter vector -> parameters: x = {alpha, beta*, phi, gamma*} minus the
 * unused ones; beta = alpha * beta* and gamma = (1 - alpha) * gamma* keep
 * Hyndman's usual region (beta <= alpha, gamma <= 1 - alpha). */
static ets_par decode(const ets *e, const double *x)
{
    ets_par p = {x[0], 0, 1, 0};
    size_t i = 1;
    if (e->trend) {
        p.beta = p.alpha * x[i];
        p.phi = x[i + 1];
        i += 2;
    }
    if (e->m)
        p.gamma = (1 - p.alpha) * x[i];
    return p;
}

/* Least-squares line through y[from..from+k): slope and value at from. */
static void line(const double *y, size_t from, size_t k, double *at0, double *slope)
{
    double mt = (double)(k - 1) / 2, my = 0, sxy = 0, sxx = 0;
    for (size_t i = 0; i < k; i++)
        my += y[from + i];
    my /= (double)k;
    for (size_t i = 0; i < k; i++) {
        sxy += ((double)i - mt) * (y[from + i] - my);
        sxx += ((double)i - mt) * ((double)i - mt);
    }
    *slope = sxx > 0 ? sxy / sxx : 0;
    *at0 = my - *slope * mt;
}

/* Classical initial states for a run starting at from; needs 2 * m points
 * there when seasonal. The states describe time from - 1. */
static void init_states(ets *e, size_t from)
{
    size_t m = e->m;
    e->from = from;
    if (!m) {
        size_t k = e->n - from < TREND_INIT ? e->n - from : TREND_INIT;
        double a = e->y[from], slope = 0;
        if (e->trend && k >= 2)
            line(e->y, from, k, &a, &slope);
        e->b0 = slope;
        e->l0 = a - slope;
        return;
    }
    double m1 = 0, m2 = 0, sum = 0;
    for (size_t j = 0; j < m; j++) {
        m1 += e->y[from + j];
        m2 += e->y[from + m + j];
    }
    m1 /= (double)m;
    m2 /= (double)m;
    e->b0 = e->trend ? (m2 - m1) / (double)m : 0;
    /* m1 is the level in the middle of season 1, (m - 1) / 2 steps after from. */
    e->l0 = m1 - e->b0 * (double)(m + 1) / 2;
    for (size_t j = 0; j < m; j++) {
        double d = 0;
        for (size_t k = 0; k < 2; k++) {
            double base = e->l0 + e->b0 * (double)(k * m + j + 1), v = e->y[from + k * m + j];
            d += e->mul ? v / (fabs(base) > TINY ? base : TINY) : v - base;
        }
        e->s0[j] = d / 2;
        sum += e->s0[j];
    }
    /* Normalise: additive states sum to 0, multiplicative ones average 1. */
    if (e->mul && sum > TINY) {
        double c = sum / (double)m;
        for (size_t j = 0; j < m; j++)
            e->s0[j] /= c;
        e->l0 *= c;
        e->b0 *= c;
    } else if (!e->mul) {
        for (size_t j = 0; j < m; j++)
            e->s0[j] -= sum / (double)m;
        e->l0 += sum / (double)m;
    }
}

/* The recursion from e->from to `to` for one model shape (kind: 0 no
 * season, 1 additive, 2 multiplicative; a constant after inlining, so each
 * shape gets its own tight loop). Nearly all of the fitting time goes
 * here, and it is bound by the chain carried from one step to the next;
 * so the level and trend updates are written as one linear map of (l, b)
 * plus a term off that chain:
 *   l' = lb + alpha (base - lb)          = (1 - alpha) (l + phi b) + alpha base
 *   b' = phi b + beta (base - lb)        = -beta l + phi (1 - beta) b + beta base
 * with lb = l + phi b and base the observation net of the season. */
static inline double run_kind(ets *e, const ets_par *p, size_t to, size_t err_from, int kind)
{
    const double a = p->alpha, beta = p->beta, phi = p->phi, g = p->gamma;
    const double ll = 1 - a, lbc = (1 - a) * phi, bl = -beta, bb = phi * (1 - beta);
    double l = e->l0, b = e->b0, sse = 0, *s = e->s;
    size_t j = 0, m = e->m;
    for (size_t t = e->from; t < to; t++) {
        double lb = l + phi * b, y = e->y[t], base, err;
        if (kind == 0) {
            base = y;
            err = base - lb;
        } else if (kind == 1) {
            base = y - s[j];
            err = base - lb;
            s[j] += g * err;
        } else {
            /* ETS(A,Ad,M): additive error, level and trend corrected
             * relative to the season, the season relative to the level. */
            double sj = s[j] > TINY ? s[j] : TINY, d = lb > TINY ? lb : TINY;
            base = y / sj;
            err = (base - lb) * sj;
            s[j] += g * err / d;
        }
        double nl = ll * l + lbc * b + a * base;
        b = bl * l + bb * b + beta * base;
        l = nl;
        if (t >= err_from)
            sse += err * err;
        if (kind && ++j == m)
            j = 0;
    }
    e->l = l;
    e->b = b;
    return isfinite(sse) && isfinite(l) && isfinite(b) ? sse : HUGE_VAL;
}

/* Runs from e->from to `to` with p from the initial states, leaving the
 * final states in e. Returns the sum of squared one-step errors at t >=
 * err_from, or HUGE_VAL when the states blew up. */
static double run(ets *e, const ets_par *p, size_t to, size_t err_from)
{
    if (!e->m)
        return run_kind(e, p, to, err_from, 0);
    memcpy(e->s, e->s0, e->m * sizeof *e->s);
    return e->mul ? run_kind(e, p, to, err_from, 2) : run_kind(e, p, to, err_from, 1);
}

typedef struct objarg {
    ets *e;
    size_t err_from;
} objarg;

static double objective(const double *x, void *arg)
{
    objarg *a = arg;
    ets_par p = decode(a->e, x);
    return run(a->e, &p, a->e->n, a->err_from);
}

/* Makes the states after a run the initial states of a run from `from`
 * (rotating the seasonal ring to start at from). */
static void restart_at(ets *e, size_t from)
{
    for (size_t j = 0; j < e->m; j++)
        e->s0[j] = e->s[(from - e->from + j) % e->m];
    e->l0 = e->l;
    e->b0 = e->b;
    e->from = from;
}

/* Fits the parameters on the last `window` points: the states at the
 * window's start come from the classical initialisation at the start of
 * the history and one pass with the starting parameters (when the history
 * is long enough; else the window is the whole history). Then runs the
 * whole series with the fitted parameters, leaving the final states in e.
 * Returns the one-step SSE over t >= score_from of that final run
 * (HUGE_VAL when it blew up). */
static double fit(ets *e, size_t window, size_t score_from, ets_par *out)
{
    double x[4] = {0.3}, lo[4] = {1e-4}, hi[4] = {1}, step[4] = {0.2};
    size_t dim = 1, warm = e->m ? 2 * e->m : TREND_INIT;
    objarg a = {e, 0};
    if (e->trend) {
        x[dim] = 0.1, lo[dim] = 0, hi[dim] = 1, step[dim] = 0.2;
        dim++;
        x[dim] = 0.95, lo[dim] = 0.8, hi[dim] = 1, step[dim] = -0.1;
        dim++;
    }
    if (e->m) {
        x[dim] = 0.1, lo[dim] = 0, hi[dim] = 1, step[dim] = 0.2;
        dim++;
    }
    init_states(e, 0);
    if (window + warm <= e->n) {
        ets_par p0 = decode(e, x);
        if (run(e, &p0, e->n - window, e->n) == HUGE_VAL)
            return HUGE_VAL;
        restart_at(e, e->n - window);
    }
    a.err_from = e->from;
    ag__fc_nelder_mead(objective, &a, dim, x, lo, hi, step, MAX_EVALS, 1e-4);
    *out = decode(e, x);
    init_states(e, 0);
    return run(e, out, e->n, score_from);
}

/* Point forecasts from the final states of e (scaled units). */
static void predict(const ets *e, const ets_par *p, size_t h, double *out)
{
    double damp = 0, pk = 1;
    for (size_t k = 1; k <= h; k++) {
        double v;
        pk *= p->phi;
        damp += pk;
        v = e->l + damp * e->b;
        if (e->m) {
            size_t j = (e->n - e->from + k - 1) % e->m;
            v = e->mul ? v * (e->s[j] > TINY ? e->s[j] : TINY) : v + e->s[j];
        }
        out[k - 1] = v;
    }
}

static size_t min_len_ses(const ag__fc_ctx *ctx)
{
    (void)ctx;
    return 3;
}

static size_t min_len_holt(const ag__fc_ctx *ctx)
{
    (void)ctx;
    return 5;
}

static size_t min_len_hw(const ag__fc_ctx *ctx)
{
    return ctx->period >= 2 ? 2 * ctx->period : 0;
}

/* The shared body of the four models: scale (and for mul, shift positive),
 * fit, choose the daily or weekly season, forecast, unscale. */
static ag_err ets_forecast(const ag__fc_ctx *ctx, const double *y, size_t n, size_t h, double *out,
                           int trend, int seasonal, int mul)
{
    double lo = HUGE_VAL, hi = -HUGE_VAL, shift = 0, scale = 0, *buf = NULL;
    size_t m = seasonal ? ctx->period : 0, week = seasonal ? ctx->week : 0, need;
    double sd;
    ets e = {0};
    ets_par p;
    ag_err rc = AG_OK;

    need = seasonal ? (m >= 2 ? 2 * m : 0) : trend ? 5 : 3;
    if (!y || !out || need == 0 || n < need)
        return need == 0 ? AG_EINVAL : AG_ENODATA;
    for (size_t i = 0; i < n; i++) {
        if (!isfinite(y[i]))
            return AG_EINVAL;
        lo = y[i] < lo ? y[i] : lo;
        hi = y[i] > hi ? y[i] : hi;
    }
    if (lo == hi) { /* constant: every model here forecasts it exactly */
        for (size_t k = 0; k < h; k++)
            out[k] = lo;
        return AG_OK;
    }
    /* Multiplicative seasonality needs y > 0: usage is often exactly 0,
     * so lift the series by its minimum plus 5% of its range. */
    if (mul && lo <= 0)
        shift = -lo + 0.05 * (hi - lo);
    scale = fabs(hi + shift) > fabs(lo + shift) ? fabs(hi + shift) : fabs(lo + shift);
    if (!isfinite(scale)) /* a range beyond DBL_MAX: nothing sensible to fit */
        return AG_ETOOBIG;
    /* Weekly seasonality is compared out of its initialisation window,
     * so it needs two weeks plus a day. */
    if (week <= m || n < 2 * week + m)
        week = 0;
    buf = ag__malloc((n + 2 * m + 2 * week) * sizeof *buf);
    if (!buf)
        return AG_ENOMEM;
    for (size_t i = 0; i < n; i++)
        buf[i] = (y[i] + shift) / scale;
    e.y = buf;
    e.n = n;
    e.m = m;
    e.trend = trend;
    e.mul = mul;
    e.s0 = buf + n;
    e.s = buf + n + m;
    sd = fit(&e, m ? (2 * m > FIT_FLAT ? 2 * m : FIT_FLAT) : FIT_FLAT, week ? 2 * week : 0, &p);
    if (week && sd != HUGE_VAL) {
        /* The weekly season reuses the daily fit's parameters: refitting
         * over weeks of history would cost several times the daily fit. */
        ets ew = e;
        double sw;
        ew.m = week;
        ew.s0 = buf + n + 2 * m;
        ew.s = ew.s0 + week;
        init_states(&ew, 0);
        sw = run(&ew, &p, n, 2 * week);
        if (sw < sd) {
            e = ew;
            sd = sw;
        }
    }
    if (sd == HUGE_VAL) {
        rc = AG_ENODATA;
        goto out;
    }
    predict(&e, &p, h, out);
    for (size_t k = 0; k < h; k++) {
        out[k] = out[k] * scale - shift;
        if (!isfinite(out[k])) {
            rc = AG_ENODATA;
            goto out;
        }
    }
out:
    ag__free(buf);
    return rc;
}

static ag_err fc_ses(const ag__fc_ctx *ctx, const double *y, size_t n, size_t h, double *out)
{
    return ets_forecast(ctx, y, n, h, out, 0, 0, 0);
}

static ag_err fc_holt(const ag__fc_ctx *ctx, const double *y, size_t n, size_t h, double *out)
{
    return ets_forecast(ctx, y, n, h, out, 1, 0, 0);
}

static ag_err fc_hw_add(const ag__fc_ctx *ctx, const double *y, size_t n, size_t h, double *out)
{
    return ets_forecast(ctx, y, n, h, out, 1, 1, 0);
}

static ag_err fc_hw_mul(const ag__fc_ctx *ctx, const double *y, size_t n, size_t h, double *out)
{
    return ets_forecast(ctx, y, n, h, out, 1, 1, 1);
}

const ag__fc_model ag__fc_model_ses = {"ses", min_len_ses, fc_ses};
const ag__fc_model ag__fc_model_holt = {"holt", min_len_holt, fc_holt};
const ag__fc_model ag__fc_model_hw_add = {"hw_add", min_len_hw, fc_hw_add};
const ag__fc_model ag__fc_model_hw_mul = {"hw_mul", min_len_hw, fc_hw_mul};
