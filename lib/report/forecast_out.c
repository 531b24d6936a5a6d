/*
 * report/forecast_out.c - forecasts rendered for people (table) and for
 * tools (json, csv), as `augur forecast -o ...` prints them.
 *
 * csv is a stable interface: one row per forecast step for the mean and
 * each quantile, in the units the rest of augur stores (cores, bytes), so
 * a spreadsheet or a script needs no unit parsing. The table is a summary
 * for right-sizing: the highest p50 and p95 over the horizon in
 * Kubernetes units, and with --explain why the model was chosen.
 */
#include <math.h>
#include <string.h>
#include "augur/util.h"
#include "report/report_int.h"

/* Index of quantile q in f (within 1e-9), or -1. */
static int find_q(const ag_forecast *f, double q)
{
    for (size_t k = 0; k < f->nq; k++)
        if (fabs(f->quantiles[k] - q) < 1e-9)
            return (int)k;
    return -1;
}

/* A quantile's label: "0.95" (shortest form that reads back). */
static char *q_label(double q, char *buf, size_t len)
{
    snprintf(buf, len, "%.6g", q);
    return buf;
}

static ag_err str_or_empty(ag_buf *b, const char *s)
{
    return ag__buf_json_str(b, s ? s : "");
}

/* ---- csv ---- */

/* A value in cores (6 decimals, trailing zeros cut) or whole bytes. */
static ag_err csv_value(ag_buf *b, int r, double v)
{
    char num[64];
    size_t len;

    if (r == AG_MEMORY)
        return ag__buf_printf(b, "%.0f", v);
    snprintf(num, sizeof num, "%.6f", v);
    len = strlen(num);
    while (len > 1 && num[len - 1] == '0')
        num[--len] = '\0';
    if (len > 1 && num[len - 1] == '.')
        num[--len] = '\0';
    if (!strcmp(num, "-0"))
        strcpy(num, "0");
    return ag__buf_puts(b, num);
}

static ag_err csv_item(ag_buf *b, const ag_fc_item *it)
{
    const ag_forecast *f = it->fc;
    const char *lead[] = {it->wc->ns, it->wc->name, it->wc->container,
                          ag__rep_res_name(it->resource)};
    ag_err rc = AG_OK;
    char ql[32];

    for (size_t h = 0; rc == AG_OK && h < f->horizon; h++) {
        long long t = (long long)((f->t0_ms + (int64_t)h * f->step_ms) / 1000);
        for (size_t k = 0; rc == AG_OK && k <= f->nq; k++) {
            rc = ag__buf_printf(b, "%lld", t);
            for (size_t c = 0; rc == AG_OK && c < 4; c++) {
                rc = ag__buf_puts(b, ",");
                if (rc == AG_OK)
                    rc = ag__buf_csv_str(b, lead[c]);
            }
            if (rc == AG_OK)
                rc = ag__buf_printf(b, ",%s,",
                                    k == 0 ? "mean" : q_label(f->quantiles[k - 1], ql, sizeof ql));
            if (rc == AG_OK)
                rc = csv_value(b, it->resource,
                               k == 0 ? f->mean[h] : f->q[(k - 1) * f->horizon + h]);
            if (rc == AG_OK)
                rc = ag__buf_puts(b, "\n");
        }
    }
    return rc;
}

static ag_err write_csv(FILE *out, const ag_fc_item *items, size_t n)
{
    ag_buf b;
    ag_err rc;

    ag__buf_init(&b, AG__REP_CHUNK * 4);
    rc = ag__buf_puts(&b, "timestamp,namespace,workload,container,resource,quantile,value\n");
    for (size_t i = 0; rc == AG_OK && i < n; i++) {
        rc = csv_item(&b, &items[i]);
        if (rc == AG_OK)
            rc = ag__rep_flush(out, &b, AG__REP_CHUNK);
    }
    if (rc == AG_OK)
        rc = ag__rep_flush(out, &b, 0);
    ag__buf_free(&b);
    return rc;
}

/* ---- json ---- */

static ag_err json_scores(ag_buf *b, const ag_forecast *f)
{
    ag_err rc = ag__buf_puts(b, ",\n    \"scores\": [");

    for (size_t i = 0; rc == AG_OK && i < f->nscores; i++) {
        const ag_fc_score *s = &f->scores[i];
        rc = ag__buf_printf(b, "%s\n      {\"model\": ", i ? "," : "");
        if (rc == AG_OK)
            rc = ag__buf_json_str(b, s->model);
        if (rc == AG_OK)
            rc = ag__buf_puts(b, ", \"loss\": ");
        if (rc == AG_OK)
            rc = ag__buf_json_num(b, s->loss);
        if (rc == AG_OK)
            rc = ag__buf_puts(b, ", \"mase\": ");
        if (rc == AG_OK)
            rc = ag__buf_json_num(b, s->mase);
        if (rc == AG_OK)
            rc = ag__buf_puts(b, ", \"coverage\": ");
        if (rc == AG_OK)
            rc = ag__buf_json_num(b, s->coverage);
        if (rc == AG_OK)
            rc = ag__buf_puts(b, ", \"weight\": ");
        if (rc == AG_OK)
            rc = ag__buf_json_num(b, s->weight);
        if (rc == AG_OK)
            rc = ag__buf_puts(b, ", \"note\": ");
        if (rc == AG_OK)
            rc = ag__buf_json_str(b, s->note);
        if (rc == AG_OK)
            rc = ag__buf_puts(b, "}");
    }
    if (rc == AG_OK)
        rc = ag__buf_puts(b, f->nscores ? "\n    ]" : "]");
    return rc;
}

static ag_err json_points(ag_buf *b, const ag_forecast *f)
{
    ag_err rc = ag__buf_puts(b, ",\n    \"points\": [");
    char ql[32];

    for (size_t h = 0; rc == AG_OK && h < f->horizon; h++) {
        rc = ag__buf_printf(b, "%s\n      {\"t\": %lld, \"mean\": ", h ? "," : "",
                            (long long)((f->t0_ms + (int64_t)h * f->step_ms) / 1000));
        if (rc == AG_OK)
            rc = ag__rep_num(b, f->mean[h]);
        if (rc == AG_OK)
            rc = ag__buf_puts(b, ", \"q\": {");
        for (size_t k = 0; rc == AG_OK && k < f->nq; k++) {
            rc = ag__buf_printf(b, "%s\"%s\": ", k ? ", " : "",
                                q_label(f->quantiles[k], ql, sizeof ql));
            if (rc == AG_OK)
                rc = ag__rep_num(b, f->q[k * f->horizon + h]);
        }
        if (rc == AG_OK)
            rc = ag__buf_puts(b, "}}");
    }
    if (rc == AG_OK)
        rc = ag__buf_puts(b, f->horizon ? "\n    ]" : "]");
    return rc;
}

static ag_err json_item(ag_buf *b, const ag_fc_item *it, const ag_fc_report_opts *o)
{
    const ag_forecast *f = it->fc;
    const char *keys[] = {"namespace", "kind", "workload", "container"};
    const char *vals[] = {it->wc->ns, it->wc->kind, it->wc->name, it->wc->container};
    ag_err rc = ag__buf_puts(b, "  {");

    for (size_t k = 0; rc == AG_OK && k < 4; k++) {
        rc = ag__buf_printf(b, "%s\"%s\": ", k ? ", " : "", keys[k]);
        if (rc == AG_OK)
            rc = str_or_empty(b, vals[k]);
    }
    if (rc == AG_OK)
        rc = ag__buf_printf(b, ",\n    \"resource\": \"%s\", \"unit\": \"%s\", \"model\": ",
                            ag__rep_res_name(it->resource),
                            it->resource == AG_CPU ? "cores" : "bytes");
    if (rc == AG_OK)
        rc = ag__buf_json_str(b, f->model);
    if (rc == AG_OK)
        rc = ag__buf_puts(b, ", \"reason\": ");
    if (rc == AG_OK)
        rc = ag__buf_json_str(b, f->reason);
    if (rc == AG_OK)
        rc = ag__buf_printf(b,
                            ",\n    \"step\": %lld, \"start\": %lld, \"horizon\": %zu, "
                            "\"period_steps\": %lld",
                            (long long)(f->step_ms / 1000), (long long)(f->t0_ms / 1000),
                            f->horizon, (long long)f->period_steps);
    if (rc == AG_OK && o && o->explain)
        rc = json_scores(b, f);
    if (rc == AG_OK)
        rc = json_points(b, f);
    if (rc == AG_OK)
        rc = ag__buf_puts(b, "\n  }");
    return rc;
}

static ag_err write_json(FILE *out, const ag_fc_item *items, size_t n, const ag_fc_report_opts *o)
{
    ag_buf b;
    ag_err rc;

    ag__buf_init(&b, AG__REP_CHUNK * 4);
    rc = ag__buf_puts(&b, "[");
    for (size_t i = 0; rc == AG_OK && i < n; i++) {
        rc = ag__buf_puts(&b, i ? ",\n" : "\n");
        if (rc == AG_OK)
            rc = json_item(&b, &items[i], o);
        if (rc == AG_OK)
            rc = ag__rep_flush(out, &b, AG__REP_CHUNK);
    }
    if (rc == AG_OK)
        rc = ag__buf_puts(&b, n ? "\n]\n" : "]\n");
    if (rc == AG_OK)
        rc = ag__rep_flush(out, &b, 0);
    ag__buf_free(&b);
    return rc;
}

/* ---- table ---- */

/* Highest value over the horizon of quantile k (-1 = the mean). */
static double peak(const ag_forecast *f, int k)
{
    double m = NAN;
    for (size_t h = 0; h < f->horizon; h++) {
        double v = k < 0 ? f->mean[h] : f->q[(size_t)k * f->horizon + h];
        if (isfinite(v) && !(v <= m))
            m = v;
    }
    return m;
}

/* The two quantiles the table shows: 0.5 (else the mean) and 0.95 (else
 * the highest asked for). */
static void table_quantiles(const ag_forecast *f, int *lo, int *hi)
{
    *lo = find_q(f, 0.5);
    *hi = find_q(f, 0.95);
    if (*hi < 0 && f->nq)
        *hi = (int)f->nq - 1;
}

static void col_label(const ag_forecast *f, int k, char *buf, size_t len)
{
    if (k < 0)
        snprintf(buf, len, "MEAN");
    else
        snprintf(buf, len, "P%g", f->quantiles[k] * 100);
}

static char *qty(int r, double v, char *buf, size_t len)
{
    if (!isfinite(v))
        return strcpy(buf, "-");
    return ag__rep_quantity(r, ag__rep_round(r, v), buf, len);
}

static ag_err table_explain(ag_buf *b, const ag_forecast *f)
{
    ag_err rc = ag__buf_printf(b, "    why: %s\n", f->reason[0] ? f->reason : "-");

    if (rc == AG_OK && f->nscores)
        rc = ag__buf_printf(b, "    %-16s %12s %8s %9s %7s  %s\n", "MODEL", "LOSS", "MASE",
                            "COVERAGE", "WEIGHT", "NOTE");
    for (size_t i = 0; rc == AG_OK && i < f->nscores; i++) {
        const ag_fc_score *s = &f->scores[i];
        char l[32] = "-", m[32] = "-", c[32] = "-", w[32] = "-";
        if (isfinite(s->loss))
            snprintf(l, sizeof l, "%.6g", s->loss);
        if (isfinite(s->mase))
            snprintf(m, sizeof m, "%.3f", s->mase);
        if (isfinite(s->coverage))
            snprintf(c, sizeof c, "%.1f%%", s->coverage * 100);
        if (isfinite(s->weight))
            snprintf(w, sizeof w, "%.3f", s->weight);
        rc = ag__buf_printf(b, "    %s%-15s %12s %8s %9s %7s  %s\n",
                            strcmp(s->model, f->model) ? " " : "*", s->model, l, m, c, w, s->note);
    }
    return rc;
}

/* Column widths from the content, then the rows. */
static ag_err write_table(FILE *out, const ag_fc_item *items, size_t n, const ag_fc_report_opts *o)
{
    size_t w[4] = {9, 8, 9, 5};
    const char *hdr[4] = {"NAMESPACE", "WORKLOAD", "CONTAINER", "MODEL"};
    char lo_l[32] = "P50", hi_l[32] = "P95", a[64], c[64];
    int lo = -1, hi = -1;
    ag_buf b;
    ag_err rc;

    if (n) {
        table_quantiles(items[0].fc, &lo, &hi);
        col_label(items[0].fc, lo, lo_l, sizeof lo_l);
        col_label(items[0].fc, hi, hi_l, sizeof hi_l);
    }
    for (size_t i = 0; i < n; i++) {
        const char *v[4] = {items[i].wc->ns, items[i].wc->name, items[i].wc->container,
                            items[i].fc->model};
        for (int k = 0; k < 4; k++)
            if (v[k] && strlen(v[k]) > w[k])
                w[k] = strlen(v[k]);
    }
    ag__buf_init(&b, AG__REP_CHUNK * 4);
    snprintf(a, sizeof a, "PEAK %s", lo_l);
    snprintf(c, sizeof c, "PEAK %s", hi_l);
    rc = ag__buf_printf(&b, "%-*s  %-*s  %-*s  %-8s  %-*s  %10s  %10s\n", (int)w[0], hdr[0],
                        (int)w[1], hdr[1], (int)w[2], hdr[2], "RESOURCE", (int)w[3], hdr[3], a, c);
    for (size_t i = 0; rc == AG_OK && i < n; i++) {
        const ag_fc_item *it = &items[i];
        char p[32], q[32];
        int ilo, ihi;
        table_quantiles(it->fc, &ilo, &ihi);
        qty(it->resource, peak(it->fc, ilo), p, sizeof p);
        qty(it->resource, peak(it->fc, ihi), q, sizeof q);
        rc = ag__buf_printf(&b, "%-*s  %-*s  %-*s  %-8s  %-*s  %10s  %10s\n", (int)w[0], it->wc->ns,
                            (int)w[1], it->wc->name, (int)w[2], it->wc->container,
                            ag__rep_res_name(it->resource), (int)w[3], it->fc->model, p, q);
        if (rc == AG_OK && o && o->explain)
            rc = table_explain(&b, it->fc);
        if (rc == AG_OK)
            rc = ag__rep_flush(out, &b, AG__REP_CHUNK);
    }
    if (rc == AG_OK && n) {
        char st[32], hz[32];
        const ag_forecast *f = items[0].fc;
        rc = ag__buf_printf(&b,
                            "\nForecast from %s, %zu steps of %s (%s ahead); peaks are the "
                            "highest value over the horizon.\n",
                            ag_time_format(f->t0_ms - f->step_ms, st, sizeof st), f->horizon,
                            ag_duration_format(f->step_ms, a, sizeof a),
                            ag_duration_format((int64_t)f->horizon * f->step_ms, hz, sizeof hz));
    }
    if (rc == AG_OK)
        rc = ag__rep_flush(out, &b, 0);
    ag__buf_free(&b);
    return rc;
}

ag_err ag_report_forecast(FILE *f, ag_format fmt, const ag_fc_item *items, size_t n,
                          const ag_fc_report_opts *o)
{
    switch (fmt) {
    case AG_FMT_CSV:
        return write_csv(f, items, n);
    case AG_FMT_JSON:
        return write_json(f, items, n, o);
    case AG_FMT_TABLE:
        return write_table(f, items, n, o);
    default:
        return AG_EINVAL;
    }
}
