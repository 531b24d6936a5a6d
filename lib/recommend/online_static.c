/*
 * recommend/online_static.c - the "static" recommender: the trace's own
 * request (or a fixed size), times a scale, never changing. The baseline
 * every backtest compares against: what the cluster did as it was.
 */
#include <math.h>
#include "recommend/online_int.h"

static ag_err init(ag_online *r)
{
    return r->p.static_scale > 0 && isfinite(r->p.static_scale) ? AG_OK : AG_EINVAL;
}

static ag_err recommend(ag_online *r, int64_t now_ms, const double cur[AG_NRES], ag_rec *out)
{
    ag__online_none(out, AG_REC_OK);
    for (int res = 0; res < AG_NRES; res++) {
        double v = r->p.static_size[res];
        double lim = r->spec.limit[res];

        if (!isfinite(v))
            v = r->spec.request[res];
        else
            lim = ag__online_ratio_limit(r, res, v); /* a fixed size keeps the ratio */
        if (!isfinite(v)) {
            out->status[res] = AG_REC_NO_DATA;
            continue;
        }
        v *= r->p.static_scale;
        out->res[res].target = out->res[res].lower = out->res[res].upper = v;
        out->res[res].uncapped = v;
        out->res[res].limit = isfinite(lim) ? lim * r->p.static_scale : NAN;
    }
    return AG_OK;
}

const ag__online_ops ag__online_static_ops = {init, NULL, NULL, recommend, NULL, NULL};
