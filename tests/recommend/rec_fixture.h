/*
 * tests/recommend/rec_fixture.h - hand-built containers for the
 * recommender tests (no dataset needed).
 */
#ifndef AG_TEST_REC_FIXTURE_H
#define AG_TEST_REC_FIXTURE_H

#include <math.h>
#include <string.h>
#include "augur/recommend.h"

#define MIN_MS 60000LL
#define HOUR_MS 3600000LL
#define DAY_MS 86400000LL
#define MIB 1048576.0
/* 2017-04-18 17:35:05 UTC, container_test.go testTimestamp */
#define TEST_TS 1492536905000LL

static inline void fx_init(ag_container *c)
{
    memset(c, 0, sizeof *c);
    c->ns = "default";
    c->pod = "web-0";
    c->container = "app";
    for (int r = 0; r < AG_NRES; r++)
        c->request[r] = c->limit[r] = NAN;
}

static inline void fx_free(ag_container *c)
{
    ag_samples_clear(&c->usage[AG_CPU]);
    ag_samples_clear(&c->usage[AG_MEMORY]);
    ag_samples_clear(&c->oom);
}

static inline void fx_wc(ag_wcontainer *wc, ag_container **m, size_t n)
{
    memset(wc, 0, sizeof *wc);
    wc->ns = "default";
    wc->kind = "StatefulSet";
    wc->name = "web";
    wc->container = "app";
    wc->n = n;
    wc->members = m;
    for (int r = 0; r < AG_NRES; r++) {
        wc->request[r] = n ? m[0]->request[r] : NAN;
        wc->limit[r] = n ? m[0]->limit[r] : NAN;
    }
}

#endif
