/*
 * tests/ag_test.h - shared helpers for augur's cmocka tests.
 *
 * Tests include <cmocka.h> through this header. Environment (set by
 * ctest, see CMakeLists.txt): AG_SOURCE_DIR, AG_BINARY_DIR, AG_AUGUR (the
 * CLI binary), AG_SHARED_DATA (../shared/data). A test that needs
 * something absent exits 77 (ctest's SKIP_RETURN_CODE) with a message.
 */
#ifndef AG_TEST_H
#define AG_TEST_H

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

/* Path under the source tree: ag_test_path(buf, "data/demo/x.om"). */
static inline const char *ag_test_path(char *buf, size_t len, const char *rel)
{
    const char *root = getenv("AG_SOURCE_DIR");
    snprintf(buf, len, "%s/%s", root ? root : ".", rel);
    return buf;
}

/* Path under ../shared/data, or NULL (with a skip message) when absent. */
static inline const char *ag_test_shared(char *buf, size_t len, const char *rel)
{
    const char *root = getenv("AG_SHARED_DATA");
    FILE *f;
    snprintf(buf, len, "%s/%s", root ? root : "../shared/data", rel);
    f = fopen(buf, "r");
    if (!f) {
        fprintf(stderr, "skip: %s is absent\n", buf);
        return NULL;
    }
    fclose(f);
    return buf;
}

#define AG_SKIP_ALL(msg)                                                                           \
    do {                                                                                           \
        fprintf(stderr, "skip: %s\n", msg);                                                        \
        exit(77);                                                                                  \
    } while (0)

/* Compare doubles within an absolute tolerance, printing both on failure. */
#define assert_double_near(a, b, tol)                                                              \
    do {                                                                                           \
        double _a = (a), _b = (b), _t = (tol);                                                     \
        if (!(fabs(_a - _b) <= _t)) {                                                              \
            fail_msg("%s = %.17g, expected %.17g (tolerance %g)", #a, _a, _b, _t);                 \
        }                                                                                          \
    } while (0)

#endif
