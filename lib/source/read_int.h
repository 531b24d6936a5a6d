/*
 * source/read_int.h - plumbing shared by the file readers (om.c, csv.c,
 * file.c): bounded warnings with "name:line" prefixes, line splitting,
 * strict number parsing and the "newest wins" rule for requests/limits.
 * Implemented in file.c. Owner: h3.
 */
#ifndef AG_SOURCE_READ_INT_H
#define AG_SOURCE_READ_INT_H

#include <stdint.h>
#include <stddef.h>
#include <string.h>
#include "augur/source.h"

#define AG__RD_DEFAULT_MAX_WARNINGS 20
#define AG__RD_DEFAULT_MAX_LINE ((size_t)1 << 20)
#define AG__RD_PROGRESS_STEP ((size_t)1 << 20)

/* Reports malformed input: the first max warnings go to the callback,
 * the rest are only counted and summed up by ag__rd_warner_done(). */
typedef struct ag__rd_warner {
    ag_warn_fn fn;
    void *ud;
    const char *name;
    size_t max, shown, suppressed;
} ag__rd_warner;

void ag__rd_warner_init(ag__rd_warner *w, const ag_read_opts *opts, const char *name);
/* Sends "name:line: what (near '...')". near may be NULL; at most 40
 * bytes of it are shown, non-printable bytes as '?'. */
void ag__rd_warn(ag__rd_warner *w, uint64_t line, const char *near, size_t near_len,
                 const char *fmt, ...) __attribute__((format(printf, 5, 6)));
/* Sends the "... N more" line when warnings were held back. */
void ag__rd_warner_done(ag__rd_warner *w);

/* The effective longest line of opts (default 1 MiB). */
size_t ag__rd_max_line(const ag_read_opts *opts);

/* Splits the next line off buf[*pos..len): stores its start and length
 * (without "\n" or "\r\n") and advances *pos past the newline. Returns 0
 * when nothing is left. */
static inline int ag__rd_next_line(const char *buf, size_t len, size_t *pos, const char **ls,
                                   size_t *ll)
{
    const char *p, *nl;
    size_t n;

    if (*pos >= len)
        return 0;
    p = buf + *pos;
    nl = memchr(p, '\n', len - *pos);
    n = nl ? (size_t)(nl - p) : len - *pos;
    *pos += n + (nl ? 1 : 0);
    if (n > 0 && p[n - 1] == '\r')
        n--;
    *ls = p;
    *ll = n;
    return 1;
}

/* Parses s[0..n) as a whole decimal number: digits, sign, fraction,
 * exponent, or NaN / Inf / +Inf / -Inf (any case). Hex and trailing junk
 * are rejected. Integers up to 15 digits are exact. Returns 0 on success. */
int ag__rd_parse_double(const char *s, size_t n, double *out);

/* Stores a request (is_limit 0) or limit value of c for resource r seen
 * at t_ms, unless a newer one is already known. NaN/Inf and negative
 * values are ignored and counted in st. */
void ag__rd_set_spec(ag_container *c, int is_limit, ag_resource r, double v, int64_t t_ms,
                     ag_ingest_stats *st);

/* A one-entry cache in front of ag_dataset_container(): consecutive
 * samples of one series skip the hash lookup. */
typedef struct ag__rd_ccache {
    char *key; /* "ns\0pod\0container\0" of the cached container */
    size_t len, cap;
    ag_container *c;
} ag__rd_ccache;

/* The container (ns, pod, ctr) of ds, from the cache when it is the last
 * one looked up. Borrowed from ds; NULL when out of memory. */
ag_container *ag__rd_container(ag__rd_ccache *cc, ag_dataset *ds, const char *ns,
                               const char *pod, const char *ctr);
/* Frees the cache's key. */
void ag__rd_ccache_free(ag__rd_ccache *cc);

/* The resource named by a kube-state-metrics "resource" label: AG_CPU for
 * "cpu", AG_MEMORY for "memory", -1 for the others (GPUs, storage...). */
int ag__rd_resource(const char *name);

#endif
