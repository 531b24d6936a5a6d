/*
 * forecast/conformal.c - split conformal prediction over horizon buckets.
 *
 * A model's errors at step h of past forecasts (its rolling-origin
 * backtest) say how wrong its step-h forecast will be now: the q-quantile
 * of the series is the mean plus the q-quantile of those errors. One
 * origin gives one residual per step, too few to estimate a p95, so
 * neighbouring steps are pooled into buckets that widen with h (errors
 * change slowly with the horizon), and the finite-sample rank ceil((n+1)q)
 * keeps coverage at or just above q for exchangeable errors.
 */
#include <math.h>
#include <stdlib.h>
#include "forecast/conformal.h"
#include "util/alloc.h"

/* Residuals a bucket should hold: enough for a p95 with a few to spare. */
#define MIN_POOL 40

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

double ag__fc_conformal_quantile(const double *r, size_t n, double q)
{
    double rank;
    size_t k;

    if (n == 0)
        return 0.0;
    if (q >= 0.5) {
        rank = ceil((double)(n + 1) * q);
        k = rank > (double)n ? n : (size_t)rank;
    } else {
        rank = floor((double)(n + 1) * q);
        k = rank < 1.0 ? 1 : (size_t)rank;
    }
    return r[k - 1];
}

/* Bucket widths: at least MIN_POOL residuals, and a quarter of the step
 * so far out the buckets are few; a short tail joins the last bucket. */
static size_t plan_buckets(size_t k, size_t hb, size_t *start)
{
    size_t min_w = (MIN_POOL + k - 1) / k;
    size_t nb = 0, s = 0;

    while (s < hb) {
        size_t w = s / 4 > min_w ? s / 4 : min_w;
        size_t e = hb - s <= w + w / 2 ? hb : s + w;
        if (start)
            start[nb] = s;
        nb++;
        s = e;
    }
    if (start)
        start[nb] = hb;
    return nb;
}

ag_err ag__fc_calib_build(ag__fc_calib *c, const double *res, size_t k, size_t hb)
{
    size_t nb;

    c->k = k;
    c->hb = hb;
    c->nb = 0;
    c->start = NULL;
    c->res = NULL;
    if (k == 0 || hb == 0)
        return AG_OK;
    nb = plan_buckets(k, hb, NULL);
    c->start = ag__malloc((nb + 1) * sizeof *c->start);
    c->res = ag__malloc(k * hb * sizeof *c->res);
    if (!c->start || !c->res) {
        ag__fc_calib_clear(c);
        return AG_ENOMEM;
    }
    c->nb = plan_buckets(k, hb, c->start);
    for (size_t b = 0; b < c->nb; b++) {
        double *dst = c->res + k * c->start[b];
        size_t j = 0;
        for (size_t o = 0; o < k; o++)
            for (size_t h = c->start[b]; h < c->start[b + 1]; h++)
                dst[j++] = res[o * hb + h];
        qsort(dst, j, sizeof *dst, cmp_double);
    }
    return AG_OK;
}

void ag__fc_calib_clear(ag__fc_calib *c)
{
    ag__free(c->start);
    ag__free(c->res);
    c->start = NULL;
    c->res = NULL;
    c->nb = 0;
}

static double bucket_q(const ag__fc_calib *c, size_t b, double q)
{
    size_t lo = c->start[b], hi = c->start[b + 1];
    return ag__fc_conformal_quantile(c->res + c->k * lo, c->k * (hi - lo), q);
}

static double centre(const ag__fc_calib *c, size_t b)
{
    return 0.5 * (double)(c->start[b] + c->start[b + 1] - 1);
}

void ag__fc_calib_offsets(const ag__fc_calib *c, double q, double *off, size_t h)
{
    size_t b = 0;
    double prev, cur, last = 0.0;

    if (c->nb == 0) {
        for (size_t i = 0; i < h; i++)
            off[i] = 0.0;
        return;
    }
    prev = cur = bucket_q(c, 0, q);
    for (size_t i = 0; i < h && i < c->hb; i++) {
        double x = (double)i;
        /* Advance to the bucket pair whose centres enclose step i. */
        while (b + 1 < c->nb && x > centre(c, b)) {
            prev = cur;
            b++;
            cur = bucket_q(c, b, q);
        }
        if (b == 0 || x >= centre(c, b)) {
            off[i] = cur;
        } else {
            double c0 = centre(c, b - 1), c1 = centre(c, b);
            double t = x <= c0 ? 0.0 : (x - c0) / (c1 - c0);
            off[i] = prev + (cur - prev) * t;
        }
        last = off[i];
    }
    for (size_t i = c->hb; i < h; i++)
        off[i] = last * sqrt((double)(i + 1) / (double)c->hb);
}
