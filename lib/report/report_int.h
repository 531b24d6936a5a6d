/*
 * report/report_int.h - what the report writers (report.c, table.c,
 * yaml.c, the backtest report) share: rounding, value access, status
 * names and buffered output.
 *
 * Every number shown is rounded once, here, before any formatting: CPU up
 * to whole millicores, memory up to whole bytes. json, csv and the table
 * all start from these rounded values, so they always agree.
 */
#ifndef AG_REPORT_INT_H
#define AG_REPORT_INT_H

#include <stdio.h>
#include "augur/report.h"
#include "util/buf.h"

/* Output is built in a buffer and written to the FILE in chunks of this
 * size, so memory stays bounded however many items there are. */
#define AG__REP_CHUNK ((size_t)64 << 10)

/* The field of a recommendation a value is taken from. */
typedef enum ag__rep_field {
    AG__F_TARGET,
    AG__F_LOWER,
    AG__F_UPPER,
    AG__F_UNCAPPED,
    AG__F_LIMIT,
} ag__rep_field;
#define AG__REP_NFIELDS 5

/* The "bound" label of each field, in field order, as /metrics and
 * remote-write name them: "target", "lower", "upper", "uncapped", "limit". */
extern const char *const ag__rep_bound_names[AG__REP_NFIELDS];

/* v rounded up to whole millicores (CPU) or whole bytes (memory), with a
 * tiny tolerance so that 0.1 * 3 stays 300m. NAN when v is not finite. */
double ag__rep_round(int r, double v);

/* The rounded recommended value of field f of resource r, or NAN when the
 * resource has no recommendation (status not OK) or the value is NAN. */
double ag__rep_rec(const ag_report_item *it, int r, ag__rep_field f);
/* The rounded current request / limit, NAN when unknown. */
double ag__rep_cur_request(const ag_report_item *it, int r);
double ag__rep_cur_limit(const ag_report_item *it, int r);

/* "cpu" / "memory". */
const char *ag__rep_res_name(int r);
/* "ok" / "no-data" / "not-enough-data". Static. */
const char *ag__rep_status_name(ag_rec_status s);

/* Writes b to f when it holds at least min bytes (0 = always) and empties
 * it. AG_EIO when the write fails. */
ag_err ag__rep_flush(FILE *f, ag_buf *b, size_t min);

/* Appends v as a JSON number ("null" when not finite), whole numbers
 * without exponent. */
ag_err ag__rep_num(ag_buf *b, double v);
/* One element of the -o json array (docs/output.md), with a trailing
 * comma unless last; the HTTP API serves the same bytes. */
ag_err ag__rep_json_item(ag_buf *b, const ag_report_item *it, int last);

/* Formats a Kubernetes quantity of a rounded value into buf ("250m",
 * "512Mi"). Returns buf. */
char *ag__rep_quantity(int r, double v, char *buf, size_t len);

ag_err ag__rep_table(FILE *f, const ag_report_item *items, size_t n, const ag_report_opts *o);
ag_err ag__rep_yaml(FILE *f, const ag_report_item *items, size_t n, const ag_report_opts *o);

/* Display width of s in columns: UTF-8 continuation bytes take none. */
size_t ag__rep_text_width(const char *s);

/* ---- buffered output with a sticky error (writer.c), the writer of
 * backtest.c and backtest_html.c ---- */

/* Text is built in b and written to f; rc is the first failure, after
 * which every call does nothing. The caller owns the struct (usually on
 * its stack) and f; b belongs to it between ag__wr_init() and
 * ag__wr_close(). */
typedef struct ag__wr {
    FILE *f;
    ag_buf b;
    ag_err rc;
} ag__wr;

/* Starts w on f: rc AG_OK, an empty buffer capped at 16 chunks. */
void ag__wr_init(ag__wr *w, FILE *f);
/* Appends the formatted text (rc AG_ETOOBIG / AG_ENOMEM on failure). */
void ag__wr_printf(ag__wr *w, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Appends s. */
void ag__wr_puts(ag__wr *w, const char *s);
/* Writes the buffer to f when it holds at least min bytes (0 = always);
 * rc AG_EIO when the write fails. */
void ag__wr_flush(ag__wr *w, size_t min);
/* Writes what is left (unless rc already holds a failure), flushes f and
 * frees the buffer. Returns rc: AG_OK, the first failure, or AG_EIO when
 * writing or flushing f failed. f stays open (the caller's). */
ag_err ag__wr_close(ag__wr *w);

/* ---- plot helpers of plot.c, shared with the backtest page ---- */

/* A plot area in pixels and the ranges mapped onto it: time [t_lo, t_hi]
 * (ms) across, values [0, v_hi] up. */
typedef struct ag__plot_area {
    double x0, y0, w, h;
    int64_t t_lo, t_hi;
    double v_hi;
} ag__plot_area;

/* Appends s XML-escaped (so also fit for HTML text and quoted attribute
 * values); control characters become spaces. NULL appends nothing. */
ag_err ag__plot_text(ag_buf *b, const char *s);
/* A 1-2-5 step giving about want intervals up to hi (> 0). */
double ag__plot_nice_step(double hi, int want);
/* Draws the grid and labels of both axes of a: values of resource r in
 * Kubernetes units (a->v_hi is first rounded up to a whole tick) and
 * UTC times (the date at midnight, else the hour). */
ag_err ag__plot_axes(ag_buf *b, ag__plot_area *a, int r);

/* ---- the backtest report: shared by backtest.c and backtest_html.c ---- */

/* AG_OK when r is consistent: runs, baseline and their results
 * index-aligned (same n), runs[0]'s results naming their
 * workload-containers; AG_EINVAL otherwise. */
ag_err ag__bt_check(const ag_bt_report *r);
/* The simulator counts a workload-container from a warm-up after the
 * first sample of its members to its last sample. The time the figures
 * of result i cover, in seconds (NAN when none); the report's window
 * less the warm-up when its members are unknown. */
double ag__bt_span(const ag_bt_report *r, size_t i);
/* When the figures of result i start, ms. */
int64_t ag__bt_metrics_from(const ag_bt_report *r, size_t i);
/* The longest span of the results (the window less the warm-up without
 * results); NAN when none. */
double ag__bt_seconds(const ag_bt_report *r);
/* The mean over span i of what (AG_CPU: requested cores; AG_MEMORY:
 * requested bytes; 2: live replicas) in m, the metrics of result i; NAN
 * when the span is empty. */
double ag__bt_mean(const ag_bt_report *r, size_t i, const ag_sim_metrics *m, int what);
/* The sum of those means over the results of run (those of empty
 * spans count 0). */
double ag__bt_total_mean(const ag_bt_report *r, const ag_bt_run *run, int what);
/* "window <start> to <end> (8d), warm-up 1d: figures over the last 7d;
 * mode recreate, limits recommender, source <source>". */
ag_err ag__bt_window_desc(ag_buf *b, const ag_bt_report *r);
/* "<label> (<algorithm>, policy <policy>, <knob> <value>)". */
ag_err ag__bt_run_desc(ag_buf *b, const ag_bt_run *run);
/* The sentence of runs[0] against the baseline (nruns > 0): "Had you
 * applied vpa over the last 7d: 1.5 cores and 2 GiB less requested on
 * average (baseline: ...), 2 OOM kills (baseline: 0), ...". No newline. */
ag_err ag__bt_sentence(ag_buf *b, const ag_bt_report *r);
/* "1500m -> 750m" (arrow "->"; have_from 0: "750m") for the mean
 * requests of resource r (cores or bytes); "-" when unknown. */
char *ag__bt_requests(int r, double from, double to, int have_from, const char *arrow, char *buf,
                      size_t len);
/* The change to - from of resource r as the two values are shown
 * ("-750m", "+1Gi", "0"); "-" when either is unknown. */
char *ag__bt_change(int r, double from, double to, char *buf, size_t len);
/* "12.5%", "<0.1%", "0%"; "-" when not finite. */
char *ag__bt_pct(double share, char *buf, size_t len);
/* A rate or an amount: "0.0476", "12.3", "1234", "0"; "-" when not finite. */
char *ag__bt_rate(double v, char *buf, size_t len);

/* The comparison table: one row per run; cells as text. */
#define AG__BT_NCMP 11
#define AG__BT_CELL 48
extern const char *const ag__bt_cmp_headers[AG__BT_NCMP];
/* Cells 1.. of a run's row (cell 0, the label, is left to the caller). */
void ag__bt_cmp_row(const ag_bt_run *run, char cells[AG__BT_NCMP][AG__BT_CELL]);

/* The sweep points on the Pareto frontiers: memory slack against OOM
 * kills + memory-at-risk intervals per container-day (mem[i]) and CPU
 * slack against the throttled share of CPU demand (cpu[i]), 1/0; a point
 * with an undefined coordinate is on neither. Arrays of r->nsweep.
 * AG_ENOMEM. */
ag_err ag__bt_pareto(const ag_bt_report *r, int *mem, int *cpu);
/* The coordinates of sweep point s: x = slack share, y = the risk. */
void ag__bt_pareto_xy(const ag_bt_run *s, int cpu, double *x, double *y);

#endif
