/*
 * fuzz/fuzz_chunk.c - libFuzzer target for the store's chunk decoder.
 *
 * A chunk blob read from a damaged or hostile store file must decode to
 * valid samples or give AG_ESTORE, never read outside the blob. The first
 * byte of the input picks the chunk start (a few aligned and misaligned
 * values); the rest is the blob. What decodes is encoded again and must
 * give the same samples back.
 */
#include <math.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "store/store_int.h"
#include "util/alloc.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const int64_t starts[] = {0,
                                     AG__CHUNK_MS,
                                     -AG__CHUNK_MS,
                                     1699920000000LL,
                                     12345,
                                     (1LL << 62) - (1LL << 62) % AG__CHUNK_MS,
                                     INT64_MIN,
                                     INT64_MAX};
    ag_samples out = {0}, again = {0};
    int64_t start;
    uint8_t *buf;
    size_t len;

    if (size < 1)
        return 0;
    start = starts[data[0] % 8];
    if (ag__chunk_decode(data + 1, size - 1, start, &out) != AG_OK)
        goto out;
    for (size_t i = 0; i < out.n; i++) {
        if (out.v[i].t_ms < start || out.v[i].t_ms - start >= AG__CHUNK_MS ||
            !isfinite(out.v[i].v) || (i > 0 && out.v[i].t_ms <= out.v[i - 1].t_ms))
            abort();
    }
    buf = ag__malloc(ag__chunk_bound(out.n));
    if (!buf)
        goto out;
    len = ag__chunk_encode(buf, start, out.v, out.n);
    if (ag__chunk_decode(buf, len, start, &again) != AG_OK || again.n != out.n ||
        memcmp(again.v, out.v, out.n * sizeof *out.v) != 0)
        abort();
    ag__free(buf);
out:
    ag_samples_clear(&out);
    ag_samples_clear(&again);
    return 0;
}
