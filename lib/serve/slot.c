/*
 * serve/slot.c - the slot between the daemon's loop and its readers: the
 * current view behind a mutex with reference counts, so publishing never
 * waits for a reader and a reader never sees half a view; the live
 * health; and a ring of the loop's last AG_SERVE_RUNS runs for
 * /api/v1/runs.
 */
#include <pthread.h>
#include <string.h>
#include "augur/serve.h"
#include "serve/serve_int.h"
#include "util/alloc.h"

/* A published view with its reference count. The view is the first
 * member, so a reader's pointer finds its holder. */
typedef struct held {
    ag_view v;
    int refs; /* readers + 1 while current */
} held;

struct ag_serve {
    pthread_mutex_t mu;
    held *cur;
    ag_health health;
    ag_kube_health kube;
    ag_loop_run runs[AG_SERVE_RUNS]; /* a ring: the newest at runs[(head + N - 1) % N] */
    size_t head, nruns;
    uint64_t last_id;
};

/* Frees what a view owns, not the view itself. */
static void view_clear(ag_view *v)
{
    if (v->fcs_shared) {
        ag__fcs_unref(v->fcs_shared);
    } else {
        for (size_t i = 0; i < v->nfcs; i++) {
            ag__free(v->fcs[i].q);
            ag__free(v->fcs[i].history);
        }
        ag__free(v->fcs);
    }
    ag__free(v->recs);
    ag__free(v->recs_json);
}

void ag_view_free(ag_view *v)
{
    if (!v)
        return;
    view_clear(v);
    ag__free(v);
}

ag_serve *ag_serve_new(void)
{
    ag_serve *s = ag__calloc(1, sizeof *s);

    if (!s)
        return NULL;
    if (pthread_mutex_init(&s->mu, NULL) != 0) {
        ag__free(s);
        return NULL;
    }
    return s;
}

static void unref(held *h)
{
    if (h && --h->refs == 0) {
        view_clear(&h->v);
        ag__free(h);
    }
}

void ag_serve_free(ag_serve *s)
{
    if (!s)
        return;
    unref(s->cur);
    pthread_mutex_destroy(&s->mu);
    ag__free(s);
}

void ag_serve_publish(ag_serve *s, ag_view *v)
{
    held *h, *old;

    if (!v)
        return;
    h = ag__malloc(sizeof *h);
    if (!h) {
        ag_view_free(v); /* out of memory: the previous view stays */
        return;
    }
    h->v = *v;
    h->refs = 1;
    ag__free(v); /* its contents moved into h */
    pthread_mutex_lock(&s->mu);
    old = s->cur;
    s->cur = h;
    unref(old);
    pthread_mutex_unlock(&s->mu);
}

const ag_view *ag_serve_acquire(ag_serve *s)
{
    const ag_view *v = NULL;

    pthread_mutex_lock(&s->mu);
    if (s->cur) {
        s->cur->refs++;
        v = &s->cur->v;
    }
    pthread_mutex_unlock(&s->mu);
    return v;
}

void ag_serve_release(ag_serve *s, const ag_view *v)
{
    if (!v)
        return;
    pthread_mutex_lock(&s->mu);
    unref((held *)(void *)v);
    pthread_mutex_unlock(&s->mu);
}

int ag_health_ready(const ag_health *h, int64_t now_ms)
{
    return h->ready && (h->stale_ms <= 0 || now_ms - h->last_success_ms <= h->stale_ms);
}

void ag_serve_health(ag_serve *s, ag_health *out)
{
    pthread_mutex_lock(&s->mu);
    *out = s->health;
    out->kube = s->kube;
    pthread_mutex_unlock(&s->mu);
}

void ag_serve_set_kube(ag_serve *s, const ag_kube_health *k)
{
    pthread_mutex_lock(&s->mu);
    s->kube = *k;
    pthread_mutex_unlock(&s->mu);
}

void ag_serve_set_health(ag_serve *s, const ag_health *h)
{
    pthread_mutex_lock(&s->mu);
    s->health = *h;
    pthread_mutex_unlock(&s->mu);
}

void ag_serve_record_run(ag_serve *s, const ag_loop_run *r)
{
    ag_loop_run *slot;

    if (!s || !r)
        return;
    pthread_mutex_lock(&s->mu);
    slot = &s->runs[s->head];
    *slot = *r;
    slot->error[sizeof slot->error - 1] = '\0';
    if (!slot->id)
        slot->id = s->last_id + 1; /* the loop gave none: number it */
    s->last_id = slot->id;
    s->head = (s->head + 1) % AG_SERVE_RUNS;
    if (s->nruns < AG_SERVE_RUNS)
        s->nruns++;
    pthread_mutex_unlock(&s->mu);
}

size_t ag_serve_runs(ag_serve *s, ag_loop_run *out, size_t max)
{
    size_t n;

    if (!s || !out)
        return 0;
    pthread_mutex_lock(&s->mu);
    n = s->nruns < max ? s->nruns : max;
    for (size_t i = 0; i < n; i++)
        out[i] = s->runs[(s->head + AG_SERVE_RUNS - 1 - i) % AG_SERVE_RUNS];
    pthread_mutex_unlock(&s->mu);
    return n;
}
