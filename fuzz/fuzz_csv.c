/* fuzz/fuzz_csv.c - libFuzzer target for the long CSV reader. */
#define AG_FUZZ_PARSE ag_csv_parse
#include "fuzz_reader.h"
