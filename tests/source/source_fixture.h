/*
 * tests/source/source_fixture.h - what the reader tests share: a warning
 * collector, a fixture with a fresh dataset, and container lookup.
 */
#ifndef AG_TEST_SOURCE_FIXTURE_H
#define AG_TEST_SOURCE_FIXTURE_H

#include "ag_test.h"
#include "augur/source.h"

typedef struct warns {
    int n;
    char all[16384];
} warns;

/* An ag_warn_fn that appends every message to a warns. */
static inline void collect(void *ud, const char *msg)
{
    warns *w = ud;
    size_t len = strlen(w->all);
    w->n++;
    snprintf(w->all + len, sizeof w->all - len, "%s\n", msg);
}

typedef struct fixture {
    ag_dataset *ds;
    ag_ingest_stats st;
    warns w;
    ag_read_opts opts;
    ag_errinfo ei;
} fixture;

static inline int setup(void **state)
{
    fixture *f = calloc(1, sizeof *f);
    f->ds = ag_dataset_new();
    f->opts.warn = collect;
    f->opts.warn_ud = &f->w;
    *state = f;
    return f->ds ? 0 : -1;
}

static inline int teardown(void **state)
{
    fixture *f = *state;
    ag_dataset_free(f->ds);
    free(f);
    return 0;
}

/* The container, which must exist. */
static inline ag_container *get(fixture *f, const char *ns, const char *pod, const char *ctr)
{
    size_t i;
    for (i = 0; i < ag_dataset_count(f->ds); i++) {
        ag_container *c = ag_dataset_at(f->ds, i);
        if (strcmp(c->ns, ns) == 0 && strcmp(c->pod, pod) == 0 && strcmp(c->container, ctr) == 0)
            return c;
    }
    fail_msg("no container %s/%s/%s", ns, pod, ctr);
    return NULL;
}

#endif
