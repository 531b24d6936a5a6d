/* fuzz/fuzz_om.c - libFuzzer target for the OpenMetrics / Prometheus text reader. */
#define AG_FUZZ_PARSE ag_om_parse
#include "fuzz_reader.h"
