/*
 * fuzz/fuzz_prom_json.c - libFuzzer target for the streaming Prometheus
 * API JSON parser. The first byte picks the kind (and whether to feed the
 * body whole or in chunks of 1..16 bytes, which exercises tokens split
 * across curl writes); the rest is the response body.
 */
#include <stddef.h>
#include <stdint.h>
#include "augur/source.h"
#include "source/prom_int.h"

static void quiet(void *ud, const char *msg)
{
    (void)ud;
    (void)msg;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    ag_read_opts o = {0};
    ag_errinfo ei;
    ag_dataset *ds;
    int kind, chunk;
    double scalar;

    if (size < 1)
        return 0;
    kind = (data[0] & 0x0f) % 10; /* 8, 9: label values and error envelopes */
    chunk = (data[0] >> 4) + 1;
    data++;
    size--;
    o.warn = quiet;
    o.max_line = 4096;
    ds = ag_dataset_new();
    if (!ds)
        return 0;
    if (kind < 8 && chunk == 16) {
        ag_prom_parse_response(ds, (ag_prom_kind)kind, (const char *)data, size, &o, NULL, &scalar,
                               &ei);
    } else {
        ag__prom_parser p;
        ag_ingest_stats st = {0};
        int k = kind < 8 ? kind : kind == 8 ? AG__PROM_LABEL_VALUES : AG__PROM_ENVELOPE;
        ag__prom_parser_init(&p, k >= AG__PROM_LABEL_VALUES ? NULL : ds, k, "fuzz", &o, &st,
                             1u << 20, &ei);
        for (size_t i = 0; i < size; i += (size_t)chunk)
            if (ag__prom_parser_feed(&p, (const char *)data + i,
                                     size - i < (size_t)chunk ? size - i : (size_t)chunk) != AG_OK)
                break;
        ag__prom_parser_end(&p);
        ag__prom_parser_free(&p);
    }
    ag_dataset_finish(ds, INT64_MIN, INT64_MAX, NULL);
    ag_dataset_free(ds);
    return 0;
}
