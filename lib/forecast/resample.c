/*
 * forecast/resample.c - puts irregular samples on the regular grid the
 * models need: one value per step (mean, or max for memory peaks), short
 * gaps bridged by linear interpolation, longer gaps left as NAN so the
 * forecaster can see and report them.
 */
#include <math.h>
#include <stdint.h>
#include "augur/forecast.h"
#include "util/alloc.h"

/* A grid larger than this is a caller bug (10 years of 1-second steps). */
#define MAX_CELLS ((size_t)1 << 28)

/* Cell of sample time t: the i with start + (i-1) step < t <= start + i step.
 * Returns 0 and sets *i, or -1 when t falls before cell 0. */
static int cell_of(int64_t t, int64_t start, int64_t step, size_t *i)
{
    int64_t d;

    if (__builtin_sub_overflow(t, start, &d))
        return -1;
    if (d <= 0) {
        if (d <= -step)
            return -1;
        *i = 0;
        return 0;
    }
    *i = (size_t)(d / step) + (d % step != 0);
    return 0;
}

/* Bridges runs of at most max_gap NAN cells that have a value on both sides. */
static void fill_gaps(double *v, size_t n, size_t max_gap)
{
    size_t i = 0;

    while (i < n) {
        size_t j;
        if (!isnan(v[i]) || i == 0) {
            i++;
            continue;
        }
        j = i;
        while (j < n && isnan(v[j]))
            j++;
        /* v[i-1] is a value (i > 0 and the scan only stops on values). */
        if (j < n && j - i <= max_gap && !isnan(v[i - 1])) {
            double a = v[i - 1], b = v[j];
            double span = (double)(j - i + 1);
            for (size_t k = i; k < j; k++)
                v[k] = a + (b - a) * (double)(k - i + 1) / span;
        }
        i = j;
    }
}

ag_err ag_fc_resample(const ag_sample *s, size_t n, int64_t start_ms, int64_t end_ms,
                      int64_t step_ms, ag_fc_agg agg, size_t max_gap, double **out, size_t *n_out)
{
    int64_t span;
    size_t cells;
    double *v;
    size_t *cnt;

    if (!out || !n_out || (n && !s) || step_ms <= 0 || end_ms < start_ms ||
        (agg != AG_FC_MEAN && agg != AG_FC_MAX))
        return AG_EINVAL;
    *out = NULL;
    *n_out = 0;
    if (__builtin_sub_overflow(end_ms, start_ms, &span))
        return AG_ETOOBIG;
    if ((uint64_t)(span / step_ms) >= MAX_CELLS)
        return AG_ETOOBIG;
    cells = (size_t)(span / step_ms) + 1;
    for (size_t k = 1; k < n; k++)
        if (s[k].t_ms < s[k - 1].t_ms)
            return AG_EINVAL;
    v = ag__malloc(cells * sizeof *v);
    cnt = ag__calloc(cells, sizeof *cnt);
    if (!v || !cnt) {
        ag__free(v);
        ag__free(cnt);
        return AG_ENOMEM;
    }
    for (size_t i = 0; i < cells; i++)
        v[i] = NAN;
    for (size_t k = 0; k < n; k++) {
        size_t i;
        if (!isfinite(s[k].v) || cell_of(s[k].t_ms, start_ms, step_ms, &i) < 0)
            continue;
        if (i >= cells)
            break; /* sorted: every later sample is past the end too */
        if (cnt[i]++ == 0)
            v[i] = s[k].v;
        else if (agg == AG_FC_MAX)
            v[i] = fmax(v[i], s[k].v);
        else /* a running mean cannot overflow where a sum of 1e308s would */
            v[i] += (s[k].v - v[i]) / (double)cnt[i];
    }
    ag__free(cnt);
    fill_gaps(v, cells, max_gap);
    *out = v;
    *n_out = cells;
    return AG_OK;
}
