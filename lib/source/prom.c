/*
 * source/prom.c - usage history from a live Prometheus HTTP API.
 *
 * ag_prom_fetch() turns a time window into PromQL queries (one per
 * namespace, metric and range chunk), sends them over one reused libcurl
 * handle (keep-alive, gzip) and streams every body through the JSON push
 * parser of prom_json.c into the dataset. It finds the namespaces and the
 * scrape interval itself when not told, splits long ranges under the
 * 11,000-points-per-series limit of Prometheus on a common step grid, and
 * turns transport, HTTP and API failures into distinct errors that name
 * the URL and the query. The same API is served by VictoriaMetrics, Thanos
 * and Mimir; see docs/prometheus.md for the query choices and why irate at
 * the scrape interval reproduces the offline counter rate exactly.
 */
#include <curl/curl.h>
#include <ctype.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "source/prom_int.h"
#include "util/alloc.h"
#include "util/buf.h"

#define DEFAULT_TIMEOUT_MS 120000
#define DEFAULT_MAX_POINTS 11000
#define POST_THRESHOLD 4000     /* longer query strings are sent as a POST form */
#define ERRBODY_MAX (64u << 10) /* kept bytes of an HTTP error body */
#define MAX_QUERY (1u << 20)    /* PromQL + parameters */
#define CPU_METRIC "container_cpu_usage_seconds_total"

typedef struct fetch {
    CURL *h;
    struct curl_slist *hdrs;
    const ag_prom_opts *po;
    const ag_read_opts *opts;
    ag_ingest_stats *st;
    ag_errinfo *ei;
    ag_buf base; /* URL without a trailing '/' */
    ag_buf url;
    ag_buf params;
    ag_buf errbody;
    char *token;
    char curlerr[CURL_ERROR_SIZE];
    ag__prom_parser *cur;
    long status;
    int status_known;
    size_t nwarn;
    ag__prom_oommap oom;
    uint64_t done, total; /* queries, for the progress callback */
} fetch;

/* ---- small helpers ----------------------------------------------------- */

static int64_t floor_div(int64_t a, int64_t b)
{
    int64_t q = a / b;
    return (a % b != 0 && (a < 0) != (b < 0)) ? q - 1 : q;
}

/* Seconds with millisecond decimals, as the API accepts them. */
static const char *fmt_sec(char *buf, size_t len, int64_t ms)
{
    int64_t s = floor_div(ms, 1000);
    int64_t r = ms - s * 1000;
    if (r)
        snprintf(buf, len, "%lld.%03d", (long long)s, (int)r);
    else
        snprintf(buf, len, "%lld", (long long)s);
    return buf;
}

static void warn(fetch *f, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void warn(fetch *f, const char *fmt, ...)
{
    char msg[1024];
    va_list ap;
    size_t max = f->opts && f->opts->max_warnings ? f->opts->max_warnings : 20;

    if (f->nwarn++ >= max)
        return;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    if (f->opts && f->opts->warn)
        f->opts->warn(f->opts->warn_ud, msg);
    else
        fprintf(stderr, "augur: warning: %s\n", msg);
}

/* Appends s escaped for a PromQL double-quoted string. */
static ag_err promql_str(ag_buf *b, const char *s)
{
    ag_err rc = ag__buf_append(b, "\"", 1);
    for (; *s && rc == AG_OK; s++) {
        if (*s == '"' || *s == '\\')
            rc = ag__buf_append(b, "\\", 1);
        if (rc == AG_OK)
            rc = ag__buf_append(b, s, 1);
    }
    return rc == AG_OK ? ag__buf_append(b, "\"", 1) : rc;
}

/* "namespace="ns",container!="",container!="POD",extra" (pieces optional). */
static ag_err matchers(ag_buf *b, const ag_prom_opts *po, const char *ns, int containers)
{
    ag_err rc = AG_OK;
    const char *sep = "";

    ag__buf_reset(b);
    if (ns) {
        rc = ag__buf_puts(b, "namespace=");
        if (rc == AG_OK)
            rc = promql_str(b, ns);
        sep = ",";
    }
    if (rc == AG_OK && containers) {
        rc = ag__buf_printf(b, "%scontainer!=\"\",container!=\"POD\"", sep);
        sep = ",";
    }
    if (rc == AG_OK && po->extra_matchers && *po->extra_matchers)
        rc = ag__buf_printf(b, "%s%s", sep, po->extra_matchers);
    return rc;
}

/* ---- HTTP -------------------------------------------------------------- */

static size_t on_body(char *ptr, size_t size, size_t nmemb, void *ud)
{
    fetch *f = ud;
    size_t n = size * nmemb;

    if (!f->status_known) {
        curl_easy_getinfo(f->h, CURLINFO_RESPONSE_CODE, &f->status);
        f->status_known = 1;
    }
    if (f->status < 200 || f->status >= 300) {
        size_t room = ERRBODY_MAX - f->errbody.len;
        if (room)
            ag__buf_append(&f->errbody, ptr, n < room ? n : room);
        return n;
    }
    return ag__prom_parser_feed(f->cur, ptr, n) == AG_OK ? n : 0;
}

static ag_err setup(fetch *f)
{
    const ag_prom_opts *po = f->po;
    CURL *h;
    long tmo = (long)(po->timeout_ms > 0 ? po->timeout_ms : DEFAULT_TIMEOUT_MS);
    ag_err rc;
    size_t n = strlen(po->url);

    while (n > 0 && po->url[n - 1] == '/')
        n--;
    if ((rc = ag__buf_append(&f->base, po->url, n)) != AG_OK)
        return rc;
    if (po->bearer_token_file) {
        size_t len;
        if ((rc = ag__read_file(po->bearer_token_file, 1u << 16, &f->token, &len, f->ei)) != AG_OK)
            return rc;
        while (len > 0 && isspace((unsigned char)f->token[len - 1]))
            f->token[--len] = '\0';
    } else if (po->bearer_token && !(f->token = ag__strdup(po->bearer_token))) {
        return AG_ENOMEM;
    }
    if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK || !(h = f->h = curl_easy_init())) {
        ag_errinfo_set(f->ei, "cannot initialise libcurl");
        return AG_ENOMEM;
    }
    if (f->token) {
        ag_buf hb;
        struct curl_slist *l;
        ag__buf_init(&hb, 1u << 17);
        rc = ag__buf_printf(&hb, "Authorization: Bearer %s", f->token);
        l = rc == AG_OK ? curl_slist_append(NULL, hb.p) : NULL;
        ag__buf_free(&hb);
        if (!l)
            return AG_ENOMEM;
        f->hdrs = l;
        curl_easy_setopt(h, CURLOPT_HTTPHEADER, f->hdrs);
    }
    if (po->username) {
        curl_easy_setopt(h, CURLOPT_HTTPAUTH, (long)CURLAUTH_BASIC);
        curl_easy_setopt(h, CURLOPT_USERNAME, po->username);
        curl_easy_setopt(h, CURLOPT_PASSWORD, po->password ? po->password : "");
    }
    if (po->ca_file)
        curl_easy_setopt(h, CURLOPT_CAINFO, po->ca_file);
    if (po->insecure) {
        curl_easy_setopt(h, CURLOPT_SSL_VERIFYPEER, 0L);
        curl_easy_setopt(h, CURLOPT_SSL_VERIFYHOST, 0L);
    }
#if LIBCURL_VERSION_NUM >= 0x075500
    curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "http,https");
    curl_easy_setopt(h, CURLOPT_REDIR_PROTOCOLS_STR, "http,https");
#else
    curl_easy_setopt(h, CURLOPT_PROTOCOLS, (long)(CURLPROTO_HTTP | CURLPROTO_HTTPS));
#endif
    curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, tmo);
    curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT_MS, tmo < 30000 ? tmo : 30000L);
    curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(h, CURLOPT_ACCEPT_ENCODING, "");
    curl_easy_setopt(h, CURLOPT_FOLLOWLOCATION, 1L);
    curl_easy_setopt(h, CURLOPT_MAXREDIRS, 5L);
    curl_easy_setopt(h, CURLOPT_USERAGENT, "augur/0.1");
    curl_easy_setopt(h, CURLOPT_ERRORBUFFER, f->curlerr);
    curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, on_body);
    curl_easy_setopt(h, CURLOPT_WRITEDATA, f);
    curl_easy_setopt(h, CURLOPT_BUFFERSIZE, 256L << 10);
    return AG_OK;
}

static int is_net_error(CURLcode c)
{
    switch (c) {
    case CURLE_UNSUPPORTED_PROTOCOL:
    case CURLE_URL_MALFORMAT:
    case CURLE_OUT_OF_MEMORY:
    case CURLE_WRITE_ERROR:
    case CURLE_BAD_FUNCTION_ARGUMENT:
        return 0;
    default:
        return 1;
    }
}

/* The detail of an HTTP error: the API's errorType/error when the body is
 * its JSON envelope, else the start of the body as text. */
static void http_error(fetch *f, const char *what)
{
    ag__prom_parser ep;
    ag_ingest_stats dummy = {0};
    ag_errinfo pei;
    char text[240];
    size_t n = 0;

    ag__prom_parser_init(&ep, NULL, AG__PROM_ENVELOPE, what, NULL, &dummy, 0, &pei);
    ep.max_warnings = 0;
    if (ag__prom_parser_feed(&ep, f->errbody.p ? f->errbody.p : "", f->errbody.len) == AG_OK &&
        ag__prom_parser_end(&ep) == AG_EPROM && ep.error[0]) {
        ag_errinfo_set(f->ei, "HTTP %ld from %s: %s%s%s (%s)", f->status, f->url.p,
                       ep.error_type[0] ? ep.error_type : "", ep.error_type[0] ? ": " : "",
                       ep.error, what);
    } else {
        for (size_t i = 0; i < f->errbody.len && n + 1 < sizeof text; i++) {
            unsigned char c = (unsigned char)f->errbody.p[i];
            text[n++] = c >= 0x20 && c < 0x7f ? (char)c : ' ';
        }
        text[n] = '\0';
        ag_errinfo_set(f->ei, "HTTP %ld from %s%s%s (%s)", f->status, f->url.p, n ? ": " : "", text,
                       what);
    }
    ag__prom_parser_free(&ep);
}

/* Sends one API request (path plus URL-encoded params) and streams the
 * answer through p. */
static ag_err request(fetch *f, ag__prom_parser *p, const char *path, const char *what)
{
    CURLcode cc;
    ag_err rc;
    int post = f->params.len > POST_THRESHOLD;

    ag__buf_reset(&f->url);
    rc = ag__buf_printf(&f->url, "%s%s", f->base.p, path);
    if (rc == AG_OK && !post)
        rc = ag__buf_printf(&f->url, "?%s", f->params.p);
    if (rc != AG_OK) {
        ag_errinfo_set(f->ei, "%s: URL too long", what);
        return rc;
    }
    if (f->po->verbose)
        fprintf(stderr, "augur: prom: %s\naugur: prom:   %s %s\n", what, post ? "POST" : "GET",
                f->url.p);
    curl_easy_setopt(f->h, CURLOPT_URL, f->url.p);
    if (post) {
        curl_easy_setopt(f->h, CURLOPT_POSTFIELDS, f->params.p);
        curl_easy_setopt(f->h, CURLOPT_POSTFIELDSIZE, (long)f->params.len);
    } else {
        curl_easy_setopt(f->h, CURLOPT_HTTPGET, 1L);
    }
    f->cur = p;
    f->status = 0;
    f->status_known = 0;
    f->curlerr[0] = '\0';
    ag__buf_reset(&f->errbody);
    cc = curl_easy_perform(f->h);
    f->cur = NULL;
    if (post) /* the query part was not in the URL: name the query for messages */
        ag__buf_printf(&f->url, " (POST)");
    if (cc == CURLE_WRITE_ERROR && p->err)
        return p->err;
    if (cc != CURLE_OK) {
        ag_errinfo_set(f->ei, "cannot query Prometheus at %s%s: %s (%s)", f->base.p, path,
                       f->curlerr[0] ? f->curlerr : curl_easy_strerror(cc), what);
        return is_net_error(cc) ? AG_ENET : AG_EINVAL;
    }
    if (!f->status_known)
        curl_easy_getinfo(f->h, CURLINFO_RESPONSE_CODE, &f->status);
    if (f->status < 200 || f->status >= 300) {
        http_error(f, what);
        return AG_EHTTP;
    }
    rc = ag__prom_parser_end(p);
    f->done++;
    if (f->opts && f->opts->progress && f->total) /* total is known once the plan is made */
        f->opts->progress(f->opts->progress_ud, f->done, f->total);
    return rc;
}

/* ---- queries ----------------------------------------------------------- */

static ag_err add_param(ag_buf *b, const char *k, const char *v)
{
    char *e = curl_easy_escape(NULL, v, 0);
    ag_err rc;
    if (!e)
        return AG_ENOMEM;
    rc = ag__buf_printf(b, "%s%s=%s", b->len ? "&" : "", k, e);
    curl_free(e);
    return rc;
}

static void describe(char *what, size_t len, const char *q, int64_t t0, int64_t t1, int64_t step)
{
    char a[32], b[32], s[32];
    if (step > 0)
        snprintf(what, len, "query_range '%.400s' [%s, %s] step %ss", q, fmt_sec(a, sizeof a, t0),
                 fmt_sec(b, sizeof b, t1), fmt_sec(s, sizeof s, step));
    else
        snprintf(what, len, "query '%.400s' at %s", q, fmt_sec(a, sizeof a, t1));
}

/* Runs one query into ds: a range query when step > 0, else an instant
 * query at t1. Fills *points and *scalar when non-NULL. */
static ag_err run_query(fetch *f, ag_dataset *ds, int kind, const char *q, int64_t t0, int64_t t1,
                        int64_t step, uint64_t *points, double *scalar)
{
    ag__prom_parser p;
    char what[640], a[32];
    ag_err rc;

    describe(what, sizeof what, q, t0, t1, step);
    ag__buf_reset(&f->params);
    rc = add_param(&f->params, "query", q);
    if (rc == AG_OK && step > 0) {
        rc = add_param(&f->params, "start", fmt_sec(a, sizeof a, t0));
        if (rc == AG_OK)
            rc = add_param(&f->params, "end", fmt_sec(a, sizeof a, t1));
        if (rc == AG_OK)
            rc = add_param(&f->params, "step", fmt_sec(a, sizeof a, step));
    } else if (rc == AG_OK) {
        rc = add_param(&f->params, "time", fmt_sec(a, sizeof a, t1));
    }
    if (rc != AG_OK) {
        ag_errinfo_set(f->ei, "%s: query too long", what);
        return rc;
    }
    ag__prom_parser_init(&p, ds, kind, what, f->opts, f->st, f->po->max_response, f->ei);
    p.nwarn = &f->nwarn;
    p.oom = &f->oom;
    rc = request(f, &p, step > 0 ? "/api/v1/query_range" : "/api/v1/query", what);
    if (rc == AG_OK && points)
        *points += p.npoints;
    if (rc == AG_OK && scalar)
        *scalar = p.nscalar ? p.scalar : NAN;
    ag__prom_parser_free(&p);
    return rc;
}

/* The namespaces with container CPU series in the window. Caller frees. */
static ag_err list_namespaces(fetch *f, int64_t t0, int64_t t1, char ***out, size_t *n)
{
    ag__prom_parser p;
    ag_buf m, sel;
    char a[32], what[640];
    ag_err rc;

    ag__buf_init(&m, MAX_QUERY);
    ag__buf_init(&sel, MAX_QUERY);
    rc = matchers(&m, f->po, NULL, 1);
    if (rc == AG_OK)
        rc = ag__buf_printf(&sel, "container_cpu_usage_seconds_total{%s}", m.p);
    ag__buf_reset(&f->params);
    if (rc == AG_OK)
        rc = add_param(&f->params, "match[]", sel.p);
    if (rc == AG_OK)
        rc = add_param(&f->params, "start", fmt_sec(a, sizeof a, t0));
    if (rc == AG_OK)
        rc = add_param(&f->params, "end", fmt_sec(a, sizeof a, t1));
    snprintf(what, sizeof what, "namespace values of '%.400s'", rc == AG_OK ? sel.p : "");
    ag__buf_free(&sel);
    ag__buf_free(&m);
    if (rc != AG_OK)
        return rc;
    ag__prom_parser_init(&p, NULL, AG__PROM_LABEL_VALUES, what, f->opts, f->st, f->po->max_response,
                         f->ei);
    p.nwarn = &f->nwarn;
    rc = request(f, &p, "/api/v1/label/namespace/values", what);
    if (rc == AG_OK) {
        *out = p.names;
        *n = p.nnames;
        p.names = NULL;
        p.nnames = p.namecap = 0;
    }
    ag__prom_parser_free(&p);
    return rc;
}

/* Picks the interval from a sample count over span_s seconds: a window
 * holds count or count-1 intervals depending on whether both ends hit a
 * sample, so take whichever reading is closer to a whole second. */
static int64_t interval_from_count(double span_s, double count)
{
    double i1 = span_s / count, i2 = count > 1 ? span_s / (count - 1) : i1;
    double r = fabs(i1 - round(i1)) <= fabs(i2 - round(i2)) ? round(i1) : round(i2);
    return r < 1 ? 1000 : (int64_t)r * 1000;
}

/* Detects the scrape interval from the memory working-set series. */
static ag_err detect_interval(fetch *f, const char *ns, int64_t t0, int64_t t1, int64_t *out)
{
    ag_buf m, q;
    double last = NAN, count = NAN;
    int64_t span_s = 3600, at = t1;
    ag_err rc;

    ag__buf_init(&m, MAX_QUERY);
    ag__buf_init(&q, MAX_QUERY);
    rc = matchers(&m, f->po, ns, 1);
    /* Count at the newest sample, so a window ending after the data does
     * not dilute the count. */
    if (rc == AG_OK)
        rc = ag__buf_printf(&q, "max(timestamp(container_memory_working_set_bytes{%s}))", m.p);
    if (rc == AG_OK)
        rc = run_query(f, NULL, AG_PROM_SCALAR, q.p, t1, t1, 0, NULL, &last);
    if (rc != AG_OK)
        goto out;
    if (!isnan(last)) {
        at = (int64_t)llround(last * 1000.0);
        ag__buf_reset(&q);
        rc = ag__buf_printf(&q, "max(count_over_time(container_memory_working_set_bytes{%s}[1h]))",
                            m.p);
        if (rc == AG_OK)
            rc = run_query(f, NULL, AG_PROM_SCALAR, q.p, at, at, 0, NULL, &count);
        if (rc != AG_OK)
            goto out;
    }
    if (isnan(count) || count < 1) {
        span_s = (t1 - t0 + 999) / 1000;
        if (span_s < 1)
            span_s = 1;
        ag__buf_reset(&q);
        rc = ag__buf_printf(&q,
                            "max(count_over_time(container_memory_working_set_bytes{%s}[%llds]))",
                            m.p, (long long)span_s);
        if (rc == AG_OK)
            rc = run_query(f, NULL, AG_PROM_SCALAR, q.p, t1, t1, 0, NULL, &count);
        if (rc != AG_OK)
            goto out;
        if (isnan(count) || count < 1) {
            rc = AG_ENODATA;
            goto out;
        }
        *out = interval_from_count((double)span_s, count);
        warn(f,
             "no memory samples in the last 5 minutes before the window end; scrape interval "
             "estimated over the whole window: %llds",
             (long long)(*out / 1000));
        goto out;
    }
    *out = interval_from_count((double)span_s, count);
out:
    ag__buf_free(&m);
    ag__buf_free(&q);
    return rc;
}

typedef struct plan {
    int64_t start, end; /* aligned range */
    int64_t step, interval;
    int irate;
    int64_t window_ms;  /* rate / irate window */
    int64_t mem_window_ms; /* max_over_time window for memory */
    int64_t lookback_s; /* whole window, for last_over_time */
    size_t max_points;
} plan;

static ag_err range_chunks(fetch *f, ag_dataset *ds, const plan *pl, int kind, const char *q,
                           uint64_t *points)
{
    int64_t span = (int64_t)(pl->max_points - 1) * pl->step;
    for (int64_t cs = pl->start; cs <= pl->end; cs += span + pl->step) {
        int64_t ce = cs + span < pl->end ? cs + span : pl->end;
        ag_err rc = run_query(f, ds, kind, q, cs, ce, pl->step, points, NULL);
        if (rc != AG_OK)
            return rc;
    }
    return AG_OK;
}

static ag_err fetch_namespace(fetch *f, ag_dataset *ds, const plan *pl, const char *ns,
                              uint64_t *usage_points)
{
    static const struct {
        int kind;
        const char *metric;
    } specs[] = {{AG_PROM_OWNER, "kube_pod_owner"},
                 {AG_PROM_LABELS, "kube_pod_labels"},
                 {AG_PROM_REQUESTS, "kube_pod_container_resource_requests"},
                 {AG_PROM_LIMITS, "kube_pod_container_resource_limits"}};
    ag_buf m, q;
    long long w = (long long)pl->window_ms;
    ag_err rc;

    ag__buf_init(&m, MAX_QUERY);
    ag__buf_init(&q, MAX_QUERY);
    rc = matchers(&m, f->po, ns, 1);
    /* max by: one series per container even when two jobs scrape the same
     * cAdvisor; with one series the value passes through unchanged. The
     * count_over_time filter keeps irate to windows that hold two samples:
     * Prometheus never answers otherwise (the filter changes nothing
     * there), but VictoriaMetrics then pairs the one sample with the one
     * before the window, which repeats a rate into the first step of a
     * scrape gap and one step past the end of a stopped series. */
    if (rc == AG_OK && pl->irate)
        rc = ag__buf_printf(&q,
                            "max by (namespace,pod,container) (irate(%s{%s}[%lldms]) and "
                            "count_over_time(%s{%s}[%lldms]) > 1)",
                            CPU_METRIC, m.p, w, CPU_METRIC, m.p, w);
    else if (rc == AG_OK)
        rc = ag__buf_printf(&q, "max by (namespace,pod,container) (rate(%s{%s}[%lldms]))",
                            CPU_METRIC, m.p, w);
    if (rc == AG_OK)
        rc = range_chunks(f, ds, pl, AG_PROM_CPU_RATE, q.p, usage_points);
    ag__buf_reset(&q);
    if (rc == AG_OK)
        rc = ag__buf_printf(&q,
                            "max by (namespace,pod,container) "
                            "(max_over_time(container_memory_working_set_bytes{%s}[%lldms]))",
                            m.p, (long long)pl->mem_window_ms);
    if (rc == AG_OK)
        rc = range_chunks(f, ds, pl, AG_PROM_MEMORY, q.p, usage_points);
    ag__buf_reset(&q);
    if (rc == AG_OK)
        rc = ag__buf_printf(&q, "max by (namespace,pod,container) (container_oom_events_total{%s})",
                            m.p);
    if (rc == AG_OK)
        rc = range_chunks(f, ds, pl, AG_PROM_OOM_COUNTER, q.p, NULL);
    if (rc == AG_OK)
        rc = matchers(&m, f->po, ns, 0);
    for (size_t i = 0; i < sizeof specs / sizeof specs[0] && rc == AG_OK; i++) {
        ag__buf_reset(&q);
        rc = ag__buf_printf(&q, "last_over_time(%s{%s}[%llds])", specs[i].metric, m.p,
                            (long long)pl->lookback_s);
        if (rc == AG_OK)
            rc = run_query(f, ds, specs[i].kind, q.p, pl->end, pl->end, 0, NULL, NULL);
    }
    if (rc == AG_ETOOBIG && !f->ei->msg[0])
        ag_errinfo_set(f->ei, "PromQL query too long (extra matchers?)");
    ag__buf_free(&m);
    ag__buf_free(&q);
    return rc;
}

static ag_err make_plan(fetch *f, plan *pl, const char *ns, int64_t t0, int64_t t1)
{
    const ag_prom_opts *po = f->po;
    ag_err rc = detect_interval(f, ns, t0, t1, &pl->interval);

    if (rc == AG_ENODATA)
        return rc;
    if (rc != AG_OK)
        return rc;
    pl->step = po->step_ms > 0 ? po->step_ms : pl->interval;
    /* Windows end 1 ms short of a whole number of steps, so a window holds
     * the samples in (t - k*step, t] under both the closed ranges of
     * Prometheus 2 and the left-open ones of Prometheus 3, and a series that
     * stopped (a pod replaced in a rollout) yields no trailing repeats. */
    if (pl->step <= pl->interval) {
        /* irate over the last two samples: at the scrape step this is
         * exactly the offline (v2-v1)/(t2-t1) counter rate. */
        pl->irate = 1;
        pl->window_ms = 2 * pl->interval - 1;
        pl->mem_window_ms = pl->interval - 1;
    } else {
        /* A coarser step averages CPU, as the VPA's Prometheus history
         * provider does (at least two intervals so every window holds two
         * samples), and keeps the memory peak of each step. */
        int64_t w = pl->step > 2 * pl->interval ? pl->step : 2 * pl->interval;
        pl->irate = 0;
        pl->window_ms = w;
        pl->mem_window_ms = pl->step - 1;
    }
    if (pl->mem_window_ms < 1)
        pl->mem_window_ms = 1;
    pl->max_points = po->max_points >= 2 ? po->max_points : DEFAULT_MAX_POINTS;
    /* Every chunk evaluates on the same grid: multiples of the step. */
    pl->start = -floor_div(-t0, pl->step) * pl->step;
    pl->end = t1;
    pl->lookback_s = (t1 - t0 + 999) / 1000;
    if (pl->lookback_s < 1)
        pl->lookback_s = 1;
    return AG_OK;
}

static void fetch_free(fetch *f)
{
    if (f->h)
        curl_easy_cleanup(f->h);
    curl_slist_free_all(f->hdrs);
    ag__buf_free(&f->base);
    ag__buf_free(&f->url);
    ag__buf_free(&f->params);
    ag__buf_free(&f->errbody);
    if (f->token) {
        memset(f->token, 0, strlen(f->token));
        ag__free(f->token);
    }
    ag__prom_oommap_free(&f->oom);
}

static void nodata(fetch *f, int64_t t0, int64_t t1)
{
    char a[32], b[32];
    ag_errinfo_set(f->ei,
                   "Prometheus at %s has no container_cpu_usage_seconds_total / "
                   "container_memory_working_set_bytes in [%s, %s]%s%s",
                   f->po->url, fmt_sec(a, sizeof a, t0), fmt_sec(b, sizeof b, t1),
                   f->po->ns ? " for namespace " : "", f->po->ns ? f->po->ns : "");
}

ag_err ag_prom_fetch(ag_dataset *ds, const ag_prom_opts *po, int64_t start_ms, int64_t end_ms,
                     const ag_read_opts *opts, ag_ingest_stats *st, int64_t *step_used_ms,
                     ag_errinfo *ei)
{
    fetch f;
    plan pl;
    ag_ingest_stats local = {0};
    ag_errinfo own_ei;
    char **names = NULL;
    size_t nnames = 0;
    uint64_t points = 0;
    ag_err rc;

    if (!ei) {
        own_ei.msg[0] = '\0';
        ei = &own_ei;
    }
    ei->msg[0] = '\0';
    if (!ds || !po || !po->url || !*po->url || start_ms > end_ms) {
        ag_errinfo_set(ei, "ag_prom_fetch: %s",
                       !po || !po->url || !*po->url ? "no Prometheus URL"
                                                    : "invalid arguments (start after end?)");
        return AG_EINVAL;
    }
    memset(&f, 0, sizeof f);
    f.po = po;
    f.opts = opts;
    f.st = st ? st : &local;
    f.ei = ei;
    ag__buf_init(&f.base, 1u << 16);
    ag__buf_init(&f.url, MAX_QUERY * 3 + (1u << 16));
    ag__buf_init(&f.params, MAX_QUERY * 3);
    ag__buf_init(&f.errbody, ERRBODY_MAX + 1);
    if ((rc = setup(&f)) != AG_OK)
        goto out;
    if ((rc = make_plan(&f, &pl, po->ns, start_ms, end_ms)) != AG_OK) {
        if (rc == AG_ENODATA)
            nodata(&f, start_ms, end_ms);
        goto out;
    }
    if (step_used_ms)
        *step_used_ms = pl.step;
    if (pl.start > pl.end) {
        rc = AG_ENODATA;
        nodata(&f, start_ms, end_ms);
        goto out;
    }
    if (po->ns) {
        names = ag__calloc(1, sizeof *names);
        if (!names || !(names[0] = ag__strdup(po->ns))) {
            rc = AG_ENOMEM;
            goto out;
        }
        nnames = 1;
    } else if ((rc = list_namespaces(&f, start_ms, end_ms, &names, &nnames)) != AG_OK) {
        goto out;
    }
    {
        uint64_t chunks =
            (uint64_t)((pl.end - pl.start) / ((int64_t)(pl.max_points - 1) * pl.step) + 1);
        f.total = f.done + nnames * (3 * chunks + 4);
    }
    if (po->verbose) {
        char a[32], b[32], s[32], iv[32];
        fprintf(stderr,
                "augur: prom: %zu namespace(s), [%s, %s], step %ss (scrape interval %ss), "
                "CPU by %s\n",
                nnames, fmt_sec(a, sizeof a, pl.start), fmt_sec(b, sizeof b, pl.end),
                fmt_sec(s, sizeof s, pl.step), fmt_sec(iv, sizeof iv, pl.interval),
                pl.irate ? "irate" : "rate");
    }
    for (size_t i = 0; i < nnames && rc == AG_OK; i++)
        rc = fetch_namespace(&f, ds, &pl, names[i], &points);
    if (rc == AG_OK && points == 0) {
        rc = AG_ENODATA;
        nodata(&f, start_ms, end_ms);
    }
out:
    for (size_t i = 0; i < nnames; i++)
        ag__free(names[i]);
    ag__free(names);
    fetch_free(&f);
    return rc;
}
