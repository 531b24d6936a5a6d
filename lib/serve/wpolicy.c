/*
 * serve/wpolicy.c - the workloads AugurPolicy objects select, as the loop
 * looks them up: update mode names, and a sorted array searched by
 * (namespace, kind, name).
 *
 * lib/k8s/policy.c builds the array from the API server; the loop (and
 * the actuator) only read it, once per workload-container, so a binary
 * search over a sorted copy keeps the lookup cheap with many workloads.
 */
#include <stdlib.h>
#include <string.h>
#include "augur/serve.h"

static const char *const mode_names[] = {"Off", "Initial", "Recreate", "InPlaceOrRecreate"};

const char *ag_act_mode_name(ag_act_mode m)
{
    if ((unsigned)m < sizeof mode_names / sizeof mode_names[0])
        return mode_names[m];
    return "Off";
}

ag_err ag_act_mode_parse(const char *s, ag_act_mode *out)
{
    for (size_t i = 0; s && i < sizeof mode_names / sizeof mode_names[0]; i++) {
        if (strcmp(s, mode_names[i]) == 0) {
            *out = (ag_act_mode)i;
            return AG_OK;
        }
    }
    return AG_EINVAL;
}

static int key_cmp(const char *ns, const char *kind, const char *name, const ag_wpolicy *b)
{
    int c = strcmp(ns, b->ns);

    if (c == 0)
        c = strcmp(kind, b->kind);
    if (c == 0)
        c = strcmp(name, b->name);
    return c;
}

static int wp_cmp(const void *a, const void *b)
{
    const ag_wpolicy *x = a;

    return key_cmp(x->ns, x->kind, x->name, b);
}

void ag_wpolicy_sort(ag_wpolicy *v, size_t n)
{
    if (v && n > 1)
        qsort(v, n, sizeof *v, wp_cmp);
}

const ag_wpolicy *ag_wpolicy_find(const ag_wpolicy *v, size_t n, const char *ns, const char *kind,
                                  const char *name)
{
    size_t lo = 0, hi = n;

    if (!v || !ns || !kind || !name)
        return NULL;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        int c = key_cmp(ns, kind, name, &v[mid]);
        if (c == 0)
            return &v[mid];
        if (c < 0)
            hi = mid;
        else
            lo = mid + 1;
    }
    return NULL;
}
