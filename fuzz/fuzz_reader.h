/*
 * fuzz/fuzz_reader.h - the body shared by the file-reader fuzz targets.
 *
 * Define AG_FUZZ_PARSE to a reader with ag_om_parse()'s signature, then
 * include this: the input is parsed into a fresh dataset with warnings
 * silenced, cleaned with ag_dataset_finish() as an import would, and
 * freed. Sanitizers turn any out-of-bounds access, leak or undefined
 * behaviour into a crash.
 */
#include <stddef.h>
#include <stdint.h>
#include "augur/source.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void quiet(void *ud, const char *msg)
{
    (void)ud;
    (void)msg;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    ag_dataset *ds = ag_dataset_new();
    ag_read_opts opts = {0};
    ag_ingest_stats st = {0};
    ag_errinfo ei;

    if (!ds)
        return 0;
    opts.warn = quiet;
    opts.max_line = 4096; /* small, so the fuzzer reaches the limit */
    AG_FUZZ_PARSE(ds, "fuzz", (const char *)data, size, &opts, &st, &ei);
    ag_dataset_finish(ds, INT64_MIN, INT64_MAX, &st);
    ag_dataset_free(ds);
    return 0;
}
