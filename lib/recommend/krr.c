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
#include <string.h>
#include "augur/recommend.h"
#include "augur/util.h"
#include "recommend/rec_int.h"
#include "recommend/online_int.h"
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

/* ---- The live recommender (augur/online.h): krr run at every decision
 * over the last history_ms (14 d). Per replica, the CPU samples of the
 * window are counted in 1,024 log buckets (1.5% wide, from 0.1 m) in a
 * Fenwick tree, so the p95 is found in O(log n) and each sample leaving
 * the window is taken out again (a ring of bucket numbers); the value
 * returned is the bucket's upper edge, at most 1.5% above np.percentile.
 * Memory: the window's maximum over all replicas with a monotonic deque.
 * ---- */

#define KB_N 1024
#define KB_MIN 1e-4
#define KB_RATIO 1.015

typedef struct kring {
    int64_t *t;
    uint16_t *b;
    size_t head, n, cap;
    int32_t fen[KB_N + 1];
    uint32_t count;
} kring;

typedef struct kmem {
    int64_t t;
    double v;
} kmem;

typedef struct krr_live {
    int nrep;
    int64_t window_ms;
    kring *cpu; /* per replica */
    kmem *dq;   /* memory deque, decreasing values */
    size_t dq_head, dq_n, dq_cap;
    uint64_t mem_points; /* memory samples inside the window */
    int64_t *mem_t;      /* ring of memory sample times, for the count */
    size_t mt_head, mt_n, mt_cap;
    double oom_value; /* the largest memory request at an OOM kill */
    uint32_t ooms;
} krr_live;

static double log_ratio;

static int kbucket(double v)
{
    double b;

    if (!(v >= KB_MIN))
        return 0;
    b = 1 + floor(log(v / KB_MIN) / log_ratio);
    return b >= KB_N - 1 ? KB_N - 1 : (int)b;
}

static double kbucket_top(int b)
{
    return b == 0 ? KB_MIN : KB_MIN * exp(log_ratio * b);
}

static void fen_add(int32_t *fen, int b, int32_t d)
{
    for (int i = b + 1; i <= KB_N; i += i & -i)
        fen[i] += d;
}

/* The smallest bucket whose cumulative count reaches k (1-based). */
static int fen_find(const int32_t *fen, uint32_t k)
{
    int pos = 0;

    for (int step = KB_N; step > 0; step >>= 1)
        if (pos + step <= KB_N && (uint32_t)fen[pos + step] < k) {
            pos += step;
            k -= (uint32_t)fen[pos];
        }
    return pos; /* bucket index = pos (0-based) */
}

/* Capacity of a ring for the window at the trace's step (plus slack for
 * jitter); rings grow when the data is denser. */
static size_t ring_cap(const ag_online *r, int64_t window)
{
    int64_t n = window / r->spec.step_ms + 16;
    return n > 1 << 24 ? 1 << 24 : (size_t)n;
}

static int grow_ring(void **t, size_t esz, size_t *cap, size_t head, size_t n)
{
    size_t ncap = *cap * 2;
    char *p = ag__malloc(ncap * esz), *old = *t;

    if (!p)
        return -1;
    for (size_t i = 0; i < n; i++)
        memcpy(p + i * esz, old + ((head + i) % *cap) * esz, esz);
    ag__free(old);
    *t = p;
    *cap = ncap;
    return 0;
}

/* Doubles a CPU ring (both arrays), oldest first. -1 when out of memory. */
static int kring_grow(kring *c)
{
    size_t ncap = c->cap * 2;
    int64_t *t = ag__malloc(ncap * sizeof *t);
    uint16_t *b = ag__malloc(ncap * sizeof *b);

    if (!t || !b) {
        ag__free(t);
        ag__free(b);
        return -1;
    }
    for (size_t i = 0; i < c->n; i++) {
        t[i] = c->t[(c->head + i) % c->cap];
        b[i] = c->b[(c->head + i) % c->cap];
    }
    ag__free(c->t);
    ag__free(c->b);
    c->t = t;
    c->b = b;
    c->head = 0;
    c->cap = ncap;
    return 0;
}

static ag_err klive_init(ag_online *r)
{
    krr_live *k;
    ag_err err = ag__krr_check(&r->p.rec.krr);
    int64_t window =
        r->p.rec.history_ms ? r->p.rec.history_ms : ag_algorithm_default_history_ms(AG_ALGO_KRR);

    if (err != AG_OK)
        return err;
    log_ratio = log(KB_RATIO);
    k = ag__calloc(1, sizeof *k);
    if (!k)
        return AG_ENOMEM;
    r->state = k;
    k->nrep = r->spec.replicas;
    k->window_ms = window;
    k->cpu = ag__calloc((size_t)k->nrep, sizeof *k->cpu);
    k->dq_cap = k->mt_cap = ring_cap(r, window) * (size_t)k->nrep;
    k->dq = ag__malloc(k->dq_cap * sizeof *k->dq);
    k->mem_t = ag__malloc(k->mt_cap * sizeof *k->mem_t);
    if (!k->cpu || !k->dq || !k->mem_t)
        return AG_ENOMEM; /* klive_clear() frees what was allocated */
    for (int i = 0; i < k->nrep; i++) {
        kring *c = &k->cpu[i];
        c->cap = ring_cap(r, window);
        c->t = ag__malloc(c->cap * sizeof *c->t);
        c->b = ag__malloc(c->cap * sizeof *c->b);
        if (!c->t || !c->b)
            return AG_ENOMEM;
    }
    return AG_OK;
}

static void klive_clear(ag_online *r)
{
    krr_live *k = r->state;

    if (!k)
        return;
    for (int i = 0; k->cpu && i < k->nrep; i++) {
        ag__free(k->cpu[i].t);
        ag__free(k->cpu[i].b);
    }
    ag__free(k->cpu);
    ag__free(k->dq);
    ag__free(k->mem_t);
    ag__free(k);
    r->state = NULL;
}

/* Drops what is older than the window ending at now: [now - window, now]. */
static void kexpire(krr_live *k, int64_t now)
{
    int64_t start = now - k->window_ms;

    for (int i = 0; i < k->nrep; i++) {
        kring *c = &k->cpu[i];
        while (c->n > 0 && c->t[c->head] < start) {
            fen_add(c->fen, c->b[c->head], -1);
            c->count--;
            c->head = (c->head + 1) % c->cap;
            c->n--;
        }
    }
    while (k->dq_n > 0 && k->dq[k->dq_head].t < start) {
        k->dq_head = (k->dq_head + 1) % k->dq_cap;
        k->dq_n--;
    }
    while (k->mt_n > 0 && k->mem_t[k->mt_head] < start) {
        k->mt_head = (k->mt_head + 1) % k->mt_cap;
        k->mt_n--;
    }
}

static void klive_observe(ag_online *r, int i, ag_resource res, int64_t t, double v)
{
    krr_live *k = r->state;

    if (i < 0 || i >= k->nrep)
        return;
    kexpire(k, t);
    if (res == AG_CPU) {
        kring *c = &k->cpu[i];
        int b = kbucket(v);
        if (c->n == c->cap && kring_grow(c))
            return; /* out of memory: the sample is not counted */
        c->t[(c->head + c->n) % c->cap] = t;
        c->b[(c->head + c->n) % c->cap] = (uint16_t)b;
        c->n++;
        fen_add(c->fen, b, 1);
        c->count++;
        return;
    }
    if (k->mt_n == k->mt_cap &&
        grow_ring((void **)&k->mem_t, sizeof *k->mem_t, &k->mt_cap, k->mt_head, k->mt_n))
        return;
    k->mem_t[(k->mt_head + k->mt_n++) % k->mt_cap] = t;
    while (k->dq_n > 0 && k->dq[(k->dq_head + k->dq_n - 1) % k->dq_cap].v <= v)
        k->dq_n--;
    if (k->dq_n == k->dq_cap &&
        grow_ring((void **)&k->dq, sizeof *k->dq, &k->dq_cap, k->dq_head, k->dq_n))
        return;
    k->dq[(k->dq_head + k->dq_n++) % k->dq_cap] = (kmem){t, v};
}

static void klive_oom(ag_online *r, int i, int64_t t, double mem_request)
{
    krr_live *k = r->state;

    (void)i;
    (void)t;
    k->ooms++;
    if (mem_request > k->oom_value)
        k->oom_value = mem_request;
}

/* np.percentile's rank (linear interpolation) rounded up to a sample. */
static uint32_t krank(uint32_t n, double q)
{
    double h = (n - 1) * q;
    return (uint32_t)ceil(h) + 1;
}

static ag_err klive_recommend(ag_online *r, int64_t now, const double cur[AG_NRES], ag_rec *out)
{
    krr_live *k = r->state;
    const ag_krr_params *p = &r->p.rec.krr;
    uint64_t points = 0;
    double best = -INFINITY;

    (void)cur;
    kexpire(k, now);
    ag__online_none(out, AG_REC_NO_DATA);
    for (int i = 0; i < k->nrep; i++) {
        kring *c = &k->cpu[i];
        points += c->count;
        if (c->count > 0) {
            double q = kbucket_top(fen_find(c->fen, krank(c->count, p->cpu_percentile)));
            if (q > best)
                best = q;
        }
    }
    out->samples[AG_CPU] = points;
    if (points > 0 && points < (uint64_t)p->points_required)
        out->status[AG_CPU] = AG_REC_NOT_ENOUGH;
    else if (points > 0) {
        out->status[AG_CPU] = AG_REC_OK;
        set_value(&out->res[AG_CPU], round_cpu(best, p->cpu_min_cores), NAN);
    }
    out->samples[AG_MEMORY] = k->mt_n;
    out->ooms = k->ooms;
    if (k->mt_n > 0 && k->mt_n < (size_t)p->points_required)
        out->status[AG_MEMORY] = AG_REC_NOT_ENOUGH;
    else if (k->mt_n > 0) {
        double v = k->dq[k->dq_head].v * (1 + p->memory_buffer_fraction);
        if (p->use_oomkill_data && k->oom_value * (1 + p->oom_memory_buffer_fraction) > v)
            v = k->oom_value * (1 + p->oom_memory_buffer_fraction);
        v = round_mem(v, p->memory_min_bytes);
        out->status[AG_MEMORY] = AG_REC_OK;
        set_value(&out->res[AG_MEMORY], v, v);
    }
    return AG_OK;
}

static ag_err klive_grow(ag_online *r, int n)
{
    krr_live *k = r->state;
    int64_t window = k->window_ms;
    kring *c = ag__realloc(k->cpu, (size_t)n * sizeof *c);

    if (!c)
        return AG_ENOMEM;
    k->cpu = c;
    for (int i = k->nrep; i < n; i++) {
        kring *x = &k->cpu[i];
        memset(x, 0, sizeof *x);
        x->cap = ring_cap(r, window);
        x->t = ag__malloc(x->cap * sizeof *x->t);
        x->b = ag__malloc(x->cap * sizeof *x->b);
        if (!x->t || !x->b) {
            ag__free(x->t);
            ag__free(x->b);
            return AG_ENOMEM; /* replicas up to i stay usable */
        }
        k->nrep = i + 1;
    }
    return AG_OK;
}

const ag__online_ops ag__online_krr_ops = {klive_init,      klive_observe, klive_oom,
                                           klive_recommend, klive_clear,   klive_grow};
