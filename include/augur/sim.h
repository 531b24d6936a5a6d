/*
 * augur/sim.h - the replay simulator: what would have happened had a
 * recommender been in charge of a workload's requests and limits.
 *
 * Replays every workload-container of a dataset at the trace's own step.
 * Each member of a workload-container is one replica, alive while its
 * series has samples. The recommender (augur/online.h) sees the usage as
 * cAdvisor would (CPU capped at the limit, memory until an OOM kill) and
 * is asked every `interval`; an updater applies its answers in one of the
 * VPA's modes with the VPA updater's rules. Semantics, step by step, in
 * docs/simulator.md. Pure: no I/O; decisions and chart points reach the
 * caller through callbacks and arrays.
 */
#ifndef AUGUR_SIM_H
#define AUGUR_SIM_H

#include <stddef.h>
#include <stdint.h>
#include "augur/err.h"
#include "augur/online.h"
#include "augur/series.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef enum ag_update_mode {
    AG_MODE_OFF = 0,      /* recommend only: the trace's own requests stay */
    AG_MODE_INITIAL = 1,  /* applied when a pod is created (at the end of the warm-up) */
    AG_MODE_RECREATE = 2, /* evict and recreate (the VPA's Recreate / Auto) */
    AG_MODE_INPLACE = 3,  /* in-place resize: no restart (InPlace) */
} ag_update_mode;

/* "off", "initial", "recreate", "in-place". */
const char *ag_update_mode_name(ag_update_mode m);
ag_err ag_update_mode_parse(const char *s, ag_update_mode *out);

typedef enum ag_limit_policy {
    AG_LIMITS_RECOMMENDER = 0, /* what the recommender says (vpa: keep the ratio) */
    AG_LIMITS_KEEP_RATIO = 1,  /* limit = request x the trace's own limit:request */
    AG_LIMITS_UPPER = 2,       /* limit = the recommendation's upper bound */
    AG_LIMITS_NO_CPU = 3,      /* no CPU limit; memory keeps the ratio */
} ag_limit_policy;

/* "recommender", "keep-ratio", "upper", "no-cpu-limit". */
const char *ag_limit_policy_name(ag_limit_policy p);
ag_err ag_limit_policy_parse(const char *s, ag_limit_policy *out);

struct ag_sim_event;

typedef struct ag_sim_opts {
    int64_t interval_ms;    /* 5 min: the recommender is asked this often */
    int64_t warmup_ms;      /* 24 h: learn only; metrics start after it */
    int64_t restart_ms;     /* 60 s: a container down after an OOM kill or eviction */
    int64_t backoff_max_ms; /* 300 s: CrashLoopBackOff cap (restart doubles per repeat) */
    ag_update_mode mode;    /* RECREATE */
    ag_limit_policy limits; /* RECOMMENDER */
    /* the VPA updater's rules */
    double eviction_tolerance; /* 0.5: share of replicas evictable at once */
    int min_replicas;          /* 1 (the VPA's default is 2; see docs/simulator.md) */
    int64_t lifetime_ms;       /* 12 h: in-bounds pods older than this ... */
    double update_threshold;   /* 0.1: ... are updated when the diff is at least this */
    int64_t quick_oom_ms;      /* 10 min: OOM this soon after start -> update at once */
    uint64_t seed;             /* ties in the eviction order; 0 = fixed default */
    /* outputs */
    void (*on_event)(void *ud, const struct ag_sim_event *e); /* may be NULL */
    void *event_ud;
    int64_t chart_step_ms; /* > 0: fill ag_sim_result.chart at this step */
} ag_sim_opts;

/* Fills o with the defaults above. */
void ag_sim_opts_default(ag_sim_opts *o);

/* One decision or event, for --emit-decisions. Borrowed for the call. */
typedef struct ag_sim_event {
    int64_t t_ms;
    const ag_wcontainer *wc;
    const char *pod; /* the replica */
    ag_resource res;
    double request, limit; /* in force from t_ms on (NAN = none) */
    double lower, upper;   /* the recommendation's bounds (NAN = none) */
    const char *event;     /* "" (a new value), "oom", "evict", "restart" */
} ag_sim_event;

/* Sums over a run (or one workload-container). Seconds count from the
 * end of the warm-up; CPU in core-seconds, memory in byte-seconds. */
typedef struct ag_sim_metrics {
    double container_seconds; /* replicas x time replayed */
    double cpu_demand;        /* usage in the trace */
    double cpu_used;          /* demand served (not throttled, not lost) */
    double cpu_requested;     /* request x time */
    double cpu_idle_request;  /* sum of max(0, request - used) x time */
    double cpu_throttled;     /* demand above the limit */
    double cpu_at_risk;       /* demand above the request */
    double cpu_lost;          /* demand while the container was down */
    double mem_demand;        /* working set in the trace */
    double mem_requested;
    double mem_idle_request; /* sum of max(0, request - used) x time */
    double mem_lost;         /* working set while the container was down */
    double down_seconds;     /* container time lost to OOM restarts and evictions */
    uint64_t intervals;      /* samples replayed */
    uint64_t ooms;           /* OOM kills */
    uint64_t mem_at_risk;    /* intervals with request < memory <= limit */
    uint64_t evictions;
    uint64_t restarts;    /* container restarts after OOM kills */
    uint64_t resizes;     /* in-place resizes (not disruptions) */
    uint64_t disruptions; /* evictions + restarts */
    uint64_t decisions;   /* recommender calls */
} ag_sim_metrics;

/* Adds b to a. */
void ag_sim_metrics_add(ag_sim_metrics *a, const ag_sim_metrics *b);

/* The figures reported, derived from the sums. NAN when undefined (e.g.
 * no request at all). */
typedef struct ag_sim_summary {
    double cpu_slack;           /* share of requested CPU not used */
    double mem_slack;           /* share of requested memory not used */
    double cpu_throttled_share; /* share of CPU demand above the limit */
    double cpu_at_risk_share;   /* share of CPU demand above the request */
    double ooms_per_cday;       /* per container-day */
    double mem_at_risk_per_cday;
    double disruptions_per_cday;
    double core_hours; /* requested */
    double gib_hours;  /* requested */
    double container_days;
} ag_sim_summary;

void ag_sim_summarize(const ag_sim_metrics *m, ag_sim_summary *out);

/* A chart point: usage (max over live replicas) and request/limit (of
 * the first live replica) at the end of each chart step. */
typedef struct ag_sim_point {
    int64_t t_ms;
    double usage[AG_NRES], request[AG_NRES], limit[AG_NRES];
} ag_sim_point;

/* The outcome for one workload-container. */
typedef struct ag_sim_result {
    const ag_wcontainer *wc; /* borrowed */
    ag_sim_metrics m;
    double first_request[AG_NRES], last_request[AG_NRES]; /* requests after warm-up / at end */
    ag_sim_point *chart;                                  /* owned; chart_step_ms > 0 only */
    size_t nchart;
} ag_sim_result;

/* Replays n workload-containers under recommender p. out: an array of n
 * results the caller provides (filled; free the charts with
 * ag_sim_results_clear()); total: their sum (may be NULL). Only data
 * the dataset holds is used: a workload-container whose series are shorter
 * than the warm-up contributes nothing. AG_EINVAL on bad options (detail
 * in ei), AG_ENOMEM. */
ag_err ag_sim_run(const ag_sim_opts *o, const ag_online_params *p, const ag_wcontainer *wc,
                  size_t n, ag_sim_result *out, ag_sim_metrics *total, ag_errinfo *ei);

/* Frees the charts of n results. */
void ag_sim_results_clear(ag_sim_result *r, size_t n);

/* Pareto frontier: marks in front[i] (1/0) the points not dominated by
 * another, minimising every coordinate: x[i * dim + d]. */
void ag_sim_pareto(const double *x, size_t n, size_t dim, int *front);

#ifdef __cplusplus
}
#endif
#endif
