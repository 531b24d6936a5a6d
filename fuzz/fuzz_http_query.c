/*
 * fuzz/fuzz_http_query.c - libFuzzer target for the HTTP server's request
 * target parsing: the path (routes, KEDA path parameters) and the query
 * string (percent-decoding, every parameter's checks), then the list
 * renderers with the parsed filters over an empty view.
 */
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include "http/http_int.h"
#include "util/buf.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    ag__http_req r;
    ag_view v;
    ag_buf b;
    size_t next;
    char dec[256];

    ag__http_unescape((const char *)data, size, 1, dec, sizeof dec);
    if (ag__http_parse_target(&r, (const char *)data, size) != 0)
        return 0;
    memset(&v, 0, sizeof v);
    ag__buf_init(&b, 1 << 20);
    ag__http_recs_json(&v, &r, &b, &next);
    ag__http_workloads_json(&v, &r, &b, &next);
    ag__http_forecasts_json(&v, &r, &b, &next);
    if (r.route == AG__R_KEDA) {
        double x;
        char msg[256];
        ag__http_keda_value(&v, &r, &x, msg, sizeof msg);
    }
    ag__buf_free(&b);
    return 0;
}
