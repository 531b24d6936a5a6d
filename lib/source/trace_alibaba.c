/*
 * source/trace_alibaba.c - Alibaba cluster-trace-v2018 usage tables,
 * without a header:
 *   machine_usage.csv:   machine_id,time_stamp,cpu_util_percent,mem_util_percent,...
 *   container_usage.csv: container_id,machine_id,time_stamp,cpu_util_percent,
 *                        mem_util_percent,...
 * (columns as in the trace's schema.md, which follows the files).
 * time_stamp is seconds from the trace start; the percentages are scaled
 * by the stated capacity. Empty cells are missing values; -1 and 101 are
 * the trace's marks of an invalid value. A machine or a container becomes
 * a pod owning itself (kind "Pod") with one container "machine" or
 * "container".
 */
#include <math.h>
#include <string.h>
#include "augur/source.h"
#include "source/trace_int.h"

static ag_err row(ag__tr *o, const char *s, size_t n, int is_container)
{
    size_t tcol = is_container ? 2 : 1, need = tcol + 3;
    char id[AG__TR_MAX_ID + 1];
    double ts, cpu, mem;
    int64_t t;
    int rc_cpu, rc_mem;
    ag_container *c;
    ag_err rc;

    if (ag__tr_split(o, s, n, ',') != 0)
        return AG_ENOMEM;
    if (o->mode == 0) {
        o->mode = 1;
        /* The published files have no header; one added by hand is skipped. */
        if (o->nf > 0 && ag__tr_is(&o->f[0], is_container ? "container_id" : "machine_id"))
            return AG_OK;
    }
    if (o->nf < need) {
        ag__tr_bad(o, s, n, "row has %zu field%s, expected %d (at least %zu)", o->nf,
                   o->nf == 1 ? "" : "s", is_container ? 11 : 9, need);
        return AG_OK;
    }
    if (ag__tr_id(&o->f[0], id) != 0) {
        ag__tr_bad(o, s, n, "invalid %s id", is_container ? "container" : "machine");
        return AG_OK;
    }
    if (ag__tr_num(&o->f[tcol], &ts) != 0 || ag__tr_at_sec(o->t0_ms, ts, &t) != 0) {
        ag__tr_bad(o, o->f[tcol].p, o->f[tcol].n, "invalid time_stamp (seconds)");
        return AG_OK;
    }
    rc_cpu = ag__tr_num(&o->f[tcol + 1], &cpu);
    rc_mem = ag__tr_num(&o->f[tcol + 2], &mem);
    if (rc_cpu < 0 || rc_mem < 0) {
        const ag__tr_field *f = &o->f[tcol + (rc_cpu < 0 ? 1 : 2)];
        ag__tr_bad(o, f->p, f->n, "invalid %s",
                   rc_cpu < 0 ? "cpu_util_percent" : "mem_util_percent");
        return AG_OK;
    }
    /* The trace marks invalid percentages as -1 or 101: stored as NaN, so
     * the cleaning step drops and counts them. */
    if (rc_cpu == 0 && (cpu == -1 || cpu == 101))
        cpu = NAN;
    if (rc_mem == 0 && (mem == -1 || mem == 101))
        mem = NAN;
    c = ag__tr_container(o, id, is_container ? "container" : "machine", "Pod", id);
    if (!c)
        return AG_ENOMEM;
    if (rc_cpu == 0 && (rc = ag__tr_push(c, AG_CPU, t, cpu / 100 * o->cores)) != AG_OK)
        return rc;
    if (rc_mem == 0 && (rc = ag__tr_push(c, AG_MEMORY, t, mem / 100 * o->mem)) != AG_OK)
        return rc;
    if (!is_container) {
        /* A machine's capacity is its own size; a container's request and
         * limit are in container_meta.csv, not read here. */
        ag__tr_spec(o, c, AG_CPU, o->cores, t);
        ag__tr_spec(o, c, AG_MEMORY, o->mem, t);
    }
    return AG_OK;
}

ag_err ag__tr_alibaba_machine_line(ag__tr *o, const char *s, size_t n)
{
    return row(o, s, n, 0);
}

ag_err ag__tr_alibaba_container_line(ag__tr *o, const char *s, size_t n)
{
    return row(o, s, n, 1);
}
