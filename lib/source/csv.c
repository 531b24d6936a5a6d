/*
 * source/csv.c - reader of the long CSV history format:
 *
 *   timestamp,namespace,pod,container,cpu_cores,memory_bytes
 *   [,cpu_request_cores,memory_request_bytes,cpu_limit_cores,memory_limit_bytes]
 *
 * The simplest way to feed augur from any monitoring system: one row per
 * container and instant. Columns are matched by name in any order and
 * unknown ones ignored, so exports with extra columns work unchanged.
 * Fields may be quoted ("a,b", "" for a quote) but not span lines. A bad
 * row is reported as "file:line: what" and skipped; a missing header or
 * required column makes the whole input unusable and is an error.
 */
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include "augur/source.h"
#include "augur/util.h"
#include "source/read_int.h"
#include "util/alloc.h"

enum col {
    C_TS,
    C_NS,
    C_POD,
    C_CTR,
    C_CPU,
    C_MEM,
    C_CPU_REQ,
    C_MEM_REQ,
    C_CPU_LIM,
    C_MEM_LIM,
    C_N
};
#define C_REQUIRED 6 /* the first six columns must be present */

static const char *const col_names[C_N] = {
    "timestamp",
    "namespace",
    "pod",
    "container",
    "cpu_cores",
    "memory_bytes",
    "cpu_request_cores",
    "memory_request_bytes",
    "cpu_limit_cores",
    "memory_limit_bytes",
};

typedef struct csv {
    ag_dataset *ds;
    ag_ingest_stats *st;
    ag__rd_warner w;
    uint64_t line;
    char *scratch; /* unquoted fields of the current line, NUL-separated */
    size_t scratch_cap;
    const char **f; /* fields of the current line, into scratch */
    size_t nf, f_cap;
    int idx[C_N]; /* field index of each column, -1 when absent */
    size_t ncols; /* fields in the header */
    ag__rd_ccache cc; /* the last container looked up */
} csv;

#define bad(o, near, nlen, ...)                                                                    \
    do {                                                                                           \
        (o)->st->malformed++;                                                                      \
        ag__rd_warn(&(o)->w, (o)->line, (near), (nlen), __VA_ARGS__);                              \
    } while (0)

static int is_space(char c)
{
    return c == ' ' || c == '\t';
}

static int push_field(csv *o, const char *f)
{
    if (o->nf == o->f_cap && ag__grow((void **)&o->f, &o->f_cap, o->nf + 1, sizeof *o->f) != 0)
        return -1;
    o->f[o->nf++] = f;
    return 0;
}

/* Splits s[0..n) into o->f. Returns 0, 1 when malformed (*why, *at set),
 * -1 when out of memory. Unquoted fields are trimmed of blanks. */
static int split(csv *o, const char *s, size_t n, const char **why, size_t *at)
{
    char *out;
    size_t p = 0;

    if (n + 1 > o->scratch_cap && ag__grow((void **)&o->scratch, &o->scratch_cap, n + 1, 1) != 0)
        return -1;
    out = o->scratch;
    o->nf = 0;
    for (;;) {
        char *start = out;
        while (p < n && is_space(s[p]))
            p++;
        if (p < n && s[p] == '"') {
            size_t q = p++;
            for (;;) {
                if (p >= n) {
                    *why = "unterminated quoted field";
                    *at = q;
                    return 1;
                }
                if (s[p] == '"') {
                    if (p + 1 < n && s[p + 1] == '"') {
                        *out++ = '"';
                        p += 2;
                        continue;
                    }
                    p++;
                    break;
                }
                if (s[p] == '\0')
                    goto nul;
                *out++ = s[p++];
            }
            while (p < n && is_space(s[p]))
                p++;
            if (p < n && s[p] != ',') {
                *why = "unexpected text after a quoted field";
                *at = p;
                return 1;
            }
        } else {
            while (p < n && s[p] != ',') {
                if (s[p] == '\0')
                    goto nul;
                *out++ = s[p++];
            }
            while (out > start && is_space(out[-1]))
                out--;
        }
        *out++ = '\0';
        if (push_field(o, start) != 0)
            return -1;
        if (p < n && s[p] == ',') {
            p++;
            continue;
        }
        return 0;
    }
nul:
    *why = "NUL byte in a field";
    *at = p;
    return 1;
}

/* Reads the header row from o->f. AG_EPARSE naming a missing column. */
static ag_err header(csv *o, ag_errinfo *ei)
{
    size_t i;
    int c;

    for (c = 0; c < C_N; c++)
        o->idx[c] = -1;
    for (i = 0; i < o->nf; i++) {
        for (c = 0; c < C_N; c++) {
            if (o->idx[c] < 0 && strcasecmp(o->f[i], col_names[c]) == 0) {
                o->idx[c] = (int)i;
                break;
            }
        }
    }
    for (c = 0; c < C_REQUIRED; c++) {
        if (o->idx[c] < 0) {
            ag_errinfo_set(ei,
                           "%s:%llu: the CSV header lacks the column '%s' (expected "
                           "timestamp,namespace,pod,container,cpu_cores,memory_bytes)",
                           o->w.name, (unsigned long long)o->line, col_names[c]);
            return AG_EPARSE;
        }
    }
    o->ncols = o->nf;
    return AG_OK;
}

/* Unix seconds (fast path for plain integers) or anything ag_time_parse
 * accepts. */
static int parse_time(const char *s, int64_t *out)
{
    size_t i, n = strlen(s);
    int64_t v = 0;

    if (n > 0 && n <= 12) {
        for (i = 0; i < n && s[i] >= '0' && s[i] <= '9'; i++)
            v = v * 10 + (s[i] - '0');
        if (i == n) {
            *out = v * 1000;
            return 0;
        }
    }
    return ag_time_parse(s, out) == AG_OK ? 0 : -1;
}

static ag_container *container(csv *o, const char *ns, const char *pod, const char *ctr)
{
    return ag__rd_container(&o->cc, o->ds, ns, pod, ctr);
}

static ag_err row(csv *o, const char *s, size_t n)
{
    const char *ns, *pod, *ctr, *why = NULL;
    double v[C_N];
    int64_t t;
    size_t at = 0;
    ag_container *c;
    ag_err rc;
    int k, r;

    r = split(o, s, n, &why, &at);
    if (r < 0)
        return AG_ENOMEM;
    if (r > 0) {
        bad(o, s + at, n - at, "%s", why);
        return AG_OK;
    }
    if (o->nf != o->ncols) {
        bad(o, s, n, "row has %zu field%s, the header has %zu", o->nf, o->nf == 1 ? "" : "s",
            o->ncols);
        return AG_OK;
    }
    if (!*o->f[o->idx[C_TS]]) {
        bad(o, s, n, "empty timestamp");
        return AG_OK;
    }
    if (parse_time(o->f[o->idx[C_TS]], &t) != 0) {
        bad(o, s, n, "invalid timestamp '%.40s' (Unix seconds or RFC 3339)", o->f[o->idx[C_TS]]);
        return AG_OK;
    }
    ns = o->f[o->idx[C_NS]];
    pod = o->f[o->idx[C_POD]];
    ctr = o->f[o->idx[C_CTR]];
    for (k = C_NS; k <= C_CTR; k++) {
        if (!*o->f[o->idx[k]]) {
            bad(o, s, n, "empty %s", col_names[k]);
            return AG_OK;
        }
    }
    for (k = C_CPU; k < C_N; k++) {
        const char *f = o->idx[k] >= 0 ? o->f[o->idx[k]] : "";
        v[k] = NAN;
        if (*f && ag__rd_parse_double(f, strlen(f), &v[k]) != 0) {
            bad(o, s, n, "invalid number '%.40s' in column %s", f, col_names[k]);
            return AG_OK;
        }
        if (!*f)
            v[k] = NAN; /* unknown, not a NaN sample */
    }
    if (strcmp(ctr, "POD") == 0)
        return AG_OK; /* the pause container, as in the OpenMetrics reader */
    c = container(o, ns, pod, ctr);
    if (!c)
        return AG_ENOMEM;
    /* Empty cells are unknown; a literal NaN is kept for finish() to count. */
    if (*o->f[o->idx[C_CPU]] && (rc = ag_samples_push(&c->usage[AG_CPU], t, v[C_CPU])) != AG_OK)
        return rc;
    if (*o->f[o->idx[C_MEM]] && (rc = ag_samples_push(&c->usage[AG_MEMORY], t, v[C_MEM])) != AG_OK)
        return rc;
    for (k = C_CPU_REQ; k < C_N; k++) {
        if (o->idx[k] < 0 || !*o->f[o->idx[k]])
            continue;
        ag__rd_set_spec(c, k >= C_CPU_LIM, (k == C_CPU_REQ || k == C_CPU_LIM) ? AG_CPU : AG_MEMORY,
                        v[k], t, o->st);
    }
    return AG_OK;
}

ag_err ag_csv_parse(ag_dataset *ds, const char *name, const char *buf, size_t len,
                    const ag_read_opts *opts, ag_ingest_stats *st, ag_errinfo *ei)
{
    ag_ingest_stats local;
    size_t pos = 0, maxl = ag__rd_max_line(opts), next_progress = AG__RD_PROGRESS_STEP, ll, at = 0;
    const char *ls, *why = NULL;
    int have_header = 0, r;
    ag_err rc = AG_OK;
    csv o;

    if (!ds || (!buf && len > 0)) {
        ag_errinfo_set(ei, "ag_csv_parse: no dataset or buffer");
        return AG_EINVAL;
    }
    memset(&local, 0, sizeof local);
    memset(&o, 0, sizeof o);
    o.ds = ds;
    o.st = st ? st : &local;
    ag__rd_warner_init(&o.w, opts, name);
    if (len >= 3 && memcmp(buf, "\xEF\xBB\xBF", 3) == 0)
        pos = 3;
    while (ag__rd_next_line(buf, len, &pos, &ls, &ll)) {
        size_t p = 0;
        o.line++;
        o.st->lines++;
        while (p < ll && is_space(ls[p]))
            p++;
        if (p == ll)
            continue;
        if (ll > maxl) {
            if (!have_header) {
                ag_errinfo_set(ei, "%s:%llu: header line longer than %zu bytes", o.w.name,
                               (unsigned long long)o.line, maxl);
                rc = AG_EPARSE;
                goto out;
            }
            bad(&o, ls, ll, "line longer than %zu bytes", maxl);
            continue;
        }
        if (!have_header) {
            r = split(&o, ls, ll, &why, &at);
            if (r < 0) {
                rc = AG_ENOMEM;
            } else if (r > 0) {
                ag_errinfo_set(ei, "%s:%llu: bad CSV header: %s", o.w.name,
                               (unsigned long long)o.line, why);
                rc = AG_EPARSE;
                goto out;
            } else {
                rc = header(&o, ei);
                if (rc != AG_OK)
                    goto out;
                have_header = 1;
            }
        } else {
            rc = row(&o, ls, ll);
        }
        if (rc != AG_OK) {
            ag_errinfo_set(ei, "%s:%llu: out of memory", o.w.name, (unsigned long long)o.line);
            goto out;
        }
        if (opts && opts->progress && pos >= next_progress) {
            opts->progress(opts->progress_ud, pos, len);
            next_progress = pos + AG__RD_PROGRESS_STEP;
        }
    }
    if (!have_header) {
        ag_errinfo_set(ei,
                       "%s:%llu: no CSV header (expected "
                       "timestamp,namespace,pod,container,cpu_cores,memory_bytes)",
                       o.w.name, (unsigned long long)(o.line ? o.line : 1));
        rc = AG_EPARSE;
        goto out;
    }
    if (opts && opts->progress)
        opts->progress(opts->progress_ud, len, len);
out:
    ag__rd_warner_done(&o.w);
    ag__free(o.scratch);
    ag__free(o.f);
    ag__rd_ccache_free(&o.cc);
    return rc;
}
