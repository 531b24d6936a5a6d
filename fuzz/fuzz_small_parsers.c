/*
 * fuzz/fuzz_small_parsers.c - the small text parsers behind CLI flags and
 * config values: times, durations, Kubernetes quantities, label selectors
 * and recommender parameters. The first byte picks the parser.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "augur/augur.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *s;
    int64_t ms;
    double v;
    ag_errinfo ei;
    ag_rec_params p;
    char buf[64];

    if (size < 1 || size > 4096)
        return 0;
    s = malloc(size);
    if (!s)
        return 0;
    memcpy(s, data + 1, size - 1);
    s[size - 1] = '\0';
    switch (data[0] % 6) {
    case 0:
        if (ag_time_parse(s, &ms) == AG_OK)
            ag_time_format(ms, buf, sizeof buf);
        break;
    case 1:
        if (ag_duration_parse(s, &ms) == AG_OK)
            ag_duration_format(ms, buf, sizeof buf);
        break;
    case 2:
        if (ag_quantity_parse(s, &v) == AG_OK) {
            ag_cpu_format(v, buf, sizeof buf);
            ag_mem_format(v, buf, sizeof buf);
        }
        break;
    case 3:
        ag_selector_validate(s, &ei);
        break;
    case 4: {
        /* "name=value" for the recommender's parameters */
        char *eq = strchr(s, '=');
        ag_rec_params_default(&p);
        if (eq) {
            *eq = '\0';
            ag_rec_params_set(&p, s, eq + 1, &ei);
        }
        break;
    }
    case 5: {
        ag_algorithm a;
        ag_format f;
        ag_algorithm_parse(s, &a);
        ag_format_parse(s, &f);
        break;
    }
    }
    free(s);
    return 0;
}
