/*
 * util/buf.c - capped growable buffer, JSON string/number emitters and a
 * whole-file reader.
 */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "util/alloc.h"
#include "util/buf.h"

void ag__buf_init(ag_buf *b, size_t max)
{
    b->p = NULL;
    b->len = b->cap = 0;
    b->max = max ? max : (size_t)64 << 20;
}

void ag__buf_free(ag_buf *b)
{
    ag__free(b->p);
    b->p = NULL;
    b->len = b->cap = 0;
}

void ag__buf_reset(ag_buf *b)
{
    b->len = 0;
    if (b->p)
        b->p[0] = '\0';
}

static ag_err reserve(ag_buf *b, size_t extra)
{
    size_t need = b->len + extra + 1;
    if (extra > b->max || b->len + extra > b->max)
        return AG_ETOOBIG;
    if (need <= b->cap)
        return AG_OK;
    if (ag__grow((void **)&b->p, &b->cap, need, 1) != 0)
        return AG_ENOMEM;
    return AG_OK;
}

ag_err ag__buf_append(ag_buf *b, const void *data, size_t n)
{
    ag_err rc = reserve(b, n);
    if (rc != AG_OK)
        return rc;
    if (n)
        memcpy(b->p + b->len, data, n);
    b->len += n;
    b->p[b->len] = '\0';
    return AG_OK;
}

ag_err ag__buf_puts(ag_buf *b, const char *s)
{
    return ag__buf_append(b, s, strlen(s));
}

ag_err ag__buf_vprintf(ag_buf *b, const char *fmt, va_list ap)
{
    va_list ap2;
    int n;
    ag_err rc;

    va_copy(ap2, ap);
    n = vsnprintf(NULL, 0, fmt, ap2);
    va_end(ap2);
    if (n < 0)
        return AG_EINVAL;
    rc = reserve(b, (size_t)n);
    if (rc != AG_OK)
        return rc;
    vsnprintf(b->p + b->len, (size_t)n + 1, fmt, ap);
    b->len += (size_t)n;
    return AG_OK;
}

ag_err ag__buf_printf(ag_buf *b, const char *fmt, ...)
{
    va_list ap;
    ag_err rc;
    va_start(ap, fmt);
    rc = ag__buf_vprintf(b, fmt, ap);
    va_end(ap);
    return rc;
}

ag_err ag__buf_json_str(ag_buf *b, const char *s)
{
    ag_err rc = ag__buf_append(b, "\"", 1);
    for (; rc == AG_OK && *s; s++) {
        unsigned char c = (unsigned char)*s;
        if (c == '"' || c == '\\') {
            char e[2] = {'\\', (char)c};
            rc = ag__buf_append(b, e, 2);
        } else if (c < 0x20) {
            rc = ag__buf_printf(b, "\\u%04x", c);
        } else {
            rc = ag__buf_append(b, s, 1);
        }
    }
    if (rc == AG_OK)
        rc = ag__buf_append(b, "\"", 1);
    return rc;
}

ag_err ag__buf_csv_str(ag_buf *b, const char *s)
{
    ag_err rc;

    if (!s)
        s = "";
    if (!strpbrk(s, ",\"\r\n"))
        return ag__buf_puts(b, s);
    rc = ag__buf_puts(b, "\"");
    for (; rc == AG_OK && *s; s++)
        rc = *s == '"' ? ag__buf_puts(b, "\"\"") : ag__buf_append(b, s, 1);
    if (rc == AG_OK)
        rc = ag__buf_puts(b, "\"");
    return rc;
}

ag_err ag__buf_json_num(ag_buf *b, double v)
{
    char tmp[320]; /* what -Wformat-truncation assumes %.*g may need */
    if (!isfinite(v))
        return ag__buf_puts(b, "null");
    /* whole numbers (times in seconds, bytes) as integers, not 1.7e+09 */
    if (v == floor(v) && fabs(v) >= 1e6 && fabs(v) < 9007199254740992.0)
        return ag__buf_printf(b, "%.0f", v);
    /* The smallest precision from 6 to 17 that reads back to the same
     * double. Reading back only gets truer as the precision grows, so
     * after 6 (the common case) a binary search finds it in four tries
     * instead of up to eleven (measured: /metrics spent most of its time
     * here, bench/README.md). */
    snprintf(tmp, sizeof tmp, "%.6g", v);
    if (strtod(tmp, NULL) != v) {
        int lo = 7, hi = 17; /* hi always reads back */
        while (lo < hi) {
            int mid = (lo + hi) / 2;
            snprintf(tmp, sizeof tmp, "%.*g", mid, v);
            if (strtod(tmp, NULL) == v)
                hi = mid;
            else
                lo = mid + 1;
        }
        snprintf(tmp, sizeof tmp, "%.*g", hi, v);
    }
    return ag__buf_puts(b, tmp);
}

char *ag__buf_steal(ag_buf *b)
{
    char *p = b->p;
    b->p = NULL;
    b->len = b->cap = 0;
    return p;
}

ag_err ag__read_file(const char *path, size_t max, char **out, size_t *len, ag_errinfo *ei)
{
    FILE *f = NULL;
    ag_buf b;
    char chunk[65536];
    size_t n;
    ag_err rc = AG_OK;

    *out = NULL;
    *len = 0;
    ag__buf_init(&b, max ? max : (size_t)1 << 30);
    f = fopen(path, "rb");
    if (!f) {
        ag_errinfo_set(ei, "%s: %s", path, strerror(errno));
        return errno == ENOENT ? AG_ENOTFOUND : AG_EIO;
    }
    while ((n = fread(chunk, 1, sizeof chunk, f)) > 0) {
        rc = ag__buf_append(&b, chunk, n);
        if (rc != AG_OK) {
            ag_errinfo_set(ei, "%s: %s", path,
                           rc == AG_ETOOBIG ? "file larger than the size cap" : ag_strerror(rc));
            goto out;
        }
    }
    if (ferror(f)) {
        ag_errinfo_set(ei, "%s: read error: %s", path, strerror(errno));
        rc = AG_EIO;
        goto out;
    }
    if (!b.p && ag__buf_append(&b, "", 0) != AG_OK) {
        rc = AG_ENOMEM;
        goto out;
    }
    *len = b.len;
    *out = ag__buf_steal(&b);
out:
    if (rc != AG_OK)
        ag__buf_free(&b);
    fclose(f);
    return rc;
}
