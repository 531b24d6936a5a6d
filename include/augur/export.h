/*
 * augur/export.h - pushing augur's results into a time-series database
 * with the Prometheus remote-write protocol (1.0: a protobuf WriteRequest,
 * snappy block-compressed, POSTed), so that Prometheus (with
 * --web.enable-remote-write-receiver), VictoriaMetrics, Mimir, Thanos
 * Receive or Cortex keep the forecasts and recommendations as history.
 * What is written, labels and timestamps: docs/remote-write.md.
 */
#ifndef AUGUR_EXPORT_H
#define AUGUR_EXPORT_H

#include <stddef.h>
#include "augur/err.h"
#include "augur/serve.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct ag_rw_opts {
    const char *url;          /* the receiver, e.g. http://127.0.0.1:9090/api/v1/write (Prometheus)
                                 or http://127.0.0.1:8428/api/v1/write (VictoriaMetrics) */
    const char *bearer_token; /* sent as Authorization: Bearer; NULL = none */
    long timeout_ms;          /* whole request; 0 = 30 s */
    const char *extra_labels; /* added to every series: "cluster=a,env=prod", or NULL */
} ag_rw_opts;

/* Encodes the view as a remote-write WriteRequest (protobuf, snappy
 * block-compressed), every sample at v->computed_ms:
 *  - per forecast, quantile and horizon (1h, 6h, 24h, those within the
 *    forecast), augur_forecast_cpu_cores or augur_forecast_memory_bytes
 *    {namespace,workload,kind,container,quantile,horizon}: the forecast
 *    of the step ending that long after the forecast start, as /metrics
 *    publishes it. Not at the future timestamps: a future sample makes
 *    Prometheus refuse every later sample an hour older than it
 *    ("out of bounds"), see docs/remote-write.md;
 *  - per recommendation, resource and bound, augur_recommendation_cpu_cores
 *    or augur_recommendation_memory_bytes{namespace,workload,kind,
 *    container,bound} (target, lower, upper, uncapped, limit; rounded as
 *    /metrics rounds them).
 * Labels are sorted by name, __name__ first; labels with an empty value
 * and non-finite values are left out. extra_labels ("name=value,...", or
 * NULL) are added to every series: names [a-z_][a-zA-Z0-9_]* not starting
 * with "__" and not one of augur's own, values non-empty printable ASCII
 * without commas, at most 16; anything else is AG_EINVAL with detail in ei.
 * Caller owns *out (free with ag__free); *len is its size. AG_ENOMEM,
 * AG_ETOOBIG past 256 MiB of protobuf. On error *out is NULL. */
ag_err ag_rw_encode(const ag_view *v, const char *extra_labels, char **out, size_t *len,
                    ag_errinfo *ei);

/* Encodes the view (with o->extra_labels) and POSTs it to o->url with
 * Content-Encoding: snappy, Content-Type: application/x-protobuf and
 * X-Prometheus-Remote-Write-Version: 0.1.0. AG_EHTTP with the status and
 * the start of the answer in ei on a 4xx / 5xx, AG_ENET when the receiver
 * cannot be reached or times out, AG_EINVAL on a bad URL or extra label. */
ag_err ag_rw_push(const ag_rw_opts *o, const ag_view *v, ag_errinfo *ei);

#ifdef __cplusplus
}
#endif
#endif
