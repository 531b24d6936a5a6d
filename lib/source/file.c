/*
 * source/file.c - reading history files: format dispatch by extension
 * (a .csv that sniffs as a public cluster trace goes to trace.c), gzip
 * decompression, and the plumbing the text readers share (bounded
 * warnings, strict number parsing, "newest wins" for requests/limits).
 *
 * Plain files are mapped read-only so a file of hundreds of MB is never in
 * memory twice; gzip files are inflated once into a buffer capped at
 * 4 GiB; stdin is read into a buffer under the same cap. The parsers then
 * work on one contiguous buffer in a single pass.
 */
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>
#include "augur/source.h"
#include "source/read_int.h"
#include "util/alloc.h"

/* Largest decompressed (or stdin) input accepted. */
#define MAX_INFLATED ((uint64_t)4 << 30)

/* ---- warnings ---------------------------------------------------------- */

static void warn_stderr(void *ud, const char *msg)
{
    (void)ud;
    fprintf(stderr, "%s\n", msg);
}

void ag__rd_warner_init(ag__rd_warner *w, const ag_read_opts *opts, const char *name)
{
    w->fn = opts && opts->warn ? opts->warn : warn_stderr;
    w->ud = opts && opts->warn ? opts->warn_ud : NULL;
    w->name = name ? name : "<input>";
    w->max = opts && opts->max_warnings ? opts->max_warnings : AG__RD_DEFAULT_MAX_WARNINGS;
    w->shown = w->suppressed = 0;
}

void ag__rd_warn(ag__rd_warner *w, uint64_t line, const char *near, size_t near_len,
                 const char *fmt, ...)
{
    char what[256], snip[48], msg[512];
    size_t i, n;
    va_list ap;

    if (w->shown >= w->max) {
        w->suppressed++;
        return;
    }
    w->shown++;
    va_start(ap, fmt);
    vsnprintf(what, sizeof what, fmt, ap);
    va_end(ap);
    if (!near) {
        snprintf(msg, sizeof msg, "%s:%llu: %s", w->name, (unsigned long long)line, what);
    } else {
        n = near_len < 40 ? near_len : 40;
        for (i = 0; i < n; i++) {
            unsigned char c = (unsigned char)near[i];
            snip[i] = (c >= 0x20 && c < 0x7f) ? (char)c : '?';
        }
        snip[n] = '\0';
        snprintf(msg, sizeof msg, "%s:%llu: %s (near '%s%s')", w->name, (unsigned long long)line,
                 what, snip, near_len > n ? "..." : "");
    }
    w->fn(w->ud, msg);
}

void ag__rd_warner_done(ag__rd_warner *w)
{
    char msg[320];

    if (w->suppressed == 0)
        return;
    snprintf(msg, sizeof msg, "%s: ... %zu more malformed line%s not shown", w->name, w->suppressed,
             w->suppressed == 1 ? "" : "s");
    w->fn(w->ud, msg);
}

size_t ag__rd_max_line(const ag_read_opts *opts)
{
    return opts && opts->max_line ? opts->max_line : AG__RD_DEFAULT_MAX_LINE;
}

/* ---- numbers ----------------------------------------------------------- */

static int special_value(const char *s, size_t n, double *out)
{
    double sign = 1;

    if (n > 0 && (s[0] == '+' || s[0] == '-')) {
        sign = s[0] == '-' ? -1 : 1;
        s++;
        n--;
    }
    if ((n == 3 && strncasecmp(s, "inf", 3) == 0) ||
        (n == 8 && strncasecmp(s, "infinity", 8) == 0)) {
        *out = sign * INFINITY;
        return 0;
    }
    if (n == 3 && strncasecmp(s, "nan", 3) == 0) {
        *out = NAN;
        return 0;
    }
    return -1;
}

int ag__rd_parse_double(const char *s, size_t n, double *out)
{
    char tmp[72], *end;
    size_t i = 0;
    int neg = 0;
    int64_t iv = 0;

    if (n == 0 || n >= sizeof tmp)
        return -1;
    /* Fast path: plain integers, the common case for bytes and counters. */
    if (s[0] == '-' || s[0] == '+') {
        neg = s[0] == '-';
        i = 1;
    }
    if (n - i > 0 && n - i <= 15) {
        size_t j;
        for (j = i; j < n && s[j] >= '0' && s[j] <= '9'; j++)
            iv = iv * 10 + (s[j] - '0');
        if (j == n) {
            *out = neg ? -(double)iv : (double)iv;
            return 0;
        }
    }
    if (special_value(s, n, out) == 0)
        return 0;
    for (i = 0; i < n; i++) {
        char c = s[i];
        if (!((c >= '0' && c <= '9') || c == '.' || c == 'e' || c == 'E' || c == '+' || c == '-'))
            return -1;
    }
    memcpy(tmp, s, n);
    tmp[n] = '\0';
    errno = 0;
    *out = strtod(tmp, &end);
    if (end != tmp + n)
        return -1;
    return 0;
}

/* ---- the container cache ----------------------------------------------- */

ag_container *ag__rd_container(ag__rd_ccache *cc, ag_dataset *ds, const char *ns,
                               const char *pod, const char *ctr)
{
    size_t ln = strlen(ns) + 1, lp = strlen(pod) + 1, lc = strlen(ctr) + 1;
    size_t need = ln + lp + lc;
    ag_container *c;

    if (cc->c && cc->len == need && memcmp(cc->key, ns, ln) == 0 &&
        memcmp(cc->key + ln, pod, lp) == 0 && memcmp(cc->key + ln + lp, ctr, lc) == 0)
        return cc->c;
    c = ag_dataset_container(ds, ns, pod, ctr);
    if (!c)
        return NULL;
    cc->c = NULL;
    if (ag__grow((void **)&cc->key, &cc->cap, need, 1) == 0) {
        memcpy(cc->key, ns, ln);
        memcpy(cc->key + ln, pod, lp);
        memcpy(cc->key + ln + lp, ctr, lc);
        cc->len = need;
        cc->c = c;
    }
    return c;
}

void ag__rd_ccache_free(ag__rd_ccache *cc)
{
    ag__free(cc->key);
    cc->key = NULL;
    cc->len = cc->cap = 0;
    cc->c = NULL;
}

int ag__rd_resource(const char *name)
{
    if (strcmp(name, "cpu") == 0)
        return AG_CPU;
    if (strcmp(name, "memory") == 0)
        return AG_MEMORY;
    return -1;
}

/* ---- requests and limits ----------------------------------------------- */

void ag__rd_set_spec(ag_container *c, int is_limit, ag_resource r, double v, int64_t t_ms,
                     ag_ingest_stats *st)
{
    double *slot = is_limit ? &c->limit[r] : &c->request[r];

    if (!isfinite(v)) {
        st->nonfinite++;
        return;
    }
    if (v < 0) {
        st->negative++;
        return;
    }
    /* One timestamp per resource covers both the request and the limit;
     * a value still unknown is always taken. */
    if (!isnan(*slot) && t_ms < c->spec_t_ms[r])
        return;
    *slot = v;
    if (t_ms > c->spec_t_ms[r])
        c->spec_t_ms[r] = t_ms;
}

/* ---- reading files ----------------------------------------------------- */

enum fmt { FMT_OM, FMT_CSV, FMT_TRACE };

static int ends_with(const char *s, size_t n, const char *suf)
{
    size_t k = strlen(suf);
    return n >= k && strncasecmp(s + n - k, suf, k) == 0;
}

/* Tells the format from the extension; *gz says whether ".gz" follows. */
static int format_of(const char *path, enum fmt *f, int *gz)
{
    size_t n = strlen(path);

    *gz = ends_with(path, n, ".gz");
    if (*gz)
        n -= 3;
    if (ends_with(path, n, ".om") || ends_with(path, n, ".prom") || ends_with(path, n, ".txt")) {
        *f = FMT_OM;
        return 0;
    }
    if (ends_with(path, n, ".csv")) {
        *f = FMT_CSV;
        return 0;
    }
    return -1;
}

/* Appends everything readable from fd to a buffer capped at MAX_INFLATED. */
static ag_err slurp_fd(int fd, const char *path, char **out, size_t *len, ag_errinfo *ei)
{
    char *p = NULL;
    size_t n = 0, cap = 0;
    ag_err rc = AG_OK;

    for (;;) {
        ssize_t k;
        if (cap - n < 65536) {
            if ((uint64_t)cap >= MAX_INFLATED) {
                ag_errinfo_set(ei, "%s: input larger than 4 GiB", path);
                rc = AG_ETOOBIG;
                goto out;
            }
            if (ag__grow((void **)&p, &cap, n + 65536, 1) != 0) {
                ag_errinfo_set(ei, "%s: out of memory reading the input", path);
                rc = AG_ENOMEM;
                goto out;
            }
        }
        k = read(fd, p + n, cap - n);
        if (k < 0 && errno == EINTR)
            continue;
        if (k < 0) {
            ag_errinfo_set(ei, "%s: read error: %s", path, strerror(errno));
            rc = AG_EIO;
            goto out;
        }
        if (k == 0)
            break;
        n += (size_t)k;
    }
    *out = p;
    *len = n;
    p = NULL;
out:
    ag__free(p);
    return rc;
}

/* Inflates a gzip file into a new buffer (caller frees with ag__free). */
static ag_err inflate_file(int fd, const char *path, char **out, size_t *len, ag_errinfo *ei)
{
    gzFile gz;
    char *p = NULL;
    size_t n = 0, cap = 0;
    ag_err rc = AG_OK;
    int errnum;

    gz = gzdopen(fd, "rb");
    if (!gz) {
        close(fd);
        ag_errinfo_set(ei, "%s: cannot open as gzip", path);
        return AG_EIO;
    }
    gzbuffer(gz, 1 << 17);
    for (;;) {
        int k;
        size_t room;
        if (cap - n < 65536) {
            if ((uint64_t)cap >= MAX_INFLATED) {
                ag_errinfo_set(ei, "%s: decompressed data larger than 4 GiB", path);
                rc = AG_ETOOBIG;
                goto out;
            }
            if (ag__grow((void **)&p, &cap, n + 65536, 1) != 0) {
                ag_errinfo_set(ei, "%s: out of memory decompressing", path);
                rc = AG_ENOMEM;
                goto out;
            }
        }
        room = cap - n;
        if (room > (1u << 30))
            room = 1u << 30;
        k = gzread(gz, p + n, (unsigned)room);
        if (k < 0) {
            const char *m = gzerror(gz, &errnum);
            ag_errinfo_set(ei, "%s: corrupt gzip data: %s", path, m ? m : "unknown error");
            rc = AG_EIO;
            goto out;
        }
        if (k == 0)
            break;
        n += (size_t)k;
    }
    /* gzread returns 0 both at a clean end and on a truncated stream. */
    {
        const char *m = gzerror(gz, &errnum);
        if (errnum != Z_OK && errnum != Z_STREAM_END) {
            ag_errinfo_set(ei, "%s: corrupt gzip data: %s", path, m ? m : "unknown error");
            rc = AG_EIO;
            goto out;
        }
    }
    *out = p;
    *len = n;
    p = NULL;
out:
    ag__free(p);
    gzclose(gz);
    return rc;
}

/* to: the trace options for FMT_TRACE (NULL = defaults). */
static ag_err parse(enum fmt f, const ag_trace_opts *to, ag_dataset *ds, const char *name,
                    const char *buf, size_t len, const ag_read_opts *opts, ag_ingest_stats *st,
                    ag_errinfo *ei)
{
    ag_trace_opts def;

    if (f == FMT_TRACE)
        return ag_trace_parse(ds, name, buf, len, to, opts, st, ei);
    if (f == FMT_CSV) {
        /* Not augur's long CSV but a public cluster trace: its reader,
         * with the default options. */
        ag_trace_opts_default(&def);
        def.format = ag_trace_sniff(name, buf, len);
        if (def.format != AG_TRACE_AUTO)
            return ag_trace_parse(ds, name, buf, len, &def, opts, st, ei);
        return ag_csv_parse(ds, name, buf, len, opts, st, ei);
    }
    return ag_om_parse(ds, name, buf, len, opts, st, ei);
}

/* Reads path (gzip-compressed when gz) as format f. */
static ag_err read_path(ag_dataset *ds, const char *path, enum fmt f, int gz,
                        const ag_trace_opts *to, const ag_read_opts *opts, ag_ingest_stats *st,
                        ag_errinfo *ei)
{
    int fd = -1;
    struct stat sb;
    char *heap = NULL;
    void *map = MAP_FAILED;
    size_t len = 0;
    ag_err rc;

    fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        ag_errinfo_set(ei, "%s: %s", path, strerror(errno));
        return errno == ENOENT ? AG_ENOTFOUND : AG_EIO;
    }
    if (fstat(fd, &sb) != 0) {
        ag_errinfo_set(ei, "%s: %s", path, strerror(errno));
        rc = AG_EIO;
        goto out;
    }
    if (S_ISDIR(sb.st_mode)) {
        ag_errinfo_set(ei, "%s: is a directory", path);
        rc = AG_EIO;
        goto out;
    }
    if (gz) {
        rc = inflate_file(fd, path, &heap, &len, ei);
        fd = -1; /* closed by gzclose */
        if (rc != AG_OK)
            goto out;
        rc = parse(f, to, ds, path, heap ? heap : "", len, opts, st, ei);
        goto out;
    }
    if (S_ISREG(sb.st_mode) && sb.st_size > 0) {
        if ((uint64_t)sb.st_size > (uint64_t)SIZE_MAX) {
            ag_errinfo_set(ei, "%s: file too large", path);
            rc = AG_ETOOBIG;
            goto out;
        }
        len = (size_t)sb.st_size;
        map = mmap(NULL, len, PROT_READ, MAP_PRIVATE, fd, 0);
    }
    if (map != MAP_FAILED) {
#ifdef MADV_SEQUENTIAL
        madvise(map, len, MADV_SEQUENTIAL);
#endif
        rc = parse(f, to, ds, path, map, len, opts, st, ei);
    } else {
        /* Empty files, pipes, and filesystems that cannot map. */
        rc = slurp_fd(fd, path, &heap, &len, ei);
        if (rc == AG_OK)
            rc = parse(f, to, ds, path, heap ? heap : "", len, opts, st, ei);
    }
out:
    if (map != MAP_FAILED)
        munmap(map, len);
    ag__free(heap);
    if (fd >= 0)
        close(fd);
    return rc;
}

ag_err ag_source_read_file(ag_dataset *ds, const char *path, const ag_read_opts *opts,
                           ag_ingest_stats *st, ag_errinfo *ei)
{
    enum fmt f;
    char *heap = NULL;
    size_t len = 0;
    int gz;
    ag_err rc;

    if (!ds || !path) {
        ag_errinfo_set(ei, "ag_source_read_file: no dataset or path");
        return AG_EINVAL;
    }
    if (strcmp(path, "-") == 0) {
        rc = slurp_fd(STDIN_FILENO, "<stdin>", &heap, &len, ei);
        if (rc == AG_OK)
            rc = ag_om_parse(ds, "<stdin>", heap ? heap : "", len, opts, st, ei);
        ag__free(heap);
        return rc;
    }
    if (format_of(path, &f, &gz) != 0) {
        ag_errinfo_set(ei,
                       "cannot tell the format of %s from its extension "
                       "(.om .prom .txt .csv, optionally .gz)",
                       path);
        return AG_EINVAL;
    }
    return read_path(ds, path, f, gz, NULL, opts, st, ei);
}

ag_err ag_trace_read_file(ag_dataset *ds, const char *path, const ag_trace_opts *to,
                          const ag_read_opts *opts, ag_ingest_stats *st, ag_errinfo *ei)
{
    char *heap = NULL;
    size_t len = 0;
    ag_err rc;

    if (!ds || !path) {
        ag_errinfo_set(ei, "ag_trace_read_file: no dataset or path");
        return AG_EINVAL;
    }
    if (strcmp(path, "-") == 0) {
        rc = slurp_fd(STDIN_FILENO, "<stdin>", &heap, &len, ei);
        if (rc == AG_OK)
            rc = ag_trace_parse(ds, "<stdin>", heap ? heap : "", len, to, opts, st, ei);
        ag__free(heap);
        return rc;
    }
    return read_path(ds, path, FMT_TRACE, ends_with(path, strlen(path), ".gz"), to, opts, st, ei);
}
