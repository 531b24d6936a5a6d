/*
 * augur/http.h - the daemon's HTTP server: the JSON API, /metrics, health
 * probes, the KEDA metrics-api endpoint and the web page, all read from
 * the view an ag_serve slot holds (docs/http-api.md, docs/openapi.yaml).
 *
 * Built on libmicrohttpd with an internal thread pool. Every handler
 * takes a reference to the current view for the time it renders, so a
 * view published meanwhile never tears a response; a body sent straight
 * from bytes cached for the view (/metrics, the unfiltered
 * recommendations and workloads) keeps that reference until
 * libmicrohttpd has sent it. It also runs backtests, one at a time, on a
 * worker thread, through a callback the daemon gives (ag_http_opts).
 * Thread-safe.
 */
#ifndef AUGUR_HTTP_H
#define AUGUR_HTTP_H

#include <stddef.h>
#include "augur/err.h"
#include "augur/serve.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Runs one backtest for POST /api/v1/backtests, on the server's worker
 * thread (one at a time). request_json[0..len) is the request as the
 * server validated and normalised it (docs/http-api.md: recommender,
 * policy, namespace, selector, from and to in Unix seconds, mode; absent
 * fields are absent). On AG_OK *result_json holds the JSON `augur
 * backtest -o json` prints for those inputs, *result_len bytes, allocated
 * with malloc(): the server takes ownership and frees it with free().
 * On failure *result_json is NULL and ei says why (the job's error). */
typedef ag_err (*ag_http_backtest_fn)(void *ud, const char *request_json, size_t len,
                                      char **result_json, size_t *result_len, ag_errinfo *ei);

typedef struct ag_http_opts {
    const char *listen;       /* "127.0.0.1:8080", "[::1]:8080", ":8080" (all addresses);
                                 NULL = "127.0.0.1:8080"; port 0 = any free port */
    const char *bearer_token; /* required for state-changing requests (POST/PUT/PATCH/DELETE);
                                 NULL = they are refused (403) */
    size_t max_body;          /* 0 = 1 MiB: larger request bodies are 413 */
    double rate_per_s; /* 0 = 200: per client IP token bucket; over it 429 with Retry-After */
    size_t burst;      /* 0 = 400 */
    ag_http_backtest_fn backtest; /* NULL = /api/v1/backtests answers 501 (no store to replay) */
    void *backtest_ud;            /* passed to backtest; borrowed, must outlive the server */
} ag_http_opts;

typedef struct ag_http ag_http;

/* The capped buffer of lib/util/buf.h (internal; declared here for
 * ag_http_metrics(), which tests and the bench call). */
typedef struct ag_buf ag_buf;

/* Starts serving s (borrowed; must outlive the server). AG_EINVAL for a
 * bad listen address or option (detail in ei), AG_ENET when it cannot
 * bind, AG_ENOMEM. On success the caller owns *out (stop and free it with
 * ag_http_stop()); on failure *out is NULL. */
ag_err ag_http_start(const ag_http_opts *o, ag_serve *s, ag_http **out, ag_errinfo *ei);

/* The bound port (useful with port 0). */
int ag_http_port(const ag_http *h);

/* Stops the server (waits for the requests in flight and for the
 * backtest running, if any; queued ones are dropped) and frees h. NULL is
 * a no-op. */
void ag_http_stop(ag_http *h);

/* Renders /metrics (Prometheus text exposition 0.0.4) for a view (NULL:
 * only the daemon's own metrics) and health into b (appended; b's cap
 * applies). Without a server there are no augur_http_requests_total
 * samples. AG_ETOOBIG / AG_ENOMEM from b. */
ag_err ag_http_metrics(const ag_view *v, const ag_health *h, ag_buf *b);

#ifdef __cplusplus
}
#endif
#endif
