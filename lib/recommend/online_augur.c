/*
 * recommend/online_augur.c - augur's own recommender: requests from
 * quantile forecasts of the coming hours, chosen for a risk budget.
 *
 * The samples of all replicas are folded into an hourly level per
 * resource: for CPU the within-hour (1 - cpu_risk) quantile (so "the
 * request covers all but cpu_risk of the hour's samples"), for memory the
 * hour's peak. Every refit_ms the last fc_history_ms of levels is
 * forecast (augur/forecast.h: model choice by backtest, conformal
 * quantiles), and at each decision:
 *   request = max over [now, now + lookahead] of the forecast quantile
 *             (cpu_fc_quantile; memory 1 - mem_risk), and at least the
 *             level of the last complete hour (a miss is corrected within
 *             the hour), times (1 + margin);
 *   memory limit = max over [now, now + limit_lookahead] of the forecast
 *             quantile 1 - mem_limit_risk, times (1 + limit_margin);
 *   bounds   = target x (1 -+ band) for the updater;
 * a decrease waits until every higher raw target of the last hold_ms
 * is over (fast up, slow down); a change smaller than `hysteresis` is
 * not taken; after an OOM kill,
 * memory is held at >= the peak seen at the kill x oom_bump_ratio for
 * oom_hold_ms. With less than min_history_ms of levels it falls back to
 * the highest level seen, with the same margins. Policies and their
 * numbers: docs/augur-recommender.md.
 */
#include <math.h>
#include <string.h>
#include "augur/forecast.h"
#include "augur/online.h"
#include "recommend/online_int.h"
#include "util/alloc.h"
#include "augur/util.h"

#define HOUR_MS 3600000LL
#define CELL_SAMPLES_MAX 8192 /* CPU samples kept per hour (strided beyond) */

/* Per resource: the hourly levels and the current hour. */
typedef struct level_ring {
    double *v;     /* [n]: level of cell c at v[c % n]; NAN = no samples */
    int64_t *cell; /* [n]: which cell the slot holds */
    size_t n;
    int64_t cur; /* the cell being filled; INT64_MIN = none */
    double peak; /* memory: the current cell's max */
    double *buf; /* CPU: the current cell's samples, grown on demand */
    size_t nbuf, bcap, seen;
    int64_t last_done; /* last finished cell; INT64_MIN = none */
    double max_level;  /* highest level ever (fallback) */
    double ring_peak;  /* ring_max(all) as of cell peak_at (a cache) */
    int64_t peak_at;
} level_ring;

typedef struct augur_state {
    level_ring lv[AG_NRES];
    ag_forecast fc[AG_NRES];
    int have_fc[AG_NRES];
    int64_t fit_ms; /* time of the last fit; INT64_MIN = never */
    double prev_target[AG_NRES];
    /* hold: the highest raw target of each of the last hold hours */
    double *held[AG_NRES];
    int64_t *held_cell[AG_NRES];
    size_t nheld;
    double oom_floor;
    int64_t oom_until;
    uint32_t ooms;
    uint64_t samples[AG_NRES];
    int64_t first_ms;
} augur_state;

void ag_augur_params_policy(ag_augur_params *a, ag_augur_policy policy)
{
    memset(a, 0, sizeof *a);
    a->policy = policy;
    a->fc_step_ms = HOUR_MS;
    a->fc_history_ms = 7 * 24 * HOUR_MS;
    a->min_history_ms = 72 * HOUR_MS; /* three daily periods before a model is trusted */
    a->refit_ms = 24 * HOUR_MS;
    a->oom_bump_ratio = 1.2;
    a->oom_hold_ms = 24 * HOUR_MS;
    a->min_cpu_cores = 0.010;
    a->min_mem_bytes = 16.0 * 1048576;
    a->cpu_limit_ratio = 0; /* no CPU limit: throttling is the cost we avoid */
    a->lookahead_q = 1.0;
    if (policy == AG_POLICY_COST_SAVING) {
        a->cpu_risk = 0.15;
        a->cpu_fc_quantile = 0.5;
        a->mem_risk = 0.02;
        a->mem_limit_risk = 0.005;
        a->margin = 0.0;
        a->limit_margin = 0.10;
        a->lookahead_ms = 1 * HOUR_MS;
        a->limit_lookahead_ms = 24 * HOUR_MS;
        a->hysteresis = 0.05;
        a->band = 0.10;
        a->hold_ms = 0;
        a->fallback_ms = 3 * HOUR_MS;
    } else {
        a->cpu_risk = 0.10;
        a->cpu_fc_quantile = 0.7;
        a->mem_risk = 0.01;
        a->mem_limit_risk = 0.005;
        a->margin = 0.05;
        a->limit_margin = 0.20;
        a->lookahead_ms = 24 * HOUR_MS;
        a->lookahead_q = 0.9;
        a->limit_lookahead_ms = 24 * HOUR_MS;
        a->hysteresis = 0.30;
        a->band = 0.50;
        a->hold_ms = 24 * HOUR_MS;
        a->fallback_ms = 24 * HOUR_MS;
    }
}

static int risk_ok(double x)
{
    return x > 0 && x < 1;
}

static ag_err check(const ag_augur_params *a)
{
    if (!risk_ok(a->cpu_risk) || !risk_ok(a->cpu_fc_quantile) || !risk_ok(a->mem_risk) ||
        !risk_ok(a->mem_limit_risk) || !(a->margin >= 0) || !(a->limit_margin >= 0) ||
        !(a->cpu_limit_ratio >= 0) || a->fc_step_ms <= 0 || a->fc_history_ms < 2 * a->fc_step_ms ||
        a->refit_ms <= 0 || a->lookahead_ms < 0 || a->limit_lookahead_ms < 0 ||
        !(a->hysteresis >= 0 && a->hysteresis < 1) || !(a->band >= 0 && a->band < 1) ||
        !(a->oom_bump_ratio >= 1) || a->oom_hold_ms < 0 || a->hold_ms < 0 ||
        a->hold_ms > 90 * 24 * HOUR_MS || a->fallback_ms < a->fc_step_ms ||
        !(a->lookahead_q > 0 && a->lookahead_q <= 1) || !(a->min_cpu_cores >= 0) ||
        !(a->min_mem_bytes >= 0) || a->min_history_ms < 0 || !isfinite(a->margin) ||
        !isfinite(a->limit_margin) || !isfinite(a->oom_bump_ratio))
        return AG_EINVAL;
    return AG_OK;
}

static void ring_free(level_ring *l)
{
    ag__free(l->v);
    ag__free(l->cell);
    ag__free(l->buf);
}

static void augur_clear(ag_online *r)
{
    augur_state *s = r->state;

    if (!s)
        return;
    for (int res = 0; res < AG_NRES; res++) {
        ring_free(&s->lv[res]);
        ag_forecast_clear(&s->fc[res]);
        ag__free(s->held[res]);
        ag__free(s->held_cell[res]);
    }
    ag__free(s);
    r->state = NULL;
}

static ag_err augur_init(ag_online *r)
{
    const ag_augur_params *a = &r->p.augur;
    augur_state *s;
    size_t n;

    if (check(a) != AG_OK)
        return AG_EINVAL;
    n = (size_t)(a->fc_history_ms / a->fc_step_ms);
    s = ag__calloc(1, sizeof *s);
    if (!s)
        return AG_ENOMEM;
    r->state = s;
    s->fit_ms = INT64_MIN;
    s->oom_until = INT64_MIN;
    s->first_ms = INT64_MIN;
    for (int res = 0; res < AG_NRES; res++) {
        level_ring *l = &s->lv[res];
        l->n = n;
        l->v = ag__malloc(n * sizeof *l->v);
        l->cell = ag__malloc(n * sizeof *l->cell);
        if (!l->v || !l->cell)
            return AG_ENOMEM; /* augur_clear() frees the rest */
        for (size_t i = 0; i < n; i++)
            l->cell[i] = INT64_MIN;
        l->cur = l->last_done = l->peak_at = INT64_MIN;
        l->ring_peak = NAN;
        s->prev_target[res] = NAN;
    }
    s->nheld = (size_t)(a->hold_ms / a->fc_step_ms);
    for (int res = 0; res < AG_NRES && s->nheld > 0; res++) {
        s->held[res] = ag__malloc(s->nheld * sizeof *s->held[res]);
        s->held_cell[res] = ag__malloc(s->nheld * sizeof *s->held_cell[res]);
        if (!s->held[res] || !s->held_cell[res])
            return AG_ENOMEM;
        for (size_t i = 0; i < s->nheld; i++)
            s->held_cell[res][i] = INT64_MIN;
    }
    return AG_OK;
}

/* The cell of a sample at t: samples are interval ends, so cell c holds
 * (c * step, (c + 1) * step]. */
static int64_t cell_of(int64_t t, int64_t step)
{
    int64_t q = (t - 1) / step;
    return (t - 1) % step < 0 ? q - 1 : q;
}

static void finish_cell(level_ring *l, const ag_augur_params *a, int res)
{
    double v;

    if (l->cur == INT64_MIN)
        return;
    if (res == AG_CPU)
        v = l->nbuf ? ag_quantile_inplace(l->buf, l->nbuf, 1 - a->cpu_risk) : NAN;
    else
        v = l->peak;
    l->v[(size_t)(l->cur % (int64_t)l->n)] = v;
    l->cell[(size_t)(l->cur % (int64_t)l->n)] = l->cur;
    if (isfinite(v) && v > l->max_level)
        l->max_level = v;
    l->last_done = l->cur;
    l->cur = INT64_MIN;
    l->nbuf = l->seen = 0;
    l->peak = -INFINITY;
}

static void augur_observe(ag_online *r, int replica, ag_resource res, int64_t t, double x)
{
    augur_state *s = r->state;
    const ag_augur_params *a = &r->p.augur;
    level_ring *l = &s->lv[res];
    int64_t c = cell_of(t, a->fc_step_ms);

    (void)replica;
    if (c < l->cur || (l->cur == INT64_MIN && c <= l->last_done))
        return; /* out of order */
    if (c != l->cur) {
        finish_cell(l, a, res);
        l->cur = c;
        l->peak = -INFINITY;
    }
    if (s->first_ms == INT64_MIN)
        s->first_ms = t;
    s->samples[res]++;
    if (res == AG_MEMORY) {
        if (x > l->peak)
            l->peak = x;
        return;
    }
    /* the buffer grows to CELL_SAMPLES_MAX (a daemon tracking thousands
     * of containers sees a few dozen samples an hour each); past it,
     * every k-th sample is kept (k doubling) */
    if (l->nbuf == l->bcap && l->bcap < CELL_SAMPLES_MAX) {
        size_t cap = l->bcap ? 2 * l->bcap : 64;
        double *nb =
            ag__realloc(l->buf, (cap < CELL_SAMPLES_MAX ? cap : CELL_SAMPLES_MAX) * sizeof *nb);
        if (nb) {
            l->buf = nb;
            l->bcap = cap < CELL_SAMPLES_MAX ? cap : CELL_SAMPLES_MAX;
        }
    }
    if (l->nbuf < l->bcap) {
        l->buf[l->nbuf++] = x;
    } else if (l->bcap >= 2 && ++l->seen % 2 == 0) {
        for (size_t i = 0; i < l->bcap / 2; i++)
            l->buf[i] = l->buf[2 * i];
        l->nbuf = l->bcap / 2;
        l->buf[l->nbuf++] = x;
    }
}

static void augur_oom(ag_online *r, int replica, int64_t t, double mem_request)
{
    augur_state *s = r->state;
    const level_ring *l = &s->lv[AG_MEMORY];
    double peak = isfinite(mem_request) ? mem_request : 0;

    (void)replica;
    if (l->cur != INT64_MIN && l->peak > peak)
        peak = l->peak;
    if (l->last_done != INT64_MIN) {
        double last = l->v[(size_t)(l->last_done % (int64_t)l->n)];
        if (isfinite(last) && last > peak)
            peak = last;
    }
    peak *= r->p.augur.oom_bump_ratio;
    if (t < s->oom_until && s->oom_floor > peak)
        peak = s->oom_floor * r->p.augur.oom_bump_ratio; /* again while held: grow */
    s->oom_floor = peak;
    s->oom_until = t + r->p.augur.oom_hold_ms;
    s->ooms++;
}

/* The level of complete cell c, NAN when it is not in the ring. */
static double level_at(const level_ring *l, int64_t c)
{
    size_t slot;

    if (c == INT64_MIN || l->n == 0)
        return NAN;
    slot = (size_t)(((c % (int64_t)l->n) + (int64_t)l->n) % (int64_t)l->n);
    return l->cell[slot] == c ? l->v[slot] : NAN;
}

/* The level the recent past says the request must cover. sustained: what
 * the last two complete hours both reached (one spike is not a shift);
 * otherwise the highest of the last complete hour and the hour being
 * filled (memory: the peak the limit must hold). Before any complete
 * hour: the hour being filled. NAN when nothing was seen. */
static double recent_level(const augur_state *s, const ag_augur_params *a, int res, int sustained)
{
    const level_ring *l = &s->lv[res];
    double last = level_at(l, l->last_done), cur = NAN, v;

    if (l->cur != INT64_MIN && res == AG_MEMORY)
        cur = l->peak;
    if (l->cur != INT64_MIN && res == AG_CPU && l->nbuf > 0 && !isfinite(last)) {
        double tmp[CELL_SAMPLES_MAX];
        memcpy(tmp, l->buf, l->nbuf * sizeof *tmp);
        cur = ag_quantile_inplace(tmp, l->nbuf, 1 - a->cpu_risk);
    }
    if (!isfinite(last))
        return cur;
    if (sustained) {
        double before = level_at(l, l->last_done - 1);
        return isfinite(before) && before < last ? before : last;
    }
    v = last;
    if (isfinite(cur) && cur > v)
        v = cur;
    return v;
}

/* The highest level of the cells in (last - cells, last]: the ring holds
 * fc_history; cells = 0 means all of it. */
static double ring_max(const level_ring *l, size_t cells)
{
    double m = NAN;

    if (l->last_done == INT64_MIN)
        return NAN;
    if (cells == 0 || cells > l->n)
        cells = l->n;
    for (size_t i = 0; i < cells; i++) {
        int64_t c = l->last_done - (int64_t)i;
        size_t slot = (size_t)(((c % (int64_t)l->n) + (int64_t)l->n) % (int64_t)l->n);
        if (l->cell[slot] == c && isfinite(l->v[slot]) && !(l->v[slot] <= m))
            m = l->v[slot];
    }
    return m;
}

/* Fits one resource on the last complete cells. */
static void fit(augur_state *s, const ag_augur_params *a, int res)
{
    level_ring *l = &s->lv[res];
    double *v;
    size_t n = l->n, have = 0;
    ag_fc_request req;
    ag_fc_series in;
    int64_t last = l->last_done,
            span = a->refit_ms + (a->lookahead_ms > a->limit_lookahead_ms ? a->lookahead_ms
                                                                          : a->limit_lookahead_ms);

    ag_forecast_clear(&s->fc[res]);
    s->have_fc[res] = 0;
    if (last == INT64_MIN)
        return;
    v = ag__malloc(n * sizeof *v);
    if (!v)
        return; /* out of memory: the reactive fallback answers */
    for (size_t i = 0; i < n; i++) {
        int64_t c = last - (int64_t)(n - 1 - i);
        size_t slot = (size_t)(((c % (int64_t)n) + (int64_t)n) % (int64_t)n);
        v[i] = l->cell[slot] == c ? l->v[slot] : NAN;
        have += isfinite(v[i]) != 0;
    }
    in.t0_ms = (last - (int64_t)n + 2) * a->fc_step_ms; /* the end of the first cell */
    in.step_ms = a->fc_step_ms;
    in.v = v;
    in.n = n;
    ag_fc_request_default(&req, (size_t)(span / a->fc_step_ms) + 2);
    req.nq = 3;
    req.quantiles[0] = 0.5;
    req.quantiles[1] = res == AG_CPU ? a->cpu_fc_quantile : 1 - a->mem_risk;
    req.quantiles[2] = res == AG_CPU ? 0.99 : 1 - a->mem_limit_risk;
    if (req.quantiles[1] > req.quantiles[2])
        req.quantiles[1] = req.quantiles[2];
    req.model = a->model;
    if (have >= 2 && ag_forecast_series(&in, &req, &s->fc[res], NULL) == AG_OK)
        s->have_fc[res] = 1;
    ag__free(v);
}

/* Quantile q (1 = the max) over the cells overlapping [now, now + ahead]
 * of forecast quantile k; NAN when the forecast does not reach. */
static double over(const ag_forecast *f, size_t k, int64_t now, int64_t ahead, double q)
{
    double v[512];
    size_t n = 0;

    for (size_t h = 0; h < f->horizon && n < 512; h++) {
        int64_t end = f->t0_ms + (int64_t)h * f->step_ms, start = end - f->step_ms;
        if (end <= now || start >= now + (ahead > 0 ? ahead : 1))
            continue;
        v[n++] = f->q[k * f->horizon + h];
    }
    if (n == 0)
        return NAN;
    return ag_quantile_inplace(v, n, q);
}

static void set_res(ag_rec_res *o, double target, double band)
{
    o->target = o->uncapped = target;
    o->lower = target * (1 - band);
    o->upper = target * (1 + band);
    o->limit = NAN;
}

/* The target held for decreases: the highest raw target of the cells
 * (hours) in the last hold_ms, this one's included. */
static double hold(augur_state *s, const ag_augur_params *a, int res, int64_t now, double t)
{
    int64_t c = cell_of(now, a->fc_step_ms);
    size_t slot;
    double m = t;

    if (s->nheld == 0)
        return t;
    slot = (size_t)(((c % (int64_t)s->nheld) + (int64_t)s->nheld) % (int64_t)s->nheld);
    if (s->held_cell[res][slot] != c) {
        s->held_cell[res][slot] = c;
        s->held[res][slot] = t;
    } else if (t > s->held[res][slot]) {
        s->held[res][slot] = t;
    }
    for (size_t i = 0; i < s->nheld; i++)
        if (s->held_cell[res][i] > c - (int64_t)s->nheld && s->held[res][i] > m)
            m = s->held[res][i];
    return m;
}

/* One resource's target and (memory) limit. */
static void recommend_res(const ag_online *r, augur_state *s, int res, int64_t now, double *target,
                          double *limit)
{
    const ag_augur_params *a = &r->p.augur;
    const level_ring *l = &s->lv[res];
    double recent = recent_level(s, a, res, 1), peak = recent_level(s, a, res, 0);
    double t = NAN, lim = NAN, prev = s->prev_target[res];
    double floor_v = res == AG_CPU ? a->min_cpu_cores : a->min_mem_bytes;

    if (s->have_fc[res]) {
        t = over(&s->fc[res], 1, now, a->lookahead_ms, res == AG_CPU ? a->lookahead_q : 1.0);
        lim = over(&s->fc[res], 2, now, a->limit_lookahead_ms, 1.0);
    }
    if (!isfinite(t)) { /* no forecast (yet): the highest level of the last fallback_ms */
        /* memory always covers the last day's peak: it cannot be throttled */
        int64_t back =
            res == AG_MEMORY && a->fallback_ms < 24 * HOUR_MS ? 24 * HOUR_MS : a->fallback_ms;
        t = ring_max(l, (size_t)(back / a->fc_step_ms));
        if (!isfinite(t))
            t = peak;
    }
    if (isfinite(recent) && !(t >= recent))
        t = recent; /* a miss is corrected within the hour */
    t *= 1 + a->margin;
    if (!(t >= floor_v))
        t = floor_v;
    if (res == AG_MEMORY && now < s->oom_until && s->oom_floor > t)
        t = s->oom_floor;
    t = hold(s, a, res, now, t); /* fast up, slow down */
    /* hysteresis: a change smaller than the band is not worth a restart */
    if (isfinite(prev) && t <= prev * (1 + a->hysteresis) && t >= prev * (1 - a->hysteresis) &&
        !(res == AG_MEMORY && now < s->oom_until && prev < s->oom_floor))
        t = prev;
    s->prev_target[res] = t;
    if (res == AG_MEMORY) {
        /* never below a peak seen in the forecast history: that would be
         * an OOM kill already known */
        double seen;
        if (l->peak_at != l->last_done) { /* changes once an hour */
            s->lv[res].ring_peak = ring_max(l, 0);
            s->lv[res].peak_at = l->last_done;
        }
        seen = l->ring_peak;
        lim = isfinite(lim) ? lim : t;
        if (isfinite(seen) && lim < seen)
            lim = seen;
        if (isfinite(peak) && lim < peak)
            lim = peak;
        lim *= 1 + a->limit_margin;
        if (now < s->oom_until && lim < s->oom_floor * a->oom_bump_ratio)
            lim = s->oom_floor * a->oom_bump_ratio;
        /* and never less headroom than the workload's own limit:request */
        if (isfinite(ag__online_ratio_limit(r, AG_MEMORY, t)) &&
            ag__online_ratio_limit(r, AG_MEMORY, t) > lim)
            lim = ag__online_ratio_limit(r, AG_MEMORY, t);
        if (!(lim >= t))
            lim = t;
    } else {
        lim = a->cpu_limit_ratio > 0 ? t * a->cpu_limit_ratio : NAN;
    }
    *target = t;
    *limit = lim;
}

static ag_err augur_recommend(ag_online *r, int64_t now, const double cur[AG_NRES], ag_rec *out)
{
    augur_state *s = r->state;
    const ag_augur_params *a = &r->p.augur;

    (void)cur;
    ag__online_none(out, AG_REC_NO_DATA);
    for (int res = 0; res < AG_NRES; res++) {
        level_ring *l = &s->lv[res];
        if (l->cur != INT64_MIN && (l->cur + 1) * a->fc_step_ms <= now)
            finish_cell(l, a, res); /* the hour is over: no later sample can join it */
    }
    if (s->first_ms != INT64_MIN && now - s->first_ms >= a->min_history_ms &&
        (s->fit_ms == INT64_MIN || now - s->fit_ms >= a->refit_ms)) {
        for (int res = 0; res < AG_NRES; res++)
            fit(s, a, res);
        s->fit_ms = now;
    }
    out->ooms = s->ooms;
    for (int res = 0; res < AG_NRES; res++) {
        double t, lim;
        out->samples[res] = s->samples[res];
        if (s->samples[res] == 0)
            continue;
        recommend_res(r, s, res, now, &t, &lim);
        out->status[res] = AG_REC_OK;
        set_res(&out->res[res], t, a->band);
        out->res[res].limit = lim;
    }
    return AG_OK;
}

const ag__online_ops ag__online_augur_ops = {augur_init,      augur_observe, augur_oom,
                                             augur_recommend, augur_clear,   NULL};
