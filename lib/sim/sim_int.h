/*
 * sim/sim_int.h - the replay state shared by the loop (sim.c) and the
 * updater (updater.c).
 */
#ifndef AG_SIM_SIM_INT_H
#define AG_SIM_SIM_INT_H

#include <stddef.h>
#include <stdint.h>
#include "augur/online.h"
#include "augur/sim.h"

/* One replica: a member of the workload-container. */
typedef struct ag__replica {
    const ag_container *c;
    size_t ci[AG_NRES]; /* next sample of each series */
    int created;        /* its pod exists (first sample seen) */
    int announced;      /* its first values were emitted */
    double req[AG_NRES], lim[AG_NRES];
    int64_t pod_start_ms;          /* pod creation: the updater's age */
    int64_t container_start_ms;    /* last container start: the quick-OOM rule */
    int64_t down_from, down_until; /* down in [from, until) */
    int waking;                    /* comes back at down_until */
    int evicted;                   /* ... as a new pod with pend_req/pend_lim */
    double pend_req[AG_NRES], pend_lim[AG_NRES];
    int crashes;                          /* OOM kills in a row (back-off) */
    int64_t last_oom_ms, oom_after_start; /* quick OOM: time from start to the kill */
    int64_t last_seen;                    /* last sample time */
    double last_mem;                      /* last memory sample (in-place resizes) */
} ag__replica;

typedef struct ag__sim {
    const ag_sim_opts *o;
    const ag_wcontainer *wc;
    ag_sim_metrics *m;
    ag_online *rec_obj;
    ag_rec rec; /* the latest recommendation */
    int have_rec;
    int applied; /* the warm-up is over: pods were created with recommendations */
    int64_t step, begin, end, metrics_from;
    ag__replica *rep;
    size_t nrep;
    double first_req[AG_NRES];
    /* charts */
    int chart_on;
    size_t chart_cap;
    double chart_max[AG_NRES];
} ag__sim;

/* Emits one decision row (event "" for a new value). */
void ag__sim_emit(ag__sim *s, const ag__replica *rp, int res, int64_t t, const char *event);
/* Sets a replica's request and limit for res; emits a row when new. */
void ag__sim_set(ag__sim *s, ag__replica *rp, int res, double req, double lim, int64_t t);
/* A replica's pod is created at t (its first sample): the trace's own
 * values, or the latest recommendation once the warm-up is over. */
void ag__sim_create(ag__sim *s, ag__replica *rp, int64_t t);
/* The decision at t: asks the recommender, then the updater acts. */
ag_err ag__sim_decide(ag__sim *s, int64_t t);

#endif
