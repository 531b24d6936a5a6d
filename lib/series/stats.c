/*
 * series/stats.c - the ingest counters and the one-line import summary.
 */
#include <inttypes.h>
#include "augur/series.h"

void ag_ingest_stats_add(ag_ingest_stats *a, const ag_ingest_stats *b)
{
    a->lines += b->lines;
    a->samples += b->samples;
    a->containers += b->containers;
    a->malformed += b->malformed;
    a->unknown_metric += b->unknown_metric;
    a->nonfinite += b->nonfinite;
    a->negative += b->negative;
    a->duplicates += b->duplicates;
    a->unsorted += b->unsorted;
    a->counter_resets += b->counter_resets;
    a->gaps += b->gaps;
    a->unit_fixes += b->unit_fixes;
    a->outside_window += b->outside_window;
}

/* "; " before the first problem, ", " before the others. */
static void item(FILE *f, int *first, uint64_t n, const char *one, const char *many,
                 const char *tail)
{
    if (n == 0)
        return;
    fprintf(f, "%s%" PRIu64 " %s%s", *first ? "; " : ", ", n, n == 1 ? one : many, tail);
    *first = 0;
}

void ag_ingest_stats_print(const ag_ingest_stats *st, FILE *f)
{
    int first = 1;

    fprintf(f, "read %" PRIu64 " %s: %" PRIu64 " %s kept in %" PRIu64 " %s", st->lines,
            st->lines == 1 ? "line" : "lines", st->samples,
            st->samples == 1 ? "sample" : "samples", st->containers,
            st->containers == 1 ? "container" : "containers");
    item(f, &first, st->malformed, "malformed line", "malformed lines", " skipped");
    item(f, &first, st->unknown_metric, "sample", "samples", " of unused metrics ignored");
    item(f, &first, st->duplicates, "duplicate", "duplicates", " dropped");
    item(f, &first, st->nonfinite, "NaN/Inf", "NaN/Inf", " dropped");
    item(f, &first, st->negative, "negative value", "negative values", " dropped");
    item(f, &first, st->unsorted, "out-of-order sample", "out-of-order samples", " sorted");
    item(f, &first, st->counter_resets, "counter reset", "counter resets", "");
    item(f, &first, st->gaps, "gap", "gaps", " in the data");
    item(f, &first, st->unit_fixes, "value", "values", " rescaled from a wrong unit");
    item(f, &first, st->outside_window, "sample", "samples", " outside the window dropped");
    fputc('\n', f);
}
