/*
 * source/prom_int.h - internals of the Prometheus HTTP API reader shared by
 * prom.c (HTTP, PromQL, range splitting) and prom_json.c (the streaming
 * JSON parser). Owner: h4.
 *
 * The parser is a push parser: the curl write callback hands it each chunk
 * as it arrives, and it turns the API envelope straight into dataset
 * samples without ever holding the whole body or building a tree.
 */
#ifndef AG_SOURCE_PROM_INT_H
#define AG_SOURCE_PROM_INT_H

#include <stdint.h>
#include <stddef.h>
#include "augur/source.h"
#include "util/buf.h"

/* Parser kinds beyond the public ag_prom_kind. */
enum {
    AG__PROM_LABEL_VALUES = 100, /* /api/v1/label/<name>/values: "data" is a string array */
    AG__PROM_ENVELOPE = 101,     /* error bodies: only status/errorType/error are kept */
};

#define AG__PROM_MAX_DEPTH 64
#define AG__PROM_DEFAULT_MAX_STR ((size_t)64 << 10) /* label value / message cap */
#define AG__PROM_MAX_LABELS 4096                    /* labels per series */
#define AG__PROM_MAX_NAMES 100000                   /* label values per response */
#define AG__PROM_ERRTEXT 512                        /* kept bytes of "error" */

/* Last raw value of each OOM counter series, so increases are found across
 * range chunks of one fetch. Keyed by container pointer. */
typedef struct ag__prom_oomslot {
    const ag_container *c;
    double v;
} ag__prom_oomslot;

typedef struct ag__prom_oommap {
    ag__prom_oomslot *s;
    size_t n, cap; /* cap 0 or a power of two */
} ag__prom_oommap;

void ag__prom_oommap_free(ag__prom_oommap *m);

typedef struct ag__prom_frame {
    uint8_t type; /* '{' or '[' */
    uint8_t role; /* what this container is in the API envelope */
    uint8_t st;   /* what the grammar expects next */
    uint8_t key;  /* object: id of the current key */
    uint32_t idx; /* array: elements seen so far */
} ag__prom_frame;

typedef struct ag__prom_parser {
    /* configuration */
    ag_dataset *ds;
    int kind;
    const char *what; /* names the query in messages */
    ag_warn_fn warn;
    void *warn_ud;
    size_t max_warnings;
    size_t *nwarn; /* shared warning counter (may point to own_nwarn) */
    size_t own_nwarn;
    uint64_t max_response;
    size_t max_str;
    ag_ingest_stats *st;
    ag__prom_oommap *oom; /* may point to own_oom */
    ag__prom_oommap own_oom;

    /* tokenizer */
    uint64_t off; /* bytes consumed before the current chunk */
    int partial;  /* 0, '"' (inside a string) or 'b' (inside a bare token) */
    int esc;      /* partial string: the last byte was an unpaired backslash */
    ag_buf tok;   /* raw bytes of a token split across chunks */
    ag_buf sbuf;  /* decoded string with escapes */
    ag__prom_frame stk[AG__PROM_MAX_DEPTH];
    int depth;
    int done; /* the top-level object closed */

    /* envelope */
    int status; /* 0 unknown, 1 success, -1 error */
    char result_type[16];
    char error_type[64];
    char error[AG__PROM_ERRTEXT];
    uint64_t nwarnings; /* API warnings seen */

    /* the current series */
    ag_buf lab; /* "key\0value\0" pairs of the series' metric */
    size_t nlab;
    ag_buf key;      /* current label name inside "metric" */
    int have_metric; /* metric object complete */
    int target;      /* 0 none yet, 1 container resolved, -1 skip series */
    ag_container *cont;
    ag_samples pending; /* samples seen before "metric" */
    int64_t pair_t;
    double pair_v;
    int pair_has_t, pair_has_v;
    double oom_last; /* last value of the current OOM series, NAN at start */
    int res;         /* requests/limits: AG_CPU, AG_MEMORY or -1 */

    /* results */
    uint64_t nseries, npoints;
    double scalar;
    int nscalar;
    char **names; /* AG__PROM_LABEL_VALUES: owned strings */
    size_t nnames, namecap;

    ag_errinfo *ei;
    ag_err err; /* sticky: the first error stops the parser */
} ag__prom_parser;

/* Prepares p. ds may be NULL for AG__PROM_LABEL_VALUES / AG__PROM_ENVELOPE.
 * st must be non-NULL. max_response 0 = 2 GiB. */
void ag__prom_parser_init(ag__prom_parser *p, ag_dataset *ds, int kind, const char *what,
                          const ag_read_opts *opts, ag_ingest_stats *st, uint64_t max_response,
                          ag_errinfo *ei);
/* Feeds the next chunk. Returns the parser's sticky error. */
ag_err ag__prom_parser_feed(ag__prom_parser *p, const char *buf, size_t len);
/* Signals the end of the body: AG_EPARSE when the JSON is incomplete;
 * AG_EPROM for "status":"error". */
ag_err ag__prom_parser_end(ag__prom_parser *p);
/* Frees what the parser owns (not the dataset). */
void ag__prom_parser_free(ag__prom_parser *p);

/* Parses a Prometheus sample value ("1.5", "NaN", "+Inf", "1e-3").
 * Returns 0 on success. Exposed for the tests. */
int ag__prom_parse_value(const char *s, size_t n, double *out);
/* Parses a JSON number of seconds into milliseconds (exact for up to three
 * decimals, rounded beyond). Returns 0 on success. */
int ag__prom_parse_time(const char *s, size_t n, int64_t *out_ms);

#endif
