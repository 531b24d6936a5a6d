/*
 * source/trace_vm.c - the per-VM traces: Bitbrains GWA-T-12 (one ";\t"
 * file per VM, absolute MHz and KB), the Azure Public Dataset V1 sample
 * (step,offset_s,vm_<id>... in CPU %) and PlanetLab as shipped with
 * CloudSim (step,<vm>... in CPU %, or one file per VM holding one integer
 * per 5 minutes). Every VM becomes a pod owning itself (kind "Pod") with
 * one container "vm".
 */
#include <math.h>
#include <stdio.h>
#include <string.h>
#include "augur/source.h"
#include "source/trace_int.h"
#include "util/alloc.h"

#define VM_CTR "vm"

/* ---- Bitbrains ---------------------------------------------------------- */

/* Columns of GWA-T-12 (the header says "Timestamp [ms]", the values are
 * Unix seconds). */
enum {
    BB_TS,
    BB_CORES,
    BB_CAP_MHZ,
    BB_USE_MHZ,
    BB_USE_PCT,
    BB_MEM_CAP_KB,
    BB_MEM_KB,
    BB_NEEDED /* the columns read */
};

static const char *const bb_names[BB_NEEDED] = {
    "Timestamp",         "CPU cores",     "CPU capacity provisioned [MHZ]",
    "CPU usage [MHZ]",   "CPU usage [%]", "Memory capacity provisioned [KB]",
    "Memory usage [KB]",
};

ag_err ag__tr_bitbrains_line(ag__tr *o, const char *s, size_t n)
{
    double v[BB_NEEDED], per_core;
    int64_t ts, t;
    char pod[AG__TR_MAX_ID + 8];
    ag_container *c;
    ag_err rc;
    int k;

    if (ag__tr_split(o, s, n, ';') != 0)
        return AG_ENOMEM;
    if (o->mode == 0) {
        o->mode = 1;
        if (o->nf > 0 && ag__tr_num(&o->f[0], &v[0]) != 0) { /* the header */
            if (o->nf < BB_NEEDED) {
                ag_errinfo_set(o->ei,
                               "%s:%llu: not a Bitbrains GWA-T-12 header (expected "
                               "'Timestamp [ms];\\tCPU cores;\\tCPU capacity provisioned "
                               "[MHZ];...')",
                               o->w.name, (unsigned long long)o->line);
                return AG_EPARSE;
            }
            return AG_OK;
        }
    }
    if (o->nf < BB_NEEDED) {
        ag__tr_bad(o, s, n, "row has %zu field%s, a Bitbrains row has 11 (at least %d)", o->nf,
                   o->nf == 1 ? "" : "s", BB_NEEDED);
        return AG_OK;
    }
    if (ag__tr_u64(o->f[BB_TS].p, o->f[BB_TS].n, &ts) != 0) {
        ag__tr_bad(o, o->f[BB_TS].p, o->f[BB_TS].n, "invalid timestamp (Unix seconds)");
        return AG_OK;
    }
    /* Seconds as published; milliseconds accepted by the same rule as
     * OpenMetrics (10^11 and more). */
    t = ts >= 100000000000LL ? ts : ts * 1000;
    for (k = BB_CORES; k < BB_NEEDED; k++) {
        int r = ag__tr_num(&o->f[k], &v[k]);
        if (r < 0) {
            ag__tr_bad(o, o->f[k].p, o->f[k].n, "invalid number in column %d (%s)", k + 1,
                       bb_names[k]);
            return AG_OK;
        }
        if (r > 0)
            v[k] = NAN;
    }
    per_core = v[BB_CAP_MHZ] / v[BB_CORES];
    if (!(v[BB_CORES] > 0) || !(v[BB_CAP_MHZ] > 0) || !(per_core > 0)) {
        /* A quirk of the trace (e.g. the first rows of a VM): no size, so
         * MHz cannot become cores. */
        ag__tr_bad(o, s, n, "no CPU capacity provisioned (0 cores or 0 MHz): row skipped");
        return AG_OK;
    }
    snprintf(pod, sizeof pod, "vm-%s", o->stem[0] ? o->stem : "unknown");
    c = ag__tr_container(o, pod, VM_CTR, "Pod", pod);
    if (!c)
        return AG_ENOMEM;
    if (!isnan(v[BB_USE_MHZ]) &&
        (rc = ag__tr_push(c, AG_CPU, t, v[BB_USE_MHZ] / per_core)) != AG_OK)
        return rc;
    if (!isnan(v[BB_MEM_KB]) && (rc = ag__tr_push(c, AG_MEMORY, t, v[BB_MEM_KB] * 1024)) != AG_OK)
        return rc;
    ag__tr_spec(o, c, AG_CPU, v[BB_CORES], t);
    if (v[BB_MEM_CAP_KB] > 0)
        ag__tr_spec(o, c, AG_MEMORY, v[BB_MEM_CAP_KB] * 1024, t);
    return AG_OK;
}

/* ---- wide CSVs: Azure V1 and PlanetLab ---------------------------------- */

/* Reads the header of a wide CSV: key names the time column ("offset_s",
 * "step"), skip another column that is not a VM (may be NULL), every other
 * column is a VM. vm_prefix: a column "vm_<id>" becomes pod "vm-<id>". */
static ag_err wide_header(ag__tr *o, const char *key, const char *skip, int vm_prefix,
                          const char *what)
{
    char id[AG__TR_MAX_ID + 1];
    size_t i, nvm = 0;

    o->key_col = -1;
    for (i = 0; i < o->nf; i++) {
        if (o->key_col < 0 && ag__tr_is(&o->f[i], key)) {
            o->key_col = (int)i;
            continue;
        }
        if (skip && ag__tr_is(&o->f[i], skip))
            continue;
        if (ag__tr_id(&o->f[i], id) != 0) {
            ag_errinfo_set(o->ei,
                           "%s:%llu: %s header: column %zu has no usable VM name (1 to %d "
                           "printable characters without blanks)",
                           o->w.name, (unsigned long long)o->line, what, i + 1, AG__TR_MAX_ID);
            return AG_EPARSE;
        }
        nvm++;
    }
    if (o->key_col < 0) {
        ag_errinfo_set(o->ei, "%s:%llu: %s header: no '%s' column", o->w.name,
                       (unsigned long long)o->line, what, key);
        return AG_EPARSE;
    }
    if (nvm == 0) {
        ag_errinfo_set(o->ei, "%s:%llu: %s header: no VM columns", o->w.name,
                       (unsigned long long)o->line, what);
        return AG_EPARSE;
    }
    o->cols = ag__calloc(o->nf, sizeof *o->cols);
    o->vals = ag__calloc(o->nf, sizeof *o->vals);
    if (!o->cols || !o->vals)
        return AG_ENOMEM;
    for (i = 0; i < o->nf; i++) {
        char pod[AG__TR_MAX_ID + 1];
        if ((int)i == o->key_col || (skip && ag__tr_is(&o->f[i], skip)))
            continue;
        ag__tr_id(&o->f[i], id);
        if (vm_prefix && strncmp(id, "vm_", 3) == 0)
            snprintf(pod, sizeof pod, "vm-%s", id + 3);
        else
            snprintf(pod, sizeof pod, "%s", id);
        o->cols[i] = ag__tr_container(o, pod, VM_CTR, "Pod", pod);
        if (!o->cols[i])
            return AG_ENOMEM;
    }
    o->hdr_nf = o->nf;
    return AG_OK;
}

/* Reads a wide row at time t: every VM column in percent of o->cores.
 * The row is checked whole before anything is stored. */
static ag_err wide_row(ag__tr *o, int64_t t)
{
    size_t i;
    ag_err rc;

    for (i = 0; i < o->nf; i++) {
        int r;
        if (!o->cols[i])
            continue;
        r = ag__tr_num(&o->f[i], &o->vals[i]);
        if (r < 0) {
            ag__tr_bad(o, o->f[i].p, o->f[i].n, "invalid number in column %zu", i + 1);
            return AG_OK;
        }
        if (r > 0)
            o->vals[i] = NAN;
    }
    for (i = 0; i < o->nf; i++) {
        if (!o->cols[i] || isnan(o->vals[i]))
            continue;
        if ((rc = ag__tr_push(o->cols[i], AG_CPU, t, o->vals[i] / 100 * o->cores)) != AG_OK)
            return rc;
        ag__tr_spec(o, o->cols[i], AG_CPU, o->cores, t);
    }
    return AG_OK;
}

static int wide_fields_ok(ag__tr *o, const char *s, size_t n)
{
    if (o->nf == o->hdr_nf)
        return 1;
    ag__tr_bad(o, s, n, "row has %zu field%s, the header has %zu", o->nf, o->nf == 1 ? "" : "s",
               o->hdr_nf);
    return 0;
}

ag_err ag__tr_azure_line(ag__tr *o, const char *s, size_t n)
{
    const ag__tr_field *k;
    double off;
    int64_t t;

    if (ag__tr_split(o, s, n, ',') != 0)
        return AG_ENOMEM;
    if (o->mode == 0) {
        o->mode = 1;
        return wide_header(o, "offset_s", "step", 1, "Azure V1");
    }
    if (!wide_fields_ok(o, s, n))
        return AG_OK;
    k = &o->f[o->key_col];
    if (ag__tr_num(k, &off) != 0 || ag__tr_at_sec(o->t0_ms, off, &t) != 0) {
        ag__tr_bad(o, k->p, k->n, "invalid offset_s (seconds from the trace start)");
        return AG_OK;
    }
    return wide_row(o, t);
}

/* PlanetLab modes. */
enum { PL_FIRST = 0, PL_WIDE = 1, PL_CLOUDSIM = 2 };

/* t = t0 + step * 5 minutes. */
static int planetlab_time(const ag__tr *o, int64_t step, int64_t *t)
{
    if (step > 1000000000000LL)
        return -1;
    return ag__tr_add(o->t0_ms, step * AG__TR_PLANETLAB_STEP_MS, t);
}

ag_err ag__tr_planetlab_line(ag__tr *o, const char *s, size_t n)
{
    const ag__tr_field *k;
    int64_t step, t;
    double v;
    ag_container *c;
    ag_err rc;
    int r;

    if (ag__tr_split(o, s, n, ',') != 0)
        return AG_ENOMEM;
    if (o->mode == PL_FIRST) {
        if (o->nf >= 1 && ag__tr_is(&o->f[0], "step")) {
            o->mode = PL_WIDE;
            return wide_header(o, "step", NULL, 0, "PlanetLab");
        }
        o->mode = PL_CLOUDSIM; /* one file per VM: this line is data */
    }
    if (o->mode == PL_WIDE) {
        if (!wide_fields_ok(o, s, n))
            return AG_OK;
        k = &o->f[o->key_col];
        if (ag__tr_u64(k->p, k->n, &step) != 0 || planetlab_time(o, step, &t) != 0) {
            ag__tr_bad(o, k->p, k->n, "invalid step (5-minute steps from midnight)");
            return AG_OK;
        }
        return wide_row(o, t);
    }
    /* CloudSim: line k (from 0, blank lines not counted) is step k. */
    if (o->nf != 1) {
        ag__tr_bad(o, s, n, "expected one CPU percentage per line, found %zu fields", o->nf);
        return AG_OK;
    }
    r = ag__tr_num(&o->f[0], &v);
    if (r < 0) {
        ag__tr_bad(o, s, n, "invalid CPU percentage");
        return AG_OK;
    }
    if (r > 0)
        return AG_OK;
    if (planetlab_time(o, (int64_t)o->nlines, &t) != 0) {
        ag__tr_bad(o, s, n, "time out of range");
        return AG_OK;
    }
    {
        char pod[AG__TR_MAX_ID + 1];
        ag__tr_field f = {o->stem, strlen(o->stem)};
        if (ag__tr_id(&f, pod) != 0)
            snprintf(pod, sizeof pod, "vm");
        c = ag__tr_container(o, pod, VM_CTR, "Pod", pod);
    }
    if (!c)
        return AG_ENOMEM;
    if ((rc = ag__tr_push(c, AG_CPU, t, v / 100 * o->cores)) != AG_OK)
        return rc;
    ag__tr_spec(o, c, AG_CPU, o->cores, t);
    return AG_OK;
}
