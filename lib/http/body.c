/*
 * http/body.c - response bodies that depend only on the view (/metrics'
 * series, the unfiltered recommendations and workloads), rendered once
 * per view and sent by reference: a body is reference counted, holds a
 * reference on its view, and every response sending it holds one on the
 * body until libmicrohttpd frees the response. Also their gzip form,
 * deflated once per view and ended per response (with the per-request
 * tail of /metrics), so a gzip response costs a small deflate, not 4 MB.
 */
#include <string.h>
#include <zlib.h>
#include "http/http_int.h"
#include "util/alloc.h"

#define BODY_MAX ((size_t)256 << 20) /* as the largest response rendered */

static long live; /* atomic: bodies alive */

long ag__http_bodies_live(void)
{
    return __atomic_load_n(&live, __ATOMIC_RELAXED);
}

static voidpf z_alloc(voidpf opaque, uInt items, uInt size)
{
    (void)opaque;
    return ag__calloc(items, size);
}

static void z_free(voidpf opaque, voidpf p)
{
    (void)opaque;
    ag__free(p);
}

static void put32le(char *p, uint32_t x)
{
    for (int i = 0; i < 4; i++)
        p[i] = (char)((x >> (8 * i)) & 0xff);
}

/* Deflates in[0..n) raw (no zlib or gzip framing) onto out with flush
 * (Z_SYNC_FLUSH: the stream goes on after it; Z_FINISH: the last block). */
static ag_err deflate_raw(const char *in, size_t n, int level, int wbits, int mem, int flush,
                          ag_buf *out)
{
    z_stream z;
    size_t room;
    ag_err rc = AG_OK;

    memset(&z, 0, sizeof z);
    z.zalloc = z_alloc;
    z.zfree = z_free;
    if (n > (size_t)UINT32_MAX / 2)
        return AG_ETOOBIG;
    if (deflateInit2(&z, level, Z_DEFLATED, -wbits, mem, Z_DEFAULT_STRATEGY) != Z_OK)
        return AG_ENOMEM;
    room = deflateBound(&z, (uLong)n) + 16; /* + the sync flush's empty block */
    if (room > out->max || out->len + room > out->max)
        rc = AG_ETOOBIG;
    else if (out->cap < out->len + room + 1 &&
             ag__grow((void **)&out->p, &out->cap, out->len + room + 1, 1) != 0)
        rc = AG_ENOMEM;
    if (rc != AG_OK) {
        deflateEnd(&z);
        return rc;
    }
    z.next_in = (Bytef *)(uintptr_t)in;
    z.avail_in = (uInt)n;
    z.next_out = (Bytef *)out->p + out->len;
    z.avail_out = (uInt)room;
    if (deflate(&z, flush) != (flush == Z_FINISH ? Z_STREAM_END : Z_OK) || z.avail_in)
        rc = AG_EIO;
    else
        out->len += room - z.avail_out;
    out->p[out->len] = '\0';
    deflateEnd(&z);
    return rc;
}

/* The gzip header: no name, no time, OS unix. */
static const char gzip_header[10] = {0x1f, (char)0x8b, 8, 0, 0, 0, 0, 0, 0, 3};

/* Makes b->gz: the header and b's bytes deflated, ending in a sync
 * flush; and b->gz_end, the member's end for b alone. */
static void make_gzip(ag__http_body *b)
{
    ag_buf z;
    ag_err rc;

    if (b->gz || b->gz_failed)
        return;
    ag__buf_init(&z, BODY_MAX);
    rc = ag__buf_append(&z, gzip_header, sizeof gzip_header);
    if (rc == AG_OK)
        rc = deflate_raw(b->p, b->len, Z_DEFAULT_COMPRESSION, 15, 8, Z_SYNC_FLUSH, &z);
    if (rc != AG_OK) {
        ag__buf_free(&z);
        b->gz_failed = 1;
        return;
    }
    b->crc = (uint32_t)crc32(crc32(0L, Z_NULL, 0), (const Bytef *)b->p, (uInt)b->len);
    /* an empty final block with fixed codes: BFINAL 1, BTYPE 01, EOB */
    b->gz_end[0] = 0x03;
    b->gz_end[1] = 0x00;
    put32le(b->gz_end + 2, b->crc);
    put32le(b->gz_end + 6, (uint32_t)b->len);
    b->gz_len = z.len;
    b->gz = ag__buf_steal(&z);
    if (!b->gz) {
        b->gz_len = 0;
        b->gz_failed = 1;
    }
}

ag_err ag__http_gzip_tail(const ag__http_body *b, const char *tail, size_t n, ag_buf *out)
{
    char trailer[8];
    uint32_t crc = (uint32_t)crc32(crc32(0L, Z_NULL, 0), (const Bytef *)tail, (uInt)n);
    /* a small window and memory level: the tail is a few KB */
    ag_err rc = deflate_raw(tail, n, Z_DEFAULT_COMPRESSION, 12, 4, Z_FINISH, out);

    if (rc != AG_OK)
        return rc;
    put32le(trailer, (uint32_t)crc32_combine(b->crc, crc, (z_off_t)n));
    put32le(trailer + 4, (uint32_t)(b->len + n));
    return ag__buf_append(out, trailer, sizeof trailer);
}

static ag__http_body *body_new(ag_serve *s, const ag_view *v)
{
    ag__http_body *b = ag__calloc(1, sizeof *b);

    if (!b)
        return NULL;
    b->refs = 1;
    b->s = s;
    b->v = v;
    ag__buf_init(&b->own, BODY_MAX);
    __atomic_add_fetch(&live, 1, __ATOMIC_RELAXED);
    return b;
}

void ag__http_body_unref(ag__http_body *b)
{
    if (!b || __atomic_sub_fetch(&b->refs, 1, __ATOMIC_ACQ_REL) != 0)
        return;
    if (b->v)
        ag_serve_release(b->s, b->v);
    ag__buf_free(&b->own);
    ag__free(b->gz);
    ag__free(b);
    __atomic_sub_fetch(&live, 1, __ATOMIC_RELAXED);
}

/* Fills b from its view: the view's recs_json, or rendered. */
static ag_err body_fill(ag__http_cache *c, ag__http_body *b, const ag_view *v)
{
    ag_err rc;

    if (c->borrow_recs && v && v->recs_json) {
        b->p = v->recs_json;
        b->len = v->recs_json_len;
        return AG_OK;
    }
    rc = c->render(v, &b->own);
    b->p = b->own.p ? b->own.p : "";
    b->len = b->own.len;
    return rc;
}

int ag__http_cache_init(ag__http_cache *c, ag__http_render_fn render, int borrow_recs)
{
    memset(c, 0, sizeof *c);
    c->render = render;
    c->borrow_recs = borrow_recs;
    return pthread_mutex_init(&c->mu, NULL) != 0 ? -1 : 0;
}

void ag__http_cache_free(ag__http_cache *c)
{
    ag__http_body_unref(c->cur);
    c->cur = NULL;
    pthread_mutex_destroy(&c->mu);
}

ag__http_body *ag__http_cache_get(ag__http_cache *c, ag_serve *s, const ag_view *v, int gzip,
                                  ag_err *rc)
{
    ag__http_body *b, *old = NULL;

    *rc = AG_OK;
    if (!v) { /* nothing to cache: a body for this call */
        b = body_new(s, NULL);
        if (!b) {
            *rc = AG_ENOMEM;
            return NULL;
        }
        *rc = body_fill(c, b, NULL);
        if (*rc == AG_OK && gzip)
            make_gzip(b);
        if (*rc != AG_OK) {
            ag__http_body_unref(b);
            return NULL;
        }
        return b;
    }
    pthread_mutex_lock(&c->mu);
    if (c->cur && c->cur->v == v) {
        /* The cached body holds its own reference on v, so v's address
         * cannot have been reused by another view meanwhile. */
        b = c->cur;
        __atomic_add_fetch(&b->refs, 1, __ATOMIC_RELAXED);
        ag_serve_release(s, v);
    } else {
        b = body_new(s, v);
        if (!b) {
            pthread_mutex_unlock(&c->mu);
            ag_serve_release(s, v);
            *rc = AG_ENOMEM;
            return NULL;
        }
        *rc = body_fill(c, b, v);
        if (*rc != AG_OK) {
            pthread_mutex_unlock(&c->mu);
            ag__http_body_unref(b); /* releases v */
            return NULL;
        }
        old = c->cur;
        c->cur = b;
        __atomic_add_fetch(&b->refs, 1, __ATOMIC_RELAXED); /* the cache's and the caller's */
    }
    if (gzip)
        make_gzip(b); /* once per view, under the lock: b->gz never changes after */
    pthread_mutex_unlock(&c->mu);
    ag__http_body_unref(old); /* the previous view goes once its responses are sent */
    return b;
}
