/*
 * http/server.c - the libmicrohttpd glue: listening, the per-client rate
 * limit, bearer tokens on state-changing methods, body caps, routing,
 * and one response per request rendered from a view reference taken for
 * the time it renders.
 */
#include <arpa/inet.h>
#include <math.h>
#include <microhttpd.h>
#include <netdb.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include "augur/http.h"
#include "augur/util.h"
#include "http/http_int.h"
#include "util/alloc.h"
#include "util/buf.h"

#define RESP_MAX ((size_t)256 << 20) /* the largest response rendered */
#define NSETS 256                    /* rate-limit table: NSETS sets of WAYS buckets */
#define WAYS 4

typedef struct bucket {
    char ip[INET6_ADDRSTRLEN];
    double tokens;
    double t; /* monotonic seconds of the last refill */
} bucket;

/* One body rendered from a view, kept while that view is the one asked
 * for (known by its address and time: a published view never changes). */
typedef struct view_cache {
    pthread_mutex_t mu;
    const ag_view *v;
    int64_t ms;
    ag_buf b;
} view_cache;

struct ag_http {
    struct MHD_Daemon *d;
    ag_serve *s;
    char *token;
    size_t max_body;
    double rate;
    double burst;
    int port;
    pthread_mutex_t mu; /* guards buckets */
    bucket buckets[NSETS][WAYS];
    uint64_t counts[AG__HTTP_NCODES]; /* atomics */
    /* bodies that depend only on the view, rendered once per view:
     * /metrics' view series, the unfiltered /api/v1/workloads */
    view_cache metrics_cache, workloads_cache;
};

/* Per request: what arrived of the body so far. */
typedef struct req_ctx {
    size_t body;
    int too_big;
    int done; /* a response is queued */
} req_ctx;

static double mono_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* ---- rate limit ---- */

static uint32_t hash(const char *s)
{
    uint32_t h = 2166136261u;
    for (; *s; s++)
        h = (h ^ (unsigned char)*s) * 16777619u;
    return h;
}

/* Takes a token from ip's bucket. Returns 0, or the seconds to wait. */
static int rate_take(ag_http *h, const char *ip)
{
    bucket *set = h->buckets[hash(ip) % NSETS], *b = NULL;
    double now = mono_s();
    int wait = 0;

    pthread_mutex_lock(&h->mu);
    for (int i = 0; i < WAYS && !b; i++)
        if (strcmp(set[i].ip, ip) == 0)
            b = &set[i];
    if (!b) {
        /* A new client takes the way idle longest; a bucket that refilled
         * is as good as new, so little is lost. */
        b = &set[0];
        for (int i = 1; i < WAYS; i++)
            if (set[i].t < b->t)
                b = &set[i];
        snprintf(b->ip, sizeof b->ip, "%s", ip);
        b->tokens = h->burst;
        b->t = now;
    }
    b->tokens = fmin(h->burst, b->tokens + (now - b->t) * h->rate);
    b->t = now;
    if (b->tokens >= 1)
        b->tokens -= 1;
    else
        wait = (int)ceil((1 - b->tokens) / h->rate);
    pthread_mutex_unlock(&h->mu);
    return wait < 0 ? 1 : wait;
}

static void client_ip(struct MHD_Connection *c, char *buf, size_t len)
{
    const union MHD_ConnectionInfo *ci =
        MHD_get_connection_info(c, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
    const struct sockaddr *sa = ci ? ci->client_addr : NULL;

    snprintf(buf, len, "?");
    if (sa && sa->sa_family == AF_INET)
        inet_ntop(AF_INET, &((const struct sockaddr_in *)(const void *)sa)->sin_addr, buf,
                  (socklen_t)len);
    else if (sa && sa->sa_family == AF_INET6)
        inet_ntop(AF_INET6, &((const struct sockaddr_in6 *)(const void *)sa)->sin6_addr, buf,
                  (socklen_t)len);
}

/* ---- responses ---- */

static enum MHD_Result reply(ag_http *h, struct MHD_Connection *c, int code, const char *ctype,
                             const char *body, size_t len, const char *hname, const char *hval)
{
    struct MHD_Response *r =
        MHD_create_response_from_buffer(len, (void *)(uintptr_t)body, MHD_RESPMEM_MUST_COPY);
    enum MHD_Result ret;
    int i = ag__http_code_index(code);

    if (!r)
        return MHD_NO;
    MHD_add_response_header(r, "Content-Type", ctype);
    MHD_add_response_header(r, "Cache-Control", "no-store");
    MHD_add_response_header(r, "X-Content-Type-Options", "nosniff");
    if (hname && hval)
        MHD_add_response_header(r, hname, hval);
    if (i >= 0)
        __atomic_add_fetch(&h->counts[i], 1, __ATOMIC_RELAXED);
    ret = MHD_queue_response(c, (unsigned)code, r);
    MHD_destroy_response(r);
    return ret;
}

static enum MHD_Result send_buf(ag_http *h, struct MHD_Connection *c, int code, const char *ctype,
                                const ag_buf *b, const char *hname, const char *hval)
{
    return reply(h, c, code, ctype, b->p ? b->p : "", b->len, hname, hval);
}

#define JSON_TYPE "application/json"

static enum MHD_Result send_error(ag_http *h, struct MHD_Connection *c, int code, const char *msg,
                                  const char *hname, const char *hval)
{
    ag_buf b;
    enum MHD_Result ret;

    ag__buf_init(&b, 4096);
    if (ag__http_error_json(&b, code, msg) != AG_OK) {
        ag__buf_free(&b);
        return reply(h, c, 500, JSON_TYPE, "{\"error\": \"out of memory\", \"code\": 500}\n", 41,
                     NULL, NULL);
    }
    ret = send_buf(h, c, code, JSON_TYPE, &b, hname, hval);
    ag__buf_free(&b);
    return ret;
}

/* ---- requests ---- */

static enum MHD_Result query_param(void *cls, enum MHD_ValueKind kind, const char *key,
                                   const char *value)
{
    (void)kind;
    ag__http_req_param(cls, key ? key : "", value);
    return MHD_YES;
}

static int state_changing(const char *m)
{
    return strcmp(m, "POST") == 0 || strcmp(m, "PUT") == 0 || strcmp(m, "PATCH") == 0 ||
           strcmp(m, "DELETE") == 0;
}

/* "Bearer <token>", compared in time independent of where it differs. */
static int token_ok(const ag_http *h, const char *auth)
{
    size_t n, tn = strlen(h->token);
    unsigned diff = 0;

    if (!auth || strncmp(auth, "Bearer ", 7) != 0)
        return 0;
    auth += 7;
    n = strlen(auth);
    diff = n != tn;
    for (size_t i = 0; i < tn; i++)
        diff |= (unsigned)(unsigned char)h->token[i] ^ (unsigned char)(i < n ? auth[i] : 0);
    return diff == 0;
}

static ag_err cached(view_cache *vc, const ag_view *v, ag_err (*render)(const ag_view *, ag_buf *),
                     ag_buf *b);
static ag_err render_workloads(const ag_view *v, ag_buf *b);

/* The list endpoints: the page with its continue token as a header. */
static enum MHD_Result list(ag_http *h, struct MHD_Connection *c, const ag__http_req *q,
                            const ag_view *v)
{
    ag_buf b;
    size_t next = 0;
    ag_err rc = AG_OK;
    enum MHD_Result ret;
    char tok[32];
    int plain = q->seen == 0;

    ag__buf_init(&b, RESP_MAX);
    if (q->route == AG__R_RECS && plain && v && v->recs_json)
        rc = ag__buf_append(&b, v->recs_json, v->recs_json_len);
    else if (q->route == AG__R_RECS)
        rc = ag__http_recs_json(v, q, &b, &next);
    else if (q->route == AG__R_WORKLOADS && plain)
        rc = cached(&h->workloads_cache, v, render_workloads, &b);
    else if (q->route == AG__R_WORKLOADS)
        rc = ag__http_workloads_json(v, q, &b, &next);
    else
        rc = ag__http_forecasts_json(v, q, &b, &next);
    if (rc != AG_OK)
        ret = send_error(h, c, 500, ag_strerror(rc), NULL, NULL);
    else
        ret = send_buf(h, c, 200, JSON_TYPE, &b, next ? "X-Continue" : NULL,
                       next ? ag__http_continue_token(next, tok, sizeof tok) : NULL);
    ag__buf_free(&b);
    return ret;
}

static enum MHD_Result readyz(ag_http *h, struct MHD_Connection *c, const ag_view *v)
{
    ag_health hl;
    ag_buf b;
    enum MHD_Result ret;
    ag_err rc;

    ag_serve_health(h->s, &hl);
    if (v && ag_health_ready(&hl, ag_now_ms()))
        return reply(h, c, 200, "text/plain; charset=utf-8", "ok\n", 3, NULL, NULL);
    ag__buf_init(&b, 4096);
    rc = ag__buf_puts(&b, "{\"error\": ");
    if (rc == AG_OK)
        rc = ag__buf_json_str(&b, !v                 ? "not ready: no view published yet"
                                  : hl.last_error[0] ? "not ready: last loop failed"
                                  : hl.ready         ? "not ready: the last good loop is too old"
                                                     : "not ready");
    if (rc == AG_OK)
        rc = ag__buf_puts(&b, ", \"code\": 503, \"ready\": false, \"lastError\": ");
    if (rc == AG_OK)
        rc = ag__buf_json_str(&b, hl.last_error);
    if (rc == AG_OK)
        rc = ag__buf_puts(&b, "}\n");
    ret = rc == AG_OK ? send_buf(h, c, 503, JSON_TYPE, &b, NULL, NULL)
                      : send_error(h, c, 500, ag_strerror(rc), NULL, NULL);
    ag__buf_free(&b);
    return ret;
}

/* Appends render(v) to b, from the cache when it holds this view. */
static ag_err cached(view_cache *vc, const ag_view *v, ag_err (*render)(const ag_view *, ag_buf *),
                     ag_buf *b)
{
    ag_err rc = AG_OK;

    if (!v)
        return render(v, b);
    pthread_mutex_lock(&vc->mu);
    if (vc->v != v || vc->ms != v->computed_ms) {
        ag__buf_reset(&vc->b);
        rc = render(v, &vc->b);
        vc->v = rc == AG_OK ? v : NULL;
        vc->ms = v->computed_ms;
    }
    if (rc == AG_OK)
        rc = ag__buf_append(b, vc->b.p ? vc->b.p : "", vc->b.len);
    pthread_mutex_unlock(&vc->mu);
    return rc;
}

static ag_err render_workloads(const ag_view *v, ag_buf *b)
{
    ag__http_req q;
    size_t next = 0;

    ag__http_req_init(&q);
    q.route = AG__R_WORKLOADS;
    return ag__http_workloads_json(v, &q, b, &next);
}

static int cache_init(view_cache *vc)
{
    memset(vc, 0, sizeof *vc);
    ag__buf_init(&vc->b, RESP_MAX);
    return pthread_mutex_init(&vc->mu, NULL);
}

static void cache_free(view_cache *vc)
{
    pthread_mutex_destroy(&vc->mu);
    ag__buf_free(&vc->b);
}

static enum MHD_Result metrics(ag_http *h, struct MHD_Connection *c, const ag_view *v)
{
    ag_health hl;
    ag_buf b;
    uint64_t counts[AG__HTTP_NCODES];
    enum MHD_Result ret;
    ag_err rc;

    ag_serve_health(h->s, &hl);
    for (int i = 0; i < AG__HTTP_NCODES; i++)
        counts[i] = __atomic_load_n(&h->counts[i], __ATOMIC_RELAXED);
    /* This request is answered 200 unless rendering fails: count it. */
    counts[0]++;
    ag__buf_init(&b, RESP_MAX);
    rc = cached(&h->metrics_cache, v, ag__http_metrics_view, &b);
    if (rc == AG_OK)
        rc = ag__http_metrics_self(v, &hl, counts, ag_now_ms(), &b);
    ret = rc == AG_OK
              ? send_buf(h, c, 200, "text/plain; version=0.0.4; charset=utf-8", &b, NULL, NULL)
              : send_error(h, c, 500, ag_strerror(rc), NULL, NULL);
    ag__buf_free(&b);
    return ret;
}

static enum MHD_Result keda(ag_http *h, struct MHD_Connection *c, const ag__http_req *q,
                            const ag_view *v)
{
    char msg[512] = "", out[64];
    double x;
    ag_buf b;
    enum MHD_Result ret;
    ag_err rc = ag__http_keda_value(v, q, &x, msg, sizeof msg);

    if (rc == AG_EINVAL)
        return send_error(h, c, 400, msg, NULL, NULL);
    if (rc != AG_OK)
        return send_error(h, c, 404, msg, NULL, NULL);
    ag__buf_init(&b, sizeof out);
    rc = ag__buf_puts(&b, "{\"value\": ");
    if (rc == AG_OK)
        rc = ag__buf_json_num(&b, x);
    if (rc == AG_OK)
        rc = ag__buf_puts(&b, "}\n");
    ret = rc == AG_OK ? send_buf(h, c, 200, JSON_TYPE, &b, NULL, NULL)
                      : send_error(h, c, 500, ag_strerror(rc), NULL, NULL);
    ag__buf_free(&b);
    return ret;
}

static enum MHD_Result dispatch(ag_http *h, struct MHD_Connection *c, const char *url,
                                const char *method)
{
    ag__http_req q;
    const ag_view *v;
    enum MHD_Result ret;
    char msg[400];

    ag__http_req_init(&q);
    if (ag__http_route_match(&q, url) == AG__R_NONE) {
        snprintf(msg, sizeof msg, "no such endpoint: %.200s", url);
        return send_error(h, c, 404, msg, NULL, NULL);
    }
    if (strcmp(method, "GET") != 0 && strcmp(method, "HEAD") != 0) {
        snprintf(msg, sizeof msg, "method %.40s not allowed on %s (allowed: GET, HEAD)", method,
                 ag__http_routes[q.route].path);
        return send_error(h, c, 405, msg, "Allow", "GET, HEAD");
    }
    MHD_get_connection_values(c, MHD_GET_ARGUMENT_KIND, query_param, &q);
    if (ag__http_req_check(&q) != 0) {
        snprintf(msg, sizeof msg, "bad query parameter '%s': %s %s", q.bad, q.bad, q.why);
        return send_error(h, c, 400, msg, NULL, NULL);
    }
    switch (q.route) {
    case AG__R_PAGE:
        return reply(h, c, 200, "text/html; charset=utf-8", ag__http_page, strlen(ag__http_page),
                     "Content-Security-Policy",
                     "default-src 'none'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; "
                     "connect-src 'self'; img-src data:");
    case AG__R_HEALTHZ:
        return reply(h, c, 200, "text/plain; charset=utf-8", "ok\n", 3, NULL, NULL);
    case AG__R_RUNS:
    case AG__R_BACKTESTS:
        return send_error(h, c, 501,
                          q.route == AG__R_RUNS
                              ? "not implemented yet: the runs of the store are not served"
                              : "not implemented yet: backtests are not served",
                          NULL, NULL);
    default:
        break;
    }
    v = ag_serve_acquire(h->s);
    switch (q.route) {
    case AG__R_READYZ:
        ret = readyz(h, c, v);
        break;
    case AG__R_METRICS:
        ret = metrics(h, c, v);
        break;
    case AG__R_KEDA:
        ret = keda(h, c, &q, v);
        break;
    default:
        ret = list(h, c, &q, v);
        break;
    }
    ag_serve_release(h->s, v);
    return ret;
}

static enum MHD_Result handler(void *cls, struct MHD_Connection *c, const char *url,
                               const char *method, const char *version, const char *upload,
                               size_t *upload_size, void **con_cls)
{
    ag_http *h = cls;
    req_ctx *x = *con_cls;

    (void)version;
    (void)upload;
    if (!x) {
        char ip[INET6_ADDRSTRLEN], after[16];
        const char *cl;
        int wait;

        x = ag__calloc(1, sizeof *x);
        if (!x)
            return MHD_NO;
        *con_cls = x;
        client_ip(c, ip, sizeof ip);
        wait = rate_take(h, ip);
        if (wait > 0) {
            snprintf(after, sizeof after, "%d", wait);
            x->done = 1;
            return send_error(h, c, 429, "too many requests: slow down", "Retry-After", after);
        }
        if (state_changing(method)) {
            x->done = 1;
            if (!h->token)
                return send_error(h, c, 403,
                                  "state-changing requests are disabled (no bearer token is "
                                  "configured)",
                                  NULL, NULL);
            if (!token_ok(h, MHD_lookup_connection_value(c, MHD_HEADER_KIND, "Authorization")))
                return send_error(h, c, 401, "missing or bad bearer token", "WWW-Authenticate",
                                  "Bearer");
            x->done = 0;
        }
        cl = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "Content-Length");
        if (cl && strtoull(cl, NULL, 10) > h->max_body) {
            x->done = 1;
            return send_error(h, c, 413, "request body too large", NULL, NULL);
        }
        if (strcmp(method, "GET") == 0 || strcmp(method, "HEAD") == 0) {
            x->done = 1;
            return dispatch(h, c, url, method);
        }
        return MHD_YES; /* the body comes next */
    }
    if (*upload_size) {
        x->body += *upload_size;
        if (x->body > h->max_body)
            x->too_big = 1;
        *upload_size = 0;
        return MHD_YES;
    }
    if (x->done)
        return MHD_YES;
    x->done = 1;
    if (x->too_big)
        return send_error(h, c, 413, "request body too large", NULL, NULL);
    return dispatch(h, c, url, method);
}

static void completed(void *cls, struct MHD_Connection *c, void **con_cls,
                      enum MHD_RequestTerminationCode toe)
{
    (void)cls;
    (void)c;
    (void)toe;
    ag__free(*con_cls);
    *con_cls = NULL;
}

/* ---- start / stop ---- */

/* Parses "host:port", "[v6]:port", ":port" into ss. */
static ag_err parse_listen(const char *l, struct sockaddr_storage *ss, int *v6, ag_errinfo *ei)
{
    char host[256];
    const char *colon, *port;
    unsigned long p = 0;
    struct addrinfo hints = {0}, *res = NULL;

    memset(ss, 0, sizeof *ss);
    if (l[0] == '[') {
        const char *close = strchr(l, ']');
        if (!close || close[1] != ':' || (size_t)(close - l - 1) >= sizeof host) {
            ag_errinfo_set(ei, "listen address '%s': expected [ipv6]:port", l);
            return AG_EINVAL;
        }
        memcpy(host, l + 1, (size_t)(close - l - 1));
        host[close - l - 1] = '\0';
        port = close + 2;
    } else {
        colon = strrchr(l, ':');
        if (!colon || (size_t)(colon - l) >= sizeof host || memchr(l, ':', (size_t)(colon - l))) {
            ag_errinfo_set(ei, "listen address '%s': expected host:port, [ipv6]:port or :port", l);
            return AG_EINVAL;
        }
        memcpy(host, l, (size_t)(colon - l));
        host[colon - l] = '\0';
        port = colon + 1;
    }
    if (!*port || strlen(port) > 5 || strspn(port, "0123456789") != strlen(port) ||
        (p = strtoul(port, NULL, 10)) > 65535) {
        ag_errinfo_set(ei, "listen address '%s': bad port '%s'", l, port);
        return AG_EINVAL;
    }
    if (!host[0]) { /* every address, IPv4 (dual stack is not assumed) */
        struct sockaddr_in *s4 = (struct sockaddr_in *)(void *)ss;
        s4->sin_family = AF_INET;
        s4->sin_addr.s_addr = htonl(INADDR_ANY);
        s4->sin_port = htons((uint16_t)p);
        *v6 = 0;
        return AG_OK;
    }
    hints.ai_socktype = SOCK_STREAM;
    hints.ai_flags = AI_NUMERICSERV;
    if (getaddrinfo(host, port, &hints, &res) != 0 || !res || res->ai_addrlen > sizeof *ss) {
        if (res)
            freeaddrinfo(res);
        ag_errinfo_set(ei, "listen address '%s': cannot resolve '%s'", l, host);
        return AG_EINVAL;
    }
    memcpy(ss, res->ai_addr, res->ai_addrlen);
    *v6 = res->ai_family == AF_INET6;
    freeaddrinfo(res);
    return AG_OK;
}

static void mhd_log(void *cls, const char *fmt, va_list ap)
{
    (void)cls;
    (void)fmt;
    (void)ap; /* errors reach the caller as codes; nothing is printed */
}

ag_err ag_http_start(const ag_http_opts *o, ag_serve *s, ag_http **out, ag_errinfo *ei)
{
    static const ag_http_opts defaults = {0};
    struct sockaddr_storage ss;
    int v6 = 0;
    ag_http *h;
    ag_err rc;
    unsigned flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_ERROR_LOG;
    const union MHD_DaemonInfo *di;

    if (out)
        *out = NULL;
    if (!s || !out)
        return AG_EINVAL;
    if (!o)
        o = &defaults;
    if (o->rate_per_s < 0 || !isfinite(o->rate_per_s)) {
        ag_errinfo_set(ei, "rate must be a positive number of requests per second");
        return AG_EINVAL;
    }
    rc = parse_listen(o->listen ? o->listen : "127.0.0.1:8080", &ss, &v6, ei);
    if (rc != AG_OK)
        return rc;
    h = ag__calloc(1, sizeof *h);
    if (!h)
        return AG_ENOMEM;
    h->s = s;
    h->max_body = o->max_body ? o->max_body : (size_t)1 << 20;
    h->rate = o->rate_per_s > 0 ? o->rate_per_s : 200;
    h->burst = o->burst ? (double)o->burst : 400;
    if (o->bearer_token && !(h->token = ag__strdup(o->bearer_token))) {
        ag__free(h);
        return AG_ENOMEM;
    }
    if (cache_init(&h->metrics_cache) != 0) {
        ag__free(h->token);
        ag__free(h);
        return AG_ENOMEM;
    }
    if (cache_init(&h->workloads_cache) != 0) {
        cache_free(&h->metrics_cache);
        ag__free(h->token);
        ag__free(h);
        return AG_ENOMEM;
    }
    if (pthread_mutex_init(&h->mu, NULL) != 0) {
        cache_free(&h->metrics_cache);
        cache_free(&h->workloads_cache);
        ag__free(h->token);
        ag__free(h);
        return AG_ENOMEM;
    }
    if (v6)
        flags |= MHD_USE_IPv6;
    h->d = MHD_start_daemon(
        flags, 0, NULL, NULL, handler, h, MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&ss,
        MHD_OPTION_THREAD_POOL_SIZE, (unsigned)4, MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)30,
        MHD_OPTION_CONNECTION_LIMIT, (unsigned)1000, MHD_OPTION_NOTIFY_COMPLETED, completed, h,
        MHD_OPTION_EXTERNAL_LOGGER, mhd_log, h, MHD_OPTION_END);
    if (!h->d) {
        ag_errinfo_set(ei, "cannot listen on %s", o->listen ? o->listen : "127.0.0.1:8080");
        pthread_mutex_destroy(&h->mu);
        cache_free(&h->metrics_cache);
        cache_free(&h->workloads_cache);
        ag__free(h->token);
        ag__free(h);
        return AG_ENET;
    }
    di = MHD_get_daemon_info(h->d, MHD_DAEMON_INFO_BIND_PORT);
    h->port = di ? (int)di->port : 0;
    *out = h;
    return AG_OK;
}

int ag_http_port(const ag_http *h)
{
    return h ? h->port : 0;
}

void ag_http_stop(ag_http *h)
{
    if (!h)
        return;
    MHD_stop_daemon(h->d);
    pthread_mutex_destroy(&h->mu);
    cache_free(&h->metrics_cache);
    cache_free(&h->workloads_cache);
    ag__free(h->token);
    ag__free(h);
}
