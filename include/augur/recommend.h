/*
 * augur/recommend.h - right-sizing recommenders.
 *
 * Pure: numbers in, numbers out. A recommender takes one
 * workload-container (the samples of all its pods) and the time "now"
 * (the end of the data window) and returns a target, lower and upper
 * bound for CPU (cores) and memory (bytes), plus a recommended limit.
 * No I/O, no store, no Kubernetes: the CLI, the simulator and the daemon
 * all call the same functions.
 */
#ifndef AUGUR_RECOMMEND_H
#define AUGUR_RECOMMEND_H

#include <stdint.h>
#include "augur/err.h"
#include "augur/series.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef enum ag_algorithm { AG_ALGO_VPA = 0, AG_ALGO_KRR = 1 } ag_algorithm;

/* "vpa" / "krr". */
const char *ag_algorithm_name(ag_algorithm a);
/* Parses "vpa" / "krr". AG_EINVAL when unknown. */
ag_err ag_algorithm_parse(const char *s, ag_algorithm *out);

/* Kubernetes VPA recommender parameters; defaults are the VPA's own
 * (kubernetes/autoscaler vertical-pod-autoscaler/pkg/recommender). */
typedef struct ag_vpa_params {
    double target_cpu_percentile;    /* 0.90 */
    double lower_cpu_percentile;     /* 0.50 */
    double upper_cpu_percentile;     /* 0.95 */
    double target_memory_percentile; /* 0.90 */
    double lower_memory_percentile;  /* 0.50 */
    double upper_memory_percentile;  /* 0.95 */
    double safety_margin;            /* 0.15 */
    int64_t cpu_half_life_ms;        /* 24h */
    int64_t memory_half_life_ms;     /* 24h */
    int64_t memory_aggregation_interval_ms; /* 24h */
    int memory_aggregation_interval_count;  /* 8 */
    int64_t confidence_interval_ms;  /* 24h (ConfidenceIntervalCPU/Memory) */
    double pod_min_cpu_cores;        /* 0.025 (PodMinCPUMillicores 25), split over containers */
    double pod_min_memory_bytes;     /* 250 MiB (PodMinMemoryMb 250 * 1024 * 1024) */
    double oom_bump_ratio;           /* 1.2 */
    double oom_min_bump_bytes;       /* 100 MiB */
    int64_t cpu_sample_interval_ms;  /* 60 s: one CPU sample per minute */
    int containers_per_pod;          /* for the per-pod minimum split; 0 = from data */
} ag_vpa_params;

/* robusta-dev/krr "simple" strategy parameters. */
typedef struct ag_krr_params {
    double cpu_percentile;         /* 0.95 */
    double memory_buffer_fraction; /* 0.15 */
    int points_required;           /* 100 */
    double cpu_min_cores;          /* 0.010 */
    double memory_min_bytes;       /* 100 MiB (100 * 1024 * 1024) */
    int use_oomkill_data;          /* 0 */
    double oom_memory_buffer_fraction; /* 0.25 */
} ag_krr_params;

typedef struct ag_rec_params {
    ag_algorithm algorithm;
    int64_t history_ms; /* 0 = the algorithm's own (8d vpa, 14d krr) */
    ag_vpa_params vpa;
    ag_krr_params krr;
} ag_rec_params;

/* Fills p with every default. */
void ag_rec_params_default(ag_rec_params *p);
/* The history length an algorithm uses by default (8d vpa, 14d krr). */
int64_t ag_algorithm_default_history_ms(ag_algorithm a);

/* One resource's recommendation. NAN means "no value" (e.g. no CPU limit,
 * or not enough data: see ag_rec.status). */
typedef struct ag_rec_res {
    double target, lower, upper, uncapped; /* recommended request and bounds */
    double limit;                          /* recommended limit; NAN = none */
} ag_rec_res;

typedef enum ag_rec_status {
    AG_REC_OK = 0,
    AG_REC_NO_DATA = 1,     /* no samples in the window */
    AG_REC_NOT_ENOUGH = 2,  /* fewer samples than the algorithm requires */
} ag_rec_status;

typedef struct ag_rec {
    ag_rec_res res[AG_NRES];
    ag_rec_status status[AG_NRES];
    double confidence_days;   /* vpa: the confidence used for the bounds; NAN otherwise */
    uint64_t samples[AG_NRES]; /* samples that fed each resource */
    uint32_t ooms;            /* OOM events taken into account */
} ag_rec;

/* Computes the recommendation for one workload-container with the
 * samples of its members up to now_ms (later samples are ignored).
 * Pure: reads wc, writes *out. Returns AG_OK even when a resource has too
 * little data (see out->status); errors only on bad parameters. */
ag_err ag_recommend(const ag_rec_params *p, const ag_wcontainer *wc, int64_t now_ms, ag_rec *out);

ag_err ag_recommend_vpa(const ag_vpa_params *p, const ag_wcontainer *wc, int64_t now_ms,
                        ag_rec *out);
ag_err ag_recommend_krr(const ag_krr_params *p, const ag_wcontainer *wc, int64_t now_ms,
                        ag_rec *out);

/* Sets a parameter by its flag / config-file name ("target-cpu-percentile",
 * "safety-margin", "cpu-half-life", "krr-cpu-percentile", ...; the full
 * list is ag_rec_param_names()). Values: numbers, percentages ("90%") and
 * durations ("24h") as fits the parameter. AG_EINVAL with detail in ei on
 * an unknown name or a bad value. */
ag_err ag_rec_params_set(ag_rec_params *p, const char *name, const char *value, ag_errinfo *ei);

/* NULL-terminated static list of names accepted by ag_rec_params_set(),
 * each followed by its description in the same array:
 * {name0, help0, name1, help1, ..., NULL}. */
const char *const *ag_rec_param_names(void);

/* Writes the parameters as a compact JSON object (for the store's run
 * record) into buf (NUL-terminated, truncated to len). Returns buf. */
char *ag_rec_params_json(const ag_rec_params *p, char *buf, size_t len);

#ifdef __cplusplus
}
#endif
#endif
