/*
 * forecast/features.c - scale-free lag, rolling-statistic, calendar and
 * covariate features shared by the global models (gbt.c, mlp.c), and the
 * checks and sampling ranges of their training set. See features.h for
 * the layout and why everything is divided by the recent scale.
 */
#include <math.h>
#include <string.h>

#include "forecast/features.h"
#include "util/alloc.h"

#define DAY_MS 86400000LL
#define WEEK_MS (7 * DAY_MS)

size_t ag__fc_feat_min_len(const ag__fc_feat *f)
{
    if (f->use_day && f->day > AG__FC_LAGS)
        return f->day;
    return AG__FC_LAGS;
}

float ag__fc_clip(double v)
{
    if (!(v == v))
        return 0.0f;
    if (v > AG__FC_CLIP)
        return (float)AG__FC_CLIP;
    if (v < -AG__FC_CLIP)
        return (float)-AG__FC_CLIP;
    return (float)v;
}

double ag__fc_feat_scale(const double *y, size_t o)
{
    size_t w = o + 1 < AG__FC_LAGS ? o + 1 : AG__FC_LAGS;
    double sum = 0, mx = 0;

    for (size_t j = 0; j < w; j++) {
        double a = fabs(y[o - j]);
        sum += a;
        if (a > mx)
            mx = a;
    }
    /* A mostly idle window would make a later burst enormous in scaled
     * units; a floor of 1% of the window's max keeps it bounded. */
    double s = sum / (double)w;
    if (s < mx * 0.01)
        s = mx * 0.01;
    if (!(s > 1e-12) || !isfinite(s))
        s = mx > 1e-12 && isfinite(mx) ? mx : 1.0;
    return s;
}

void ag__fc_feat_calendar(int64_t t_ms, float *x)
{
    int64_t td = ((t_ms % DAY_MS) + DAY_MS) % DAY_MS;
    /* 1970-01-01 was a Thursday: shift so the week starts on Monday. */
    int64_t tw = (((t_ms + 3 * DAY_MS) % WEEK_MS) + WEEK_MS) % WEEK_MS;
    double a = 2 * M_PI * (double)td / (double)DAY_MS;
    double b = 2 * M_PI * (double)tw / (double)WEEK_MS;

    x[0] = (float)sin(a);
    x[1] = (float)cos(a);
    x[2] = (float)sin(b);
    x[3] = (float)cos(b);
}

/* mean, std and max / s of y over the w values ending at o. */
static void window_stats(const double *y, size_t o, size_t w, double s, float *x)
{
    size_t lo = o + 1 >= w ? o + 1 - w : 0, cnt = o + 1 - lo;
    double sum = 0, sq = 0, mx = -INFINITY;

    for (size_t i = lo; i <= o; i++) {
        sum += y[i];
        sq += y[i] * y[i];
        if (y[i] > mx)
            mx = y[i];
    }
    double mean = sum / (double)cnt;
    double var = sq / (double)cnt - mean * mean;
    x[0] = ag__fc_clip(mean / s);
    x[1] = ag__fc_clip(var > 0 ? sqrt(var) / s : 0);
    x[2] = ag__fc_clip(mx / s);
}

void ag__fc_feat_origin(const ag__fc_feat *f, const double *y, size_t o, int64_t t_o,
                        const double *cov, double s, float *x)
{
    size_t k = 0;

    for (size_t j = 0; j < AG__FC_LAGS; j++)
        x[k++] = ag__fc_clip(y[j <= o ? o - j : 0] / s);
    window_stats(y, o, 12, s, x + k);
    window_stats(y, o, AG__FC_LAGS, s, x + k + 3);
    window_stats(y, o, f->use_day ? f->day : 4 * AG__FC_LAGS, s, x + k + 6);
    k += 9;
    ag__fc_feat_calendar(t_o, x + k);
    k += 4;
    if (!cov) {
        memset(x + k, 0, (1 + AG__FC_COV_LAGS) * sizeof *x);
        return;
    }
    double sc = ag__fc_feat_scale(cov, o);
    x[k++] = 1.0f;
    for (size_t j = 0; j < AG__FC_COV_LAGS; j++)
        x[k++] = ag__fc_clip(cov[j <= o ? o - j : 0] / sc);
}

float ag__fc_feat_ref(const ag__fc_feat *f, const double *y, size_t o, size_t h, double s)
{
    if (!f->use_day || f->day == 0)
        return ag__fc_clip(y[o] / s);
    /* Latest index o + h - k * day <= o, k >= 1. */
    size_t back = ((h + f->day - 1) / f->day) * f->day;
    if (back > o + h)
        return ag__fc_clip(y[o] / s);
    return ag__fc_clip(y[o + h - back] / s);
}

int ag__fc_clean(const double *v, size_t n, double *out)
{
    size_t first = n;

    for (size_t i = 0; i < n; i++) {
        if (isfinite(v[i])) {
            first = i;
            break;
        }
    }
    if (first == n)
        return 0;
    for (size_t i = 0; i < first; i++)
        out[i] = v[first];
    for (size_t i = first; i < n; i++)
        out[i] = isfinite(v[i]) ? v[i] : out[i - 1];
    return 1;
}

uint64_t ag__fc_rand(uint64_t *state)
{
    uint64_t z = (*state += 0x9E3779B97F4A7C15ULL);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
    return z ^ (z >> 31);
}

double ag__fc_randu(uint64_t *state)
{
    return (double)(ag__fc_rand(state) >> 11) * (1.0 / 9007199254740992.0);
}

static int has_finite(const ag_fc_series *s)
{
    for (size_t i = 0; i < s->n; i++)
        if (isfinite(s->v[i]))
            return 1;
    return 0;
}

ag_err ag__fc_trainset_init(ag__fc_trainset *ts, const ag_fc_series *series,
                            const ag_fc_series *cov, size_t n, size_t horizon, ag_errinfo *ei)
{
    size_t maxn = 0;

    memset(ts, 0, sizeof *ts);
    if (!series || n == 0) {
        ag_errinfo_set(ei, "global model: no series to train on (n = 0)");
        return AG_ENODATA;
    }
    if (horizon == 0 || horizon > AG__FC_MAX_H) {
        ag_errinfo_set(ei, "global model: horizon %zu out of range 1..%d", horizon, AG__FC_MAX_H);
        return horizon == 0 ? AG_EINVAL : AG_ETOOBIG;
    }
    int64_t step = series[0].step_ms;
    for (size_t i = 0; i < n; i++) {
        if (series[i].step_ms <= 0 || series[i].step_ms != step || (series[i].n && !series[i].v)) {
            ag_errinfo_set(ei, "global model: series %zu has step %lld ms, series 0 has %lld ms "
                           "(all series must share one positive step)",
                           i, (long long)series[i].step_ms, (long long)step);
            return AG_EINVAL;
        }
        if (cov && (cov[i].step_ms != step || (cov[i].n && !cov[i].v))) {
            ag_errinfo_set(ei, "global model: covariate %zu has step %lld ms, series %lld ms", i,
                           (long long)cov[i].step_ms, (long long)step);
            return AG_EINVAL;
        }
        if (series[i].n > maxn)
            maxn = series[i].n;
    }
    ts->series = series;
    ts->cov = cov;
    ts->n = n;
    ts->feat.horizon = horizon;
    ts->feat.step_ms = step;
    ts->feat.day = DAY_MS % step == 0 && DAY_MS / step >= 2 ? (size_t)(DAY_MS / step) : 0;
    ts->feat.use_day = ts->feat.day > 0 && maxn >= ts->feat.day + horizon;
    size_t need = ag__fc_feat_min_len(&ts->feat) + horizon;
    for (size_t i = 0; i < n; i++)
        if (series[i].n >= need && has_finite(&series[i]))
            ts->nusable++;
    if (ts->nusable == 0) {
        ag_errinfo_set(ei, "global model: no series is long enough to train on: need %zu finite "
                       "values (history %zu + horizon %zu), the longest has %zu",
                       need, need - horizon, horizon, maxn);
        return AG_ENODATA;
    }
    ts->cap = maxn;
    ts->y = ag__malloc(maxn * sizeof *ts->y);
    ts->c = ag__malloc(maxn * sizeof *ts->c);
    if (!ts->y || !ts->c) {
        ag__fc_trainset_free(ts);
        ag_errinfo_set(ei, "global model: out of memory for %zu-value scratch series", maxn);
        return AG_ENOMEM;
    }
    return AG_OK;
}

void ag__fc_trainset_free(ag__fc_trainset *ts)
{
    ag__free(ts->y);
    ag__free(ts->c);
    ts->y = ts->c = NULL;
}

int ag__fc_trainset_load(ag__fc_trainset *ts, size_t i, size_t *lo, size_t *hi)
{
    const ag_fc_series *s = &ts->series[i];
    size_t need = ag__fc_feat_min_len(&ts->feat) + ts->feat.horizon;

    ts->cov_ok = 0;
    if (s->n < need || !ag__fc_clean(s->v, s->n, ts->y))
        return 0;
    size_t cn = ts->cov ? (ts->cov[i].n < s->n ? ts->cov[i].n : s->n) : 0;
    if (cn > 0 && ag__fc_clean(ts->cov[i].v, cn, ts->c)) {
        /* A shorter covariate is held at its last value. */
        for (size_t j = cn; j < s->n; j++)
            ts->c[j] = ts->c[cn - 1];
        ts->cov_ok = 1;
    }
    *lo = need - ts->feat.horizon - 1;
    *hi = s->n - 1 - ts->feat.horizon;
    return 1;
}
