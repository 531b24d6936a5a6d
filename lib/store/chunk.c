/*
 * store/chunk.c - the encoding of one chunk of samples (store_int.h).
 *
 * The store keeps a series as one row per AG__CHUNK_MS span of time, the
 * samples of the span packed in a BLOB, as time-series databases do: one
 * row per sample cost about 1 us of CPU and 25 bytes of disk each. The
 * encoding is byte-oriented so it stays simple to decode and check:
 *
 *   byte 0    format, AG__CHUNK_FORMAT
 *   varint    n, the sample count (>= 1)
 *   n times:  varint  time: the first as the offset from the chunk start,
 *                     then the zigzag delta-of-delta (0 on a regular grid)
 *             byte    h: value XOR previous value (0 before the first):
 *                     h = 64 when equal, else (leading zero bytes << 3) |
 *                     trailing zero bytes, followed by the 8 - lead - trail
 *                     bytes left, most significant first
 *
 * Varints are LEB128 (7 bits a byte, low first, at most 10 bytes). A
 * regular series of similar values takes 3-7 bytes a sample instead of 16.
 * The decoder trusts nothing: a blob from a damaged file gives an error,
 * never a read outside it or a sample outside its chunk.
 */
#include <math.h>
#include <string.h>

#include "store/store_int.h"
#include "util/alloc.h"

#define SAME_VALUE 64

static uint8_t *put_varint(uint8_t *p, uint64_t x)
{
    while (x >= 0x80) {
        *p++ = (uint8_t)(x | 0x80);
        x >>= 7;
    }
    *p++ = (uint8_t)x;
    return p;
}

/* Reads a varint at *p (before end); returns -1 when truncated or longer
 * than 10 bytes. */
static int get_varint(const uint8_t **p, const uint8_t *end, uint64_t *out)
{
    uint64_t x = 0;

    for (int shift = 0; shift < 70 && *p < end; shift += 7) {
        uint8_t b = *(*p)++;
        if (shift == 63 && b > 1)
            return -1; /* more than 64 bits */
        x |= (uint64_t)(b & 0x7f) << shift;
        if (!(b & 0x80)) {
            *out = x;
            return 0;
        }
    }
    return -1;
}

static uint64_t dbits(double v)
{
    uint64_t u;
    memcpy(&u, &v, sizeof u);
    return u;
}

int64_t ag__chunk_start(int64_t t_ms)
{
    int64_t m = t_ms % AG__CHUNK_MS;
    return t_ms - (m < 0 ? m + AG__CHUNK_MS : m);
}

size_t ag__chunk_bound(size_t n)
{
    return 1 + 10 + n * (10 + 9);
}

size_t ag__chunk_encode(uint8_t *out, int64_t start_ms, const ag_sample *v, size_t n)
{
    uint8_t *p = out;
    uint64_t prev_bits = 0;
    int64_t prev_t = start_ms, prev_d = 0;

    *p++ = AG__CHUNK_FORMAT;
    p = put_varint(p, n);
    for (size_t i = 0; i < n; i++) {
        uint64_t x = dbits(v[i].v) ^ prev_bits;
        if (i == 0) {
            p = put_varint(p, (uint64_t)(v[i].t_ms - start_ms));
        } else {
            int64_t d = v[i].t_ms - prev_t, dod = d - prev_d;
            p = put_varint(p, ((uint64_t)dod << 1) ^ (uint64_t)(dod >> 63)); /* zigzag */
            prev_d = d;
        }
        prev_t = v[i].t_ms;
        prev_bits ^= x;
        if (x == 0) {
            *p++ = SAME_VALUE;
            continue;
        }
        int lead = __builtin_clzll(x) / 8, trail = __builtin_ctzll(x) / 8;
        *p++ = (uint8_t)(lead << 3 | trail);
        for (int b = 7 - lead; b >= trail; b--)
            *p++ = (uint8_t)(x >> (8 * b));
    }
    return (size_t)(p - out);
}

/* Decodes the samples after the header; v has room for n. */
static int decode_body(const uint8_t *p, const uint8_t *end, int64_t start_ms, ag_sample *v,
                       size_t n)
{
    uint64_t bits = 0, u;
    int64_t t = start_ms, d = 0;

    for (size_t i = 0; i < n; i++) {
        if (get_varint(&p, end, &u))
            return -1;
        if (i == 0) {
            if (u >= (uint64_t)AG__CHUNK_MS)
                return -1;
            t = start_ms + (int64_t)u;
        } else {
            /* Bounded before any arithmetic: a valid step is in (0, span). */
            int64_t dod = (int64_t)(u >> 1) ^ -(int64_t)(u & 1);
            if (dod <= -AG__CHUNK_MS || dod >= AG__CHUNK_MS)
                return -1;
            d += dod;
            if (d <= 0 || d >= AG__CHUNK_MS || t - start_ms + d >= AG__CHUNK_MS)
                return -1;
            t += d;
        }
        if (p >= end)
            return -1;
        uint8_t h = *p++;
        if (h != SAME_VALUE) {
            int lead = h >> 3, trail = h & 7;
            uint64_t x = 0;
            if (h > SAME_VALUE || lead + trail > 7 || end - p < 8 - lead - trail)
                return -1;
            for (int b = 7 - lead; b >= trail; b--)
                x |= (uint64_t)*p++ << (8 * b);
            if (x == 0)
                return -1;
            bits ^= x;
        }
        v[i].t_ms = t;
        memcpy(&v[i].v, &bits, sizeof bits);
        if (!isfinite(v[i].v))
            return -1; /* never stored */
    }
    return p == end ? 0 : -1;
}

ag_err ag__chunk_decode(const uint8_t *data, size_t len, int64_t start_ms, ag_samples *out)
{
    const uint8_t *p = data, *end = data + len;
    uint64_t n;
    size_t cap = out->cap;

    if (!data || len < 1 || *p++ != AG__CHUNK_FORMAT || get_varint(&p, end, &n) || n == 0 ||
        n > (uint64_t)(end - p) / 2 || start_ms < -AG__CHUNK_TMAX || start_ms > AG__CHUNK_TMAX ||
        ag__chunk_start(start_ms) != start_ms)
        return AG_ESTORE; /* every sample takes at least 2 bytes */
    if (ag__grow((void **)&out->v, &cap, out->n + (size_t)n, sizeof *out->v) != 0)
        return AG_ENOMEM;
    out->cap = cap;
    if (decode_body(p, end, start_ms, out->v + out->n, (size_t)n))
        return AG_ESTORE;
    out->n += (size_t)n;
    return AG_OK;
}
