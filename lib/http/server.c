/*
 * http/server.c - the libmicrohttpd glue: listening, the per-client rate
 * limit, bearer tokens on state-changing methods, body caps, routing,
 * and one response per request rendered from a view reference taken for
 * the time it renders; the bodies cached per view (body.c) are sent by
 * reference, gzipped when the client accepts it, and keep their view
 * until libmicrohttpd frees the response. /api/v1/backtests hands its
 * jobs to backtest.c.
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
     * /metrics' view series, the unfiltered recommendations (the view's
     * own recs_json) and /api/v1/workloads */
    ag__http_cache metrics_cache, recs_cache, workloads_cache;
    ag__http_bt *bt; /* NULL: no backtest runner */
    int parts;       /* how far ag_http_start() got (teardown()) */
};

/* Per request: what arrived of the body so far. */
typedef struct req_ctx {
    ag_buf body; /* capped at max_body */
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

/* Adds the headers every response has, counts it and queues it. */
static enum MHD_Result queue(ag_http *h, struct MHD_Connection *c, int code, const char *ctype,
                             struct MHD_Response *r, const char *hname, const char *hval)
{
    enum MHD_Result ret;
    int i = ag__http_code_index(code);

    if (ctype)
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

static enum MHD_Result reply(ag_http *h, struct MHD_Connection *c, int code, const char *ctype,
                             const char *body, size_t len, const char *hname, const char *hval)
{
    struct MHD_Response *r =
        MHD_create_response_from_buffer(len, (void *)(uintptr_t)body, MHD_RESPMEM_MUST_COPY);

    if (!r)
        return MHD_NO;
    return queue(h, c, code, ctype, r, hname, hval);
}

/* What a response sent by reference holds until libmicrohttpd frees it:
 * the cached body (and so its view), and the bytes rendered for this
 * request that follow it. */
typedef struct held {
    ag__http_body *body;
    ag_buf tail;
} held;

static void held_free(void *cls)
{
    held *x = cls;

    ag__http_body_unref(x->body);
    ag__buf_free(&x->tail);
    ag__free(x);
}

/* Sends b (and tail, this request's bytes after it) without copying
 * them: plain, or b's gzip member ended by tail when gz. Takes over the
 * caller's reference on b. */
static enum MHD_Result send_body(ag_http *h, struct MHD_Connection *c, const char *ctype,
                                 ag__http_body *b, const char *tail, size_t tail_len, int gz)
{
    held *x = ag__calloc(1, sizeof *x);
    struct MHD_IoVec iov[2];
    unsigned n = 0;
    struct MHD_Response *r;
    ag_err rc = AG_OK;

    if (!x) {
        ag__http_body_unref(b);
        return MHD_NO;
    }
    x->body = b;
    ag__buf_init(&x->tail, RESP_MAX);
    if (gz && tail_len)
        rc = ag__http_gzip_tail(b, tail ? tail : "", tail_len, &x->tail);
    else if (!gz && tail_len)
        rc = ag__buf_append(&x->tail, tail, tail_len);
    if (rc != AG_OK) {
        held_free(x);
        return MHD_NO;
    }
    iov[n].iov_base = gz ? b->gz : b->p;
    iov[n++].iov_len = gz ? b->gz_len : b->len;
    if (x->tail.len) {
        iov[n].iov_base = x->tail.p;
        iov[n++].iov_len = x->tail.len;
    } else if (gz) {
        iov[n].iov_base = b->gz_end;
        iov[n++].iov_len = sizeof b->gz_end;
    }
    r = MHD_create_response_from_iovec(iov, n, held_free, x);
    if (!r) {
        held_free(x);
        return MHD_NO;
    }
    MHD_add_response_header(r, "Vary", "Accept-Encoding");
    if (gz)
        MHD_add_response_header(r, "Content-Encoding", "gzip");
    return queue(h, c, 200, ctype, r, NULL, NULL);
}

/* Whether the request accepts a gzip response. */
static int wants_gzip(struct MHD_Connection *c)
{
    return ag__http_accepts_gzip(
        MHD_lookup_connection_value(c, MHD_HEADER_KIND, "Accept-Encoding"));
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

/* The list endpoints: the page with its continue token as a header; the
 * unfiltered recommendations and workloads are the view's cached bodies
 * (sent by reference, gzipped when accepted). Takes over *vp. */
static enum MHD_Result list(ag_http *h, struct MHD_Connection *c, const ag__http_req *q,
                            const ag_view **vp)
{
    const ag_view *v = *vp;
    ag_buf b;
    size_t next = 0;
    ag_err rc = AG_OK;
    enum MHD_Result ret;
    char tok[32];

    if (q->seen == 0 && (q->route == AG__R_RECS || q->route == AG__R_WORKLOADS)) {
        int gz = wants_gzip(c);
        ag__http_body *body = ag__http_cache_get(
            q->route == AG__R_RECS ? &h->recs_cache : &h->workloads_cache, h->s, v, gz, &rc);
        *vp = NULL; /* the body has it now */
        if (!body)
            return send_error(h, c, 500, ag_strerror(rc), NULL, NULL);
        return send_body(h, c, JSON_TYPE, body, NULL, 0, gz && body->gz);
    }
    ag__buf_init(&b, RESP_MAX);
    if (q->route == AG__R_RECS)
        rc = ag__http_recs_json(v, q, &b, &next);
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

static ag_err render_workloads(const ag_view *v, ag_buf *b)
{
    ag__http_req q;
    size_t next = 0;

    ag__http_req_init(&q);
    q.route = AG__R_WORKLOADS;
    return ag__http_workloads_json(v, &q, b, &next);
}

static ag_err render_recs(const ag_view *v, ag_buf *b)
{
    ag__http_req q;
    size_t next = 0;

    ag__http_req_init(&q);
    q.route = AG__R_RECS;
    return ag__http_recs_json(v, &q, b, &next);
}

/* /metrics: the view's series, cached per view, then the daemon's own
 * (rendered per request: health, view age, request counters). Takes
 * over *vp. */
static enum MHD_Result metrics(ag_http *h, struct MHD_Connection *c, const ag_view **vp)
{
    ag_health hl;
    ag_buf b;
    uint64_t counts[AG__HTTP_NCODES];
    enum MHD_Result ret;
    int gz = wants_gzip(c);
    ag_err rc;
    ag__http_body *body = ag__http_cache_get(&h->metrics_cache, h->s, *vp, gz, &rc);

    *vp = NULL; /* the body has it now */
    if (!body)
        return send_error(h, c, 500, ag_strerror(rc), NULL, NULL);
    ag_serve_health(h->s, &hl);
    for (int i = 0; i < AG__HTTP_NCODES; i++)
        counts[i] = __atomic_load_n(&h->counts[i], __ATOMIC_RELAXED);
    /* This request is answered 200 unless rendering fails: count it. */
    counts[0]++;
    ag__buf_init(&b, RESP_MAX);
    rc = ag__http_metrics_self(body->v, &hl, counts, ag_now_ms(), &b);
    if (rc == AG_OK) {
        ret = send_body(h, c, "text/plain; version=0.0.4; charset=utf-8", body, b.p, b.len,
                        gz && body->gz);
    } else {
        ag__http_body_unref(body);
        ret = send_error(h, c, 500, ag_strerror(rc), NULL, NULL);
    }
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

/* ---- /api/v1/runs ---- */

static enum MHD_Result runs(ag_http *h, struct MHD_Connection *c, const ag__http_req *q)
{
    ag_loop_run *rs = ag__malloc(AG_SERVE_RUNS * sizeof *rs);
    size_t n;
    uint64_t next = 0, id = 0;
    ag_buf b;
    ag_err rc = AG_OK;
    enum MHD_Result ret;
    char tok[32], msg[128];

    if (!rs)
        return send_error(h, c, 500, ag_strerror(AG_ENOMEM), NULL, NULL);
    n = ag_serve_runs(h->s, rs, AG_SERVE_RUNS);
    ag__buf_init(&b, RESP_MAX);
    if (q->route == AG__R_RUNS) {
        rc = ag__http_runs_json(rs, n, q, &b, &next);
    } else {
        size_t i = 0;
        if (ag__http_path_id(q->path_id, &id) == 0)
            while (i < n && rs[i].id != id)
                i++;
        if (!id || i == n) {
            snprintf(msg, sizeof msg, "no such run: '%s' (the last %d runs are kept)", q->path_id,
                     AG_SERVE_RUNS);
            ag__free(rs);
            ag__buf_free(&b);
            return send_error(h, c, 404, msg, NULL, NULL);
        }
        rc = ag__http_run_json(&rs[i], &b);
    }
    ag__free(rs);
    ret = rc != AG_OK ? send_error(h, c, 500, ag_strerror(rc), NULL, NULL)
                      : send_buf(h, c, 200, JSON_TYPE, &b, next ? "X-Continue" : NULL,
                                 next ? ag__http_continue_token(next, tok, sizeof tok) : NULL);
    ag__buf_free(&b);
    return ret;
}

/* ---- /api/v1/backtests ---- */

static enum MHD_Result backtests(ag_http *h, struct MHD_Connection *c, const ag__http_req *q,
                                 const char *method, const char *body, size_t len)
{
    ag_buf b;
    ag_err rc;
    enum MHD_Result ret;
    uint64_t id = 0;
    char msg[1200], loc[64];

    if (!h->bt)
        return send_error(h, c, 501,
                          "backtests are not available: the daemon has no store to replay "
                          "(it runs without a database)",
                          NULL, NULL);
    if (q->route == AG__R_BACKTEST && ag__http_path_id(q->path_id, &id) != 0) {
        snprintf(msg, sizeof msg, "no such backtest: '%s'", q->path_id);
        return send_error(h, c, 404, msg, NULL, NULL);
    }
    ag__buf_init(&b, RESP_MAX);
    if (q->route == AG__R_BACKTESTS && !strcmp(method, "POST")) {
        msg[0] = '\0';
        rc = ag__http_bt_validate(body, len, &b, msg, sizeof msg);
        if (rc == AG_EINVAL || rc == AG_EPARSE) {
            ag__buf_free(&b);
            return send_error(h, c, 400, msg, NULL, NULL);
        }
        if (rc == AG_OK)
            rc = ag__http_bt_submit(h->bt, b.p, b.len, &id);
        ag__buf_free(&b);
        if (rc == AG_ETOOBIG) {
            snprintf(msg, sizeof msg,
                     "too many backtests: all %d kept are queued or running; try again once one "
                     "has finished",
                     AG__HTTP_BT_MAX_JOBS);
            return send_error(h, c, 429, msg, NULL, NULL);
        }
        if (rc != AG_OK)
            return send_error(h, c, 500, ag_strerror(rc), NULL, NULL);
        snprintf(msg, sizeof msg, "{\"id\": %llu, \"status\": \"queued\"}\n",
                 (unsigned long long)id);
        snprintf(loc, sizeof loc, "/api/v1/backtests/%llu", (unsigned long long)id);
        return reply(h, c, 202, JSON_TYPE, msg, strlen(msg), "Location", loc);
    }
    if (!strcmp(method, "DELETE")) {
        ag__buf_free(&b);
        rc = ag__http_bt_delete(h->bt, id);
        if (rc == AG_OK)
            return reply(h, c, 204, NULL, "", 0, NULL, NULL);
        if (rc == AG_EINVAL) {
            snprintf(msg, sizeof msg,
                     "backtest %llu is running: it cannot be cancelled; delete it once it has "
                     "finished",
                     (unsigned long long)id);
            return send_error(h, c, 409, msg, NULL, NULL);
        }
        snprintf(msg, sizeof msg, "no such backtest: %llu", (unsigned long long)id);
        return send_error(h, c, 404, msg, NULL, NULL);
    }
    rc = q->route == AG__R_BACKTESTS ? ag__http_bt_list_json(h->bt, &b)
                                     : ag__http_bt_job_json(h->bt, id, &b);
    if (rc == AG_ENOTFOUND) {
        snprintf(msg, sizeof msg, "no such backtest: %llu", (unsigned long long)id);
        ret = send_error(h, c, 404, msg, NULL, NULL);
    } else {
        ret = rc == AG_OK ? send_buf(h, c, 200, JSON_TYPE, &b, NULL, NULL)
                          : send_error(h, c, 500, ag_strerror(rc), NULL, NULL);
    }
    ag__buf_free(&b);
    return ret;
}

static enum MHD_Result dispatch(ag_http *h, struct MHD_Connection *c, const char *url,
                                const char *method, const char *body, size_t len)
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
    if (!ag__http_method_allowed(q.route, method)) {
        snprintf(msg, sizeof msg, "method %.40s not allowed on %s (allowed: %s)", method,
                 ag__http_routes[q.route].path, ag__http_routes[q.route].allow);
        return send_error(h, c, 405, msg, "Allow", ag__http_routes[q.route].allow);
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
    case AG__R_RUN:
        return runs(h, c, &q);
    case AG__R_BACKTESTS:
    case AG__R_BACKTEST:
        return backtests(h, c, &q, method, body, len);
    default:
        break;
    }
    v = ag_serve_acquire(h->s);
    switch (q.route) {
    case AG__R_READYZ:
        ret = readyz(h, c, v);
        break;
    case AG__R_METRICS:
        ret = metrics(h, c, &v);
        break;
    case AG__R_KEDA:
        ret = keda(h, c, &q, v);
        break;
    default:
        ret = list(h, c, &q, &v);
        break;
    }
    ag_serve_release(h->s, v); /* NULL when a cached body took it over */
    return ret;
}

static enum MHD_Result handler(void *cls, struct MHD_Connection *c, const char *url,
                               const char *method, const char *version, const char *upload,
                               size_t *upload_size, void **con_cls)
{
    ag_http *h = cls;
    req_ctx *x = *con_cls;

    (void)version;
    if (!x) {
        char ip[INET6_ADDRSTRLEN], after[16];
        const char *cl;
        int wait;

        x = ag__calloc(1, sizeof *x);
        if (!x)
            return MHD_NO;
        ag__buf_init(&x->body, h->max_body);
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
            return dispatch(h, c, url, method, NULL, 0);
        }
        return MHD_YES; /* the body comes next */
    }
    if (*upload_size) {
        /* kept (for POST /api/v1/backtests) up to max_body, then only counted */
        if (!x->too_big && !x->done && ag__buf_append(&x->body, upload, *upload_size) == AG_ETOOBIG)
            x->too_big = 1;
        *upload_size = 0;
        return MHD_YES;
    }
    if (x->done)
        return MHD_YES;
    x->done = 1;
    if (x->too_big)
        return send_error(h, c, 413, "request body too large", NULL, NULL);
    return dispatch(h, c, url, method, x->body.p ? x->body.p : "", x->body.len);
}

static void completed(void *cls, struct MHD_Connection *c, void **con_cls,
                      enum MHD_RequestTerminationCode toe)
{
    (void)cls;
    (void)c;
    (void)toe;
    if (*con_cls)
        ag__buf_free(&((req_ctx *)*con_cls)->body);
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

/* Frees what ag_http_start() made, as far as it got (h->parts). */
static void teardown(ag_http *h)
{
    ag__http_bt_free(h->bt); /* waits for the backtest running */
    if (h->parts >= 4)
        pthread_mutex_destroy(&h->mu);
    if (h->parts >= 3)
        ag__http_cache_free(&h->workloads_cache);
    if (h->parts >= 2)
        ag__http_cache_free(&h->recs_cache);
    if (h->parts >= 1)
        ag__http_cache_free(&h->metrics_cache);
    ag__free(h->token);
    ag__free(h);
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
    if ((o->bearer_token && !(h->token = ag__strdup(o->bearer_token))) ||
        ag__http_cache_init(&h->metrics_cache, ag__http_metrics_view, 0) != 0 ||
        (h->parts++, ag__http_cache_init(&h->recs_cache, render_recs, 1) != 0) ||
        (h->parts++, ag__http_cache_init(&h->workloads_cache, render_workloads, 0) != 0) ||
        (h->parts++, pthread_mutex_init(&h->mu, NULL) != 0) ||
        (h->parts++,
         o->backtest && ag__http_bt_new(o->backtest, o->backtest_ud, &h->bt) != AG_OK)) {
        teardown(h);
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
        teardown(h);
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
    MHD_stop_daemon(h->d); /* the responses in flight are freed: their views released */
    teardown(h);
}
