/*
 * recommend/rec_int.h - internals shared by the recommender files.
 */
#ifndef AG_RECOMMEND_REC_INT_H
#define AG_RECOMMEND_REC_INT_H

#include <stdint.h>
#include "augur/recommend.h"
#include "recommend/histogram.h"

/* Checks the VPA parameters. AG_EINVAL when one is out of range. */
ag_err ag__vpa_check(const ag_vpa_params *p);
ag_err ag__krr_check(const ag_krr_params *p);

/* The recommenders over the samples with start_ms <= t <= now_ms. */
ag_err ag__vpa_run(const ag_vpa_params *p, const ag_wcontainer *wc, int64_t start_ms,
                   int64_t now_ms, ag_rec *out);
ag_err ag__krr_run(const ag_krr_params *p, const ag_wcontainer *wc, int64_t start_ms,
                   int64_t now_ms, ag_rec *out);

/* The samples of s (sorted by time) inside [start_ms, now_ms]: [*lo, *hi). */
static inline void ag__rec_window(const ag_samples *s, int64_t start_ms, int64_t now_ms,
                                  size_t *lo, size_t *hi)
{
    size_t a = 0, b = s->n;

    while (a < b && s->v[a].t_ms < start_ms)
        a++;
    while (b > a && s->v[b - 1].t_ms > now_ms)
        b--;
    *lo = a;
    *hi = b;
}

/* The estimator steps in ResourceAmount arithmetic (for the golden tests):
 * v + trunc(v * margin), and trunc(v * (1 + mult / conf)^expo). */
int64_t ag__vpa_margin(int64_t v, double margin);
int64_t ag__vpa_conf_scale(int64_t v, double mult, double expo, double conf);

/* 1 = the VPA takes the per-sample path only (no cpu_run / mem_skip fast
 * paths): the reference the tests and the bench compare them against.
 * Not thread-safe; tests and bench only. */
extern int ag__vpa_reference;

/* The histograms ag__vpa_run() would estimate from (copied to *cpu and
 * *mem) and counts[] = {CPU samples, memory samples, OOMs}; for tests.
 * AG_EINVAL on bad parameters. */
ag_err ag__vpa_hists(const ag_vpa_params *p, const ag_wcontainer *wc, int64_t start_ms,
                     int64_t now_ms, ag__dhist *cpu, ag__dhist *mem, uint64_t counts[3]);

/* How a value is read and checked. */
typedef enum ag__param_kind {
    K_PCT,   /* fraction in [0, 1]; "90%" or "0.9" */
    K_PCT0,  /* fraction in (0, 1] */
    K_FRAC,  /* fraction >= 0; "15%" or "0.15" */
    K_FRAC0, /* fraction > 0 */
    K_DUR,   /* duration > 0 */
    K_HIST,  /* duration >= 0 (0 = the algorithm's own) */
    K_INT1,  /* integer >= 1 */
    K_INT0,  /* integer >= 0 */
    K_CPU,   /* cores >= 0: "25m", "0.5" */
    K_MEM,   /* bytes >= 0: "250Mi" */
    K_RATIO, /* number >= 1 */
    K_BOOL,
} ag__param_kind;

/* One settable parameter: its flag name, how it is read, where it lives
 * (offset in the parameter struct) and its help line. */
typedef struct ag__param {
    const char *name;
    ag__param_kind kind;
    size_t off;
    const char *help;
} ag__param;

/* Parses s as q says and stores it at base + q->off. AG_EINVAL with a
 * message naming the parameter and what it wants. */
ag_err ag__param_set(void *base, const ag__param *q, const char *s, ag_errinfo *ei);

#endif
