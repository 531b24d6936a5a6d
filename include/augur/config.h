/*
 * augur/config.h - the configuration file (YAML).
 *
 * A mapping of option names to scalars; nested mappings group options and
 * are flattened with '.' ("vpa: {safety-margin: 0.2}" gives the key
 * "vpa.safety-margin"). Sequences of scalars are joined with ','.
 */
#ifndef AUGUR_CONFIG_H
#define AUGUR_CONFIG_H

#include <stddef.h>
#include "augur/err.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct ag_kv {
    char *key, *value;
    int line; /* 1-based line in the file, for messages */
} ag_kv;

/* Parses a YAML document from buf. name is used in messages
 * ("augur.yaml:12: ..."). Caller owns *out; free with ag_kvs_free(). On
 * error *out is NULL and ei names file:line. */
ag_err ag_config_parse(const char *name, const char *buf, size_t len, ag_kv **out, size_t *n,
                       ag_errinfo *ei);
/* Reads and parses a file. */
ag_err ag_config_load(const char *path, ag_kv **out, size_t *n, ag_errinfo *ei);
void ag_kvs_free(ag_kv *kv, size_t n);

#ifdef __cplusplus
}
#endif
#endif
