/*
 * augur/report.h - recommendations rendered for people and for tools.
 *
 * table: aligned text with Kubernetes quantities (250m, 512Mi), the
 *        current request/limit, the change, and namespace and cluster totals;
 * json:  the stable array documented in docs/output.md;
 * yaml:  autoscaling.k8s.io/v1 VerticalPodAutoscaler objects with
 *        status.recommendation, and per workload a strategic-merge patch
 *        for kubectl patch;
 * csv:   one row per workload-container and resource.
 */
#ifndef AUGUR_REPORT_H
#define AUGUR_REPORT_H

#include <stdio.h>
#include "augur/err.h"
#include "augur/series.h"
#include "augur/recommend.h"
#include "augur/forecast.h"
#include "augur/sim.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef enum ag_format { AG_FMT_TABLE, AG_FMT_JSON, AG_FMT_YAML, AG_FMT_CSV } ag_format;

/* Parses "table" / "json" / "yaml" / "csv". */
ag_err ag_format_parse(const char *s, ag_format *out);

typedef struct ag_report_item {
    const ag_wcontainer *wc; /* borrowed */
    ag_rec rec;
} ag_report_item;

typedef struct ag_report_opts {
    const char *algorithm; /* for headers and the VPA recommender name */
    int color;             /* table: ANSI colours for increases/decreases */
} ag_report_opts;

/* Writes items in fmt to f. Returns AG_EIO when the write fails. */
ag_err ag_report_write(FILE *f, ag_format fmt, const ag_report_item *items, size_t n,
                       const ag_report_opts *o);

/* ---- Forecasts (added for issue #3 by the `augur forecast` work) ---- */

/* One forecast of one resource of a workload-container, with the history
 * it was fitted on (the per-step series, for plots). All borrowed. */
typedef struct ag_fc_item {
    const ag_wcontainer *wc;
    int resource;            /* AG_CPU (cores) or AG_MEMORY (bytes) */
    const ag_forecast *fc;
    const ag_fc_series *hist; /* may be NULL (no history line in plots) */
} ag_fc_item;

typedef struct ag_fc_report_opts {
    int explain; /* json: "scores"; table: per-model backtest scores and the reason */
} ag_fc_report_opts;

/* Writes forecasts in fmt (table, json or csv; yaml is AG_EINVAL) to f.
 * csv: "timestamp,namespace,workload,container,resource,quantile,value",
 * one row per step for the mean ("mean") and each quantile, Unix seconds,
 * cores or bytes. json: the array documented in docs/forecast-cli.md.
 * table: per item the model and the highest p50 and p95 over the horizon
 * in Kubernetes units. Returns AG_EIO when the write fails. */
ag_err ag_report_forecast(FILE *f, ag_format fmt, const ag_fc_item *items, size_t n,
                          const ag_fc_report_opts *o);

typedef struct ag_plot_opts {
    const char *title;    /* overall title; NULL = "augur forecast" */
    int64_t history_ms;   /* how much history to draw before the forecast; 0 = 3 days */
} ag_plot_opts;

/* Writes a self-contained SVG (no scripts, fonts or links to fetch): one
 * panel per item, stacked, each with the recent history, the forecast
 * mean, the quantile bands shaded, time and Kubernetes-unit axes, a
 * legend and a title. Names are XML-escaped; NAN points are left out.
 * Returns AG_EIO when the write fails. */
ag_err ag_report_plot_svg(FILE *f, const ag_fc_item *items, size_t n, const ag_plot_opts *o);

/* ---- Backtests (issue #4: `augur backtest`) ---- */

/* One replay: a recommender configuration over every workload-container.
 * results[i] of every run of one report are about the same
 * workload-container (index-aligned). All borrowed. */
typedef struct ag_bt_run {
    const char *label;      /* "augur cost-saving", "vpa", "static (as is)" */
    const char *algorithm;  /* ag_online_kind_name() */
    const char *policy;     /* augur: "stable" / "cost-saving"; NULL otherwise */
    const char *knob_name;  /* ag_online_knob_name(); for sweep points */
    double knob;            /* its value */
    const ag_sim_result *results;
    size_t n;
    ag_sim_metrics total;
    double seconds;         /* CPU time the replay took (for the report footer) */
} ag_bt_run;

typedef struct ag_bt_report {
    const ag_bt_run *baseline; /* the trace's own requests (static), may be NULL */
    const ag_bt_run *runs;     /* the recommenders compared; runs[0] is the one asked for */
    size_t nruns;
    const ag_bt_run *sweep;    /* knob sweeps, for the Pareto frontier; may be empty */
    size_t nsweep;
    int64_t start_ms, end_ms;  /* the replayed window (metrics from start + warmup) */
    int64_t warmup_ms;
    const char *mode;          /* ag_update_mode_name() */
    const char *limits;        /* ag_limit_policy_name() */
    const char *source;        /* where the data came from */
} ag_bt_report;

/* Writes the backtest report in fmt (table or json; others AG_EINVAL).
 * table: per workload-container and in total, for runs[0] against the
 * baseline: cores and GiB requested less (mean over the replay), OOM
 * kills, memory-at-risk intervals, evictions, throttled share, slack;
 * then one summary row per run. json: documented in docs/backtest.md.
 * Returns AG_EIO when the write fails. */
ag_err ag_report_backtest(FILE *f, ag_format fmt, const ag_bt_report *r);

/* Writes a self-contained HTML page (inline CSS and SVG, no scripts or
 * links to fetch): the summary table of every run, the Pareto frontier
 * of slack against OOM kills + memory-at-risk and against throttling
 * from the sweep, and per workload-container a chart of usage against
 * each run's request over time (from ag_sim_result.chart). Names are
 * HTML-escaped. Returns AG_EIO when the write fails. */
ag_err ag_report_backtest_html(FILE *f, const ag_bt_report *r);

#ifdef __cplusplus
}
#endif
#endif
