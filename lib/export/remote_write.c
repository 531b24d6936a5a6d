/*
 * export/remote_write.c - the view as a Prometheus remote-write request.
 *
 * The protobuf is written by hand: the messages are tiny (prompb's
 * remote.proto and types.proto):
 *   WriteRequest { repeated TimeSeries timeseries = 1; }
 *   TimeSeries   { repeated Label labels = 1; repeated Sample samples = 2; }
 *   Label        { string name = 1; string value = 2; }
 *   Sample       { double value = 1; int64 timestamp = 2; }
 * Every length is computed before the message is written, so the request
 * is built in one buffer in one pass, then snappy block-compressed.
 */
#include <curl/curl.h>
#include <math.h>
#include <snappy-c.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include "augur/export.h"
#include "report/report_int.h"
#include "util/alloc.h"
#include "util/buf.h"

#define PB_MAX ((size_t)256 << 20) /* uncompressed request cap */
#define MAX_EXTRA 16
#define MAX_LABELS (7 + MAX_EXTRA)
#define EXTRA_MAX_LEN 4096
#define ERRBODY_MAX 512
#define DEFAULT_TIMEOUT_MS 30000L

/* Wire types: 0 varint, 1 64-bit, 2 length-delimited. */
#define TAG(field, wt) ((unsigned char)(((field) << 3) | (wt)))

typedef struct lbl {
    const char *name, *value;
} lbl;

typedef struct extras {
    char buf[EXTRA_MAX_LEN + 1]; /* the names and values, NUL-separated */
    lbl l[MAX_EXTRA];
    size_t n;
} extras;

/* ---- extra labels ------------------------------------------------------ */

static const char *const reserved_names[] = {"namespace", "workload", "kind",    "container",
                                             "quantile",  "bound",    "horizon", NULL};

static int name_ok(const char *s)
{
    if (!((*s >= 'a' && *s <= 'z') || *s == '_') || (s[0] == '_' && s[1] == '_'))
        return 0;
    for (const char *p = s; *p; p++)
        if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') ||
              *p == '_'))
            return 0;
    return 1;
}

/* Parses "name=value,name=value" strictly into *x (NULL or "" = none). */
static ag_err parse_extras(const char *s, extras *x, ag_errinfo *ei)
{
    size_t len;
    char *p;

    x->n = 0;
    if (!s || !*s)
        return AG_OK;
    len = strlen(s);
    if (len > EXTRA_MAX_LEN) {
        ag_errinfo_set(ei, "remote-write extra labels: longer than %d bytes", EXTRA_MAX_LEN);
        return AG_EINVAL;
    }
    memcpy(x->buf, s, len + 1);
    p = x->buf;
    for (;;) {
        char *comma = strchr(p, ',');
        char *eq;
        if (comma)
            *comma = '\0';
        eq = strchr(p, '=');
        if (!eq) {
            ag_errinfo_set(ei, "remote-write extra labels: '%s' is not name=value", p);
            return AG_EINVAL;
        }
        *eq = '\0';
        if (!name_ok(p)) {
            ag_errinfo_set(ei,
                           "remote-write extra labels: bad name '%s' (want [a-z_][a-zA-Z0-9_]*, "
                           "not starting with __)",
                           p);
            return AG_EINVAL;
        }
        for (size_t i = 0; reserved_names[i]; i++)
            if (!strcmp(p, reserved_names[i])) {
                ag_errinfo_set(ei, "remote-write extra labels: '%s' is one of augur's own labels",
                               p);
                return AG_EINVAL;
            }
        for (size_t i = 0; i < x->n; i++)
            if (!strcmp(p, x->l[i].name)) {
                ag_errinfo_set(ei, "remote-write extra labels: '%s' given twice", p);
                return AG_EINVAL;
            }
        if (!eq[1]) {
            ag_errinfo_set(ei, "remote-write extra labels: '%s' has an empty value", p);
            return AG_EINVAL;
        }
        for (const char *c = eq + 1; *c; c++)
            if ((unsigned char)*c < 0x20 || (unsigned char)*c > 0x7e) {
                ag_errinfo_set(ei,
                               "remote-write extra labels: the value of '%s' is not printable "
                               "ASCII",
                               p);
                return AG_EINVAL;
            }
        if (x->n == MAX_EXTRA) {
            ag_errinfo_set(ei, "remote-write extra labels: more than %d", MAX_EXTRA);
            return AG_EINVAL;
        }
        x->l[x->n].name = p;
        x->l[x->n].value = eq + 1;
        x->n++;
        if (!comma)
            return AG_OK;
        p = comma + 1;
    }
}

/* ---- protobuf ---------------------------------------------------------- */

static size_t varint_len(uint64_t v)
{
    size_t n = 1;
    while (v >= 0x80) {
        v >>= 7;
        n++;
    }
    return n;
}

static ag_err put_varint(ag_buf *b, uint64_t v)
{
    unsigned char tmp[10];
    size_t n = 0;

    while (v >= 0x80) {
        tmp[n++] = (unsigned char)(v | 0x80);
        v >>= 7;
    }
    tmp[n++] = (unsigned char)v;
    return ag__buf_append(b, tmp, n);
}

static ag_err put_tag_len(ag_buf *b, unsigned char tag, size_t len)
{
    ag_err rc = ag__buf_append(b, &tag, 1);
    return rc == AG_OK ? put_varint(b, len) : rc;
}

static size_t field_len(size_t n)
{
    return 1 + varint_len(n) + n;
}

static size_t label_len(const lbl *l)
{
    return field_len(strlen(l->name)) + field_len(strlen(l->value));
}

static size_t sample_len(int64_t t)
{
    return 1 + 8 + 1 + varint_len((uint64_t)t);
}

static ag_err put_label(ag_buf *b, const lbl *l)
{
    size_t nn = strlen(l->name), nv = strlen(l->value);
    ag_err rc = put_tag_len(b, TAG(1, 2), label_len(l));

    if (rc == AG_OK)
        rc = put_tag_len(b, TAG(1, 2), nn);
    if (rc == AG_OK)
        rc = ag__buf_append(b, l->name, nn);
    if (rc == AG_OK)
        rc = put_tag_len(b, TAG(2, 2), nv);
    if (rc == AG_OK)
        rc = ag__buf_append(b, l->value, nv);
    return rc;
}

static ag_err put_sample(ag_buf *b, double v, int64_t t)
{
    unsigned char d[9];
    uint64_t bits;
    ag_err rc = put_tag_len(b, TAG(2, 2), sample_len(t));

    memcpy(&bits, &v, sizeof bits);
    d[0] = TAG(1, 1); /* little-endian IEEE 754 */
    for (int i = 0; i < 8; i++)
        d[1 + i] = (unsigned char)(bits >> (8 * i));
    if (rc == AG_OK)
        rc = ag__buf_append(b, d, sizeof d);
    if (rc == AG_OK)
        rc = ag__buf_append(b, (unsigned char[]){TAG(2, 0)}, 1);
    if (rc == AG_OK)
        rc = put_varint(b, (uint64_t)t); /* int64: two's complement varint */
    return rc;
}

/* One series under construction: its labels (sorted when written). */
typedef struct series {
    lbl l[MAX_LABELS];
    size_t n;
} series;

static void add_label(series *s, const char *name, const char *value)
{
    if (value && *value && s->n < MAX_LABELS) {
        s->l[s->n].name = name;
        s->l[s->n].value = value;
        s->n++;
    }
}

static void start_series(series *s, const char *metric, const char *ns, const char *name,
                         const char *kind, const char *container, const extras *x)
{
    s->n = 0;
    add_label(s, "__name__", metric);
    add_label(s, "namespace", ns);
    add_label(s, "workload", name);
    add_label(s, "kind", kind);
    add_label(s, "container", container);
    for (size_t i = 0; i < x->n; i++)
        add_label(s, x->l[i].name, x->l[i].value);
}

/* Sorts the labels by name (bytewise, as Prometheus compares them): the
 * extra label names are checked so that __name__ always comes first. */
static void sort_labels(series *s)
{
    for (size_t i = 1; i < s->n; i++) {
        lbl t = s->l[i];
        size_t j = i;
        while (j > 0 && strcmp(s->l[j - 1].name, t.name) > 0) {
            s->l[j] = s->l[j - 1];
            j--;
        }
        s->l[j] = t;
    }
}

/* Writes one TimeSeries with the samples vals[i * stride] at t0 + i * step
 * for i < n, the non-finite ones left out; nothing when none is finite. */
static ag_err put_series(ag_buf *b, series *s, const double *vals, size_t n, int64_t t0,
                         int64_t step)
{
    size_t len = 0, nfinite = 0;
    ag_err rc = AG_OK;

    sort_labels(s);
    for (size_t i = 0; i < s->n; i++)
        len += field_len(label_len(&s->l[i]));
    for (size_t i = 0; i < n; i++)
        if (isfinite(vals[i])) {
            len += field_len(sample_len(t0 + (int64_t)i * step));
            nfinite++;
        }
    if (!nfinite)
        return AG_OK;
    rc = put_tag_len(b, TAG(1, 2), len);
    for (size_t i = 0; rc == AG_OK && i < s->n; i++)
        rc = put_label(b, &s->l[i]);
    for (size_t i = 0; rc == AG_OK && i < n; i++)
        if (isfinite(vals[i]))
            rc = put_sample(b, vals[i], t0 + (int64_t)i * step);
    return rc;
}

static ag_err put_recs(ag_buf *b, const ag_view *v, const extras *x)
{
    series s;
    ag_err rc = AG_OK;

    for (int r = 0; rc == AG_OK && r < AG_NRES; r++) {
        const char *metric =
            r == AG_CPU ? "augur_recommendation_cpu_cores" : "augur_recommendation_memory_bytes";
        for (size_t i = 0; rc == AG_OK && i < v->nrecs; i++) {
            const ag_view_rec *w = &v->recs[i];
            ag_report_item it = {.wc = NULL, .rec = w->rec};
            for (size_t k = 0; rc == AG_OK && k < AG__REP_NFIELDS; k++) {
                double y = ag__rep_rec(&it, r, (ag__rep_field)k);
                start_series(&s, metric, w->ns, w->name, w->kind, w->container, x);
                add_label(&s, "bound", ag__rep_bound_names[k]);
                rc = put_series(b, &s, &y, 1, v->computed_ms, 0);
            }
        }
    }
    return rc;
}

/* The fixed horizons the forecast series are written at, as /metrics
 * publishes them (lib/http/metrics.c). */
static const struct {
    const char *label;
    int64_t ms;
} horizons[] = {{"1h", 3600000LL}, {"6h", 6 * 3600000LL}, {"24h", 24 * 3600000LL}};

/* Forecasts are written at the view's time with a horizon label, not at
 * their future timestamps: Prometheus accepts a future sample, but it
 * moves the head's newest time forward, and every later sample more than
 * an hour older than that (the next push, and every scrape of the same
 * Prometheus) is then refused as "out of bounds". */
static ag_err put_fcs(ag_buf *b, const ag_view *v, const extras *x)
{
    series s;
    ag_err rc = AG_OK;

    for (int r = 0; rc == AG_OK && r < AG_NRES; r++) {
        const char *metric =
            r == AG_CPU ? "augur_forecast_cpu_cores" : "augur_forecast_memory_bytes";
        for (size_t i = 0; rc == AG_OK && i < v->nfcs; i++) {
            const ag_view_fc *f = &v->fcs[i];
            if (f->resource != r || f->scope != AG_FC_SCOPE_POD || !f->q || f->step_ms <= 0 ||
                !f->horizon)
                continue; /* as /metrics: the per-pod forecasts */
            for (size_t k = 0; rc == AG_OK && k < f->nq && k < AG_VIEW_MAXQ; k++) {
                char q[32];
                snprintf(q, sizeof q, "%g", f->quantiles[k]);
                for (size_t h = 0; rc == AG_OK && h < sizeof horizons / sizeof horizons[0]; h++) {
                    /* the step ending H after the forecast start: the
                     * ceil(H / step)-th, 1-based */
                    size_t idx = (size_t)((horizons[h].ms + f->step_ms - 1) / f->step_ms) - 1;
                    if (idx >= f->horizon)
                        continue;
                    start_series(&s, metric, f->ns, f->name, f->kind, f->container, x);
                    add_label(&s, "quantile", q);
                    add_label(&s, "horizon", horizons[h].label);
                    rc = put_series(b, &s, &f->q[k * f->horizon + idx], 1, v->computed_ms, 0);
                }
            }
        }
    }
    return rc;
}

ag_err ag_rw_encode(const ag_view *v, const char *extra_labels, char **out, size_t *len,
                    ag_errinfo *ei)
{
    extras x;
    ag_buf b;
    size_t clen;
    char *z = NULL;
    ag_err rc;

    if (out)
        *out = NULL;
    if (len)
        *len = 0;
    if (!v || !out || !len) {
        ag_errinfo_set(ei, "remote-write: no view");
        return AG_EINVAL;
    }
    if ((rc = parse_extras(extra_labels, &x, ei)) != AG_OK)
        return rc;
    ag__buf_init(&b, PB_MAX);
    rc = put_fcs(&b, v, &x);
    if (rc == AG_OK)
        rc = put_recs(&b, v, &x);
    if (rc == AG_ETOOBIG)
        ag_errinfo_set(ei, "remote-write: the request is larger than %zu MiB", PB_MAX >> 20);
    if (rc == AG_OK) {
        clen = snappy_max_compressed_length(b.len);
        if (!(z = ag__malloc(clen ? clen : 1)))
            rc = AG_ENOMEM;
    }
    if (rc == AG_OK && snappy_compress(b.p ? b.p : "", b.len, z, &clen) != SNAPPY_OK) {
        ag_errinfo_set(ei, "remote-write: snappy compression failed");
        rc = AG_ENOMEM;
    }
    ag__buf_free(&b);
    if (rc != AG_OK) {
        ag__free(z);
        return rc;
    }
    *out = z;
    *len = clen;
    return AG_OK;
}

/* ---- HTTP -------------------------------------------------------------- */

typedef struct answer {
    char body[ERRBODY_MAX + 1];
    size_t len;
} answer;

static size_t on_body(char *ptr, size_t size, size_t nmemb, void *ud)
{
    answer *a = ud;
    size_t n = size * nmemb, room = ERRBODY_MAX - a->len;

    if (n < room)
        room = n;
    memcpy(a->body + a->len, ptr, room);
    a->len += room;
    return n;
}

static int is_net_error(CURLcode c)
{
    switch (c) {
    case CURLE_UNSUPPORTED_PROTOCOL:
    case CURLE_URL_MALFORMAT:
    case CURLE_OUT_OF_MEMORY:
    case CURLE_BAD_FUNCTION_ARGUMENT:
        return 0;
    default:
        return 1;
    }
}

ag_err ag_rw_push(const ag_rw_opts *o, const ag_view *v, ag_errinfo *ei)
{
    struct curl_slist *hdrs = NULL, *l;
    char errbuf[CURL_ERROR_SIZE] = "";
    char *body = NULL;
    size_t len;
    answer a = {.len = 0};
    CURL *h = NULL;
    CURLcode cc;
    long status = 0;
    long tmo;
    ag_buf auth;
    ag_err rc;

    if (!o || !o->url || !*o->url) {
        ag_errinfo_set(ei, "remote-write: no URL");
        return AG_EINVAL;
    }
    if ((rc = ag_rw_encode(v, o->extra_labels, &body, &len, ei)) != AG_OK)
        return rc;
    ag__buf_init(&auth, 1u << 17);
    if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK || !(h = curl_easy_init())) {
        ag_errinfo_set(ei, "cannot initialise libcurl");
        rc = AG_ENOMEM;
        goto out;
    }
    hdrs = curl_slist_append(NULL, "Content-Encoding: snappy");
    if (hdrs && (l = curl_slist_append(hdrs, "Content-Type: application/x-protobuf")))
        hdrs = l;
    else
        rc = AG_ENOMEM;
    if (rc == AG_OK && (l = curl_slist_append(hdrs, "X-Prometheus-Remote-Write-Version: 0.1.0")))
        hdrs = l;
    else
        rc = AG_ENOMEM;
    if (rc == AG_OK && o->bearer_token && *o->bearer_token) {
        rc = ag__buf_printf(&auth, "Authorization: Bearer %s", o->bearer_token);
        if (rc == AG_OK && (l = curl_slist_append(hdrs, auth.p)))
            hdrs = l;
        else if (rc == AG_OK)
            rc = AG_ENOMEM;
    }
    if (rc != AG_OK) {
        ag_errinfo_set(ei, "remote-write: out of memory");
        goto out;
    }
    tmo = o->timeout_ms > 0 ? o->timeout_ms : DEFAULT_TIMEOUT_MS;
    curl_easy_setopt(h, CURLOPT_URL, o->url);
#if LIBCURL_VERSION_NUM >= 0x075500
    curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "http,https");
#else
    curl_easy_setopt(h, CURLOPT_PROTOCOLS, (long)(CURLPROTO_HTTP | CURLPROTO_HTTPS));
#endif
    curl_easy_setopt(h, CURLOPT_HTTPHEADER, hdrs);
    curl_easy_setopt(h, CURLOPT_POST, 1L);
    curl_easy_setopt(h, CURLOPT_POSTFIELDS, body);
    curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)len);
    curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, tmo);
    curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT_MS, tmo < 30000 ? tmo : 30000L);
    curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(h, CURLOPT_USERAGENT, "augur/0.1");
    curl_easy_setopt(h, CURLOPT_ERRORBUFFER, errbuf);
    curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, on_body);
    curl_easy_setopt(h, CURLOPT_WRITEDATA, &a);
    cc = curl_easy_perform(h);
    if (cc != CURLE_OK) {
        ag_errinfo_set(ei, "remote-write to %s: %s", o->url,
                       errbuf[0] ? errbuf : curl_easy_strerror(cc));
        rc = is_net_error(cc) ? AG_ENET : AG_EINVAL;
        goto out;
    }
    curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &status);
    if (status < 200 || status >= 300) {
        /* the start of the answer, as one line of printable text */
        while (a.len > 0 && (a.body[a.len - 1] == '\n' || a.body[a.len - 1] == ' '))
            a.len--;
        for (size_t i = 0; i < a.len; i++)
            if ((unsigned char)a.body[i] < 0x20 || (unsigned char)a.body[i] >= 0x7f)
                a.body[i] = ' ';
        a.body[a.len] = '\0';
        ag_errinfo_set(ei, "remote-write to %s: HTTP %ld%s%s", o->url, status, a.len ? ": " : "",
                       a.body);
        rc = AG_EHTTP;
    }
out:
    curl_slist_free_all(hdrs);
    if (h)
        curl_easy_cleanup(h);
    ag__buf_free(&auth);
    ag__free(body);
    return rc;
}
