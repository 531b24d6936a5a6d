/*
 * sim/updater.c - turning recommendations into requests: pod creation
 * (the admission controller), and the VPA updater's rules in the
 * Recreate and in-place modes.
 *
 * kubernetes/autoscaler vertical-pod-autoscaler/pkg/updater/priority
 * (update_priority_calculator.go): a pod is updated when a request is
 * outside [lowerBound, upperBound] (a missing request counts as
 * outside), or it was OOM-killed less than 10 min after it started and
 * its resources would change, or it is at least 12 h old and the summed
 * relative difference between requests and targets is at least 10%.
 * Pods that scale up go first, then the larger difference. Evictions are
 * limited to eviction_tolerance of the replicas at once (at least one),
 * and none happen below min_replicas. Limits follow the limit policy.
 * The rules themselves are lib/recommend/update.c (augur/update.h), the
 * code the Kubernetes actuator runs too; this file feeds them a replica.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include "augur/sim.h"
#include "augur/update.h"
#include "sim/sim_int.h"
#include "util/alloc.h"

/* The trace's own request and limit of a replica (the member's, else the
 * workload-container's). */
static void own(const ag__sim *s, const ag__replica *rp, int r, double *req, double *lim)
{
    *req = isfinite(rp->c->request[r]) ? rp->c->request[r] : s->wc->request[r];
    *lim = isfinite(rp->c->limit[r]) ? rp->c->limit[r] : s->wc->limit[r];
    if (!(*lim > 0))
        *lim = NAN; /* a limit of 0 (or none) is no limit */
}

/* What the recommendation gives for res under the limit policy; returns
 * 0 (and leaves req/lim alone) when there is no recommendation. */
static int target(const ag__sim *s, const ag__replica *rp, int r, double *req, double *lim)
{
    const ag_rec_res *x = &s->rec.res[r];
    double oreq, olim, l;

    if (!s->have_rec || s->rec.status[r] != AG_REC_OK || !isfinite(x->target))
        return 0;
    own(s, rp, r, &oreq, &olim);
    switch (s->o->limits) {
    case AG_LIMITS_RECOMMENDER:
        l = x->limit;
        break;
    case AG_LIMITS_UPPER:
        l = x->upper;
        break;
    case AG_LIMITS_NO_CPU:
        if (r == AG_CPU) {
            l = NAN;
            break;
        }
        __attribute__((fallthrough)); /* memory keeps the ratio */
    case AG_LIMITS_KEEP_RATIO:
    default:
        l = ag_update_keep_ratio(x->target, oreq, olim);
        break;
    }
    if (isfinite(l) && l < x->target)
        l = x->target;
    *req = x->target;
    *lim = l;
    return 1;
}

void ag__sim_create(ag__sim *s, ag__replica *rp, int64_t t)
{
    rp->created = 1;
    rp->pod_start_ms = rp->container_start_ms = t;
    rp->down_from = rp->down_until = INT64_MIN;
    rp->oom_after_start = INT64_MAX;
    for (int r = 0; r < AG_NRES; r++) {
        double req, lim;
        own(s, rp, r, &req, &lim);
        if (s->applied && s->o->mode != AG_MODE_OFF)
            target(s, rp, r, &req, &lim);
        ag__sim_set(s, rp, r, req, lim, t);
    }
    rp->announced = 1;
}

static int alive(const ag__replica *rp)
{
    return rp->created && (rp->ci[AG_CPU] < rp->c->usage[AG_CPU].n ||
                           rp->ci[AG_MEMORY] < rp->c->usage[AG_MEMORY].n);
}

typedef struct cand {
    ag__replica *rp;
    ag_update_verdict v;
    uint64_t tie;
} cand;

static uint64_t mix(uint64_t x)
{
    x += 0x9e3779b97f4a7c15ULL;
    x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
    x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
    return x ^ (x >> 31);
}

static int cand_cmp(const void *a, const void *b)
{
    const cand *x = a, *y = b;
    int c = ag_update_cmp(&x->v, &y->v);

    if (c)
        return c;
    return x->tie < y->tie ? -1 : x->tie > y->tie;
}

/* Whether the updater wants rp updated at t, with its priority: the
 * resources it has usage and a recommendation for, through the shared
 * rules. */
static int wants(const ag__sim *s, const ag__replica *rp, int64_t t, cand *c)
{
    ag_update_res res[AG_NRES];
    ag_update_rules rules;
    size_t n = 0;

    for (int r = 0; r < AG_NRES; r++) {
        const ag_rec_res *x = &s->rec.res[r];
        ag_update_res *u = &res[n];
        if (!rp->c->usage[r].n || !target(s, rp, r, &u->target, &u->tlimit))
            continue;
        u->request = rp->req[r];
        u->limit = rp->lim[r];
        u->lower = x->lower;
        u->upper = x->upper;
        n++;
    }
    rules.lifetime_ms = s->o->lifetime_ms;
    rules.update_threshold = s->o->update_threshold;
    rules.quick_oom_ms = s->o->quick_oom_ms;
    c->rp = (ag__replica *)rp;
    return ag_update_wants(&rules, res, n, t - rp->pod_start_ms, rp->oom_after_start, &c->v);
}

static void evict(ag__sim *s, ag__replica *rp, int64_t t)
{
    for (int r = 0; r < AG_NRES; r++) {
        rp->pend_req[r] = rp->req[r];
        rp->pend_lim[r] = rp->lim[r];
        target(s, rp, r, &rp->pend_req[r], &rp->pend_lim[r]);
        if (rp->c->usage[r].n)
            ag__sim_emit(s, rp, r, t, "evict");
    }
    if (!(rp->down_until > t))
        rp->down_from = t;
    if (rp->down_until < t + s->o->restart_ms)
        rp->down_until = t + s->o->restart_ms;
    rp->waking = 1;
    rp->evicted = 1;
    rp->crashes = 0;
    if (t > s->metrics_from) {
        s->m->evictions++;
        s->m->disruptions++;
    }
}

/* In place: memory is not shrunk below what the container uses now
 * (the kubelet defers such a resize). */
static void resize(ag__sim *s, ag__replica *rp, int64_t t)
{
    int done = 0;

    for (int r = 0; r < AG_NRES; r++) {
        double req = rp->req[r], lim = rp->lim[r];
        if (!rp->c->usage[r].n || !target(s, rp, r, &req, &lim))
            continue;
        if (r == AG_MEMORY && isfinite(lim) && lim < rp->last_mem)
            continue;
        if (req != rp->req[r] || lim != rp->lim[r])
            done = 1;
        ag__sim_set(s, rp, r, req, lim, t);
    }
    if (done && t > s->metrics_from)
        s->m->resizes++;
}

static ag_err update(ag__sim *s, int64_t t)
{
    cand stack[64], *c = stack;
    size_t nc = 0, nalive = 0, pending = 0;
    long allowed;

    for (size_t i = 0; i < s->nrep; i++)
        if (alive(&s->rep[i])) {
            nalive++;
            pending += s->rep[i].evicted;
        }
    if (nalive == 0 || (s->o->mode == AG_MODE_RECREATE && nalive < (size_t)s->o->min_replicas))
        return AG_OK;
    if (s->nrep > sizeof stack / sizeof stack[0]) {
        c = ag__malloc(s->nrep * sizeof *c);
        if (!c)
            return AG_ENOMEM;
    }
    for (size_t i = 0; i < s->nrep; i++) {
        ag__replica *rp = &s->rep[i];
        if (alive(rp) && !rp->evicted && wants(s, rp, t, &c[nc])) {
            c[nc].tie = mix(s->o->seed ^ (uint64_t)t ^ (i << 40));
            nc++;
        }
    }
    qsort(c, nc, sizeof *c, cand_cmp);
    allowed = ag_update_budget(s->o->eviction_tolerance, nalive) - (long)pending;
    for (size_t i = 0; i < nc; i++) {
        if (s->o->mode == AG_MODE_INPLACE) {
            resize(s, c[i].rp, t);
        } else if (allowed > 0) {
            evict(s, c[i].rp, t);
            allowed--;
        }
    }
    if (c != stack)
        ag__free(c);
    return AG_OK;
}

ag_err ag__sim_decide(ag__sim *s, int64_t t)
{
    const ag__replica *first = NULL;
    double cur[AG_NRES] = {NAN, NAN};
    ag_err rc;

    for (size_t i = 0; i < s->nrep && !first; i++)
        if (alive(&s->rep[i]))
            first = &s->rep[i];
    if (first)
        memcpy(cur, first->req, sizeof cur);
    rc = ag_online_recommend(s->rec_obj, t, cur, &s->rec);
    if (rc != AG_OK)
        return rc;
    s->have_rec = 1;
    if (t > s->metrics_from)
        s->m->decisions++;
    if (!s->applied) {
        if (t < s->metrics_from)
            return AG_OK;
        /* the warm-up is over: the pods are (re)created under the recommender */
        s->applied = 1;
        for (size_t i = 0; i < s->nrep; i++) {
            ag__replica *rp = &s->rep[i];
            if (!rp->created || s->o->mode == AG_MODE_OFF)
                continue;
            for (int r = 0; r < AG_NRES; r++) {
                double req = rp->req[r], lim = rp->lim[r];
                if (target(s, rp, r, &req, &lim))
                    ag__sim_set(s, rp, r, req, lim, t);
            }
            rp->pod_start_ms = rp->container_start_ms = t;
            rp->oom_after_start = INT64_MAX;
        }
        for (int r = 0; r < AG_NRES; r++)
            s->first_req[r] = s->nrep ? s->rep[0].req[r] : NAN;
        return AG_OK;
    }
    if (s->o->mode == AG_MODE_RECREATE || s->o->mode == AG_MODE_INPLACE)
        return update(s, t);
    return AG_OK;
}
