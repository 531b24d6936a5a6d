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
 *
 * Exchangeability breaks when the model is chosen on the very residuals
 * that calibrate it: the winner is, in part, the model whose backtest
 * errors happened to be small, and its band is too narrow (bench: `auto`
 * at 92.4% under the p95 while most single models were at 93-94%). So
 * `auto` calibrates on the residuals of the choice itself, cross-validated
 * over origins (ag__fc_choice_residuals): at each origin, the errors of
 * the model a choice made without that origin would have picked.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include "augur/forecast.h"
#include "forecast/conformal.h"
#include "util/alloc.h"

/* Residuals a bucket should hold: enough for a p95 with a few to spare. */
#define MIN_POOL 40

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* Sorts a[0..n) ascending: quicksort (Hoare partition, median of three,
 * recursion on the smaller side) down to insertion sort. Calibration sorts
 * every candidate's residuals; with qsort's indirect compare, 11
 * candidates x 5 origins x 288 steps took 0.7-0.8 ms, with this 0.36-0.39
 * ms (measured side by side). Equal values split evenly, so exact models'
 * zeros are cheap. */
static void sort_doubles(double *a, size_t n)
{
    while (n > 16) {
        double x = a[0], y = a[n / 2], z = a[n - 1];
        double pv = x < y ? (y < z ? y : x < z ? z : x) : (x < z ? x : y < z ? z : y);
        size_t i = 0, j = n - 1;
        for (;;) {
            while (a[i] < pv)
                i++;
            while (a[j] > pv)
                j--;
            if (i >= j)
                break;
            double t = a[i];
            a[i++] = a[j];
            a[j--] = t;
        }
        /* a[0..j] <= pv <= a[j+1..n) */
        if (j + 1 < n - j - 1) {
            sort_doubles(a, j + 1);
            a += j + 1;
            n -= j + 1;
        } else {
            sort_doubles(a + j + 1, n - j - 1);
            n = j + 1;
        }
    }
    for (size_t i = 1; i < n; i++) {
        double v = a[i];
        size_t j = i;
        for (; j > 0 && a[j - 1] > v; j--)
            a[j] = a[j - 1];
        a[j] = v;
    }
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
        sort_doubles(dst, j);
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

/* Bucket b's quantile at q, by whoever holds the residuals. */
typedef double (*bucket_fn)(const void *arg, size_t b, double q);

static double bucket_q(const void *arg, size_t b, double q)
{
    const ag__fc_calib *c = arg;
    size_t lo = c->start[b], hi = c->start[b + 1];
    return ag__fc_conformal_quantile(c->res + c->k * lo, c->k * (hi - lo), q);
}

static double centre(const size_t *start, size_t b)
{
    return 0.5 * (double)(start[b] + start[b + 1] - 1);
}

/* Offsets for steps 0..h-1 from the buckets start[0..nb] of hb steps:
 * interpolated between bucket centres, grown like sqrt(step) past hb. */
static void offsets_by(const size_t *start, size_t nb, size_t hb, bucket_fn bq, const void *arg,
                       double q, double *off, size_t h)
{
    size_t b = 0;
    double prev, cur, last = 0.0;

    if (nb == 0) {
        for (size_t i = 0; i < h; i++)
            off[i] = 0.0;
        return;
    }
    prev = cur = bq(arg, 0, q);
    for (size_t i = 0; i < h && i < hb; i++) {
        double x = (double)i;
        /* Advance to the bucket pair whose centres enclose step i. */
        while (b + 1 < nb && x > centre(start, b)) {
            prev = cur;
            b++;
            cur = bq(arg, b, q);
        }
        if (b == 0 || x >= centre(start, b)) {
            off[i] = cur;
        } else {
            double c0 = centre(start, b - 1), c1 = centre(start, b);
            double t = x <= c0 ? 0.0 : (x - c0) / (c1 - c0);
            off[i] = prev + (cur - prev) * t;
        }
        last = off[i];
    }
    for (size_t i = hb; i < h; i++)
        off[i] = last * sqrt((double)(i + 1) / (double)hb);
}

void ag__fc_calib_offsets(const ag__fc_calib *c, double q, double *off, size_t h)
{
    offsets_by(c->start, c->nb, c->hb, bucket_q, c, q, off, h);
}

/* ---- the residuals of the choice ---------------------------------------- */

/* A residual and the origin it came from. */
typedef struct tagged {
    double v;
    size_t o;
} tagged;

static int cmp_tagged(const void *a, const void *b)
{
    return cmp_double(&((const tagged *)a)->v, &((const tagged *)b)->v);
}

/* Insertion sort for the tails sort_reach sorts, mostly a few dozen long;
 * qsort for long ones (long horizons). */
static void sort_tagged(tagged *a, size_t n)
{
    if (n > 64) {
        qsort(a, n, sizeof *a, cmp_tagged);
        return;
    }
    for (size_t i = 1; i < n; i++) {
        tagged v = a[i];
        size_t j = i;
        for (; j > 0 && a[j - 1].v > v.v; j--)
            a[j] = a[j - 1];
        a[j] = v;
    }
}

/* One model's buckets sorted with their origins, and the origin left out. */
typedef struct fold {
    const size_t *start;
    const tagged *t; /* bucket b at t[n * start[b]], n residual rows */
    size_t n, out;
} fold;

/* Bucket b's conformal quantile without origin f->out: the order
 * statistic of the bucket sorted at its near end (sort_reach), skipping
 * that origin's residuals, so no fold sorts again. */
static double fold_q(const void *arg, size_t b, double q)
{
    const fold *f = arg;
    size_t w = f->start[b + 1] - f->start[b], len = f->n * w, n = len - w, skip, i;
    const tagged *t = f->t + f->n * f->start[b];
    double rank;

    if (n == 0)
        return 0.0;
    if (q >= 0.5) {
        rank = ceil((double)(n + 1) * q);
        skip = rank > (double)n ? 0 : n - (size_t)rank; /* from the top */
        for (i = len; i-- > 0;)
            if (t[i].o != f->out && skip-- == 0)
                return t[i].v;
    } else {
        rank = floor((double)(n + 1) * q);
        skip = rank < 1.0 ? 0 : (size_t)rank - 1;
        for (i = 0; i < len; i++)
            if (t[i].o != f->out && skip-- == 0)
                return t[i].v;
    }
    return 0.0; /* not reached: n residuals remain */
}

/* Rearranges a[0..n) so a[p] is the value a sort would put there, with
 * nothing larger before it and nothing smaller after (quickselect). */
static void select_at(tagged *a, size_t n, size_t p)
{
    size_t lo = 0, hi = n - 1;

    while (lo < hi) {
        double x = a[lo].v, y = a[lo + (hi - lo) / 2].v, z = a[hi].v;
        double pv = x < y ? (y < z ? y : x < z ? z : x) : (x < z ? x : y < z ? z : y);
        size_t i = lo, j = hi;
        while (i <= j) {
            while (a[i].v < pv)
                i++;
            while (a[j].v > pv)
                j--;
            if (i <= j) {
                tagged t = a[i];
                a[i++] = a[j];
                a[j] = t;
                if (j-- == 0)
                    break;
            }
        }
        if (p <= j && j < hi)
            hi = j;
        else if (p >= i)
            lo = i;
        else
            return;
    }
}

/* Sorts the part of bucket t[0..len) (w residuals per origin) that a
 * fold's order statistic at q can reach: the tail beyond the rank plus
 * the w residuals a fold leaves out. For a p95 that is a fraction of the
 * bucket, so the folds cost less than the model's own calibration. */
static void sort_reach(tagged *t, size_t len, size_t w, double q)
{
    size_t n = len - w, m;
    double rank;

    if (q >= 0.5) {
        rank = ceil((double)(n + 1) * q);
        m = (rank > (double)n ? 0 : n - (size_t)rank) + w + 1;
    } else {
        rank = floor((double)(n + 1) * q);
        m = (rank < 1.0 ? 0 : (size_t)rank - 1) + w + 1;
    }
    if (m >= len) {
        sort_tagged(t, len);
    } else if (q >= 0.5) {
        select_at(t, len, len - m);
        sort_tagged(t + len - m, m);
    } else {
        select_at(t, len, m - 1);
        sort_tagged(t, m);
    }
}

/* Losses of model residuals r ([k * hb], rows in mask) with each origin
 * left out in turn, into loss[o] (NAN where o is not in mask or the only
 * one): the choice's criterion, the loss of the band at q calibrated on
 * the remaining origins (as forecast.c scores a candidate), or their MAE /
 * MSE. t ([k * hb]), start ([hb + 1]) and off ([hb]) are scratch. */
static void fold_losses(const double *r, uint64_t mask, size_t k, size_t hb, int loss, double q,
                        tagged *t, size_t *start, double *off, double *lo)
{
    size_t n = 0, nb;
    double tot = 0, by[64];

    for (size_t o = 0; o < k; o++) {
        by[o] = 0;
        if (!(mask >> o & 1))
            continue;
        for (size_t h = 0; h < hb; h++)
            by[o] += loss == AG_FC_LOSS_MSE ? r[o * hb + h] * r[o * hb + h] : fabs(r[o * hb + h]);
        tot += by[o];
        n++;
    }
    for (size_t o = 0; o < k; o++)
        lo[o] = mask >> o & 1 && n > 1 ? (tot - by[o]) / (double)((n - 1) * hb) : NAN;
    if (loss != AG_FC_LOSS_PINBALL || n < 2)
        return;
    nb = plan_buckets(n, hb, start);
    for (size_t b = 0; b < nb; b++) {
        tagged *dst = t + n * start[b];
        size_t j = 0;
        for (size_t o = 0; o < k; o++)
            if (mask >> o & 1)
                for (size_t h = start[b]; h < start[b + 1]; h++)
                    dst[j++] = (tagged){r[o * hb + h], o};
        sort_reach(dst, j, start[b + 1] - start[b], q);
    }
    for (size_t o = 0; o < k; o++) {
        fold f = {start, t, n, o};
        double pin = 0;
        if (!(mask >> o & 1))
            continue;
        offsets_by(start, nb, hb, fold_q, &f, q, off, hb);
        for (size_t p = 0; p < k; p++)
            if (p != o && mask >> p & 1)
                for (size_t h = 0; h < hb; h++) {
                    double u = r[p * hb + h] - off[h];
                    pin += fmax(q * u, (q - 1) * u);
                }
        lo[o] = pin / (double)((n - 1) * hb);
    }
}

ag_err ag__fc_choice_residuals(const double *const *res, const uint64_t *ran, size_t nm, size_t k,
                               size_t hb, int loss, double q, double *out, size_t *nout)
{
    tagged *t = NULL;
    size_t *start = NULL, j = 0;
    double *off = NULL, *lo = NULL;
    ag_err rc = AG_OK;

    *nout = 0;
    if (nm == 0 || k == 0 || k > 64 || hb == 0)
        return AG_OK;
    t = ag__malloc(k * hb * sizeof *t);
    start = ag__malloc((hb + 1) * sizeof *start);
    off = ag__malloc(hb * sizeof *off);
    lo = ag__malloc(nm * k * sizeof *lo);
    if (!t || !start || !off || !lo) {
        rc = AG_ENOMEM;
        goto out;
    }
    for (size_t m = 0; m < nm; m++)
        fold_losses(res[m], ran[m], k, hb, loss, q, t, start, off, lo + m * k);
    for (size_t o = 0; o < k; o++) {
        size_t best = nm;
        for (size_t m = 0; m < nm; m++)
            if (!isnan(lo[m * k + o]) && (best == nm || lo[m * k + o] < lo[best * k + o]))
                best = m;
        if (best < nm)
            memcpy(out + j++ * hb, res[best] + o * hb, hb * sizeof *out);
    }
    *nout = j;
out:
    ag__free(t);
    ag__free(start);
    ag__free(off);
    ag__free(lo);
    return rc;
}
