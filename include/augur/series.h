/*
 * augur/series.h - the data model: usage history of containers.
 *
 * An ag_dataset holds one ag_container per (namespace, pod, container),
 * each with a CPU usage series (cores) and a memory working-set series
 * (bytes), the current requests and limits when known, OOM events, and
 * the owning workload (kind + name). Readers (augur/source.h) and the store
 * append raw samples; ag_dataset_finish() then cleans them (sort, dedupe,
 * drop NaN/Inf/negative, turn CPU counters into rates, resolve owners) and
 * counts every fix in an ag_ingest_stats. ag_dataset_group() then gives
 * workload-containers: the pods of one workload aggregated, as the VPA
 * aggregates them.
 */
#ifndef AUGUR_SERIES_H
#define AUGUR_SERIES_H

#include <stdint.h>
#include <stddef.h>
#include <stdio.h>
#include "augur/err.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef enum ag_resource { AG_CPU = 0, AG_MEMORY = 1 } ag_resource;
#define AG_NRES 2

/* "cpu" / "memory". */
const char *ag_resource_name(ag_resource r);

typedef struct ag_sample {
    int64_t t_ms; /* milliseconds since the epoch */
    double v;     /* cores (CPU), bytes (memory), counter value (raw CPU) */
} ag_sample;

/* A growable array of samples. Owned by whoever holds it. */
typedef struct ag_samples {
    ag_sample *v;
    size_t n, cap;
} ag_samples;

/* Appends one sample. Returns AG_ENOMEM on failure (s unchanged). */
ag_err ag_samples_push(ag_samples *s, int64_t t_ms, double v);
/* Frees the samples' memory and zeroes s. */
void ag_samples_clear(ag_samples *s);

/* Counters of everything cleaned or rejected on the way in; printed as
 * the import summary line. */
typedef struct ag_ingest_stats {
    uint64_t lines;          /* input lines / points read */
    uint64_t samples;        /* samples kept after cleaning */
    uint64_t containers;     /* pod-containers seen */
    uint64_t malformed;      /* malformed lines skipped (errors reported) */
    uint64_t unknown_metric; /* samples of metrics augur does not use */
    uint64_t nonfinite;      /* NaN / +-Inf values dropped */
    uint64_t negative;       /* negative values dropped */
    uint64_t duplicates;     /* samples with a repeated timestamp dropped */
    uint64_t unsorted;       /* samples that arrived out of time order */
    uint64_t counter_resets; /* CPU counter resets (restart) handled */
    uint64_t gaps;           /* gaps longer than 3 x the series' interval */
    uint64_t unit_fixes;     /* values rescaled from a wrong unit */
    uint64_t outside_window; /* samples outside the requested window */
} ag_ingest_stats;

/* Adds every counter of b to a. */
void ag_ingest_stats_add(ag_ingest_stats *a, const ag_ingest_stats *b);
/* Writes the one-line summary ("read 123 lines: 120 samples kept, 2
 * duplicates dropped, ...") to f, naming only non-zero counters. */
void ag_ingest_stats_print(const ag_ingest_stats *st, FILE *f);

/* One container of one pod. Strings are owned by the dataset. */
typedef struct ag_container {
    const char *ns, *pod, *container;
    const char *owner_kind, *owner_name; /* the workload; set by finish() */
    ag_samples usage[AG_NRES]; /* CPU cores (rate), memory bytes */
    ag_samples cpu_counter;    /* raw container_cpu_usage_seconds_total; turned
                                  into usage[AG_CPU] by ag_dataset_finish() */
    ag_samples oom;            /* OOM kill events: t_ms, v = memory at kill (0 if unknown) */
    double request[AG_NRES];   /* current request, NAN when unknown */
    double limit[AG_NRES];     /* current limit, NAN when unknown */
    int64_t spec_t_ms[AG_NRES]; /* time of the request/limit values, for "newest wins" */
} ag_container;

typedef struct ag_dataset ag_dataset;

/* Returns a new empty dataset, or NULL when out of memory.
 * Caller owns it; free with ag_dataset_free(). */
ag_dataset *ag_dataset_new(void);
/* Frees ds and everything in it. No-op when ds is NULL. */
void ag_dataset_free(ag_dataset *ds);

/* Returns the container (ns, pod, container), creating it when absent;
 * strings are copied. NULL when out of memory. Borrowed from ds: valid
 * until ag_dataset_free(). */
ag_container *ag_dataset_container(ag_dataset *ds, const char *ns, const char *pod,
                                   const char *container);

/* Records that pod ns/pod is owned by workload kind/name (from
 * kube-state-metrics kube_pod_owner). A ReplicaSet owner is resolved to its
 * Deployment by name pattern in finish(); a Job owned by a CronJob likewise. */
ag_err ag_dataset_set_owner(ag_dataset *ds, const char *ns, const char *pod, const char *kind,
                            const char *name);

/* Records a pod label (from kube-state-metrics kube_pod_labels, label
 * "label_app" stored as key "app"), used by --selector. Strings copied. */
ag_err ag_dataset_set_pod_label(ag_dataset *ds, const char *ns, const char *pod, const char *key,
                                const char *value);

/* Looks up the owner recorded with ag_dataset_set_owner(). Returns 1 and
 * stores borrowed strings when known, 0 otherwise. */
int ag_dataset_get_owner(const ag_dataset *ds, const char *ns, const char *pod, const char **kind,
                         const char **name);

size_t ag_dataset_count(const ag_dataset *ds);
/* Borrowed; i < ag_dataset_count(). Order is insertion order until
 * ag_dataset_finish(), then sorted by (ns, owner, container, pod). */
ag_container *ag_dataset_at(const ag_dataset *ds, size_t i);

/* Cleans every series: sorts by time, drops duplicates (keeping the last
 * value seen), NaN/Inf and negative values, converts CPU counters to rates
 * (counter resets handled: the post-reset value is the increase), resolves
 * owners (kube_pod_owner, else the pod name pattern), keeps only samples
 * in [start_ms, end_ms] (pass INT64_MIN / INT64_MAX for no bound), drops
 * containers left with no samples. Adds what it did to *st (may be NULL).
 * Idempotent. */
ag_err ag_dataset_finish(ag_dataset *ds, int64_t start_ms, int64_t end_ms, ag_ingest_stats *st);

/* Infers the owning workload from a pod name, as the VPA would see it:
 * "web-0" -> StatefulSet "web"; "api-5d8f7c9b4-x2x7q" -> Deployment "api";
 * "nightly-28930080-x2x7q" -> CronJob "nightly"; "agent-x2x7q" ->
 * DaemonSet "agent" (a plain Job's pods look the same and are reported as
 * DaemonSet too); otherwise kind "Pod" and the pod's own name.
 * Writes the kind (static string) to *kind and the name into name_buf.
 * Pattern rules in docs/data-model.md. */
void ag_infer_owner(const char *pod, const char **kind, char *name_buf, size_t len);

/* A workload-container: the containers with the same name in the pods of
 * one workload. members are borrowed from the dataset. */
typedef struct ag_wcontainer {
    const char *ns, *kind, *name, *container;
    size_t n;
    ag_container **members;
    double request[AG_NRES]; /* current request (newest member's), NAN unknown */
    double limit[AG_NRES];
} ag_wcontainer;

/* Which containers to keep. ns: one namespace or NULL for all.
 * selector: Kubernetes equality selector "k=v,k2!=v2" over the pod's labels
 * (kube_pod_labels), NULL for all; the keys "namespace", "pod",
 * "container", "workload" and "kind" match the container's own fields. */
typedef struct ag_filter {
    const char *ns;
    const char *selector;
} ag_filter;

/* Checks a selector's syntax. AG_EINVAL with detail in ei when malformed. */
ag_err ag_selector_validate(const char *selector, ag_errinfo *ei);

/* Groups a finished dataset into workload-containers, sorted by (ns,
 * kind, name, container). Only containers matching filter (NULL = all)
 * are kept. Stores an array in *out and its length in *n. Caller owns the
 * array; free with ag_wcontainers_free(). Members stay owned by ds. */
ag_err ag_dataset_group(const ag_dataset *ds, const ag_filter *filter, ag_wcontainer **out,
                        size_t *n);
void ag_wcontainers_free(ag_wcontainer *wc, size_t n);

#ifdef __cplusplus
}
#endif
#endif
