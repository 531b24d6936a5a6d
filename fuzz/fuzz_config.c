/*
 * fuzz/fuzz_config.c - libFuzzer target for the YAML config parser.
 *
 * Any input must give AG_OK with well-formed pairs or an error with a
 * message; never a crash, leak or hang. On success every key and value
 * is a NUL-terminated string and no two keys are equal.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "augur/config.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    ag_kv *kv;
    size_t n, i;
    ag_errinfo ei;
    ag_err rc;

    ei.msg[0] = '\0';
    rc = ag_config_parse("fuzz.yaml", (const char *)data, size, &kv, &n, &ei);
    if (rc != AG_OK) {
        if (kv || n || !ei.msg[0])
            abort();
        return 0;
    }
    for (i = 0; i < n; i++) {
        /* UTF-16 input is converted to UTF-8: up to 1.5x longer. */
        if (!kv[i].key[0] || kv[i].line < 1 || strlen(kv[i].value) > 2 * size)
            abort();
        /* Quadratic, but only for small outputs: the library sorts. */
        for (size_t j = i + 1; j < n && n < 200; j++)
            if (strcmp(kv[i].key, kv[j].key) == 0)
                abort();
    }
    ag_kvs_free(kv, n);
    return 0;
}
