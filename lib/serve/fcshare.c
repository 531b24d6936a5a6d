/*
 * serve/fcshare.c - forecasts shared between views.
 *
 * The forecasts change once an hour while a view is published every
 * minute; at 10,000 containers they are ~40 MB, so each view references
 * the block of the last refit instead of copying it. Views are freed on
 * reader threads, hence the atomic count.
 */
#include <stdatomic.h>
#include "serve/serve_int.h"
#include "util/alloc.h"

struct ag__fcs_shared {
    atomic_int refs;
    ag_view_fc *fcs;
    size_t n;
};

ag__fcs_shared *ag__fcs_share(ag_view_fc *fcs, size_t n)
{
    ag__fcs_shared *s = ag__calloc(1, sizeof *s);

    if (!s)
        return NULL;
    atomic_init(&s->refs, 1);
    s->fcs = fcs;
    s->n = n;
    return s;
}

void ag__fcs_ref(ag__fcs_shared *s)
{
    atomic_fetch_add(&s->refs, 1);
}

void ag__fcs_unref(ag__fcs_shared *s)
{
    if (!s || atomic_fetch_sub(&s->refs, 1) != 1)
        return;
    for (size_t i = 0; i < s->n; i++) {
        ag__free(s->fcs[i].q);
        ag__free(s->fcs[i].history);
    }
    ag__free(s->fcs);
    ag__free(s);
}
