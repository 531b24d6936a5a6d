/*
 * serve/serve_int.h - the daemon's running state (track.c), private to
 * lib/serve.
 *
 * A track is one workload-container as the daemon follows it: the
 * online recommender fed with every new sample (augur/online.h), the
 * hourly cells the forecasts are fitted on, the current request and
 * limit, and the pods seen. Nothing else of the samples is kept, so the
 * daemon's memory grows with the number of containers, not with the
 * history.
 */
#ifndef AG_SERVE_INT_H
#define AG_SERVE_INT_H

#include <stddef.h>
#include <stdint.h>
#include "augur/online.h"
#include "augur/serve.h"

/* One pod of a track. */
typedef struct ag__tpod {
    char *pod;
    int slot;                /* the online recommender's replica index */
    int64_t last_t[AG_NRES]; /* newest sample fed, per resource */
    int64_t last_oom;        /* newest OOM event fed */
    int64_t seen_ms;         /* newest sample of either resource */
    double last_mem;         /* the newest memory sample, bytes (NAN: none yet) */
    int64_t cell[AG_NRES];   /* the forecast cell being filled; INT64_MIN = none */
    double acc[AG_NRES];     /* CPU: sum, memory: max, of the cell's samples */
    unsigned cnt[AG_NRES];
} ag__tpod;

/* What the recommender of a track is, to notice a policy change. */
typedef struct ag__tsig {
    ag_online_kind kind;
    int policy;                /* ag_augur_policy (augur only) */
    double cpu_risk, mem_risk; /* NAN = the policy's own */
    int64_t horizon_ms;        /* 0 = the default lookahead */
} ag__tsig;

typedef struct ag__track {
    char *ns, *kind, *name, *container; /* one allocation, starting at ns */
    ag_online *rec;
    ag__tsig sig;
    double request[AG_NRES], limit[AG_NRES];
    int64_t spec_t[AG_NRES];
    ag__tpod *pods;
    size_t npods, podcap;
    int nslots; /* replicas the recommender has room for */
    /* hourly cells for the forecasts: cell c (samples in (c*step,
     * (c+1)*step]) at cells[r][c % ncells] while top - ncells < c <= top */
    double *cells[AG_NRES];
    double *total; /* CPU summed over the pods: cores x (step / cell) per sample */
    size_t ncells;
    int64_t top;               /* INT64_MIN = no cell yet */
    int64_t first_ms, last_ms; /* first and newest sample fed */
    double prev_target[AG_NRES];
    int64_t changed_ms; /* when a target last changed */
    int replaying;      /* reset by a policy change: the store's replay feeds it */
} ag__track;

/* The tracks of a daemon, by (ns, kind, name, container). */
typedef struct ag__tracks ag__tracks;

/* An empty set for forecast cells of cell_ms over history_ms. NULL when
 * out of memory. */
ag__tracks *ag__tracks_new(int64_t cell_ms, int64_t history_ms);
void ag__tracks_free(ag__tracks *ts);

/* The track of a workload-container, created (recommender made with p
 * and sig) when absent. NULL when out of memory. Borrowed from ts. */
ag__track *ag__tracks_get(ag__tracks *ts, const char *ns, const char *kind, const char *name,
                          const char *container, const ag_online_params *p, const ag__tsig *sig);

/* The track of a workload-container, or NULL when there is none. */
ag__track *ag__tracks_find(ag__tracks *ts, const char *ns, const char *kind, const char *name,
                           const char *container);

/* Drops the track's recommender and makes a new one with p and sig (a
 * policy changed: the caller replays what history it has). The pods'
 * cursors are reset so the replay is fed. AG_ENOMEM leaves it as was. */
ag_err ag__track_reset(ag__track *t, const ag_online_params *p, const ag__tsig *sig);

/* Feeds one finished workload-container of new samples (members = its
 * pods, any time order across pods) into t: samples not newer than what
 * each pod already gave are skipped (the fetches overlap). */
ag_err ag__track_feed(ag__tracks *ts, ag__track *t, const ag_wcontainer *wc);

/* Closes the cells every pod has left (before cell_of(now)), forgets
 * pods not seen for history_ms, and drops tracks with no sample in
 * history_ms. */
void ag__tracks_expire(ag__tracks *ts, int64_t now_ms, int64_t history_ms);

/* The tracks, sorted by (ns, kind, name, container); *n set. Borrowed
 * until the next call that changes ts. NULL with *n = 0 when empty or out
 * of memory (*oom set then, may be NULL). */
ag__track **ag__tracks_sorted(ag__tracks *ts, size_t *n, int *oom);

/* The closed hourly cells of t up to (not including) the cell of now:
 * a new array (caller frees with ag__free) of *n values from *t0_ms
 * (leading empty cells dropped), or NULL with *n = 0 when none. ri is
 * the resource; total (CPU only): the workload's mean total cores of each
 * hour instead of the hottest pod's mean. */
double *ag__track_series(const ag__tracks *ts, const ag__track *t, int ri, int total,
                         int64_t now_ms, int64_t *t0_ms, size_t *n);

/* The interval each fetched sample stands for (the query step), for the
 * totals; 60 s until set. */
void ag__tracks_set_step(ag__tracks *ts, int64_t step_ms);

/* Pods seen within history_ms of now. */
int ag__track_pods(const ag__track *t, int64_t now_ms, int64_t history_ms);

/* The newest memory sample of container of pod in namespace ns, NAN
 * when no track has it. Scans every track: for the actuator's few. */
double ag__tracks_pod_memory(const ag__tracks *ts, const char *ns, const char *pod,
                             const char *container);

/* Number of tracks. */
size_t ag__tracks_count(const ag__tracks *ts);

/* Forecasts shared by several views (fcshare.c): ag__fcs_share() takes
 * fcs[0..n) (each q and history included) with one reference; the last
 * ag__fcs_unref() frees them. NULL when out of memory (fcs not taken). */
typedef struct ag__fcs_shared ag__fcs_shared;
ag__fcs_shared *ag__fcs_share(ag_view_fc *fcs, size_t n);
void ag__fcs_ref(ag__fcs_shared *s);
void ag__fcs_unref(ag__fcs_shared *s);

#endif
