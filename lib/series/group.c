/*
 * series/group.c - workload-containers and the --selector filter.
 *
 * The VPA keys its aggregate state by (namespace, controller, container
 * name): the containers of the same name in all pods of one workload share
 * one histogram. ag_dataset_group() builds that view over a finished
 * dataset. The selector is Kubernetes' equality-based syntax ("k=v",
 * "k==v", "k!=v", comma-separated); a few keys address the container's own
 * fields, every other key is a pod label from kube_pod_labels.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include "series/series_int.h"
#include "util/alloc.h"

typedef struct term {
    const char *key, *val;
    size_t klen, vlen;
    int neg; /* "!=" */
} term;

static int key_char(char ch)
{
    return (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') ||
           ch == '.' || ch == '_' || ch == '-' || ch == '/';
}

static void trim(const char **s, size_t *n)
{
    while (*n > 0 && (**s == ' ' || **s == '\t'))
        (*s)++, (*n)--;
    while (*n > 0 && ((*s)[*n - 1] == ' ' || (*s)[*n - 1] == '\t'))
        (*n)--;
}

/* Parses one term s[0..n). Returns AG_OK or AG_EINVAL with detail in ei. */
static ag_err parse_term(const char *s, size_t n, int idx, term *t, ag_errinfo *ei)
{
    const char *op;
    size_t oplen;

    trim(&s, &n);
    if (n == 0) {
        ag_errinfo_set(ei, "selector term %d is empty", idx);
        return AG_EINVAL;
    }
    op = memchr(s, '=', n);
    if (!op) {
        ag_errinfo_set(ei, "selector term %d \"%.*s\": expected key=value or key!=value", idx,
                       (int)n, s);
        return AG_EINVAL;
    }
    t->neg = op > s && op[-1] == '!';
    if (t->neg)
        op--;
    oplen = t->neg ? 2 : (op + 1 < s + n && op[1] == '=') ? 2 : 1;
    t->key = s;
    t->klen = (size_t)(op - s);
    t->val = op + oplen;
    t->vlen = n - t->klen - oplen;
    trim(&t->key, &t->klen);
    trim(&t->val, &t->vlen);
    if (t->klen == 0) {
        ag_errinfo_set(ei, "selector term %d \"%.*s\": missing key", idx, (int)n, s);
        return AG_EINVAL;
    }
    for (size_t i = 0; i < t->klen; i++) {
        if (!key_char(t->key[i])) {
            ag_errinfo_set(ei, "selector term %d \"%.*s\": bad character '%c' in key", idx,
                           (int)n, s, t->key[i]);
            return AG_EINVAL;
        }
    }
    for (size_t i = 0; i < t->vlen; i++) {
        if (!key_char(t->val[i]) || t->val[i] == '/') {
            ag_errinfo_set(ei, "selector term %d \"%.*s\": bad character '%c' in value", idx,
                           (int)n, s, t->val[i]);
            return AG_EINVAL;
        }
    }
    return AG_OK;
}

/* Parses every term of sel and calls fn (when non-NULL) on each. Returns
 * the first parse error; otherwise AG_OK with *all = 0 as soon as fn
 * returned 0 for a term, else *all = 1. */
static ag_err each_term(const char *sel, ag_errinfo *ei, int (*fn)(const term *, void *),
                        void *arg, int *all)
{
    const char *p = sel;
    int idx = 1;
    ag_err err;

    *all = 1;
    for (;;) {
        const char *comma = strchr(p, ',');
        size_t n = comma ? (size_t)(comma - p) : strlen(p);
        term t;
        if ((err = parse_term(p, n, idx, &t, ei)) != AG_OK)
            return err;
        if (fn && !fn(&t, arg)) {
            *all = 0;
            return AG_OK;
        }
        if (!comma)
            return AG_OK;
        p = comma + 1;
        idx++;
    }
}

ag_err ag_selector_validate(const char *selector, ag_errinfo *ei)
{
    int all;
    const char *s = selector;

    if (!selector)
        return AG_OK;
    while (*s == ' ' || *s == '\t')
        s++;
    if (!*s)
        return AG_OK; /* an empty selector selects everything */
    return each_term(selector, ei, NULL, NULL, &all);
}

typedef struct match_arg {
    const ag_dataset *ds;
    const ag_container *c;
} match_arg;

static int term_matches(const term *t, void *arg)
{
    const match_arg *m = arg;
    const ag_container *c = m->c;
    const char *have = NULL;
    char key[256];

    if (t->klen >= sizeof key)
        return t->neg; /* no field or label can have such a key */
    memcpy(key, t->key, t->klen);
    key[t->klen] = '\0';
    if (strcmp(key, "namespace") == 0)
        have = c->ns;
    else if (strcmp(key, "pod") == 0)
        have = c->pod;
    else if (strcmp(key, "container") == 0)
        have = c->container;
    else if (strcmp(key, "workload") == 0)
        have = c->owner_name ? c->owner_name : c->pod;
    else if (strcmp(key, "kind") == 0)
        have = c->owner_kind ? c->owner_kind : "Pod";
    else
        have = ag__pod_label(ag__dataset_pod(m->ds, c->ns, c->pod), key);
    if (!have)
        return t->neg; /* absent label: fails k=v, passes k!=v */
    int eq = strlen(have) == t->vlen && memcmp(have, t->val, t->vlen) == 0;
    return t->neg ? !eq : eq;
}

static int matches(const ag_dataset *ds, const ag_filter *f, const ag_container *c)
{
    match_arg m = {ds, c};
    int all = 1;
    const char *s;

    if (!f)
        return 1;
    if (f->ns && f->ns[0] && strcmp(f->ns, c->ns) != 0)
        return 0;
    if (!f->selector)
        return 1;
    for (s = f->selector; *s == ' ' || *s == '\t'; s++)
        ;
    if (!*s)
        return 1;
    if (each_term(f->selector, NULL, term_matches, &m, &all) != AG_OK)
        return 0;
    return all;
}

static const char *kind_of(const ag_container *c)
{
    return c->owner_kind ? c->owner_kind : "Pod";
}

static const char *name_of(const ag_container *c)
{
    return c->owner_name ? c->owner_name : c->pod;
}

/* Order of workload-containers; 0 means same group. */
static int cmp_key(const ag_container *a, const ag_container *b)
{
    int d;

    if ((d = strcmp(a->ns, b->ns)) != 0)
        return d;
    if ((d = strcmp(kind_of(a), kind_of(b))) != 0)
        return d;
    if ((d = strcmp(name_of(a), name_of(b))) != 0)
        return d;
    return strcmp(a->container, b->container);
}

static int cmp_member(const void *pa, const void *pb)
{
    const ag_container *a = *(ag_container *const *)pa, *b = *(ag_container *const *)pb;
    int d = cmp_key(a, b);
    return d ? d : strcmp(a->pod, b->pod);
}

/* Request/limit of resource r from the member with the newest spec time
 * that knows either value; on equal times the later member (by pod name)
 * wins. NAN when no member knows. */
static void newest_spec(ag_wcontainer *w, int r)
{
    const ag_container *best = NULL;

    for (size_t i = 0; i < w->n; i++) {
        const ag_container *c = w->members[i];
        if (isnan(c->request[r]) && isnan(c->limit[r]))
            continue;
        if (!best || c->spec_t_ms[r] >= best->spec_t_ms[r])
            best = c;
    }
    w->request[r] = best ? best->request[r] : NAN;
    w->limit[r] = best ? best->limit[r] : NAN;
}

void ag_wcontainers_free(ag_wcontainer *wc, size_t n)
{
    if (!wc)
        return;
    for (size_t i = 0; i < n; i++)
        ag__free(wc[i].members);
    ag__free(wc);
}

ag_err ag_dataset_group(const ag_dataset *ds, const ag_filter *filter, ag_wcontainer **out,
                        size_t *n)
{
    ag_container **sel = NULL;
    ag_wcontainer *wc = NULL;
    size_t nsel = 0, ng = 0, i, j, g;
    ag_err err = AG_OK;

    if (!ds || !out || !n)
        return AG_EINVAL;
    *out = NULL;
    *n = 0;
    if (filter && (err = ag_selector_validate(filter->selector, NULL)) != AG_OK)
        return err;
    if (ds->n == 0)
        return AG_OK;
    sel = ag__malloc(ds->n * sizeof *sel);
    if (!sel)
        return AG_ENOMEM;
    for (i = 0; i < ds->n; i++)
        if (matches(ds, filter, &ds->c[i]->c))
            sel[nsel++] = &ds->c[i]->c;
    if (nsel == 0)
        goto out;
    qsort(sel, nsel, sizeof *sel, cmp_member);
    for (i = 0; i < nsel; i++)
        if (i == 0 || cmp_key(sel[i - 1], sel[i]) != 0)
            ng++;
    wc = ag__calloc(ng, sizeof *wc);
    if (!wc) {
        err = AG_ENOMEM;
        goto out;
    }
    for (i = 0, g = 0; i < nsel; i = j, g++) {
        for (j = i + 1; j < nsel && cmp_key(sel[i], sel[j]) == 0; j++)
            ;
        ag_wcontainer *w = &wc[g];
        w->members = ag__malloc((j - i) * sizeof *w->members);
        if (!w->members) {
            ag_wcontainers_free(wc, g);
            wc = NULL;
            err = AG_ENOMEM;
            goto out;
        }
        memcpy(w->members, sel + i, (j - i) * sizeof *w->members);
        w->n = j - i;
        w->ns = sel[i]->ns;
        w->kind = kind_of(sel[i]);
        w->name = name_of(sel[i]);
        w->container = sel[i]->container;
        for (int r = 0; r < AG_NRES; r++)
            newest_spec(w, r);
    }
    *out = wc;
    *n = ng;
out:
    ag__free(sel);
    return err;
}
