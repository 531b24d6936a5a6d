/*
 * source/trace.c - public cluster traces: format names, options, telling
 * a format from the first bytes of a file, and the reading loop that
 * hands every line to the format's handler (trace_vm.c, trace_alibaba.c,
 * trace_google.c). Formats, scaling and naming: docs/input-formats.md,
 * "Public cluster traces".
 */
#include <math.h>
#include <stdint.h>
#include <string.h>
#include <strings.h>
#include "augur/source.h"
#include "source/read_int.h"
#include "source/trace_int.h"
#include "util/alloc.h"

static const char *const format_names[AG_TRACE_NFORMATS] = {
    "auto",        "bitbrains",   "azure-v1", "planetlab", "alibaba-machine", "alibaba-container",
    "google-2011", "google-2019",
};

/* Trace time 0 of each format, ms since the epoch (see the docs). */
static const int64_t default_t0[AG_TRACE_NFORMATS] = {
    0,
    0,               /* Bitbrains: absolute Unix timestamps */
    1479254400000LL, /* Azure V1: 2016-11-16T00:00:00Z */
    1299110400000LL, /* PlanetLab, when no date is in the name: 2011-03-03T00:00:00Z */
    1514764800000LL, /* Alibaba v2018 publishes no date: 2018-01-01T00:00:00Z */
    1514764800000LL, /* (the same) */
    1304290200000LL, /* Google 2011: 600 s before 2011-05-01 19:00 EDT */
    1556693400000LL, /* Google 2019: 600 s before 2019-05-01 00:00 PDT */
};

static const ag__tr_line_fn handlers[AG_TRACE_NFORMATS] = {
    NULL,
    ag__tr_bitbrains_line,
    ag__tr_azure_line,
    ag__tr_planetlab_line,
    ag__tr_alibaba_machine_line,
    ag__tr_alibaba_container_line,
    ag__tr_google2011_line,
    ag__tr_google2019_line,
};

const char *ag_trace_format_name(ag_trace_format f)
{
    if ((int)f < 0 || (int)f >= AG_TRACE_NFORMATS)
        return "?";
    return format_names[f];
}

ag_err ag_trace_format_parse(const char *s, ag_trace_format *out)
{
    int i;

    if (!s || !out)
        return AG_EINVAL;
    for (i = 0; i < AG_TRACE_NFORMATS; i++) {
        if (strcasecmp(s, format_names[i]) == 0) {
            *out = (ag_trace_format)i;
            return AG_OK;
        }
    }
    return AG_EINVAL;
}

void ag_trace_opts_default(ag_trace_opts *o)
{
    if (!o)
        return;
    memset(o, 0, sizeof *o);
    o->format = AG_TRACE_AUTO;
    o->capacity_cores = 1;
    o->capacity_memory_bytes = 1073741824.0; /* 1 GiB */
    o->t0_ms = AG_TRACE_T0_AUTO;
    o->ns = NULL;
}

/* ---- sniffing ----------------------------------------------------------- */

#define SNIFF_WINDOW ((size_t)64 << 10)
#define SNIFF_FIELDS 24

static int blank_line(const char *s, size_t n)
{
    size_t i;
    for (i = 0; i < n; i++)
        if (s[i] != ' ' && s[i] != '\t')
            return 0;
    return 1;
}

static int has(const char *s, size_t n, const char *w)
{
    size_t k = strlen(w), i;
    for (i = 0; i + k <= n; i++)
        if (memcmp(s + i, w, k) == 0)
            return 1;
    return 0;
}

static int is_uint(const ag__tr_field *f)
{
    int64_t v;
    return ag__tr_u64(f->p, f->n, &v) == 0;
}

static int is_num(const ag__tr_field *f)
{
    double d;
    return ag__tr_num(f, &d) == 0;
}

static int starts(const ag__tr_field *f, const char *w)
{
    size_t k = strlen(w);
    return f->n > k && memcmp(f->p, w, k) == 0;
}

/* 1 when the name's word w matches the header field, '.' and '_' alike. */
static int hdr_is(const ag__tr_field *f, const char *w)
{
    size_t i, k = strlen(w);
    if (f->n != k)
        return 0;
    for (i = 0; i < k; i++) {
        char a = f->p[i] == '.' ? '_' : f->p[i];
        if (a >= 'A' && a <= 'Z')
            a = (char)(a - 'A' + 'a');
        if (a != w[i])
            return 0;
    }
    return 1;
}

/* A CloudSim PlanetLab file: one value per line, the first and most of
 * the complete lines of the window CPU percentages (integers of at most 3
 * digits); a stray bad line is the reader's to report. */
static int cloudsim_lines(const char *buf, size_t win, size_t full, size_t pos)
{
    const char *ls;
    size_t ll;
    int n = 0, pct = 0;

    while (ag__rd_next_line(buf, win, &pos, &ls, &ll)) {
        ag__tr_field f = {ls, ll};
        if (win < full && ls + ll == buf + win)
            break; /* cut by the window */
        while (f.n > 0 && (f.p[0] == ' ' || f.p[0] == '\t'))
            f.p++, f.n--;
        while (f.n > 0 && (f.p[f.n - 1] == ' ' || f.p[f.n - 1] == '\t'))
            f.n--;
        if (f.n == 0)
            continue;
        if (memchr(f.p, ',', f.n) || memchr(f.p, ';', f.n) || memchr(f.p, ' ', f.n) ||
            memchr(f.p, '\t', f.n))
            return 0;
        if (f.n <= 3 && is_uint(&f))
            pct++;
        else if (n == 0)
            return 0;
        n++;
    }
    return n > 0 && 2 * pct > n;
}

ag_trace_format ag_trace_sniff(const char *path, const char *buf, size_t len)
{
    ag__tr_field f[SNIFF_FIELDS];
    const char *ls, *base = "";
    size_t pos = 0, ll, win, start, nf, p;
    int g19 = 0;

    if (!buf)
        return AG_TRACE_AUTO;
    if (path) {
        base = strrchr(path, '/');
        base = base ? base + 1 : path;
    }
    if (len >= 3 && memcmp(buf, "\xEF\xBB\xBF", 3) == 0)
        pos = 3;
    win = len < SNIFF_WINDOW ? len : SNIFF_WINDOW;
    do {
        start = pos;
        if (!ag__rd_next_line(buf, win, &pos, &ls, &ll))
            return AG_TRACE_AUTO;
    } while (blank_line(ls, ll));

    if (ll > 0 && ls[0] == '{')
        return has(ls, ll, "\"collection_id\"") && has(ls, ll, "\"instance_index\"")
                   ? AG_TRACE_GOOGLE_2019
                   : AG_TRACE_AUTO;

    /* Bitbrains: ';'-separated, a known first column name. */
    {
        const char *semi = memchr(ls, ';', ll);
        if (semi) {
            ag__tr_field h = {ls, (size_t)(semi - ls)};
            while (h.n > 0 && (h.p[h.n - 1] == ' ' || h.p[h.n - 1] == '\t'))
                h.n--;
            if (ag__tr_is(&h, "Timestamp [ms]"))
                return AG_TRACE_BITBRAINS;
        }
    }
    /* The others: the ','-separated fields of the first line. */
    for (p = 0, nf = 0;; p++) {
        ag__tr_field x;
        size_t a = p, b;

        while (p < ll && ls[p] != ',')
            p++;
        b = p;
        while (a < b && (ls[a] == ' ' || ls[a] == '\t'))
            a++;
        while (b > a && (ls[b - 1] == ' ' || ls[b - 1] == '\t'))
            b--;
        x.p = ls + a;
        x.n = b - a;
        if (nf < SNIFF_FIELDS)
            f[nf] = x;
        if (hdr_is(&x, "collection_id"))
            g19 |= 1;
        if (hdr_is(&x, "instance_index"))
            g19 |= 2;
        if (hdr_is(&x, "start_time") || hdr_is(&x, "end_time"))
            g19 |= 4;
        nf++;
        if (p >= ll)
            break;
    }
    if (nf >= 2 && ag__tr_is(&f[0], "step"))
        return ag__tr_is(&f[1], "offset_s") ? AG_TRACE_AZURE_V1 : AG_TRACE_PLANETLAB;
    if (g19 == 7)
        return AG_TRACE_GOOGLE_2019;
    if (nf == 9 && starts(&f[0], "m_") && is_num(&f[1]))
        return AG_TRACE_ALIBABA_MACHINE;
    if (nf == 11 && starts(&f[0], "c_") && starts(&f[1], "m_") && is_num(&f[2]))
        return AG_TRACE_ALIBABA_CONTAINER;
    if ((nf == 19 || nf == 20) && is_uint(&f[0]) && is_uint(&f[1]) && is_uint(&f[2]) &&
        is_uint(&f[3]))
        return AG_TRACE_GOOGLE_2011;
    if (nf == 1 && cloudsim_lines(buf, win, len, start))
        return AG_TRACE_PLANETLAB;
    /* The published file names, for files cut to fewer columns. */
    if (strncmp(base, "machine_usage", 13) == 0 && nf >= 4 && nf <= 9 && f[0].n > 0 &&
        is_num(&f[1]))
        return AG_TRACE_ALIBABA_MACHINE;
    if (strncmp(base, "container_usage", 15) == 0 && nf >= 5 && nf <= 11 && f[0].n > 0 &&
        is_num(&f[2]))
        return AG_TRACE_ALIBABA_CONTAINER;
    if (path && strstr(path, "task_usage") && nf >= 7 && nf <= 20 && is_uint(&f[0]) &&
        is_uint(&f[2]) && is_uint(&f[3]))
        return AG_TRACE_GOOGLE_2011;
    return AG_TRACE_AUTO;
}

/* ---- reading ------------------------------------------------------------ */

static int needs_header(ag_trace_format f)
{
    return f == AG_TRACE_AZURE_V1 || f == AG_TRACE_PLANETLAB;
}

ag_err ag_trace_parse(ag_dataset *ds, const char *name, const char *buf, size_t len,
                      const ag_trace_opts *to, const ag_read_opts *opts, ag_ingest_stats *st,
                      ag_errinfo *ei)
{
    ag_trace_opts def;
    ag_ingest_stats local;
    size_t pos = 0, maxl = ag__rd_max_line(opts), next_progress = AG__RD_PROGRESS_STEP, ll;
    const char *ls;
    ag_trace_format fmt;
    ag_err rc = AG_OK;
    int64_t day;
    ag__tr o;

    if (!ds || (!buf && len > 0)) {
        ag_errinfo_set(ei, "ag_trace_parse: no dataset or buffer");
        return AG_EINVAL;
    }
    if (!buf)
        buf = "";
    if (!to) {
        ag_trace_opts_default(&def);
        to = &def;
    }
    if (!(isfinite(to->capacity_cores) && to->capacity_cores > 0) ||
        !(isfinite(to->capacity_memory_bytes) && to->capacity_memory_bytes > 0)) {
        ag_errinfo_set(ei, "trace capacity must be a positive number (cores %g, memory %g bytes)",
                       to->capacity_cores, to->capacity_memory_bytes);
        return AG_EINVAL;
    }
    if ((int)to->format < 0 || (int)to->format >= AG_TRACE_NFORMATS) {
        ag_errinfo_set(ei, "unknown trace format %d", (int)to->format);
        return AG_EINVAL;
    }
    fmt = to->format == AG_TRACE_AUTO ? ag_trace_sniff(name, buf, len) : to->format;
    if (fmt == AG_TRACE_AUTO) {
        ag_errinfo_set(ei,
                       "%s: not a trace format augur knows (bitbrains, azure-v1, planetlab, "
                       "alibaba-machine, alibaba-container, google-2011, google-2019)",
                       name ? name : "<input>");
        return AG_EPARSE;
    }

    memset(&local, 0, sizeof local);
    memset(&o, 0, sizeof o);
    o.ds = ds;
    o.st = st ? st : &local;
    o.ei = ei;
    o.fmt = fmt;
    o.ns = to->ns && *to->ns ? to->ns : format_names[fmt];
    o.cores = to->capacity_cores;
    o.mem = to->capacity_memory_bytes;
    o.key_col = -1;
    ag__rd_warner_init(&o.w, opts, name);
    if (to->t0_ms != AG_TRACE_T0_AUTO)
        o.t0_ms = to->t0_ms;
    else if (fmt == AG_TRACE_PLANETLAB && ag__tr_date_in_path(name, &day) == 0)
        o.t0_ms = day;
    else
        o.t0_ms = default_t0[fmt];
    ag__tr_stem(name, o.stem, sizeof o.stem);

    if (len >= 3 && memcmp(buf, "\xEF\xBB\xBF", 3) == 0)
        pos = 3;
    while (ag__rd_next_line(buf, len, &pos, &ls, &ll)) {
        o.line++;
        o.st->lines++;
        if (blank_line(ls, ll))
            continue;
        if (ll > maxl) {
            if (o.nlines == 0 && needs_header(fmt)) {
                ag_errinfo_set(ei, "%s:%llu: header line longer than %zu bytes", o.w.name,
                               (unsigned long long)o.line, maxl);
                rc = AG_EPARSE;
                goto out;
            }
            ag__tr_bad(&o, ls, ll, "line longer than %zu bytes", maxl);
        } else {
            rc = handlers[fmt](&o, ls, ll);
            if (rc != AG_OK) {
                if (rc == AG_ENOMEM)
                    ag_errinfo_set(ei, "%s:%llu: out of memory", o.w.name,
                                   (unsigned long long)o.line);
                goto out;
            }
        }
        o.nlines++;
        if (opts && opts->progress && pos >= next_progress) {
            opts->progress(opts->progress_ud, pos, len);
            next_progress = pos + AG__RD_PROGRESS_STEP;
        }
    }
    if (opts && opts->progress)
        opts->progress(opts->progress_ud, len, len);
out:
    ag__rd_warner_done(&o.w);
    ag__free(o.f);
    ag__free(o.cols);
    ag__free(o.vals);
    ag__rd_ccache_free(&o.cc);
    return rc;
}
