/*
 * fuzz/fuzz_backtest_body.c - libFuzzer target for the body of POST
 * /api/v1/backtests: any bytes through ag__http_bt_validate(), which must
 * either refuse them with a message naming the field or give a canonical
 * request that validates again to the same bytes.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "http/http_int.h"
#include "util/buf.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    ag_buf canon, again;
    char msg[256];

    ag__buf_init(&canon, 1 << 16);
    ag__buf_init(&again, 1 << 16);
    msg[0] = '\0';
    if (ag__http_bt_validate((const char *)data, size, &canon, msg, sizeof msg) == AG_OK) {
        /* the canonical form is itself a valid request, and a fixed point */
        if (ag__http_bt_validate(canon.p, canon.len, &again, msg, sizeof msg) != AG_OK ||
            again.len != canon.len || memcmp(again.p, canon.p, canon.len) != 0)
            abort();
    } else if (!msg[0]) {
        abort(); /* a refusal must say why */
    }
    ag__buf_free(&canon);
    ag__buf_free(&again);
    return 0;
}
