/*
 * recommend/online_int.h - what the online recommenders share: the
 * object every kind embeds and its operations table.
 *
 * ag_online_new() allocates the ag_online, copies the parameters and the
 * spec, then calls ops->init(), which allocates the kind's own state in
 * r->state. Each kind lives in its own file (online_static.c,
 * online_vpa.c, online_krr.c, autopilot.c, crane.c, online_augur.c) and
 * exports one ops table.
 */
#ifndef AG_RECOMMEND_ONLINE_INT_H
#define AG_RECOMMEND_ONLINE_INT_H

#include "augur/online.h"

typedef struct ag__online_ops {
    /* Allocates r->state. AG_EINVAL on bad parameters, AG_ENOMEM. */
    ag_err (*init)(ag_online *r);
    void (*observe)(ag_online *r, int replica, ag_resource res, int64_t t_ms, double v);
    void (*oom)(ag_online *r, int replica, int64_t t_ms, double mem_request);
    ag_err (*recommend)(ag_online *r, int64_t now_ms, const double cur_request[AG_NRES],
                        ag_rec *out);
    /* Frees r->state (not r). */
    void (*clear)(ag_online *r);
    /* Makes room for r->spec.replicas = n (> the current); NULL when the
     * kind keeps no per-replica state. AG_ENOMEM leaves the state. */
    ag_err (*grow)(ag_online *r, int n);
} ag__online_ops;

struct ag_online {
    const ag__online_ops *ops;
    ag_online_params p;
    ag_online_spec spec;
    void *state;
};

extern const ag__online_ops ag__online_static_ops;
extern const ag__online_ops ag__online_vpa_ops;
extern const ag__online_ops ag__online_krr_ops;
extern const ag__online_ops ag__online_autopilot_ops;
extern const ag__online_ops ag__online_crane_ops;
extern const ag__online_ops ag__online_augur_ops;

/* Sets every resource of out to "no value" with status st. */
void ag__online_none(ag_rec *out, ag_rec_status st);

/* The limit for a target keeping the spec's limit:request ratio, or NAN
 * when the spec has no ratio for res. */
double ag__online_ratio_limit(const ag_online *r, ag_resource res, double target);

#endif
