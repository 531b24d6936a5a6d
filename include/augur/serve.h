/*
 * augur/serve.h - what the daemon (`augur serve`) publishes, and how its
 * parts see it.
 *
 * The loop (lib/serve) computes, every interval, an immutable **view**:
 * the recommendations and forecasts of every workload-container, already
 * rendered where a consumer needs bytes (the JSON of `augur recommend -o
 * json`), plus the daemon's own health. It swaps the new view in with
 * ag_serve_publish(); readers (the HTTP API, /metrics, the web page, the
 * Kubernetes writer) take a reference with ag_serve_acquire() and give it
 * back with ag_serve_release(), so a slow reader never blocks the loop and
 * never sees half a view. Thread-safe.
 */
#ifndef AUGUR_SERVE_H
#define AUGUR_SERVE_H

#include <stddef.h>
#include <stdint.h>
#include "augur/err.h"
#include "augur/recommend.h"
#include "augur/series.h"

#ifdef __cplusplus
extern "C" {
#endif

#define AG_VIEW_NAME 254 /* DNS-1123 subdomain names are at most 253 */

/* One workload-container's recommendation. */
typedef struct ag_view_rec {
    char ns[AG_VIEW_NAME], kind[64], name[AG_VIEW_NAME], container[AG_VIEW_NAME];
    int pods;
    double request[AG_NRES], limit[AG_NRES]; /* current, NAN unknown */
    ag_rec rec;                              /* target/lower/upper/uncapped/limit, status */
    const char *algorithm;                   /* static string: "vpa", "krr", "augur" */
    const char *policy; /* static "stable" / "cost-saving" under an AugurPolicy, else NULL */
    char reason[160];   /* why, in a few words ("vpa: p90 of the decaying histogram") */
    int64_t changed_ms; /* when the target last changed (first computed) */
} ag_view_rec;

#define AG_VIEW_MAXQ 8

/* What a forecast's series is: the hottest pod's hourly mean CPU or peak
 * memory (what a request must cover), or the workload's total, all pods
 * summed (what KEDA and the HPA scale on; CPU only). */
#define AG_FC_SCOPE_POD 0
#define AG_FC_SCOPE_WORKLOAD 1

/* One forecast of one resource of a workload-container. */
typedef struct ag_view_fc {
    char ns[AG_VIEW_NAME], kind[64], name[AG_VIEW_NAME], container[AG_VIEW_NAME];
    int resource;           /* AG_CPU (cores) or AG_MEMORY (bytes) */
    int scope;              /* AG_FC_SCOPE_POD or AG_FC_SCOPE_WORKLOAD */
    int64_t t0_ms, step_ms; /* time of the first step, spacing */
    size_t horizon, nq;
    double quantiles[AG_VIEW_MAXQ];
    double *q;       /* [nq * horizon], q[k * horizon + h]; owned by the view */
    double *history; /* [nhist] recent usage at step_ms before t0 (for charts); owned */
    size_t nhist;
    char model[32];
} ag_view_fc;

/* What the Kubernetes side did since start (0 without --kubernetes);
 * the caller of the loop keeps it with ag_serve_set_kube(). */
typedef struct ag_kube_health {
    int on;                 /* --kubernetes given */
    uint64_t vpa_writes;    /* VPA statuses patched */
    uint64_t policy_writes; /* AugurPolicy statuses patched */
    uint64_t vpa_errors, policy_errors, resolve_errors, actuator_errors;
    uint32_t policies;          /* AugurPolicies seen at the last good read */
    uint32_t policies_invalid;  /* of those, skipped */
    uint32_t selected;          /* workloads they select */
    uint64_t pods_resized;      /* by the actuator, in place */
    uint64_t templates_patched; /* by the actuator */
    uint64_t blocked_pdb, blocked_share, blocked_rollout; /* actuator decisions held back */
} ag_kube_health;

/* The daemon's own health, as /metrics and /readyz report it. */
typedef struct ag_health {
    int64_t started_ms;
    int64_t last_success_ms; /* end of the last loop that published; 0 = never */
    int64_t last_attempt_ms;
    double last_loop_seconds; /* wall time of the last loop */
    uint64_t loops, loop_failures;
    uint64_t fetch_errors;     /* Prometheus fetches that failed */
    uint64_t series_tracked;   /* workload-containers tracked */
    uint64_t samples_ingested; /* since start */
    int ready;                 /* a view has been published (see ag_health_ready()) */
    int64_t stale_ms;          /* not ready once the last success is older; 0 = never stale */
    char last_error[256];      /* "" when the last loop succeeded */
    ag_kube_health kube;       /* filled by ag_serve_health() from ag_serve_set_kube() */
} ag_health;

/* An immutable snapshot. Everything in it is owned by the view. */
typedef struct ag_view {
    int64_t computed_ms;   /* when the loop built it */
    int64_t data_end_ms;   /* end of the data window it used */
    const char *algorithm; /* "vpa", "krr" */
    ag_view_rec *recs;
    size_t nrecs;
    ag_view_fc *fcs;
    size_t nfcs;
    struct ag__fcs_shared *fcs_shared; /* internal: when set, fcs belong to it (shared by the
                                          views built between two refits) */
    char *recs_json;                   /* `augur recommend -o json` of all recs (NUL-terminated) */
    size_t recs_json_len;
    ag_health health; /* as of computed_ms */
} ag_view;

/* ---- what AugurPolicy objects say of workloads (lib/k8s/policy.c) ---- */

/* How augur may apply a recommendation itself (AugurPolicy spec.updateMode,
 * the VPA's update modes). Named ag_act_mode because ag_update_mode is the
 * simulator's (augur/sim.h), whose names are the CLI's ("in-place"). */
typedef enum ag_act_mode {
    AG_ACT_OFF = 0,      /* never */
    AG_ACT_INITIAL = 1,  /* only pods created from now on (no rollout) */
    AG_ACT_RECREATE = 2, /* patch the pod template: the workload rolls out */
    AG_ACT_INPLACE = 3,  /* InPlaceOrRecreate: resize running pods in place */
} ag_act_mode;

/* "Off", "Initial", "Recreate", "InPlaceOrRecreate" (the CRD's names);
 * parse: AG_EINVAL when unknown. */
const char *ag_act_mode_name(ag_act_mode m);
ag_err ag_act_mode_parse(const char *s, ag_act_mode *out);

/* One workload selected by an AugurPolicy, with what the policy sets. */
typedef struct ag_wpolicy {
    char ns[AG_VIEW_NAME], kind[64], name[AG_VIEW_NAME];     /* the workload */
    char policy_ns[AG_VIEW_NAME], policy_name[AG_VIEW_NAME]; /* the AugurPolicy */
    int64_t generation;           /* the AugurPolicy's metadata.generation */
    int policy;                   /* ag_augur_policy (augur/online.h) */
    double cpu_risk, mem_risk;    /* riskBudget; NAN = the policy's own */
    double min_allowed[AG_NRES];  /* bounds.minAllowed; NAN = none */
    double max_allowed[AG_NRES];  /* bounds.maxAllowed; NAN = none */
    int64_t horizon_ms;           /* spec.horizon; 0 = the daemon's */
    int act;                      /* spec.act */
    ag_act_mode mode;             /* spec.updateMode */
    double max_unavailable_share; /* spec.maxUnavailableShare (0.25) */
} ag_wpolicy;

/* Sorts v[0..n) by (ns, kind, name), as ag_wpolicy_find() needs. */
void ag_wpolicy_sort(ag_wpolicy *v, size_t n);
/* The policy of a workload in v (sorted), or NULL when none selects it. */
const ag_wpolicy *ag_wpolicy_find(const ag_wpolicy *v, size_t n, const char *ns, const char *kind,
                                  const char *name);

/* ---- the loop's runs, for /api/v1/runs ---- */

/* One loop of the daemon, as /api/v1/runs lists it (ag_run in augur/store.h
 * is a stored recommendation run, another thing). */
typedef struct ag_loop_run {
    uint64_t id; /* 1, 2, ... since start */
    int64_t started_ms, ended_ms;
    int ok;           /* published a view */
    size_t workloads; /* workload-containers recommended (0 on failure) */
    size_t forecasts; /* forecasts in the view */
    uint64_t samples; /* samples fetched by this loop */
    int refit;        /* the forecasts were refitted in this loop */
    char error[256];  /* "" when ok */
} ag_loop_run;

/* Frees a view and everything it owns. NULL is a no-op. (Only the
 * publisher calls this; readers use ag_serve_release().) */
void ag_view_free(ag_view *v);

/* Whether the daemon is ready at now_ms: a view was published and the
 * last successful loop is at most stale_ms old (a fetch that hangs makes
 * it not ready before it fails). */
int ag_health_ready(const ag_health *h, int64_t now_ms);

/* The shared slot between the loop and its readers. */
typedef struct ag_serve ag_serve;

/* Returns a new slot holding no view, or NULL when out of memory. */
ag_serve *ag_serve_new(void);
/* Frees the slot and the view it holds. Readers must be gone. */
void ag_serve_free(ag_serve *s);

/* Publishes v (ownership passes to the slot). The previous view is freed
 * once its last reader releases it. */
void ag_serve_publish(ag_serve *s, ag_view *v);
/* The current view with a reference taken, or NULL when none was
 * published yet. Borrowed until ag_serve_release(). */
const ag_view *ag_serve_acquire(ag_serve *s);
void ag_serve_release(ag_serve *s, const ag_view *v);

/* The live health (updated by the loop between views, e.g. a failed fetch
 * while the last good view stays published). Copies it into *out. */
void ag_serve_health(ag_serve *s, ag_health *out);
/* Replaces the live health (the loop's call); its kube part is ignored. */
void ag_serve_set_health(ag_serve *s, const ag_health *h);
/* Replaces the Kubernetes side's counters (the caller of the loop). */
void ag_serve_set_kube(ag_serve *s, const ag_kube_health *k);

/* Records a run (copied) into the slot's ring of the last AG_SERVE_RUNS
 * runs (the loop's call). */
#define AG_SERVE_RUNS 256
void ag_serve_record_run(ag_serve *s, const ag_loop_run *r);
/* Copies up to max of the recorded runs, newest first, into out; returns
 * how many. */
size_t ag_serve_runs(ag_serve *s, ag_loop_run *out, size_t max);

#ifdef __cplusplus
}
#endif
#endif
