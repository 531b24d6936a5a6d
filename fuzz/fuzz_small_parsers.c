/*
 * fuzz/fuzz_small_parsers.c - the small text parsers behind CLI flags and
 * config values: times, durations, Kubernetes quantities, label selectors
 * recommender parameters (the vpa/krr ones and the online recommenders'),
 * and the backtest's names (kinds, policies, modes, limit policies). The
 * first byte picks the parser.
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
    switch (data[0] % 8) {
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
    case 6: {
        /* "name=value" for the online recommenders, then one replay knob */
        ag_online_params op;
        char *eq = strchr(s, '=');
        ag_online_params_default(&op, (ag_online_kind)(size % AG_ONLINE_NKINDS));
        if (eq) {
            *eq = '\0';
            ag_online_params_set(&op, s, eq + 1, &ei);
            ag_online_knob_set(&op, strtod(eq + 1, NULL));
        }
        break;
    }
    case 7: {
        ag_online_kind k;
        ag_augur_policy pol;
        ag_update_mode m;
        ag_limit_policy l;
        ag_online_kind_parse(s, &k);
        ag_augur_policy_parse(s, &pol);
        ag_update_mode_parse(s, &m);
        ag_limit_policy_parse(s, &l);
        break;
    }
    }
    free(s);
    return 0;
}
