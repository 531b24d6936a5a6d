/*
 * report/backtest.c - the `augur backtest` report for people (table) and
 * for tools (json), and the pieces the HTML page (backtest_html.c)
 * shares: the window and run descriptions, the sentence that sums up the
 * run asked for, the comparison row of a run and the Pareto frontiers.
 *
 * Every figure comes from the simulator's sums (ag_sim_metrics) through
 * ag_sim_summarize(); the only one computed here is the mean request: the
 * requested core-seconds (byte-seconds) of a workload-container over its
 * span, the time the simulator counted it (from a warm-up after its first
 * sample to its last), i.e. the request of all its live replicas averaged
 * over that time. Definitions in docs/backtest.md.
 */
#include <math.h>
#include <string.h>
#include "augur/util.h"
#include "report/report_int.h"
#include "util/alloc.h"

#define MIB 1048576.0
#define GIB 1073741824.0

static const char *str0(const char *s)
{
    return s ? s : "";
}

/* ---- shared helpers ---- */

ag_err ag__bt_check(const ag_bt_report *r)
{
    size_t n;

    if (!r || (r->nruns && !r->runs) || (r->nsweep && !r->sweep))
        return AG_EINVAL;
    n = r->nruns ? r->runs[0].n : r->baseline ? r->baseline->n : 0;
    for (size_t k = 0; k <= r->nruns; k++) {
        const ag_bt_run *run = k < r->nruns ? &r->runs[k] : r->baseline;
        if (!run)
            continue;
        if (run->n != n || (run->n && !run->results))
            return AG_EINVAL;
    }
    for (size_t k = 0; k < r->nsweep; k++)
        if (r->sweep[k].n && !r->sweep[k].results)
            return AG_EINVAL;
    for (size_t i = 0; r->nruns && i < n; i++)
        if (!r->runs[0].results[i].wc)
            return AG_EINVAL;
    return AG_OK;
}

/* The workload-container of result i: runs[0]'s, else the baseline's;
 * NULL when neither names it. */
static const ag_wcontainer *result_wc(const ag_bt_report *r, size_t i)
{
    if (r->nruns && i < r->runs[0].n && r->runs[0].results[i].wc)
        return r->runs[0].results[i].wc;
    if (r->baseline && i < r->baseline->n)
        return r->baseline->results[i].wc;
    return NULL;
}

/* The first and last sample of the members of wc, as the simulator
 * takes them; 0 when wc has no members to look at. */
static int wc_span(const ag_wcontainer *wc, int64_t *first, int64_t *last)
{
    *first = INT64_MAX;
    *last = INT64_MIN;
    if (!wc || !wc->members || !wc->n)
        return 0;
    for (size_t k = 0; k < wc->n; k++) {
        const ag_container *c = wc->members[k];
        for (int res = 0; c && res < AG_NRES; res++) {
            const ag_samples *sm = &c->usage[res];
            if (!sm->n || !sm->v)
                continue;
            if (sm->v[0].t_ms < *first)
                *first = sm->v[0].t_ms;
            if (sm->v[sm->n - 1].t_ms > *last)
                *last = sm->v[sm->n - 1].t_ms;
        }
    }
    return 1;
}

int64_t ag__bt_metrics_from(const ag_bt_report *r, size_t i)
{
    int64_t a, b;

    if (wc_span(result_wc(r, i), &a, &b) && a <= b)
        return a + r->warmup_ms;
    return r->start_ms + r->warmup_ms;
}

double ag__bt_span(const ag_bt_report *r, size_t i)
{
    int64_t a, b;
    double s;

    if (!wc_span(result_wc(r, i), &a, &b))
        s = (double)(r->end_ms - r->start_ms - r->warmup_ms) / 1000.0;
    else
        s = a <= b ? (double)(b - a - r->warmup_ms) / 1000.0 : 0;
    return s > 0 ? s : NAN;
}

double ag__bt_seconds(const ag_bt_report *r)
{
    size_t n = r->nruns ? r->runs[0].n : r->baseline ? r->baseline->n : 0;
    double s = NAN;

    for (size_t i = 0; i < n; i++) {
        double x = ag__bt_span(r, i);
        if (isfinite(x) && !(x <= s))
            s = x;
    }
    if (!n) {
        s = (double)(r->end_ms - r->start_ms - r->warmup_ms) / 1000.0;
        s = s > 0 ? s : NAN;
    }
    return s;
}

double ag__bt_mean(const ag_bt_report *r, size_t i, const ag_sim_metrics *m, int what)
{
    double s = ag__bt_span(r, i);
    double v = what == AG_CPU      ? m->cpu_requested
               : what == AG_MEMORY ? m->mem_requested
                                   : m->container_seconds;

    return v / s;
}

double ag__bt_total_mean(const ag_bt_report *r, const ag_bt_run *run, int what)
{
    double t = 0;

    for (size_t i = 0; i < run->n; i++) {
        double v = ag__bt_mean(r, i, &run->results[i].m, what);
        if (isfinite(v))
            t += v;
    }
    return t;
}

/* A span of seconds for people: to the hour from a day on ("7d", not
 * "6d23h55m": samples are counted from the first one after the warm-up),
 * else to the minute. */
static char *span_format(double secs, char *buf, size_t len)
{
    double unit = secs >= 86400 ? 3600 : 60;
    double v = llround(secs / unit) * unit;

    return ag_duration_format((int64_t)(v > 0 ? v : secs) * 1000, buf, len);
}

ag_err ag__bt_window_desc(ag_buf *b, const ag_bt_report *r)
{
    char t0[40], t1[40], span[32], wu[32], fig[32];
    double s = ag__bt_seconds(r);
    ag_err rc;

    ag_time_format(r->start_ms, t0, sizeof t0);
    ag_time_format(r->end_ms, t1, sizeof t1);
    ag_duration_format(r->end_ms - r->start_ms, span, sizeof span);
    ag_duration_format(r->warmup_ms, wu, sizeof wu);
    rc = ag__buf_printf(b, "window %s to %s (%s), warm-up %s: ", t0, t1, span, wu);
    if (rc == AG_OK && isfinite(s))
        rc = ag__buf_printf(b, "figures over the last %s", span_format(s, fig, sizeof fig));
    else if (rc == AG_OK)
        rc = ag__buf_puts(b, "nothing left after the warm-up");
    if (rc == AG_OK)
        rc = ag__buf_printf(b, "; mode %s, limits %s, source %s", r->mode ? r->mode : "-",
                            r->limits ? r->limits : "-", r->source ? r->source : "-");
    return rc;
}

ag_err ag__bt_run_desc(ag_buf *b, const ag_bt_run *run)
{
    ag_err rc =
        ag__buf_printf(b, "%s (%s", str0(run->label), run->algorithm ? run->algorithm : "?");

    if (rc == AG_OK && run->policy && *run->policy)
        rc = ag__buf_printf(b, ", policy %s", run->policy);
    if (rc == AG_OK && run->knob_name && *run->knob_name && isfinite(run->knob))
        rc = ag__buf_printf(b, ", %s %g", run->knob_name, run->knob);
    if (rc == AG_OK)
        rc = ag__buf_puts(b, ")");
    return rc;
}

/* An amount without sign, at most decimals digits, trailing zeros cut. */
static char *amount(double v, int decimals, char *buf, size_t len)
{
    char *dot;
    size_t n;

    snprintf(buf, len, "%.*f", decimals, fabs(v));
    dot = strchr(buf, '.');
    if (dot) {
        n = strlen(buf);
        while (n > 0 && buf[n - 1] == '0')
            buf[--n] = '\0';
        if (n > 0 && buf[n - 1] == '.')
            buf[--n] = '\0';
    }
    return buf;
}

static const char *plural(uint64_t n, const char *one, const char *many)
{
    return n == 1 ? one : many;
}

/* "1.55 cores and 2.5 GiB less requested", "0.5 cores less and 1 GiB
 * more requested"; dc in cores, dm in GiB. A change that shows as 0
 * takes the direction of the other. */
static ag_err change_words(ag_buf *b, double dc, double dm)
{
    char c[48], m[48];
    const char *cw = dc > 0 ? "more" : "less", *mw = dm > 0 ? "more" : "less";
    const char *cores;

    amount(dc, 3, c, sizeof c);
    amount(dm, 2, m, sizeof m);
    cores = strcmp(c, "1") ? "cores" : "core";
    if (strcmp(c, "0") == 0)
        cw = mw;
    if (strcmp(m, "0") == 0)
        mw = cw;
    if (strcmp(cw, mw) == 0)
        return ag__buf_printf(b, "%s %s and %s GiB %s requested", c, cores, m, cw);
    return ag__buf_printf(b, "%s %s %s and %s GiB %s requested", c, cores, cw, m, mw);
}

ag_err ag__bt_sentence(ag_buf *b, const ag_bt_report *r)
{
    const ag_bt_run *run = &r->runs[0], *base = r->baseline;
    const ag_sim_metrics *m = &run->total, *bm = base ? &base->total : NULL;
    double s = ag__bt_seconds(r);
    double cpu = ag__bt_total_mean(r, run, AG_CPU), mem = ag__bt_total_mean(r, run, AG_MEMORY);
    double bcpu = base ? ag__bt_total_mean(r, base, AG_CPU) : NAN;
    double bmem = base ? ag__bt_total_mean(r, base, AG_MEMORY) : NAN;
    char dur[32], c[48], g[48];
    ag_err rc;

    if (isfinite(s))
        span_format(s, dur, sizeof dur);
    else
        snprintf(dur, sizeof dur, "0s");
    rc = ag__buf_printf(b, "Had you applied %s over the last %s: ", str0(run->label), dur);
    if (rc == AG_OK && !isfinite(s)) {
        rc = ag__buf_puts(b, "no requests to compare (nothing left after the warm-up)");
    } else if (rc == AG_OK && bm) {
        rc = change_words(b, cpu - bcpu, (mem - bmem) / GIB);
        if (rc == AG_OK)
            rc = ag__buf_printf(b, " on average (baseline: %s cores, %s GiB)",
                                amount(bcpu, 3, c, sizeof c), amount(bmem / GIB, 2, g, sizeof g));
    } else if (rc == AG_OK) {
        rc = ag__buf_printf(b, "%s cores and %s GiB requested on average",
                            amount(cpu, 3, c, sizeof c), amount(mem / GIB, 2, g, sizeof g));
    }
    if (rc == AG_OK)
        rc = ag__buf_printf(b, ", %llu OOM %s", (unsigned long long)m->ooms,
                            plural(m->ooms, "kill", "kills"));
    if (rc == AG_OK && bm)
        rc = ag__buf_printf(b, " (baseline: %llu)", (unsigned long long)bm->ooms);
    if (rc == AG_OK)
        rc = ag__buf_printf(b, ", %llu memory-at-risk %s", (unsigned long long)m->mem_at_risk,
                            plural(m->mem_at_risk, "interval", "intervals"));
    if (rc == AG_OK && bm)
        rc = ag__buf_printf(b, " (baseline: %llu)", (unsigned long long)bm->mem_at_risk);
    if (rc == AG_OK)
        rc = ag__buf_printf(b, ", %llu %s and %llu %s", (unsigned long long)m->evictions,
                            plural(m->evictions, "eviction", "evictions"),
                            (unsigned long long)m->restarts,
                            plural(m->restarts, "restart", "restarts"));
    if (rc == AG_OK && bm)
        rc = ag__buf_printf(b, " (baseline: %llu and %llu)", (unsigned long long)bm->evictions,
                            (unsigned long long)bm->restarts);
    if (rc == AG_OK)
        rc = ag__buf_puts(b, ".");
    return rc;
}

char *ag__bt_requests(int r, double from, double to, int have_from, const char *arrow, char *buf,
                      size_t len)
{
    char a[32], c[32];

    if (!isfinite(to) || (have_from && !isfinite(from))) {
        snprintf(buf, len, "-");
        return buf;
    }
    ag__rep_quantity(r, to, c, sizeof c);
    if (have_from)
        snprintf(buf, len, "%s %s %s", ag__rep_quantity(r, from, a, sizeof a), arrow, c);
    else
        snprintf(buf, len, "%s", c);
    return buf;
}

/* v in whole units as ag_cpu_format / ag_mem_format show it (millicores
 * or Mi, rounded up, at least 1 when positive). */
static double shown_units(int r, double v)
{
    double x = ag__rep_round(r, v);

    if (!(x > 0))
        return 0;
    x = r == AG_CPU ? (double)llround(x * 1000.0) : ceil(x / MIB);
    return x < 1 ? 1 : x;
}

char *ag__bt_change(int r, double from, double to, char *buf, size_t len)
{
    char q[32];
    double d;

    if (!isfinite(from) || !isfinite(to)) {
        snprintf(buf, len, "-");
        return buf;
    }
    d = shown_units(r, to) - shown_units(r, from);
    if (d == 0)
        snprintf(buf, len, "0");
    else
        snprintf(buf, len, "%c%s", d < 0 ? '-' : '+',
                 ag__rep_quantity(r, fabs(d) * (r == AG_CPU ? 0.001 : MIB), q, sizeof q));
    return buf;
}

char *ag__bt_pct(double share, char *buf, size_t len)
{
    if (!isfinite(share))
        snprintf(buf, len, "-");
    else if (share == 0)
        snprintf(buf, len, "0%%");
    else if (fabs(share) < 0.0005)
        snprintf(buf, len, "%s0.1%%", share < 0 ? ">-" : "<");
    else
        snprintf(buf, len, "%.1f%%", share * 100);
    return buf;
}

char *ag__bt_rate(double v, char *buf, size_t len)
{
    if (!isfinite(v))
        snprintf(buf, len, "-");
    else if (v == 0)
        snprintf(buf, len, "0");
    else if (fabs(v) >= 100)
        snprintf(buf, len, "%.0f", v);
    else
        snprintf(buf, len, "%.3g", v);
    return buf;
}

const char *const ag__bt_cmp_headers[AG__BT_NCMP] = {
    "RUN",         "CPU SLACK", "MEM SLACK",        "THROTTLED",
    "CPU AT RISK", "OOMS/CDAY", "MEM AT RISK/CDAY", "DISRUPTIONS/CDAY",
    "CORE-HOURS",  "GIB-HOURS", "REPLAY CPU",
};

void ag__bt_cmp_row(const ag_bt_run *run, char cells[AG__BT_NCMP][AG__BT_CELL])
{
    ag_sim_summary s;

    ag_sim_summarize(&run->total, &s);
    ag__bt_pct(s.cpu_slack, cells[1], AG__BT_CELL);
    ag__bt_pct(s.mem_slack, cells[2], AG__BT_CELL);
    ag__bt_pct(s.cpu_throttled_share, cells[3], AG__BT_CELL);
    ag__bt_pct(s.cpu_at_risk_share, cells[4], AG__BT_CELL);
    ag__bt_rate(s.ooms_per_cday, cells[5], AG__BT_CELL);
    ag__bt_rate(s.mem_at_risk_per_cday, cells[6], AG__BT_CELL);
    ag__bt_rate(s.disruptions_per_cday, cells[7], AG__BT_CELL);
    if (isfinite(s.core_hours))
        snprintf(cells[8], AG__BT_CELL, "%.1f", s.core_hours);
    else
        snprintf(cells[8], AG__BT_CELL, "-");
    if (isfinite(s.gib_hours))
        snprintf(cells[9], AG__BT_CELL, "%.1f", s.gib_hours);
    else
        snprintf(cells[9], AG__BT_CELL, "-");
    if (isfinite(run->seconds))
        snprintf(cells[10], AG__BT_CELL, "%.2fs", run->seconds);
    else
        snprintf(cells[10], AG__BT_CELL, "-");
}

void ag__bt_pareto_xy(const ag_bt_run *sw, int cpu, double *x, double *y)
{
    ag_sim_summary s;

    ag_sim_summarize(&sw->total, &s);
    *x = cpu ? s.cpu_slack : s.mem_slack;
    *y = cpu ? s.cpu_throttled_share : s.ooms_per_cday + s.mem_at_risk_per_cday;
}

ag_err ag__bt_pareto(const ag_bt_report *r, int *mem, int *cpu)
{
    size_t n = r->nsweep, k;
    double *xy;
    int *front;

    if (!n)
        return AG_OK;
    xy = ag__calloc(2 * n, sizeof *xy);
    front = ag__calloc(n, sizeof *front);
    if (!xy || !front) {
        ag__free(xy);
        ag__free(front);
        return AG_ENOMEM;
    }
    for (int c = 0; c < 2; c++) {
        int *out = c ? cpu : mem;
        /* only points with both coordinates defined take part */
        k = 0;
        for (size_t i = 0; i < n; i++) {
            ag__bt_pareto_xy(&r->sweep[i], c, &xy[2 * k], &xy[2 * k + 1]);
            if (isfinite(xy[2 * k]) && isfinite(xy[2 * k + 1]))
                k++;
        }
        if (k)
            ag_sim_pareto(xy, k, 2, front);
        k = 0;
        for (size_t i = 0; i < n; i++) {
            double x, y;
            ag__bt_pareto_xy(&r->sweep[i], c, &x, &y);
            out[i] = isfinite(x) && isfinite(y) ? front[k++] != 0 : 0;
        }
    }
    ag__free(xy);
    ag__free(front);
    return AG_OK;
}

/* ---- table ---- */

#define MAXCOL 14

/* Cells are NUL-terminated strings in one buffer (offset 0 is the empty
 * string, what a cell never set shows); rows hold offsets because the
 * buffer moves as it grows. */
typedef struct tab {
    ag_buf cells;
    size_t *off; /* nrows x ncol */
    size_t nrows, cap;
    int ncol;
    unsigned right; /* bit c: column c is right-aligned */
    size_t width[MAXCOL];
} tab;

static ag_err tab_init(tab *t, int ncol, unsigned right)
{
    memset(t, 0, sizeof *t);
    t->ncol = ncol;
    t->right = right;
    ag__buf_init(&t->cells, (size_t)1 << 30);
    return ag__buf_append(&t->cells, "", 1);
}

static void tab_free(tab *t)
{
    ag__buf_free(&t->cells);
    ag__free(t->off);
}

static ag_err tab_row(tab *t)
{
    size_t need = (t->nrows + 1) * (size_t)t->ncol;

    if (ag__grow((void **)&t->off, &t->cap, need, sizeof *t->off) != 0)
        return AG_ENOMEM;
    memset(&t->off[t->nrows * (size_t)t->ncol], 0, (size_t)t->ncol * sizeof *t->off);
    t->nrows++;
    return AG_OK;
}

/* Sets cell col of the last row; control characters become '?' so that
 * a name cannot break the layout or send terminal escapes. */
static ag_err tab_cell(tab *t, int col, const char *s)
{
    size_t off = t->cells.len, w;
    ag_err rc = ag__buf_append(&t->cells, s, strlen(s) + 1);

    if (rc != AG_OK)
        return rc;
    for (char *p = t->cells.p + off; *p; p++)
        if ((unsigned char)*p < 0x20 || *p == 0x7f)
            *p = '?';
    t->off[(t->nrows - 1) * (size_t)t->ncol + (size_t)col] = off;
    w = ag__rep_text_width(t->cells.p + off);
    if (w > t->width[col])
        t->width[col] = w;
    return AG_OK;
}

static ag_err tab_cells(tab *t, const char *const *cells, int n)
{
    ag_err rc = tab_row(t);

    for (int c = 0; rc == AG_OK && c < n; c++)
        rc = tab_cell(t, c, cells[c]);
    return rc;
}

static void tab_print(ag__wr *w, const tab *t)
{
    for (size_t i = 0; w->rc == AG_OK && i < t->nrows; i++) {
        for (int c = 0; c < t->ncol; c++) {
            const char *s = t->cells.p + t->off[i * (size_t)t->ncol + (size_t)c];
            int pad = (int)(t->width[c] - ag__rep_text_width(s)), last = c + 1 == t->ncol;
            if (t->right >> c & 1)
                ag__wr_printf(w, "%*s%s", pad, "", s);
            else
                ag__wr_printf(w, "%s%*s", s, last ? 0 : pad, "");
            ag__wr_puts(w, last ? "\n" : "  ");
        }
        ag__wr_flush(w, AG__REP_CHUNK);
    }
}

enum {
    C_NS,
    C_WL,
    C_CONT,
    C_REPL,
    C_CPU,
    C_CPU_CHG,
    C_MEM,
    C_MEM_CHG,
    C_OOM,
    C_RISK,
    C_DISR,
    C_THR,
    C_CSLACK,
    C_MSLACK,
    NCOL
};

static const char *const wl_headers[NCOL] = {
    "NAMESPACE",     "WORKLOAD",         "CONTAINER",     "REPLICAS",  "CPU REQUESTED",
    "CPU CHANGE",    "MEMORY REQUESTED", "MEMORY CHANGE", "OOM KILLS", "MEM AT RISK",
    "EVICT+RESTART", "THROTTLED",        "CPU SLACK",     "MEM SLACK",
};

static ag_err wl_row(tab *t, const ag_bt_report *r, size_t i)
{
    const ag_sim_result *res = &r->runs[0].results[i];
    const ag_sim_result *base = r->baseline ? &r->baseline->results[i] : NULL;
    const ag_wcontainer *wc = res->wc;
    char cell[NCOL][96];
    const char *cells[NCOL];
    ag_sim_summary sum;
    ag_buf wl;
    ag_err rc;

    ag_sim_summarize(&res->m, &sum);
    ag__buf_init(&wl, 0);
    if (wc->kind && *wc->kind)
        rc = ag__buf_printf(&wl, "%s/%s", wc->kind, str0(wc->name));
    else
        rc = ag__buf_puts(&wl, str0(wc->name));
    snprintf(cell[C_REPL], sizeof cell[C_REPL], "%zu", wc->n);
    for (int k = 0; k < AG_NRES; k++) {
        double to = ag__bt_mean(r, i, &res->m, k);
        double from = base ? ag__bt_mean(r, i, &base->m, k) : NAN;
        int col = k == AG_CPU ? C_CPU : C_MEM;
        ag__bt_requests(k, from, to, base != NULL, "->", cell[col], sizeof cell[col]);
        ag__bt_change(k, from, to, cell[col + 1], sizeof cell[col + 1]);
    }
    snprintf(cell[C_OOM], sizeof cell[C_OOM], "%llu", (unsigned long long)res->m.ooms);
    snprintf(cell[C_RISK], sizeof cell[C_RISK], "%llu", (unsigned long long)res->m.mem_at_risk);
    snprintf(cell[C_DISR], sizeof cell[C_DISR], "%llu+%llu", (unsigned long long)res->m.evictions,
             (unsigned long long)res->m.restarts);
    ag__bt_pct(sum.cpu_throttled_share, cell[C_THR], sizeof cell[C_THR]);
    ag__bt_pct(sum.cpu_slack, cell[C_CSLACK], sizeof cell[C_CSLACK]);
    ag__bt_pct(sum.mem_slack, cell[C_MSLACK], sizeof cell[C_MSLACK]);
    for (int c = 0; c < NCOL; c++)
        cells[c] = cell[c];
    cells[C_NS] = str0(wc->ns);
    cells[C_WL] = wl.p ? wl.p : "";
    cells[C_CONT] = str0(wc->container);
    if (rc == AG_OK)
        rc = tab_cells(t, cells, NCOL);
    ag__buf_free(&wl);
    return rc;
}

static ag_err compare_table(ag__wr *w, const ag_bt_report *r)
{
    char cell[AG__BT_NCMP][AG__BT_CELL], label[512];
    const char *cells[AG__BT_NCMP];
    tab t;
    ag_err rc = tab_init(&t, AG__BT_NCMP, ~1u);

    for (int c = 0; c < AG__BT_NCMP; c++)
        cells[c] = cell[c];
    cells[0] = label;
    if (rc == AG_OK)
        rc = tab_cells(&t, ag__bt_cmp_headers, AG__BT_NCMP);
    for (size_t k = 0; rc == AG_OK && k <= r->nruns; k++) {
        const ag_bt_run *run = k == 0 ? r->baseline : &r->runs[k - 1];
        if (!run)
            continue;
        ag__bt_cmp_row(run, cell);
        snprintf(label, sizeof label, "%s%s", str0(run->label),
                 k == 0   ? " (baseline)"
                 : k == 1 ? " *"
                          : "");
        rc = tab_cells(&t, cells, AG__BT_NCMP);
    }
    if (rc == AG_OK)
        tab_print(w, &t);
    else
        w->rc = rc;
    tab_free(&t);
    return w->rc;
}

/* A run's description on its own line: "run: <desc>". */
static void run_line(ag__wr *w, const char *what, const ag_bt_run *run)
{
    ag__wr_puts(w, what);
    if (w->rc == AG_OK)
        w->rc = ag__bt_run_desc(&w->b, run);
}

static ag_err write_table(ag__wr *w, const ag_bt_report *r)
{
    size_t n = r->nruns ? r->runs[0].n : 0;
    tab t;
    ag_err rc;

    ag__wr_puts(w, "augur backtest: ");
    if (w->rc == AG_OK)
        w->rc = ag__bt_window_desc(&w->b, r);
    ag__wr_puts(w, "\n");
    if (!r->nruns) {
        ag__wr_puts(w, "no runs to report\n");
        return w->rc;
    }
    run_line(w, "run: ", &r->runs[0]);
    if (r->baseline)
        run_line(w, ", against the baseline ", r->baseline);
    ag__wr_printf(w, "; %zu workload-container%s\n", n, n == 1 ? "" : "s");
    if (!n) {
        ag__wr_puts(w, "\nno workload-containers were replayed\n");
    } else {
        rc =
            tab_init(&t, NCOL,
                     1u << C_REPL | 1u << C_CPU_CHG | 1u << C_MEM_CHG | 1u << C_OOM | 1u << C_RISK |
                         1u << C_DISR | 1u << C_THR | 1u << C_CSLACK | 1u << C_MSLACK);
        if (rc == AG_OK)
            rc = tab_cells(&t, wl_headers, NCOL);
        for (size_t i = 0; rc == AG_OK && i < n; i++)
            rc = wl_row(&t, r, i);
        ag__wr_puts(w, "\n");
        if (rc == AG_OK)
            tab_print(w, &t);
        else
            w->rc = rc;
        tab_free(&t);
        ag__wr_printf(w,
                      "\nrequested: the mean request of all live replicas over each "
                      "workload-container's time after its warm-up%s; OOM kills, memory-at-risk "
                      "intervals, evictions+restarts, throttled share of CPU demand and slack "
                      "(share of the request not used) are %s's.\n",
                      r->baseline ? ", baseline -> run; change: run - baseline" : "",
                      str0(r->runs[0].label));
    }
    ag__wr_puts(w, "\n");
    if (w->rc == AG_OK)
        w->rc = ag__bt_sentence(&w->b, r);
    ag__wr_puts(w, "\n\n");
    if (w->rc == AG_OK)
        compare_table(w, r);
    ag__wr_puts(w, "* the run asked for. Throttled / CPU at risk: share of CPU demand above the "
                   "limit / the request; /cday: per container-day; core-hours and GiB-hours "
                   "requested; replay CPU: the time the replay took.\n");
    return w->rc;
}

/* ---- json ---- */

/* A JSON writer in the layout of Python's json.dumps(indent=2). */
typedef struct jw {
    ag__wr *w;
    int depth;
    int count[16]; /* values written so far at each depth */
} jw;

static void j_sep(jw *j)
{
    ag__wr *w = j->w;
    ag__wr_printf(w, "%s\n%*s", j->count[j->depth]++ ? "," : "", 2 * j->depth, "");
}

static void j_key(jw *j, const char *key)
{
    if (j->depth > 0)
        j_sep(j);
    if (key) {
        if (j->w->rc == AG_OK)
            j->w->rc = ag__buf_json_str(&j->w->b, key);
        ag__wr_puts(j->w, ": ");
    }
}

static void j_open(jw *j, const char *key, char c)
{
    j_key(j, key);
    ag__wr_printf(j->w, "%c", c);
    j->count[++j->depth] = 0;
}

static void j_close(jw *j, char c)
{
    int had = j->count[j->depth--];
    if (had)
        ag__wr_printf(j->w, "\n%*s", 2 * j->depth, "");
    ag__wr_printf(j->w, "%c", c);
}

static void j_num(jw *j, const char *key, double v)
{
    j_key(j, key);
    if (j->w->rc == AG_OK)
        j->w->rc = ag__rep_num(&j->w->b, v);
}

static void j_u64(jw *j, const char *key, uint64_t v)
{
    j_key(j, key);
    ag__wr_printf(j->w, "%llu", (unsigned long long)v);
}

static void j_str(jw *j, const char *key, const char *s)
{
    j_key(j, key);
    if (!s)
        ag__wr_puts(j->w, "null");
    else if (j->w->rc == AG_OK)
        j->w->rc = ag__buf_json_str(&j->w->b, s);
}

static void j_bool(jw *j, const char *key, int v)
{
    j_key(j, key);
    ag__wr_puts(j->w, v ? "true" : "false");
}

static void j_metrics(jw *j, const ag_sim_metrics *m)
{
    j_num(j, "container_seconds", m->container_seconds);
    j_num(j, "cpu_demand", m->cpu_demand);
    j_num(j, "cpu_used", m->cpu_used);
    j_num(j, "cpu_requested", m->cpu_requested);
    j_num(j, "cpu_idle_request", m->cpu_idle_request);
    j_num(j, "cpu_throttled", m->cpu_throttled);
    j_num(j, "cpu_at_risk", m->cpu_at_risk);
    j_num(j, "cpu_lost", m->cpu_lost);
    j_num(j, "mem_demand", m->mem_demand);
    j_num(j, "mem_requested", m->mem_requested);
    j_num(j, "mem_idle_request", m->mem_idle_request);
    j_num(j, "mem_lost", m->mem_lost);
    j_num(j, "down_seconds", m->down_seconds);
    j_u64(j, "intervals", m->intervals);
    j_u64(j, "ooms", m->ooms);
    j_u64(j, "mem_at_risk", m->mem_at_risk);
    j_u64(j, "evictions", m->evictions);
    j_u64(j, "restarts", m->restarts);
    j_u64(j, "resizes", m->resizes);
    j_u64(j, "disruptions", m->disruptions);
    j_u64(j, "decisions", m->decisions);
}

static void j_summary(jw *j, const ag_sim_metrics *m)
{
    ag_sim_summary s;

    ag_sim_summarize(m, &s);
    j_num(j, "cpu_slack", s.cpu_slack);
    j_num(j, "mem_slack", s.mem_slack);
    j_num(j, "cpu_throttled_share", s.cpu_throttled_share);
    j_num(j, "cpu_at_risk_share", s.cpu_at_risk_share);
    j_num(j, "ooms_per_cday", s.ooms_per_cday);
    j_num(j, "mem_at_risk_per_cday", s.mem_at_risk_per_cday);
    j_num(j, "disruptions_per_cday", s.disruptions_per_cday);
    j_num(j, "core_hours", s.core_hours);
    j_num(j, "gib_hours", s.gib_hours);
    j_num(j, "container_days", s.container_days);
}

/* Every figure of m: the sums, the summary, and the means over secs
 * (the time after the warm-up; for a total, the sums of the results'). */
static void j_figures(jw *j, const ag_sim_metrics *m, double secs, const double mean[3])
{
    j_metrics(j, m);
    j_summary(j, m);
    j_num(j, "span_s", secs);
    j_num(j, "mean_cpu_request", mean[AG_CPU]);
    j_num(j, "mean_mem_request", mean[AG_MEMORY]);
    j_num(j, "mean_replicas", mean[2]);
}

static void j_head(jw *j, const ag_bt_run *run)
{
    j_str(j, "label", str0(run->label));
    j_str(j, "algorithm", run->algorithm);
    j_str(j, "policy", run->policy);
    j_open(j, "knob", '{');
    j_str(j, "name", run->knob_name);
    j_num(j, "value", run->knob);
    j_close(j, '}');
    j_num(j, "replay_cpu_s", run->seconds);
}

static void j_resources(jw *j, const char *key, const double *v)
{
    j_open(j, key, '{');
    j_num(j, "cpu", v[AG_CPU]);
    j_num(j, "memory", v[AG_MEMORY]);
    j_close(j, '}');
}

/* The workload-container of result i of run: its own, else runs[0]'s
 * (results are index-aligned); NULL when neither names it. */
static const ag_wcontainer *wc_of(const ag_bt_report *r, const ag_bt_run *run, size_t i)
{
    if (run->results[i].wc)
        return run->results[i].wc;
    return r->nruns && i < r->runs[0].n ? r->runs[0].results[i].wc : NULL;
}

static void j_run(jw *j, const char *key, const ag_bt_report *r, const ag_bt_run *run)
{
    double mean[3];

    for (int k = 0; k < 3; k++)
        mean[k] = ag__bt_total_mean(r, run, k);
    j_open(j, key, '{');
    j_head(j, run);
    j_open(j, "total", '{');
    j_figures(j, &run->total, ag__bt_seconds(r), mean);
    j_close(j, '}');
    j_open(j, "workloads", '[');
    for (size_t i = 0; i < run->n && j->w->rc == AG_OK; i++) {
        const ag_sim_result *res = &run->results[i];
        const ag_wcontainer *wc = wc_of(r, run, i);
        for (int k = 0; k < 3; k++)
            mean[k] = ag__bt_mean(r, i, &res->m, k);
        j_open(j, NULL, '{');
        j_str(j, "namespace", wc ? str0(wc->ns) : "");
        j_open(j, "workload", '{');
        j_str(j, "kind", wc ? str0(wc->kind) : "");
        j_str(j, "name", wc ? str0(wc->name) : "");
        j_close(j, '}');
        j_str(j, "container", wc ? str0(wc->container) : "");
        j_u64(j, "replicas", wc ? wc->n : 0);
        j_figures(j, &res->m, ag__bt_span(r, i), mean);
        j_resources(j, "first_request", res->first_request);
        j_resources(j, "last_request", res->last_request);
        j_close(j, '}');
        ag__wr_flush(j->w, AG__REP_CHUNK);
    }
    j_close(j, ']');
    j_close(j, '}');
}

static ag_err write_json(ag__wr *w, const ag_bt_report *r)
{
    jw j = {w, 0, {0}};
    int *front = NULL;
    ag_err rc;

    if (r->nsweep) {
        front = ag__calloc(2 * r->nsweep, sizeof *front);
        if (!front)
            return AG_ENOMEM;
    }
    rc = ag__bt_pareto(r, front, front ? front + r->nsweep : NULL);
    if (rc != AG_OK) {
        ag__free(front);
        return rc;
    }
    j_open(&j, NULL, '{');
    j_open(&j, "window", '{');
    j_num(&j, "start", (double)r->start_ms / 1000.0);
    j_num(&j, "end", (double)r->end_ms / 1000.0);
    j_num(&j, "warmup_s", (double)r->warmup_ms / 1000.0);
    j_num(&j, "span_s", ag__bt_seconds(r));
    j_close(&j, '}');
    j_str(&j, "mode", r->mode);
    j_str(&j, "limits", r->limits);
    j_str(&j, "source", r->source);
    if (r->baseline) {
        j_run(&j, "baseline", r, r->baseline);
    } else {
        j_key(&j, "baseline");
        ag__wr_puts(w, "null");
    }
    j_open(&j, "runs", '[');
    for (size_t k = 0; k < r->nruns; k++)
        j_run(&j, NULL, r, &r->runs[k]);
    j_close(&j, ']');
    j_open(&j, "sweep", '[');
    for (size_t k = 0; k < r->nsweep; k++) {
        const ag_bt_run *sw = &r->sweep[k];
        j_open(&j, NULL, '{');
        j_head(&j, sw);
        j_open(&j, "summary", '{');
        j_summary(&j, &sw->total);
        j_close(&j, '}');
        j_bool(&j, "pareto_front", front[k] || front[r->nsweep + k]);
        j_open(&j, "pareto", '{');
        j_bool(&j, "memory", front[k]);
        j_bool(&j, "cpu", front[r->nsweep + k]);
        j_close(&j, '}');
        j_close(&j, '}');
        ag__wr_flush(w, AG__REP_CHUNK);
    }
    j_close(&j, ']');
    j_close(&j, '}');
    ag__wr_puts(w, "\n");
    ag__free(front);
    return w->rc;
}

ag_err ag_report_backtest(FILE *f, ag_format fmt, const ag_bt_report *r)
{
    ag__wr w;
    ag_err rc;

    if (!f || (fmt != AG_FMT_TABLE && fmt != AG_FMT_JSON))
        return AG_EINVAL;
    rc = ag__bt_check(r);
    if (rc != AG_OK)
        return rc;
    ag__wr_init(&w, f);
    rc = fmt == AG_FMT_JSON ? write_json(&w, r) : write_table(&w, r);
    /* a failure outside w (out of memory) writes nothing more and is the
     * one returned */
    if (rc != AG_OK)
        w.rc = rc;
    return ag__wr_close(&w);
}
