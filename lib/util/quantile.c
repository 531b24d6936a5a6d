/*
 * util/quantile.c - quantiles by selection.
 *
 * Percentiles are taken over every series of every container (krr's simple
 * strategy, the report), so this avoids a full sort: a quickselect puts the
 * lower rank in place in O(n) on average, and the next order statistic is
 * then the minimum of the part above it. The interpolation is Prometheus'
 * quantile_over_time: rank = q * (n - 1), linear between the two closest
 * ranks.
 */
#include <math.h>
#include <stdlib.h>
#include "augur/util.h"

static void swap(double *a, double *b)
{
    double t = *a;
    *a = *b;
    *b = t;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* Rearranges v[0..n) so v[k] holds the value a sort would put there, with
 * nothing greater before it and nothing smaller after it. Median-of-three
 * pivot with Hoare partitioning; the comparisons stop at NaN, so NaN input
 * gives an unspecified order but never an out-of-bounds access. Inputs
 * built to defeat the pivot choice would make this quadratic, so after a
 * generous number of rounds the rest is sorted instead (n log n). */
static void select_kth(double *v, size_t n, size_t k)
{
    size_t lo = 0, hi = n - 1, rounds = 0, budget = 8;

    for (size_t m = n; m > 1; m /= 2)
        budget += 2;
    while (hi > lo) {
        if (++rounds > budget) {
            qsort(v + lo, hi - lo + 1, sizeof *v, cmp_double);
            return;
        }
        size_t mid = lo + (hi - lo) / 2;
        if (v[mid] < v[lo])
            swap(&v[mid], &v[lo]);
        if (v[hi] < v[lo])
            swap(&v[hi], &v[lo]);
        if (v[hi] < v[mid])
            swap(&v[hi], &v[mid]);
        double pivot = v[mid];
        size_t i = lo, j = hi;
        for (;;) {
            while (v[i] < pivot)
                i++;
            while (pivot < v[j])
                j--;
            if (i >= j)
                break;
            swap(&v[i], &v[j]);
            i++;
            j--;
        }
        /* v[lo..j] <= pivot <= v[j+1..hi] */
        if (k <= j)
            hi = j;
        else
            lo = j + 1;
    }
}

double ag_quantile_inplace(double *v, size_t n, double q)
{
    double rank, w, lower, upper;
    size_t k;

    if (n == 0 || isnan(q))
        return NAN;
    /* Prometheus answers -Inf / +Inf outside [0, 1]; augur clamps, since a
     * percentile flag of 0 or 100 means "the minimum" / "the maximum". */
    if (q < 0)
        q = 0;
    if (q > 1)
        q = 1;
    rank = q * (double)(n - 1);
    k = (size_t)floor(rank);
    if (k > n - 1)
        k = n - 1;
    w = rank - floor(rank);
    select_kth(v, n, k);
    lower = v[k];
    if (k + 1 >= n || w == 0)
        return lower;
    upper = v[k + 1];
    for (size_t i = k + 2; i < n; i++)
        if (v[i] < upper)
            upper = v[i];
    return lower * (1 - w) + upper * w;
}
