/*
 * augur/daemon.h - the loop of `augur serve`: fetch the new samples from
 * Prometheus into the store and an in-memory window, recompute the
 * recommendations, refit the forecasts on their own schedule, and publish
 * a view (augur/serve.h) for the HTTP API, /metrics and the Kubernetes
 * writer. One step at a time, driven by the caller (src/cmd_serve.c), so
 * tests can run steps against a real Prometheus without threads or sleeps.
 */
#ifndef AUGUR_DAEMON_H
#define AUGUR_DAEMON_H

#include <stdint.h>
#include "augur/err.h"
#include "augur/recommend.h"
#include "augur/serve.h"
#include "augur/source.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Log levels, lowest first. */
typedef enum ag_log_level {
    AG_LOG_DEBUG = 0,
    AG_LOG_INFO = 1,
    AG_LOG_WARN = 2,
    AG_LOG_ERROR = 3
} ag_log_level;

typedef struct ag_daemon_opts {
    ag_prom_opts prom;           /* the Prometheus to read (url required) */
    const char *db_path;         /* the store; NULL = no store (memory only) */
    ag_rec_params rec;           /* recommender and its parameters */
    int64_t history_ms;          /* 0 = the algorithm's own (8 d vpa, 14 d krr) */
    int64_t forecast_every_ms;   /* 1 h: refit the forecasts this often; 0 = never */
    int64_t forecast_step_ms;    /* 1 h */
    int64_t forecast_horizon_ms; /* 24 h */
    int64_t forecast_history_ms; /* 7 d */
    int64_t stale_ms;            /* ready only if the last good fetch is younger; 0 = 3 x the
                                    caller's interval, set by the caller */
    /* logs: called with a level and a logfmt fragment ("msg=\"...\" k=v"); may be NULL */
    void (*log)(void *ud, ag_log_level level, const char *kv);
    void *log_ud;
} ag_daemon_opts;

/* Fills o with the defaults above (no URL, no store). */
void ag_daemon_opts_default(ag_daemon_opts *o);

typedef struct ag_daemon ag_daemon;

/* A daemon publishing into slot (borrowed; must outlive it). Opens the
 * store; the first step replays what it committed (so a restart starts
 * from it, under the policies set by then). Caller owns *out; free with ag_daemon_free(). AG_EINVAL
 * on bad options, AG_ESTORE when the store cannot be opened (detail in ei). */
ag_err ag_daemon_new(const ag_daemon_opts *o, ag_serve *slot, ag_daemon **out, ag_errinfo *ei);
void ag_daemon_free(ag_daemon *d);

/* The AugurPolicy selections to apply from the next step (copied; the
 * caller keeps v). A workload in v gets augur's recommender with its
 * policy, risk budget and bounds, and its forecasts the policy's horizon;
 * one whose policy changed is replayed from the store. n = 0 clears
 * them. AG_ENOMEM keeps the previous ones. */
ag_err ag_daemon_set_policies(ag_daemon *d, const ag_wpolicy *v, size_t n);

/* The newest memory sample (bytes) of a container of a pod, NAN when the
 * daemon has none: what the actuator must not resize a limit below. */
double ag_daemon_pod_memory(ag_daemon *d, const char *ns, const char *pod, const char *container);

/* One loop at time now_ms: fetch (since the last good fetch), store,
 * recommend, forecast when due, publish. A failed fetch keeps the last
 * published view, counts the error in the health, and returns its error;
 * the caller backs off. *cancel is polled between the stages (may be
 * NULL): when it becomes non-zero the step returns AG_OK without
 * publishing anything half-done. */
ag_err ag_daemon_step(ag_daemon *d, int64_t now_ms, volatile const int *cancel, ag_errinfo *ei);

#ifdef __cplusplus
}
#endif
#endif
