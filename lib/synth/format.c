/*
 * synth/format.c - writing a spec back as text: the canonical form
 * "shape:key=value,..." with every key the shape takes, so a run can
 * report exactly what it generated and the spec can be replayed.
 *
 * Numbers are written with the fewest digits that read back to the same
 * double, durations as "1h30m", times in RFC 3339; ag_synth_parse() of the
 * result gives the spec back.
 */
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "augur/util.h"
#include "synth/synth_int.h"

#define CFIELD(s, k, type) ((const type *)(const void *)((const char *)(s) + (k)->off))

/* The shortest %g that strtod() reads back as v. */
static char *num_str(double v, char *buf, size_t len)
{
    for (int prec = 15; prec <= 17; prec++) {
        snprintf(buf, len, "%.*g", prec, v);
        if (strtod(buf, NULL) == v)
            break;
    }
    return buf;
}

char *ag__synth_value_str(const ag_synth_spec *s, const ag__synth_key *k, char *buf, size_t len)
{
    static const char *const apply_names[] = {"both", "cpu", "mem"};
    ag_synth_apply a;

    if (len == 0)
        return buf;
    buf[0] = '\0';
    switch (k->kind) {
    case AG__SK_QTY:
    case AG__SK_NUM:
        return num_str(*CFIELD(s, k, double), buf, len);
    case AG__SK_NOISE:
        return num_str(s->noise[AG_CPU], buf, len);
    case AG__SK_DUR:
        return ag_duration_format(*CFIELD(s, k, int64_t), buf, len);
    case AG__SK_DAYS:
        return num_str((double)*CFIELD(s, k, int64_t) / 86400000.0, buf, len);
    case AG__SK_INT:
        snprintf(buf, len, "%d", *CFIELD(s, k, int));
        return buf;
    case AG__SK_SEED:
        snprintf(buf, len, "%" PRIu64, *CFIELD(s, k, uint64_t));
        return buf;
    case AG__SK_NAME:
        snprintf(buf, len, "%.*s", AG_SYNTH_NAME_MAX - 1, CFIELD(s, k, char));
        return buf;
    case AG__SK_TIME:
        return ag_time_format(*CFIELD(s, k, int64_t), buf, len);
    case AG__SK_APPLY:
        a = *CFIELD(s, k, ag_synth_apply);
        snprintf(buf, len, "%s", (unsigned)a < 3 ? apply_names[a] : "?");
        return buf;
    }
    return buf;
}

size_t ag_synth_format(const ag_synth_spec *s, char *buf, size_t len)
{
    size_t off = 0;
    char v[128];
    int n, first = 1;

    if (len > 0)
        buf[0] = '\0';
    if (!s)
        return 0;
    n = snprintf(len ? buf : NULL, len, "%s", ag_synth_shape_name(s->shape));
    off = n > 0 ? (size_t)n : 0;
    if ((unsigned)s->shape >= AG_SYNTH_NSHAPES)
        return off;
    for (size_t i = 0; i < ag__synth_nkeys; i++) {
        const ag__synth_key *k = &ag__synth_keys[i];
        if (!(k->shapes & (1u << s->shape)) || k->kind == AG__SK_NOISE || ag__synth_unset(s, k))
            continue;
        ag__synth_value_str(s, k, v, sizeof v);
        n = snprintf(off < len ? buf + off : NULL, off < len ? len - off : 0, "%c%s=%s",
                     first ? ':' : ',', k->name, v);
        first = 0;
        if (n > 0)
            off += (size_t)n;
    }
    return off;
}
