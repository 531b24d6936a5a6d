/*
 * series/dataset.c - the container dataset: creation, lookup, pod metadata.
 *
 * Readers call ag_dataset_container() once per parsed sample line, so the
 * lookup is a hash table (open addressing, linear probing) rather than a
 * scan. Each container is allocated on its own together with its key
 * strings, which keeps its address stable while the dataset grows. Pod
 * metadata (owner from kube_pod_owner, labels from kube_pod_labels) lives in
 * a second table keyed by (namespace, pod). Cleaning is in finish.c, owner
 * patterns in owner.c, grouping and selectors in group.c.
 */
#include <math.h>
#include <string.h>
#include "series/series_int.h"
#include "util/alloc.h"

/* ---- hash table ------------------------------------------------------ */

uint64_t ag__hash3(const char *a, const char *b, const char *c)
{
    const char *parts[3] = {a, b, c};
    uint64_t h = 1469598103934665603ULL;

    for (int i = 0; i < 3; i++) {
        const unsigned char *s = (const unsigned char *)parts[i];
        if (!s)
            continue;
        for (; *s; s++) {
            h ^= *s;
            h *= 1099511628211ULL;
        }
        h ^= 0xff; /* separator: a byte that cannot occur inside the strings */
        h *= 1099511628211ULL;
    }
    return h;
}

void *ag__htab_find(const ag__htab *t, uint64_t h, ag__htab_eq eq, const void *key)
{
    if (t->cap == 0)
        return NULL;
    for (size_t i = h & (t->cap - 1);; i = (i + 1) & (t->cap - 1)) {
        const ag__hslot *s = &t->s[i];
        if (!s->p)
            return NULL;
        if (s->h == h && eq(s->p, key))
            return s->p;
    }
}

static void place(ag__hslot *s, size_t cap, uint64_t h, void *p)
{
    size_t i = h & (cap - 1);
    while (s[i].p)
        i = (i + 1) & (cap - 1);
    s[i].h = h;
    s[i].p = p;
}

ag_err ag__htab_insert(ag__htab *t, uint64_t h, void *p)
{
    /* Keep the load at or below 1/2 so probes stay short. */
    if ((t->n + 1) * 2 > t->cap) {
        size_t ncap = t->cap ? t->cap * 2 : 16;
        ag__hslot *ns;
        if (ncap > SIZE_MAX / sizeof *ns)
            return AG_ENOMEM;
        ns = ag__calloc(ncap, sizeof *ns);
        if (!ns)
            return AG_ENOMEM;
        for (size_t i = 0; i < t->cap; i++)
            if (t->s[i].p)
                place(ns, ncap, t->s[i].h, t->s[i].p);
        ag__free(t->s);
        t->s = ns;
        t->cap = ncap;
    }
    place(t->s, t->cap, h, p);
    t->n++;
    return AG_OK;
}

void ag__htab_clear(ag__htab *t)
{
    if (t->s)
        memset(t->s, 0, t->cap * sizeof *t->s);
    t->n = 0;
}

void ag__htab_free(ag__htab *t)
{
    ag__free(t->s);
    t->s = NULL;
    t->cap = t->n = 0;
}

/* ---- dataset --------------------------------------------------------- */

typedef struct ckey {
    const char *ns, *pod, *container;
} ckey;

static int cont_eq(const void *item, const void *key)
{
    const ag__cont *c = item;
    const ckey *k = key;
    return strcmp(c->c.container, k->container) == 0 && strcmp(c->c.pod, k->pod) == 0 &&
           strcmp(c->c.ns, k->ns) == 0;
}

static int pod_eq(const void *item, const void *key)
{
    const ag__pod *p = item;
    const ckey *k = key;
    return strcmp(p->pod, k->pod) == 0 && strcmp(p->ns, k->ns) == 0;
}

ag_dataset *ag_dataset_new(void)
{
    return ag__calloc(1, sizeof(ag_dataset));
}

void ag__cont_free(ag__cont *c)
{
    if (!c)
        return;
    for (int r = 0; r < AG_NRES; r++)
        ag_samples_clear(&c->c.usage[r]);
    ag_samples_clear(&c->c.cpu_counter);
    ag_samples_clear(&c->c.oom);
    ag__free(c->owner);
    ag__free(c);
}

static void pod_free(ag__pod *p)
{
    for (size_t i = 0; i < p->nlabels; i++) {
        ag__free(p->labels[i].k);
        ag__free(p->labels[i].v);
    }
    ag__free(p->labels);
    ag__free(p->kind);
    ag__free(p->name);
    ag__free(p);
}

void ag_dataset_free(ag_dataset *ds)
{
    if (!ds)
        return;
    for (size_t i = 0; i < ds->n; i++)
        ag__cont_free(ds->c[i]);
    for (size_t i = 0; i < ds->np; i++)
        pod_free(ds->p[i]);
    ag__free(ds->c);
    ag__free(ds->p);
    ag__htab_free(&ds->cidx);
    ag__htab_free(&ds->pidx);
    ag__free(ds);
}

static ag__cont *cont_new(const char *ns, const char *pod, const char *container)
{
    size_t ln = strlen(ns) + 1, lp = strlen(pod) + 1, lc = strlen(container) + 1;
    ag__cont *c = ag__calloc(1, sizeof *c + ln + lp + lc);

    if (!c)
        return NULL;
    memcpy(c->keys, ns, ln);
    memcpy(c->keys + ln, pod, lp);
    memcpy(c->keys + ln + lp, container, lc);
    c->c.ns = c->keys;
    c->c.pod = c->keys + ln;
    c->c.container = c->keys + ln + lp;
    for (int r = 0; r < AG_NRES; r++) {
        c->c.request[r] = NAN;
        c->c.limit[r] = NAN;
        c->c.spec_t_ms[r] = 0;
    }
    return c;
}

ag_container *ag_dataset_container(ag_dataset *ds, const char *ns, const char *pod,
                                   const char *container)
{
    ckey k = {ns, pod, container};
    uint64_t h = ag__hash3(ns, pod, container);
    ag__cont *c = ag__htab_find(&ds->cidx, h, cont_eq, &k);

    if (c)
        return &c->c;
    if (ds->n == ds->cap && ag__grow((void **)&ds->c, &ds->cap, ds->n + 1, sizeof *ds->c) != 0)
        return NULL;
    c = cont_new(ns, pod, container);
    if (!c)
        return NULL;
    c->hash = h;
    if (ag__htab_insert(&ds->cidx, h, c) != AG_OK) {
        ag__cont_free(c);
        return NULL;
    }
    ds->c[ds->n++] = c;
    return &c->c;
}

void ag__dataset_reindex(ag_dataset *ds)
{
    ag__htab_clear(&ds->cidx);
    /* Cannot fail: the table already had room for at least this many. */
    for (size_t i = 0; i < ds->n; i++)
        (void)ag__htab_insert(&ds->cidx, ds->c[i]->hash, ds->c[i]);
}

ag__pod *ag__dataset_pod(const ag_dataset *ds, const char *ns, const char *pod)
{
    ckey k = {ns, pod, NULL};
    return ag__htab_find(&ds->pidx, ag__hash3(ns, pod, NULL), pod_eq, &k);
}

/* Returns the pod record of ns/pod, creating it when absent; NULL on OOM. */
static ag__pod *pod_get(ag_dataset *ds, const char *ns, const char *pod)
{
    ag__pod *p = ag__dataset_pod(ds, ns, pod);
    size_t ln, lp;

    if (p)
        return p;
    if (ds->np == ds->pcap && ag__grow((void **)&ds->p, &ds->pcap, ds->np + 1, sizeof *ds->p))
        return NULL;
    ln = strlen(ns) + 1;
    lp = strlen(pod) + 1;
    p = ag__calloc(1, sizeof *p + ln + lp);
    if (!p)
        return NULL;
    memcpy(p->keys, ns, ln);
    memcpy(p->keys + ln, pod, lp);
    p->ns = p->keys;
    p->pod = p->keys + ln;
    p->hash = ag__hash3(ns, pod, NULL);
    if (ag__htab_insert(&ds->pidx, p->hash, p) != AG_OK) {
        ag__free(p);
        return NULL;
    }
    ds->p[ds->np++] = p;
    return p;
}

ag_err ag_dataset_set_owner(ag_dataset *ds, const char *ns, const char *pod, const char *kind,
                            const char *name)
{
    ag__pod *p;
    char *k, *n;

    if (!ds || !ns || !pod || !kind || !name)
        return AG_EINVAL;
    p = pod_get(ds, ns, pod);
    if (!p)
        return AG_ENOMEM;
    /* Copy first, then swap, so a failure leaves the old owner in place. */
    k = ag__strdup(kind);
    n = ag__strdup(name);
    if (!k || !n) {
        ag__free(k);
        ag__free(n);
        return AG_ENOMEM;
    }
    ag__free(p->kind);
    ag__free(p->name);
    p->kind = k;
    p->name = n;
    return AG_OK;
}

ag_err ag_dataset_set_pod_label(ag_dataset *ds, const char *ns, const char *pod, const char *key,
                                const char *value)
{
    ag__pod *p;
    char *v;

    if (!ds || !ns || !pod || !key || !value)
        return AG_EINVAL;
    p = pod_get(ds, ns, pod);
    if (!p)
        return AG_ENOMEM;
    for (size_t i = 0; i < p->nlabels; i++) {
        if (strcmp(p->labels[i].k, key) == 0) {
            v = ag__strdup(value);
            if (!v)
                return AG_ENOMEM;
            ag__free(p->labels[i].v);
            p->labels[i].v = v;
            return AG_OK;
        }
    }
    if (p->nlabels >= AG__MAX_POD_LABELS)
        return AG_ETOOBIG;
    if (ag__grow((void **)&p->labels, &p->labcap, p->nlabels + 1, sizeof *p->labels) != 0)
        return AG_ENOMEM;
    p->labels[p->nlabels].k = ag__strdup(key);
    p->labels[p->nlabels].v = ag__strdup(value);
    if (!p->labels[p->nlabels].k || !p->labels[p->nlabels].v) {
        ag__free(p->labels[p->nlabels].k);
        ag__free(p->labels[p->nlabels].v);
        return AG_ENOMEM;
    }
    p->nlabels++;
    return AG_OK;
}

const char *ag__pod_label(const ag__pod *p, const char *key)
{
    if (!p)
        return NULL;
    for (size_t i = 0; i < p->nlabels; i++)
        if (strcmp(p->labels[i].k, key) == 0)
            return p->labels[i].v;
    return NULL;
}

int ag_dataset_get_owner(const ag_dataset *ds, const char *ns, const char *pod, const char **kind,
                         const char **name)
{
    const ag__pod *p = ds ? ag__dataset_pod(ds, ns, pod) : NULL;

    if (!p || !p->kind)
        return 0;
    if (kind)
        *kind = p->kind;
    if (name)
        *name = p->name;
    return 1;
}

size_t ag_dataset_count(const ag_dataset *ds)
{
    return ds ? ds->n : 0;
}

ag_container *ag_dataset_at(const ag_dataset *ds, size_t i)
{
    if (!ds || i >= ds->n)
        return NULL;
    return &ds->c[i]->c;
}

const char *ag_resource_name(ag_resource r)
{
    return r == AG_CPU ? "cpu" : r == AG_MEMORY ? "memory" : "unknown";
}
