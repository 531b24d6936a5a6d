/*
 * recommend/vpa.c - the Kubernetes VPA recommender, replayed offline.
 *
 * Reproduces kubernetes/autoscaler vertical-pod-autoscaler/pkg/recommender:
 * model/container.go (per-container CPU dedup, one memory peak per
 * aggregation interval, RecordOOM), model/aggregate_container_state.go
 * (every member feeds one pair of decaying histograms; CPU weight
 * minSampleWeight 0.1), logic/estimator.go and logic/recommender.go
 * (percentile -> margin -> confidence -> per-pod minimum, in integer
 * millicores / bytes as model/types.go ResourceAmount). The VPA sees one
 * CPU sample per minute; we resample each member's CPU series to that
 * grid first (docs/vpa.md says how). Pure and allocation-free: the two
 * histograms live on the stack and each member's state is a few words.
 *
 * Speed (eight days of minutes for thousands of containers): two fast
 * paths do exactly what the per-sample code does, in the same order of
 * floating-point operations, so the histograms are bit-for-bit the same.
 * CPU input already on the grid goes through cpu_run() (no resampling
 * state, table-driven bucket and decay weight); memory samples that
 * cannot change the histogram (inside the window, not above its peak) are
 * only counted by mem_skip(). ag__vpa_reference turns both off.
 */
#include <math.h>
#include <stdint.h>
#include <string.h>
#include "augur/recommend.h"
#include "recommend/histogram.h"
#include "recommend/rec_int.h"
#include "recommend/online_int.h"
#include "util/alloc.h"

#define MAX_AMOUNT 1e14 /* model.MaxResourceAmount */
#define MIN_SAMPLE_WEIGHT 0.1
#define MAX_DECAY_EXPONENT 100
#define DECAY_TAB_MAX 4096

/* model.resourceAmountFromFloat: truncation toward zero, clamped. */
static int64_t amount(double v)
{
    if (v > MAX_AMOUNT)
        return (int64_t)MAX_AMOUNT;
    if (!(v >= 0)) /* negative; NaN, which Go turns into a huge negative */
        return 0;
    return (int64_t)v;
}

static int64_t scale_amount(int64_t a, double f)
{
    return amount((double)a * f);
}

static int64_t floor_div(int64_t a, int64_t b)
{
    int64_t q = a / b;
    return (a % b != 0 && ((a < 0) != (b < 0))) ? q - 1 : q;
}

int ag__vpa_reference;

/* 2^(j/m) for j < m, m = half_life / step: decay factors on the minute
 * grid without an exp2() per sample; wtab[j] = minSampleWeight * tab[j]
 * (times a power of two this is exactly minSampleWeight * factor).
 * Cached per thread. */
static _Thread_local struct {
    int64_t hl, step;
    int m;
    double tab[DECAY_TAB_MAX];
    double wtab[DECAY_TAB_MAX];
} dtab;

static int decay_table(int64_t hl, int64_t step)
{
    if (hl % step != 0 || hl / step > DECAY_TAB_MAX)
        return 0;
    if (dtab.hl != hl || dtab.step != step) {
        dtab.m = (int)(hl / step);
        for (int j = 0; j < dtab.m; j++) {
            dtab.tab[j] = exp2((double)j / dtab.m);
            dtab.wtab[j] = MIN_SAMPLE_WEIGHT * dtab.tab[j];
        }
        dtab.hl = hl;
        dtab.step = step;
    }
    return 1;
}

/* Aggregate state of the workload-container (AggregateContainerState). */
typedef struct agg {
    ag__dhist cpu, mem;
    int64_t first_ms, last_ms; /* CPU sample starts */
    uint64_t cpu_count, mem_count;
    uint32_t ooms;
    /* decay cursor on the CPU grid: (cur_t - ref) / step = q*m + j */
    int fast;
    const ag__hist_ifind *ifind; /* whole-millicore CPU buckets, or NULL */
    int64_t cur_ref, cur_t, cur_limit, cur_q;
    int cur_j;
    double cur_scale; /* 2^cur_q */
} agg;

static double cpu_factor(agg *a, int64_t t, int64_t step)
{
    ag__dhist *d = &a->cpu;
    int64_t idx;

    /* the common case: the next minute of the grid, no division */
    if (t - a->cur_t == step && a->cur_ref == d->ref_ms && t <= a->cur_limit) {
        a->cur_t = t;
        if (++a->cur_j == dtab.m) {
            a->cur_j = 0;
            a->cur_q++;
            a->cur_scale = ldexp(1.0, (int)a->cur_q);
        }
        return dtab.tab[a->cur_j] * a->cur_scale; /* exact: a power of two */
    }
    if (t > d->ref_ms + d->half_life_ms * MAX_DECAY_EXPONENT || !a->fast ||
        (t - d->ref_ms) % step != 0) {
        a->cur_ref = INT64_MIN; /* the cursor is not valid */
        return ag__dhist_factor(d, t);
    }
    idx = (t - d->ref_ms) / step;
    a->cur_q = floor_div(idx, dtab.m);
    a->cur_j = (int)(idx - a->cur_q * dtab.m);
    a->cur_ref = d->ref_ms;
    a->cur_t = t;
    a->cur_limit = d->ref_ms + d->half_life_ms * MAX_DECAY_EXPONENT;
    a->cur_scale = ldexp(1.0, (int)a->cur_q);
    return dtab.tab[a->cur_j] * a->cur_scale;
}

/* ContainerState.addCPUSample + AggregateContainerState.addCPUSample. */
static void add_cpu(agg *a, int64_t *last_start, int64_t t, double cores, int64_t step)
{
    double v;

    if (!(cores >= 0) || t <= *last_start)
        return; /* invalid, duplicate or out of order */
    *last_start = t;
    v = (double)amount(cores * 1000.0) / 1000.0; /* CPUAmountFromCores, then back */
    ag__hist_add(&a->cpu.h, v, MIN_SAMPLE_WEIGHT * cpu_factor(a, t, step));
    if (a->cpu_count == 0 || t < a->first_ms)
        a->first_ms = t;
    if (a->cpu_count == 0 || t > a->last_ms)
        a->last_ms = t;
    a->cpu_count++;
}

/* The smallest positive spacing of a member's CPU series: its native
 * interval (a 5-minute trace has 300 s even with gaps). Callers only ask
 * whether it is <= step, and its value when it is not, so the first
 * spacing <= step ends the scan. */
static int64_t native_interval(const ag_sample *v, size_t n, int64_t step)
{
    int64_t best = INT64_MAX;

    for (size_t i = 1; i < n; i++) {
        int64_t d = v[i].t_ms - v[i - 1].t_ms;
        if (d > 0 && d < best) {
            best = d;
            if (d <= step)
                break;
        }
    }
    return best == INT64_MAX ? step : best;
}

/* First grid time a member's series produces (for the reference time). */
static int64_t first_cell(const ag_sample *v, size_t n, int64_t step, int64_t start)
{
    int64_t iv = native_interval(v, n, step), c;

    if (iv <= step)
        return floor_div(v[0].t_ms, step) * step;
    c = (floor_div(v[0].t_ms - iv, step) + 1) * step;
    while (c < start)
        c += step;
    return c;
}

/* How many grid cells from cell on cpu_run() may take: on the decay
 * table's grid and before the reference time has to move (the sample that
 * moves it goes through add_cpu()). 0 = none. */
static size_t cpu_run_room(const agg *a, int64_t cell, int64_t step, size_t n)
{
    const ag__dhist *d = &a->cpu;
    int64_t limit = d->ref_ms + d->half_life_ms * MAX_DECAY_EXPONENT;
    uint64_t room;

    if (ag__vpa_reference || !a->fast || !a->ifind || cell > limit ||
        (cell - d->ref_ms) % step != 0)
        return 0;
    room = (uint64_t)((limit - cell) / step) + 1;
    return room < n ? (size_t)room : n;
}

/* After adds of positive weights only: the buckets outside [minb, maxb]
 * were all lighter than eps before (true of every histogram that is only
 * added to, subtracted from and scaled down, as the VPA's are), weights
 * only grew, so the first and last buckets now at eps or more are exactly
 * where AddSample's per-sample updates would have moved minb and maxb. */
static void hist_bounds_after_adds(ag__hist *h)
{
    double eps = h->o->eps;

    for (int b = 0; b < h->minb; b++)
        if (h->w[b] >= eps) {
            h->minb = b;
            break;
        }
    for (int b = h->o->n - 1; b > h->maxb; b--)
        if (h->w[b] >= eps) {
            h->maxb = b;
            break;
        }
}

/* The hot loop of cpu_run(), within one half-life (so one scale): adds
 * v[i] with weight wtab[i] * scale while v[i + 1] is exactly one step
 * after v[i], at most n samples. Negative and NaN rates are counted in
 * *dropped. Returns how many samples it took. Out of line so that it gets
 * registers of its own. */
static __attribute__((noinline)) size_t cpu_segment(double *w, double *total,
                                                    const ag__hist_ifind *f, const double *wtab,
                                                    double scale, const ag_sample *v, size_t n,
                                                    int64_t step, size_t *dropped)
{
    double tot = *total;
    size_t i;

    for (i = 0; i < n; i++) {
        double cores = v[i].v, wt;
        if (v[i + 1].t_ms - v[i].t_ms != step)
            break; /* v[i] may share its cell */
        if (!(cores >= 0)) {
            (*dropped)++; /* add_cpu() drops it */
            continue;
        }
        wt = wtab[i] * scale;
        w[ag__hist_ifind_trunc(f, cores * 1000.0)] += wt;
        tot += wt;
    }
    *total = tot;
    return i;
}

/* add_cpu() for v[0], v[1], ... as long as each is followed by a sample
 * exactly one step later (so alone in its grid cell), at most n of them:
 * the cells are cell, cell + step, ..., all later than *last_start and
 * within cpu_run_room(). Same buckets, weights and order of additions,
 * without the per-sample checks. Returns how many samples it took. */
static size_t cpu_run(agg *a, int64_t *last_start, const ag_sample *v, size_t n, int64_t cell,
                      int64_t step)
{
    ag__hist *h = &a->cpu.h;
    int64_t idx = (cell - a->cpu.ref_ms) / step, q = floor_div(idx, dtab.m);
    size_t j = (size_t)(idx - q * dtab.m), m = (size_t)dtab.m, i = 0, first, last, dropped = 0;
    double scale = ldexp(1.0, (int)q);

    while (i < n) {
        /* one half-life of the table at a time: scale stays put */
        size_t len = m - j < n - i ? m - j : n - i;
        size_t took = cpu_segment(h->w, &h->total, a->ifind, dtab.wtab + j, scale, v + i, len, step,
                                  &dropped);
        i += took;
        if (took < len)
            break;
        j = 0;
        scale *= 2;
    }
    hist_bounds_after_adds(h);
    a->cur_ref = INT64_MIN; /* the per-sample cursor must start afresh */
    if (dropped == i)
        return i; /* nothing valid */
    for (first = 0; !(v[first].v >= 0); first++)
        ;
    for (last = i - 1; !(v[last].v >= 0); last--)
        ;
    if (a->cpu_count == 0 || cell + (int64_t)first * step < a->first_ms)
        a->first_ms = cell + (int64_t)first * step;
    if (a->cpu_count == 0 || cell + (int64_t)last * step > a->last_ms)
        a->last_ms = cell + (int64_t)last * step;
    a->cpu_count += i - dropped;
    *last_start = cell + (int64_t)last * step;
    return i;
}

/* Resamples one member's CPU rates to the grid and feeds the histogram.
 * Finer input: the mean of the samples in each [k*step, (k+1)*step).
 * Coarser input: a sample at t covers (t - interval, t], one grid sample
 * per step of it. Timestamps are the grid cell starts (MeasureStart).
 * Runs of samples exactly one step apart are one sample per cell (the
 * mean of one value is the value): those go to cpu_run(). */
static void feed_cpu(agg *a, const ag_sample *v, size_t n, int64_t step, int64_t start)
{
    int64_t last = AG__GO_ZERO_MS, iv = native_interval(v, n, step);

    if (iv <= step) {
        int64_t cell = floor_div(v[0].t_ms, step) * step;
        double sum = 0;
        int cnt = 0;
        size_t i = 0;
        while (i < n) {
            int64_t t = v[i].t_ms;
            size_t room;
            if (t >= cell + step) {
                if (cnt > 0)
                    add_cpu(a, &last, cell, sum / cnt, step);
                cell = t < cell + 2 * step ? cell + step : floor_div(t, step) * step;
                sum = 0;
                cnt = 0;
            }
            /* t opens cell; a sample followed by one exactly a step later
             * is alone in its cell, and the next opens the next cell */
            if (cnt == 0 && i + 1 < n && v[i + 1].t_ms - t == step && cell > last &&
                (room = cpu_run_room(a, cell, step, n - 1 - i)) > 0) {
                size_t run = cpu_run(a, &last, v + i, room, cell, step);
                i += run;
                cell += (int64_t)(run - 1) * step; /* run >= 1: v[i] passed the check */
                continue;
            }
            sum += v[i].v;
            cnt++;
            i++;
        }
        if (cnt > 0)
            add_cpu(a, &last, cell, sum / cnt, step);
        return;
    }
    for (size_t i = 0; i < n; i++) {
        int64_t c = (floor_div(v[i].t_ms - iv, step) + 1) * step;
        for (; c <= v[i].t_ms; c += step)
            if (c >= start)
                add_cpu(a, &last, c, v[i].v, step);
    }
}

/* model.ContainerState memory part. */
typedef struct memstate {
    int have_window;
    int64_t window_end, last_start;
    int64_t peak, oom_peak;
    int64_t fac_t, fac_ref; /* cached decay factor of fac_t */
    double fac;
} memstate;

static double mem_factor(agg *a, memstate *m, int64_t t)
{
    if (t != m->fac_t || a->mem.ref_ms != m->fac_ref ||
        t > a->mem.ref_ms + a->mem.half_life_ms * MAX_DECAY_EXPONENT) {
        m->fac = ag__dhist_factor(&a->mem, t);
        m->fac_t = t;
        m->fac_ref = a->mem.ref_ms;
    }
    return m->fac;
}

/* ContainerState.addMemorySample. */
static int add_mem(agg *a, memstate *m, const ag_vpa_params *p, int64_t ts, int64_t usage,
                   int is_oom)
{
    int add_new = 0;

    if (usage < 0 || (!is_oom && ts < m->last_start))
        return 0;
    m->last_start = ts;
    if (!m->have_window) {
        m->window_end = ts;
        m->have_window = 1;
    }
    if (ts < m->window_end) {
        int64_t old = m->peak > m->oom_peak ? m->peak : m->oom_peak;
        if (old != 0 && usage > old) {
            ag__hist_sub(&a->mem.h, (double)old, mem_factor(a, m, m->window_end));
            add_new = 1;
        }
    } else {
        int64_t iv = p->memory_aggregation_interval_ms;
        m->window_end += (ts - m->window_end) / iv * iv + iv;
        m->peak = m->oom_peak = 0;
        add_new = 1;
    }
    if (add_new) {
        ag__hist_add(&a->mem.h, (double)usage, mem_factor(a, m, m->window_end));
        if (is_oom)
            m->oom_peak = usage;
        else
            m->peak = usage;
    }
    return 1;
}

/* ContainerState.RecordOOM. requested: the container's memory request. */
static int record_oom(agg *a, memstate *m, const ag_vpa_params *p, int64_t ts, int64_t requested)
{
    int64_t used, need, bump;

    if (m->have_window && ts < m->window_end - p->memory_aggregation_interval_ms)
        return 0; /* too old */
    used = requested > m->peak ? requested : m->peak;
    need = used + amount(p->oom_min_bump_bytes);
    bump = scale_amount(used, p->oom_bump_ratio);
    return add_mem(a, m, p, ts, need > bump ? need : bump, 1);
}

static int64_t oom_request(const ag_container *c, const ag_wcontainer *wc, double at_kill)
{
    if (isfinite(c->request[AG_MEMORY]))
        return amount(c->request[AG_MEMORY]);
    if (isfinite(wc->request[AG_MEMORY]))
        return amount(wc->request[AG_MEMORY]);
    return amount(at_kill); /* our fallback: the memory seen at the kill */
}

/* The samples from v[i] on that add_mem() would only count: valid (>= 0),
 * in time order, inside the current window, not above its peak (a window
 * whose peak is 0 takes no other), and not after lim (the next OOM
 * event). Counts them, remembers the last one's time, returns the index
 * of the first sample it cannot skip. */
static size_t mem_skip(memstate *m, const ag_sample *v, size_t i, size_t n, int64_t lim,
                       uint64_t *count)
{
    int64_t old = m->peak > m->oom_peak ? m->peak : m->oom_peak;
    int64_t last = m->last_start, end = m->window_end;
    /* usage > old, usage = trunc(min(x, 1e14)), is x >= old + 1; as bits,
     * 0 <= x < above is bits(x) < bits(above) (negatives, -0 and NaN are
     * left to add_mem()) */
    double above = old == 0 || old >= (int64_t)MAX_AMOUNT ? INFINITY : (double)(old + 1);
    uint64_t above_bits;
    size_t i0 = i;

    if (ag__vpa_reference || !m->have_window || end == INT64_MIN)
        return i;
    if (lim > end - 1)
        lim = end - 1;
    memcpy(&above_bits, &above, sizeof above_bits);
    /* four at a time, one branch (the common case: a whole window) */
    while (i + 4 <= n) {
        uint64_t xb[4];
        const ag_sample *s = v + i;
        memcpy(&xb[0], &s[0].v, sizeof xb[0]);
        memcpy(&xb[1], &s[1].v, sizeof xb[1]);
        memcpy(&xb[2], &s[2].v, sizeof xb[2]);
        memcpy(&xb[3], &s[3].v, sizeof xb[3]);
        if (!((s[0].t_ms >= last) & (s[1].t_ms >= s[0].t_ms) & (s[2].t_ms >= s[1].t_ms) &
              (s[3].t_ms >= s[2].t_ms) & (s[3].t_ms <= lim) & (xb[0] < above_bits) &
              (xb[1] < above_bits) & (xb[2] < above_bits) & (xb[3] < above_bits)))
            break;
        last = s[3].t_ms;
        i += 4;
    }
    for (; i < n; i++) {
        int64_t t = v[i].t_ms;
        uint64_t xb;
        memcpy(&xb, &v[i].v, sizeof xb);
        if (t < last || t > lim || xb >= above_bits)
            break;
        last = t;
    }
    m->last_start = last;
    *count += i - i0;
    return i;
}

/* Memory samples and OOM events of one member, merged in time order. */
static void feed_mem(agg *a, const ag_vpa_params *p, const ag_wcontainer *wc, const ag_container *c,
                     int64_t start, int64_t now)
{
    memstate m = {0};
    size_t i, ie, j, je;
    const ag_samples *s = &c->usage[AG_MEMORY], *o = &c->oom;

    m.last_start = AG__GO_ZERO_MS;
    m.fac_t = INT64_MIN;
    ag__rec_window(s, start, now, &i, &ie);
    ag__rec_window(o, start, now, &j, &je);
    while (i < ie || j < je) {
        if (j >= je || (i < ie && s->v[i].t_ms <= o->v[j].t_ms)) {
            if (s->v[i].v >= 0 && add_mem(a, &m, p, s->v[i].t_ms, amount(s->v[i].v), 0))
                a->mem_count++;
            i++;
            i = mem_skip(&m, s->v, i, ie, j < je ? o->v[j].t_ms : INT64_MAX, &a->mem_count);
        } else {
            if (record_oom(a, &m, p, o->v[j].t_ms, oom_request(c, wc, o->v[j].v)))
                a->ooms++;
            j++;
        }
    }
}

/* Go processes samples in time order, so the first sample overall sets
 * each histogram's reference time; replaying member after member we set
 * it up front to the same value. */
static void preset_refs(agg *a, const ag_vpa_params *p, const ag_wcontainer *wc, int64_t start,
                        int64_t now)
{
    int64_t cpu0 = INT64_MAX, mem0 = INT64_MAX;

    for (size_t k = 0; k < wc->n; k++) {
        const ag_container *c = wc->members[k];
        size_t lo, hi, olo, ohi;
        ag__rec_window(&c->usage[AG_CPU], start, now, &lo, &hi);
        if (hi > lo) {
            int64_t t =
                first_cell(c->usage[AG_CPU].v + lo, hi - lo, p->cpu_sample_interval_ms, start);
            if (t < cpu0)
                cpu0 = t;
        }
        ag__rec_window(&c->usage[AG_MEMORY], start, now, &lo, &hi);
        ag__rec_window(&c->oom, start, now, &olo, &ohi);
        if (hi > lo && c->usage[AG_MEMORY].v[lo].t_ms < mem0)
            mem0 = c->usage[AG_MEMORY].v[lo].t_ms;
        if (ohi > olo && c->oom.v[olo].t_ms < mem0)
            mem0 = c->oom.v[olo].t_ms;
    }
    if (cpu0 != INT64_MAX)
        ag__dhist_factor(&a->cpu, cpu0);
    if (mem0 != INT64_MAX)
        ag__dhist_factor(&a->mem, mem0 + p->memory_aggregation_interval_ms);
}

ag_err ag__vpa_check(const ag_vpa_params *p)
{
    const double pct[] = {p->target_cpu_percentile,   p->lower_cpu_percentile,
                          p->upper_cpu_percentile,    p->target_memory_percentile,
                          p->lower_memory_percentile, p->upper_memory_percentile};

    for (size_t i = 0; i < sizeof pct / sizeof pct[0]; i++)
        if (!(pct[i] >= 0 && pct[i] <= 1))
            return AG_EINVAL;
    if (!(p->safety_margin >= 0) || p->cpu_half_life_ms <= 0 || p->memory_half_life_ms <= 0 ||
        p->memory_aggregation_interval_ms <= 0 || p->memory_aggregation_interval_count < 1 ||
        p->confidence_interval_ms <= 0 || !(p->pod_min_cpu_cores >= 0) ||
        !(p->pod_min_memory_bytes >= 0) || !(p->oom_bump_ratio >= 1) ||
        !(p->oom_min_bump_bytes >= 0) || p->cpu_sample_interval_ms <= 0 ||
        p->containers_per_pod < 0 || !isfinite(p->safety_margin) ||
        !isfinite(p->pod_min_cpu_cores) || !isfinite(p->pod_min_memory_bytes) ||
        !isfinite(p->oom_bump_ratio) || !isfinite(p->oom_min_bump_bytes))
        return AG_EINVAL;
    return AG_OK;
}

/* logic/estimator.go getConfidence. */
static double confidence(const agg *a, int64_t interval_ms)
{
    double life = 0, amt;

    if (a->cpu_count > 0)
        life = (double)(a->last_ms - a->first_ms) / (double)interval_ms;
    amt = (double)a->cpu_count / ((double)interval_ms / 60000.0);
    return life < amt ? life : amt;
}

int64_t ag__vpa_margin(int64_t v, double margin)
{
    return v + scale_amount(v, margin);
}

int64_t ag__vpa_conf_scale(int64_t v, double mult, double expo, double conf)
{
    return scale_amount(v, pow(1.0 + mult / conf, expo));
}

/* percentile -> margin -> confidence multiplier -> minimum. */
static int64_t estimate(const ag__hist *h, double pct, double unit, const ag_vpa_params *p,
                        double conf, double mult, double expo, int64_t min)
{
    int64_t v = amount(ag__hist_percentile(h, pct) * unit);

    v = ag__vpa_margin(v, p->safety_margin);
    if (mult != 0)
        v = ag__vpa_conf_scale(v, mult, expo, conf);
    return v > min ? v : min;
}

static double prop_limit(double target, const ag_wcontainer *wc, int r)
{
    double req = wc->request[r], lim = wc->limit[r];

    if (!isfinite(req) || !isfinite(lim) || req <= 0)
        return NAN;
    return target * lim / req; /* VPA RequestsAndLimits: keep the ratio */
}

static void fill(ag_rec_res *res, int64_t t, int64_t lo, int64_t up, double unit)
{
    res->target = (double)t / unit;
    res->lower = (double)lo / unit;
    res->upper = (double)up / unit;
    res->uncapped = res->target;
}

static void set_none(ag_rec_res *res)
{
    res->target = res->lower = res->upper = res->uncapped = res->limit = NAN;
}

/* Feeds every member's samples in [start, now] into a (set up here). */
static void feed_all(agg *a, const ag_vpa_params *p, const ag_wcontainer *wc, int64_t start,
                     int64_t now)
{
    ag__dhist_init(&a->cpu, ag__vpa_cpu_opts(), p->cpu_half_life_ms);
    ag__dhist_init(&a->mem, ag__vpa_mem_opts(), p->memory_half_life_ms);
    a->first_ms = a->last_ms = 0;
    a->cpu_count = a->mem_count = 0;
    a->ooms = 0;
    a->fast = decay_table(p->cpu_half_life_ms, p->cpu_sample_interval_ms);
    a->ifind = ag__vpa_cpu_ifind();
    a->cur_ref = INT64_MIN;
    a->cur_t = INT64_MIN / 2;
    a->cur_limit = 0;
    a->cur_q = 0;
    a->cur_j = 0;
    a->cur_scale = 1;
    preset_refs(a, p, wc, start, now);
    for (size_t k = 0; k < wc->n; k++) {
        const ag_container *c = wc->members[k];
        size_t lo, hi;
        ag__rec_window(&c->usage[AG_CPU], start, now, &lo, &hi);
        if (hi > lo)
            feed_cpu(a, c->usage[AG_CPU].v + lo, hi - lo, p->cpu_sample_interval_ms, start);
        feed_mem(a, p, wc, c, start, now);
    }
}

ag_err ag__vpa_hists(const ag_vpa_params *p, const ag_wcontainer *wc, int64_t start, int64_t now,
                     ag__dhist *cpu, ag__dhist *mem, uint64_t counts[3])
{
    agg a;
    ag_err err = ag__vpa_check(p);

    if (err != AG_OK)
        return err;
    feed_all(&a, p, wc, start, now);
    *cpu = a.cpu;
    *mem = a.mem;
    counts[0] = a.cpu_count;
    counts[1] = a.mem_count;
    counts[2] = a.ooms;
    return AG_OK;
}

/* Percentiles, margin, confidence and minimum for both resources from
 * the aggregate state; limits are left NAN for the caller. */
static void estimate_all(const agg *a, const ag_vpa_params *p, ag_rec *out)
{
    double conf = confidence(a, p->confidence_interval_ms);
    double frac = 1.0 / (p->containers_per_pod > 0 ? p->containers_per_pod : 1);
    int64_t min_cpu = scale_amount(amount(p->pod_min_cpu_cores * 1000.0), frac);
    int64_t min_mem = scale_amount(amount(p->pod_min_memory_bytes), frac);

    out->confidence_days = conf;
    out->samples[AG_CPU] = a->cpu_count;
    out->samples[AG_MEMORY] = a->mem_count;
    out->ooms = a->ooms;
    if (a->cpu_count == 0) {
        out->status[AG_CPU] = AG_REC_NO_DATA;
        set_none(&out->res[AG_CPU]);
    } else {
        const ag__hist *h = &a->cpu.h;
        out->status[AG_CPU] = AG_REC_OK;
        fill(&out->res[AG_CPU],
             estimate(h, p->target_cpu_percentile, 1000.0, p, conf, 0, 0, min_cpu),
             estimate(h, p->lower_cpu_percentile, 1000.0, p, conf, 0.001, -2.0, min_cpu),
             estimate(h, p->upper_cpu_percentile, 1000.0, p, conf, 1.0, 1.0, min_cpu), 1000.0);
        out->res[AG_CPU].limit = NAN;
    }
    if (a->mem_count == 0 && a->ooms == 0) {
        out->status[AG_MEMORY] = AG_REC_NO_DATA;
        set_none(&out->res[AG_MEMORY]);
    } else {
        const ag__hist *h = &a->mem.h;
        out->status[AG_MEMORY] = AG_REC_OK;
        fill(&out->res[AG_MEMORY],
             estimate(h, p->target_memory_percentile, 1.0, p, conf, 0, 0, min_mem),
             estimate(h, p->lower_memory_percentile, 1.0, p, conf, 0.001, -2.0, min_mem),
             estimate(h, p->upper_memory_percentile, 1.0, p, conf, 1.0, 1.0, min_mem), 1.0);
        out->res[AG_MEMORY].limit = NAN;
    }
}

ag_err ag__vpa_run(const ag_vpa_params *p, const ag_wcontainer *wc, int64_t start, int64_t now,
                   ag_rec *out)
{
    agg a;
    ag_err err = ag__vpa_check(p);

    if (err != AG_OK)
        return err;
    feed_all(&a, p, wc, start, now);
    estimate_all(&a, p, out);
    for (int r = 0; r < AG_NRES; r++)
        if (out->status[r] == AG_REC_OK)
            out->res[r].limit = prop_limit(out->res[r].target, wc, r);
    return AG_OK;
}

ag_err ag_recommend_vpa(const ag_vpa_params *p, const ag_wcontainer *wc, int64_t now_ms,
                        ag_rec *out)
{
    return ag__vpa_run(p, wc, INT64_MIN, now_ms, out);
}

/* ---- The live recommender (augur/online.h): the VPA as it runs in a
 * cluster, fed sample by sample. Same state and arithmetic as above; it
 * never cuts a history window (the running VPA only decays), and each
 * replica is one member with its own CPU cursor and memory window. ---- */

typedef struct vpa_live {
    agg a;
    int nrep;
    int64_t *cpu_last; /* per replica: the last CPU grid start fed */
    memstate *mem;     /* per replica */
} vpa_live;

static void agg_init(agg *a, const ag_vpa_params *p)
{
    memset(a, 0, sizeof *a);
    ag__dhist_init(&a->cpu, ag__vpa_cpu_opts(), p->cpu_half_life_ms);
    ag__dhist_init(&a->mem, ag__vpa_mem_opts(), p->memory_half_life_ms);
    a->fast = decay_table(p->cpu_half_life_ms, p->cpu_sample_interval_ms);
    a->ifind = ag__vpa_cpu_ifind();
    a->cur_ref = INT64_MIN;
    a->cur_t = INT64_MIN / 2;
    a->cur_scale = 1;
}

static ag_err live_init(ag_online *r)
{
    const ag_vpa_params *p = &r->p.rec.vpa;
    vpa_live *v;
    ag_err err = ag__vpa_check(p);

    if (err != AG_OK)
        return err;
    v = ag__calloc(1, sizeof *v);
    if (!v)
        return AG_ENOMEM;
    v->nrep = r->spec.replicas;
    v->cpu_last = ag__calloc((size_t)v->nrep, sizeof *v->cpu_last);
    v->mem = ag__calloc((size_t)v->nrep, sizeof *v->mem);
    if (!v->cpu_last || !v->mem) {
        ag__free(v->cpu_last);
        ag__free(v->mem);
        ag__free(v);
        return AG_ENOMEM;
    }
    agg_init(&v->a, p);
    for (int i = 0; i < v->nrep; i++) {
        v->cpu_last[i] = AG__GO_ZERO_MS;
        v->mem[i].last_start = AG__GO_ZERO_MS;
        v->mem[i].fac_t = INT64_MIN;
    }
    r->state = v;
    return AG_OK;
}

static void live_clear(ag_online *r)
{
    vpa_live *v = r->state;

    if (!v)
        return;
    ag__free(v->cpu_last);
    ag__free(v->mem);
    ag__free(v);
    r->state = NULL;
}

/* A sample at t covers (t - step, t]: one grid sample per minute start in
 * it, as feed_cpu() does for coarse input; finer input gives each sample
 * its own minute (the first one of a minute wins). */
static void live_observe(ag_online *r, int i, ag_resource res, int64_t t, double x)
{
    vpa_live *v = r->state;
    const ag_vpa_params *p = &r->p.rec.vpa;
    int64_t step = p->cpu_sample_interval_ms, iv = r->spec.step_ms;

    if (i < 0 || i >= v->nrep)
        return;
    if (res == AG_MEMORY) {
        if (add_mem(&v->a, &v->mem[i], p, t, amount(x), 0))
            v->a.mem_count++;
        return;
    }
    if (iv <= step) {
        add_cpu(&v->a, &v->cpu_last[i], floor_div(t, step) * step, x, step);
        return;
    }
    for (int64_t c = (floor_div(t - iv, step) + 1) * step; c <= t; c += step)
        add_cpu(&v->a, &v->cpu_last[i], c, x, step);
}

static void live_oom(ag_online *r, int i, int64_t t, double mem_request)
{
    vpa_live *v = r->state;

    if (i < 0 || i >= v->nrep)
        return;
    if (record_oom(&v->a, &v->mem[i], &r->p.rec.vpa, t, amount(mem_request)))
        v->a.ooms++;
}

static ag_err live_recommend(ag_online *r, int64_t now, const double cur[AG_NRES], ag_rec *out)
{
    vpa_live *v = r->state;

    (void)now;
    (void)cur;
    memset(out, 0, sizeof *out);
    estimate_all(&v->a, &r->p.rec.vpa, out);
    for (int res = 0; res < AG_NRES; res++)
        if (out->status[res] == AG_REC_OK)
            out->res[res].limit = ag__online_ratio_limit(r, res, out->res[res].target);
    return AG_OK;
}

static ag_err live_grow(ag_online *r, int n)
{
    vpa_live *v = r->state;
    int64_t *cl = ag__realloc(v->cpu_last, (size_t)n * sizeof *cl);
    memstate *m;

    if (!cl)
        return AG_ENOMEM;
    v->cpu_last = cl;
    m = ag__realloc(v->mem, (size_t)n * sizeof *m);
    if (!m)
        return AG_ENOMEM; /* cpu_last is larger than needed: harmless */
    v->mem = m;
    for (int i = v->nrep; i < n; i++) {
        memset(&v->mem[i], 0, sizeof v->mem[i]);
        v->cpu_last[i] = AG__GO_ZERO_MS;
        v->mem[i].last_start = AG__GO_ZERO_MS;
        v->mem[i].fac_t = INT64_MIN;
    }
    v->nrep = n;
    return AG_OK;
}

const ag__online_ops ag__online_vpa_ops = {live_init,      live_observe, live_oom,
                                           live_recommend, live_clear,   live_grow};
