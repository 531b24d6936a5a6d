/*
 * augur/update.h - the VPA updater's rules, as one pure function shared
 * by the replay simulator (lib/sim/updater.c) and the actuator
 * (lib/k8s/actuate.c).
 *
 * kubernetes/autoscaler vertical-pod-autoscaler/pkg/updater/priority
 * (update_priority_calculator.go): a pod is updated when its resources
 * would change and a request is outside [lowerBound, upperBound] (a
 * missing request counts as outside), or it was OOM-killed less than
 * 10 min after its container started, or it is at least 12 h old and the
 * summed relative difference between requests and targets is at least
 * 10%. Pods that scale up go first, then the larger difference; at most
 * max(1, floor(share x pods)) are updated at once. Numbers in, numbers
 * out: no I/O, no allocation.
 */
#ifndef AUGUR_UPDATE_H
#define AUGUR_UPDATE_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* The rules' knobs. */
typedef struct ag_update_rules {
    int64_t lifetime_ms;     /* 12 h: in-bounds pods older than this ... */
    double update_threshold; /* 0.1: ... are updated when the difference is at least this */
    int64_t quick_oom_ms;    /* 10 min: an OOM kill this soon after start -> update */
} ag_update_rules;

/* Fills r with the VPA updater's defaults above. */
void ag_update_rules_default(ag_update_rules *r);

/* One resource of one container of a pod: what it has and what the
 * recommendation would give it. NAN means none (no request, no limit). */
typedef struct ag_update_res {
    double request, limit; /* in force now */
    double target, tlimit; /* what it would get (tlimit NAN: no limit) */
    double lower, upper;   /* the recommendation's bounds */
} ag_update_res;

/* What the rules say of one pod. */
typedef struct ag_update_verdict {
    int change;  /* a target or limit differs from what the pod has */
    int outside; /* a request is outside [lower, upper] (or missing) */
    int quick_oom;
    int old;     /* at least lifetime_ms old */
    int up;      /* a request would grow (or is missing): a scale-up */
    double diff; /* sum over resources of |request - target| / request */
} ag_update_verdict;

/* Whether the updater wants the pod with resources res[0..n) (every
 * container's, only those with a usable recommendation) updated: returns
 * 1 or 0 and fills *v (may be NULL). age_ms is the pod's age;
 * oom_after_ms the time from its container's start to its last OOM kill
 * (INT64_MAX: none). n == 0 or no change: 0. */
int ag_update_wants(const ag_update_rules *r, const ag_update_res *res, size_t n, int64_t age_ms,
                    int64_t oom_after_ms, ag_update_verdict *v);

/* The update order: < 0 when a goes first (scale-ups first, then the
 * larger difference), > 0 when b does, 0 for a tie. */
int ag_update_cmp(const ag_update_verdict *a, const ag_update_verdict *b);

/* How many pods of npods may be updated at once: max(1, floor(share x
 * npods)) (the updater's eviction tolerance; the actuator's
 * maxUnavailableShare). Those already being updated count against it. */
long ag_update_budget(double share, size_t npods);

/* The limit that keeps a container's limit:request ratio for a new
 * request target: target x limit / request, never below target; NAN when
 * the container has no limit (or no request). */
double ag_update_keep_ratio(double target, double request, double limit);

#ifdef __cplusplus
}
#endif
#endif
