/*
 * series/series_int.h - internals shared by the files of lib/series/.
 *
 * The public ag_container is embedded in a private ag__cont so the dataset
 * can keep bookkeeping (hash, owner strings, what finish() already cleaned)
 * next to it without widening the public struct. Containers are allocated
 * one by one, so their addresses stay valid while the dataset grows:
 * readers keep ag_container pointers across calls.
 */
#ifndef AG_SERIES_INT_H
#define AG_SERIES_INT_H

#include <stddef.h>
#include <stdint.h>
#include "augur/series.h"

/* Open-addressing hash table of pointers with their 64-bit hashes. The
 * table does not own the pointed-to items. */
typedef struct ag__hslot {
    uint64_t h;
    void *p; /* NULL = empty slot */
} ag__hslot;

typedef struct ag__htab {
    ag__hslot *s;
    size_t cap, n; /* cap is 0 or a power of two */
} ag__htab;

typedef int (*ag__htab_eq)(const void *item, const void *key);

/* Returns the item with hash h for which eq(item, key) is true, or NULL. */
void *ag__htab_find(const ag__htab *t, uint64_t h, ag__htab_eq eq, const void *key);
/* Inserts p (not checked for duplicates). AG_ENOMEM leaves t unchanged. */
ag_err ag__htab_insert(ag__htab *t, uint64_t h, void *p);
/* Empties the table, keeping its memory. */
void ag__htab_clear(ag__htab *t);
void ag__htab_free(ag__htab *t);

/* FNV-1a over up to three strings, each followed by a NUL (so ("ab","c")
 * and ("a","bc") differ). b or c may be NULL. */
uint64_t ag__hash3(const char *a, const char *b, const char *c);

typedef struct ag__cont {
    uint64_t hash;
    char *owner;            /* "kind\0name\0", owned; owner_kind/_name point here */
    size_t clean_n[AG_NRES]; /* usage sizes right after the last finish() */
    size_t clean_oom_n;
    int cleaned;            /* finish() has run over this container */
    ag_container c;         /* the public view */
    char keys[];            /* "ns\0pod\0container\0" */
} ag__cont;

#define AG__CONT(pc) ((ag__cont *)((char *)(pc) - offsetof(ag__cont, c)))

typedef struct ag__label {
    char *k, *v;
} ag__label;

typedef struct ag__pod {
    uint64_t hash;
    char *kind, *name; /* from kube_pod_owner; NULL when unknown */
    ag__label *labels;
    size_t nlabels, labcap;
    const char *ns, *pod; /* point into keys */
    char keys[];          /* "ns\0pod\0" */
} ag__pod;

/* At most this many labels per pod: the labels come from outside input. */
#define AG__MAX_POD_LABELS 1024

struct ag_dataset {
    ag__cont **c;
    size_t n, cap;
    ag__htab cidx; /* (ns, pod, container) -> ag__cont */
    ag__pod **p;
    size_t np, pcap;
    ag__htab pidx; /* (ns, pod) -> ag__pod */
    uint64_t reported_containers, reported_samples; /* see ag_dataset_finish() */
};

/* Returns the pod record of ns/pod or NULL. */
ag__pod *ag__dataset_pod(const ag_dataset *ds, const char *ns, const char *pod);
/* Returns the value of label key of pod p, or NULL when p or the label is absent. */
const char *ag__pod_label(const ag__pod *p, const char *key);
/* Frees one container and everything it owns. */
void ag__cont_free(ag__cont *c);
/* Rebuilds the container index after containers were dropped or reordered. */
void ag__dataset_reindex(ag_dataset *ds);

/* Resolves a kube_pod_owner (kind, name) to the workload: ReplicaSet with a
 * template-hash suffix -> Deployment, Job with a CronJob time suffix ->
 * CronJob. Writes the kind (static string, or kind itself) to *okind and the
 * name into buf (truncated to len). */
void ag__resolve_owner(const char *kind, const char *name, const char **okind, char *buf,
                       size_t len);

#endif
