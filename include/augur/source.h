/*
 * augur/source.h - readers that bring usage history into an ag_dataset.
 *
 * Three sources: the Prometheus / OpenMetrics text exposition (with
 * timestamps), a long CSV, and the HTTP API of a live Prometheus (or
 * VictoriaMetrics, Thanos, Mimir). Readers append raw samples; the caller
 * runs ag_dataset_finish() afterwards. A malformed line is reported as
 * "file:line: what" through the warn callback and skipped; the rest of the
 * input is kept.
 */
#ifndef AUGUR_SOURCE_H
#define AUGUR_SOURCE_H

#include <stdint.h>
#include <stddef.h>
#include "augur/err.h"
#include "augur/series.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Called for every recoverable problem (malformed line, Prometheus
 * warning). msg is borrowed for the call only. */
typedef void (*ag_warn_fn)(void *ud, const char *msg);

typedef struct ag_read_opts {
    ag_warn_fn warn; /* NULL: warnings go to stderr */
    void *warn_ud;
    size_t max_warnings;  /* stop reporting (still counting) after this many; 0 = 20 */
    size_t max_line;      /* longest accepted line in bytes; 0 = 1 MiB */
    void (*progress)(void *ud, uint64_t bytes_done, uint64_t bytes_total); /* may be NULL */
    void *progress_ud;
} ag_read_opts;

/*
 * OpenMetrics / Prometheus text exposition. Understood metrics:
 *   container_cpu_usage_seconds_total{namespace,pod,container}   counter
 *   container_memory_working_set_bytes{namespace,pod,container}  gauge
 *   container_oom_events_total{namespace,pod,container}          counter
 *   kube_pod_owner{namespace,pod,owner_kind,owner_name}
 *   kube_pod_labels{namespace,pod,label_*}
 *   kube_pod_container_resource_requests{namespace,pod,container,resource,unit}
 *   kube_pod_container_resource_limits{...}
 * Series with container="" or container="POD" (the pause container and
 * pod-level cgroups) are ignored. Timestamps: OpenMetrics seconds (with a
 * "# EOF" trailer) or Prometheus text milliseconds (integer, > 1e11).
 * name is used in messages ("file:line"). The buffer need not be
 * NUL-terminated.
 */
ag_err ag_om_parse(ag_dataset *ds, const char *name, const char *buf, size_t len,
                   const ag_read_opts *opts, ag_ingest_stats *st, ag_errinfo *ei);

/* The long CSV: header
 *   timestamp,namespace,pod,container,cpu_cores,memory_bytes
 *   [,cpu_request_cores,memory_request_bytes,cpu_limit_cores,memory_limit_bytes]
 * columns in any order, matched by name; timestamp in Unix seconds or RFC
 * 3339; empty cells mean unknown. */
ag_err ag_csv_parse(ag_dataset *ds, const char *name, const char *buf, size_t len,
                    const ag_read_opts *opts, ag_ingest_stats *st, ag_errinfo *ei);

/* Reads a file by its extension: .om .prom .txt -> OpenMetrics, .csv ->
 * CSV; a trailing .gz is decompressed first. "-" reads stdin as
 * OpenMetrics. */
ag_err ag_source_read_file(ag_dataset *ds, const char *path, const ag_read_opts *opts,
                           ag_ingest_stats *st, ag_errinfo *ei);

/* A live Prometheus-compatible HTTP API. */
typedef struct ag_prom_opts {
    const char *url;          /* base URL, e.g. http://127.0.0.1:9090 (a path prefix is kept) */
    const char *bearer_token; /* or NULL */
    const char *bearer_token_file; /* read at connect; or NULL */
    const char *username, *password; /* basic auth, or NULL */
    const char *ca_file;      /* custom CA bundle, or NULL */
    int insecure;             /* skip TLS verification */
    int64_t timeout_ms;       /* per request; 0 = 120 s */
    int64_t step_ms;          /* query step; 0 = detect from the scrape interval */
    size_t max_points;        /* points per series per query; 0 = 11000 */
    size_t max_response;      /* bytes per response; 0 = 2 GiB */
    const char *ns;           /* only this namespace, or NULL */
    const char *extra_matchers; /* extra PromQL matchers, e.g. cluster="a", or NULL */
    int verbose;              /* print each query to stderr */
} ag_prom_opts;

/* Fetches [start_ms, end_ms] of CPU (irate or rate, see docs/prometheus.md),
 * memory working set, OOM events, owners, labels, requests and limits,
 * one query per namespace and range chunk. Errors (HTTP 4xx/5xx, API
 * "status":"error", timeouts, TLS) return non-zero with detail in ei;
 * API warnings go to opts->warn. The step used is stored in *step_used_ms
 * (may be NULL). */
ag_err ag_prom_fetch(ag_dataset *ds, const ag_prom_opts *po, int64_t start_ms, int64_t end_ms,
                     const ag_read_opts *opts, ag_ingest_stats *st, int64_t *step_used_ms,
                     ag_errinfo *ei);

/* Streaming parser of a Prometheus API JSON response (query_range matrix
 * or query vector) into ds. kind says which metric the result holds.
 * Exposed for the fuzzer and the tests. */
typedef enum ag_prom_kind {
    AG_PROM_CPU_RATE = 0,  /* values are CPU cores */
    AG_PROM_MEMORY = 1,    /* values are bytes */
    AG_PROM_OOM_COUNTER = 2,
    AG_PROM_OWNER = 3,     /* kube_pod_owner */
    AG_PROM_REQUESTS = 4,  /* kube_pod_container_resource_requests */
    AG_PROM_LIMITS = 5,
    AG_PROM_LABELS = 6,    /* kube_pod_labels */
    AG_PROM_SCALAR = 7,    /* a single number, stored in *scalar_out */
} ag_prom_kind;

ag_err ag_prom_parse_response(ag_dataset *ds, ag_prom_kind kind, const char *buf, size_t len,
                              const ag_read_opts *opts, ag_ingest_stats *st, double *scalar_out,
                              ag_errinfo *ei);

/*
 * Public cluster traces (docs/input-formats.md, "Public cluster traces"):
 * per-VM, per-machine and per-task usage published by Bitbrains, Azure,
 * PlanetLab, Alibaba and Google, read into the same data model so the
 * simulator can replay them. CPU becomes cores (a rate), memory bytes;
 * percentages and normalised units are scaled by a stated capacity.
 * Every pod gets an explicit owner (ag_dataset_set_owner()), so trace ids
 * are never mistaken for Kubernetes name patterns. ag_source_read_file()
 * reads a .csv that is not augur's long CSV but sniffs as one of these
 * with the default options.
 */
typedef enum ag_trace_format {
    AG_TRACE_AUTO = 0,          /* sniff it from the name and content */
    AG_TRACE_BITBRAINS,         /* GWA-T-12 Bitbrains, one ";\t" file per VM */
    AG_TRACE_AZURE_V1,          /* Azure Public Dataset V1 sample: step,offset_s,vm_<id>... */
    AG_TRACE_PLANETLAB,         /* PlanetLab/CloudSim: step,<vm>... or one file per VM */
    AG_TRACE_ALIBABA_MACHINE,   /* cluster-trace-v2018 machine_usage.csv */
    AG_TRACE_ALIBABA_CONTAINER, /* cluster-trace-v2018 container_usage.csv */
    AG_TRACE_GOOGLE_2011,       /* clusterdata-2011 task_usage */
    AG_TRACE_GOOGLE_2019,       /* clusterdata-2019 instance_usage, CSV or JSON lines */
} ag_trace_format;
#define AG_TRACE_NFORMATS 8

/* Trace time zero: AG_TRACE_T0_AUTO picks the format's own (the date of
 * the published trace, or the date in a PlanetLab file or folder name). */
#define AG_TRACE_T0_AUTO INT64_MIN

/* "auto", "bitbrains", "azure-v1", "planetlab", "alibaba-machine",
 * "alibaba-container", "google-2011", "google-2019"; "?" when out of
 * range. Static strings. */
const char *ag_trace_format_name(ag_trace_format f);
/* Parses one of the names above (any case) into *out. AG_EINVAL for any
 * other string (out unchanged). */
ag_err ag_trace_format_parse(const char *s, ag_trace_format *out);

typedef struct ag_trace_opts {
    ag_trace_format format;       /* AG_TRACE_AUTO: ag_trace_sniff() */
    double capacity_cores;        /* what 100 % (or the normalised 1.0) of CPU is, in cores */
    double capacity_memory_bytes; /* what 100 % (or 1.0) of memory is, in bytes */
    int64_t t0_ms;                /* trace time 0 in ms since the epoch; AG_TRACE_T0_AUTO */
    const char *ns;               /* namespace; NULL = the format's name */
} ag_trace_opts;

/* Fills o with the defaults: format AG_TRACE_AUTO, capacity 1 core and
 * 1 GiB (so values are fractions of the stated machine until a real
 * capacity is given), t0_ms AG_TRACE_T0_AUTO, ns NULL. */
void ag_trace_opts_default(ag_trace_opts *o);

/* Tells the trace format from the first line(s) of buf (at most 64 KiB
 * are looked at: header, separator, column count, id prefixes) and, as a
 * hint, the file name in path (may be NULL). Returns AG_TRACE_AUTO when
 * nothing matches, in particular for augur's own CSV and OpenMetrics. */
ag_trace_format ag_trace_sniff(const char *path, const char *buf, size_t len);

/* Reads a trace in buf[0..len) (need not be NUL-terminated) into ds. name
 * is used in messages ("name:line: what") and for what the traces keep in
 * file names: the Bitbrains VM id ("2013-7/1.csv" -> pod "vm-1"), the
 * PlanetLab date (YYYYMMDD in the file or folder name) and the CloudSim
 * VM name. to may be NULL (defaults). Malformed lines go to opts->warn and
 * are counted in st->malformed; the rest is kept. Returns AG_EINVAL for a
 * bad option (capacity not a positive number), AG_EPARSE when the format
 * cannot be told or a required header is unusable, AG_ENOMEM; detail in
 * ei. The caller runs ag_dataset_finish(). */
ag_err ag_trace_parse(ag_dataset *ds, const char *name, const char *buf, size_t len,
                      const ag_trace_opts *to, const ag_read_opts *opts, ag_ingest_stats *st,
                      ag_errinfo *ei);

/* Reads the trace file path (any name or extension; a trailing .gz is
 * decompressed first; "-" reads stdin) with ag_trace_parse(). Errors as
 * ag_source_read_file(). */
ag_err ag_trace_read_file(ag_dataset *ds, const char *path, const ag_trace_opts *to,
                          const ag_read_opts *opts, ag_ingest_stats *st, ag_errinfo *ei);

#ifdef __cplusplus
}
#endif
#endif
