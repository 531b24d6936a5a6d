/*
 * sim/sim.c - the replay loop: one workload-container at a time, step by
 * step, its replicas' usage against the requests and limits in force.
 *
 * Each sample of a replica stands for one step of time ending at its
 * timestamp. At every tick (the trace's step) every replica's samples up
 * to the tick are played: CPU above the limit is throttled, above the
 * request at risk; memory above the limit is an OOM kill (the container
 * is down for the restart time, doubling in a crash loop), above the
 * request at risk. The recommender sees what cAdvisor would. Every
 * `interval` the recommender is asked and the updater (updater.c) applies
 * its answer. docs/simulator.md is the specification; sim_int.h holds the
 * state shared with the updater.
 */
#include <math.h>
#include <string.h>
#include "augur/sim.h"
#include "sim/sim_int.h"
#include "util/alloc.h"

#define MIN_MS 60000LL

void ag_sim_opts_default(ag_sim_opts *o)
{
    memset(o, 0, sizeof *o);
    o->interval_ms = 5 * MIN_MS;
    o->warmup_ms = 24 * 60 * MIN_MS;
    o->restart_ms = MIN_MS;
    o->backoff_max_ms = 5 * MIN_MS;
    o->mode = AG_MODE_RECREATE;
    o->limits = AG_LIMITS_RECOMMENDER;
    o->eviction_tolerance = 0.5;
    o->min_replicas = 1;
    o->lifetime_ms = 12 * 60 * MIN_MS;
    o->update_threshold = 0.1;
    o->quick_oom_ms = 10 * MIN_MS;
}

static ag_err check_opts(const ag_sim_opts *o, ag_errinfo *ei)
{
    if (o->interval_ms <= 0 || o->warmup_ms < 0 || o->restart_ms < 0 ||
        o->backoff_max_ms < o->restart_ms || (unsigned)o->mode > AG_MODE_INPLACE ||
        (unsigned)o->limits > AG_LIMITS_NO_CPU || !(o->eviction_tolerance >= 0) ||
        !(o->eviction_tolerance <= 1) || o->min_replicas < 0 || o->lifetime_ms < 0 ||
        !(o->update_threshold >= 0) || o->quick_oom_ms < 0 || o->chart_step_ms < 0) {
        ag_errinfo_set(ei, "simulator: an option is out of range (interval > 0, warm-up, "
                           "restart and lifetime >= 0, eviction tolerance in [0, 1])");
        return AG_EINVAL;
    }
    return AG_OK;
}

/* The trace's step: the median positive spacing of the first member
 * with samples (Bitbrains has 300 and 301 s), 60 s when unknown. */
static int64_t trace_step(const ag_wcontainer *wc)
{
    for (size_t k = 0; k < wc->n; k++)
        for (int r = 0; r < AG_NRES; r++) {
            const ag_samples *s = &wc->members[k]->usage[r];
            int64_t d[512];
            size_t n = 0;
            for (size_t i = 1; i < s->n && n < 512; i++)
                if (s->v[i].t_ms > s->v[i - 1].t_ms)
                    d[n++] = s->v[i].t_ms - s->v[i - 1].t_ms;
            if (n > 0) {
                /* insertion sort: n <= 512 */
                for (size_t i = 1; i < n; i++)
                    for (size_t j = i; j > 0 && d[j - 1] > d[j]; j--) {
                        int64_t x = d[j];
                        d[j] = d[j - 1];
                        d[j - 1] = x;
                    }
                return d[n / 2];
            }
        }
    return MIN_MS;
}

static void span(const ag_container *c, int64_t *first, int64_t *last)
{
    *first = INT64_MAX;
    *last = INT64_MIN;
    for (int r = 0; r < AG_NRES; r++) {
        const ag_samples *s = &c->usage[r];
        if (s->n == 0)
            continue;
        if (s->v[0].t_ms < *first)
            *first = s->v[0].t_ms;
        if (s->v[s->n - 1].t_ms > *last)
            *last = s->v[s->n - 1].t_ms;
    }
}

void ag__sim_emit(ag__sim *s, const ag__replica *rp, int res, int64_t t, const char *event)
{
    ag_sim_event e;

    if (!s->o->on_event)
        return;
    e.t_ms = t;
    e.wc = s->wc;
    e.pod = rp->c->pod;
    e.res = (ag_resource)res;
    e.request = rp->req[res];
    e.limit = rp->lim[res];
    e.lower = s->have_rec && s->rec.status[res] == AG_REC_OK ? s->rec.res[res].lower : NAN;
    e.upper = s->have_rec && s->rec.status[res] == AG_REC_OK ? s->rec.res[res].upper : NAN;
    e.event = event;
    s->o->on_event(s->o->event_ud, &e);
}

/* Sets a replica's request and limit for res, and says so when they
 * change. */
void ag__sim_set(ag__sim *s, ag__replica *rp, int res, double req, double lim, int64_t t)
{
    int same_req = req == rp->req[res] || (isnan(req) && isnan(rp->req[res]));
    int same_lim = lim == rp->lim[res] || (isnan(lim) && isnan(rp->lim[res]));

    if (same_req && same_lim && rp->announced)
        return;
    rp->req[res] = req;
    rp->lim[res] = lim;
    ag__sim_emit(s, rp, res, t, "");
}

static int counted(const ag__sim *s, int64_t t)
{
    return t > s->metrics_from;
}

/* Seconds of (t - step, t] the container was down. */
static double down_overlap(const ag__replica *rp, int64_t t, int64_t step)
{
    int64_t a = t - step > rp->down_from ? t - step : rp->down_from;
    int64_t b = t < rp->down_until ? t : rp->down_until;

    return b > a ? (double)(b - a) / 1000.0 : 0.0;
}

/* An OOM kill at t: down for the restart time, doubling in a crash loop. */
static void oom_kill(ag__sim *s, ag__replica *rp, int i, int64_t t, double seen)
{
    int64_t back = s->o->restart_ms;

    for (int k = 0; k < rp->crashes && back < s->o->backoff_max_ms; k++)
        back *= 2;
    if (back > s->o->backoff_max_ms)
        back = s->o->backoff_max_ms;
    rp->crashes++;
    rp->last_oom_ms = t;
    rp->oom_after_start = t - rp->container_start_ms;
    rp->down_from = t;
    rp->down_until = t + back;
    rp->waking = 1;
    if (counted(s, t)) {
        s->m->ooms++;
        s->m->restarts++;
        s->m->disruptions++;
    }
    ag__sim_emit(s, rp, AG_MEMORY, t, "oom");
    ag_online_observe(s->rec_obj, i, AG_MEMORY, t, seen);
    ag_online_oom(s->rec_obj, i, t, rp->req[AG_MEMORY]);
}

/* Plays one sample time of one replica: cpu and mem are NAN when the
 * trace has none at t. */
static void play(ag__sim *s, ag__replica *rp, int i, int64_t t, double cpu, double mem)
{
    double dt = (double)s->step / 1000.0;
    double down = down_overlap(rp, t, s->step), up = 1.0 - down / dt;
    int cnt = counted(s, t);
    ag_sim_metrics *m = s->m;

    if (up < 0)
        up = 0;
    if (cnt) {
        m->container_seconds += dt;
        m->intervals++;
        m->down_seconds += down;
    }
    if (isfinite(cpu)) {
        double lim = isfinite(rp->lim[AG_CPU]) ? rp->lim[AG_CPU] : INFINITY;
        double req = isfinite(rp->req[AG_CPU]) ? rp->req[AG_CPU] : 0;
        double served = cpu < lim ? cpu : lim;
        if (cnt) {
            m->cpu_demand += cpu * dt;
            m->cpu_lost += cpu * down;
            m->cpu_used += served * dt * up;
            m->cpu_throttled += (cpu > lim ? cpu - lim : 0) * dt * up;
            m->cpu_at_risk += (cpu > req ? cpu - req : 0) * dt * up;
            m->cpu_requested += req * dt;
            m->cpu_idle_request += (req > served * up ? req - served * up : 0) * dt;
        }
        if (up > 0)
            ag_online_observe(s->rec_obj, i, AG_CPU, t, served);
        if (s->chart_on && cpu > s->chart_max[AG_CPU])
            s->chart_max[AG_CPU] = cpu;
    }
    if (isfinite(mem)) {
        double lim = isfinite(rp->lim[AG_MEMORY]) ? rp->lim[AG_MEMORY] : INFINITY;
        double req = isfinite(rp->req[AG_MEMORY]) ? rp->req[AG_MEMORY] : 0;
        double used = (mem < lim ? mem : lim) * up;
        rp->last_mem = mem;
        if (cnt) {
            m->mem_demand += mem * dt;
            m->mem_lost += mem * down;
            m->mem_requested += req * dt;
            m->mem_idle_request += (req > used ? req - used : 0) * dt;
        }
        if (s->chart_on && mem > s->chart_max[AG_MEMORY])
            s->chart_max[AG_MEMORY] = mem;
        if (up <= 0)
            return; /* down the whole step: nothing runs, nothing is seen */
        if (mem > lim) {
            oom_kill(s, rp, i, t, lim);
            return;
        }
        if (cnt && mem > req)
            m->mem_at_risk++;
        ag_online_observe(s->rec_obj, i, AG_MEMORY, t, mem);
    }
    if (rp->crashes && t - rp->container_start_ms >= s->o->quick_oom_ms)
        rp->crashes = 0; /* ran long enough: the back-off resets */
}

/* A replica coming back from a restart or an eviction at its down_until. */
static void wake(ag__sim *s, ag__replica *rp)
{
    rp->waking = 0;
    rp->container_start_ms = rp->down_until;
    if (rp->evicted) {
        rp->evicted = 0;
        rp->pod_start_ms = rp->down_until;
        rp->oom_after_start = INT64_MAX;
        for (int r = 0; r < AG_NRES; r++)
            ag__sim_set(s, rp, r, rp->pend_req[r], rp->pend_lim[r], rp->down_until);
        return;
    }
    ag__sim_emit(s, rp, AG_MEMORY, rp->down_until, "restart");
}

static double sample_at(const ag_samples *sm, size_t *ci, int64_t t)
{
    if (*ci < sm->n && sm->v[*ci].t_ms == t)
        return sm->v[(*ci)++].v;
    return NAN;
}

/* Plays every sample of replica i up to t. */
static void play_until(ag__sim *s, int i, int64_t t)
{
    ag__replica *rp = &s->rep[i];
    const ag_container *c = rp->c;

    for (;;) {
        const ag_samples *cs = &c->usage[AG_CPU], *ms = &c->usage[AG_MEMORY];
        int64_t tc = rp->ci[AG_CPU] < cs->n ? cs->v[rp->ci[AG_CPU]].t_ms : INT64_MAX;
        int64_t tm = rp->ci[AG_MEMORY] < ms->n ? ms->v[rp->ci[AG_MEMORY]].t_ms : INT64_MAX;
        int64_t ts = tc < tm ? tc : tm;
        double cpu, mem;
        if (ts > t || ts == INT64_MAX)
            return;
        if (rp->waking && rp->down_until <= ts)
            wake(s, rp);
        if (!rp->created)
            ag__sim_create(s, rp, ts);
        cpu = sample_at(cs, &rp->ci[AG_CPU], ts);
        mem = sample_at(ms, &rp->ci[AG_MEMORY], ts);
        rp->last_seen = ts;
        play(s, rp, i, ts, cpu, mem);
    }
}

static void chart_point(ag__sim *s, ag_sim_result *res, int64_t t)
{
    ag_sim_point *p;
    const ag__replica *rp = NULL;

    if (res->nchart >= s->chart_cap)
        return;
    for (size_t i = 0; i < s->nrep && !rp; i++)
        if (s->rep[i].created && s->rep[i].last_seen + s->step >= t)
            rp = &s->rep[i];
    p = &res->chart[res->nchart++];
    p->t_ms = t;
    for (int r = 0; r < AG_NRES; r++) {
        p->usage[r] = s->chart_max[r] >= 0 ? s->chart_max[r] : NAN;
        p->request[r] = rp ? rp->req[r] : NAN;
        p->limit[r] = rp ? rp->lim[r] : NAN;
        s->chart_max[r] = -1;
    }
}

static ag_err setup(ag__sim *s, const ag_sim_opts *o, const ag_online_params *p,
                    const ag_wcontainer *wc, ag_sim_result *res)
{
    ag_online_spec spec;
    ag_err rc;

    s->o = o;
    s->wc = wc;
    s->m = &res->m;
    s->step = trace_step(wc);
    s->nrep = wc->n;
    s->begin = INT64_MAX;
    s->end = INT64_MIN;
    s->rep = ag__calloc(wc->n ? wc->n : 1, sizeof *s->rep);
    if (!s->rep)
        return AG_ENOMEM;
    for (size_t i = 0; i < wc->n; i++) {
        ag__replica *rp = &s->rep[i];
        int64_t a, b;
        rp->c = wc->members[i];
        span(rp->c, &a, &b);
        if (a < s->begin)
            s->begin = a;
        if (b > s->end)
            s->end = b;
    }
    s->metrics_from = s->begin + o->warmup_ms;
    for (int r = 0; r < AG_NRES; r++) {
        spec.request[r] = wc->request[r];
        spec.limit[r] = wc->limit[r];
        res->first_request[r] = res->last_request[r] = NAN;
    }
    spec.replicas = (int)(wc->n ? wc->n : 1);
    spec.step_ms = s->step;
    rc = ag_online_new(p, &spec, &s->rec_obj);
    if (rc != AG_OK)
        return rc;
    if (o->chart_step_ms > 0 && s->end >= s->begin) {
        s->chart_cap = (size_t)((s->end - s->begin) / o->chart_step_ms) + 2;
        res->chart = ag__calloc(s->chart_cap, sizeof *res->chart);
        if (!res->chart)
            return AG_ENOMEM;
        s->chart_on = 1;
        s->chart_max[0] = s->chart_max[1] = -1;
    }
    return AG_OK;
}

static ag_err run_one(const ag_sim_opts *o, const ag_online_params *p, const ag_wcontainer *wc,
                      ag_sim_result *res)
{
    ag__sim s;
    ag_err rc;
    int64_t every, k = 0, next_chart;

    memset(&s, 0, sizeof s);
    memset(res, 0, sizeof *res);
    res->wc = wc;
    rc = setup(&s, o, p, wc, res);
    if (rc != AG_OK || s.end < s.begin)
        goto out;
    every = o->interval_ms > s.step ? o->interval_ms / s.step : 1;
    next_chart = s.chart_on ? s.begin + o->chart_step_ms : INT64_MAX;
    for (int64_t t = s.begin; t <= s.end + s.step; t += s.step, k++) {
        for (size_t i = 0; i < s.nrep; i++)
            play_until(&s, (int)i, t);
        if (k % every == 0) {
            rc = ag__sim_decide(&s, t);
            if (rc != AG_OK)
                goto out;
        }
        while (t >= next_chart) {
            chart_point(&s, res, next_chart);
            next_chart += o->chart_step_ms;
        }
    }
    for (int r = 0; r < AG_NRES; r++) {
        res->first_request[r] = s.first_req[r];
        res->last_request[r] = s.nrep ? s.rep[0].req[r] : NAN;
    }
out:
    ag_online_free(s.rec_obj);
    ag__free(s.rep);
    return rc;
}

ag_err ag_sim_run(const ag_sim_opts *o, const ag_online_params *p, const ag_wcontainer *wc,
                  size_t n, ag_sim_result *out, ag_sim_metrics *total, ag_errinfo *ei)
{
    ag_err rc = check_opts(o, ei);

    if (total)
        memset(total, 0, sizeof *total);
    if (rc != AG_OK)
        return rc;
    for (size_t i = 0; i < n; i++) {
        rc = run_one(o, p, &wc[i], &out[i]);
        if (rc != AG_OK) {
            ag_errinfo_set(ei, "simulator: %s/%s/%s: %s", wc[i].ns, wc[i].name, wc[i].container,
                           rc == AG_EINVAL ? "bad recommender parameters" : ag_strerror(rc));
            ag_sim_results_clear(out, i + 1);
            return rc;
        }
        if (total)
            ag_sim_metrics_add(total, &out[i].m);
    }
    return AG_OK;
}

void ag_sim_results_clear(ag_sim_result *r, size_t n)
{
    for (size_t i = 0; r && i < n; i++) {
        ag__free(r[i].chart);
        r[i].chart = NULL;
        r[i].nchart = 0;
    }
}
