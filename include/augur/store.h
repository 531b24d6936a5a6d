/*
 * augur/store.h - the embedded store: one SQLite file (WAL mode).
 *
 * Holds imported usage series (CPU as cores, memory as bytes: the cleaned
 * form, never raw counters), current requests/limits, owners, pod labels,
 * OOM events, and every recommendation run (when, data window, algorithm,
 * parameters, result). The schema is versioned (PRAGMA user_version) and
 * migrated forward on open; a file from a newer augur is refused with
 * AG_ESCHEMA. Importing the same samples twice stores them once.
 */
#ifndef AUGUR_STORE_H
#define AUGUR_STORE_H

#include <stdint.h>
#include <stddef.h>
#include "augur/err.h"
#include "augur/series.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct ag_store ag_store;

/* The default path: $XDG_DATA_HOME/augur/augur.db, else
 * $HOME/.local/share/augur/augur.db. Written into buf; returns buf, or
 * NULL when neither variable is set. */
char *ag_store_default_path(char *buf, size_t len);

/* Opens (creating the file and its directory when absent) and migrates
 * the store. On success *out is owned by the caller; close with
 * ag_store_close(). On error *out is NULL and ei says why. */
ag_err ag_store_open(const char *path, ag_store **out, ag_errinfo *ei);
/* Closes the store. No-op when st is NULL. */
void ag_store_close(ag_store *st);

/* Caps SQLite's page cache at kib KiB (ag_store_open() sets 64 MiB, for
 * large imports; a long-running daemon writing a minute at a time needs
 * far less). AG_ESTORE with detail in ei. */
ag_err ag_store_set_cache(ag_store *st, long kib, ag_errinfo *ei);

/* The schema version of an open store. */
int ag_store_schema_version(const ag_store *st);

/* Writes a finished dataset in one transaction: samples already stored
 * (same series and timestamp) are replaced, not duplicated. *inserted
 * (may be NULL) receives the number of sample rows that were new. On
 * error the transaction is rolled back and nothing is changed. */
ag_err ag_store_put_dataset(ag_store *st, const ag_dataset *ds, uint64_t *inserted,
                            ag_errinfo *ei);

/* Loads the samples in [start_ms, end_ms] (namespace ns, or all when
 * NULL) with owners, labels, specs and OOM events into ds (which the
 * caller owns). Run ag_dataset_finish() afterwards as with any reader. */
ag_err ag_store_load(ag_store *st, ag_dataset *ds, int64_t start_ms, int64_t end_ms,
                     const char *ns, ag_errinfo *ei);

/* Oldest and newest sample times in the store; AG_ENODATA when empty. */
ag_err ag_store_time_range(ag_store *st, int64_t *min_ms, int64_t *max_ms, ag_errinfo *ei);

/* Counts of what is stored. */
typedef struct ag_store_stats {
    uint64_t containers, samples, runs;
} ag_store_stats;
ag_err ag_store_stats_get(ag_store *st, ag_store_stats *out, ag_errinfo *ei);

/* One recommendation run. Strings borrowed when passed in; owned by the
 * ag_run array when returned by ag_store_list_runs(). */
typedef struct ag_run {
    int64_t id;
    int64_t created_ms;
    int64_t start_ms, end_ms; /* the data window */
    const char *algorithm;
    const char *params_json;
    const char *source;       /* "store", "file:a.om,b.csv", "prometheus:http://..." */
    const char *result_json;  /* the -o json document; NULL in listings */
    uint64_t n_results;       /* workload-containers recommended */
} ag_run;

/* Records a run; its id goes to *id (may be NULL). */
ag_err ag_store_put_run(ag_store *st, const ag_run *run, int64_t *id, ag_errinfo *ei);

/* Lists runs, newest first, at most limit (0 = all). Caller owns *runs;
 * free with ag_runs_free(). result_json is NULL in the listing. */
ag_err ag_store_list_runs(ag_store *st, size_t limit, ag_run **runs, size_t *n, ag_errinfo *ei);

/* Fetches one run with its result. Caller owns *run; free with
 * ag_runs_free(run, 1). AG_ENOTFOUND when no such id. */
ag_err ag_store_get_run(ag_store *st, int64_t id, ag_run **run, ag_errinfo *ei);
void ag_runs_free(ag_run *runs, size_t n);

/* ---- Forecasts (added for issue #3 by the `augur forecast` work) ----
 * One row per forecast point: a workload-container's resource at time
 * t_ms, the point forecast (quantile NAN) or one quantile. Rows belong to
 * a run (ag_store_put_run() with algorithm "forecast:<model>") and are
 * deleted with it. */
typedef struct ag_store_fc {
    int64_t run_id;          /* the run this forecast belongs to */
    const char *ns, *kind, *workload, *container; /* borrowed; kind may be NULL */
    int resource;            /* AG_CPU (cores) or AG_MEMORY (bytes) */
    const char *model;       /* borrowed */
    int64_t t0_ms, step_ms;  /* first forecast time, spacing */
    size_t horizon;          /* steps */
    const double *mean;      /* [horizon], borrowed */
    size_t nq;
    const double *quantiles; /* [nq], borrowed */
    const double *q;         /* [nq * horizon]: q[k * horizon + h], borrowed */
} ag_store_fc;

/* Writes n forecasts in one transaction (all or nothing). Non-finite
 * values are refused with AG_EINVAL. */
ag_err ag_store_put_forecasts(ag_store *st, const ag_store_fc *fc, size_t n, ag_errinfo *ei);

/* One stored forecast point. Strings owned by the row array. */
typedef struct ag_store_fc_row {
    int64_t run_id;
    char *ns, *kind, *workload, *container, *model;
    int resource;
    int64_t step_ms, horizon;
    int64_t t_ms;
    double quantile; /* NAN = the point forecast (mean) */
    double value;
} ag_store_fc_row;

/* Lists the forecast points of run run_id (0 = the newest run that has
 * forecasts), ordered by namespace, workload, container, resource, time
 * and quantile (mean first). Caller owns *rows; free with
 * ag_store_fc_rows_free(). *n = 0 when there are none. */
ag_err ag_store_list_forecasts(ag_store *st, int64_t run_id, ag_store_fc_row **rows, size_t *n,
                               ag_errinfo *ei);
void ag_store_fc_rows_free(ag_store_fc_row *rows, size_t n);

#ifdef __cplusplus
}
#endif
#endif
