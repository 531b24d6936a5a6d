/*
 * recommend/recommend.c - the entry point: picks the algorithm and the
 * history window [now - history, now], then runs it.
 */
#include <math.h>
#include <stdint.h>
#include "augur/recommend.h"
#include "recommend/rec_int.h"

ag_err ag_recommend(const ag_rec_params *p, const ag_wcontainer *wc, int64_t now_ms, ag_rec *out)
{
    int64_t hist, start;

    if (!p || !wc || !out || p->history_ms < 0)
        return AG_EINVAL;
    hist = p->history_ms;
    if (hist == 0)
        hist = p->algorithm == AG_ALGO_VPA ? p->vpa.memory_aggregation_interval_ms *
                                                 (int64_t)p->vpa.memory_aggregation_interval_count
                                           : ag_algorithm_default_history_ms(p->algorithm);
    start = now_ms - hist;
    if (p->algorithm == AG_ALGO_VPA)
        return ag__vpa_run(&p->vpa, wc, start, now_ms, out);
    if (p->algorithm == AG_ALGO_KRR)
        return ag__krr_run(&p->krr, wc, start, now_ms, out);
    return AG_EINVAL;
}
