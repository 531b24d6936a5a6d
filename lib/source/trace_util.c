/*
 * source/trace_util.c - the helpers the public-trace readers share: field
 * splitting, strict integers and value cells, time arithmetic that cannot
 * overflow, trace ids, containers with their owner, and what the traces
 * keep in file names (the VM id, the day).
 */
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include "augur/source.h"
#include "source/read_int.h"
#include "source/trace_int.h"
#include "util/alloc.h"

void ag__tr_bad(ag__tr *o, const char *near, size_t near_len, const char *fmt, ...)
{
    char what[256];
    va_list ap;

    o->st->malformed++;
    va_start(ap, fmt);
    vsnprintf(what, sizeof what, fmt, ap);
    va_end(ap);
    ag__rd_warn(&o->w, o->line, near, near_len, "%s", what);
}

static int is_blank(char c)
{
    return c == ' ' || c == '\t';
}

int ag__tr_split(ag__tr *o, const char *s, size_t n, char sep)
{
    size_t p = 0;

    o->nf = 0;
    for (;;) {
        ag__tr_field f;
        size_t a, b;

        while (p < n && is_blank(s[p]))
            p++;
        if (p < n && s[p] == '"') {
            /* Quoted: runs to the closing quote ("" is a quote inside);
             * kept as a raw slice, so "" stays doubled. */
            a = ++p;
            while (p < n && !(s[p] == '"' && !(p + 1 < n && s[p + 1] == '"')))
                p += (s[p] == '"') ? 2 : 1;
            b = p < n ? p : n;
            while (p < n && s[p] != sep)
                p++;
        } else {
            a = p;
            while (p < n && s[p] != sep)
                p++;
            b = p;
            while (b > a && is_blank(s[b - 1]))
                b--;
        }
        f.p = s + a;
        f.n = b - a;
        if (o->nf == o->f_cap && ag__grow((void **)&o->f, &o->f_cap, o->nf + 1, sizeof *o->f) != 0)
            return -1;
        o->f[o->nf++] = f;
        if (p >= n)
            return 0;
        p++; /* the separator */
    }
}

int ag__tr_is(const ag__tr_field *f, const char *w)
{
    size_t k = strlen(w);
    return f->n == k && strncasecmp(f->p, w, k) == 0;
}

int ag__tr_u64(const char *s, size_t n, int64_t *out)
{
    int64_t v = 0;
    size_t i;

    if (n == 0 || n > 18)
        return -1;
    for (i = 0; i < n; i++) {
        if (s[i] < '0' || s[i] > '9')
            return -1;
        v = v * 10 + (s[i] - '0');
    }
    *out = v;
    return 0;
}

int ag__tr_num(const ag__tr_field *f, double *out)
{
    if (f->n == 0 || ag__tr_is(f, "NA") || ag__tr_is(f, "null"))
        return 1;
    return ag__rd_parse_double(f->p, f->n, out) == 0 ? 0 : -1;
}

int ag__tr_add(int64_t a, int64_t b, int64_t *out)
{
    return __builtin_add_overflow(a, b, out) ? -1 : 0;
}

int ag__tr_at_sec(int64_t t0, double sec, int64_t *out)
{
    /* 1e13 s is 300,000 years: beyond any trace, and the product fits. */
    if (!isfinite(sec) || fabs(sec) > 1e13)
        return -1;
    return ag__tr_add(t0, llround(sec * 1000.0), out);
}

int ag__tr_id(const ag__tr_field *f, char *buf)
{
    size_t i;

    if (f->n == 0 || f->n > AG__TR_MAX_ID)
        return -1;
    for (i = 0; i < f->n; i++) {
        unsigned char c = (unsigned char)f->p[i];
        if (c <= 0x20 || c >= 0x7f)
            return -1;
    }
    memcpy(buf, f->p, f->n);
    buf[f->n] = '\0';
    return 0;
}

ag_container *ag__tr_container(ag__tr *o, const char *pod, const char *ctr, const char *kind,
                               const char *owner)
{
    ag_container *c = ag__rd_container(&o->cc, o->ds, o->ns, pod, ctr);

    if (!c)
        return NULL;
    /* A container without samples is new (or had only missing cells so
     * far): record its owner. Setting it again is harmless. */
    if (c->usage[AG_CPU].n == 0 && c->usage[AG_MEMORY].n == 0 &&
        ag_dataset_set_owner(o->ds, o->ns, pod, kind, owner) != AG_OK)
        return NULL;
    return c;
}

ag_err ag__tr_push(ag_container *c, ag_resource r, int64_t t_ms, double v)
{
    return ag_samples_push(&c->usage[r], t_ms, v);
}

void ag__tr_spec(ag__tr *o, ag_container *c, ag_resource r, double v, int64_t t_ms)
{
    ag__rd_set_spec(c, 0, r, v, t_ms, o->st);
    ag__rd_set_spec(c, 1, r, v, t_ms, o->st);
}

/* The base name of path and its length; the parent folder's name. */
static const char *base_name(const char *path, size_t *n, const char **dir, size_t *dn)
{
    size_t len = strlen(path), i = len, j;

    while (i > 0 && path[i - 1] != '/')
        i--;
    *n = len - i;
    j = i > 0 ? i - 1 : 0; /* the slash, or 0 */
    *dn = 0;
    *dir = path + j;
    if (i > 0) {
        size_t k = j;
        while (k > 0 && path[k - 1] != '/')
            k--;
        *dir = path + k;
        *dn = j - k;
    }
    return path + i;
}

static int ends_with(const char *s, size_t n, const char *suf)
{
    size_t k = strlen(suf);
    return n >= k && strncasecmp(s + n - k, suf, k) == 0;
}

void ag__tr_stem(const char *path, char *buf, size_t len)
{
    const char *b, *dir;
    size_t n, dn;

    if (len == 0)
        return;
    buf[0] = '\0';
    if (!path)
        return;
    b = base_name(path, &n, &dir, &dn);
    if (ends_with(b, n, ".gz"))
        n -= 3;
    if (ends_with(b, n, ".csv") || ends_with(b, n, ".txt"))
        n -= 4;
    if (n >= len)
        n = len - 1;
    memcpy(buf, b, n);
    buf[n] = '\0';
}

/* Days from 1970-01-01 to y-m-d (proleptic Gregorian; Howard Hinnant's
 * days_from_civil). */
static int64_t days_from_civil(int64_t y, int64_t m, int64_t d)
{
    int64_t era, yoe, doy, doe;

    y -= m <= 2;
    era = (y >= 0 ? y : y - 399) / 400;
    yoe = y - era * 400;
    doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + doe - 719468;
}

static int valid_date(const char *s, int64_t *ms)
{
    static const int mdays[12] = {31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    int64_t y = 0, m, d;
    int i;

    for (i = 0; i < 4; i++)
        y = y * 10 + (s[i] - '0');
    m = (s[4] - '0') * 10 + (s[5] - '0');
    d = (s[6] - '0') * 10 + (s[7] - '0');
    if (y < 1970 || m < 1 || m > 12 || d < 1 || d > mdays[m - 1])
        return -1;
    if (m == 2 && d == 29 && !((y % 4 == 0 && y % 100 != 0) || y % 400 == 0))
        return -1;
    *ms = days_from_civil(y, m, d) * 86400000;
    return 0;
}

/* The first run of exactly 8 digits in s[0..n) that is a valid date. */
static int date_in(const char *s, size_t n, int64_t *ms)
{
    size_t i = 0;

    while (i < n) {
        size_t j = i;
        while (j < n && s[j] >= '0' && s[j] <= '9')
            j++;
        if (j - i == 8 && valid_date(s + i, ms) == 0)
            return 0;
        i = j > i ? j : i + 1;
    }
    return -1;
}

int ag__tr_date_in_path(const char *path, int64_t *ms)
{
    const char *b, *dir;
    size_t n, dn;

    if (!path)
        return -1;
    b = base_name(path, &n, &dir, &dn);
    if (date_in(b, n, ms) == 0)
        return 0;
    return date_in(dir, dn, ms);
}
