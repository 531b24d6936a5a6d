/*
 * report/table.c - the human-readable report: one aligned line per
 * workload-container with the current and recommended request and limit
 * in Kubernetes units, the change, footnotes for resources without a
 * recommendation, then per-namespace and cluster totals of what the
 * recommendation frees (negative) or needs (positive), summed over pods.
 *
 * The table is built in two passes (cells first, then widths from the
 * content), so all cells of the report are held in one buffer.
 */
#include <math.h>
#include <string.h>
#include "augur/util.h"
#include "report/report_int.h"
#include "util/alloc.h"

#define NCOL 10
#define MIB 1048576.0
#define GIB 1073741824.0

enum {
    C_NS,
    C_WL,
    C_CONT,
    C_PODS,
    C_CPU_REQ,
    C_CPU_CHG,
    C_CPU_LIM,
    C_MEM_REQ,
    C_MEM_CHG,
    C_MEM_LIM
};

static const char *const headers[NCOL] = {
    "NAMESPACE",  "WORKLOAD",  "CONTAINER",      "PODS",          "CPU REQUEST",
    "CPU CHANGE", "CPU LIMIT", "MEMORY REQUEST", "MEMORY CHANGE", "MEMORY LIMIT",
};

/* Cells are NUL-terminated strings in one buffer; rows hold offsets
 * because the buffer moves as it grows. Row 0 is the header. */
typedef struct table {
    ag_buf cells;
    size_t (*rows)[NCOL];
    size_t nrows;
    size_t width[NCOL];
    int note[AG_NRES + 1]; /* footnote number per ag_rec_status, 0 = unused */
    int nnotes;
} table;

/* Per-namespace sums of the change times pods. */
typedef struct total {
    const char *ns; /* NULL for the cluster */
    double cpu_milli, mem_bytes;
    size_t pods, skipped;
} total;

/* Display width: UTF-8 continuation bytes take no column. */
static size_t text_width(const char *s)
{
    size_t w = 0;
    for (; *s; s++)
        w += ((unsigned char)*s & 0xC0) != 0x80;
    return w;
}

/* Adds cell col of the current (last) row; control characters become '?'
 * so that a name cannot break the layout or send terminal escapes. */
static ag_err add_cell(table *t, int col, const char *s)
{
    size_t off = t->cells.len;
    ag_err rc = ag__buf_append(&t->cells, s, strlen(s) + 1);
    size_t w;

    if (rc != AG_OK)
        return rc;
    for (char *p = t->cells.p + off; *p; p++)
        if ((unsigned char)*p < 0x20 || *p == 0x7f)
            *p = '?';
    t->rows[t->nrows - 1][col] = off;
    w = text_width(t->cells.p + off);
    if (w > t->width[col])
        t->width[col] = w;
    return AG_OK;
}

static const char *cell(const table *t, size_t row, int col)
{
    return t->cells.p + t->rows[row][col];
}

/* "0", "+1.25", "-3.5": v with at most decimals digits, trailing zeros
 * dropped, a sign unless it shows as zero. */
static char *fmt_signed(double v, int decimals, char *buf, size_t len)
{
    char tmp[64];
    char *dot;
    size_t n;

    snprintf(tmp, sizeof tmp, "%.*f", decimals, fabs(v));
    dot = strchr(tmp, '.');
    if (dot) {
        n = strlen(tmp);
        while (n > 0 && tmp[n - 1] == '0')
            tmp[--n] = '\0';
        if (tmp[n - 1] == '.')
            tmp[--n] = '\0';
    }
    if (strcmp(tmp, "0") == 0)
        snprintf(buf, len, "0");
    else
        snprintf(buf, len, "%c%s", v < 0 ? '-' : '+', tmp);
    return buf;
}

/* The change of resource r in the unit the table shows: millicores for
 * CPU, whole Mi for memory (the difference of the two cells as shown). */
static double shown_change(int r, double rec, double cur)
{
    if (r == AG_CPU)
        return (double)llround((rec - cur) * 1000.0);
    return ceil(rec / MIB) - ceil(cur / MIB);
}

static ag_err resource_cells(table *t, const ag_report_item *it, int r, int col)
{
    char a[48], b[48], s[128];
    double cur = ag__rep_cur_request(it, r), rec = ag__rep_rec(it, r, AG__F_TARGET);
    double curl = ag__rep_cur_limit(it, r), recl = ag__rep_rec(it, r, AG__F_LIMIT);
    ag_rec_status st = it->rec.status[r];
    int ok = st == AG_REC_OK && isfinite(rec);
    ag_err rc;

    if (!isnan(cur))
        ag__rep_quantity(r, cur, a, sizeof a);
    else
        snprintf(a, sizeof a, "-");
    if (ok) {
        snprintf(s, sizeof s, "%s -> %s", a, ag__rep_quantity(r, rec, b, sizeof b));
    } else {
        int k = (int)st <= AG_NRES ? (int)st : AG_NRES;
        if (!t->note[k])
            t->note[k] = ++t->nnotes;
        snprintf(s, sizeof s, "%s -> ?[%d]", a, t->note[k]);
    }
    rc = add_cell(t, col, s);

    if (!ok) {
        snprintf(s, sizeof s, "?");
    } else if (isnan(cur)) {
        snprintf(s, sizeof s, "new");
    } else {
        double d = shown_change(r, rec, cur);
        double unit = r == AG_CPU ? 0.001 : MIB;
        if (d == 0)
            snprintf(s, sizeof s, "0");
        else
            snprintf(s, sizeof s, "%c%s", d < 0 ? '-' : '+',
                     ag__rep_quantity(r, fabs(d) * unit, b, sizeof b));
    }
    if (rc == AG_OK)
        rc = add_cell(t, col + 1, s);

    if (!isnan(curl))
        ag__rep_quantity(r, curl, a, sizeof a);
    else
        snprintf(a, sizeof a, "-");
    if (!ok)
        snprintf(b, sizeof b, "?");
    else if (!isnan(recl))
        ag__rep_quantity(r, recl, b, sizeof b);
    else
        snprintf(b, sizeof b, "-");
    if (strcmp(a, "-") == 0 && strcmp(b, "-") == 0)
        snprintf(s, sizeof s, "-");
    else
        snprintf(s, sizeof s, "%s -> %s", a, b);
    if (rc == AG_OK)
        rc = add_cell(t, col + 2, s);
    return rc;
}

static ag_err add_row(table *t, size_t cap_rows, const ag_report_item *it)
{
    const ag_wcontainer *wc = it->wc;
    ag_buf wl;
    char pods[32];
    ag_err rc;

    if (t->nrows >= cap_rows)
        return AG_EINVAL;
    t->nrows++;
    ag__buf_init(&wl, 0);
    rc = ag__buf_printf(&wl, "%s/%s", wc->kind, wc->name);
    if (rc == AG_OK)
        rc = add_cell(t, C_NS, wc->ns);
    if (rc == AG_OK)
        rc = add_cell(t, C_WL, wl.p);
    if (rc == AG_OK)
        rc = add_cell(t, C_CONT, wc->container);
    snprintf(pods, sizeof pods, "%zu", wc->n);
    if (rc == AG_OK)
        rc = add_cell(t, C_PODS, pods);
    if (rc == AG_OK)
        rc = resource_cells(t, it, AG_CPU, C_CPU_REQ);
    if (rc == AG_OK)
        rc = resource_cells(t, it, AG_MEMORY, C_MEM_REQ);
    ag__buf_free(&wl);
    return rc;
}

static ag_err print_table(ag_buf *out, FILE *f, const table *t, int color)
{
    ag_err rc = AG_OK;

    for (size_t i = 0; rc == AG_OK && i < t->nrows; i++) {
        for (int c = 0; rc == AG_OK && c < NCOL; c++) {
            const char *s = cell(t, i, c);
            size_t pad = t->width[c] - text_width(s);
            const char *on = "";
            if (color && i > 0 && (c == C_CPU_CHG || c == C_MEM_CHG))
                on = s[0] == '+' ? "\033[31m" : s[0] == '-' ? "\033[32m" : "";
            if (c == C_PODS && i > 0) /* numbers right-aligned */
                rc = ag__buf_printf(out, "%*s%s", (int)pad, "", s);
            else if (c + 1 == NCOL) /* no trailing blanks */
                rc = ag__buf_printf(out, "%s%s%s", on, s, *on ? "\033[0m" : "");
            else
                rc = ag__buf_printf(out, "%s%s%s%*s", on, s, *on ? "\033[0m" : "", (int)pad, "");
            if (rc == AG_OK)
                rc = ag__buf_puts(out, c + 1 < NCOL ? "  " : "\n");
        }
        if (rc == AG_OK)
            rc = ag__rep_flush(f, out, AG__REP_CHUNK);
    }
    return rc;
}

static ag_err print_notes(ag_buf *out, const table *t, const char *algorithm)
{
    ag_err rc = AG_OK;

    if (t->nnotes)
        rc = ag__buf_puts(out, "\n");
    for (int k = 1; rc == AG_OK && k <= t->nnotes; k++) {
        if (t->note[AG_REC_NO_DATA] == k)
            rc = ag__buf_printf(out, "[%d] no data: no usage samples in the history window\n", k);
        else if (t->note[AG_REC_NOT_ENOUGH] == k)
            rc = ag__buf_printf(out,
                                "[%d] not enough data: fewer samples than the %s algorithm "
                                "requires\n",
                                k, algorithm);
        else
            rc = ag__buf_printf(out, "[%d] no recommendation\n", k);
    }
    return rc;
}

/* Adds one item's change times pods to tot. A resource without a
 * recommendation or without a known current request is not counted. */
static void add_total(total *tot, const ag_report_item *it)
{
    tot->pods += it->wc->n;
    for (int r = 0; r < AG_NRES; r++) {
        double cur = ag__rep_cur_request(it, r), rec = ag__rep_rec(it, r, AG__F_TARGET);
        if (isnan(cur) || isnan(rec)) {
            tot->skipped++;
            continue;
        }
        if (r == AG_CPU)
            tot->cpu_milli += (double)llround((rec - cur) * 1000.0) * (double)it->wc->n;
        else
            tot->mem_bytes += (rec - cur) * (double)it->wc->n;
    }
}

static ag_err print_total(ag_buf *out, const total *tot)
{
    char c[64], m[64];
    ag_err rc;

    fmt_signed(tot->cpu_milli / 1000.0, 3, c, sizeof c);
    fmt_signed(tot->mem_bytes / GIB, 2, m, sizeof m);
    if (tot->ns) {
        size_t off = out->len;
        rc = ag__buf_printf(out, "%s: ", tot->ns);
        for (size_t i = off; rc == AG_OK && i < out->len; i++)
            if ((unsigned char)out->p[i] < 0x20 || out->p[i] == 0x7f)
                out->p[i] = '?';
    } else {
        rc = ag__buf_puts(out, "cluster total: ");
    }
    if (rc == AG_OK)
        rc = ag__buf_printf(out, "%s cores, %s GiB requested (%zu containers x pods", c, m,
                            tot->pods);
    if (rc == AG_OK && tot->skipped)
        rc = ag__buf_printf(out,
                            "; %zu value%s not counted: no recommendation or no current "
                            "request",
                            tot->skipped, tot->skipped == 1 ? "" : "s");
    if (rc == AG_OK)
        rc = ag__buf_puts(out, ")\n");
    return rc;
}

/* Namespace totals in order of first appearance, then the cluster. */
static ag_err print_totals(ag_buf *out, const ag_report_item *items, size_t n)
{
    total *tots = NULL, all = {0};
    size_t nt = 0, cap = 0;
    ag_err rc = AG_OK;

    for (size_t i = 0; i < n; i++) {
        size_t k = 0;
        while (k < nt && strcmp(tots[k].ns, items[i].wc->ns) != 0)
            k++;
        if (k == nt) {
            if (ag__grow((void **)&tots, &cap, nt + 1, sizeof *tots) != 0) {
                rc = AG_ENOMEM;
                goto out;
            }
            memset(&tots[nt], 0, sizeof *tots);
            tots[nt++].ns = items[i].wc->ns;
        }
        add_total(&tots[k], &items[i]);
        add_total(&all, &items[i]);
    }
    rc = ag__buf_puts(out, "\n");
    for (size_t k = 0; rc == AG_OK && k < nt; k++)
        rc = print_total(out, &tots[k]);
    if (rc == AG_OK)
        rc = print_total(out, &all);
out:
    ag__free(tots);
    return rc;
}

ag_err ag__rep_table(FILE *f, const ag_report_item *items, size_t n, const ag_report_opts *o)
{
    table t;
    ag_buf out;
    ag_err rc = AG_OK;

    memset(&t, 0, sizeof t);
    ag__buf_init(&t.cells, (size_t)1 << 30);
    ag__buf_init(&out, 0);
    if (n == 0) {
        rc = ag__buf_puts(&out, "no workload-containers to report\n");
        goto flush;
    }
    if (n >= ((size_t)-1) / sizeof *t.rows - 1) {
        rc = AG_ENOMEM;
        goto out;
    }
    t.rows = ag__calloc(n + 1, sizeof *t.rows);
    if (!t.rows) {
        rc = AG_ENOMEM;
        goto out;
    }
    t.nrows = 1;
    for (int c = 0; rc == AG_OK && c < NCOL; c++)
        rc = add_cell(&t, c, headers[c]);
    for (size_t i = 0; rc == AG_OK && i < n; i++)
        rc = add_row(&t, n + 1, &items[i]);
    if (rc == AG_OK)
        rc = print_table(&out, f, &t, o->color);
    if (rc == AG_OK)
        rc = print_notes(&out, &t, o->algorithm ? o->algorithm : "chosen");
    if (rc == AG_OK)
        rc = print_totals(&out, items, n);
flush:
    if (rc == AG_OK)
        rc = ag__rep_flush(f, &out, 0);
out:
    ag__free(t.rows);
    ag__buf_free(&t.cells);
    ag__buf_free(&out);
    return rc;
}
