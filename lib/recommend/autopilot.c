/*
 * recommend/autopilot.c - Google's Autopilot vertical recommenders (Rzadca
 * et al., "Autopilot: workload autoscaling at Google", EuroSys 2020,
 * section 3), run online: the moving windows S_avg, S_max, S_pj and the
 * ML ensemble. What is confirmed, what is ours, every constant and why:
 * docs/autopilot.md.
 *
 * The signal: usage samples are cut into aggregation windows of window_ms
 * (right-closed: a sample at the end of a window belongs to it, so
 * recommend(now) at a window boundary sees the window just ended). A
 * window's CPU histogram holds every sample of every replica; for memory
 * each replica contributes its peak in the window. Buckets: the VPA's
 * exponential schemes (5% growth, 176 buckets; histogram.h), a bucket
 * standing for its upper end.
 *
 * Everything is folded in when a window closes (the first sample of a
 * later window, or recommend() at or after its end), so observe() is a
 * few additions and recommend() reads running state: O(1) for S_avg, N
 * for S_max, at most the buckets for S_pj. Only the chosen variant's state
 * is kept up to date (plus the S_max ring of memory, for the OOM floor).
 *
 * ML: ten decay rates d_m = 0.1 .. 1.0 share one decayed histogram each
 * (the overrun and underrun costs of every limit are linear in it) and
 * one argmin; the margins {0, margin_ml} only scale its result. Weights
 * under AP_PRUNE of a histogram's total are dropped, which keeps the
 * argmin to the few buckets the recent windows touched.
 */
#include <math.h>
#include <string.h>
#include "recommend/histogram.h"
#include "recommend/online_int.h"
#include "util/alloc.h"

#define AP_NDECAY 10              /* d_m in linspace(0.1, 1.0, 10) */
#define AP_NMODEL (2 * AP_NDECAY) /* x margins {0, margin_ml} */
#define AP_PRUNE 1e-9             /* ML: drop bucket weights below this share */
#define AP_RENORM 1e-150          /* ML: fold the lazy scale in below this */
#define AP_NONE INT64_MIN
#define AP_MAX_WINDOWS 1000000 /* cap on max_windows (memory) */
#define AP_MAX_REPLICAS 65536  /* replica indices beyond wrap around */

typedef struct ap_group {
    double d;       /* decay rate d_m */
    double s;       /* lazy scale: weight = raw * s */
    double tot;     /* sum of raw */
    int minb, maxb; /* support; minb > maxb when empty */
    int lp;         /* L'_m[t-1] as a bucket index, -1 none */
    double *raw;    /* nb */
} ap_group;

typedef struct ap_model {
    double limit; /* L_m[t-1], NAN before the first window */
    double cost;  /* c_m */
} ap_model;

typedef struct ap_res {
    const ag__hist_opts *o;
    const double *e;    /* bucket values (upper ends) */
    const double *inve; /* 1 / e */
    uint64_t samples;
    uint64_t windows; /* closed windows with data */
    /* the open window */
    int64_t wkey, last_key;
    double *ww; /* per-bucket sample counts */
    int *wb;    /* touched buckets */
    int nwb;
    double wsum, wmax;
    uint64_t wn;
    /* S_avg */
    double avg_num, avg_den;
    int64_t avg_t;
    /* S_max: the last N windows with data */
    double *ring;
    int nring, iring;
    /* S_pj */
    ag__dhist dh;
    /* ML */
    ap_group g[AP_NDECAY];
    ap_model m[AP_NMODEL];
    int mprev;
    double lprev;
} ap_res;

typedef struct ap_state {
    ap_res res[AG_NRES];
    double ends[AG_NRES][AG__HIST_MAX], inv_ends[AG_NRES][AG__HIST_MAX];
    /* memory: each replica's peak in the open window */
    double *rpeak;
    int64_t *rkey;
    int *rtouched;
    int nrep, ntouched;
    /* OOM floor on memory */
    double oom_floor;
    int64_t oom_t;
    uint32_t ooms;
} ap_state;

static int64_t floor_div(int64_t a, int64_t b)
{
    return a >= 0 ? a / b : -((-a + b - 1) / b);
}

static int64_t window_key(const ag_online *r, int64_t t)
{
    return floor_div(t - 1, r->p.autopilot.window_ms);
}

/* ---- setup ---- */

static ag_err check_params(const ag_autopilot_params *a)
{
    if ((unsigned)a->variant > AG_AP_PCT || a->window_ms <= 0 || a->cpu_half_life_ms <= 0 ||
        a->mem_half_life_ms <= 0 || a->max_windows < 1 || a->max_windows > AP_MAX_WINDOWS)
        return AG_EINVAL;
    if (!(a->cpu_percentile > 0 && a->cpu_percentile <= 1) ||
        !(a->mem_percentile > 0 && a->mem_percentile <= 1))
        return AG_EINVAL;
    if (!(a->margin >= 0 && isfinite(a->margin)) || !(a->margin_ml >= 0 && isfinite(a->margin_ml)))
        return AG_EINVAL;
    if (!(a->w_o >= 0 && isfinite(a->w_o)) || !(a->w_u >= 0 && isfinite(a->w_u)) ||
        !(a->w_dl >= 0 && isfinite(a->w_dl)) || !(a->w_dm >= 0 && isfinite(a->w_dm)) ||
        !(a->d > 0 && a->d <= 1))
        return AG_EINVAL;
    return AG_OK;
}

static void clear(ag_online *r)
{
    ap_state *st = r->state;

    if (!st)
        return;
    for (int res = 0; res < AG_NRES; res++) {
        ap_res *ar = &st->res[res];
        ag__free(ar->ww);
        ag__free(ar->wb);
        ag__free(ar->ring);
        for (int g = 0; g < AP_NDECAY; g++)
            ag__free(ar->g[g].raw);
    }
    ag__free(st->rpeak);
    ag__free(st->rkey);
    ag__free(st->rtouched);
    ag__free(st);
    r->state = NULL;
}

static int alloc_replicas(ap_state *st, int n)
{
    double *peak = ag__realloc(st->rpeak, (size_t)n * sizeof *peak);
    int64_t *key;
    int *touched;

    if (!peak)
        return -1;
    st->rpeak = peak;
    key = ag__realloc(st->rkey, (size_t)n * sizeof *key);
    if (!key)
        return -1;
    st->rkey = key;
    touched = ag__realloc(st->rtouched, (size_t)n * sizeof *touched);
    if (!touched)
        return -1;
    st->rtouched = touched;
    for (int i = st->nrep; i < n; i++)
        st->rkey[i] = AP_NONE;
    st->nrep = n;
    return 0;
}

static ag_err init(ag_online *r)
{
    const ag_autopilot_params *a = &r->p.autopilot;
    ap_state *st;
    ag_err rc;

    rc = check_params(a);
    if (rc != AG_OK)
        return rc;
    st = ag__calloc(1, sizeof *st);
    if (!st)
        return AG_ENOMEM;
    r->state = st;
    for (int res = 0; res < AG_NRES; res++) {
        ap_res *ar = &st->res[res];
        const ag__hist_opts *o = res == AG_CPU ? ag__vpa_cpu_opts() : ag__vpa_mem_opts();
        size_t nb = (size_t)o->n;

        ar->o = o;
        for (int j = 0; j < o->n; j++) {
            st->ends[res][j] = j + 1 < o->n ? o->start[j + 1] : o->start[j];
            st->inv_ends[res][j] = 1 / st->ends[res][j];
        }
        ar->e = st->ends[res];
        ar->inve = st->inv_ends[res];
        ar->wkey = ar->last_key = AP_NONE;
        ar->avg_t = AP_NONE;
        ar->ww = ag__calloc(nb, sizeof *ar->ww);
        ar->wb = ag__calloc(nb, sizeof *ar->wb);
        ar->ring = ag__calloc((size_t)a->max_windows, sizeof *ar->ring);
        if (!ar->ww || !ar->wb || !ar->ring)
            goto nomem;
        ag__dhist_init(&ar->dh, o, res == AG_CPU ? a->cpu_half_life_ms : a->mem_half_life_ms);
        ar->mprev = -1;
        ar->lprev = NAN;
        for (int m = 0; m < AP_NMODEL; m++) {
            ar->m[m].limit = NAN;
            ar->m[m].cost = 0;
        }
        if (a->variant != AG_AP_ML)
            continue;
        for (int g = 0; g < AP_NDECAY; g++) {
            ap_group *gr = &ar->g[g];
            gr->d = 0.1 * (g + 1);
            gr->s = 1;
            gr->minb = o->n;
            gr->maxb = -1;
            gr->lp = -1;
            gr->raw = ag__calloc(nb, sizeof *gr->raw);
            if (!gr->raw)
                goto nomem;
        }
    }
    st->oom_t = AP_NONE;
    if (alloc_replicas(st, r->spec.replicas < AP_MAX_REPLICAS ? r->spec.replicas : AP_MAX_REPLICAS))
        goto nomem;
    return AG_OK;
nomem:
    clear(r);
    return AG_ENOMEM;
}

/* ---- the ML ensemble ---- */

/* Overrun and underrun shares of limit L on the window's histogram. */
static void window_costs(const ap_res *ar, double L, double *o, double *u)
{
    double inv = 1.0 / (double)ar->wn;

    *o = *u = 0;
    for (int i = 0; i < ar->nwb; i++) {
        int j = ar->wb[i];
        double x = ar->ww[j] * inv, e = ar->e[j];
        if (e > L)
            *o += x;
        else
            *u += x * (L - e) / L;
    }
}

/* Folds the window (weight d, the rest decays by 1 - d) into g. */
static void group_add(ap_group *g, const ap_res *ar)
{
    double inv = 1.0 / (double)ar->wn;

    if (g->d >= 1) { /* no memory: the window alone */
        for (int j = g->minb; j <= g->maxb; j++)
            g->raw[j] = 0;
        g->minb = ar->o->n;
        g->maxb = -1;
        g->tot = 0;
        g->s = 1;
    } else {
        g->s *= 1 - g->d;
    }
    for (int i = 0; i < ar->nwb; i++) {
        int j = ar->wb[i];
        double w = g->d * ar->ww[j] * inv / g->s;
        g->raw[j] += w;
        g->tot += w;
        if (j < g->minb)
            g->minb = j;
        if (j > g->maxb)
            g->maxb = j;
    }
    if (g->s < AP_RENORM) {
        for (int j = g->minb; j <= g->maxb; j++)
            g->raw[j] *= g->s;
        g->tot *= g->s;
        g->s = 1;
    }
    /* drop what has decayed to nothing at either end of the support */
    while (g->minb <= g->maxb && g->raw[g->minb] < AP_PRUNE * g->tot) {
        g->tot -= g->raw[g->minb];
        g->raw[g->minb++] = 0;
    }
    while (g->maxb >= g->minb && g->raw[g->maxb] < AP_PRUNE * g->tot) {
        g->tot -= g->raw[g->maxb];
        g->raw[g->maxb--] = 0;
    }
    if (g->minb > g->maxb) {
        g->tot = 0;
        g->minb = ar->o->n;
        g->maxb = -1;
    }
}

/* L'_m[t] = argmin over bucket ends L of w_o o(L) + w_u u(L) + w_dl [L !=
 * L'_m[t-1]]; o(L) = weight above L, u(L) = sum of weight x (L - e) / L
 * below it. Only the support (and one bucket under it) and the previous
 * limit can win: above the support the overrun is 0 and the underrun
 * grows with L; under it the cost is the whole overrun. */
static void group_argmin(ap_group *g, const ap_res *ar, const ag_autopilot_params *a)
{
    double cum = 0, cume = 0, best_c = INFINITY, tot = g->tot;
    int lo = g->minb > 0 ? g->minb - 1 : 0, best = -1;

    if (g->minb > g->maxb)
        return; /* nothing seen: keep the previous limit */
    for (int i = lo; i <= g->maxb; i++) {
        double over, under, c;
        if (i >= g->minb) {
            cum += g->raw[i];
            cume += g->raw[i] * ar->e[i];
        }
        over = tot - cum > 0 ? tot - cum : 0;
        under = cum - cume * ar->inve[i];
        c = g->s * (a->w_o * over + a->w_u * under) + (i != g->lp ? a->w_dl : 0);
        if (c < best_c) {
            best_c = c;
            best = i;
        }
    }
    if (g->lp >= 0 && (g->lp < lo || g->lp > g->maxb)) {
        double over = g->lp < lo ? tot : 0, under = g->lp < lo ? 0 : cum - cume * ar->inve[g->lp];
        double c = g->s * (a->w_o * over + a->w_u * under);
        if (c <= best_c)
            best = g->lp;
    }
    g->lp = best;
}

static void ml_fold(ap_res *ar, const ag_autopilot_params *a)
{
    double o[AP_NMODEL], u[AP_NMODEL], best_c = INFINITY;
    int best = -1;

    /* each model's previous limit against the window that followed it */
    for (int m = 0; m < AP_NMODEL; m++)
        if (isfinite(ar->m[m].limit))
            window_costs(ar, ar->m[m].limit, &o[m], &u[m]);
    for (int g = 0; g < AP_NDECAY; g++) {
        group_add(&ar->g[g], ar);
        group_argmin(&ar->g[g], ar, a);
    }
    for (int m = 0; m < AP_NMODEL; m++) {
        ap_model *md = &ar->m[m];
        const ap_group *g = &ar->g[m / 2];
        double lim;
        if (g->lp < 0)
            continue;
        lim = ar->e[g->lp] * (m % 2 ? 1 + a->margin_ml : 1);
        if (isfinite(md->limit))
            md->cost = a->d * (a->w_o * o[m] + a->w_u * u[m] + (lim != md->limit ? a->w_dl : 0)) +
                       (1 - a->d) * md->cost;
        md->limit = lim;
    }
    for (int m = 0; m < AP_NMODEL; m++) {
        const ap_model *md = &ar->m[m];
        double c;
        if (!isfinite(md->limit))
            continue;
        c = md->cost;
        if (ar->mprev >= 0) {
            c += m != ar->mprev ? a->w_dm : 0;
            c += md->limit != ar->lprev ? a->w_dl : 0;
        }
        if (c < best_c) {
            best_c = c;
            best = m;
        }
    }
    if (best >= 0) {
        ar->mprev = best;
        ar->lprev = ar->m[best].limit;
    }
}

/* ---- windows ---- */

static void window_add(ap_res *ar, double v)
{
    int b = ag__hist_find(ar->o, v);

    if (ar->ww[b] == 0)
        ar->wb[ar->nwb++] = b;
    ar->ww[b] += 1;
    ar->wsum += v;
    if (ar->wn == 0 || v > ar->wmax)
        ar->wmax = v;
    ar->wn++;
}

/* AddSample of a whole bucket (the window's time for every sample in it). */
static void dhist_add_bucket(ag__dhist *d, int b, double w, int64_t t)
{
    ag__hist *h = &d->h;

    w *= ag__dhist_factor(d, t);
    h->w[b] += w;
    h->total += w;
    if (b < h->minb && h->w[b] >= h->o->eps)
        h->minb = b;
    if (b > h->maxb && h->w[b] >= h->o->eps)
        h->maxb = b;
}

static void fold(ag_online *r, ap_res *ar, int res, int64_t wend)
{
    const ag_autopilot_params *a = &r->p.autopilot;
    double peak = ar->wmax;
    int top = 0;

    for (int i = 0; i < ar->nwb; i++)
        if (ar->wb[i] > top)
            top = ar->wb[i];
    if (res == AG_CPU) /* the highest non-empty bucket */
        peak = ar->e[top];
    ar->ring[ar->iring] = peak;
    ar->iring = (ar->iring + 1) % a->max_windows;
    if (ar->nring < a->max_windows)
        ar->nring++;
    ar->windows++;
    switch (a->variant) {
    case AG_AP_AVG: {
        int64_t hl = res == AG_CPU ? a->cpu_half_life_ms : a->mem_half_life_ms;
        double f = ar->avg_t == AP_NONE ? 0 : exp2(-(double)(wend - ar->avg_t) / (double)hl);
        ar->avg_num = ar->avg_num * f + ar->wsum / (double)ar->wn;
        ar->avg_den = ar->avg_den * f + 1;
        ar->avg_t = wend;
        break;
    }
    case AG_AP_PCT:
        for (int i = 0; i < ar->nwb; i++)
            dhist_add_bucket(&ar->dh, ar->wb[i], ar->ww[ar->wb[i]], wend);
        break;
    case AG_AP_ML:
        ml_fold(ar, a);
        break;
    case AG_AP_MAX:
        break;
    }
}

static void close_window(ag_online *r, int res)
{
    ap_state *st = r->state;
    ap_res *ar = &st->res[res];

    if (ar->wkey == AP_NONE)
        return;
    if (res == AG_MEMORY) {
        for (int i = 0; i < st->ntouched; i++)
            window_add(ar, st->rpeak[st->rtouched[i]]);
        st->ntouched = 0;
    }
    if (ar->wn > 0)
        fold(r, ar, res, (ar->wkey + 1) * r->p.autopilot.window_ms);
    for (int i = 0; i < ar->nwb; i++)
        ar->ww[ar->wb[i]] = 0;
    ar->nwb = 0;
    ar->wn = 0;
    ar->wsum = ar->wmax = 0;
    ar->last_key = ar->wkey;
    ar->wkey = AP_NONE;
}

static int replica_slot(ap_state *st, int replica)
{
    if (replica >= st->nrep && replica < AP_MAX_REPLICAS) {
        int n = st->nrep * 2 > replica + 1 ? st->nrep * 2 : replica + 1;
        if (n > AP_MAX_REPLICAS)
            n = AP_MAX_REPLICAS;
        alloc_replicas(st, n); /* on failure the index wraps below */
    }
    if (replica < 0)
        replica = -(replica + 1);
    return replica % st->nrep;
}

static void observe(ag_online *r, int replica, ag_resource res, int64_t t, double v)
{
    ap_state *st = r->state;
    ap_res *ar = &st->res[res];
    int64_t k = window_key(r, t);

    if (ar->wkey != AP_NONE && k > ar->wkey)
        close_window(r, res);
    if (ar->wkey == AP_NONE) /* a late sample joins the next open window */
        ar->wkey = ar->last_key != AP_NONE && k <= ar->last_key ? ar->last_key + 1 : k;
    ar->samples++;
    if (res == AG_CPU) {
        window_add(ar, v);
        return;
    }
    replica = replica_slot(st, replica);
    if (st->rkey[replica] != ar->wkey) {
        st->rkey[replica] = ar->wkey;
        st->rpeak[replica] = v;
        st->rtouched[st->ntouched++] = replica;
    } else if (v > st->rpeak[replica]) {
        st->rpeak[replica] = v;
    }
}

/* The highest memory seen in the last N windows and the open one. */
static double recent_mem_peak(const ap_state *st)
{
    const ap_res *ar = &st->res[AG_MEMORY];
    double peak = NAN;

    for (int i = 0; i < ar->nring; i++)
        if (!(ar->ring[i] <= peak))
            peak = ar->ring[i];
    for (int i = 0; i < st->ntouched; i++)
        if (!(st->rpeak[st->rtouched[i]] <= peak))
            peak = st->rpeak[st->rtouched[i]];
    return peak;
}

/* An OOM kill: memory goes at once to max(request at the kill, the recent
 * peak) x (1 + margin), and stays at least there for the memory half-life
 * (docs/autopilot.md: our assumption, the paper gives no formula). */
static void oom(ag_online *r, int replica, int64_t t, double mem_request)
{
    ap_state *st = r->state;
    const ag_autopilot_params *a = &r->p.autopilot;
    double v = recent_mem_peak(st), floor_v;

    (void)replica;
    if (isfinite(mem_request) && mem_request > 0 && !(mem_request <= v))
        v = mem_request;
    if (!isfinite(v))
        return;
    floor_v = v * (1 + a->margin);
    if (st->oom_t != AP_NONE && t < st->oom_t + a->mem_half_life_ms) {
        if (floor_v > st->oom_floor)
            st->oom_floor = floor_v;
        st->ooms++;
    } else {
        st->oom_floor = floor_v;
        st->ooms = 1;
    }
    st->oom_t = t;
}

/* ---- recommend ---- */

static double raw_value(const ag_online *r, const ap_res *ar, int res)
{
    const ag_autopilot_params *a = &r->p.autopilot;
    double v = NAN;

    switch (a->variant) {
    case AG_AP_AVG:
        v = ar->avg_num / ar->avg_den;
        break;
    case AG_AP_MAX:
        v = 0;
        for (int i = 0; i < ar->nring; i++)
            if (ar->ring[i] > v)
                v = ar->ring[i];
        break;
    case AG_AP_PCT:
        v = ag__hist_percentile(&ar->dh.h, res == AG_CPU ? a->cpu_percentile : a->mem_percentile);
        break;
    case AG_AP_ML:
        return ar->lprev; /* the models carry their own margins */
    }
    return v * (1 + a->margin);
}

static ag_err recommend(ag_online *r, int64_t now, const double cur[AG_NRES], ag_rec *out)
{
    ap_state *st = r->state;
    const ag_autopilot_params *a = &r->p.autopilot;

    (void)cur;
    ag__online_none(out, AG_REC_NO_DATA);
    for (int res = 0; res < AG_NRES; res++) {
        ap_res *ar = &st->res[res];
        ag_rec_res *o = &out->res[res];
        double v;

        if (ar->wkey != AP_NONE && now >= (ar->wkey + 1) * a->window_ms)
            close_window(r, res);
        out->samples[res] = ar->samples;
        if (ar->windows == 0)
            continue;
        v = raw_value(r, ar, res);
        if (!isfinite(v))
            continue;
        if (res == AG_MEMORY && st->oom_t != AP_NONE && now < st->oom_t + a->mem_half_life_ms) {
            if (st->oom_floor > v)
                v = st->oom_floor;
            out->ooms = st->ooms;
        }
        out->status[res] = AG_REC_OK;
        o->target = o->uncapped = v;
        o->lower = v / (1 + a->margin);
        o->upper = v * (1 + a->margin);
        o->limit = ag__online_ratio_limit(r, (ag_resource)res, v);
    }
    return AG_OK;
}

const ag__online_ops ag__online_autopilot_ops = {init, observe, oom, recommend, clear, NULL};
