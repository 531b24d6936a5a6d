/*
 * augur/online.h - online recommenders: fed sample by sample, asked at
 * any moment.
 *
 * The simulator (augur/sim.h) replays a trace step by step and asks a
 * recommender every few minutes; recomputing from the whole history at
 * each call would cost O(history) per call, so every recommender here
 * keeps its own running state (decaying histograms, sliding windows, a
 * forecast refitted on its own schedule) and answers in O(1)-ish time.
 * Pure like augur/recommend.h: numbers in, numbers out, no I/O. A
 * recommender only ever sees what was fed to it, so it cannot look ahead.
 *
 * Recommenders:
 *   static     the trace's own request (or a fixed size) - the baseline
 *   vpa        the Kubernetes VPA recommender, live (never forgets; decay only)
 *   krr        robusta-dev/krr simple: CPU p95 and memory max over 14 days
 *   autopilot  Rzadca et al. (EuroSys 2020): moving windows (avg, max, pj) or ML
 *   crane      gocrane/crane: p99 x 1.15 (percentile) or its DSP prediction
 *   augur      quantile forecasts over the coming horizon for a risk budget
 */
#ifndef AUGUR_ONLINE_H
#define AUGUR_ONLINE_H

#include <stddef.h>
#include <stdint.h>
#include "augur/err.h"
#include "augur/recommend.h"
#include "augur/series.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef enum ag_online_kind {
    AG_ONLINE_STATIC = 0,
    AG_ONLINE_VPA = 1,
    AG_ONLINE_KRR = 2,
    AG_ONLINE_AUTOPILOT = 3,
    AG_ONLINE_CRANE = 4,
    AG_ONLINE_AUGUR = 5,
} ag_online_kind;
#define AG_ONLINE_NKINDS 6

/* "static", "vpa", "krr", "autopilot", "crane", "augur". */
const char *ag_online_kind_name(ag_online_kind k);
/* Parses a kind name. AG_EINVAL when unknown. */
ag_err ag_online_kind_parse(const char *s, ag_online_kind *out);

/* Autopilot's recommenders (section 3.2 of the paper). */
typedef enum ag_autopilot_variant {
    AG_AP_ML = 0,  /* ensemble of models minimising overrun + underrun + change cost */
    AG_AP_AVG = 1, /* decayed average */
    AG_AP_MAX = 2, /* max over the last N windows */
    AG_AP_PCT = 3, /* j-th percentile of the decayed histogram */
} ag_autopilot_variant;

typedef struct ag_autopilot_params {
    ag_autopilot_variant variant; /* ML */
    int64_t window_ms;            /* 5 min: the aggregation window */
    int64_t cpu_half_life_ms;     /* 12 h */
    int64_t mem_half_life_ms;     /* 48 h */
    double cpu_percentile;        /* 0.95 (S_pj for CPU) */
    double mem_percentile;        /* 0.98 (S_pj for memory) */
    int max_windows;              /* N = 12 (S_max; also the memory source of ML) */
    double margin;                /* 0.10 safety margin on the moving windows */
    /* ML: models d_m in {0.1 .. 1.0} (10) x margins {0, margin_ml}; weights */
    double w_o, w_u, w_dl, w_dm, d; /* 0.5, 0.25, 0.1, 0.1, 0.75 */
    double margin_ml;               /* 0.10 */
} ag_autopilot_params;

typedef enum ag_crane_variant {
    AG_CRANE_PERCENTILE = 0, /* p99 of a decaying histogram x (1 + margin) */
    AG_CRANE_DSP = 1,        /* FFT prediction of the next period, max over the window */
} ag_crane_variant;

typedef struct ag_crane_params {
    ag_crane_variant variant; /* PERCENTILE */
    double percentile;        /* 0.99 */
    double margin;            /* 0.15 */
    int64_t half_life_ms;     /* 0: a plain histogram, as Crane's predictor */
    int64_t history_ms;       /* 168 h (percentile) */
    int64_t dsp_history_ms;   /* 15 d (DSP; needs >= 2 d) */
    int64_t dsp_window_ms;    /* 1 h: predictionWindowSeconds */
    int64_t dsp_refit_ms;     /* 24 h: how often the DSP model is refitted */
    double oom_bump_ratio;    /* 1.2 */
} ag_crane_params;

typedef enum ag_augur_policy {
    AG_POLICY_STABLE = 0,      /* headroom, few changes */
    AG_POLICY_COST_SAVING = 1, /* tight, more changes */
} ag_augur_policy;

/* "stable" / "cost-saving". */
const char *ag_augur_policy_name(ag_augur_policy p);
ag_err ag_augur_policy_parse(const char *s, ag_augur_policy *out);

typedef struct ag_augur_params {
    ag_augur_policy policy;
    /* The risk budget. CPU: the share of an hour's samples allowed above
     * the request (the hourly level forecast is that within-hour
     * quantile); memory: the probability that an hour's peak exceeds the
     * request, and the limit. */
    double cpu_risk;
    double cpu_fc_quantile; /* forecast quantile of the hourly CPU level (headroom for
                               forecast error) */
    double mem_risk, mem_limit_risk;
    double margin;              /* multiplies the request */
    double limit_margin;        /* multiplies the memory limit */
    double cpu_limit_ratio;     /* CPU limit = request x this; 0 = no CPU limit */
    int64_t fc_step_ms;         /* 1 h: the forecast grid */
    int64_t fc_history_ms;      /* 7 d fed to each fit */
    int64_t min_history_ms;     /* 72 h: less than this, a reactive fallback: */
    int64_t fallback_ms;        /* ... the highest level of the last fallback_ms */
    int64_t refit_ms;           /* between fits */
    int64_t lookahead_ms;       /* the request covers the forecast over [now, now + this] */
    double lookahead_q;         /* CPU: ... this quantile of its hours (1 = the highest) */
    int64_t limit_lookahead_ms; /* the memory limit covers [now, now + this] */
    double hysteresis;          /* a decrease smaller than this share is not taken */
    double band;                /* bounds for the updater: target x (1 -+ band) */
    int64_t hold_ms;            /* a decrease waits until the higher target is this old */
    double oom_bump_ratio;      /* memory after an OOM: >= the peak at the kill x this ... */
    int64_t oom_hold_ms;        /* ... for this long */
    double min_cpu_cores, min_mem_bytes; /* floors */
    const char *model;                   /* forecast model: NULL = "auto" */
} ag_augur_params;

/* Fills a with the documented numbers of a policy (docs/recommenders.md). */
void ag_augur_params_policy(ag_augur_params *a, ag_augur_policy policy);

typedef struct ag_online_params {
    ag_online_kind kind;
    ag_rec_params rec;           /* vpa and krr parameters (augur/recommend.h) */
    double static_size[AG_NRES]; /* static: fixed request; NAN = the trace's own */
    double static_scale;         /* static: multiplies the request (1) */
    ag_autopilot_params autopilot;
    ag_crane_params crane;
    ag_augur_params augur;
} ag_online_params;

/* Fills p with every default for kind. */
void ag_online_params_default(ag_online_params *p, ag_online_kind kind);

/* The main knob of each recommender, for sweeps (the Pareto frontier):
 * static: scale of the request; vpa: target percentile (CPU and memory);
 * krr: CPU percentile (memory buffer follows); autopilot: margin; crane:
 * percentile; augur: risk budget (cpu_risk; memory follows). Sets it to
 * x; AG_EINVAL when x is out of the knob's range. */
ag_err ag_online_knob_set(ag_online_params *p, double x);
/* The knob's name and its value in p (for reports). */
const char *ag_online_knob_name(ag_online_kind k);
double ag_online_knob_get(const ag_online_params *p);
/* A static list of n knob values for a sweep of kind; *n set. */
const double *ag_online_knob_sweep(ag_online_kind k, size_t *n);

/* Sets a parameter by name ("autopilot-variant", "crane-variant",
 * "augur-cpu-risk", ... see ag_online_param_names()); falls back to
 * ag_rec_params_set() for the vpa and krr names. AG_EINVAL with detail in
 * ei on an unknown name or a bad value. */
ag_err ag_online_params_set(ag_online_params *p, const char *name, const char *value,
                            ag_errinfo *ei);
/* {name0, help0, name1, help1, ..., NULL}, static. */
const char *const *ag_online_param_names(void);

/* What a recommender knows of the workload-container at creation. */
typedef struct ag_online_spec {
    double request[AG_NRES]; /* the trace's own request, NAN unknown */
    double limit[AG_NRES];   /* the trace's own limit, NAN unknown */
    int replicas;            /* number of replicas (>= 1) */
    int64_t step_ms;         /* the trace's sample interval */
} ag_online_spec;

typedef struct ag_online ag_online;

/* A recommender for one workload-container. Caller owns *out; free with
 * ag_online_free(). AG_EINVAL on bad parameters, AG_ENOMEM. */
ag_err ag_online_new(const ag_online_params *p, const ag_online_spec *spec, ag_online **out);
void ag_online_free(ag_online *r);

/* Makes room for replicas 0 .. replicas-1 (a daemon sees pods come and
 * go; the simulator knows them all at creation). Fewer than now is a
 * no-op. AG_ENOMEM leaves r as it was. */
ag_err ag_online_grow(ag_online *r, int replicas);

/* The request and limit now in force (the workload was resized since
 * ag_online_new()): limits that keep the workload's limit:request ratio
 * follow the new one. NAN = unknown. */
void ag_online_set_current(ag_online *r, const double request[AG_NRES],
                           const double limit[AG_NRES]);

/* Feeds one usage sample of one replica (samples of a replica in time
 * order; replicas interleaved in time order). v: cores or bytes, as seen
 * by cAdvisor: CPU above the limit was throttled and is not seen. */
void ag_online_observe(ag_online *r, int replica, ag_resource res, int64_t t_ms, double v);
/* An OOM kill of one replica at t_ms with this memory request in force. */
void ag_online_oom(ag_online *r, int replica, int64_t t_ms, double mem_request);

/* The recommendation at now_ms (no sample after now_ms has been fed).
 * cur: the request and limit in force now (per resource, NAN unknown),
 * for hysteresis and limits. out->status says when there is too little
 * data. limit NAN = no limit recommended. */
ag_err ag_online_recommend(ag_online *r, int64_t now_ms, const double cur_request[AG_NRES],
                           ag_rec *out);

#ifdef __cplusplus
}
#endif
#endif
