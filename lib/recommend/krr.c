/*
 * recommend/krr.c - robusta-dev/krr's "simple" strategy.
 *
 * robusta_krr/strategies/simple.py with the Prometheus loaders of
 * robusta_krr/core/integrations/prometheus/metrics/ and the rounding of
 * robusta_krr/core/runner.py: CPU request = the largest per-pod
 * quantile_over_time(0.95) of the CPU rate, no CPU limit; memory request
 * = limit = the largest per-pod max_over_time(working set) x 1.15 (or the
 * OOM-killed limit x 1.25 when use_oomkill_data and larger); fewer than
 * points_required samples (summed over pods) gives no recommendation;
 * then CPU rounds up to a millicore and memory up to a MiB, with floors of
 * cpu_min_value (10m) and memory_min_value (100 Mi). See docs/krr.md.
 */
#include <math.h>
#include <stdint.h>
#include "augur/recommend.h"
#include "augur/util.h"
#include "recommend/rec_int.h"
#include "util/alloc.h"

#define MIB 1048576.0

ag_err ag__krr_check(const ag_krr_params *p)
{
    if (!(p->cpu_percentile > 0 && p->cpu_percentile <= 1) || !(p->memory_buffer_fraction > 0) ||
        !isfinite(p->memory_buffer_fraction) || p->points_required < 1 ||
        !(p->cpu_min_cores >= 0) || !isfinite(p->cpu_min_cores) || !(p->memory_min_bytes >= 0) ||
        !isfinite(p->memory_min_bytes) || !(p->oom_memory_buffer_fraction >= 0) ||
        !isfinite(p->oom_memory_buffer_fraction))
        return AG_EINVAL;
    return AG_OK;
}


static void set_none(ag_rec_res *r)
{
    r->target = r->lower = r->upper = r->uncapped = r->limit = NAN;
}

static void set_value(ag_rec_res *r, double v, double limit)
{
    r->target = r->lower = r->upper = r->uncapped = v;
    r->limit = limit;
}

/* runner.py _round_value for CPU: up to a millicore, then the floor. */
static double round_cpu(double v, double min)
{
    double r = ceil(v * 1000) / 1000;
    return r > min ? r : min;
}

static double round_mem(double v, double min)
{
    double r = ceil(v / MIB) * MIB;
    return r > min ? r : min;
}

static ag_err krr_cpu(const ag_krr_params *p, const ag_wcontainer *wc, int64_t start, int64_t now,
                      ag_rec *out)
{
    size_t maxn = 0, lo, hi;
    uint64_t points = 0;
    double best = -INFINITY, *buf;

    for (size_t k = 0; k < wc->n; k++) {
        ag__rec_window(&wc->members[k]->usage[AG_CPU], start, now, &lo, &hi);
        points += hi - lo;
        if (hi - lo > maxn)
            maxn = hi - lo;
    }
    out->samples[AG_CPU] = points;
    set_none(&out->res[AG_CPU]);
    if (points == 0) {
        out->status[AG_CPU] = AG_REC_NO_DATA;
        return AG_OK;
    }
    if (points < (uint64_t)p->points_required) {
        out->status[AG_CPU] = AG_REC_NOT_ENOUGH;
        return AG_OK;
    }
    buf = ag__malloc(maxn * sizeof *buf);
    if (!buf)
        return AG_ENOMEM;
    for (size_t k = 0; k < wc->n; k++) {
        const ag_samples *s = &wc->members[k]->usage[AG_CPU];
        double q;
        ag__rec_window(s, start, now, &lo, &hi);
        if (hi == lo)
            continue;
        for (size_t i = lo; i < hi; i++)
            buf[i - lo] = s->v[i].v;
        q = ag_quantile_inplace(buf, hi - lo, p->cpu_percentile);
        if (q > best)
            best = q;
    }
    ag__free(buf);
    out->status[AG_CPU] = AG_REC_OK;
    set_value(&out->res[AG_CPU], round_cpu(best, p->cpu_min_cores), NAN);
    return AG_OK;
}

/* The OOM-killed memory of a member: krr reads the container's memory
 * limit at the kill; we fall back to the recorded memory at the kill. */
static double oom_value(const ag_container *c, const ag_wcontainer *wc, double at_kill)
{
    if (isfinite(c->limit[AG_MEMORY]))
        return c->limit[AG_MEMORY];
    if (isfinite(wc->limit[AG_MEMORY]))
        return wc->limit[AG_MEMORY];
    return at_kill;
}

static void krr_mem(const ag_krr_params *p, const ag_wcontainer *wc, int64_t start, int64_t now,
                    ag_rec *out)
{
    uint64_t points = 0;
    double peak = -INFINITY, oom = 0, v;
    size_t lo, hi;

    out->ooms = 0;
    for (size_t k = 0; k < wc->n; k++) {
        const ag_container *c = wc->members[k];
        ag__rec_window(&c->usage[AG_MEMORY], start, now, &lo, &hi);
        points += hi - lo;
        for (size_t i = lo; i < hi; i++)
            if (c->usage[AG_MEMORY].v[i].v > peak)
                peak = c->usage[AG_MEMORY].v[i].v;
        if (!p->use_oomkill_data)
            continue;
        ag__rec_window(&c->oom, start, now, &lo, &hi);
        for (size_t i = lo; i < hi; i++) {
            double o = oom_value(c, wc, c->oom.v[i].v);
            out->ooms++;
            if (o > oom)
                oom = o;
        }
    }
    out->samples[AG_MEMORY] = points;
    set_none(&out->res[AG_MEMORY]);
    if (points == 0) {
        out->status[AG_MEMORY] = AG_REC_NO_DATA;
        return;
    }
    if (points < (uint64_t)p->points_required) {
        out->status[AG_MEMORY] = AG_REC_NOT_ENOUGH;
        return;
    }
    v = peak * (1 + p->memory_buffer_fraction);
    if (oom * (1 + p->oom_memory_buffer_fraction) > v)
        v = oom * (1 + p->oom_memory_buffer_fraction);
    v = round_mem(v, p->memory_min_bytes);
    out->status[AG_MEMORY] = AG_REC_OK;
    set_value(&out->res[AG_MEMORY], v, v);
}

ag_err ag__krr_run(const ag_krr_params *p, const ag_wcontainer *wc, int64_t start, int64_t now,
                   ag_rec *out)
{
    ag_err err = ag__krr_check(p);

    if (err != AG_OK)
        return err;
    out->confidence_days = NAN;
    krr_mem(p, wc, start, now, out);
    return krr_cpu(p, wc, start, now, out);
}

ag_err ag_recommend_krr(const ag_krr_params *p, const ag_wcontainer *wc, int64_t now_ms,
                        ag_rec *out)
{
    return ag__krr_run(p, wc, INT64_MIN, now_ms, out);
}
