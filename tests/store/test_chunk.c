/*
 * tests/store/test_chunk.c - the chunk encoding of lib/store/chunk.c:
 * round trips of random series (irregular times, large gaps, every kind
 * of finite double, chunks before the epoch and at the edges of the time
 * range), the size on a regular grid, and damaged blobs: every truncation
 * and random byte changes must be refused or decode to valid samples,
 * never read outside the blob.
 */
#include <float.h>
#include <math.h>
#include <stdlib.h>

#include "ag_test.h"
#include "store/store_int.h"
#include "util/alloc.h"

static uint64_t rng = 88172645463325252ULL;

static uint64_t next(void)
{
    rng ^= rng << 13;
    rng ^= rng >> 7;
    rng ^= rng << 17;
    return rng;
}

static double any_finite(void)
{
    static const double special[] = {0.0, -0.0, 1.0, DBL_MAX, -DBL_MAX, DBL_MIN, 5e-324, 1e9};
    uint64_t u;
    double v;

    switch (next() % 4) {
    case 0:
        return special[next() % 8];
    case 1:
        return (double)(next() % 4000000000ULL); /* memory bytes */
    case 2:
        return (double)(next() % 1000) / 1000.0; /* CPU cores */
    default:
        do {
            u = next();
            memcpy(&v, &u, sizeof v);
        } while (!isfinite(v));
        return v;
    }
}

/* Fills v with n samples in the chunk at start: regular steps with jitter,
 * repeats and the occasional big gap, as real scrapes look. */
static size_t make_series(ag_sample *v, size_t n, int64_t start)
{
    int64_t t = start + (int64_t)(next() % 1000), step = 1 + (int64_t)(next() % 120000);
    size_t k = 0;
    double last = any_finite();

    for (; k < n && t < start + AG__CHUNK_MS; k++) {
        if (next() % 3)
            last = any_finite();
        v[k].t_ms = t;
        v[k].v = last;
        switch (next() % 10) {
        case 0:
            t += 1 + (int64_t)(next() % 3600000); /* a gap */
            break;
        case 1:
            t += step + (int64_t)(next() % 50); /* jitter */
            break;
        default:
            t += step;
        }
    }
    return k;
}

static void assert_bits_equal(const ag_sample *a, const ag_sample *b, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        assert_int_equal(a[i].t_ms, b[i].t_ms);
        if (memcmp(&a[i].v, &b[i].v, sizeof a[i].v) != 0)
            fail_msg("sample %zu: %a != %a", i, a[i].v, b[i].v);
    }
}

static void test_chunk_start(void **state)
{
    (void)state;
    assert_int_equal(ag__chunk_start(0), 0);
    assert_int_equal(ag__chunk_start(AG__CHUNK_MS - 1), 0);
    assert_int_equal(ag__chunk_start(AG__CHUNK_MS), AG__CHUNK_MS);
    assert_int_equal(ag__chunk_start(-1), -AG__CHUNK_MS);
    assert_int_equal(ag__chunk_start(-AG__CHUNK_MS), -AG__CHUNK_MS);
    assert_int_equal(ag__chunk_start(1700000000000LL), 1699920000000LL);
}

static void test_round_trip(void **state)
{
    const int64_t starts[] = {0, -AG__CHUNK_MS, ag__chunk_start(1700000000000LL),
                              ag__chunk_start(AG__CHUNK_TMAX),
                              ag__chunk_start(-AG__CHUNK_TMAX) + AG__CHUNK_MS};
    ag_sample *v = malloc(5000 * sizeof *v);
    uint8_t *buf = malloc(ag__chunk_bound(5000));
    ag_samples out = {0};

    (void)state;
    assert_non_null(v);
    assert_non_null(buf);
    for (int iter = 0; iter < 2000; iter++) {
        int64_t start = starts[iter % 5];
        size_t n = make_series(v, 1 + next() % (iter % 10 ? 50 : 5000), start), len;

        len = ag__chunk_encode(buf, start, v, n);
        assert_true(len <= ag__chunk_bound(n));
        out.n = 0;
        assert_int_equal(ag__chunk_decode(buf, len, start, &out), AG_OK);
        assert_int_equal(out.n, n);
        assert_bits_equal(v, out.v, n);
        /* Appends: decoding again doubles the samples. */
        assert_int_equal(ag__chunk_decode(buf, len, start, &out), AG_OK);
        assert_int_equal(out.n, 2 * n);
        assert_bits_equal(v, out.v + n, n);
    }
    /* The last moment of a chunk. */
    v[0] = (ag_sample){AG__CHUNK_MS - 1, 1.0};
    assert_int_equal(ag__chunk_decode(buf, ag__chunk_encode(buf, 0, v, 1), 0, &out), AG_OK);
    ag_samples_clear(&out);
    free(buf);
    free(v);
}

/* A day at one-minute steps of a steady value packs into ~2 bytes a
 * sample, a slowly growing memory series into a few. */
static void test_compact(void **state)
{
    ag_sample v[1440];
    uint8_t buf[1440 * 19 + 11];
    size_t len;

    (void)state;
    for (int i = 0; i < 1440; i++)
        v[i] = (ag_sample){i * 60000LL, 0.25};
    len = ag__chunk_encode(buf, 0, v, 1440);
    assert_true(len < 1440 * 2 + 20);
    for (int i = 0; i < 1440; i++)
        v[i].v = 3e8 + 4096.0 * (i / 10);
    len = ag__chunk_encode(buf, 0, v, 1440);
    assert_true(len < 1440 * 4);
}

/* Decodes a blob that may be damaged: either an error with out unchanged
 * or samples that are valid for the chunk. */
static void check_damaged(const uint8_t *p, size_t len, int64_t start, ag_samples *out)
{
    ag_err err;

    out->n = 3; /* pretend earlier samples: must survive a failure */
    err = ag__chunk_decode(p, len, start, out);
    if (err) {
        assert_int_equal(err, AG_ESTORE);
        assert_int_equal(out->n, 3);
        return;
    }
    assert_true(out->n > 3);
    for (size_t i = 3; i < out->n; i++) {
        assert_true(out->v[i].t_ms >= start && out->v[i].t_ms < start + AG__CHUNK_MS);
        assert_true(i == 3 || out->v[i].t_ms > out->v[i - 1].t_ms);
        assert_true(isfinite(out->v[i].v));
    }
}

static void test_damaged(void **state)
{
    ag_sample v[300];
    uint8_t buf[300 * 19 + 11], bad[sizeof buf];
    ag_samples out = {0};
    const int64_t start = 86400000LL * 3;
    size_t n, len;

    (void)state;
    assert_int_equal(ag_samples_push(&out, 0, 0), AG_OK); /* room for the 3 fakes */
    assert_int_equal(ag_samples_push(&out, 0, 0), AG_OK);
    assert_int_equal(ag_samples_push(&out, 0, 0), AG_OK);
    n = make_series(v, 300, start);
    len = ag__chunk_encode(buf, start, v, n);

    /* Nothing, a wrong format byte, a misaligned or out-of-range start. */
    out.n = 3;
    assert_int_equal(ag__chunk_decode(NULL, 0, start, &out), AG_ESTORE);
    assert_int_equal(ag__chunk_decode(buf, 0, start, &out), AG_ESTORE);
    assert_int_equal(ag__chunk_decode(buf, len, start + 1, &out), AG_ESTORE);
    assert_int_equal(ag__chunk_decode(buf, len, AG__CHUNK_TMAX + AG__CHUNK_MS, &out), AG_ESTORE);
    memcpy(bad, buf, len);
    bad[0] = 2;
    assert_int_equal(ag__chunk_decode(bad, len, start, &out), AG_ESTORE);
    assert_int_equal(out.n, 3);

    /* Every truncation, and one byte too many. */
    for (size_t l = 0; l < len; l++) {
        out.n = 3;
        assert_int_equal(ag__chunk_decode(buf, l, start, &out), AG_ESTORE);
        assert_int_equal(out.n, 3);
    }
    memcpy(bad, buf, len);
    bad[len] = 0;
    assert_int_equal(ag__chunk_decode(bad, len + 1, start, &out), AG_ESTORE);

    /* Random damage: one to four bytes changed. */
    for (int iter = 0; iter < 20000; iter++) {
        memcpy(bad, buf, len);
        for (int k = 0, m = 1 + (int)(next() % 4); k < m; k++)
            bad[next() % len] = (uint8_t)next();
        check_damaged(bad, len, start, &out);
    }
    /* A huge sample count in a short blob is refused before allocating. */
    {
        const uint8_t huge[] = {AG__CHUNK_FORMAT, 0xff, 0xff, 0xff, 0xff, 0x0f, 0, 64};
        check_damaged(huge, sizeof huge, start, &out);
        assert_int_equal(ag__chunk_decode(huge, sizeof huge, start, &out), AG_ESTORE);
    }
    ag_samples_clear(&out);
}

/* Out of memory while growing the output: AG_ENOMEM, out unchanged. */
static void test_decode_out_of_memory(void **state)
{
    ag_sample v[100];
    uint8_t buf[100 * 19 + 11];
    ag_samples out = {0};
    size_t n = make_series(v, 100, 0), len = ag__chunk_encode(buf, 0, v, n);

    (void)state;
    ag__alloc_fail_after(1);
    assert_int_equal(ag__chunk_decode(buf, len, 0, &out), AG_ENOMEM);
    ag__alloc_fail_after(0);
    assert_int_equal(out.n, 0);
    assert_int_equal(ag__chunk_decode(buf, len, 0, &out), AG_OK);
    assert_int_equal(out.n, n);
    ag_samples_clear(&out);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_chunk_start),
        cmocka_unit_test(test_round_trip),
        cmocka_unit_test(test_compact),
        cmocka_unit_test(test_damaged),
        cmocka_unit_test(test_decode_out_of_memory),
    };
    return cmocka_run_group_tests_name(AG_TEST_NAME, tests, NULL, NULL);
}
